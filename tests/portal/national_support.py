"""A quarter of known figures for the national pages' tests: completed helicopter uses in
four safety regions, applied to the portal stack's cost-sharing database through the
consumer's handlers (as its worker applies booking events). Session-scoped, made once (the
fixture is imported in conftest.py), so every national test sees the same figures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests

from shared.settings import load_settings
from tests.integration.costsharing_support import (
    CostsharingDB,
    agreement_body,
    asset_facts,
    at,
    completed,
    scoped_orgs,
)
from tests.support import auth

# A year no other portal test books in: the seeded uses are all it holds.
SEEDED_BASELINE, SEEDED_PERIOD = "2045-Q1", "2045-Q4"
# Completed uses of 1.5 h per region in SEEDED_PERIOD (classes of 4 equal steps up to 8).
SEEDED_USES = {"VR24": 8, "VR01": 4, "VR09": 2, "VR17": 1}


@pytest.fixture(scope="session")
def national_seeded(portal_stack: dict[str, str], portal_db_urls: dict[str, str]) -> Iterator[None]:
    unit, owner = scoped_orgs()
    agreement = requests.post(
        f"{portal_stack['costsharing']}/api/v1/agreements",
        json=agreement_body(owner_org=owner, valid_from="2045-01-01", valid_to="2046-01-01"),
        headers={**auth("admin"), "Idempotency-Key": f"national-{owner}"},
        timeout=30,
    )
    assert agreement.status_code == 201, agreement.text
    db = CostsharingDB(
        load_settings("costsharing", {"DATABASE_URL": portal_db_urls["costsharing"]})
    )
    events = []
    for region, uses in SEEDED_USES.items():
        asset = asset_facts(owner_org=owner, regions=[region])
        db.put_asset(asset)
        for n in range(uses):
            asked = at("2045-10-06T08:00") + timedelta(days=n)
            events.append(
                completed(
                    requester_org=unit,
                    owner_org=owner,
                    asset_id=asset["asset_id"],
                    start=asked + timedelta(days=3),
                    usage="1.50",
                    requested_at=asked,
                    decided_at=asked + timedelta(minutes=20 + n),
                )
            )
    db.apply(*events)
    yield
    db.dispose()
