"""Helpers for the portal's tests over the running stack: windows in Amsterdam time, free
assets, and bookings made directly through the APIs (the other side of a journey)."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

import requests

from services.portal.i18n import AMSTERDAM
from tests.support import auth

TIMEOUT_S = 30


def window(days_ahead: int, hour: int, hours: int = 3) -> tuple[str, str]:
    """A window as datetime-local form values (Amsterdam wall-clock time)."""
    day = datetime.now(AMSTERDAM).date() + timedelta(days=days_ahead)
    start = datetime.combine(day, time(hour, 0))
    end = start + timedelta(hours=hours)
    return start.strftime("%Y-%m-%dT%H:%M"), end.strftime("%Y-%m-%dT%H:%M")


def instant(local: str) -> str:
    """A datetime-local value as the ISO instant the APIs take."""
    return datetime.fromisoformat(local).replace(tzinfo=AMSTERDAM).isoformat()


def free_helicopters(
    stack: dict[str, str], start: str, end: str, persona: str = "planner-rotterdam"
) -> list[dict[str, Any]]:
    found = requests.get(
        f"{stack['booking']}/api/v1/availability",
        params={"start": instant(start), "end": instant(end), "category": "helicopter"},
        headers=auth(persona),
        timeout=TIMEOUT_S,
    )
    assert found.status_code == 200, found.text
    return [a for a in found.json()["items"] if a["owner_org"] == "defensie-dhc"]


def request_booking(
    stack: dict[str, str],
    persona: str,
    asset_id: str,
    start: str,
    end: str,
    *,
    priority: int = 2,
    purpose: str = "Inzet via de API",
) -> dict[str, Any]:
    created = requests.post(
        f"{stack['booking']}/api/v1/bookings",
        headers={**auth(persona), "Idempotency-Key": uuid.uuid4().hex},
        json={
            "asset_id": asset_id,
            "start": instant(start),
            "end": instant(end),
            "priority": priority,
            "legal_basis": "steunverlening",
            "purpose": purpose,
            "contact": "Meldkamer 0800-1234",
        },
        timeout=TIMEOUT_S,
    )
    assert created.status_code == 201, created.text
    booking: dict[str, Any] = created.json()
    return booking


def act(
    stack: dict[str, str], persona: str, booking_id: str, action: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = requests.post(
        f"{stack['booking']}/api/v1/bookings/{booking_id}/{action}",
        headers=auth(persona),
        json=body,
        timeout=TIMEOUT_S,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def unit_bookings(stack: dict[str, str], persona: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{stack['booking']}/api/v1/bookings",
        params={"limit": 200},
        headers=auth(persona),
        timeout=TIMEOUT_S,
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["items"]
    return rows
