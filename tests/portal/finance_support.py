"""Helpers for the finance and administrator portal tests: a police unit of the test's own
(so its allocations, statements and agreements touch nothing another test counts), a use of
a DHC helicopter by that unit completed through the real APIs, and its allocation once
cost-sharing's worker has priced it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests
from babel.numbers import format_currency

from shared.auth import PLANNER, mint_token
from shared.settings import DEV_JWT_SECRET
from tests.integration.booking_support import backdate
from tests.portal.journeys import act, free_helicopters, instant, window
from tests.support import auth, eventually

TIMEOUT_S = 30
ALLOCATION_DEADLINE_S = 90  # the worker consumes booking.completed; a busy machine is slow


def new_unit() -> tuple[str, dict[str, str]]:
    """A police unit no other test uses, and its planner's Authorization header."""
    org = f"politie-fin{uuid.uuid4().hex[:8]}"
    token = mint_token(
        sub=f"planner-{org}",
        name=f"Planner {org}",
        org=org,
        roles=(PLANNER,),
        secret=DEV_JWT_SECRET,
    )
    return org, {"Authorization": f"Bearer {token}"}


def completed_use(
    stack: dict[str, str],
    db_urls: dict[str, str],
    unit_headers: dict[str, str],
    days_ahead: int,
    hour: int,
) -> dict[str, Any]:
    """A helicopter booked by the unit (steunverlening), approved, moved into the past as if
    the days had gone by, started and completed by owner-dhc: the completed booking."""
    start, end = window(days_ahead, hour, hours=2)
    asset = free_helicopters(stack, start, end)[0]
    created = requests.post(
        f"{stack['booking']}/api/v1/bookings",
        headers={**unit_headers, "Idempotency-Key": uuid.uuid4().hex},
        json={
            "asset_id": asset["asset_id"],
            "start": instant(start),
            "end": instant(end),
            "priority": 2,
            "legal_basis": "steunverlening",
            "purpose": "Zoekactie voor de financiële tests",
            "contact": "Meldkamer 0800-1234",
        },
        timeout=TIMEOUT_S,
    )
    assert created.status_code == 201, created.text
    booking = created.json()
    act(stack, "owner-dhc", booking["id"], "approve", {})
    ends_in = datetime.fromisoformat(booking["planned_end"]) - datetime.now(UTC)
    backdate(db_urls, booking["id"], ends_in.total_seconds() / 3600 + 1)
    moved = requests.get(
        f"{stack['booking']}/api/v1/bookings/{booking['id']}",
        headers=auth("owner-dhc"),
        timeout=TIMEOUT_S,
    ).json()
    act(stack, "owner-dhc", booking["id"], "start", {})
    done = act(
        stack,
        "owner-dhc",
        booking["id"],
        "complete",
        {"actual_start": moved["planned_start"], "actual_end": moved["planned_end"]},
    )
    assert done["state"] == "completed", done
    return done


def allocation_of(stack: dict[str, str], booking_id: str) -> dict[str, Any]:
    """The usage allocation of a booking, once cost-sharing's worker has written it."""

    def found() -> dict[str, Any] | None:
        response = requests.get(
            f"{stack['costsharing']}/api/v1/allocations",
            params={"booking_id": booking_id},
            headers=auth("controller"),
            timeout=TIMEOUT_S,
        )
        assert response.status_code == 200, response.text
        usage = [a for a in response.json()["items"] if a["kind"] == "usage"]
        return usage[0] if usage else None

    return eventually(
        found, timeout_s=ALLOCATION_DEADLINE_S, every_s=0.5, what=f"the allocation of {booking_id}"
    )


def allocation_api(stack: dict[str, str], allocation_id: str) -> dict[str, Any]:
    response = requests.get(
        f"{stack['costsharing']}/api/v1/allocations/{allocation_id}",
        headers=auth("controller"),
        timeout=TIMEOUT_S,
    )
    assert response.status_code == 200, response.text
    allocation: dict[str, Any] = response.json()
    return allocation


def statement_api(stack: dict[str, str], org: str, period: str, **headers: str) -> Any:
    response = requests.get(
        f"{stack['costsharing']}/api/v1/statements",
        params={"org": org, "period": period},
        headers={**auth("controller"), **headers},
        timeout=TIMEOUT_S,
    )
    assert response.status_code == 200, response.text
    return response


def euros(amount: str, language: str = "nl") -> str:
    """An amount as the portal shows it in ``language`` (Babel's currency format)."""
    return format_currency(Decimal(amount), "EUR", locale=language)
