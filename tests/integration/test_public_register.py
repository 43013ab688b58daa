"""The public register of drone deployments (GET /api/v1/public/drone-deployments): no token,
only completed uses of drones that have ended, and nothing personal or free-text in it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from services.booking.domain import PurposeClass
from shared.auth import PLANNER
from shared.tariffs import DUTCH_ZONE as ZONE
from shared.units import HOME_REGIONS
from tests.integration.booking_support import (
    BOOKINGS,
    DEFAULT_PURPOSE,
    act,
    backdate,
    booking_body,
    booking_engine,
    events_of,
    in_hours,
    org_token,
    put_asset,
    request_booking,
)
from tests.support import auth

pytestmark = pytest.mark.db

REGISTER = "/api/v1/public/drone-deployments"
CONTACT = "OvD Rotterdam 010-0000000"
# What must never reach the public: personal data, contact details, the free-text purpose.
PRIVATE_FIELDS = ("purpose", "contact", "requested_by", "requester_org", "actor", "reason")


def completed_use(
    client: FlaskClient,
    db_urls: dict[str, str],
    asset: dict[str, Any],
    headers: dict[str, str] | None = None,
    **body: Any,
) -> tuple[dict[str, Any], datetime]:
    """A drone booking requested (by planner-rotterdam, or with ``headers``), approved,
    started and completed 2 h after it began, 30 h ago; returns the booking and the actual
    start."""
    start = in_hours(24)
    if headers is None:
        booking = request_booking(client, asset, start, **body)
    else:
        made = client.post(BOOKINGS, headers=headers, json=booking_body(asset, start, **body))
        assert made.status_code == 201, made.get_json()
        booking = made.get_json()
    act(client, booking["id"], "approve", persona="owner-dhc")
    act(client, booking["id"], "start", persona="owner-dhc")
    backdate(db_urls, booking["id"], hours=30)
    used = start - timedelta(hours=30)
    done = act(
        client,
        booking["id"],
        "complete",
        persona="owner-dhc",
        actual_start=used.isoformat(),
        actual_end=(used + timedelta(hours=2)).isoformat(),
    )
    assert done["state"] == "completed"
    return done, used


def in_region(client: FlaskClient, region: str) -> set[str]:
    """The ids the register lists under ``region`` (its region filter)."""
    return {item["id"] for item in register_items(client, region=region)}


def register_items(client: FlaskClient, **params: Any) -> list[dict[str, Any]]:
    """Every item of the register (following next_cursor, at most 50 pages), no token."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        response = client.get(REGISTER, query_string={**params, "cursor": cursor or ""})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert set(body) == {"items", "next_cursor"}
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            return items
    raise AssertionError("the register kept giving cursors")


@pytest.fixture
def dhc_drone(db_urls: dict[str, str]) -> dict[str, Any]:
    # owner-dhc decides for defensie-dhc: the demo personas own no other drone organisation.
    # Its home region is none of the regions its uses name or its requesters' home regions.
    return put_asset(
        db_urls, category="drone", name="Drone RPAS", owner_org="defensie-dhc", regions=["VR03"]
    )


def test_a_completed_drone_use_is_published_without_a_token_and_without_private_data(
    clients: dict[str, FlaskClient], db_urls: dict[str, str], dhc_drone: dict[str, Any]
) -> None:
    client = clients["booking"]
    named, used = completed_use(client, db_urls, dhc_drone, region="VR18", purpose_class="search")
    unnamed, _ = completed_use(client, db_urls, dhc_drone, legal_basis="steunverlening")
    homeless, _ = completed_use(
        client, db_urls, dhc_drone, headers=org_token("politie-nieuw", PLANNER)
    )

    items = {item["id"]: item for item in register_items(client)}

    assert items[named["id"]] == {
        "id": named["id"],
        "date": used.astimezone(ZONE).date().isoformat(),
        "category": "drone",
        "region": "VR18",
        "region_source": "request",
        "purpose_class": "search",
        "legal_basis": "bijstand_politiewet",
        "operator_org": "defensie-dhc",
    }
    # No region in the request: where the use counts everywhere else (its region of use),
    # the requesting unit's home region (planner-rotterdam's: VR17), still a region from the
    # request (not saying which unit asked); a unit without one: the drone's first home
    # region, and the register says so.
    assert (items[unnamed["id"]]["region"], items[unnamed["id"]]["region_source"]) == (
        HOME_REGIONS["politie-rotterdam"],
        "request",
    )
    assert unnamed["region_of_use"] == items[unnamed["id"]]["region"]
    assert (items[homeless["id"]]["region"], items[homeless["id"]]["region_source"]) == (
        "VR03",
        "asset",
    )
    assert in_region(client, "VR17") >= {unnamed["id"]}
    assert unnamed["id"] not in in_region(client, "VR03")
    assert items[unnamed["id"]]["purpose_class"] == "other"  # none given: the default
    assert items[unnamed["id"]]["legal_basis"] == "steunverlening"
    raw = client.get(REGISTER).get_data(as_text=True)
    assert DEFAULT_PURPOSE not in raw and CONTACT not in raw and "planner" not in raw
    for item in items.values():
        assert not set(item) & set(PRIVATE_FIELDS)


def test_uses_not_over_or_not_completed_are_not_published(
    clients: dict[str, FlaskClient], db_urls: dict[str, str], dhc_drone: dict[str, Any]
) -> None:
    client = clients["booking"]
    approved = request_booking(client, dhc_drone, in_hours(30))
    act(client, approved["id"], "approve")
    in_use = request_booking(client, dhc_drone, in_hours(40))
    act(client, in_use["id"], "approve")
    act(client, in_use["id"], "start")
    requested = request_booking(client, dhc_drone, in_hours(50))
    # Completed, but its recorded end lies ahead (the API refuses that; the register must
    # not rely on it): not published until that moment has passed.
    not_over, _ = completed_use(client, db_urls, dhc_drone)
    with booking_engine(db_urls).begin() as conn:
        conn.execute(
            text("UPDATE bookings SET actual_end = now() + interval '1 hour' WHERE id = :id"),
            {"id": not_over["id"]},
        )

    published = {item["id"] for item in register_items(client)}

    for booking in (approved, in_use, requested, not_over):
        assert booking["id"] not in published


def test_other_categories_are_not_published(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    helicopter = put_asset(db_urls)  # a helicopter of defensie-dhc
    booking, _ = completed_use(client, db_urls, helicopter)

    assert booking["id"] not in {item["id"] for item in register_items(client)}


def test_filters_and_paging(
    clients: dict[str, FlaskClient], db_urls: dict[str, str], dhc_drone: dict[str, Any]
) -> None:
    client = clients["booking"]
    uses = [
        completed_use(client, db_urls, dhc_drone, region="VR21", purpose_class=purpose)[0]
        for purpose in ("investigation", "event_surveillance", "search")
    ]
    ids = [u["id"] for u in uses]
    in_region = register_items(client, region="VR21", limit=1)  # one per page: 3+ pages
    assert set(ids) <= {item["id"] for item in in_region}
    assert all(item["region"] == "VR21" for item in in_region)
    assert len({item["id"] for item in in_region}) == len(in_region)  # no page repeats one
    day = uses[0]["actual_start"][:10]
    later = (datetime.fromisoformat(day) + timedelta(days=2)).date().isoformat()
    assert not set(ids) & {i["id"] for i in register_items(client, **{"from": later})}
    assert not set(ids) & {i["id"] for i in register_items(client, region="VR22")}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"region": "Rotterdam"}, "region"),
        ({"limit": "101"}, "limit"),
        ({"from": "2026-13-01"}, "from"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"from": "2026-06-02", "to": "2026-06-01"}, "to"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(
    clients: dict[str, FlaskClient], params: dict[str, str], field: str
) -> None:
    response = clients["booking"].get(REGISTER, query_string=params)
    assert response.status_code == 422
    assert response.content_type.startswith("application/problem+json")
    assert field in response.get_json()["errors"]


def test_the_purpose_class_is_kept_and_carried_by_the_events(
    clients: dict[str, FlaskClient], db_urls: dict[str, str], dhc_drone: dict[str, Any]
) -> None:
    client = clients["booking"]
    booking = request_booking(client, dhc_drone, in_hours(60), purpose_class="investigation")
    assert booking["purpose_class"] == "investigation"
    assert (
        client.get(
            f"/api/v1/bookings/{booking['id']}", headers=auth("planner-rotterdam")
        ).get_json()["purpose_class"]
        == "investigation"
    )
    assert events_of(db_urls, booking["id"])[-1]["data"]["purpose_class"] == "investigation"
    refused = client.post(
        "/api/v1/bookings",
        headers=auth("planner-rotterdam"),
        json={**booking_body(dhc_drone, in_hours(70)), "purpose_class": "espionage"},
    )
    assert refused.status_code == 422
    assert "purpose_class" in refused.get_json()["errors"]
    assert {p.value for p in PurposeClass} == {
        "search",
        "event_surveillance",
        "investigation",
        "other",
    }


def test_catalog_names_the_safety_regions_without_a_token(
    clients: dict[str, FlaskClient],
) -> None:
    """The register's region names come from catalog's public reference data."""
    catalog = clients["catalog"]
    public = catalog.get("/api/v1/public/regions")
    assert public.status_code == 200, public.get_json()
    assert public.headers["Cache-Control"] == "public, max-age=300"
    names = {region["code"]: region["name"] for region in public.get_json()["items"]}
    assert {f"VR{n:02d}" for n in range(1, 26)} <= set(names)
    assert names["VR17"] == "Rotterdam-Rijnmond"
    # The same as a signed-in reader's list (a token sent along changes nothing).
    signed_in = catalog.get("/api/v1/regions", headers=auth("planner-rotterdam")).get_json()
    assert public.get_json() == signed_in
    assert catalog.get("/api/v1/public/regions", headers=auth("admin")).get_json() == signed_in
    assert catalog.get("/api/v1/regions").status_code == 401  # the signed-in list stays so
