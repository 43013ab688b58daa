"""Cost sharing against the real PostgreSQL: agreements, estimates, allocations and the ledger,
finance review, statements (JSON and CSV), efficiency figures, and refused input.

Booking events go through the consumer's handler table (see costsharing_support). Amounts are
worked out by hand in each test, so a wrong rate, share or rounding fails here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from shared.personas import PERSONAS
from tests.integration.costsharing_support import (
    CostsharingDB,
    D,
    agreement_body,
    amounts,
    amsterdam,
    asset_facts,
    at,
    balance,
    blackout,
    booking_data,
    cancelled,
    colleague_of,
    completed,
    create_agreement,
    create_cancellation_agreement,
    event,
    one_off,
    order_placed,
    preempted,
    review,
    review_as,
    scoped_orgs,
    source_id,
    tariff,
    weekly,
)
from tests.support import assert_problem, auth, nothing_written, writes

pytestmark = pytest.mark.db


def allocation_api(cs: FlaskClient, booking_id: str, kind: str = "usage") -> dict[str, Any]:
    response = cs.get(f"/api/v1/allocations?booking_id={booking_id}", headers=auth("controller"))
    assert response.status_code == 200, response.get_json()
    found = [a for a in response.get_json()["items"] if a["kind"] == kind]
    assert len(found) == 1, response.get_json()
    return dict(found[0])


def ledger_api(cs: FlaskClient, allocation_id: str) -> list[dict[str, Any]]:
    response = cs.get(f"/api/v1/allocations/{allocation_id}/ledger", headers=auth("controller"))
    assert response.status_code == 200, response.get_json()
    return list(response.get_json()["items"])


# == agreements ==================================================================================
def test_an_administrator_records_an_agreement_everyone_signed_in_reads(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    requester, owner = scoped_orgs()
    with writes(db.engine, agreements=1, agreement_versions=1):
        created = create_agreement(
            cs,
            category="helicopter",
            owner_org=owner,
            requester_org=requester,
            price_basis="full_cost",
            requester_share_pct="62.5",
        )
    assert created["version"] == 1
    assert (created["price_basis"], created["requester_share_pct"]) == ("full_cost", "62.50")
    assert (created["cancellation_free_hours"], created["cancellation_pct"]) == (48, "25.00")
    for persona in PERSONAS:
        one = cs.get(f"/api/v1/agreements/{created['id']}", headers=auth(persona))
        assert one.status_code == 200, (persona, one.get_json())
        assert one.headers["ETag"] == '"v1"'
        assert one.get_json() == created
        listed = cs.get("/api/v1/agreements", headers=auth(persona))
        assert created["id"] in {a["id"] for a in listed.get_json()["items"]}


def test_the_most_specific_valid_agreement_wins(cs: FlaskClient, db: CostsharingDB) -> None:
    unit, owner = scoped_orgs()
    other_unit, _ = scoped_orgs()
    year = {"valid_from": "2088-01-01", "valid_to": "2089-01-01"}
    by_owner = create_agreement(
        cs, owner_org=owner, price_basis="full_cost", requester_share_pct="10", **year
    )
    by_owner_category = create_agreement(
        cs,
        owner_org=owner,
        category="helicopter",
        price_basis="full_cost",
        requester_share_pct="20",
        **year,
    )
    exact = create_agreement(
        cs,
        owner_org=owner,
        category="helicopter",
        requester_org=unit,
        price_basis="full_cost",
        requester_share_pct="30",
        valid_from="2088-03-01",
        valid_to="2089-01-01",
    )
    # As specific as can be, but only valid in January: it wins then and gives way after.
    january_drones = create_agreement(
        cs,
        owner_org=owner,
        category="drone",
        requester_org=unit,
        price_basis="full_cost",
        requester_share_pct="40",
        valid_from="2088-01-01",
        valid_to="2088-02-01",
    )
    mine = {a["id"] for a in (by_owner, by_owner_category, exact, january_drones)}

    def use(requester: str, category: str, day: str, legal_basis: str = "bijstand_politiewet"):
        return completed(
            requester_org=requester,
            owner_org=owner,
            category=category,
            legal_basis=legal_basis,
            start=at(f"{day}T09:00"),
            usage="2.00",
        )

    cases = [
        (use(unit, "helicopter", "2088-06-01"), exact, "30"),
        (use(other_unit, "helicopter", "2088-06-01"), by_owner_category, "20"),
        (use(unit, "helicopter", "2088-02-15"), by_owner_category, "20"),  # before exact starts
        (use(unit, "drone", "2088-01-15"), january_drones, "40"),
        (use(unit, "drone", "2088-06-01"), by_owner, "10"),  # january_drones has ended
    ]
    db.apply(*(evt for evt, _, _ in cases))
    for evt, expected, share in cases:
        allocation = allocation_api(cs, source_id(evt))
        assert allocation["agreement_id"] == expected["id"], (evt["data"], allocation)
        assert allocation["agreement_version"] == 1
        total = D("2.00") * D("9800.00") + D("1500.00")  # full cost × usage + mobilisation
        assert D(allocation["total"]) == total
        assert D(allocation["requester_amount"]) == total * D(share) / 100
        assert allocation["basis"]["requester_share_pct"] == f"{share}.00"

    # Another legal basis: none of these agreements applies, whatever else may.
    other_basis = use(unit, "helicopter", "2088-06-01", legal_basis="steunverlening")
    db.apply(other_basis)
    assert allocation_api(cs, source_id(other_basis))["agreement_id"] not in mine


def test_equally_specific_agreements_that_could_cover_one_booking_are_refused(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    # A DHC helicopter would fall under both with the same specificity: choosing is a guess.
    helicopters = create_agreement(
        cs,
        category="helicopter",
        legal_basis="icms_guaranteed",
        valid_from="2090-01-01",
        valid_to="2091-01-01",
    )
    with nothing_written(db.engine):
        response = cs.post(
            "/api/v1/agreements",
            headers=auth("admin"),
            json={
                **agreement_body(
                    owner_org="defensie-dhc",
                    legal_basis="icms_guaranteed",
                    valid_from="2090-06-01",
                    valid_to="2090-09-01",
                )
            },
        )
    assert assert_problem(response, 409)["conflicting_agreement"] == helicopters["id"]

    # The controls: after it ends, under another basis, or more specific, they may coexist.
    later = create_agreement(
        cs,
        owner_org="defensie-dhc",
        legal_basis="icms_guaranteed",
        valid_from="2091-01-01",
        valid_to="2092-01-01",
    )
    create_agreement(
        cs,
        owner_org="defensie-dhc",
        legal_basis="joint_exercise",
        valid_from="2090-06-01",
        valid_to="2090-09-01",
        price_basis="free",
        requester_share_pct="0",
    )
    create_agreement(
        cs,
        owner_org="defensie-dhc",
        category="helicopter",
        legal_basis="icms_guaranteed",
        valid_from="2090-06-01",
        valid_to="2090-09-01",
    )

    # A new version that would make them overlap is refused just the same.
    with nothing_written(db.engine):
        response = cs.patch(
            f"/api/v1/agreements/{helicopters['id']}",
            headers={**auth("admin"), "If-Match": '"v1"'},
            json={"valid_to": "2091-06-01"},
        )
    assert assert_problem(response, 409)["conflicting_agreement"] == later["id"]


def test_a_new_version_does_not_reprice_what_was_allocated(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    unit, owner = scoped_orgs()
    agreement = create_agreement(
        cs, owner_org=owner, requester_org=unit, valid_from="2087-01-01", valid_to="2088-01-01"
    )
    before = completed(
        requester_org=unit, owner_org=owner, start=at("2087-03-01T10:00"), usage="3.00"
    )
    db.apply(before)
    first = allocation_api(cs, source_id(before))
    assert (first["agreement_version"], first["total"], first["requester_amount"]) == (
        1,
        "13200.00",
        "13200.00",
    )  # 3 × 3900 + 1500, police pays all
    ledger_before = ledger_api(cs, first["id"])

    url = f"/api/v1/agreements/{agreement['id']}"
    change = {"price_basis": "full_cost", "requester_share_pct": "40", "charge_mobilisation": False}
    with nothing_written(db.engine):
        assert_problem(cs.patch(url, headers=auth("admin"), json=change), 428)
        assert_problem(
            cs.patch(url, headers={**auth("admin"), "If-Match": '"v7"'}, json=change), 412
        )
    with writes(db.engine, agreements=0, agreement_versions=1):
        patched = cs.patch(url, headers={**auth("admin"), "If-Match": '"v1"'}, json=change)
    assert patched.status_code == 200, patched.get_json()
    assert patched.headers["ETag"] == '"v2"'
    assert patched.get_json()["version"] == 2
    versions = db.rows(
        "SELECT version, terms FROM agreement_versions WHERE agreement_id = :a ORDER BY version",
        a=agreement["id"],
    )
    assert [
        (v["version"], v["terms"]["requester_share_pct"], v["terms"]["price_basis"])
        for v in versions
    ] == [(1, "100.00", "marginal_cost"), (2, "40.00", "full_cost")]

    # What was allocated keeps its version, amounts and ledger.
    assert allocation_api(cs, source_id(before)) == first
    assert ledger_api(cs, first["id"]) == ledger_before

    after = completed(
        requester_org=unit, owner_org=owner, start=at("2087-06-01T10:00"), usage="3.00"
    )
    db.apply(after)
    second = allocation_api(cs, source_id(after))
    assert second["agreement_id"] == agreement["id"]
    assert (
        second["agreement_version"],
        second["total"],
        second["requester_amount"],
        second["owner_amount"],
    ) == (2, "29400.00", "11760.00", "17640.00")  # 3 × 9800


def test_a_use_no_agreement_covers_waits_for_finance_never_a_guessed_price(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    unit, owner = scoped_orgs()
    # 2025: before any agreement in this database (demo agreements start in 2026).
    use = completed(
        requester_org=unit,
        owner_org=owner,
        start=at("2025-06-01T10:00"),
        usage="2.00",
        legal_basis="steunverlening",
    )
    with writes(db.engine, allocations=1, booking_facts=1, outbox=1):
        db.apply(use)
    allocation = allocation_api(cs, source_id(use))
    assert allocation["state"] == "needs_agreement"
    assert (
        allocation["agreement_id"],
        allocation["total"],
        allocation["requester_amount"],
        allocation["owner_amount"],
    ) == (None, None, None, None)
    assert ledger_api(cs, allocation["id"]) == []

    # Finance settles it by naming an agreement: priced then, by correcting entries only.
    agreement = create_agreement(
        cs,
        owner_org=owner,
        requester_org=unit,
        legal_basis="steunverlening",
        price_basis="full_cost",
        requester_share_pct="50",
        valid_from="2025-01-01",
        valid_to="2025-02-01",
    )
    resolved = review(
        cs,
        allocation["id"],
        "resolve",
        reason="Steunverlening afgesproken",
        agreement_id=agreement["id"],
    )
    assert resolved.status_code == 200, resolved.get_json()
    body = resolved.get_json()
    assert (body["state"], body["total"], body["requester_amount"], body["owner_amount"]) == (
        "resolved",
        "21100.00",
        "10550.00",
        "10550.00",
    )  # 2 × 9800 + 1500, half each
    assert body["agreement_id"] == agreement["id"]
    assert amounts(ledger_api(cs, allocation["id"])) == {
        ("correction", unit, "debit", "requester_share", D("10550.00")),
        ("correction", owner, "debit", "owner_borne", D("10550.00")),
        ("correction", owner, "credit", "provision", D("21100.00")),
    }


# == estimates ===================================================================================
def test_an_estimate_returns_the_cost_and_the_split(cs: FlaskClient, db: CostsharingDB) -> None:
    unit, owner = scoped_orgs()
    asset = asset_facts(
        owner_org=owner,
        tariffs=[
            tariff(valid_from="2086-01-01", valid_to="2086-07-01"),
            tariff(valid_from="2086-07-01", full_cost_rate="10400.00", mobilisation_fee="1600.00"),
        ],
    )
    db.put_asset(asset)
    agreement = create_agreement(
        cs,
        owner_org=owner,
        requester_org=unit,
        legal_basis="steunverlening",
        price_basis="full_cost",
        requester_share_pct="50",
        valid_from="2086-01-01",
    )

    def estimate(
        start: str, hours: float, persona: str = "planner-rotterdam", **extra: Any
    ) -> dict[str, Any]:
        begin = at(start)
        body = {
            "asset_id": asset["asset_id"],
            "start": begin.isoformat(),
            "end": (begin + timedelta(hours=hours)).isoformat(),
            "legal_basis": "steunverlening",
            "requester_org": unit,
            **extra,
        }
        with nothing_written(db.engine):
            response = cs.post("/api/v1/estimates", headers=auth(persona), json=body)
        assert response.status_code == 200, response.get_json()
        return dict(response.get_json())

    spring = estimate("2086-03-02T08:00", 3)
    assert spring["covered"] is True
    assert spring["agreement"]["id"] == agreement["id"]
    assert (spring["total"], spring["requester_amount"], spring["owner_amount"]) == (
        "30900.00",
        "15450.00",
        "15450.00",
    )  # 3 × 9800 + 1500, half each
    assert spring["illustrative"] is True and spring["currency"] == "EUR"

    # The tariff valid on the day of use prices it; two units double the hours, not the fee.
    autumn = estimate("2086-09-01T08:00", 1.5, persona="owner-dhc", quantity=2)
    assert (autumn["total"], autumn["requester_amount"]) == ("32800.00", "16400.00")

    # Before the agreement: not covered, no figure at all rather than a guess.
    uncovered = estimate("2085-09-01T08:00", 2)
    assert uncovered["covered"] is False
    assert (uncovered["total"], uncovered["requester_amount"]) == (None, None)


def test_an_estimate_refuses_an_unknown_asset_or_an_empty_window(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    asset = asset_facts(owner_org=scoped_orgs()[1])
    db.put_asset(asset)
    start = at("2086-03-02T08:00")
    for asset_id, end, name in (
        ("00000000-0000-4000-8000-000000000000", start + timedelta(hours=1), "asset_id"),
        (asset["asset_id"], start, "end"),
    ):
        body = {
            "asset_id": asset_id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "legal_basis": "steunverlening",
        }
        with nothing_written(db.engine):
            response = cs.post("/api/v1/estimates", headers=auth("planner-rotterdam"), json=body)
        assert_problem(response, 422, name)


# == allocations and the ledger ==================================================================
def test_a_completed_use_is_priced_from_the_tariff_in_the_event(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    unit, owner = scoped_orgs()
    create_agreement(
        cs, owner_org=owner, requester_org=unit, valid_from="2026-01-01", valid_to="2027-01-01"
    )  # marginal cost, police pays all, mobilisation
    use = completed(requester_org=unit, owner_org=owner, start=at("2026-10-05T08:00"), usage="2.50")
    with writes(db.engine, allocations=1, ledger_entries=2, booking_facts=1, outbox=1):
        db.apply(use)
    allocation = allocation_api(cs, source_id(use))
    assert allocation["kind"] == "usage" and allocation["state"] == "proposed"
    assert allocation["source_event_id"] == use["id"]  # every euro traces to its event
    assert allocation["booking_id"] == use["data"]["booking_id"]
    assert allocation["used_on"] == "2026-10-05"
    assert (allocation["total"], allocation["requester_amount"], allocation["owner_amount"]) == (
        "11250.00",
        "11250.00",
        "0.00",
    )  # 2.5 × 3900 + 1500
    assert allocation["basis"]["mobilisation_fee"] == "1500.00"
    lines = ledger_api(cs, allocation["id"])
    assert amounts(lines) == {
        ("original", unit, "debit", "requester_share", D("11250.00")),
        ("original", owner, "credit", "provision", D("11250.00")),
    }
    assert {x["source_event_id"] for x in lines} == {use["id"]}


def test_an_odd_share_splits_to_the_cent_and_the_owner_borne_part_is_booked(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    unit, owner = scoped_orgs()
    create_agreement(
        cs,
        owner_org=owner,
        requester_org=unit,
        legal_basis="steunverlening",
        price_basis="full_cost",
        requester_share_pct="33.33",
        charge_mobilisation=False,
        valid_from="2026-01-01",
    )
    use = completed(
        requester_org=unit,
        owner_org=owner,
        start=at("2026-10-06T08:00"),
        usage="1.75",
        legal_basis="steunverlening",
        tariff_=tariff(full_cost_rate="1234.57"),
    )
    db.apply(use)
    allocation = db.allocation(source_id(use))
    # 1.75 × 1234.57 = 2160.4975 → 2160.50; 33.33 % of it = 720.09465 → 720.09; owner the rest.
    assert (allocation["total"], allocation["requester_amount"], allocation["owner_amount"]) == (
        D("2160.50"),
        D("720.09"),
        D("1440.41"),
    )
    lines = db.ledger(allocation["id"])
    assert amounts(lines) == {
        ("original", unit, "debit", "requester_share", D("720.09")),
        ("original", owner, "debit", "owner_borne", D("1440.41")),
        ("original", owner, "credit", "provision", D("2160.50")),
    }
    assert balance(lines) == (D("2160.50"), D("2160.50"))


def test_two_units_used_together_are_priced_for_both(cs: FlaskClient, db: CostsharingDB) -> None:
    unit, owner = scoped_orgs()
    create_agreement(
        cs,
        owner_org=owner,
        requester_org=unit,
        category="dive_team",
        price_basis="full_cost",
        valid_from="2026-01-01",
    )
    use = completed(
        requester_org=unit,
        owner_org=owner,
        category="dive_team",
        quantity=2,
        start=at("2026-10-07T08:00"),
        usage="2.00",
        tariff_=tariff(
            unit="hour",
            full_cost_rate="450.00",
            marginal_cost_rate="200.00",
            mobilisation_fee="300.00",
            market_reference_price="600.00",
        ),
    )
    db.apply(use)
    allocation = allocation_api(cs, source_id(use))
    # 2 teams × 2 h × 450 + one mobilisation fee of 300.
    assert allocation["total"] == "2100.00"
    # The allocation records the team-hours it priced, so a correction prices the same use.
    assert allocation["usage_quantity"] == "4.00"
    review(cs, allocation["id"], "dispute", persona="finance-defensie", reason="Controle inzet")
    resolved = review(
        cs,
        allocation["id"],
        "resolve",
        reason="Zelfde convenant",
        agreement_id=allocation["agreement_id"],
    )
    assert resolved.status_code == 200, resolved.get_json()
    assert resolved.get_json()["total"] == "2100.00"


def test_a_use_is_priced_in_the_tariffs_unit_and_counted_in_hours(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    """A day-rate team used 8 hours costs one day, 30 hours two; a terrain let per 5-hour
    day-part used 8 hours costs two day-parts. The allocation records the units it priced (a
    correction prices the same), the basis the hours of use (joint-use hours count hours)."""
    unit, owner = scoped_orgs()
    for category in ("search_team", "terrain"):
        create_agreement(
            cs,
            owner_org=owner,
            requester_org=unit,
            category=category,
            price_basis="full_cost",
            charge_mobilisation=False,
            valid_from="2026-01-01",
        )
    per_day = tariff(unit="day", full_cost_rate="4200.00", market_reference_price="6500.00")
    per_day_part = tariff(
        unit="day_part", full_cost_rate="1400.00", market_reference_price="2600.00"
    )
    day = completed(requester_org=unit, owner_org=owner, category="search_team",
                    start=at("2026-10-12T08:00"), usage="8.00", tariff_=per_day)  # fmt: skip
    two_days = completed(requester_org=unit, owner_org=owner, category="search_team",
                         start=at("2026-10-13T08:00"), usage="30.00", tariff_=per_day)  # fmt: skip
    parts = completed(requester_org=unit, owner_org=owner, category="terrain",
                      start=at("2026-10-14T08:00"), usage="8.00", tariff_=per_day_part)  # fmt: skip
    db.apply(day, two_days, parts)
    priced = {e["id"]: allocation_api(cs, source_id(e)) for e in (day, two_days, parts)}
    assert [(a["usage_quantity"], a["total"]) for a in priced.values()] == [
        ("1.00", "4200.00"),  # not 8 × 4200
        ("2.00", "8400.00"),
        ("2.00", "2800.00"),  # two begun 5-hour day-parts
    ]
    assert [a["basis"]["hours"] for a in priced.values()] == ["8.00", "30.00", "8.00"]
    first = priced[day["id"]]
    review(cs, first["id"], "dispute", persona="finance-defensie", reason="Controle inzet")
    resolved = review(cs, first["id"], "resolve", reason="Zelfde convenant",
                      agreement_id=first["agreement_id"])  # fmt: skip
    assert resolved.status_code == 200, resolved.get_json()
    assert resolved.get_json()["total"] == "4200.00"
    mine = efficiency(cs, "owner", period="2026-Q4")[owner]
    assert mine["joint_use_hours"] == "46.00"  # 8 + 30 + 8 hours, not 1 + 2 + 2 units
    # Avoided cost: the market price is per tariff unit too: 6500 × 1 − 4200, 6500 × 2 − 8400,
    # 2600 × 2 − 2800.
    assert mine["avoided_cost"] == "9300.00"


def test_estimates_and_cancellation_fees_count_the_tariffs_unit_too(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    """What booking's search estimates, cost-sharing estimates and charges: a day-rate team
    for 10 hours is one day (4200), for 26 hours two days."""
    unit, owner = scoped_orgs()
    per_day = tariff(unit="day", full_cost_rate="4200.00", mobilisation_fee="750.00")
    asset = asset_facts(owner_org=owner, category="search_team", tariffs=[per_day])
    db.put_asset(asset)
    create_agreement(
        cs,
        owner_org=owner,
        requester_org=unit,
        category="search_team",
        legal_basis="steunverlening",
        price_basis="full_cost",
        cancellation_free_hours=48,
        cancellation_pct="50",
        valid_from="2026-01-01",
    )

    def estimate_total(hours: int) -> str:
        begin = at("2026-11-02T08:00")
        body = {"asset_id": asset["asset_id"], "start": begin.isoformat(),
                "end": (begin + timedelta(hours=hours)).isoformat(),
                "legal_basis": "steunverlening", "requester_org": unit}  # fmt: skip
        response = cs.post("/api/v1/estimates", headers=auth("planner-rotterdam"), json=body)
        assert response.status_code == 200, response.get_json()
        return str(response.get_json()["total"])

    assert (estimate_total(10), estimate_total(26)) == ("4950.00", "9150.00")  # + fee 750
    late = cancelled(requester_org=unit, owner_org=owner, category="search_team",
                     legal_basis="steunverlening", start=at("2026-11-20T08:00"),
                     planned_hours=10, hours_before_start=5, tariff_=per_day)  # fmt: skip
    db.apply(late)
    fee = allocation_api(cs, source_id(late), kind="cancellation")
    assert (fee["basis"]["estimate"], fee["total"]) == ("4950.00", "2475.00")  # 50 %


def test_a_late_cancellation_costs_the_agreed_fee_an_early_one_nothing(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    unit, owner = scoped_orgs()
    create_cancellation_agreement(cs, unit, owner)
    start = at("2026-11-20T08:00")

    def cancel(hours_before: float) -> dict[str, Any]:
        return cancelled(
            requester_org=unit,
            owner_org=owner,
            start=start,
            planned_hours=4,
            hours_before_start=hours_before,
        )

    late, at_the_limit, early = cancel(10.5), cancel(48), cancel(72)
    with writes(db.engine, allocations=1, ledger_entries=3, booking_facts=3, outbox=1):
        db.apply(late, at_the_limit, early)
    fee = allocation_api(cs, source_id(late), kind="cancellation")
    # The estimate: 4 planned hours × 3900 + 1500 = 17100; 25 % of it = 4275; police 80 %.
    assert (fee["total"], fee["requester_amount"], fee["owner_amount"]) == (
        "4275.00",
        "3420.00",
        "855.00",
    )
    assert fee["basis"]["estimate"] == "17100.00"
    assert fee["used_on"] == "2026-11-20"
    assert balance(ledger_api(cs, fee["id"])) == (D("4275.00"), D("4275.00"))
    assert db.allocations_for(source_id(at_the_limit)) == []  # free until 48 h before
    assert db.allocations_for(source_id(early)) == []


def test_only_a_cancelled_approval_costs_a_fee_a_withdrawn_request_nothing(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    """Only an approved booking was promised to the unit: withdrawing a request, or declining
    a counter-offer (the planner cancels it), costs nothing however late. Events from before
    booking said where it was cancelled from are read as a cancelled approval, as before."""
    unit, owner = scoped_orgs()
    create_cancellation_agreement(cs, unit, owner)

    def cancel(**kw: Any) -> dict[str, Any]:
        return cancelled(
            requester_org=unit,
            owner_org=owner,
            start=at("2026-11-20T08:00"),
            planned_hours=4,
            hours_before_start=10,
            **kw,
        )

    withdrawn = cancel(cancelled_from="requested", decided_at=None)
    declined = cancel(cancelled_from="counter_offered")
    approved = cancel(cancelled_from="approved")
    older = cancel()  # no cancelled_from: an event from before booking sent it
    assert "cancelled_from" not in older["data"]
    with writes(db.engine, allocations=2, ledger_entries=6, booking_facts=4, outbox=2):
        db.apply(withdrawn, declined, approved, older)
    assert db.allocations_for(source_id(withdrawn)) == []
    assert db.allocations_for(source_id(declined)) == []
    for charged in (approved, older):
        fee = allocation_api(cs, source_id(charged), kind="cancellation")
        # 25 % of the estimate (4 h × 3900 + 1500 = 17100), police 80 %.
        assert (fee["total"], fee["requester_amount"], fee["owner_amount"]) == (
            "4275.00",
            "3420.00",
            "855.00",
        )


def test_a_use_falls_on_its_dutch_date_whatever_offset_the_event_carries(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    """23:30 UTC on 31 December 2026 is 00:30 on 1 January 2027 in Amsterdam: a use starting
    then, a late cancellation of it and an order placed then fall in 2027-Q1 and under an
    agreement valid from 1 January 2027; an estimate takes that day's tariff and agreement."""
    unit, owner = scoped_orgs()
    new_year = {"valid_from": "2027-01-01", "valid_to": "2027-07-01"}
    use_terms = create_agreement(
        cs, owner_org=owner, requester_org=unit, requester_share_pct="40", **new_year
    )
    order_terms = create_agreement(
        cs,
        owner_org=owner,
        requester_org=unit,
        category="procurement_item",
        legal_basis="joint_procurement",
        requester_share_pct="50",
        **new_year,
    )
    moment = datetime.fromisoformat("2026-12-31T23:30:00+00:00")
    use = completed(requester_org=unit, owner_org=owner, start=moment, usage="1.00")
    late = cancelled(requester_org=unit, owner_org=owner, start=moment, planned_hours=4,
                     hours_before_start=10, cancelled_from="approved")  # fmt: skip
    order = order_placed(requester_org=unit, owner_org=owner, quantity=10, unit_price="80.00",
                         solo_unit_price="95.00", ordered_at=moment)  # fmt: skip
    db.apply(use, late, order)
    priced = {
        kind: allocation_api(cs, source_id(evt), kind=kind)
        for evt, kind in ((use, "usage"), (late, "cancellation"), (order, "procurement"))
    }
    assert {kind: a["used_on"] for kind, a in priced.items()} == {
        "usage": "2027-01-01",
        "cancellation": "2027-01-01",
        "procurement": "2027-01-01",
    }
    assert [priced[k]["agreement_id"] for k in ("usage", "cancellation", "procurement")] == [
        use_terms["id"],
        use_terms["id"],
        order_terms["id"],
    ]
    # 1 h × 3900 + 1500 = 5400, police 40 %; 25 % of (4 × 3900 + 1500); half of 10 × 80.
    assert [priced[k]["requester_amount"] for k in ("usage", "cancellation", "procurement")] == [
        "2160.00",
        "1710.00",
        "400.00",
    ]

    def statement(period: str) -> list[tuple[str, str]]:
        response = cs.get(
            f"/api/v1/statements?org={unit}&period={period}", headers=auth("controller")
        )
        assert response.status_code == 200, response.get_json()
        return [(x["date"], x["kind"]) for x in response.get_json()["lines"]]

    assert statement("2026-Q4") == []
    assert sorted(statement("2027-Q1")) == [
        ("2027-01-01", "cancellation"),
        ("2027-01-01", "procurement"),
        ("2027-01-01", "usage"),
    ]

    # The estimate: the tariff from 1 January (marginal 4100) and the new year's agreement,
    # however the start is written.
    asset = asset_facts(
        owner_org=owner,
        tariffs=[
            tariff(valid_from="2020-01-01", valid_to="2027-01-01"),
            tariff(valid_from="2027-01-01", marginal_cost_rate="4100.00"),
        ],
    )
    db.put_asset(asset)
    for start in ("2026-12-31T23:30:00+00:00", "2027-01-01T00:30:00+01:00"):
        begin = datetime.fromisoformat(start)
        body = {"asset_id": asset["asset_id"], "start": begin.isoformat(),
                "end": (begin + timedelta(hours=1)).isoformat(),
                "legal_basis": "bijstand_politiewet", "requester_org": unit}  # fmt: skip
        response = cs.post("/api/v1/estimates", headers=auth("planner-rotterdam"), json=body)
        assert response.status_code == 200, response.get_json()
        estimate = response.get_json()
        assert estimate["tariff"]["valid_from"] == "2027-01-01", start
        assert estimate["agreement"]["id"] == use_terms["id"], start
        assert (estimate["total"], estimate["requester_amount"]) == ("5600.00", "2240.00")


def test_a_displaced_unit_pays_nothing(cs: FlaskClient, db: CostsharingDB) -> None:
    unit, owner = scoped_orgs()
    create_agreement(cs, owner_org=owner, requester_org=unit, valid_from="2026-01-01")
    displaced = preempted(requester_org=unit, owner_org=owner, start=at("2026-11-21T08:00"))
    with writes(db.engine, booking_facts=1):
        db.apply(displaced)
    assert db.allocations_for(source_id(displaced)) == []


def test_an_order_is_charged_at_the_joint_tier_price(cs: FlaskClient, db: CostsharingDB) -> None:
    unit, owner = scoped_orgs()
    agreement = create_agreement(
        cs,
        owner_org=owner,
        requester_org=unit,
        category="procurement_item",
        legal_basis="joint_procurement",
        price_basis="full_cost",
        requester_share_pct="60",
        charge_mobilisation=False,
        valid_from="2026-01-01",
    )
    order = order_placed(
        requester_org=unit,
        owner_org=owner,
        quantity=12,
        unit_price="79.95",
        solo_unit_price="94.50",
        ordered_at=at("2026-11-02T09:00"),
    )
    with writes(db.engine, allocations=1, ledger_entries=3, outbox=1):
        db.apply(order)
    allocation = allocation_api(cs, source_id(order), kind="procurement")
    assert allocation["agreement_id"] == agreement["id"]
    assert allocation["category"] == "procurement_item"
    # 12 × 79.95 = 959.40 at the joint tier price; 60 % of it = 575.64.
    assert (allocation["total"], allocation["requester_amount"], allocation["owner_amount"]) == (
        "959.40",
        "575.64",
        "383.76",
    )
    assert allocation["basis"]["solo_unit_price"] == "94.50"
    outbox = db.rows("SELECT payload FROM outbox WHERE aggregate_id = :a", a=allocation["id"])
    assert [o["payload"]["type"] for o in outbox] == ["costsharing.allocation.proposed"]

    # Without an agreement the unit that orders pays all of it.
    alone = order_placed(
        requester_org=unit,
        owner_org=owner,
        quantity=3,
        unit_price="19.99",
        solo_unit_price="24.00",
        ordered_at=at("2025-11-02T09:00"),
    )
    db.apply(alone)
    second = allocation_api(cs, source_id(alone), kind="procurement")
    assert (second["agreement_id"], second["total"], second["requester_amount"]) == (
        None,
        "59.97",
        "59.97",
    )
    assert second["state"] == "proposed"


def test_the_database_refuses_to_change_or_remove_ledger_rows(
    cs: FlaskClient, db: CostsharingDB, owner_engines: dict[str, Engine]
) -> None:
    unit, owner = scoped_orgs()
    create_agreement(cs, owner_org=owner, requester_org=unit, valid_from="2026-01-01")
    use = completed(requester_org=unit, owner_org=owner, start=at("2026-10-08T08:00"), usage="1.00")
    db.apply(use)
    allocation_id = str(db.allocation(source_id(use))["id"])
    lines = db.ledger(allocation_id)
    for sql in (
        "UPDATE ledger_entries SET amount = 0 WHERE allocation_id = :a",
        "UPDATE ledger_entries SET org = 'politie-niemand' WHERE false",
        "DELETE FROM ledger_entries WHERE allocation_id = :a",
        # CASCADE: a plain TRUNCATE stops earlier, at statement_lines' foreign key.
        "TRUNCATE ledger_entries CASCADE",
    ):
        with (
            nothing_written(db.engine),
            pytest.raises(DBAPIError, match="append-only"),
            owner_engines["costsharing"].begin() as conn,  # the triggers stop even the owner
        ):
            conn.exec_driver_sql(sql.replace(":a", f"'{allocation_id}'"))
    assert db.ledger(allocation_id) == lines


def test_every_allocation_balances_to_the_cent(cs: FlaskClient, db: CostsharingDB) -> None:
    unit, owner = scoped_orgs()
    create_agreement(
        cs,
        owner_org=owner,
        requester_org=unit,
        price_basis="full_cost",
        requester_share_pct="12.34",
        valid_from="2026-01-01",
    )
    uses = [
        completed(
            requester_org=unit,
            owner_org=owner,
            start=at(f"2026-10-{d:02d}T08:00"),
            usage=usage,
            tariff_=tariff(full_cost_rate=rate),
        )
        for d, usage, rate in (
            (9, "0.25", "333.33"),
            (10, "7.75", "9999.99"),
            (11, "1.00", "0.01"),
            (12, "12.50", "1234.56"),
        )
    ]
    db.apply(*uses)
    for use in uses:
        allocation = db.allocation(source_id(use))
        lines = db.ledger(allocation["id"])
        debit, credit = balance(lines)
        assert debit == credit == allocation["total"]
        assert allocation["requester_amount"] + allocation["owner_amount"] == allocation["total"]
        exact = D(use["data"]["usage_quantity"]) * D(use["data"]["tariff"]["full_cost_rate"]) + D(
            "1500.00"
        )
        assert abs(allocation["total"] - exact) <= D("0.005")
        for line in lines:
            assert line["amount"] == line["amount"].quantize(D("0.01"))


# == review ======================================================================================
@pytest.fixture
def proposed(cs: FlaskClient, db: CostsharingDB) -> Iterator[Any]:
    """A factory of fresh proposed allocations (11250.00, paid in full by a police unit)."""
    unit, owner = scoped_orgs()
    create_agreement(
        cs, owner_org=owner, requester_org=unit, valid_from="2026-01-01", valid_to="2027-01-01"
    )
    days = iter(range(1, 29))

    def make() -> dict[str, Any]:
        use = completed(
            requester_org=unit,
            owner_org=owner,
            usage="2.50",
            start=at(f"2026-10-{next(days):02d}T08:00"),
        )
        db.apply(use)
        return allocation_api(cs, source_id(use))

    yield make


def test_finance_approves_and_a_second_review_is_refused(
    cs: FlaskClient, db: CostsharingDB, proposed: Any
) -> None:
    allocation = proposed()
    with writes(db.engine, allocation_reviews=1, outbox=1):
        approved = review(cs, allocation["id"], "approve", persona="finance-politie")
    assert approved.status_code == 200, approved.get_json()
    assert (approved.get_json()["state"], approved.get_json()["version"]) == ("approved", 2)
    for action, body in (("approve", {}), ("dispute", {"reason": "Te laat bedacht"})):
        with nothing_written(db.engine):
            assert_problem(review(cs, allocation["id"], action, **body), 409)
    reviews = cs.get(
        f"/api/v1/allocations/{allocation['id']}/reviews", headers=auth("controller")
    ).get_json()["items"]
    assert [
        (r["action"], r["from_state"], r["to_state"], r["actor"], r["actor_org"]) for r in reviews
    ] == [("approve", "proposed", "approved", "finance-politie", "politie-financien")]
    outbox = db.rows(
        "SELECT payload FROM outbox WHERE aggregate_id = :a ORDER BY id", a=allocation["id"]
    )
    assert [o["payload"]["type"] for o in outbox] == [
        "costsharing.allocation.proposed",
        "costsharing.allocation.approved",
    ]


def test_a_dispute_needs_a_reason_and_is_resolved_by_reversal_and_correction(
    cs: FlaskClient, db: CostsharingDB, proposed: Any
) -> None:
    allocation = proposed()
    unit, owner = allocation["requester_org"], allocation["owner_org"]
    for body in ({}, {"reason": None}, {"reason": ""}):
        with nothing_written(db.engine):
            response = review(cs, allocation["id"], "dispute", persona="finance-defensie", **body)
        assert_problem(response, 422, "reason")
    disputed = review(
        cs,
        allocation["id"],
        "dispute",
        persona="finance-defensie",
        reason="Mobilisatie was al betaald",
    )
    assert disputed.get_json()["state"] == "disputed"
    with nothing_written(db.engine):
        assert_problem(review(cs, allocation["id"], "resolve", requester_amount="5000.00"), 422)

    with writes(db.engine, allocation_reviews=1, ledger_entries=5, outbox=1):
        resolved = review(
            cs,
            allocation["id"],
            "resolve",
            persona="controller",  # it lowers the police share: the joint controller's call
            reason="Helft mobilisatie, uren volledig",
            requester_amount="5000.00",
        )
    assert resolved.status_code == 200, resolved.get_json()
    body = resolved.get_json()
    assert (body["state"], body["total"], body["requester_amount"], body["owner_amount"]) == (
        "resolved",
        "11250.00",
        "5000.00",
        "6250.00",
    )
    lines = ledger_api(cs, allocation["id"])
    assert amounts(lines) == {
        ("original", unit, "debit", "requester_share", D("11250.00")),
        ("original", owner, "credit", "provision", D("11250.00")),
        ("reversal", unit, "credit", "requester_share", D("11250.00")),
        ("reversal", owner, "debit", "provision", D("11250.00")),
        ("correction", unit, "debit", "requester_share", D("5000.00")),
        ("correction", owner, "debit", "owner_borne", D("6250.00")),
        ("correction", owner, "credit", "provision", D("11250.00")),
    }
    # The originals are still there, unchanged; the entries net to the corrected split.
    assert [x["entry"] for x in lines][:2] == ["original", "original"]
    debit, credit = balance(lines)
    assert debit == credit
    net_unit = sum(
        (D(x["amount"]) * (1 if x["side"] == "debit" else -1) for x in lines if x["org"] == unit),
        D(0),
    )
    assert net_unit == D("5000.00")
    with nothing_written(db.engine):
        assert_problem(
            review(cs, allocation["id"], "resolve", reason="Nog eens", requester_amount="1.00"), 409
        )
    actions = [
        r["action"]
        for r in cs.get(
            f"/api/v1/allocations/{allocation['id']}/reviews", headers=auth("controller")
        ).get_json()["items"]
    ]
    assert actions == ["dispute", "resolve"]


def test_who_disputed_an_allocation_does_not_resolve_it(
    cs: FlaskClient, db: CostsharingDB, proposed: Any
) -> None:
    """Four eyes: police finance that disputes its own unit's bill cannot then set the police
    share to nothing, itself or through a colleague. The joint controller, or the other side's
    finance, resolves."""
    allocation = proposed()
    assert review(cs, allocation["id"], "dispute", persona="finance-politie",
                  reason="Inzet was niet nodig").status_code == 200  # fmt: skip
    with nothing_written(db.engine):
        refused = review(cs, allocation["id"], "resolve", persona="finance-politie",
                         reason="Dan betalen wij niets", requester_amount="0.00")  # fmt: skip
    body = assert_problem(refused, 403)
    assert body["disputed_by"] == "finance-politie"
    assert "disputed" in body["detail"]
    # Nor does a colleague on the same side (another person in police finance).
    with nothing_written(db.engine):
        by_colleague = review_as(cs, allocation["id"], "resolve", colleague_of("finance-politie"),
                                 reason="Collega zegt nul", requester_amount="0.00")  # fmt: skip
    assert assert_problem(by_colleague, 403)["disputed_by"] == "finance-politie"
    after = allocation_api(cs, allocation["booking_id"])
    assert (after["state"], after["requester_amount"]) == ("disputed", "11250.00")

    resolved = review(cs, allocation["id"], "resolve", persona="controller",
                      reason="Helft, na overleg", requester_amount="5625.00")  # fmt: skip
    assert resolved.status_code == 200, resolved.get_json()
    reviews = cs.get(
        f"/api/v1/allocations/{allocation['id']}/reviews", headers=auth("controller")
    ).get_json()["items"]
    assert [(r["action"], r["actor"]) for r in reviews] == [
        ("dispute", "finance-politie"),
        ("resolve", "controller"),
    ]

    # The other side's finance may resolve. The rule is about the person: the controller who
    # raised a dispute does not resolve it, another controller does.
    second = proposed()
    review(cs, second["id"], "dispute", persona="finance-politie", reason="Te veel uren")
    by_defence = review(cs, second["id"], "resolve", persona="finance-defensie",
                        reason="Uren gecorrigeerd", requester_amount="9000.00")  # fmt: skip
    assert by_defence.status_code == 200, by_defence.get_json()
    third = proposed()
    review(cs, third["id"], "dispute", persona="controller", reason="Steekproef")
    with nothing_written(db.engine):
        assert_problem(review(cs, third["id"], "resolve", persona="controller",
                              reason="Zelf opgelost", requester_amount="0.00"), 403)  # fmt: skip
    other_controller = review_as(cs, third["id"], "resolve", colleague_of("controller"),
                                 reason="Akkoord", requester_amount="11250.00")  # fmt: skip
    assert other_controller.status_code == 200, other_controller.get_json()


def test_a_corrected_share_outside_the_total_is_refused(
    cs: FlaskClient, db: CostsharingDB, proposed: Any
) -> None:
    allocation = proposed()
    review(cs, allocation["id"], "dispute", persona="finance-politie", reason="Bedrag klopt niet")
    with nothing_written(db.engine):
        response = review(
            cs, allocation["id"], "resolve", reason="Meer dan alles", requester_amount="11250.01"
        )
    assert_problem(response, 422, "requester_amount")


# == statements ==================================================================================
def test_a_statement_matches_the_ledger_as_json_and_as_csv_and_closes_after_review(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    unit, owner = scoped_orgs()
    create_agreement(
        cs,
        owner_org=owner,
        requester_org=unit,
        requester_share_pct="60",
        valid_from="2026-01-01",
        valid_to="2027-06-01",
    )
    first = completed(
        requester_org=unit, owner_org=owner, start=at("2026-10-05T08:00"), usage="2.00"
    )
    last_day = completed(
        requester_org=unit, owner_org=owner, start=at("2026-12-31T22:00"), usage="1.25"
    )
    late = cancelled(
        requester_org=unit,
        owner_org=owner,
        start=at("2026-11-20T08:00"),
        planned_hours=4,
        hours_before_start=20,
    )
    order = order_placed(
        requester_org=unit,
        owner_org=owner,
        quantity=10,
        unit_price="80.00",
        solo_unit_price="95.00",
        ordered_at=at("2026-11-02T09:00"),
    )
    next_year = completed(
        requester_org=unit, owner_org=owner, start=at("2027-01-01T08:00"), usage="1.00"
    )
    db.apply(first, last_day, late, order, next_year)

    def statement(org: str, persona: str = "controller") -> dict[str, Any]:
        response = cs.get(f"/api/v1/statements?org={org}&period=2026-Q4", headers=auth(persona))
        assert response.status_code == 200, response.get_json()
        return dict(response.get_json())

    def ledger_totals(org: str) -> dict[str, str]:
        row = db.rows(
            "SELECT coalesce(sum(e.amount) FILTER (WHERE side = 'debit'), 0) AS debit, "
            "coalesce(sum(e.amount) FILTER (WHERE side = 'credit'), 0) AS credit "
            "FROM ledger_entries e JOIN allocations a ON a.id = e.allocation_id "
            "WHERE e.org = :org AND a.used_on >= '2026-10-01' AND a.used_on < '2027-01-01'",
            org=org,
        )[0]
        debit, credit = D(row["debit"]).quantize(D("0.01")), D(row["credit"]).quantize(D("0.01"))
        return {"debit": str(debit), "credit": str(credit), "net": str(credit - debit)}

    police = statement(unit, persona="finance-politie")
    # 60 % of 9300 (2 h) = 5580; of 800 (order: no share agreed for orders → all) = 800;
    # of 4275 (25 % of the 17100 estimate) = 2565; of 6375 (1.25 h) = 3825.
    assert [(x["date"], x["kind"], x["debit"], x["credit"]) for x in police["lines"]] == [
        ("2026-10-05", "usage", "5580.00", "0.00"),
        ("2026-11-02", "procurement", "800.00", "0.00"),
        ("2026-11-20", "cancellation", "2565.00", "0.00"),
        ("2026-12-31", "usage", "3825.00", "0.00"),
    ]
    assert police["totals"] == {"debit": "12770.00", "credit": "0.00", "net": "-12770.00"}
    assert police["totals"] == ledger_totals(unit)
    assert {x["counterparty"] for x in police["lines"]} == {owner}
    assert police["closed"] is False

    defence = statement(owner, persona="finance-defensie")
    assert defence["totals"] == {"debit": "7980.00", "credit": "20750.00", "net": "12770.00"}
    assert defence["totals"] == ledger_totals(owner)

    csv_response = cs.get(
        f"/api/v1/statements?org={unit}&period=2026-Q4",
        headers={**auth("finance-politie"), "Accept": "text/csv"},
    )
    assert csv_response.status_code == 200
    assert csv_response.mimetype == "text/csv"
    assert csv_response.headers["Content-Disposition"] == (
        f'attachment; filename="slagkracht-{unit}-2026-Q4.csv"'
    )
    raw = csv_response.get_data()
    assert raw.startswith("\ufeff".encode())  # UTF-8 BOM: spreadsheets read it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "date" and rows[0][-2:] == ["debit", "credit"]
    assert [r[-2] for r in rows[1:-1]] == ["5580,00", "800,00", "2565,00", "3825,00"]
    assert rows[-1][0] == "totaal" and rows[-1][-2:] == ["12770,00", "0,00"]
    in_csv = sum((D(r[-2].replace(",", ".")) for r in rows[1:-1]), D(0))
    assert str(in_csv) == police["totals"]["debit"]

    # Closing while allocations are still open is refused, and writes nothing.
    url = "/api/v1/statements/close"
    with nothing_written(db.engine):
        refused = cs.post(
            url, headers=auth("finance-politie"), json={"org": unit, "period": "2026-Q4"}
        )
    assert len(assert_problem(refused, 409)["allocations"]) == 4

    by_booking = {source_id(e): e for e in (first, last_day, late, order)}
    ids = {b: db.allocations_for(b)[0]["id"] for b in by_booking}
    for booking_id, allocation_id in ids.items():
        if by_booking[booking_id] is late:
            review(cs, allocation_id, "dispute", persona="finance-politie",
                   reason="Annulering door weersverwachting")  # fmt: skip
            with nothing_written(db.engine):
                assert_problem(
                    cs.post(
                        url,
                        headers=auth("finance-politie"),
                        json={"org": unit, "period": "2026-Q4"},
                    ),
                    409,
                )
            review(
                cs, allocation_id, "resolve", reason="Overmacht: minder", requester_amount="2000.00"
            )
        else:
            assert review(cs, allocation_id, "approve").status_code == 200

    # Four settled, one statement closed holding six lines (four originals, the reversal and
    # the correction).
    with writes(db.engine, statements=1, statement_lines=6, outbox=5):
        closed = cs.post(
            url, headers=auth("finance-politie"), json={"org": unit, "period": "2026-Q4"}
        )
    assert closed.status_code == 201, closed.get_json()
    body = closed.get_json()
    assert body["closed"] is True
    # After the correction: 2565 reversed (a credit) and 2000 charged instead.
    assert body["totals"] == {"debit": "14770.00", "credit": "2565.00", "net": "-12205.00"}
    assert body["totals"] == ledger_totals(unit)
    states = {b: db.allocations_for(b)[0] for b in ids}
    assert {a["state"] for a in states.values()} == {"settled"}
    assert len({a["statement_id"] for a in states.values()}) == 1
    assert db.allocation(source_id(next_year))["state"] == "proposed"  # another period
    stored = db.rows("SELECT totals FROM statements WHERE org = :o AND period = '2026-Q4'", o=unit)
    assert stored == [{"totals": body["totals"]}]
    with nothing_written(db.engine):
        assert_problem(
            cs.post(url, headers=auth("finance-politie"), json={"org": unit, "period": "2026-Q4"}),
            409,
        )
    assert statement(unit)["closed"] is True
    # The owner's side of the same allocations is settled too: its own statement closes.
    defence_closed = cs.post(
        url, headers=auth("finance-defensie"), json={"org": owner, "period": "2026-Q4"}
    )
    assert defence_closed.status_code == 201, defence_closed.get_json()
    assert defence_closed.get_json()["totals"] == ledger_totals(owner)


def _close(cs: FlaskClient, org: str, period: str, persona: str = "finance-politie") -> Any:
    return cs.post(
        "/api/v1/statements/close", headers=auth(persona), json={"org": org, "period": period}
    )


def _statement(cs: FlaskClient, org: str, period: str, **headers: str) -> Any:
    return cs.get(
        f"/api/v1/statements?org={org}&period={period}", headers={**auth("controller"), **headers}
    )


def test_a_period_overlapping_a_closed_statement_is_not_closed(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    """A ledger line is in one closed statement only: after 2041-Q1 neither March 2041 nor
    the year 2041 closes; after May 2042 neither its quarter nor its year. Adjacent periods
    do."""
    unit, owner = scoped_orgs()
    create_agreement(
        cs, owner_org=owner, requester_org=unit, valid_from="2041-01-01", valid_to="2043-01-01"
    )
    march = completed(requester_org=unit, owner_org=owner, start=at("2041-03-10T08:00"),
                      usage="1.00")  # fmt: skip
    db.apply(march)
    allocation = db.allocation(source_id(march))
    assert review(cs, allocation["id"], "approve", persona="finance-politie").status_code == 200
    quarter = _close(cs, unit, "2041-Q1")
    assert quarter.status_code == 201, quarter.get_json()
    closed_id = db.scalar(
        "SELECT id::text FROM statements WHERE org = :o AND period = '2041-Q1'", o=unit
    )
    assert quarter.get_json()["statement_id"] == closed_id
    for period in ("2041-03", "2041", "2041-Q1"):
        with nothing_written(db.engine):
            body = assert_problem(_close(cs, unit, period), 409, "period")
        assert body["closed_statement"] == {"id": closed_id, "period": "2041-Q1"}, period
        assert closed_id in body["detail"] and "2041-Q1" in body["detail"]
    # Reading March: not closed itself, but held by the quarter's statement.
    march_doc = _statement(cs, unit, "2041-03").get_json()
    assert march_doc["closed"] is False
    assert march_doc["closed_in"] == [{"id": closed_id, "period": "2041-Q1"}]
    assert _statement(cs, unit, "2041-05").get_json()["closed_in"] == []
    assert _close(cs, unit, "2041-04").status_code == 201  # the next month: no overlap
    assert _close(cs, unit, "2042-05").status_code == 201
    for period in ("2042-Q2", "2042"):
        with nothing_written(db.engine):
            body = assert_problem(_close(cs, unit, period), 409, "period")
        assert body["closed_statement"]["period"] == "2042-05"
    assert _close(cs, unit, "2042-Q3").status_code == 201
    held = db.rows(
        "SELECT l.statement_id::text AS statement_id FROM statement_lines l "
        "JOIN ledger_entries e ON e.id = l.ledger_entry_id WHERE e.allocation_id = :a",
        a=str(allocation["id"]),
    )
    assert held == [{"statement_id": closed_id}]  # the police unit's one line, held once

    # A statement closed when periods could still be spelled in other digits covers the days
    # it was read as then.
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO statements (id, org, period, totals, closed_by) VALUES "
            "(gen_random_uuid(), %(org)s, %(period)s, '{}', 'finance-politie')",
            {"org": unit, "period": "\u0662\u0660\u0664\u0664-Q1"},  # ٢٠٤٤-Q1
        )
    with nothing_written(db.engine):
        body = assert_problem(_close(cs, unit, "2044-02"), 409, "period")
    assert body["closed_statement"]["period"] == "\u0662\u0660\u0664\u0664-Q1"


def test_a_closed_statement_keeps_its_figures_and_lists_what_came_after(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    """A use reported after its period closed, and its review, never change the closed
    statement: its lines and stored totals stay; the late lines are listed apart, with their
    own totals, in JSON and in CSV alike."""
    unit, owner = scoped_orgs()
    create_agreement(cs, owner_org=owner, requester_org=unit, requester_share_pct="50",
                     valid_from="2043-01-01", valid_to="2044-01-01")  # fmt: skip
    on_time = completed(requester_org=unit, owner_org=owner, start=at("2043-02-03T08:00"),
                        usage="2.00")  # fmt: skip
    db.apply(on_time)
    first = db.allocation(source_id(on_time))
    assert review(cs, first["id"], "approve", persona="finance-politie").status_code == 200
    with writes(db.engine, statements=1, statement_lines=1, outbox=2):
        closed = _close(cs, unit, "2043-Q1")
    assert closed.status_code == 201, closed.get_json()
    at_closing = closed.get_json()
    # 2 × 3900 + 1500 = 9300, half of it.
    assert at_closing["totals"] == {"debit": "4650.00", "credit": "0.00", "net": "-4650.00"}
    assert at_closing["after_closing"] == {
        "lines": [],
        "totals": {"debit": "0.00", "credit": "0.00", "net": "0.00"},
    }
    assert (at_closing["closed"], at_closing["closed_by"]) == (True, "finance-politie")
    stored = db.rows("SELECT totals FROM statements WHERE id = :s", s=at_closing["statement_id"])
    assert stored == [{"totals": at_closing["totals"]}]

    # February's second use is reported after closing (1 h: 5400, half 2700), disputed by
    # Defence and resolved to 2000 by the controller.
    late = completed(requester_org=unit, owner_org=owner, start=at("2043-02-20T08:00"),
                     usage="1.00")  # fmt: skip
    db.apply(late)
    second = db.allocation(source_id(late))
    review(cs, second["id"], "dispute", persona="finance-defensie", reason="Te laat gemeld")
    resolved = review(cs, second["id"], "resolve", reason="Afgesproken", requester_amount="2000.00")
    assert resolved.status_code == 200, resolved.get_json()

    now = _statement(cs, unit, "2043-Q1").get_json()
    assert (now["closed"], now["statement_id"]) == (True, at_closing["statement_id"])
    assert (now["lines"], now["totals"]) == (at_closing["lines"], at_closing["totals"])
    assert [
        (x["date"], x["entry"], x["debit"], x["credit"]) for x in now["after_closing"]["lines"]
    ] == [
        ("2043-02-20", "original", "2700.00", "0.00"),
        ("2043-02-20", "reversal", "0.00", "2700.00"),
        ("2043-02-20", "correction", "2000.00", "0.00"),
    ]
    assert now["after_closing"]["totals"] == {
        "debit": "4700.00",
        "credit": "2700.00",
        "net": "-2000.00",
    }

    raw = _statement(cs, unit, "2043-Q1", Accept="text/csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw), delimiter=";"))
    labels = [r[0] for r in rows]
    assert labels == ["date", "2043-02-03", "totaal", "na afsluiting",
                      "2043-02-20", "2043-02-20", "2043-02-20", "totaal na afsluiting"]  # fmt: skip
    assert rows[2][-2:] == ["4650,00", "0,00"]
    assert [r[-2:] for r in rows[4:7]] == [["2700,00", "0,00"], ["0,00", "2700,00"],
                                           ["2000,00", "0,00"]]  # fmt: skip
    assert rows[-1][-2:] == ["4700,00", "2700,00"]

    # The open statement of the owner (Defence) still has every line of its period.
    defence = _statement(cs, owner, "2043-Q1").get_json()
    assert (defence["closed"], defence["after_closing"]) == (False, None)
    # Credited: 9300 and 5400 provided, 2700 owner-borne reversed, 5400 provided corrected.
    assert defence["totals"]["credit"] == "22800.00"


# == efficiency ==================================================================================
EFFICIENCY_PERIOD = "2031-Q2"  # no other test has assets, bookings or allocations then


@pytest.fixture(scope="module")
def efficiency_data(cs: FlaskClient, db: CostsharingDB) -> dict[str, str]:
    """A known quarter: two assets, seven bookings, one order (figures in the test)."""
    unit_a, owner = scoped_orgs()
    unit_b, _ = scoped_orgs()
    heli_tariff = tariff()  # 9800 / 3900 / 1500, market 11000 per flight hour
    dive_tariff = tariff(
        unit="hour",
        full_cost_rate="450.00",
        marginal_cost_rate="200.00",
        mobilisation_fee="300.00",
        market_reference_price="600.00",
    )
    helicopter = asset_facts(
        owner_org=owner,
        category="helicopter",
        regions=["VR10", "VR17"],
        capacity=1,
        tariffs=[heli_tariff],
        # Starts before the quarter: only the 240 hours from 1 April count (the quarter and
        # the window's end are Dutch midnights: 22:00 UTC in summer).
        availability=[one_off(at("2031-03-31T12:00"), amsterdam("2031-04-11T00:00"))],
    )
    divers = asset_facts(
        owner_org=owner,
        category="dive_team",
        regions=["VR17"],
        capacity=2,
        tariffs=[dive_tariff],
        # 10 h minus a 3 h blackout, plus Mondays 2, 9 and 16 June 09:00-17:00 local (8 h each).
        availability=[
            one_off(at("2031-05-01T08:00"), at("2031-05-01T18:00")),
            weekly([1], "09:00", "17:00", "2031-06-01", "2031-06-20"),
        ],
        blackouts=[blackout(at("2031-05-01T08:00"), at("2031-05-01T11:00"))],
    )
    db.put_asset(helicopter)
    db.put_asset(divers)
    year = {"valid_from": "2031-01-01", "valid_to": "2032-01-01"}
    create_agreement(cs, owner_org=owner, **year)  # bijstand: marginal, police 100 %, + fee
    create_agreement(
        cs,
        owner_org=owner,
        legal_basis="steunverlening",
        price_basis="full_cost",
        requester_share_pct="50",
        **year,
    )
    heli = {"owner_org": owner, "asset_id": helicopter["asset_id"], "tariff_": heli_tariff}
    dive = {
        "owner_org": owner,
        "asset_id": divers["asset_id"],
        "tariff_": dive_tariff,
        "category": "dive_team",
        "legal_basis": "steunverlening",
    }
    db.apply(
        # B1: 4 h planned, 3.5 flown: 3.5 × 3900 + 1500 = 15150; decided in 6 h.
        completed(
            requester_org=unit_a,
            start=at("2031-04-02T10:00"),
            usage="3.50",
            planned_hours=4,
            requested_at=at("2031-03-30T10:00"),
            decided_at=at("2031-03-30T16:00"),
            **heli,
        ),
        # B2: two teams, 3 h planned, 2 h used: 2 × 2 × 450 + 300 = 2100, police half = 1050.
        completed(
            requester_org=unit_b,
            start=at("2031-05-01T10:00"),
            usage="2.00",
            planned_hours=3,
            quantity=2,
            requested_at=at("2031-04-20T08:00"),
            decided_at=at("2031-04-20T10:00"),
            **dive,
        ),
        # B3: rejected after 12 h.
        _state(
            "booking.rejected",
            unit_b,
            at("2031-04-05T08:00"),
            at("2031-04-01T00:00"),
            at("2031-04-01T12:00"),
            **heli,
        ),
        # B4: still waiting for a decision: not a decided request.
        _state(
            "booking.requested",
            unit_a,
            at("2031-04-06T08:00"),
            at("2031-04-04T00:00"),
            None,
            **heli,
        ),
        # B5: approved in 1 h, cancelled 10 h before: 25 % of (4 × 3900 + 1500) = 4275.
        cancelled(
            requester_org=unit_a,
            start=at("2031-04-08T08:00"),
            planned_hours=4,
            hours_before_start=10,
            requested_at=at("2031-04-03T08:00"),
            decided_at=at("2031-04-03T09:00"),
            **heli,
        ),
        # B6: approved in 3 h, then displaced: pays nothing.
        preempted(
            requester_org=unit_b,
            start=at("2031-04-09T08:00"),
            requested_at=at("2031-04-07T08:00"),
            decided_at=at("2031-04-07T11:00"),
            **heli,
        ),
        # B7: across the quarter's end (midnight in Amsterdam, 22:00 UTC): 2 of its 4 planned
        # hours fall in it; 3 h flown (3 × 3900 + 1500 = 13200), decided in 4 h.
        completed(
            requester_org=unit_b,
            start=amsterdam("2031-06-30T22:00"),
            usage="3.00",
            planned_hours=4,
            requested_at=amsterdam("2031-06-29T22:00"),
            decided_at=amsterdam("2031-06-30T02:00"),
            **heli,
        ),
        # O1: 10 × 80.00 at the joint tier, 95.00 alone: 150 saved.
        order_placed(
            requester_org=unit_a,
            owner_org=owner,
            quantity=10,
            unit_price="80.00",
            solo_unit_price="95.00",
            ordered_at=at("2031-05-10T09:00"),
        ),
    )
    return {"owner": owner, "unit_a": unit_a, "unit_b": unit_b}


def _state(
    event_type: str,
    requester: str,
    start: datetime,
    requested: datetime,
    decided: datetime | None,
    **kw: Any,
) -> dict[str, Any]:
    state = event_type.removeprefix("booking.")
    data = booking_data(
        requester_org=requester,
        state=state,
        planned_start=start,
        planned_hours=2,
        requested_at=requested,
        decided_at=decided,
        version=2,
        **kw,
    )
    return event(event_type, data)


def efficiency(cs: FlaskClient, group_by: str, period: str = EFFICIENCY_PERIOD) -> dict[str, Any]:
    response = cs.get(
        f"/api/v1/efficiency?period={period}&group_by={group_by}", headers=auth("controller")
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["period"], body["group_by"], body["illustrative_prices"]) == (
        period,
        group_by,
        True,
    )
    return {row[group_by]: row for row in body["rows"]}


def test_efficiency_per_owner_on_a_known_quarter(
    cs: FlaskClient, efficiency_data: dict[str, str]
) -> None:
    row = efficiency(cs, "owner")[efficiency_data["owner"]]
    # Published: helicopter 240 h × 1; divers (7 h + 3 × 8 h) × 2 teams = 62.
    assert row["published_hours"] == 302.0
    # Booked (fulfilled, planned, in the quarter): B1 4 + B2 3 × 2 + B7 2 = 12 unit-hours.
    assert row["booked_hours"] == 12.0
    assert row["utilisation"] == round(12 / 302, 4)
    # Joint use: 3.5 + 2 teams × 2 h + 3 = 10.5 hours of Defence capacity used by the police.
    assert row["joint_use_hours"] == "10.50"
    # Paid by the police: 15150 + 1050 + 4275 + 13200 + 800 (the order).
    assert row["police_paid"] == "34475.00"
    # Avoided: market × use − paid, per use: B1 11000 × 3.5 − 15150 = 23350;
    # B2 600 × 4 − 1050 = 1350; B7 11000 × 3 − 13200 = 19800.
    assert row["avoided_cost"] == "44500.00"
    assert row["procurement_savings"] == "150.00"  # (95 − 80) × 10
    # Decisions: 6, 2, 12, 1, 3 and 4 h (B4 undecided); fulfilled: B1, B2, B7 of 6.
    assert row["avg_decision_hours"] == round(28 / 6, 2)
    assert (row["requests_decided"], row["fulfilled_share"]) == (6, 0.5)


def test_efficiency_per_requesting_unit(cs: FlaskClient, efficiency_data: dict[str, str]) -> None:
    rows = efficiency(cs, "requester")
    a, b = rows[efficiency_data["unit_a"]], rows[efficiency_data["unit_b"]]
    assert (a["published_hours"], a["utilisation"]) == (0.0, None)  # capacity has no requester
    assert (a["booked_hours"], a["joint_use_hours"], a["police_paid"], a["avoided_cost"]) == (
        4.0,
        "3.50",
        "20225.00",
        "23350.00",
    )
    assert (a["procurement_savings"], a["avg_decision_hours"]) == ("150.00", 3.5)
    assert (a["requests_decided"], a["fulfilled_share"]) == (2, 0.5)
    assert (b["booked_hours"], b["joint_use_hours"], b["police_paid"], b["avoided_cost"]) == (
        8.0,
        "7.00",
        "14250.00",
        "21150.00",
    )
    assert (b["procurement_savings"], b["avg_decision_hours"]) == ("0.00", 5.25)
    assert (b["requests_decided"], b["fulfilled_share"]) == (4, 0.5)


def test_efficiency_per_category_and_region(
    cs: FlaskClient, efficiency_data: dict[str, str]
) -> None:
    by_category = efficiency(cs, "category")
    heli, dive, items = (by_category[c] for c in ("helicopter", "dive_team", "procurement_item"))
    assert (heli["published_hours"], heli["booked_hours"], heli["utilisation"]) == (
        240.0,
        6.0,
        0.025,
    )
    assert (heli["joint_use_hours"], heli["avoided_cost"], heli["police_paid"]) == (
        "6.50",
        "43150.00",
        "32625.00",
    )
    assert (heli["avg_decision_hours"], heli["requests_decided"], heli["fulfilled_share"]) == (
        5.2,
        5,
        0.4,
    )
    assert (dive["published_hours"], dive["booked_hours"], dive["utilisation"]) == (
        62.0,
        6.0,
        round(6 / 62, 4),
    )
    assert (dive["joint_use_hours"], dive["avoided_cost"], dive["police_paid"]) == (
        "4.00",
        "1350.00",
        "1050.00",
    )
    assert (items["procurement_savings"], items["police_paid"], items["utilisation"]) == (
        "150.00",
        "800.00",
        None,
    )

    # Region: an asset's home (first) region; orders have none.
    by_region = efficiency(cs, "region")
    assert by_region["VR10"]["published_hours"] == 240.0
    assert by_region["VR10"]["avoided_cost"] == "43150.00"
    assert by_region["VR17"]["published_hours"] == 62.0
    assert by_region["unknown"]["procurement_savings"] == "150.00"


def test_efficiency_reconciles_with_the_ledger(
    cs: FlaskClient, db: CostsharingDB, efficiency_data: dict[str, str]
) -> None:
    paid = db.scalar(
        "SELECT sum(CASE side WHEN 'debit' THEN amount ELSE -amount END) FROM ledger_entries e "
        "JOIN allocations a ON a.id = e.allocation_id WHERE e.kind = 'requester_share' "
        "AND a.owner_org = :o AND a.used_on >= :lo AND a.used_on < :hi",
        o=efficiency_data["owner"],
        lo=date(2031, 4, 1),
        hi=date(2031, 7, 1),
    )
    assert str(paid) == efficiency(cs, "owner")[efficiency_data["owner"]]["police_paid"]


def test_a_year_and_a_month_are_periods_too(
    cs: FlaskClient, efficiency_data: dict[str, str]
) -> None:
    owner = efficiency_data["owner"]
    assert efficiency(cs, "owner", "2031")[owner]["police_paid"] == "34475.00"
    may = efficiency(cs, "owner", "2031-05")[owner]
    assert (may["police_paid"], may["procurement_savings"], may["joint_use_hours"]) == (
        "1850.00",
        "150.00",
        "4.00",
    )  # B2 1050 and the order 800


# == bad input: refused, and nothing written =====================================================
@pytest.mark.parametrize("share", ["100.01", "-0.01", "250"])
def test_a_share_outside_0_to_100_is_refused(
    cs: FlaskClient, db: CostsharingDB, share: str
) -> None:
    unit, owner = scoped_orgs()
    with nothing_written(db.engine):
        response = cs.post(
            "/api/v1/agreements",
            headers=auth("admin"),
            json=agreement_body(owner_org=owner, requester_org=unit, requester_share_pct=share),
        )
    assert_problem(response, 422, "requester_share_pct")
    agreement = create_agreement(cs, owner_org=owner, requester_org=unit)
    with nothing_written(db.engine):
        response = cs.patch(
            f"/api/v1/agreements/{agreement['id']}",
            headers={**auth("admin"), "If-Match": '"v1"'},
            json={"requester_share_pct": share},
        )
    assert_problem(response, 422, "requester_share_pct")


def test_an_agreement_that_ends_before_it_starts_is_refused(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    unit, owner = scoped_orgs()
    with nothing_written(db.engine):
        response = cs.post(
            "/api/v1/agreements",
            headers=auth("admin"),
            json=agreement_body(
                owner_org=owner, requester_org=unit, valid_from="2026-06-01", valid_to="2026-06-01"
            ),
        )
    assert_problem(response, 422, "valid_to")


@pytest.mark.parametrize("persona", ["planner-rotterdam", "owner-dhc", "admin"])
def test_only_finance_reviews(
    cs: FlaskClient, db: CostsharingDB, proposed: Any, persona: str
) -> None:
    allocation = proposed()
    for action, body in (
        ("approve", {}),
        ("dispute", {"reason": "Waarom niet"}),
        ("resolve", {"reason": "Waarom niet", "requester_amount": "1.00"}),
    ):
        with nothing_written(db.engine):
            assert_problem(review(cs, allocation["id"], action, persona=persona, **body), 403)
    assert allocation_api(cs, allocation["booking_id"])["state"] == "proposed"


BAD_PERIODS = [
    "2026-Q5",
    "2026-Q0",
    "2026-13",
    "2026-00",
    "abc",
    "",
    "2026-Q4x",
    "0000",
    "9999-Q4",
    "9999-12",
    "\u0662\u0660\u0662\u0666-Q4",  # Arabic-Indic digits (٢٠٢٦-Q4)
    "\uff12\uff10\uff12\uff16-Q4",  # full-width digits (２０２６-Q4)
    "2026-\uff11\uff11",  # a full-width month (2026-１１)
]


@pytest.mark.parametrize("period", BAD_PERIODS)
def test_a_period_that_is_not_a_period_is_422(
    cs: FlaskClient, db: CostsharingDB, period: str
) -> None:
    with nothing_written(db.engine):
        responses = [
            cs.get(
                f"/api/v1/statements?org=politie-rotterdam&period={period}",
                headers=auth("controller"),
            ),
            cs.get(
                f"/api/v1/statements?org=politie-rotterdam&period={period}",
                headers={**auth("controller"), "Accept": "text/csv"},
            ),
            cs.post(
                "/api/v1/statements/close",
                headers=auth("controller"),
                json={"org": "politie-rotterdam", "period": period},
            ),
            cs.get(f"/api/v1/efficiency?period={period}", headers=auth("controller")),
        ]
    for response in responses:
        assert_problem(response, 422, "period")


def test_resolving_with_an_agreement_of_another_legal_basis_is_refused(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    unit, owner = scoped_orgs()
    use = completed(
        requester_org=unit,
        owner_org=owner,
        start=at("2025-07-01T10:00"),
        usage="1.00",
        legal_basis="bijstand_politiewet",
    )
    db.apply(use)
    allocation = allocation_api(cs, source_id(use))
    other_basis = create_agreement(
        cs,
        owner_org=owner,
        requester_org=unit,
        legal_basis="steunverlening",
        price_basis="full_cost",
        requester_share_pct="50",
        valid_from="2025-01-01",
        valid_to="2025-02-01",
    )
    with nothing_written(db.engine):
        refused = review(
            cs,
            allocation["id"],
            "resolve",
            reason="verkeerde grondslag",
            agreement_id=other_basis["id"],
        )
    assert refused.status_code == 422
    assert "agreement_id" in refused.get_json()["errors"]
    assert allocation_api(cs, source_id(use))["state"] == "needs_agreement"
