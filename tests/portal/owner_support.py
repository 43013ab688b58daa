"""Helpers for the owner's portal tests: signed-in clients, a fresh asset of the owner's
own (so availability, blackouts and retirement touch nothing the other tests book), the
header badge, and a form's prefilled values."""

from __future__ import annotations

import re
import uuid
from datetime import date
from html import unescape
from typing import Any

import pytest
import requests

from tests.portal.client import PortalClient
from tests.support import auth

TIMEOUT_S = 30
_BADGE = re.compile(r'id="pending-approvals-badge">(?:<span[^>]*>[^<]*</span>)?\s*(\d+)</span>')


@pytest.fixture
def dhc_owner(portal_stack: dict[str, str]) -> PortalClient:
    client = PortalClient(portal_stack["portal"])
    client.sign_in("owner-dhc")
    return client


@pytest.fixture
def rotterdam_planner(portal_stack: dict[str, str]) -> PortalClient:
    client = PortalClient(portal_stack["portal"])
    client.sign_in("planner-rotterdam")
    return client


def badge_count(html: str) -> int:
    """The number in the header's pending-approvals badge (0 when the badge is left out)."""
    found = _BADGE.search(html)
    return int(found.group(1)) if found else 0


def pending_total(stack: dict[str, str], persona: str = "owner-dhc") -> int:
    response = requests.get(
        f"{stack['booking']}/api/v1/approvals/pending", headers=auth(persona), timeout=TIMEOUT_S
    )
    assert response.status_code == 200, response.text
    return int(response.json()["counts"]["total"])


def input_value(html: str, name: str) -> str:
    """The value an input of the form was rendered with."""
    found = re.search(rf'name="{re.escape(name)}" type="[^"]*" value="([^"]*)"', html)
    assert found, f"no input {name!r} in the page"
    return unescape(found.group(1))


def new_asset(
    stack: dict[str, str],
    persona: str = "owner-dhc",
    *,
    category: str = "search_team",
    valid_to: date | None = None,
) -> dict[str, Any]:
    """A fresh asset of the persona's organisation, with no availability published yet."""
    suffix = uuid.uuid4().hex[:8]
    response = requests.post(
        f"{stack['catalog']}/api/v1/assets",
        headers={**auth(persona), "Idempotency-Key": uuid.uuid4().hex},
        json={
            "registration": f"PT-{suffix}",
            "name": f"Zoekteam {suffix}",
            "category": category,
            "home_base": "Kamp Nieuw-Milligen",
            "regions": ["VR17"],
            "readiness_notice": "PT1H",
            "tariff": {
                "unit": "hour",
                "full_cost_rate": "400.00",
                "marginal_cost_rate": "150.00",
                "market_reference_price": "600.00",
                "valid_from": "2026-01-01",
                "valid_to": valid_to.isoformat() if valid_to else None,
            },
        },
        timeout=TIMEOUT_S,
    )
    assert response.status_code == 201, response.text
    asset: dict[str, Any] = response.json()
    return asset
