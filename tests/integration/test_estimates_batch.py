"""Cost-sharing's batch of estimates against the real PostgreSQL: one call prices every asset
of a search-results page, each item exactly as ``POST /estimates`` would.

A malformed item refuses the whole batch (422 naming ``items.<n>.<field>``); a well-formed
item that cannot be estimated (an unknown asset, an empty window) is a problem of its own
while the other items keep their estimates. Nothing is ever written.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.costsharing.estimate_schemas import MAX_ESTIMATES_PER_BATCH
from tests.integration.costsharing_support import (
    CostsharingDB,
    asset_facts,
    create_agreement,
    scoped_orgs,
    tariff,
)
from tests.support import assert_problem, auth, nothing_written

pytestmark = pytest.mark.db

BATCH = "/api/v1/estimates/batch"


@pytest.fixture(scope="module")
def page(cs: FlaskClient, db: CostsharingDB) -> dict[str, str]:
    """A results page: a helicopter an agreement covers, a dive team none covers."""
    unit, owner = scoped_orgs()
    covered = asset_facts(owner_org=owner, tariffs=[tariff(valid_from="2086-01-01")])
    uncovered = asset_facts(owner_org=owner, category="dive_team", tariffs=[tariff()])
    db.put_asset(covered)
    db.put_asset(uncovered)
    create_agreement(
        cs,
        owner_org=owner,
        requester_org=unit,
        category="helicopter",
        legal_basis="steunverlening",
        price_basis="full_cost",
        requester_share_pct="50",
        valid_from="2086-01-01",
    )
    return {"unit": unit, "covered": covered["asset_id"], "uncovered": uncovered["asset_id"]}


def item(asset_id: str, *, hours: int = 3, **extra: Any) -> dict[str, Any]:
    return {
        "asset_id": asset_id,
        "start": "2086-03-02T08:00:00+01:00",
        "end": f"2086-03-02T{8 + hours:02d}:00:00+01:00",
        "legal_basis": "steunverlening",
        **extra,
    }


def test_items_come_back_in_order_each_as_the_single_estimate_would(
    cs: FlaskClient, db: CostsharingDB, page: dict[str, str]
) -> None:
    unknown = str(uuid.uuid4())
    items = [
        item(page["covered"], requester_org=page["unit"]),
        item(page["uncovered"], requester_org=page["unit"]),
        item(unknown, requester_org=page["unit"]),
        item(page["covered"], hours=0, requester_org=page["unit"]),  # end == start
        item(page["covered"], hours=2, quantity=2, requester_org=page["unit"]),
    ]
    with nothing_written(db.engine):
        response = cs.post(BATCH, headers=auth("planner-rotterdam"), json={"items": items})
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["items"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]

    # The covered helicopter: 3 × 9800 + 1500, half each; the same as POST /estimates says.
    first = results[0]
    assert first["problem"] is None
    assert (first["estimate"]["total"], first["estimate"]["requester_amount"]) == (
        "30900.00",
        "15450.00",
    )
    for index in (0, 1, 4):
        single = cs.post("/api/v1/estimates", headers=auth("planner-rotterdam"), json=items[index])
        assert single.status_code == 200, single.get_json()
        assert results[index]["estimate"] == single.get_json()
    assert results[4]["estimate"]["total"] == "40700.00"  # 2 h × 2 units × 9800 + 1500

    # No agreement covers the dive team: an estimate that says so, not a problem.
    assert results[1]["estimate"]["covered"] is False and results[1]["problem"] is None

    # An unknown asset and an empty window: problems of their own, the others unharmed.
    for index, field in ((2, "asset_id"), (3, "end")):
        problem = results[index]["problem"]
        assert results[index]["estimate"] is None
        assert problem["status"] == 422 and problem["title"] == "Unprocessable Content"
        assert field in problem["errors"]
    assert results[2]["problem"]["detail"] == "Unknown asset."


def test_a_malformed_item_refuses_the_batch_naming_the_item_and_field(
    cs: FlaskClient, db: CostsharingDB, page: dict[str, str]
) -> None:
    good = item(page["covered"])
    missing_end = {k: v for k, v in good.items() if k != "end"}
    items = [good, {**good, "quantity": "two"}, good, missing_end, {**good, "colour": "red"}]
    with nothing_written(db.engine):
        response = cs.post(BATCH, headers=auth("planner-rotterdam"), json={"items": items})
    body = assert_problem(response, 422, "items.1.quantity", "items.3.end", "items.4.colour")
    assert body["errors"]["items.3.end"] == ["Missing data for required field."]
    assert body["errors"]["items.1.quantity"] == ["Not a valid integer."]
    assert body["errors"]["items.4.colour"] == ["Unknown field."]
    assert not any(name.startswith("items.0") for name in body["errors"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "items"),
        ({"items": []}, "items"),
        ({"items": "all of them"}, "items"),
        ({"items": [None]}, "items.0"),
        ({"items": [1, 2]}, "items.0._schema"),
    ],
)
def test_a_batch_without_proper_items_is_422(
    cs: FlaskClient, db: CostsharingDB, body: dict[str, Any], field: str
) -> None:
    with nothing_written(db.engine):
        response = cs.post(BATCH, headers=auth("planner-rotterdam"), json=body)
    assert_problem(response, 422, field)


def test_at_most_the_stated_number_of_items(
    cs: FlaskClient, db: CostsharingDB, page: dict[str, str]
) -> None:
    full = [item(page["covered"], requester_org=page["unit"])] * MAX_ESTIMATES_PER_BATCH
    response = cs.post(BATCH, headers=auth("planner-rotterdam"), json={"items": full})
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["items"]) == MAX_ESTIMATES_PER_BATCH == 100
    assert {r["estimate"]["total"] for r in response.get_json()["items"]} == {"30900.00"}
    with nothing_written(db.engine):
        too_many = cs.post(
            BATCH, headers=auth("planner-rotterdam"), json={"items": [*full, full[0]]}
        )
    body = assert_problem(too_many, 422, "items")
    assert body["errors"]["items"] == ["Length must be between 1 and 100."]


@pytest.mark.parametrize("persona", ["planner-amsterdam", "owner-dhc", "finance-politie", "admin"])
def test_whoever_may_estimate_one_may_estimate_a_batch(
    cs: FlaskClient, page: dict[str, str], persona: str
) -> None:
    body = item(page["covered"])
    single = cs.post("/api/v1/estimates", headers=auth(persona), json=body)
    batch = cs.post(BATCH, headers=auth(persona), json={"items": [body]})
    assert single.status_code == batch.status_code == 200
    assert batch.get_json()["items"][0]["estimate"] == single.get_json()


def test_without_a_token_it_is_401(cs: FlaskClient, page: dict[str, str]) -> None:
    response = cs.post(BATCH, json={"items": [item(page["covered"])]})
    assert_problem(response, 401)


def test_a_per_item_problem_speaks_the_callers_language(
    cs: FlaskClient, page: dict[str, str]
) -> None:
    items = [item(page["covered"]), item(str(uuid.uuid4()))]
    dutch = cs.post(
        BATCH,
        headers={**auth("planner-rotterdam"), "Accept-Language": "nl-NL, en;q=0.5"},
        json={"items": items},
    )
    assert dutch.status_code == 200 and dutch.headers["Content-Language"] == "nl"
    problem = dutch.get_json()["items"][1]["problem"]
    assert (problem["title"], problem["detail"]) == ("Onverwerkbare inhoud", "Onbekend middel.")
    assert problem["errors"] == {"asset_id": ["Dit middel bestaat niet."]}
    english = cs.post(BATCH, headers=auth("planner-rotterdam"), json={"items": items})
    assert english.headers["Content-Language"] == "en"
    assert english.get_json()["items"][1]["problem"]["detail"] == "Unknown asset."
