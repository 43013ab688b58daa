"""The evaluation report against the real PostgreSQL: a baseline quarter and a later one per
safety region (all 25), figures worked out by hand on a constructed set of booking facts
applied through the consumer's handlers, CSV, refused input (422) and who may read it."""

from __future__ import annotations

import csv
import importlib.util
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.costsharing.evaluation import SAFETY_REGIONS, percentile
from tests.integration.costsharing_support import (
    CostsharingDB,
    asset_facts,
    at,
    booking_data,
    completed,
    create_agreement,
    event,
    order_placed,
    scoped_orgs,
    tariff,
)
from tests.support import assert_problem, auth

pytestmark = pytest.mark.db

# No other test has bookings, assets' uses or allocations in 2046.
BASELINE, PERIOD = "2046-Q1", "2046-Q4"
URL = f"/api/v1/evaluation?baseline={BASELINE}&period={PERIOD}"


def decided(
    event_type: str, unit: str, requested: datetime, minutes: float | None, **kw: Any
) -> dict[str, Any]:
    """A booking requested at ``requested`` and decided ``minutes`` later (None: undecided)."""
    data = booking_data(
        requester_org=unit,
        state=event_type.removeprefix("booking."),
        planned_start=requested + timedelta(days=5),
        requested_at=requested,
        decided_at=None if minutes is None else requested + timedelta(minutes=minutes),
        version=2,
        **kw,
    )
    return event(event_type, data)


@pytest.fixture(scope="module")
def report_data(cs: FlaskClient, db: CostsharingDB) -> None:
    """Twente (VR05) active in both quarters, Zeeland (VR19) with one approval in Q4, and an
    order in Q4 (no region). Helicopter: 3900 marginal per flight hour + 1500 fee, police
    pays 100 %, market 11000 per flight hour."""
    unit, owner = scoped_orgs()
    heli_tariff = tariff()
    twente = asset_facts(owner_org=owner, regions=["VR05", "VR04"], tariffs=[heli_tariff])
    zeeland = asset_facts(owner_org=owner, category="drone", regions=["VR19"])
    db.put_asset(twente)
    db.put_asset(zeeland)
    create_agreement(cs, owner_org=owner, valid_from="2046-01-01", valid_to="2047-01-01")
    heli = {"owner_org": owner, "asset_id": twente["asset_id"], "tariff_": heli_tariff}

    def flown(requested: str, minutes: float, hours: str) -> dict[str, Any]:
        asked = at(requested)
        return completed(
            requester_org=unit,
            start=asked + timedelta(days=5),
            usage=hours,
            requested_at=asked,
            decided_at=asked + timedelta(minutes=minutes),
            **heli,
        )

    db.apply(
        # Baseline: one flight of 2 h decided in 30 min (2 × 3900 + 1500 = 9300 paid,
        # 2 × 11000 − 9300 = 12700 avoided), one rejection after 90 min.
        flown("2046-01-10T08:00", 30, "2.00"),
        decided("booking.rejected", unit, at("2046-02-01T08:00"), 90, **heli),
        # Period: three flights of 1 h decided in 10, 20 and 60 min (3 × 5400 = 16200 paid,
        # 33000 − 16200 = 16800 avoided), a rejection after 120 min, one still waiting.
        flown("2046-10-05T08:00", 10, "1.00"),
        flown("2046-10-12T08:00", 60, "1.00"),
        flown("2046-11-02T08:00", 20, "1.00"),
        decided("booking.rejected", unit, at("2046-11-09T08:00"), 120, **heli),
        decided("booking.requested", unit, at("2046-12-01T08:00"), None, **heli),
        decided(
            "booking.approved",
            unit,
            at("2046-10-20T08:00"),
            45,
            owner_org=owner,
            asset_id=zeeland["asset_id"],
            category="drone",
        ),
        # An order: 10 × (95.00 − 80.00) = 150.00 saved, no region.
        order_placed(
            requester_org=unit,
            owner_org=owner,
            quantity=10,
            unit_price="80.00",
            solo_unit_price="95.00",
            ordered_at=at("2046-11-15T09:00"),
        ),
    )


def report(cs: FlaskClient, persona: str = "controller") -> dict[str, Any]:
    response = cs.get(URL, headers=auth(persona))
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


def by_region(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["region"]: row for row in doc["rows"]}


def test_every_safety_region_has_one_row(cs: FlaskClient, report_data: None) -> None:
    doc = report(cs)
    codes = [row["region"] for row in doc["rows"]]
    assert len(codes) == len(set(codes))
    assert set(SAFETY_REGIONS) <= set(codes)
    assert (doc["baseline"], doc["period"]) == (BASELINE, PERIOD)
    quiet = by_region(doc)["VR01"]
    for side in ("baseline", "period"):
        assert quiet[side] == {
            "requests": 0,
            "requests_decided": 0,
            "fulfilled": 0,
            "fulfilled_share": None,
            "decision_minutes_median": None,
            "decision_minutes_p90": None,
            "joint_use_hours": "0.00",
            "avoided_cost": "0.00",
            "procurement_savings": "0.00",
            "police_paid": "0.00",
            "barely_involved": True,
        }


def test_figures_of_an_active_region_side_by_side(cs: FlaskClient, report_data: None) -> None:
    twente = by_region(report(cs))["VR05"]
    assert twente["baseline"] == {
        "requests": 2,
        "requests_decided": 2,
        "fulfilled": 1,
        "fulfilled_share": 0.5,
        "decision_minutes_median": 30.0,  # nearest rank of [30, 90]
        "decision_minutes_p90": 90.0,
        "joint_use_hours": "2.00",
        "avoided_cost": "12700.00",
        "procurement_savings": "0.00",
        "police_paid": "9300.00",
        "barely_involved": True,  # 1 fulfilled < 3
    }
    assert twente["period"] == {
        "requests": 5,
        "requests_decided": 4,
        "fulfilled": 3,
        "fulfilled_share": 0.75,
        "decision_minutes_median": 20.0,  # [10, 20, 60, 120]: rank 2
        "decision_minutes_p90": 120.0,  # rank ceil(3.6) = 4
        "joint_use_hours": "3.00",
        "avoided_cost": "16800.00",
        "procurement_savings": "0.00",
        "police_paid": "16200.00",
        "barely_involved": False,
    }


def test_barely_involved_regions_and_what_has_no_region(cs: FlaskClient, report_data: None) -> None:
    doc = report(cs)
    zeeland = by_region(doc)["VR19"]["period"]
    assert (zeeland["requests"], zeeland["fulfilled"], zeeland["barely_involved"]) == (1, 1, True)
    assert zeeland["decision_minutes_median"] == zeeland["decision_minutes_p90"] == 45.0
    assert doc["barely_involved_below_fulfilled"] == 3
    assert doc["unattributed"]["period"]["procurement_savings"] == "150.00"
    assert doc["unattributed"]["baseline"]["procurement_savings"] == "0.00"
    national = doc["national"]["period"]
    assert national["requests"] == 6 and national["fulfilled"] == 4
    assert national["procurement_savings"] == "150.00"
    assert national["joint_use_hours"] == "3.00"
    assert national["decision_minutes_median"] == 45.0  # [10, 20, 45, 60, 120]


def test_csv_has_a_line_per_region_with_both_periods(cs: FlaskClient, report_data: None) -> None:
    response = cs.get(URL, headers={**auth("finance-politie"), "Accept": "text/csv"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True).removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    lines = {row["region"]: row for row in rows}
    assert set(SAFETY_REGIONS) <= set(lines) and {"unattributed", "national"} <= set(lines)
    assert len(rows) == len(report(cs)["rows"]) + 2
    twente = lines["VR05"]
    assert twente["requests_2046-Q1"] == "2" and twente["requests_2046-Q4"] == "5"
    assert twente["avoided_cost_2046-Q4"] == "16800,00"
    assert twente["fulfilled_share_2046-Q4"] == "0,75"
    assert twente["barely_involved_2046-Q1"] == "ja"
    assert twente["barely_involved_2046-Q4"] == "nee"
    assert lines["VR01"]["decision_minutes_median_2046-Q4"] == ""


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=2046-Q4", "baseline"),
        ("baseline=2046-Q1", "period"),
        ("baseline=2046-Q5&period=2046-Q4", "baseline"),
        ("baseline=2046-Q1&period=Q4-2046", "period"),
        ("baseline=2045&period=2046", "baseline"),
        ("baseline=2046-01&period=2046-Q4", "period"),
        ("baseline=2046-Q4&period=2046-Q1", "baseline"),
        ("baseline=2046-Q4&period=2046-Q4", "baseline"),
        ("baseline=0000-Q1&period=2046-Q4", "baseline"),
    ],
)
def test_refused_periods_are_422_naming_the_field(cs: FlaskClient, query: str, field: str) -> None:
    response = cs.get(f"/api/v1/evaluation?{query}", headers=auth("controller"))
    assert_problem(response, 422, field)


def test_a_refusal_in_dutch(cs: FlaskClient) -> None:
    response = cs.get(
        "/api/v1/evaluation?baseline=2046-Q4&period=2046-Q1",
        headers={**auth("admin"), "Accept-Language": "nl"},
    )
    body = assert_problem(response, 422, "baseline")
    assert body["detail"] == "De nulmeting ligt vóór de periode waarmee ze wordt vergeleken."


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("finance-politie", 200),
        ("finance-defensie", 200),
        ("controller", 200),
        ("admin", 200),
        ("planner-rotterdam", 403),
        ("owner-dhc", 403),
    ],
)
def test_who_may_read_the_report(cs: FlaskClient, persona: str, status: int) -> None:
    response = cs.get(URL, headers=auth(persona))
    assert response.status_code == status, response.get_json()


def test_without_a_token_it_is_401(cs: FlaskClient) -> None:
    assert_problem(cs.get(URL), 401)


def test_the_region_codes_match_catalogs_seed() -> None:
    """Cost-sharing carries the 25 codes itself: they are catalog's (its migration 0001)."""
    root = Path(__file__).resolve().parents[2]
    path = root / "services/catalog/migrations/versions/0001_initial.py"
    spec = importlib.util.spec_from_file_location("catalog_0001", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert tuple(code for code, _name in module.SAFETY_REGIONS) == SAFETY_REGIONS


def test_percentile_is_the_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert percentile([float(n) for n in range(1, 12)], 0.9) == 10.0


def test_months_compare_as_quarters_do(cs: FlaskClient, report_data: None) -> None:
    response = cs.get(
        "/api/v1/evaluation?baseline=2046-01&period=2046-10", headers=auth("controller")
    )
    assert response.status_code == 200, response.get_json()
    twente = by_region(response.get_json())["VR05"]
    # January: the 2 h flight only (the rejection was asked in February).
    assert (twente["baseline"]["requests"], twente["baseline"]["joint_use_hours"]) == (1, "2.00")
    # October: the flights asked on the 5th and the 12th, decided in 10 and 60 minutes.
    assert twente["period"]["requests"] == 2
    assert twente["period"]["decision_minutes_median"] == 10.0
    assert twente["period"]["decision_minutes_p90"] == 60.0
