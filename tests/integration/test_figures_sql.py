"""The national figures added up by the database (services/costsharing/figures_sql.py) are
the figures cost-sharing worked out row by row in Python before (figures_reference.py, the
old code): generated booking facts, allocations (with a dispute resolved, so reversal and
correction lines count) and orders in 2052, every grouping of several periods and the
evaluation compared figure by figure."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from services.costsharing.efficiency import GROUPS, efficiencies, efficiency
from services.costsharing.evaluation import MONEY, evaluation, percentile
from shared.units import HOME_REGIONS
from tests.integration.costsharing_support import (
    CostsharingDB,
    asset_facts,
    at,
    booking_data,
    completed,
    create_agreement,
    event,
    order_placed,
    review,
    scoped_orgs,
    tariff,
    weekly,
)
from tests.integration.figures_reference import reference_efficiency, reference_requests
from tests.support import assert_problem, auth

pytestmark = pytest.mark.db

# No other test has bookings, assets' uses or allocations in 2052.
PERIODS = ("2052-Q1", "2052-Q2", "2052-02", "2052")
STATES = ("rejected", "cancelled", "expired", "approved", "requested", "counter_offered")


def _extras(state: str, start: Any) -> dict[str, Any]:
    """What the state's event carries besides the booking (its contract)."""
    if state == "counter_offered":
        later = {"start": start + timedelta(hours=2), "end": start + timedelta(hours=4)}
        return {
            "counter_offer": {
                "asset_id": str(uuid.uuid4()),
                **{k: v.isoformat() for k, v in later.items()},
            }
        }
    if state == "cancelled":
        return {"cancelled_from": "approved", "hours_before_start": 100}
    return {}


def _generated(rng: random.Random, owner: str, assets: list[dict[str, Any]]) -> list[Any]:
    """200 bookings in the first half of 2052 (completed ones priced), 20 orders."""
    units = [*sorted(HOME_REGIONS), scoped_orgs()[0]]  # the last has no home region
    events = []
    for _ in range(200):
        asset = rng.choice(assets)
        requested = at("2052-01-01T00:00") + timedelta(minutes=rng.randrange(0, 250_000))
        start = requested + timedelta(hours=rng.randrange(1, 400))
        decided = requested + timedelta(seconds=rng.randrange(30, 90_000))
        common: dict[str, Any] = {
            "requester_org": rng.choice(units),
            "owner_org": owner,
            "asset_id": asset["asset_id"],
            "category": asset["category"],
            "region": rng.choice([None, "VR05", "VR19", "VR99"]),  # VR99: a region added later
            "priority": rng.choice([1, 2, 2]),
            "escalated_at": rng.choice([None, None, decided.isoformat()]),
            "quantity": rng.choice([1, 1, 2]),
            "requested_at": requested,
        }
        if rng.random() < 0.5:
            usage = f"{rng.randrange(1, 24) / 4:.2f}"
            events.append(completed(start=start, usage=usage, decided_at=decided, **common))
            continue
        state = rng.choice(STATES)
        undecided = state in ("requested", "counter_offered")
        data = booking_data(
            state=state,
            planned_start=start,
            planned_hours=rng.randrange(1, 30),
            decided_at=None if undecided else decided,
            version=2,
            **common,
            **_extras(state, start),
        )
        events.append(event(f"booking.{state}", data))
    for _ in range(20):
        events.append(
            order_placed(
                requester_org=rng.choice(units),
                owner_org=owner,
                quantity=rng.randrange(1, 50),
                unit_price="80.00",
                solo_unit_price=rng.choice(["95.00", "80.00", "101.50"]),
                ordered_at=at("2052-01-02T09:00") + timedelta(hours=rng.randrange(0, 4000)),
            )
        )
    return events


@pytest.fixture(scope="module")
def year_2052(cs: FlaskClient, db: CostsharingDB) -> None:
    _unit, owner = scoped_orgs()
    heli = tariff()
    published = weekly([1, 2, 3, 4, 5], "08:00", "17:00", "2052-01-01", "2052-12-31")
    assets = [
        asset_facts(owner_org=owner, regions=["VR05", "VR04"], tariffs=[heli],
                    availability=[published], capacity=2),
        asset_facts(owner_org=owner, category="drone", regions=["VR19"], tariffs=[heli],
                    availability=[published]),
    ]  # fmt: skip
    for asset in assets:
        db.put_asset(asset)
    create_agreement(cs, owner_org=owner, valid_from="2052-01-01", valid_to="2053-01-01")
    db.apply(*_generated(random.Random(2052), owner, assets))
    # One dispute resolved: its reversal and correction lines change what the police paid.
    disputed = db.rows(
        "SELECT id FROM allocations WHERE owner_org = :o AND kind = 'usage' "
        "AND requester_org LIKE 'politie-%' ORDER BY used_on LIMIT 1",
        o=owner,
    )[0]["id"]
    disputing = review(cs, disputed, "dispute", persona="finance-politie", reason="Te hoog")
    assert disputing.status_code == 200, disputing.get_json()
    resolved = review(cs, disputed, "resolve", reason="Gedeeld", requester_amount="100.00")
    assert resolved.status_code == 200, resolved.get_json()
    assert db.scalar("SELECT count(*) FROM ledger_entries WHERE entry <> 'original'") > 0


def test_every_grouping_is_the_row_by_row_figure(db: CostsharingDB, year_2052: None) -> None:
    with Session(db.engine) as session:
        for period in PERIODS:
            for group_by in GROUPS:
                old = reference_efficiency(session, period=period, group_by=group_by)
                assert efficiency(session, period=period, group_by=group_by) == old
                assert any(row["requests_decided"] for row in old["rows"])
        asked = [(p, g) for p in PERIODS for g in GROUPS]
        assert efficiencies(session, asked) == [
            reference_efficiency(session, period=p, group_by=g) for p, g in asked
        ]


def test_the_evaluation_is_the_row_by_row_figure(db: CostsharingDB, year_2052: None) -> None:
    with Session(db.engine) as session:
        report = evaluation(session, baseline="2052-Q1", period="2052-Q2")
        for side, period in (("baseline", "2052-Q1"), ("period", "2052-Q2")):
            requests = reference_requests(session, period)
            money = {
                row["region"]: row
                for row in reference_efficiency(session, period=period, group_by="region")["rows"]
            }
            lines = {r["region"]: r[side] for r in report["rows"]}
            lines["unknown"] = report["unattributed"][side]
            for key, figures in requests.items():
                if key == "national":
                    continue
                got = lines[key]
                assert got["requests"] == figures["requests"]
                assert got["requests_decided"] == figures["decided"]
                assert got["fulfilled"] == figures["fulfilled"]
                for name, share in (("median", 0.5), ("p90", 0.9)):
                    value = percentile(figures["minutes"], share)
                    expected = None if value is None else round(value, 1)
                    assert got[f"decision_minutes_{name}"] == expected
            for key, row in money.items():
                for figure in ("joint_use_hours", *MONEY):
                    assert lines[key][figure] == row[figure]
            national = report["national"][side]
            assert national["requests"] == requests["national"]["requests"]
            assert national["police_paid"] == str(
                sum((Decimal(r["police_paid"]) for r in money.values()), Decimal(0))
            )


def test_a_batch_answers_as_each_query_would(cs: FlaskClient, year_2052: None) -> None:
    asked = [("2052-Q1", g) for g in GROUPS] + [("2052-Q2", "category"), ("2052-02", "region")]
    body = {"items": [{"period": p, "group_by": g} for p, g in asked]}
    batch = cs.post("/api/v1/efficiency/batch", json=body, headers=auth("controller"))
    assert batch.status_code == 200, batch.get_json()
    singles = [
        cs.get(
            "/api/v1/efficiency",
            query_string={"period": p, "group_by": g},
            headers=auth("finance-defensie"),
        ).get_json()
        for p, g in asked
    ]
    assert batch.get_json() == {"items": singles}


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([{"period": "2052-Q1"}, {"period": "2052-Q5", "group_by": "owner"}], "items.1.period"),
        ([{"period": "2052-Q1", "group_by": "colour"}], "items.0.group_by"),
        ([], "items"),
        ([{"period": "2052-Q1"}] * 21, "items"),
    ],
)
def test_a_malformed_batch_is_refused_naming_the_item(
    cs: FlaskClient, items: list[dict[str, str]], field: str
) -> None:
    answer = cs.post("/api/v1/efficiency/batch", json={"items": items}, headers=auth("controller"))
    assert field in assert_problem(answer, 422)["errors"]


def test_a_batch_is_read_by_finance_and_administrators_only(cs: FlaskClient) -> None:
    body = {"items": [{"period": "2052-Q1", "group_by": "owner"}]}
    answer = cs.post("/api/v1/efficiency/batch", json=body, headers=auth("planner-rotterdam"))
    assert_problem(answer, 403)
