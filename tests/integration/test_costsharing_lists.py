"""Every cost-sharing list is one shape, ``{items, next_cursor}``, paged by a stable cursor
(issue 14): walking the pages yields each item once, in the unpaged order, even when items
are added between pages; a cursor the list did not give out is a 422 on ``cursor``."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.integration.costsharing_support import (
    CostsharingDB,
    amsterdam,
    completed,
    create_agreement,
    review,
    scoped_orgs,
)
from tests.support import assert_problem, auth

pytestmark = pytest.mark.db


def _pages(cs: FlaskClient, path: str, **query: Any) -> list[dict[str, Any]]:
    """Every page of a list, one request per page; each answer is {items, next_cursor}."""
    pages, cursor = [], query.pop("cursor", None)
    while True:
        response = cs.get(
            path, headers=auth("controller"), query_string={**query, "cursor": cursor or []}
        )
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert set(body) == {"items", "next_cursor"}
        pages.append(body)
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def _use(db: CostsharingDB, unit: str, owner: str, day: int) -> None:
    db.apply(
        completed(
            requester_org=unit,
            owner_org=owner,
            start=amsterdam(f"2026-05-{day:02d}T10:00"),
            usage="1.00",
        )
    )


def test_allocations_are_paged_by_a_stable_cursor(cs: FlaskClient, db: CostsharingDB) -> None:
    unit, owner = scoped_orgs()
    create_agreement(cs, owner_org=owner)
    for day in (4, 5, 6):
        _use(db, unit, owner, day)
    whole = _pages(cs, "/api/v1/allocations", org=owner)
    assert len(whole) == 1 and len(whole[0]["items"]) == 3
    in_order = [a["id"] for a in whole[0]["items"]]

    first = cs.get(
        "/api/v1/allocations", headers=auth("controller"), query_string={"org": owner, "limit": 2}
    ).get_json()
    assert [a["id"] for a in first["items"]] == in_order[:2] and first["next_cursor"]
    _use(db, unit, owner, 7)  # arrives between the pages: it comes last, nothing repeats
    rest = _pages(cs, "/api/v1/allocations", org=owner, limit=2, cursor=first["next_cursor"])
    seen = [a["id"] for page in rest for a in page["items"]]
    assert seen[:1] == in_order[2:] and len(seen) == 2
    assert len(set(in_order[:2] + seen)) == 4

    one_by_one = _pages(cs, "/api/v1/allocations", org=owner, limit=1)
    assert [p["items"][0]["id"] for p in one_by_one] == in_order + seen[1:]


def test_ledger_reviews_and_agreements_are_pages_too(cs: FlaskClient, db: CostsharingDB) -> None:
    unit, owner = scoped_orgs()
    agreement = create_agreement(cs, owner_org=owner)
    _use(db, unit, owner, 11)
    allocation = cs.get(
        "/api/v1/allocations", headers=auth("controller"), query_string={"org": owner}
    ).get_json()["items"][0]
    assert (
        review(cs, allocation["id"], "dispute", "finance-politie", reason="Te hoog").status_code
        == 200
    )
    resolved = review(
        cs, allocation["id"], "resolve", "finance-defensie", reason="Helft", requester_amount="1.00"
    )
    assert resolved.status_code == 200, resolved.get_json()

    ledger = _pages(cs, f"/api/v1/allocations/{allocation['id']}/ledger", limit=2)
    lines = [line for page in ledger for line in page["items"]]
    assert len(ledger) == (len(lines) + 1) // 2 and len(lines) >= 4
    assert [x["entry"] for x in lines][:1] == ["original"] and lines[-1]["entry"] == "correction"
    reviews = _pages(cs, f"/api/v1/allocations/{allocation['id']}/reviews", limit=1)
    assert [p["items"][0]["action"] for p in reviews] == ["dispute", "resolve"]

    agreements = [a["id"] for p in _pages(cs, "/api/v1/agreements", limit=3) for a in p["items"]]
    assert agreement["id"] in agreements and len(agreements) == len(set(agreements))


@pytest.mark.parametrize(
    "path", ["/api/v1/allocations", "/api/v1/agreements", "/api/v1/allocations/{id}/ledger"]
)
@pytest.mark.parametrize("cursor", ["nonsense", "WyJ4Il0", "W10"])
def test_a_cursor_the_list_did_not_give_out_is_a_422(
    cs: FlaskClient, db: CostsharingDB, path: str, cursor: str
) -> None:
    unit, owner = scoped_orgs()
    create_agreement(cs, owner_org=owner)
    _use(db, unit, owner, 12)
    allocation = cs.get(
        "/api/v1/allocations", headers=auth("controller"), query_string={"org": owner}
    ).get_json()["items"][0]
    response = cs.get(
        path.format(id=allocation["id"]),
        headers=auth("controller"),
        query_string={"cursor": cursor},
    )
    assert_problem(response, 422, "cursor")
