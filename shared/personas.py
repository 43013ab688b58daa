"""Demo personas: stable names used by tests, the portal and ``slagkracht token``."""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth import ADMIN, FINANCE, OWNER, PLANNER, mint_token


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    org: str
    roles: tuple[str, ...]


PERSONAS: dict[str, Persona] = {
    p.key: p
    for p in (
        Persona("planner-rotterdam", "Planner Eenheid Rotterdam", "politie-rotterdam", (PLANNER,)),
        Persona("planner-amsterdam", "Planner Eenheid Amsterdam", "politie-amsterdam", (PLANNER,)),
        Persona("owner-dhc", "Beheerder Defensie Helikopter Commando", "defensie-dhc", (OWNER,)),
        Persona("owner-duikgroep", "Beheerder Defensie Duikgroep", "defensie-duikgroep", (OWNER,)),
        Persona("finance-politie", "Financiën Nationale Politie", "politie-financien", (FINANCE,)),
        Persona("finance-defensie", "Financiën Defensie", "defensie-financien", (FINANCE,)),
        Persona("controller", "Gezamenlijk controller", "joint", (FINANCE,)),
        Persona("admin", "Functioneel beheerder", "joint", (ADMIN,)),
    )
}


def persona_token(key: str, secret: str, ttl_s: int = 12 * 3600) -> str:
    """A bearer token for a demo persona; raises KeyError naming the known personas."""
    if key not in PERSONAS:
        raise KeyError(f"unknown persona {key!r}; known: {', '.join(PERSONAS)}")
    p = PERSONAS[key]
    return mint_token(sub=p.key, name=p.name, org=p.org, roles=p.roles, secret=secret, ttl_s=ttl_s)
