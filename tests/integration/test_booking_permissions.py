"""Who may do what in booking: one test walks every endpoint × every persona.

The scene of every case: politie-rotterdam (planner-rotterdam) requested an asset of
defensie-dhc (owner-dhc). A planner sees and acts on its own unit's bookings only; an owner sees
the requests for its own assets and decides on them; finance and the joint roles read all.
Another organisation's booking does not exist for the caller (404); a role that may see it but
not act on it is refused (403). Every refusal is checked to write nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from shared.personas import PERSONAS
from tests.integration.booking_support import (
    AVAILABILITY,
    BOOKINGS,
    CALENDAR,
    CONTRACTS,
    DEFAULT_PURPOSE,
    ORDERS,
    PENDING,
    SERIES,
    act,
    backdate,
    booking_body,
    booking_engine,
    in_hours,
    order_body,
    put_asset,
    put_contract,
    request_booking,
)
from tests.support import auth, nothing_written, row_counts

pytestmark = pytest.mark.db

# Column order of the matrix below.
COLUMNS = (
    "planner-rotterdam",
    "planner-amsterdam",
    "owner-dhc",
    "owner-duikgroep",
    "finance-politie",
    "finance-defensie",
    "controller",
    "admin",
)
assert set(COLUMNS) == set(PERSONAS), "the matrix must cover every persona"

ANYONE = (200, 200, 200, 200, 200, 200, 200, 200)
SEES_IT = (200, 404, 200, 404, 200, 200, 200, 200)  # requester, owner, finance, joint
OWNER_ACTS = (403, 404, 200, 404, 403, 403, 403, 403)  # only the asset's owner
REQUESTER_ACTS = (200, 404, 403, 404, 403, 403, 403, 403)  # only the requesting unit
PLANNERS_CREATE = (201, 201, 403, 403, 403, 403, 403, 403)
OWNERS_ONLY = (403, 403, 200, 200, 403, 403, 403, 403)

MATRIX: dict[str, tuple[int, ...]] = {
    "GET /availability": ANYONE,
    "GET /bookings": ANYONE,
    "POST /bookings": PLANNERS_CREATE,
    "GET /bookings/{id}": SEES_IT,
    "GET /bookings/{id}/history": SEES_IT,
    "POST /bookings/{id}/approve": OWNER_ACTS,
    "POST /bookings/{id}/reject": OWNER_ACTS,
    "POST /bookings/{id}/counter-offer": OWNER_ACTS,
    "POST /bookings/{id}/accept-counter-offer": REQUESTER_ACTS,
    "POST /bookings/{id}/cancel": REQUESTER_ACTS,
    "POST /bookings/{id}/start": OWNER_ACTS,
    "POST /bookings/{id}/complete": OWNER_ACTS,
    "POST /bookings/{id}/preempt": OWNER_ACTS,
    "GET /approvals/pending": OWNERS_ONLY,
    "POST /series": PLANNERS_CREATE,
    "GET /contracts": ANYONE,
    "GET /orders": ANYONE,
    "POST /orders": PLANNERS_CREATE,
    "GET /orders/{id}": SEES_IT,
    "GET /calendar": ANYONE,
    "GET /calendar/{org}.ics": ANYONE,  # no login: the persona's own secret feed URL
}


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any] | None = None
    query: dict[str, Any] | None = None
    signed_in: bool = True


Scene = Callable[[FlaskClient, dict[str, str], str], Call]


def _requested(
    client: FlaskClient,
    db_urls: dict[str, str],
    *steps: str,
    priority: int = 2,
    purpose: str = DEFAULT_PURPOSE,
) -> tuple[dict[str, Any], Any]:
    """A rotterdam request for a fresh dhc asset, taken through ``steps`` by its parties."""
    start = in_hours(24)
    booking = request_booking(client, put_asset(db_urls), start, priority=priority, purpose=purpose)
    for step in steps:
        persona = "planner-rotterdam" if step == "accept-counter-offer" else "owner-dhc"
        extra = {}
        if step == "counter-offer":
            later = start + timedelta(hours=5)
            extra = {"start": later.isoformat(), "end": (later + timedelta(hours=3)).isoformat()}
        act(client, booking["id"], step, persona=persona, reason="Besluit van de eigenaar", **extra)
    return booking, start


def _transition(
    action: str,
    *steps: str,
    body: Callable[[Any], dict[str, Any]] | None = None,
    after_hours: float = 0,
) -> Scene:
    """A booking taken through ``steps``, then ``after_hours`` later (backdated), ``action``."""

    def scene(client: FlaskClient, db_urls: dict[str, str], persona: str) -> Call:
        booking, start = _requested(client, db_urls, *steps)
        if after_hours:
            backdate(db_urls, booking["id"], after_hours)
            start -= timedelta(hours=after_hours)
        return Call(
            "POST",
            f"{BOOKINGS}/{booking['id']}/{action}",
            body(start) if body else {"reason": "Reden van de partij"},
        )

    return scene


def _preempt(client: FlaskClient, db_urls: dict[str, str], persona: str) -> Call:
    exercise, start = _requested(client, db_urls, "approve", priority=3)
    acute = request_booking(client, exercise["asset_id"], start, priority=1)
    return Call(
        "POST",
        f"{BOOKINGS}/{exercise['id']}/preempt",
        {"by_booking_id": acute["id"], "reason": "Acute inzet, levensgevaar"},
    )


def _read_booking(suffix: str) -> Scene:
    def scene(client: FlaskClient, db_urls: dict[str, str], persona: str) -> Call:
        booking, _ = _requested(client, db_urls)
        return Call("GET", f"{BOOKINGS}/{booking['id']}{suffix}")

    return scene


def _create_booking(client: FlaskClient, db_urls: dict[str, str], persona: str) -> Call:
    return Call("POST", BOOKINGS, booking_body(put_asset(db_urls), in_hours(24)))


def _create_series(client: FlaskClient, db_urls: dict[str, str], persona: str) -> Call:
    body = booking_body(put_asset(db_urls), in_hours(24), priority=3, legal_basis="joint_exercise")
    return Call("POST", SERIES, {**body, "frequency": "weekly", "count": 2})


def _create_order(client: FlaskClient, db_urls: dict[str, str], persona: str) -> Call:
    return Call("POST", ORDERS, order_body(put_contract(db_urls), quantity=2))


def _read_order(client: FlaskClient, db_urls: dict[str, str], persona: str) -> Call:
    response = client.post(
        ORDERS,
        headers=auth("planner-rotterdam"),
        json=order_body(put_contract(db_urls, owner_org="defensie-dhc")),
    )
    assert response.status_code == 201, response.get_json()
    return Call("GET", f"{ORDERS}/{response.get_json()['id']}")


def _feed(client: FlaskClient, db_urls: dict[str, str], persona: str) -> Call:
    _requested(client, db_urls)
    url = client.get(CALENDAR, headers=auth(persona)).get_json()["url"]
    return Call("GET", url[url.index("/api/") :], signed_in=False)


def _plain(method: str, path: str, query: Callable[[], dict[str, Any]] | None = None) -> Scene:
    def scene(client: FlaskClient, db_urls: dict[str, str], persona: str) -> Call:
        return Call(method, path, query=query() if query else None)

    return scene


def _window() -> dict[str, str]:
    start = in_hours(24)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}


def _complete_body(start: Any) -> dict[str, Any]:
    return {
        "actual_start": start.isoformat(),
        "actual_end": (start + timedelta(hours=2)).isoformat(),
    }


def _counter_body(start: Any) -> dict[str, Any]:
    later = start + timedelta(hours=8)
    return {
        "reason": "Middag in plaats van ochtend",
        "start": later.isoformat(),
        "end": (later + timedelta(hours=3)).isoformat(),
    }


SCENES: dict[str, Scene] = {
    "GET /availability": _plain("GET", AVAILABILITY, _window),
    "GET /bookings": _plain("GET", BOOKINGS),
    "POST /bookings": _create_booking,
    "GET /bookings/{id}": _read_booking(""),
    "GET /bookings/{id}/history": _read_booking("/history"),
    "POST /bookings/{id}/approve": _transition("approve", body=lambda _: {}),
    "POST /bookings/{id}/reject": _transition("reject"),
    "POST /bookings/{id}/counter-offer": _transition("counter-offer", body=_counter_body),
    "POST /bookings/{id}/accept-counter-offer": _transition(
        "accept-counter-offer", "counter-offer", body=lambda _: {}
    ),
    "POST /bookings/{id}/cancel": _transition("cancel"),
    "POST /bookings/{id}/start": _transition("start", "approve", body=lambda _: {}),
    "POST /bookings/{id}/complete": _transition(
        "complete", "approve", body=_complete_body, after_hours=30
    ),
    "POST /bookings/{id}/preempt": _preempt,
    "GET /approvals/pending": _plain("GET", PENDING),
    "POST /series": _create_series,
    "GET /contracts": _plain("GET", CONTRACTS),
    "GET /orders": _plain("GET", ORDERS),
    "POST /orders": _create_order,
    "GET /orders/{id}": _read_order,
    "GET /calendar": _plain("GET", CALENDAR),
    "GET /calendar/{org}.ics": _feed,
}
assert set(SCENES) == set(MATRIX)


def _send(client: FlaskClient, call: Call, persona: str | None) -> Any:
    headers = auth(persona) if persona and call.signed_in else {}
    if call.method == "GET":
        return client.get(call.path, headers=headers, query_string=call.query)
    return client.post(call.path, headers=headers, json=call.body or {})


@pytest.mark.parametrize(
    ("endpoint", "persona", "expected"),
    [(e, p, MATRIX[e][i]) for e in MATRIX for i, p in enumerate(COLUMNS)],
    ids=lambda v: str(v).replace(" ", "_") if not isinstance(v, int) else str(v),
)
def test_every_endpoint_for_every_persona(
    clients: dict[str, FlaskClient],
    db_urls: dict[str, str],
    endpoint: str,
    persona: str,
    expected: int,
) -> None:
    client = clients["booking"]
    call = SCENES[endpoint](client, db_urls, persona)
    before = row_counts(booking_engine(db_urls))
    response = _send(client, call, persona)
    assert response.status_code == expected, (endpoint, persona, response.get_data(as_text=True))
    if expected >= 400:
        assert response.mimetype == "application/problem+json"
        assert row_counts(booking_engine(db_urls)) == before, "a refused request wrote something"


@pytest.mark.parametrize("endpoint", [e for e in MATRIX if SCENES[e] is not _feed])
def test_every_endpoint_but_the_feed_needs_a_signed_in_caller(
    clients: dict[str, FlaskClient], db_urls: dict[str, str], endpoint: str
) -> None:
    client = clients["booking"]
    call = SCENES[endpoint](client, db_urls, "planner-rotterdam")
    with nothing_written(booking_engine(db_urls)):
        response = _send(client, call, None)
        assert response.status_code == 401, response.get_json()
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_another_organisations_booking_is_404_like_one_that_does_not_exist(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    booking, _ = _requested(client, db_urls)
    for persona in ("planner-amsterdam", "owner-duikgroep"):
        theirs = client.get(f"{BOOKINGS}/{booking['id']}", headers=auth(persona))
        assert theirs.status_code == 404
        assert booking["purpose"] not in theirs.get_data(as_text=True)
        missing = client.get(f"{BOOKINGS}/{uuid.uuid4()}", headers=auth(persona))
        assert missing.status_code == 404
        assert theirs.get_json()["title"] == missing.get_json()["title"]
        listed = client.get(
            BOOKINGS, headers=auth(persona), query_string={"asset_id": booking["asset_id"]}
        )
        assert listed.get_json() == {"items": [], "next_cursor": None}


def test_a_wrong_role_is_403(clients: dict[str, FlaskClient], db_urls: dict[str, str]) -> None:
    client = clients["booking"]
    booking, _ = _requested(client, db_urls)
    assets = [put_asset(db_urls), put_asset(db_urls)]  # written before counting
    with nothing_written(booking_engine(db_urls)):
        refusals = [
            client.post(
                f"{BOOKINGS}/{booking['id']}/approve", headers=auth("finance-defensie"), json={}
            ),
            client.post(
                f"{BOOKINGS}/{booking['id']}/approve", headers=auth("planner-rotterdam"), json={}
            ),
            client.post(
                f"{BOOKINGS}/{booking['id']}/cancel",
                headers=auth("owner-dhc"),
                json={"reason": "Eigen gebruik"},
            ),
            client.post(
                BOOKINGS,
                headers=auth("owner-dhc"),
                json=booking_body(assets[0], in_hours(24)),
            ),
            client.post(
                BOOKINGS, headers=auth("admin"), json=booking_body(assets[1], in_hours(24))
            ),
            client.get(PENDING, headers=auth("planner-rotterdam")),
            client.get(PENDING, headers=auth("controller")),
        ]
        assert [r.status_code for r in refusals] == [403] * len(refusals)
        assert all(r.get_json()["detail"] for r in refusals)


def test_a_police_unit_never_sees_another_units_purpose(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    secret = f"Observatie {uuid.uuid4().hex[:8]} Spijkenisse"
    booking, _ = _requested(client, db_urls, purpose=secret)
    path = f"{BOOKINGS}/{booking['id']}"

    def purpose(persona: str) -> Any:
        one = client.get(path, headers=auth(persona)).get_json()
        (listed,) = [
            b
            for b in client.get(
                BOOKINGS, headers=auth(persona), query_string={"asset_id": booking["asset_id"]}
            ).get_json()["items"]
            if b["id"] == booking["id"]
        ]
        assert listed["purpose"] == one["purpose"] and listed["contact"] == one["contact"]
        return one["purpose"]

    # The requesting unit and the asset's owner see it, as do the joint roles.
    assert purpose("planner-rotterdam") == secret
    assert purpose("owner-dhc") == secret
    assert purpose("controller") == secret
    assert purpose("admin") == secret
    # Finance reads the booking, but not another unit's purpose or contact.
    assert purpose("finance-politie") is None
    assert purpose("finance-defensie") is None
    # Another police unit does not even see the booking, nor its purpose in any feed.
    assert client.get(path, headers=auth("planner-amsterdam")).status_code == 404
    url = client.get(CALENDAR, headers=auth("planner-amsterdam")).get_json()["url"]
    feed = client.get(url[url.index("/api/") :]).get_data(as_text=True)
    assert booking["id"] not in feed and secret not in feed
