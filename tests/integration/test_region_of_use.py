"""A use counts where it was used (issue 14): efficiency by region and the evaluation count a
booking under its region of use (the region its request named, else the requesting unit's
home region) and an order under the ordering unit's home region, no longer under the
asset's first listed region or 'unknown'. Events go through the consumer's handlers into the
real PostgreSQL; booking's read of a request shows the region its use counts in."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.costsharing.evaluation import SAFETY_REGIONS
from shared.events import validate_event
from shared.units import HOME_REGIONS
from tests.integration.booking_support import BOOKINGS, in_hours, put_asset, request_booking
from tests.integration.costsharing_support import (
    CostsharingDB,
    asset_facts,
    at,
    completed,
    create_agreement,
    one_off,
    order_placed,
    scoped_orgs,
    tariff,
)
from tests.support import auth

pytestmark = pytest.mark.db

# No other test has bookings, assets' uses or allocations in 2048.
BASELINE, PERIOD = "2048-Q1", "2048-Q2"


@pytest.fixture(scope="module")
def uses(cs: FlaskClient, db: CostsharingDB) -> None:
    """An NH90 based at De Kooy that serves VR01 (its first listed region) and VR10, published
    for 10 hours in the period, and in the period:
    - a flight of 2 h whose request named VR10 (by a unit without a home region);
    - a flight of 1 h whose request named no region, by Eenheid Limburg (home VR24);
    - a flight of 3 h with no region of use (a unit without a home region named none; facts
      kept before migration 0007 have none either): under the asset's first region, VR01;
    - an order by Eenheid Amsterdam (home VR13): 10 × (95.00 − 80.00) = 150.00 saved."""
    unit, owner = scoped_orgs()
    heli_tariff = tariff()
    published = one_off(at("2048-05-01T06:00"), at("2048-05-01T16:00"))
    nh90 = asset_facts(
        owner_org=owner, regions=["VR01", "VR10"], tariffs=[heli_tariff], availability=[published]
    )
    db.put_asset(nh90)
    create_agreement(cs, owner_org=owner, valid_from="2048-01-01", valid_to="2049-01-01")
    heli = {"owner_org": owner, "asset_id": nh90["asset_id"], "tariff_": heli_tariff}
    events = [
        completed(
            requester_org=unit, start=at("2048-05-10T08:00"), usage="2.00", region="VR10", **heli
        ),
        completed(
            requester_org="politie-limburg", start=at("2048-05-17T08:00"), usage="1.00", **heli
        ),
        completed(requester_org=unit, start=at("2048-05-24T08:00"), usage="3.00", **heli),
        order_placed(
            requester_org="politie-amsterdam",
            owner_org=owner,
            quantity=10,
            unit_price="80.00",
            solo_unit_price="95.00",
            ordered_at=at("2048-05-15T09:00"),
        ),
    ]
    for evt in events:
        validate_event(evt)  # as booking sends them
    db.apply(*events)
    fallback = events[2]["data"]["booking_id"]
    assert db.scalar("SELECT region FROM booking_facts WHERE booking_id = :b", b=fallback) is None


def efficiency_by_region(cs: FlaskClient) -> dict[str, dict[str, Any]]:
    response = cs.get(
        "/api/v1/efficiency",
        query_string={"period": PERIOD, "group_by": "region"},
        headers=auth("controller"),
    )
    assert response.status_code == 200, response.get_json()
    return {row["region"]: row for row in response.get_json()["rows"]}


def evaluation(cs: FlaskClient) -> dict[str, Any]:
    response = cs.get(
        "/api/v1/evaluation",
        query_string={"baseline": BASELINE, "period": PERIOD},
        headers=auth("controller"),
    )
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


def test_efficiency_counts_a_use_where_it_was_used(cs: FlaskClient, uses: None) -> None:
    rows = efficiency_by_region(cs)
    # The named region: 2 h flown, 4 h booked (the planned window), one request decided.
    named = rows["VR10"]
    assert (named["joint_use_hours"], named["booked_hours"], named["requests_decided"]) == (
        "2.00",
        4.0,
        1,
    )
    assert named["published_hours"] == 0.0  # capacity counts where the asset is based
    # No region named: the requesting unit's home region.
    assert rows["VR24"]["joint_use_hours"] == "1.00"
    # The order: the ordering unit's home region, not 'unknown'.
    assert rows["VR13"]["procurement_savings"] == "150.00"
    assert "unknown" not in rows
    # The asset's first region keeps its published capacity and the fact without a region.
    home = rows["VR01"]
    assert (home["published_hours"], home["joint_use_hours"], home["requests_decided"]) == (
        10.0,
        "3.00",
        1,
    )


def test_the_evaluation_counts_a_use_where_it_was_used(cs: FlaskClient, uses: None) -> None:
    doc = evaluation(cs)
    regions = {row["region"]: row["period"] for row in doc["rows"]}
    # All 25 safety regions (other tests' assets may add codes of their own beside them).
    assert {f"VR{n:02d}" for n in range(1, 26)} <= set(regions)
    assert (regions["VR10"]["requests"], regions["VR10"]["joint_use_hours"]) == (1, "2.00")
    assert (regions["VR24"]["requests"], regions["VR24"]["joint_use_hours"]) == (1, "1.00")
    assert (regions["VR01"]["requests"], regions["VR01"]["joint_use_hours"]) == (1, "3.00")
    assert regions["VR13"]["procurement_savings"] == "150.00"
    unattributed = doc["unattributed"]["period"]
    assert (unattributed["requests"], unattributed["procurement_savings"]) == (0, "0.00")
    national = doc["national"]["period"]
    assert (national["requests"], national["joint_use_hours"]) == (3, "6.00")
    assert national["procurement_savings"] == "150.00"


def test_a_request_shows_the_region_its_use_counts_in(
    clients: dict[str, FlaskClient], db_urls: dict[str, str]
) -> None:
    client = clients["booking"]
    nh90 = put_asset(db_urls, regions=["VR01", "VR10"])
    unnamed = request_booking(client, nh90, in_hours(48))
    named = request_booking(client, nh90, in_hours(60), region="VR10")
    # planner-rotterdam plans for Eenheid Rotterdam, whose home region is VR17.
    assert (unnamed["region"], unnamed["region_of_use"]) == (
        None,
        HOME_REGIONS["politie-rotterdam"],
    )
    assert (named["region"], named["region_of_use"]) == ("VR10", "VR10")
    for made in (unnamed, named):
        read = client.get(f"{BOOKINGS}/{made['id']}", headers=auth("planner-rotterdam"))
        assert read.status_code == 200, read.get_json()
        assert read.get_json()["region_of_use"] == made["region_of_use"]
    assert HOME_REGIONS["politie-rotterdam"] == "VR17"


def test_every_police_unit_has_a_home_safety_region_of_catalogs_seed() -> None:
    """The 11 units (catalog's seeded police organisations bar the finance office) each have
    a home region, one of the 25 safety regions; no other organisation has one."""
    path = Path(__file__).resolve().parents[2] / "services/catalog/migrations/versions"
    spec = importlib.util.spec_from_file_location("catalog_0001", path / "0001_initial.py")
    assert spec and spec.loader
    catalog_seed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(catalog_seed)
    units = {org for org, _name, kind in catalog_seed.ORGANISATIONS if kind == "politie"} - {
        "politie-financien"
    }
    assert set(HOME_REGIONS) == units and len(units) == 11
    assert set(HOME_REGIONS.values()) <= set(SAFETY_REGIONS)
