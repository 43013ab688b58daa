"""Who may do what in cost sharing: every endpoint × every persona, with the expected status.

Police finance sees allocations where a police organisation pays, Defence finance those where
a Defence organisation is credited, the joint controller (and the administrator) all of them,
planners and owners their own organisation's. Only finance reviews and closes statements; only
the administrator records agreements; finance reads the efficiency figures. A refusal writes
nothing, and a read never writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from shared.personas import PERSONAS
from shared.settings import Settings
from tests.integration.costsharing_support import (
    CostsharingDB,
    agreement_body,
    asset_facts,
    at,
    colleague_of,
    completed,
    create_agreement,
    review_as,
    source_id,
)
from tests.support import auth, row_counts

pytestmark = pytest.mark.db

PERSONA_KEYS = list(PERSONAS)
YEAR = {"valid_from": "2094-01-01", "valid_to": "2095-01-01"}  # no other test prices 2094
# Who uses whose capacity in the allocations below (requester → owner).
FLOWS = {
    "rotterdam": ("politie-rotterdam", "defensie-dhc"),
    "amsterdam": ("politie-amsterdam", "defensie-duikgroep"),
    "defence": ("defensie-opleidingen", "defensie-dhc"),  # no police unit pays
}


@dataclass
class World:
    cs: FlaskClient
    db: CostsharingDB
    agreement_id: str
    asset_id: str
    allocations: dict[str, dict[str, Any]]
    days: Iterator[int]

    def fresh_allocation(self, *, disputed: bool = False) -> str:
        """A new proposed (or disputed) allocation of Rotterdam's use of a DHC helicopter."""
        requester, owner = FLOWS["rotterdam"]
        use = completed(
            requester_org=requester,
            owner_org=owner,
            usage="1.00",
            start=at("2094-02-01T08:00") + timedelta(days=next(self.days)),
        )
        self.db.apply(use)
        allocation_id = str(self.db.allocation(source_id(use))["id"])
        if disputed:
            # By a finance person who is none of the personas: whoever disputes does not
            # resolve (four eyes), and this table is about roles.
            response = review_as(
                self.cs, allocation_id, "dispute", colleague_of("controller"), reason="Steekproef"
            )
            assert response.status_code == 200, response.get_json()
        return allocation_id


@pytest.fixture(scope="module")
def world(clients: dict[str, FlaskClient], settings: dict[str, Settings]) -> Iterator[World]:
    cs = clients["costsharing"]
    db = CostsharingDB(settings["costsharing"])
    agreements = {
        name: create_agreement(
            cs, category="helicopter", owner_org=owner, requester_org=requester, **YEAR
        )
        for name, (requester, owner) in FLOWS.items()
    }
    allocations = {}
    for day, (name, (requester, owner)) in enumerate(FLOWS.items(), start=1):
        use = completed(
            requester_org=requester,
            owner_org=owner,
            usage="2.00",
            start=at(f"2094-01-{day:02d}T08:00"),
        )
        db.apply(use)
        allocations[name] = {k: str(v) for k, v in db.allocation(source_id(use)).items()}
    asset = asset_facts(owner_org="defensie-dhc")
    db.put_asset(asset)
    yield World(cs, db, agreements["rotterdam"]["id"], asset["asset_id"], allocations, count())
    db.dispose()


# -- the requests ---------------------------------------------------------------------------------
Send = Callable[[], TestResponse]


def get(url: str, **headers: str) -> Callable[[World, str], Send]:
    def prepare(w: World, persona: str) -> Send:
        target = url.format(
            **{k: v["id"] for k, v in w.allocations.items()},
            agreement=w.agreement_id,
            **{f"{k}_booking": v["booking_id"] for k, v in w.allocations.items()},
        )
        return lambda: w.cs.get(target, headers={**auth(persona), **headers})

    return prepare


def create_agreement_request(w: World, persona: str) -> Send:
    body = agreement_body(
        category="drone",
        owner_org="defensie-dhc",
        requester_org=f"politie-perm{uuid.uuid4().hex[:8]}",
        **YEAR,
    )
    return lambda: w.cs.post("/api/v1/agreements", headers=auth(persona), json=body)


def patch_agreement(w: World, persona: str) -> Send:
    url = f"/api/v1/agreements/{w.agreement_id}"
    etag = w.cs.get(url, headers=auth("admin")).headers["ETag"]
    return lambda: w.cs.patch(
        url,
        headers={**auth(persona), "If-Match": etag},
        json={"name": f"Convenant Rotterdam {uuid.uuid4().hex[:6]}"},
    )


def estimate(w: World, persona: str) -> Send:
    start = at("2094-05-04T08:00")
    body = {
        "asset_id": w.asset_id,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
        "legal_basis": "bijstand_politiewet",
        "requester_org": "politie-rotterdam",
    }
    return lambda: w.cs.post("/api/v1/estimates", headers=auth(persona), json=body)


def review_request(action: str) -> Callable[[World, str], Send]:
    def prepare(w: World, persona: str) -> Send:
        allocation_id = w.fresh_allocation(disputed=action == "resolve")
        url = f"/api/v1/allocations/{allocation_id}/{action}"
        body = {"reason": "Steekproef financiën"}
        if action == "resolve":
            # The split as it stands: a resolution that lowers the resolver's own side's
            # share is the joint controller's alone (test_four_eyes_own_side), and this
            # table is about roles.
            current = w.cs.get(url.removesuffix(f"/{action}"), headers=auth("controller"))
            body["requester_amount"] = current.get_json()["requester_amount"]
        return lambda: w.cs.post(url, headers=auth(persona), json=body)

    return prepare


def close_statement(w: World, persona: str) -> Send:
    # A month of its own per persona, with nothing open in it: closing succeeds where allowed.
    period = f"2096-{PERSONA_KEYS.index(persona) + 1:02d}"
    body = {"org": "politie-rotterdam", "period": period}
    return lambda: w.cs.post("/api/v1/statements/close", headers=auth(persona), json=body)


# -- who gets what ---------------------------------------------------------------------------------
def statuses(default: int, **by_persona: int) -> dict[str, int]:
    """Expected status per persona; keyword names use '_' for '-'."""
    table = {p: default for p in PERSONA_KEYS}
    for key, status in by_persona.items():
        persona = key.replace("_", "-")
        assert persona in table, persona
        table[persona] = status
    return table


EVERYONE = statuses(200)
SEES_ROTTERDAM = statuses(200, planner_amsterdam=404, owner_duikgroep=404)
SEES_AMSTERDAM = statuses(200, planner_rotterdam=404, owner_dhc=404)
SEES_DEFENCE_ONLY = statuses(
    200, planner_rotterdam=404, planner_amsterdam=404, owner_duikgroep=404, finance_politie=404
)
FINANCE_ONLY = statuses(403, finance_politie=200, finance_defensie=200, controller=200)
ADMIN_ONLY = statuses(403, admin=200)
VISIBLE = {"rotterdam": SEES_ROTTERDAM, "amsterdam": SEES_AMSTERDAM, "defence": SEES_DEFENCE_ONLY}

ENDPOINTS: dict[str, tuple[Callable[[World, str], Send], dict[str, int]]] = {
    "GET /agreements": (get("/api/v1/agreements"), EVERYONE),
    "POST /agreements": (create_agreement_request, {**ADMIN_ONLY, "admin": 201}),
    "GET /agreements/{id}": (get("/api/v1/agreements/{agreement}"), EVERYONE),
    "PATCH /agreements/{id}": (patch_agreement, ADMIN_ONLY),
    "POST /estimates": (estimate, EVERYONE),
    **{
        f"GET /allocations?booking_id= ({flow})": (
            get(f"/api/v1/allocations?booking_id={{{flow}_booking}}"),
            EVERYONE,
        )
        for flow in FLOWS
    },
    **{
        f"GET /allocations/{{id}} ({flow})": (get(f"/api/v1/allocations/{{{flow}}}"), seen)
        for flow, seen in VISIBLE.items()
    },
    "GET /allocations/{id}/ledger": (get("/api/v1/allocations/{rotterdam}/ledger"), SEES_ROTTERDAM),
    "GET /allocations/{id}/reviews": (
        get("/api/v1/allocations/{rotterdam}/reviews"),
        SEES_ROTTERDAM,
    ),
    "POST /allocations/{id}/approve": (review_request("approve"), FINANCE_ONLY),
    "POST /allocations/{id}/dispute": (review_request("dispute"), FINANCE_ONLY),
    "POST /allocations/{id}/resolve": (review_request("resolve"), FINANCE_ONLY),
    "GET /statements (police unit)": (
        get("/api/v1/statements?org=politie-rotterdam&period=2094-Q1"),
        statuses(403, planner_rotterdam=200, finance_politie=200, controller=200, admin=200),
    ),
    "GET /statements (police unit, CSV)": (
        get("/api/v1/statements?org=politie-rotterdam&period=2094-Q1", Accept="text/csv"),
        statuses(403, planner_rotterdam=200, finance_politie=200, controller=200, admin=200),
    ),
    "GET /statements (Defence owner)": (
        get("/api/v1/statements?org=defensie-dhc&period=2094-Q1"),
        statuses(403, owner_dhc=200, finance_defensie=200, controller=200, admin=200),
    ),
    "POST /statements/close": (close_statement, statuses(403, finance_politie=201, controller=201)),
    "GET /efficiency": (
        get("/api/v1/efficiency?period=2094-Q1&group_by=owner"),
        statuses(403, finance_politie=200, finance_defensie=200, controller=200, admin=200),
    ),
    # The whole ledger, every organisation's lines: the joint controller's alone.
    "GET /ledger/export": (
        get("/api/v1/ledger/export?period=2094-Q1"),
        statuses(403, controller=200),
    ),
}
CASES = [
    (endpoint, persona, expected[persona])
    for endpoint, (_, expected) in ENDPOINTS.items()
    for persona in PERSONA_KEYS
]


@pytest.mark.parametrize(
    ("endpoint", "persona", "status"), CASES, ids=[f"{e} as {p}" for e, p, _ in CASES]
)
def test_every_endpoint_for_every_persona(
    world: World, endpoint: str, persona: str, status: int
) -> None:
    prepare, _ = ENDPOINTS[endpoint]
    send = prepare(world, persona)
    before = row_counts(world.db.engine)
    response = send()
    after = row_counts(world.db.engine)
    assert response.status_code == status, (endpoint, persona, response.get_data(as_text=True))
    if status >= 400:
        assert response.mimetype == "application/problem+json"
    reads = endpoint.startswith("GET") or endpoint == "POST /estimates"
    if status >= 400 or reads:
        assert after == before, f"{endpoint} as {persona} wrote {after} (was {before})"
    else:
        assert after != before
    if endpoint.startswith("GET /allocations?booking_id="):
        flow = endpoint.rsplit("(", 1)[1].rstrip(")")
        listed = [a["id"] for a in response.get_json()["items"]]
        sees = VISIBLE[flow][persona] == 200
        assert listed == ([world.allocations[flow]["id"]] if sees else []), (flow, persona)
