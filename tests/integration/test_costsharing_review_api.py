"""What the portal's finance and administrator pages ask of the APIs: the review queue's
filters on allocations (several states, organisation, category, period), the preview of an
agreement before it is saved (cost-sharing), and the history of reference-data edits
(catalog). Against the real PostgreSQL; every test scopes its data to made-up organisations."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.integration.costsharing_support import (
    CostsharingDB,
    amsterdam,
    booking_data,
    completed,
    create_agreement,
    event,
    review,
    scoped_orgs,
    source_id,
)
from tests.support import assert_problem, auth, nothing_written

pytestmark = pytest.mark.db

PREVIEW = "/api/v1/agreements/preview"


def _uses(db: CostsharingDB, unit: str, owner: str) -> dict[str, Any]:
    """Two past uses of the owner's helicopters (by ``unit`` and by a second unit) and one
    coming, approved booking of ``unit``, all under steunverlening."""
    other_unit = f"{unit}-b"
    past_own = completed(
        requester_org=unit,
        owner_org=owner,
        start=amsterdam("2026-03-02T10:00"),
        usage="2.00",
        legal_basis="steunverlening",
    )
    past_other = completed(
        requester_org=other_unit,
        owner_org=owner,
        start=amsterdam("2026-03-03T10:00"),
        usage="2.00",
        legal_basis="steunverlening",
    )
    coming = booking_data(
        requester_org=unit,
        owner_org=owner,
        state="approved",
        planned_start=datetime.now(UTC).replace(microsecond=0) + timedelta(days=10),
        legal_basis="steunverlening",
        decided_at=datetime.now(UTC),
        version=2,
    )
    db.apply(past_own, past_other, event("booking.approved", coming))
    return {
        "other_unit": other_unit,
        "past_own": source_id(past_own),
        "past_other": source_id(past_other),
        "coming": coming["booking_id"],
    }


def test_the_preview_names_what_the_terms_would_cover_and_what_a_more_specific_one_wins(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    unit, owner = scoped_orgs()
    general = create_agreement(
        cs, legal_basis="steunverlening", owner_org=owner, requester_share_pct="50"
    )
    uses = _uses(db, unit, owner)
    specific = create_agreement(
        cs,
        legal_basis="steunverlening",
        owner_org=owner,
        requester_org=uses["other_unit"],
        category="helicopter",
    )
    terms = {
        "name": "Helikopters van deze eigenaar",
        "legal_basis": "steunverlening",
        "category": "helicopter",
        "owner_org": owner,
        "valid_from": "2026-01-01",
        "price_basis": "marginal_cost",
        "requester_share_pct": "75",
    }
    with nothing_written(db.engine):
        response = cs.post(PREVIEW, headers=auth("admin"), json=terms)
    assert response.status_code == 200, response.get_json()
    preview = response.get_json()
    assert preview["ties"] == []
    past = {item["booking_id"]: item for item in preview["past"]["items"]}
    assert preview["past"]["matched"] == 2 and preview["past"]["covered"] == 1
    assert preview["past"]["won_elsewhere"] == 1 and preview["past"]["truncated"] is False
    own = past[uses["past_own"]]
    assert own["covered"] is True and own["won_by"] is None
    assert own["current"]["id"] == general["id"] and own["date"] == "2026-03-02"
    other = past[uses["past_other"]]
    assert other["covered"] is False and other["won_by"]["id"] == specific["id"]
    coming = preview["coming"]
    assert coming["matched"] == 1 and coming["covered"] == 1
    assert coming["items"][0]["booking_id"] == uses["coming"]
    assert coming["items"][0]["state"] == "approved"
    assert coming["items"][0]["current"]["id"] == general["id"]
    # Ending before March leaves the past uses out of its dates.
    early = cs.post(PREVIEW, headers=auth("admin"), json={**terms, "valid_to": "2026-03-01"})
    assert early.get_json()["past"]["matched"] == 0
    assert early.get_json()["coming"]["matched"] == 0


def test_the_preview_names_a_tie_and_previews_a_new_version_without_competing_with_itself(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    unit, owner = scoped_orgs()
    general = create_agreement(cs, legal_basis="steunverlening", owner_org=owner)
    uses = _uses(db, unit, owner)
    tie = cs.post(
        PREVIEW,
        headers=auth("admin"),
        json={
            "legal_basis": "steunverlening",
            "owner_org": owner,
            "valid_from": "2026-06-01",
            "price_basis": "free",
            "requester_share_pct": "0",
        },
    )
    assert tie.status_code == 200 and [t["id"] for t in tie.get_json()["ties"]] == [general["id"]]
    version = cs.post(
        PREVIEW,
        headers=auth("admin"),
        json={"agreement_id": general["id"], "price_basis": "free", "requester_share_pct": "0"},
    )
    assert version.status_code == 200, version.get_json()
    body = version.get_json()
    assert body["ties"] == []
    covered = {i["booking_id"] for i in body["past"]["items"] if i["covered"]}
    assert covered == {uses["past_own"], uses["past_other"]}
    assert body["coming"]["covered"] == 1


def test_the_preview_is_for_administrators_and_checks_its_terms(cs: FlaskClient) -> None:
    terms = {
        "legal_basis": "steunverlening",
        "valid_from": "2026-01-01",
        "price_basis": "free",
        "requester_share_pct": "0",
    }
    assert_problem(cs.post(PREVIEW, headers=auth("controller"), json=terms), 403)
    assert_problem(
        cs.post(PREVIEW, headers=auth("admin"), json={"legal_basis": "steunverlening"}),
        422,
        "valid_from",
        "price_basis",
        "requester_share_pct",
    )
    assert_problem(
        cs.post(PREVIEW, headers=auth("admin"), json={**terms, "valid_to": "2025-12-31"}),
        422,
        "valid_to",
    )
    unknown = cs.post(PREVIEW, headers=auth("admin"), json={"agreement_id": str(uuid.uuid4())})
    assert_problem(unknown, 404)


def test_the_review_queue_filters_by_states_organisation_category_and_period(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    unit, owner = scoped_orgs()
    create_agreement(cs, legal_basis="steunverlening", owner_org=owner)
    uses = _uses(db, unit, owner)
    own = cs.get(f"/api/v1/allocations?booking_id={uses['past_own']}", headers=auth("controller"))
    allocation_id = own.get_json()["items"][0]["id"]
    assert (
        review(cs, allocation_id, "dispute", "finance-politie", reason="Te hoog").status_code == 200
    )

    def listed(**query: Any) -> set[str]:
        response = cs.get("/api/v1/allocations", headers=auth("controller"), query_string=query)
        assert response.status_code == 200, response.get_json()
        return {a["booking_id"] for a in response.get_json()["items"]}

    both = {uses["past_own"], uses["past_other"]}
    assert listed(org=owner) == both
    assert listed(org=unit) == {uses["past_own"]}
    assert listed(org=owner, state=["proposed", "disputed"]) == both
    assert listed(org=owner, state="disputed") == {uses["past_own"]}
    assert listed(org=owner, period="2026-03", category="helicopter") == both
    assert listed(org=owner, period="2026-Q2") == set()
    assert listed(org=owner, category="drone") == set()
    assert len(listed(org=owner, limit=1)) == 1
    bad = cs.get("/api/v1/allocations?period=2026-13", headers=auth("controller"))
    assert_problem(bad, 422, "period")
    assert_problem(cs.get("/api/v1/allocations?state=gone", headers=auth("controller")), 422)


def test_reference_changes_are_listed_newest_first_for_administrators_only(
    clients: dict[str, FlaskClient],
) -> None:
    catalog = clients["catalog"]
    org_id = f"politie-rc{uuid.uuid4().hex[:8]}"
    created = catalog.post(
        "/api/v1/organisations",
        headers={**auth("admin"), "Idempotency-Key": uuid.uuid4().hex},
        json={"id": org_id, "name": "Eenheid Proef", "kind": "politie"},
    )
    assert created.status_code == 201, created.get_json()
    renamed = catalog.patch(
        f"/api/v1/organisations/{org_id}", headers=auth("admin"), json={"name": "Eenheid Test"}
    )
    assert renamed.status_code == 200, renamed.get_json()
    path = f"/api/v1/reference-changes?subject=organisation&subject_id={org_id}"
    first = catalog.get(f"{path}&limit=1", headers=auth("admin"))
    assert first.status_code == 200, first.get_json()
    page = first.get_json()
    assert [c["action"] for c in page["items"]] == ["updated"]
    assert page["items"][0]["changes"] == {"name": ["Eenheid Proef", "Eenheid Test"]}
    assert page["items"][0]["actor"] == "admin" and page["next_cursor"]
    second = catalog.get(f"{path}&limit=1&cursor={page['next_cursor']}", headers=auth("admin"))
    rest = second.get_json()
    assert [c["action"] for c in rest["items"]] == ["created"]
    assert rest["items"][0]["changes"]["name"] == [None, "Eenheid Proef"]
    assert rest["next_cursor"] is None
    assert_problem(catalog.get(path, headers=auth("controller")), 403)
    assert_problem(catalog.get(f"{path}&cursor=abc", headers=auth("admin")), 422, "cursor")
