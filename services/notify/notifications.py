"""Use cases of the inbox: events become notifications (with their emails and webhook calls
queued in the same transaction), and a user reads theirs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.notify import delivery_queue, domain, messages
from services.notify.commands import InboxQuery
from services.notify.models import BookingState, Notification, NotificationRead, Preference
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import NotFound
from shared.paging import decode_cursor, page_of


# -- from events ----------------------------------------------------------------------------
def _advance_booking(session: Session, data: dict[str, Any]) -> str | None:
    """Record the booking's new state; return the state it had before this event (None when
    notify has not seen it, or has seen a newer version)."""
    booking_id = uuid.UUID(data["booking_id"])
    row = session.get(BookingState, booking_id, with_for_update=True)
    if row is None:
        session.add(
            BookingState(booking_id=booking_id, state=data["state"], version=data["version"])
        )
        session.flush()
        return None
    if row.version >= data["version"]:
        return None
    previous = row.state
    row.state, row.version = data["state"], data["version"]
    return previous


def record_event(session: Session, event: dict[str, Any], *, now: datetime | None = None) -> int:
    """The notifications one event causes, with their deliveries; returns how many. An event
    recorded before (the unique key) adds nothing."""
    now = now or datetime.now(UTC)
    data = event["data"]
    previous = _advance_booking(session, data) if event["type"].startswith("booking.") else None
    kind = domain.kind_of(event["type"], previous)
    if kind is None:
        return 0
    recipients = domain.recipients(kind, data)
    if not recipients:
        return 0
    params = domain.params_of(data)
    event_id = uuid.UUID(event["id"])
    rows = [
        {
            "id": uuid.uuid4(),
            "event_id": event_id,
            "kind": kind,
            "org": r.org,
            "role": r.role,
            "subject_id": domain.subject_id(kind, data),
            "params": params,
            # The inbox's order is the events' (one batch's rows share a transaction's now()).
            "created_at": datetime.fromisoformat(event["occurred_at"]),
        }
        for r in recipients
    ]
    inserted = session.execute(
        insert(Notification)
        .values(rows)
        .on_conflict_do_nothing(constraint="uq_notification_event_recipient")
        .returning(Notification.org, Notification.role)
    ).all()
    told = [domain.Recipient(org, role) for org, role in inserted]
    if told:
        delivery_queue.queue_emails(
            session,
            event_id=event_id,
            kind=kind,
            params=params,
            to=told,
            now=now,
            contacts=domain.escalation_contacts(kind, data),
        )
        delivery_queue.queue_webhooks(
            session, event=event, kind=kind, params=params, to=told, now=now
        )
    return len(told)


# -- the inbox ------------------------------------------------------------------------------
def language_of(session: Session, sub: str) -> str:
    chosen = session.scalar(select(Preference.language).where(Preference.sub == sub))
    return chosen or domain.DEFAULT_LANGUAGE


def _visible(principal: Principal) -> Any:
    """An organisation's roles' notifications: never another organisation's."""
    return and_(Notification.org == principal.org, Notification.role.in_(sorted(principal.roles)))


def _unread(principal: Principal) -> Any:
    read = select(NotificationRead.notification_id).where(
        NotificationRead.notification_id == Notification.id, NotificationRead.sub == principal.sub
    )
    return ~read.exists()


def _item(row: Notification, language: str, read_at: datetime | None) -> dict[str, Any]:
    subject, body = messages.render(row.kind, language, row.params)
    return {
        "id": row.id,
        "kind": row.kind,
        "org": row.org,
        "role": row.role,
        "subject_id": row.subject_id,
        "title": subject,
        "body": body,
        "language": language,
        "created_at": row.created_at,
        "read": read_at is not None,
        "read_at": read_at,
    }


def unread_count(uow: UnitOfWork, *, principal: Principal) -> int:
    return int(
        uow.session.scalar(select(func.count()).where(_visible(principal), _unread(principal))) or 0
    )


def list_inbox(uow: UnitOfWork, *, principal: Principal, query: InboxQuery) -> dict[str, Any]:
    """Newest first, ``limit`` a page; ``next_cursor`` continues after the last one."""
    read = NotificationRead.__table__.alias("r")
    select_page = (
        select(Notification, read.c.read_at)
        .outerjoin(
            read, and_(read.c.notification_id == Notification.id, read.c.sub == principal.sub)
        )
        .where(_visible(principal))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(query.limit + 1)
    )
    if query.unread:
        select_page = select_page.where(read.c.read_at.is_(None))
    if query.cursor:
        after = decode_cursor(query.cursor, datetime, uuid.UUID)
        select_page = select_page.where(
            tuple_(Notification.created_at, Notification.id) < tuple_(*after)
        )
    rows = uow.session.execute(select_page).all()
    page = page_of(rows, limit=query.limit, key=lambda row: (row[0].created_at, row[0].id))
    language = language_of(uow.session, principal.sub)
    return {
        "items": [_item(row, language, read_at) for row, read_at in page.items],
        "next_cursor": page.next_cursor,
        "unread_count": unread_count(uow, principal=principal),
    }


def _visible_notification(
    uow: UnitOfWork, principal: Principal, notification_id: uuid.UUID
) -> Notification:
    row = uow.session.scalar(
        select(Notification).where(Notification.id == notification_id, _visible(principal))
    )
    if row is None:  # another organisation's is as absent as one that never was
        raise NotFound(f"No notification {notification_id} for you.")
    return row


def get_notification(
    uow: UnitOfWork, *, principal: Principal, notification_id: uuid.UUID
) -> dict[str, Any]:
    row = _visible_notification(uow, principal, notification_id)
    read_at = uow.session.scalar(
        select(NotificationRead.read_at).where(
            NotificationRead.notification_id == row.id, NotificationRead.sub == principal.sub
        )
    )
    return _item(row, language_of(uow.session, principal.sub), read_at)


def mark_read(
    uow: UnitOfWork, *, principal: Principal, notification_id: uuid.UUID
) -> dict[str, Any]:
    """The notification marked read for the caller (colleagues keep their own marks)."""
    row = _visible_notification(uow, principal, notification_id)
    uow.session.execute(
        insert(NotificationRead)
        .values(notification_id=row.id, sub=principal.sub)
        .on_conflict_do_nothing()
    )
    item = get_notification(uow, principal=principal, notification_id=notification_id)
    uow.commit()
    return item


def mark_all_read(uow: UnitOfWork, *, principal: Principal) -> int:
    """Every unread notification of the caller's inbox marked read; returns how many."""
    unread_ids = select(Notification.id, literal(principal.sub)).where(
        _visible(principal), _unread(principal)
    )
    result = uow.session.execute(
        insert(NotificationRead)
        .from_select(["notification_id", "sub"], unread_ids)
        .on_conflict_do_nothing()
        .returning(NotificationRead.notification_id)
    )
    marked = len(result.all())
    uow.commit()
    return marked
