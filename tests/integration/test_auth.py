"""Who may do what: 401 without a valid token, 403 for a wrong role, 404 for another's resource.

A refusal writes nothing: rows and outbox are counted before and after (the databases are shared
by the whole session, so counts are compared, never expected to be 0).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import jwt
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from services.booking.readmodel import apply_asset_snapshot
from services.costsharing.models import Allocation
from shared.auth import OWNER, PLANNER, mint_token
from shared.db import make_engine, make_session_factory
from shared.settings import DEV_JWT_SECRET, sqlalchemy_url
from tests.support import ALWAYS_AVAILABLE, assert_problem, asset_body, auth, nothing_written

pytestmark = pytest.mark.db


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed(claims: dict[str, Any], secret: str = DEV_JWT_SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "planner-rotterdam",
        "name": "Planner",
        "org": "politie-rotterdam",
        "roles": [PLANNER],
        "iat": now,
        "exp": now + 3600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def unsigned(payload: dict[str, Any]) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def agreement_body() -> dict[str, Any]:
    return {
        "name": f"Convenant {uuid.uuid4().hex[:8]}",
        "legal_basis": "steunverlening",
        # Fully scoped to a made-up unit, so it can never tie with another test's agreement.
        "category": "drone",
        "owner_org": "defensie-dhc",
        "requester_org": f"politie-auth-{uuid.uuid4().hex[:8]}",
        "valid_from": "2026-01-01",
        "price_basis": "full_cost",
        "requester_share_pct": "50.00",
    }


@pytest.fixture(scope="module")
def dhc_asset(db_urls: dict[str, str]) -> str:
    """A DHC helicopter in booking's read model, as the catalog consumer would have put it."""
    asset_id = str(uuid.uuid4())
    engine = make_engine(sqlalchemy_url(db_urls["booking"]), pool_size=1)
    try:
        with make_session_factory(engine)() as session:
            apply_asset_snapshot(
                session,
                {
                    "asset_id": asset_id,
                    "owner_org": "defensie-dhc",
                    "name": "NH90 auth",
                    "category": "helicopter",
                    "booking_mode": "slot",
                    "regions": ["VR10"],
                    "capacity": 1,
                    "readiness_notice": "PT2H",
                    "status": "active",
                    "version": 1,
                    "tariffs": [],
                    "availability": [ALWAYS_AVAILABLE],
                },
            )
            session.commit()
    finally:
        engine.dispose()
    return asset_id


_day = iter(range(10_000))


def booking_body(asset_id: str) -> dict[str, Any]:
    start = (datetime.now(UTC) + timedelta(days=40 + next(_day))).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    return {
        "asset_id": asset_id,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
        "priority": 2,
        "legal_basis": "bijstand_politiewet",
        "purpose": "Observatie drugslab Waalhaven",
        "contact": "OvD Rotterdam 010-1111111",
    }


@pytest.fixture
def rotterdam_booking(clients: dict[str, FlaskClient], dhc_asset: str) -> dict[str, Any]:
    """A fresh request by Rotterdam for DHC's helicopter."""
    response = clients["booking"].post(
        "/api/v1/bookings", headers=auth("planner-rotterdam"), json=booking_body(dhc_asset)
    )
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


# -- 401: who are you? ----------------------------------------------------------------------------
ENDPOINTS = [
    ("catalog", "GET", "/api/v1/assets"),
    ("catalog", "GET", "/api/v1/organisations"),
    ("catalog", "POST", "/api/v1/assets"),
    ("booking", "GET", "/api/v1/bookings"),
    ("booking", "POST", "/api/v1/bookings"),
    ("costsharing", "GET", "/api/v1/agreements"),
    ("costsharing", "GET", "/api/v1/allocations"),
    ("costsharing", "POST", "/api/v1/agreements"),
]

BAD_CREDENTIALS = {
    "no-header": {},
    "basic-scheme": {"Authorization": "Basic cGxhbm5lcjpzZWNyZXQ="},
    "bearer-without-token": {"Authorization": "Bearer "},
    "token-without-scheme": {"Authorization": signed(claims())},
    "not-a-jwt": bearer("not.a.jwt"),
    "bad-signature": bearer(signed(claims(), secret="someone-elses-secret-" + "x" * 20)),
    "tampered-payload": bearer(
        signed(claims()).split(".")[0]
        + "."
        + base64.urlsafe_b64encode(json.dumps(claims(roles=[OWNER])).encode()).rstrip(b"=").decode()
        + "."
        + signed(claims()).split(".")[2]
    ),
    "alg-none": bearer(unsigned(claims())),
    "expired": bearer(
        mint_token(
            sub="planner-rotterdam",
            name="Planner",
            org="politie-rotterdam",
            roles=[PLANNER],
            secret=DEV_JWT_SECRET,
            ttl_s=-60,
        )
    ),
    "no-exp": bearer(signed(claims(exp=None))),
    "no-sub": bearer(signed(claims(sub=None))),
    "no-org": bearer(signed(claims(org=None))),
    "no-roles": bearer(signed(claims(roles=None))),
    "roles-not-a-list": bearer(signed(claims(roles=PLANNER))),
    "org-not-a-string": bearer(signed(claims(org=["politie-rotterdam"]))),
}


@pytest.mark.parametrize(("service", "method", "url"), ENDPOINTS)
@pytest.mark.parametrize("credentials", list(BAD_CREDENTIALS))
def test_without_a_valid_token_it_is_401(
    clients: dict[str, FlaskClient],
    owner_engines: dict[str, Engine],
    service: str,
    method: str,
    url: str,
    credentials: str,
) -> None:
    body = {"assets": asset_body(), "bookings": {}, "agreements": agreement_body()}
    with nothing_written(owner_engines[service]):
        response = clients[service].open(
            url,
            method=method,
            headers=BAD_CREDENTIALS[credentials],
            json=body[url.rsplit("/", 1)[1]] if method == "POST" else None,
        )
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_401_says_why(clients: dict[str, FlaskClient]) -> None:
    def detail(credentials: str) -> str:
        response = clients["booking"].get("/api/v1/bookings", headers=BAD_CREDENTIALS[credentials])
        return str(assert_problem(response, 401)["detail"])

    assert "Bearer" in detail("no-header")
    assert "expired" in detail("expired")
    assert "org" in detail("no-org") and "roles" in detail("no-org")
    assert detail("bad-signature") == "The token is invalid or expired."


def test_a_valid_token_gets_in(clients: dict[str, FlaskClient]) -> None:
    # The control for the 401s above: the same claims, properly signed and in date.
    response = clients["booking"].get("/api/v1/bookings", headers=bearer(signed(claims())))
    assert response.status_code == 200, response.get_json()


def test_the_bad_credentials_really_differ_from_a_good_one_only_in_their_flaw() -> None:
    good = signed(claims())
    assert jwt.decode(good, DEV_JWT_SECRET, algorithms=["HS256"])["org"] == "politie-rotterdam"
    expired = BAD_CREDENTIALS["expired"]["Authorization"].split(" ", 1)[1]
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(expired, DEV_JWT_SECRET, algorithms=["HS256"])


# -- 403: wrong role -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "persona", ["planner-rotterdam", "finance-defensie", "controller", "admin"]
)
def test_only_an_owner_registers_an_asset(
    clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], persona: str
) -> None:
    with nothing_written(owner_engines["catalog"]):
        response = clients["catalog"].post(
            "/api/v1/assets", headers=auth(persona), json=asset_body()
        )
    assert_problem(response, 403)


def test_an_owner_of_an_organisation_unknown_to_the_catalog_is_refused(
    clients: dict[str, FlaskClient], owner_engines: dict[str, Engine]
) -> None:
    token = signed(claims(sub="stranger", org="defensie-onbekend", roles=[OWNER]))
    with nothing_written(owner_engines["catalog"]):
        response = clients["catalog"].post(
            "/api/v1/assets", headers=bearer(token), json=asset_body()
        )
    assert_problem(response, 403)


def test_a_role_the_product_does_not_know_is_refused(
    clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], dhc_asset: str
) -> None:
    token = signed(claims(roles=["burgemeester"]))
    with nothing_written(owner_engines["booking"]):
        response = clients["booking"].post(
            "/api/v1/bookings", headers=bearer(token), json=booking_body(dhc_asset)
        )
    assert_problem(response, 403)


@pytest.mark.parametrize(
    "persona", ["owner-dhc", "owner-duikgroep", "finance-politie", "controller", "admin"]
)
def test_only_a_planner_requests_a_booking(
    clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], dhc_asset: str, persona: str
) -> None:
    with nothing_written(owner_engines["booking"]):
        response = clients["booking"].post(
            "/api/v1/bookings", headers=auth(persona), json=booking_body(dhc_asset)
        )
    assert_problem(response, 403)


@pytest.mark.parametrize(
    "persona", ["planner-rotterdam", "owner-dhc", "finance-politie", "controller"]
)
def test_only_an_administrator_records_an_agreement(
    clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], persona: str
) -> None:
    with nothing_written(owner_engines["costsharing"]):
        response = clients["costsharing"].post(
            "/api/v1/agreements", headers=auth(persona), json=agreement_body()
        )
    assert_problem(response, 403)


def test_the_right_roles_get_through(
    clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], dhc_asset: str
) -> None:
    # The controls for the 403s above.
    assert (
        clients["catalog"]
        .post("/api/v1/assets", headers=auth("owner-dhc"), json=asset_body())
        .status_code
        == 201
    )
    assert (
        clients["booking"]
        .post("/api/v1/bookings", headers=auth("planner-amsterdam"), json=booking_body(dhc_asset))
        .status_code
        == 201
    )
    assert (
        clients["costsharing"]
        .post("/api/v1/agreements", headers=auth("admin"), json=agreement_body())
        .status_code
        == 201
    )


# -- 404: another organisation's booking does not exist for you ----------------------------------
def booking_url(booking: dict[str, Any], suffix: str = "") -> str:
    return f"/api/v1/bookings/{booking['id']}{suffix}"


@pytest.mark.parametrize("persona", ["planner-amsterdam", "owner-duikgroep"])
@pytest.mark.parametrize("suffix", ["", "/history"])
def test_another_organisation_cannot_read_the_booking(
    clients: dict[str, FlaskClient], rotterdam_booking: dict[str, Any], persona: str, suffix: str
) -> None:
    response = clients["booking"].get(booking_url(rotterdam_booking, suffix), headers=auth(persona))
    body = assert_problem(response, 404)
    # Exactly what an id that does not exist at all answers: nothing leaks.
    missing = clients["booking"].get(
        f"/api/v1/bookings/{uuid.uuid4()}{suffix}", headers=auth(persona)
    )
    assert missing.status_code == 404
    assert body["title"] == missing.get_json()["title"]


@pytest.mark.parametrize("persona", ["planner-amsterdam", "owner-duikgroep"])
def test_another_organisation_does_not_see_it_in_lists(
    clients: dict[str, FlaskClient], rotterdam_booking: dict[str, Any], persona: str
) -> None:
    response = clients["booking"].get(
        f"/api/v1/bookings?asset_id={rotterdam_booking['asset_id']}&limit=200",
        headers=auth(persona),
    )
    assert response.status_code == 200
    assert rotterdam_booking["id"] not in {b["id"] for b in response.get_json()["items"]}


@pytest.mark.parametrize(
    ("persona", "action"),
    [
        ("owner-duikgroep", "approve"),  # an owner who does not own the asset
        ("owner-duikgroep", "reject"),
        ("owner-duikgroep", "start"),
        ("planner-amsterdam", "cancel"),  # a unit that did not ask
        ("planner-amsterdam", "approve"),
    ],
)
def test_another_organisation_cannot_act_on_the_booking(
    clients: dict[str, FlaskClient],
    owner_engines: dict[str, Engine],
    rotterdam_booking: dict[str, Any],
    persona: str,
    action: str,
) -> None:
    with nothing_written(owner_engines["booking"]):
        response = clients["booking"].post(
            booking_url(rotterdam_booking, f"/{action}"),
            headers=auth(persona),
            json={"reason": "Niet van ons"},
        )
    assert_problem(response, 404)


@pytest.mark.parametrize(
    ("persona", "action"),
    [
        ("planner-rotterdam", "approve"),  # may see it, but owners decide
        ("planner-rotterdam", "reject"),
        ("owner-dhc", "cancel"),  # owners do not cancel on the unit's behalf
        ("finance-politie", "approve"),  # finance sees every booking, decides none
        ("controller", "cancel"),
        ("admin", "approve"),
    ],
)
def test_a_party_who_may_see_the_booking_but_not_take_the_action_gets_403(
    clients: dict[str, FlaskClient],
    owner_engines: dict[str, Engine],
    rotterdam_booking: dict[str, Any],
    persona: str,
    action: str,
) -> None:
    with nothing_written(owner_engines["booking"]):
        response = clients["booking"].post(
            booking_url(rotterdam_booking, f"/{action}"),
            headers=auth(persona),
            json={"reason": "Niet aan mij"},
        )
    assert_problem(response, 403)


def test_the_owner_and_the_requesting_unit_can_act(
    clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], dhc_asset: str
) -> None:
    booking = clients["booking"]
    first = booking.post(
        "/api/v1/bookings", headers=auth("planner-rotterdam"), json=booking_body(dhc_asset)
    ).get_json()
    approved = booking.post(booking_url(first, "/approve"), headers=auth("owner-dhc"), json={})
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["state"] == "approved"
    cancelled = booking.post(
        booking_url(first, "/cancel"),
        headers=auth("planner-rotterdam"),
        json={"reason": "Verdachte aangehouden"},
    )
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["state"] == "cancelled"


# -- who sees the purpose --------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["planner-rotterdam", "owner-dhc", "controller", "admin"])
def test_the_requesting_unit_the_owner_and_joint_roles_see_the_purpose(
    clients: dict[str, FlaskClient], rotterdam_booking: dict[str, Any], persona: str
) -> None:
    response = clients["booking"].get(booking_url(rotterdam_booking), headers=auth(persona))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["purpose"] == "Observatie drugslab Waalhaven"
    assert response.get_json()["contact"] == "OvD Rotterdam 010-1111111"


@pytest.mark.parametrize("persona", ["finance-politie", "finance-defensie"])
def test_finance_of_another_organisation_sees_the_booking_but_not_its_purpose(
    clients: dict[str, FlaskClient], rotterdam_booking: dict[str, Any], persona: str
) -> None:
    one = clients["booking"].get(booking_url(rotterdam_booking), headers=auth(persona))
    assert one.status_code == 200, one.get_json()
    assert one.get_json()["id"] == rotterdam_booking["id"]
    assert one.get_json()["purpose"] is None
    assert one.get_json()["contact"] is None

    listed = clients["booking"].get(
        f"/api/v1/bookings?asset_id={rotterdam_booking['asset_id']}&limit=200",
        headers=auth(persona),
    )
    assert listed.status_code == 200
    mine = [b for b in listed.get_json()["items"] if b["id"] == rotterdam_booking["id"]]
    assert len(mine) == 1
    assert mine[0]["purpose"] is None and mine[0]["contact"] is None


def test_a_police_unit_never_sees_another_units_purpose_even_with_a_finance_role(
    clients: dict[str, FlaskClient], rotterdam_booking: dict[str, Any]
) -> None:
    # Amsterdam's own finance officer: may see all bookings, never Rotterdam's purpose.
    token = signed(claims(sub="fin-ams", org="politie-amsterdam", roles=["financien"]))
    response = clients["booking"].get(booking_url(rotterdam_booking), headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["purpose"] is None


# -- cost-sharing: another organisation's allocation ---------------------------------------------
@pytest.fixture(scope="module")
def rotterdam_allocation(db_urls: dict[str, str]) -> str:
    allocation_id = uuid.uuid4()
    engine = make_engine(sqlalchemy_url(db_urls["costsharing"]), pool_size=1)
    try:
        with make_session_factory(engine)() as session:
            values: dict[str, Any] = {
                "id": allocation_id,
                "booking_id": uuid.uuid4(),
                "kind": "usage",
                "source_event_id": str(uuid.uuid4()),
                "state": "needs_agreement",
                "requester_org": "politie-rotterdam",
                "owner_org": "defensie-dhc",
                "category": "helicopter",
                "legal_basis": "bijstand_politiewet",
                "usage_quantity": Decimal("2.50"),
                "basis": {"reason": "test"},
                "used_on": date(2026, 6, 1),
                "occurred_at": datetime.now(UTC),
            }
            # Only the columns this version of the table has (it grows with the service).
            columns = Allocation.__table__.columns
            session.add(Allocation(**{k: v for k, v in values.items() if k in columns}))
            session.commit()
    finally:
        engine.dispose()
    return str(allocation_id)


@pytest.mark.parametrize("persona", ["planner-amsterdam", "owner-duikgroep"])
@pytest.mark.parametrize("suffix", ["", "/ledger"])
def test_another_organisations_allocation_is_404(
    clients: dict[str, FlaskClient], rotterdam_allocation: str, persona: str, suffix: str
) -> None:
    response = clients["costsharing"].get(
        f"/api/v1/allocations/{rotterdam_allocation}{suffix}", headers=auth(persona)
    )
    assert_problem(response, 404)


@pytest.mark.parametrize(
    "persona", ["planner-rotterdam", "finance-politie", "finance-defensie", "controller"]
)
def test_the_paying_unit_finance_and_the_controller_see_the_allocation(
    clients: dict[str, FlaskClient], rotterdam_allocation: str, persona: str
) -> None:
    response = clients["costsharing"].get(
        f"/api/v1/allocations/{rotterdam_allocation}", headers=auth(persona)
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["id"] == rotterdam_allocation
