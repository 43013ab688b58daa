"""What to deliver, written with the notification in its transaction: an email per address
and a call per subscribed webhook, each a row of the deliveries table that the sweeps of
``deliveries.py`` send."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import any_, literal, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.notify import domain, messages
from services.notify.models import Delivery, Mailbox, Preference, Webhook

EMAIL, WEBHOOK = "email", "webhook"


def _rendered(
    cache: dict[str, tuple[str, str]], kind: str, language: str, params: dict[str, Any]
) -> tuple[str, str]:
    if language not in cache:
        cache[language] = messages.render(kind, language, params)
    return cache[language]


def queue_emails(
    session: Session,
    *,
    event_id: uuid.UUID,
    kind: str,
    params: dict[str, Any],
    to: Sequence[domain.Recipient],
    now: datetime,
    contacts: Sequence[domain.Recipient] = (),
) -> int:
    """An email per address: each recipient's mailbox (the directory), every user of that
    organisation and role who asked for this kind by email, and the mailboxes of ``contacts``
    (e.g. an escalation contact); one address gets one email."""
    pairs = [(r.org, r.role) for r in (*to, *contacts)]
    addresses: dict[str, str] = {}  # lower-cased address -> language
    for box in session.scalars(select(Mailbox).where(tuple_(Mailbox.org, Mailbox.role).in_(pairs))):
        addresses.setdefault(box.address.lower(), box.language)
    for r in to:
        for pref in session.scalars(
            select(Preference).where(
                Preference.org == r.org,
                literal(r.role) == any_(Preference.roles),
                literal(kind) == any_(Preference.email_kinds),
                Preference.email.is_not(None),
            )
        ):
            addresses.setdefault(str(pref.email).lower(), pref.language)
    cache: dict[str, tuple[str, str]] = {}
    rows = []
    for address, language in sorted(addresses.items()):
        subject, body = _rendered(cache, kind, language, params)
        rows.append(
            _row(EMAIL, event_id, kind, address, body, now, subject=subject, language=language)
        )
    if rows:
        session.execute(insert(Delivery).values(rows))
    return len(rows)


def webhook_body(
    event: dict[str, Any], kind: str, params: dict[str, Any], org: str, roles: list[str]
) -> str:
    """What a webhook receives: the kind, the organisation's roles told, the facts, and the
    text in both languages (a control room shows it as is)."""
    texts = {}
    for language in domain.LANGUAGES:
        subject, body = messages.render(kind, language, params)
        texts[language] = {"subject": subject, "body": body}
    return json.dumps(
        {
            "event_id": event["id"],
            "kind": kind,
            "occurred_at": event["occurred_at"],
            "org": org,
            "roles": roles,
            "subject_id": domain.subject_id(kind, event["data"]),
            "data": params,
            "text": texts,
        },
        separators=(",", ":"),
        ensure_ascii=False,
        sort_keys=True,
    )


def queue_webhooks(
    session: Session,
    *,
    event: dict[str, Any],
    kind: str,
    params: dict[str, Any],
    to: Sequence[domain.Recipient],
    now: datetime,
) -> int:
    """A call per webhook of a told organisation that subscribed to ``kind`` (paused ones too:
    they wait for their resume)."""
    roles: dict[str, list[str]] = {}
    for r in to:
        roles.setdefault(r.org, []).append(r.role)
    hooks = session.scalars(
        select(Webhook).where(Webhook.org.in_(sorted(roles)), literal(kind) == any_(Webhook.kinds))
    ).all()
    event_id = uuid.UUID(event["id"])
    rows = [
        _row(
            WEBHOOK,
            event_id,
            kind,
            hook.url,
            webhook_body(event, kind, params, hook.org, sorted(roles[hook.org])),
            now,
            webhook_id=hook.id,
        )
        for hook in hooks
    ]
    if rows:
        session.execute(
            insert(Delivery)
            .values(rows)
            .on_conflict_do_nothing(constraint="uq_delivery_webhook_event")
        )
    return len(rows)


def _row(
    channel: str,
    event_id: uuid.UUID,
    kind: str,
    recipient: str,
    body: str,
    now: datetime,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "channel": channel,
        "event_id": event_id,
        "kind": kind,
        "recipient": recipient,
        "body": body,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "subject": None,
        "language": None,
        "webhook_id": None,
        **extra,
    }
