"""Use cases of webhooks: an organisation's administrator registers, reads, resumes and
removes them and reads every delivery attempt. Only the administrator role
(beheerder-functioneel) manages them: of its own organisation, or, the joint organisation's
administrator, of any. Another organisation's webhook is absent (404); planners, owners and
finance of the organisation itself are refused (403)."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, tuple_, update

from services.notify import domain
from services.notify.commands import PageQuery, RegisterWebhook
from services.notify.config import NotifyConfig
from services.notify.models import Delivery, DeliveryAttempt, Webhook
from services.notify.targets import UnsafeTarget, check_url
from shared.auth import ADMIN, Principal
from shared.db import UnitOfWork
from shared.errors import Forbidden, Invalid, NotFound
from shared.paging import Page, decode_cursor, page_of

ACTIVE, PAUSED = "active", "paused"


def acts_for_all(principal: Principal) -> bool:
    """Only the joint organisation's administrator manages every organisation's settings; an
    administrator token of one organisation manages that one (stricter than
    Principal.is_joint, which counts every administrator as joint)."""
    return principal.org == domain.JOINT


def managed_org(principal: Principal, org: str | None) -> str:
    """The organisation an administrator acts for (``org``, else their own); refuses anyone
    else, and an organisation's administrator acting for another one."""
    if not principal.has_role(ADMIN):
        raise Forbidden("Only an administrator (beheerder-functioneel) manages this.")
    org = org or principal.org
    if org != principal.org and not acts_for_all(principal):
        raise Forbidden(
            "You manage your own organisation's settings only.",
            errors={"org": ["Not your organisation."]},
        )
    return org


def url_problem(url: str, config: NotifyConfig) -> None:
    """Refuse (422 on ``url``) a URL a webhook may not call."""
    try:
        check_url(url, allow_loopback=config.allow_loopback_webhooks)
    except UnsafeTarget as exc:
        if exc.reason in ("scheme", "credentials", "port"):
            message = "Give an http:// or https:// URL with a host, a valid port and no login."
        elif exc.reason == "unresolvable":
            message = "The host cannot be resolved."
        else:
            message = (
                f"The host resolves to a {exc.reason} address ({exc.address}); webhooks go to "
                "public addresses only."
            )
        raise Invalid(
            "The webhook URL is not allowed; see 'errors'.", errors={"url": [message]}
        ) from exc


def register(
    uow: UnitOfWork, *, principal: Principal, command: RegisterWebhook, config: NotifyConfig
) -> Webhook:
    """A new webhook, with the secret that signs its deliveries (the answer to registering is
    the only one that shows it)."""
    org = managed_org(principal, command.org)
    url_problem(command.url, config)
    row = Webhook(
        id=uuid.uuid4(),
        org=org,
        url=command.url,
        kinds=sorted(set(command.kinds)),
        secret=secrets.token_urlsafe(32),
        state=ACTIVE,
        consecutive_failures=0,
        created_by=principal.sub,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.session.refresh(row)  # created_at is the database's: read before the session closes
    uow.commit()
    return row


def _visible(principal: Principal) -> Any:
    managed_org(principal, None)
    return True if acts_for_all(principal) else Webhook.org == principal.org


def list_webhooks(uow: UnitOfWork, *, principal: Principal, page: PageQuery) -> Page[Webhook]:
    """Oldest first (an organisation's, or every one for the joint administrator)."""
    query = (
        select(Webhook)
        .where(_visible(principal))
        .order_by(Webhook.created_at, Webhook.id)
        .limit(page.limit + 1)
    )
    if page.cursor:
        after = decode_cursor(page.cursor, datetime, uuid.UUID)
        query = query.where(tuple_(Webhook.created_at, Webhook.id) > tuple_(*after))
    rows = list(uow.session.scalars(query))
    return page_of(rows, limit=page.limit, key=lambda hook: (hook.created_at, hook.id))


def get_webhook(
    uow: UnitOfWork, *, principal: Principal, webhook_id: uuid.UUID, lock: bool = False
) -> Webhook:
    query = select(Webhook).where(Webhook.id == webhook_id, _visible(principal))
    row = uow.session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(f"No webhook {webhook_id} of yours.")
    return row


def resume(uow: UnitOfWork, *, principal: Principal, webhook_id: uuid.UUID) -> Webhook:
    """Active again; what waited while it was paused is due now."""
    row = get_webhook(uow, principal=principal, webhook_id=webhook_id, lock=True)
    row.state, row.consecutive_failures = ACTIVE, 0
    uow.session.execute(
        update(Delivery)
        .where(Delivery.webhook_id == row.id, Delivery.state == "pending")
        .values(next_attempt_at=Delivery.created_at)
    )
    uow.session.flush()
    uow.commit()
    return row


def remove(uow: UnitOfWork, *, principal: Principal, webhook_id: uuid.UUID) -> None:
    """The webhook goes, with what it still had to deliver and its delivery log."""
    row = get_webhook(uow, principal=principal, webhook_id=webhook_id, lock=True)
    of_hook = select(Delivery.id).where(Delivery.webhook_id == row.id)
    uow.session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(of_hook)))
    uow.session.execute(delete(Delivery).where(Delivery.webhook_id == row.id))
    uow.session.delete(row)
    uow.session.flush()
    uow.commit()


def list_deliveries(
    uow: UnitOfWork, *, principal: Principal, webhook_id: uuid.UUID, page: PageQuery
) -> Page[dict[str, Any]]:
    """Newest first, each with every attempt (when, outcome, status, error, duration)."""
    hook = get_webhook(uow, principal=principal, webhook_id=webhook_id)
    query = (
        select(Delivery)
        .where(Delivery.webhook_id == hook.id)
        .order_by(Delivery.id.desc())
        .limit(page.limit + 1)
    )
    if page.cursor:
        (after,) = decode_cursor(page.cursor, int)
        query = query.where(Delivery.id < after)
    found = page_of(list(uow.session.scalars(query)), limit=page.limit, key=lambda d: (d.id,))
    attempts: dict[int, list[DeliveryAttempt]] = {row.id: [] for row in found.items}
    if attempts:
        for attempt in uow.session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_(list(attempts)))
            .order_by(DeliveryAttempt.delivery_id, DeliveryAttempt.attempt)
        ):
            attempts[attempt.delivery_id].append(attempt)
    items = [_delivery(row, attempts[row.id]) for row in found.items]
    return Page(items=items, next_cursor=found.next_cursor)


def _delivery(row: Delivery, attempts: list[DeliveryAttempt]) -> dict[str, Any]:
    return {
        "id": row.id,
        "event_id": row.event_id,
        "kind": row.kind,
        "state": row.state,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at if row.state == "pending" else None,
        "last_error": row.last_error,
        "created_at": row.created_at,
        "sent_at": row.sent_at,
        "attempt_log": attempts,
    }
