"""Four eyes by side: a resolution that lowers the resolver's own side's share needs the joint
controller, whoever disputed. (Who disputed never resolves: test_costsharing_api.)

The allocations here are 11250.00 split by an agreement's requester share: the police unit is
the requesting (paying) side, the Defence owner the side that bears the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from tests.integration.costsharing_support import (
    CostsharingDB,
    at,
    completed,
    create_agreement,
    review,
    scoped_orgs,
    source_id,
)
from tests.support import assert_problem, auth, nothing_written

pytestmark = pytest.mark.db

OWN_SIDE_RULE = "own-share-needs-joint-controller"


def disputed_by(
    cs: FlaskClient, db: CostsharingDB, disputer: str, requester_share_pct: str
) -> Callable[[], str]:
    """A factory of allocations of 11250.00 (police share ``requester_share_pct``), each
    disputed by ``disputer``; returns the allocation's id."""
    unit, owner = scoped_orgs()
    create_agreement(
        cs,
        owner_org=owner,
        requester_org=unit,
        requester_share_pct=requester_share_pct,
        valid_from="2026-01-01",
        valid_to="2027-01-01",
    )
    start = at("2026-10-01T08:00")

    def make() -> str:
        nonlocal start
        start += timedelta(days=1)
        use = completed(requester_org=unit, owner_org=owner, usage="2.50", start=start)
        db.apply(use)
        found = cs.get(
            f"/api/v1/allocations?booking_id={source_id(use)}", headers=auth("controller")
        ).get_json()["items"]
        allocation_id = str(found[0]["id"])
        disputed = review(cs, allocation_id, "dispute", persona=disputer, reason="Klopt niet")
        assert disputed.status_code == 200, disputed.get_json()
        return allocation_id

    return make


def shares(cs: FlaskClient, allocation_id: str) -> tuple[str, str, str]:
    body = cs.get(f"/api/v1/allocations/{allocation_id}", headers=auth("controller")).get_json()
    return body["state"], body["requester_amount"], body["owner_amount"]


def test_the_paying_side_does_not_settle_the_other_sides_objection_in_its_own_favour(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    """Defence disputes a bill the police pay in full; police finance may not resolve it by
    setting the police share to 0.00. The joint controller may."""
    make = disputed_by(cs, db, "finance-defensie", "100")
    allocation = make()
    with nothing_written(db.engine):
        refused = review(cs, allocation, "resolve", persona="finance-politie",
                         reason="Dan betalen wij niets", requester_amount="0.00")  # fmt: skip
    body = assert_problem(refused, 403)
    assert body["rule"] == OWN_SIDE_RULE
    assert "joint controller" in body["detail"]
    assert shares(cs, allocation) == ("disputed", "11250.00", "0.00")
    in_dutch = cs.post(
        f"/api/v1/allocations/{allocation}/resolve",
        headers={**auth("finance-politie"), "Accept-Language": "nl"},
        json={"reason": "Nul", "requester_amount": "0.00"},
    )
    assert "gezamenlijke controller" in assert_problem(in_dutch, 403)["detail"]

    by_controller = review(cs, allocation, "resolve", persona="controller",
                           reason="Na overleg", requester_amount="0.00")  # fmt: skip
    assert by_controller.status_code == 200, by_controller.get_json()
    assert shares(cs, allocation) == ("resolved", "0.00", "11250.00")

    # A resolution that keeps (or raises) the resolver's own share is theirs to make.
    kept = make()
    same = review(cs, kept, "resolve", persona="finance-politie",
                  reason="Bedrag klopt toch", requester_amount="11250.00")  # fmt: skip
    assert same.status_code == 200, same.get_json()


def test_the_bearing_side_does_not_lower_its_own_share_either(
    cs: FlaskClient, db: CostsharingDB
) -> None:
    """Police disputes a half-and-half split; Defence finance may raise its own share, not
    shift its half onto the police."""
    make = disputed_by(cs, db, "finance-politie", "50")
    allocation = make()
    with nothing_written(db.engine):
        refused = review(cs, allocation, "resolve", persona="finance-defensie",
                         reason="Politie betaalt alles", requester_amount="11250.00")  # fmt: skip
    assert assert_problem(refused, 403)["rule"] == OWN_SIDE_RULE
    assert shares(cs, allocation) == ("disputed", "5625.00", "5625.00")
    raised = review(cs, allocation, "resolve", persona="finance-defensie",
                    reason="Wij dragen meer", requester_amount="5000.00")  # fmt: skip
    assert raised.status_code == 200, raised.get_json()
    assert shares(cs, allocation) == ("resolved", "5000.00", "6250.00")
