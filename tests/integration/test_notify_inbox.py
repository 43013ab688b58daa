"""Notify's inbox, preferences and mailbox directory over its HTTP API, fed by events through
its real consumer path, against the session's real PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.notify.models import Delivery
from shared.auth import ADMIN, FINANCE, OWNER, PLANNER
from shared.settings import Settings
from tests.integration.notify_support import (
    NOTIFICATIONS,
    allocation_event,
    apply_events,
    booking_event,
    token_for,
    unique_org,
)
from tests.support import auth

pytestmark = [pytest.mark.db]


def inbox(client: FlaskClient, headers: dict[str, str], query: str = "") -> dict[str, object]:
    response = client.get(f"{NOTIFICATIONS}{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    body: dict[str, object] = response.get_json()
    return body


def test_a_request_reaches_the_owners_inbox_and_no_one_elses(
    clients: dict[str, FlaskClient],
    settings: dict[str, Settings],
    notify_sessions: sessionmaker[Session],
) -> None:
    notify = clients["notify"]
    owner, unit = unique_org("defensie"), unique_org("politie")
    owner_user = token_for(owner, OWNER)
    event = booking_event("booking.requested", owner_org=owner, requester_org=unit)
    assert apply_events(settings["notify"], notify_sessions, [event]).applied == 1

    page = inbox(notify, owner_user)
    (item,) = page["items"]  # type: ignore[misc]
    assert item["kind"] == "booking.requested"
    assert item["subject_id"] == event["data"]["booking_id"]
    assert item["language"] == "nl" and item["title"] == f"Nieuwe aanvraag: helikopter van {unit}"
    assert item["read"] is False and page["unread_count"] == 1
    # The requesting unit, another owner and the same organisation's other roles see nothing.
    for stranger in (
        token_for(unit, PLANNER),
        token_for(unique_org("defensie"), OWNER),
        token_for(owner, FINANCE),
    ):
        assert inbox(notify, stranger)["items"] == []
        r = notify.get(f"{NOTIFICATIONS}/{item['id']}", headers=stranger)
        assert r.status_code == 404 and r.mimetype == "application/problem+json"
        r = notify.post(f"{NOTIFICATIONS}/{item['id']}/read", headers=stranger)
        assert r.status_code == 404
    # The same event delivered again (a consumer restart) tells nobody twice.
    again = apply_events(settings["notify"], notify_sessions, [event])
    assert again.applied == 0 and again.duplicates == 1
    assert len(inbox(notify, owner_user)["items"]) == 1  # type: ignore[arg-type]


def test_read_marks_are_per_user_and_read_all_clears_the_badge(
    clients: dict[str, FlaskClient],
    settings: dict[str, Settings],
    notify_sessions: sessionmaker[Session],
) -> None:
    notify = clients["notify"]
    owner, unit = unique_org("defensie"), unique_org("politie")
    events = [
        booking_event("booking.requested", owner_org=owner, requester_org=unit) for _ in range(5)
    ]
    apply_events(settings["notify"], notify_sessions, events)
    alice, bob = token_for(owner, OWNER, sub="alice"), token_for(owner, OWNER, sub="bob")

    first = inbox(notify, alice, "?limit=2")
    assert len(first["items"]) == 2 and first["next_cursor"]  # type: ignore[arg-type]
    second = inbox(notify, alice, f"?limit=2&cursor={first['next_cursor']}")
    third = inbox(notify, alice, f"?limit=2&cursor={second['next_cursor']}")
    assert third["next_cursor"] is None
    pages = [*first["items"], *second["items"], *third["items"]]  # type: ignore[misc]
    assert sorted(i["subject_id"] for i in pages) == sorted(e["data"]["booking_id"] for e in events)

    r = notify.post(f"{NOTIFICATIONS}/{pages[0]['id']}/read", headers=alice)
    assert r.status_code == 200 and r.get_json()["read"] is True
    assert notify.get(f"{NOTIFICATIONS}/unread-count", headers=alice).get_json() == {
        "unread_count": 4
    }
    assert notify.get(f"{NOTIFICATIONS}/unread-count", headers=bob).get_json() == {
        "unread_count": 5
    }
    unread = inbox(notify, alice, "?unread=true")
    assert pages[0]["id"] not in {i["id"] for i in unread["items"]}  # type: ignore[attr-defined]
    r = notify.post(f"{NOTIFICATIONS}/read-all", headers=alice)
    assert r.get_json() == {"marked": 4}
    assert inbox(notify, alice, "?unread=true")["items"] == []
    assert inbox(notify, bob)["unread_count"] == 5


def test_a_forged_cursor_is_a_422_naming_it(clients: dict[str, FlaskClient]) -> None:
    r = clients["notify"].get(f"{NOTIFICATIONS}?cursor=bm90LWEtY3Vyc29y", headers=auth("owner-dhc"))
    assert r.status_code == 422 and "cursor" in r.get_json()["errors"]
    r = clients["notify"].get(f"{NOTIFICATIONS}?limit=1000", headers=auth("owner-dhc"))
    assert r.status_code == 422 and "limit" in r.get_json()["errors"]


def test_decisions_go_to_the_unit_and_an_accepted_counter_offer_to_the_owner(
    clients: dict[str, FlaskClient],
    settings: dict[str, Settings],
    notify_sessions: sessionmaker[Session],
) -> None:
    notify = clients["notify"]
    owner, unit = unique_org("defensie"), unique_org("politie")
    requested = booking_event("booking.requested", owner_org=owner, requester_org=unit)
    booking_id = requested["data"]["booking_id"]
    offer = {
        "asset_id": str(uuid.uuid4()),
        "start": "2026-12-24T09:00:00+00:00",
        "end": "2026-12-24T12:00:00+00:00",
    }
    countered = booking_event(
        "booking.counter_offered",
        owner_org=owner,
        requester_org=unit,
        version=2,
        booking_id=booking_id,
        counter_offer=offer,
        reason="Eerder beschikbaar",
    )
    accepted = booking_event(
        "booking.approved", owner_org=owner, requester_org=unit, version=3, booking_id=booking_id
    )
    apply_events(settings["notify"], notify_sessions, [requested, countered, accepted])

    planner = token_for(unit, PLANNER)
    (offered,) = inbox(notify, planner)["items"]  # type: ignore[misc]
    assert offered["kind"] == "booking.counter_offered"
    assert "24-12-2026 10:00" in offered["body"] and "Eerder beschikbaar" in offered["body"]
    kinds = [i["kind"] for i in inbox(notify, token_for(owner, OWNER))["items"]]  # type: ignore[attr-defined]
    assert kinds == ["booking.counter_offer_accepted", "booking.requested"]


def test_disputes_reach_finance_on_both_sides_and_the_controller(
    clients: dict[str, FlaskClient],
    settings: dict[str, Settings],
    notify_sessions: sessionmaker[Session],
) -> None:
    notify = clients["notify"]
    event = allocation_event(
        "costsharing.allocation.disputed",
        owner_org="defensie-dhc",
        requester_org="politie-rotterdam",
    )
    apply_events(settings["notify"], notify_sessions, [event])
    allocation_id = event["data"]["allocation_id"]
    for persona in ("finance-politie", "finance-defensie", "controller"):
        items = inbox(notify, auth(persona), "?limit=100")["items"]
        assert allocation_id in {i["subject_id"] for i in items}, persona  # type: ignore[attr-defined]
    for persona in ("planner-rotterdam", "owner-dhc", "admin"):
        items = inbox(notify, auth(persona), "?limit=100")["items"]
        assert allocation_id not in {i["subject_id"] for i in items}, persona  # type: ignore[attr-defined]


def test_preferences_choose_the_language_and_emailed_kinds(
    clients: dict[str, FlaskClient],
    settings: dict[str, Settings],
    notify_sessions: sessionmaker[Session],
) -> None:
    notify = clients["notify"]
    owner, unit = unique_org("defensie"), unique_org("politie")
    me = token_for(owner, OWNER, sub=f"me-{uuid.uuid4().hex[:6]}")
    assert notify.get("/api/v1/preferences", headers=me).get_json() == {
        "language": "nl",
        "email": None,
        "email_kinds": [],
    }
    r = notify.put(
        "/api/v1/preferences",
        headers=me,
        json={"language": "en", "email_kinds": ["booking.requested"]},
    )
    assert r.status_code == 422 and "email" in r.get_json()["errors"]
    r = notify.put("/api/v1/preferences", headers=me, json={"language": "fr"})
    assert r.status_code == 422 and "language" in r.get_json()["errors"]
    r = notify.put(
        "/api/v1/preferences",
        headers=me,
        json={
            "language": "en",
            "email": "me@defensie.example",
            "email_kinds": ["booking.requested"],
        },
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["email_kinds"] == ["booking.requested"]

    event = booking_event("booking.requested", owner_org=owner, requester_org=unit)
    apply_events(settings["notify"], notify_sessions, [event])
    (item,) = inbox(notify, me)["items"]  # type: ignore[misc]
    assert item["language"] == "en" and item["title"] == f"New request: helicopter from {unit}"
    with notify_sessions() as session:  # the user's own address gets it, in English
        emails = session.scalars(
            select(Delivery).where(
                Delivery.channel == "email",
                Delivery.recipient == "me@defensie.example",
                Delivery.event_id == uuid.UUID(event["id"]),
            )
        ).all()
        assert [(e.language, e.subject) for e in emails] == [
            ("en", f"New request: helicopter from {unit}")
        ]


def test_the_mailbox_directory_is_paged_by_organisation_and_role(
    clients: dict[str, FlaskClient],
) -> None:
    notify, unit = clients["notify"], unique_org("politie")
    admin = token_for(unit, ADMIN)
    for role in (PLANNER, FINANCE, "escalation"):
        body = {"address": f"{role}@{unit}.example", "language": "nl"}
        r = notify.put(f"/api/v1/mailboxes/{unit}/{role}", headers=admin, json=body)
        assert r.status_code == 200, r.get_json()
    first = notify.get("/api/v1/mailboxes?limit=2", headers=admin).get_json()
    assert [m["role"] for m in first["items"]] == ["escalation", FINANCE]
    later = f"/api/v1/mailboxes?limit=2&cursor={first['next_cursor']}"
    second = notify.get(later, headers=admin).get_json()
    assert [m["role"] for m in second["items"]] == [PLANNER] and second["next_cursor"] is None
    r = notify.get("/api/v1/mailboxes?cursor=bm90LWEtY3Vyc29y", headers=admin)
    assert r.status_code == 422 and "cursor" in r.get_json()["errors"]


def test_the_mailbox_directory_is_kept_by_administrators(
    clients: dict[str, FlaskClient],
    settings: dict[str, Settings],
    notify_sessions: sessionmaker[Session],
) -> None:
    notify = clients["notify"]
    owner, unit = unique_org("defensie"), unique_org("politie")
    path = f"/api/v1/mailboxes/{unit}/{PLANNER}"
    body = {"address": f"planners@{unit}.example", "language": "nl"}
    assert notify.put(path, headers=token_for(unit, PLANNER), json=body).status_code == 403
    r = notify.put(path, headers=token_for(owner, ADMIN), json=body)
    assert r.status_code == 403 and "org" in r.get_json()["errors"]
    r = notify.put(path, headers=token_for(unit, ADMIN), json={"address": "not an address"})
    assert r.status_code == 422 and "address" in r.get_json()["errors"]
    r = notify.put(f"/api/v1/mailboxes/{unit}/kapitein", headers=auth("admin"), json=body)
    assert r.status_code == 422 and "role" in r.get_json()["errors"]
    r = notify.put(path, headers=token_for(unit, ADMIN), json=body)
    assert r.status_code == 200 and r.get_json()["address"] == body["address"]
    listed = notify.get("/api/v1/mailboxes", headers=token_for(unit, ADMIN)).get_json()
    assert [(m["org"], m["role"]) for m in listed["items"]] == [(unit, PLANNER)]
    assert listed["next_cursor"] is None

    event = booking_event(
        "booking.rejected", owner_org=owner, requester_org=unit, reason="Onderhoud"
    )
    apply_events(settings["notify"], notify_sessions, [event])
    with notify_sessions() as session:
        count = session.scalar(
            select(func.count()).where(
                Delivery.recipient == body["address"], Delivery.event_id == uuid.UUID(event["id"])
            )
        )
    assert count == 1


def test_an_escalation_alerts_the_owner_its_contact_and_the_controller_and_ranks_alternatives(
    clients: dict[str, FlaskClient],
    settings: dict[str, Settings],
    notify_sessions: sessionmaker[Session],
) -> None:
    notify = clients["notify"]
    owner, unit = unique_org("defensie"), unique_org("politie")
    contact = f"piket@{owner}.example"
    r = notify.put(
        f"/api/v1/mailboxes/{owner}/escalation",
        headers=token_for(owner, ADMIN),
        json={"address": contact},
    )
    assert r.status_code == 200, r.get_json()
    alternative = {
        "rank": 1,
        "asset_id": str(uuid.uuid4()),
        "name": "AW139 Gilze-Rijen",
        "owner_org": owner,
        "category": "helicopter",
        "home_base": "Gilze-Rijen",
        "home_location": {"lat": 51.5674, "lon": 4.9318},
        "regions": ["VR17"],
        "serves_region": True,
        "readiness_notice": "PT30M",
        "notice_minutes": 30,
        "distance_km": 48.2,
        "cruise_kmh": 220.0,
        "travel_minutes": 14,
        "ready_in_minutes": 44,
    }
    decide_by = "2026-12-24T09:15:00+00:00"
    event = booking_event(
        "booking.escalated",
        owner_org=owner,
        requester_org=unit,
        priority=1,
        state="requested",
        decide_by=decide_by,
        escalated_at="2026-12-24T09:15:05+00:00",
        region="VR17",
        alternatives=[alternative],
        reason=f"not decided by {decide_by}",
    )
    apply_events(settings["notify"], notify_sessions, [event])
    booking_id = event["data"]["booking_id"]

    (alert,) = inbox(notify, token_for(owner, OWNER))["items"]  # type: ignore[misc]
    assert alert["kind"] == "booking.escalated" and alert["title"].startswith("ESCALATIE")
    controller = inbox(notify, auth("controller"), "?limit=100")["items"]
    assert booking_id in {i["subject_id"] for i in controller}  # type: ignore[attr-defined]
    (offer,) = inbox(notify, token_for(unit, PLANNER))["items"]  # type: ignore[misc]
    assert "- 1. AW139 Gilze-Rijen" in offer["body"] and "inzetbaar in 44 min" in offer["body"]
    with notify_sessions() as session:  # the owner's escalation contact is emailed too
        emailed = session.scalars(
            select(Delivery.recipient).where(Delivery.event_id == uuid.UUID(event["id"]))
        ).all()
    assert contact in emailed
