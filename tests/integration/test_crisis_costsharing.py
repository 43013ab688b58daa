"""Cost-sharing keeps the crisis fast path's facts from booking's events (priority, when an
acute request escalated, when it was decided) and its efficiency figures report how fast
acute requests were decided and how many escalated."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from shared.events import validate_event
from shared.settings import Settings
from tests.integration.costsharing_support import CostsharingDB, booking_data, event
from tests.support import auth

pytestmark = pytest.mark.db

PERIOD = "2032-Q1"  # no other test has bookings then

# (event type, state, fields changed from then on, fields of that event alone)
Step = tuple[str, str, dict[str, Any], dict[str, Any]]


@pytest.fixture
def db(settings: dict[str, Settings]) -> Iterator[CostsharingDB]:
    made = CostsharingDB(settings["costsharing"])
    yield made
    made.dispose()


def at(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def lifecycle(owner: str, requested: datetime, *steps: Step, priority: int) -> list[Any]:
    """One booking's events as booking sends them: requested, then each step."""
    fields: dict[str, Any] = {
        "booking_id": str(uuid.uuid4()),
        "asset_id": str(uuid.uuid4()),
        "requester_org": "politie-rotterdam",
        "owner_org": owner,
        "planned_start": requested + timedelta(hours=2),
        "requested_at": requested,
        "priority": priority,
        "decide_by": (requested + timedelta(minutes=15)).isoformat() if priority == 1 else None,
        "escalated_at": None,
    }
    events = [event("booking.requested", booking_data(state="requested", **fields))]
    for version, (event_type, state, changed, once) in enumerate(steps, start=2):
        fields.update(changed)
        data = booking_data(state=state, version=version, **fields, **once)
        events.append(event(event_type, data))
    for evt in events:
        validate_event(evt)
    return events


def approved_at(moment: datetime) -> Step:
    return ("booking.approved", "approved", {"decided_at": moment}, {})


def test_efficiency_reports_acute_decision_times_and_escalations(
    clients: dict[str, FlaskClient], db: CostsharingDB
) -> None:
    owner = f"defensie-crisis-{uuid.uuid4().hex[:8]}"
    t0 = at("2032-02-02T10:00")
    escalation: Step = (
        "booking.escalated",
        "requested",
        {"escalated_at": (t0 + timedelta(minutes=15)).isoformat()},
        {"region": "VR17", "alternatives": []},
    )
    escalated = lifecycle(
        owner, t0, escalation, approved_at(t0 + timedelta(minutes=40)), priority=1
    )
    quick = t0 + timedelta(hours=1)
    lifecycles = [
        escalated,
        lifecycle(owner, quick, approved_at(quick + timedelta(minutes=10)), priority=1),
        lifecycle(owner, t0, approved_at(t0 + timedelta(hours=6)), priority=2),
    ]
    db.apply(*(evt for events in lifecycles for evt in events))
    db.apply(escalated[1])  # a redelivered escalation changes nothing

    response = clients["costsharing"].get(
        f"/api/v1/efficiency?period={PERIOD}&group_by=owner", headers=auth("controller")
    )
    assert response.status_code == 200, response.get_json()
    (row,) = [r for r in response.get_json()["rows"] if r["owner"] == owner]
    # Acute: decided in 40 (after escalating) and 10 minutes.
    assert (row["acute_decided"], row["avg_acute_decision_minutes"]) == (2, 25.0)
    assert row["acute_escalated"] == 1
    assert row["avg_decision_hours"] == round((40 / 60 + 10 / 60 + 6) / 3, 2)
    assert row["requests_decided"] == 3
