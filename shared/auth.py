"""JWT bearer auth: HS256 with a shared secret in dev, RS256 via JWKS in production."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any, TypeVar, cast

import jwt
from flask import current_app, g, request

from shared.errors import Forbidden, Unauthorized
from shared.settings import Settings

# Roles (DOMAIN.md "Who uses it")
PLANNER = "politie-planner"
OWNER = "defensie-beheerder"
FINANCE = "financien"
ADMIN = "beheerder-functioneel"
ALL_ROLES = (PLANNER, OWNER, FINANCE, ADMIN)


@dataclass(frozen=True)
class Principal:
    sub: str
    name: str
    org: str
    roles: frozenset[str]

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_joint(self) -> bool:
        """The joint controller and administrators see across organisations."""
        return self.org == "joint" or ADMIN in self.roles


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True)


def decode_token(token: str, settings: Settings) -> Principal:
    """Verify signature, expiry and claims; raise Unauthorized with the reason."""
    try:
        if settings.jwt_jwks_url:
            key: Any = _jwks_client(settings.jwt_jwks_url).get_signing_key_from_jwt(token).key
            algorithms = ["RS256"]
        else:
            key, algorithms = settings.jwt_secret, ["HS256"]
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=settings.jwt_audience,
            options={"require": ["exp", "sub"], "verify_aud": settings.jwt_audience is not None},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"The token is not valid: {exc}") from exc
    roles = claims.get("roles")
    if not isinstance(claims.get("org"), str) or not isinstance(roles, list):
        raise Unauthorized("The token lacks the 'org' and 'roles' claims.")
    return Principal(
        sub=str(claims["sub"]),
        name=str(claims.get("name", claims["sub"])),
        org=claims["org"],
        roles=frozenset(str(r) for r in roles),
    )


def mint_token(
    *,
    sub: str,
    name: str,
    org: str,
    roles: Iterable[str],
    secret: str,
    ttl_s: int = 12 * 3600,
) -> str:
    """An HS256 token for development and tests (production tokens come from the IdP)."""
    now = int(time.time())
    claims = {"sub": sub, "name": name, "org": org, "roles": list(roles), "iat": now}
    claims["exp"] = now + ttl_s
    return jwt.encode(claims, secret, algorithm="HS256")


def current_principal() -> Principal:
    """The caller of this request, verified once and cached on ``g``."""
    cached = g.get("principal")
    if cached is not None:
        return cast(Principal, cached)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send 'Authorization: Bearer <token>'.")
    principal = decode_token(token.strip(), current_app.config["SLAGKRACHT_SETTINGS"])
    g.principal = principal
    return principal


F = TypeVar("F", bound=Callable[..., Any])


def require_roles(*roles: str) -> Callable[[F], F]:
    """Decorator: the caller must be signed in and hold one of ``roles`` (none = any role)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if roles and not principal.has_role(*roles):
                raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate
