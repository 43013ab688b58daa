"""The delivery outbox: emails and webhook calls are rows written with their notification
(``delivery_queue.py``), sent by the worker's sweeps, retried with backoff, every attempt
logged.

A sweep claims due rows with FOR UPDATE SKIP LOCKED and leases them (moves their next attempt
a while ahead) in a short transaction, sends without holding a lock, then records the outcome.
A sweep that dies mid-send leaves its rows to be claimed again when the lease ends: a delivery
is sent at least once (a webhook receiver dedupes on X-Slagkracht-Delivery)."""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from prometheus_client import Counter
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from services.notify import domain
from services.notify.config import NotifyConfig
from services.notify.delivery_queue import EMAIL as EMAIL  # the channels: a sweep sends one
from services.notify.delivery_queue import WEBHOOK as WEBHOOK
from services.notify.models import Delivery, DeliveryAttempt, Webhook
from services.notify.targets import UnsafeTarget, check_url, post

log = logging.getLogger(__name__)

DELIVERIES = Counter("notify_deliveries_total", "Delivery attempts", ["channel", "outcome"])


@dataclass(frozen=True)
class Claimed:
    id: int
    recipient: str
    subject: str | None
    body: str
    language: str | None
    attempts: int
    created_at: datetime
    webhook_id: uuid.UUID | None
    url: str | None
    secret: str | None


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    duration_ms: int = 0


# What a sweep of one channel may send once due (a paused webhook's deliveries wait).
_SENDABLE = """
    state = 'pending' AND channel = :channel
    AND (webhook_id IS NULL OR webhook_id IN (SELECT id FROM webhooks WHERE state = 'active'))
"""
# Due rows of one channel, leased so no other sweep takes them.
_CLAIM = text(
    f"""
    UPDATE deliveries d SET next_attempt_at = :lease_until
    WHERE d.id IN (
        SELECT id FROM deliveries
        WHERE {_SENDABLE} AND next_attempt_at <= :now
        ORDER BY next_attempt_at, id
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    RETURNING d.id, d.recipient, d.subject, d.body, d.language, d.attempts, d.created_at,
              d.webhook_id
    """
)
# When the sweep of one channel next has something to send (a lease's end included: a sweep
# that died mid-send leaves its rows due then).
_NEXT_DUE = text(f"SELECT min(next_attempt_at) FROM deliveries WHERE {_SENDABLE}")


def wake_channel(channel: str) -> str:
    """The NOTIFY channel on which notify's migration 0002 wakes the sweep of ``channel``."""
    return f"notify_delivery_{channel}"


class DeliverySweep:
    """Sends the due deliveries of one channel; the worker runs one per channel."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        config: NotifyConfig,
        channel: str,
        *,
        batch_size: int = 50,
        lease_s: float = 120.0,
        budget_s: float = 2.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.session_factory = session_factory
        self.config = config
        self.channel = channel
        self.batch_size = batch_size
        self.lease_s = lease_s
        self.budget_s = budget_s
        self.clock = clock

    def run(self, *, rounds: int = 20) -> int:
        """Send what is due, in batches, up to ``rounds`` of them and no new batch after
        ``budget_s`` (the worker notices a stop between runs); returns how many were tried."""
        tried = 0
        until = time.monotonic() + self.budget_s
        for _ in range(rounds):
            if time.monotonic() > until:
                break
            now = self.clock()
            claimed = self._claim(now)
            if not claimed:
                break
            send = self._send_emails if self.channel == EMAIL else self._send_webhooks
            self._record(claimed, send(claimed), now)
            tried += len(claimed)
        return tried

    def next_due(self) -> datetime | None:
        """The earliest time a pending delivery of this channel may be sent, if any."""
        with self.session_factory() as session:
            due: datetime | None = session.execute(_NEXT_DUE, {"channel": self.channel}).scalar()
        return due

    def _claim(self, now: datetime) -> list[Claimed]:
        with self.session_factory() as session:
            rows = session.execute(
                _CLAIM,
                {
                    "channel": self.channel,
                    "now": now,
                    "lease_until": now + timedelta(seconds=self.lease_s),
                    "limit": self.batch_size,
                },
            ).all()
            hooks: dict[uuid.UUID, Webhook] = {}
            ids = {r.webhook_id for r in rows if r.webhook_id is not None}
            if ids:
                hooks = {
                    h.id: h for h in session.scalars(select(Webhook).where(Webhook.id.in_(ids)))
                }
            session.commit()
        return [
            Claimed(
                id=r.id,
                recipient=r.recipient,
                subject=r.subject,
                body=r.body,
                language=r.language,
                attempts=r.attempts,
                created_at=r.created_at,
                webhook_id=r.webhook_id,
                url=hooks[r.webhook_id].url if r.webhook_id in hooks else None,
                secret=hooks[r.webhook_id].secret if r.webhook_id in hooks else None,
            )
            for r in rows
        ]

    # -- the channels ------------------------------------------------------------------------
    def _send_emails(self, claimed: list[Claimed]) -> list[Outcome]:
        """One SMTP session for the batch; a failure to connect fails each of them."""
        smtp = self.config.smtp
        started = time.perf_counter()
        if smtp is None:
            return [Outcome(False, error="SMTP_URL is not set") for _ in claimed]
        try:
            client: smtplib.SMTP = (
                smtplib.SMTP_SSL(
                    smtp.host,
                    smtp.port,
                    timeout=self.config.smtp_timeout_s,
                    context=ssl.create_default_context(),
                )
                if smtp.implicit_tls
                else smtplib.SMTP(smtp.host, smtp.port, timeout=self.config.smtp_timeout_s)
            )
        except (OSError, smtplib.SMTPException) as exc:
            error = f"SMTP {smtp.host}:{smtp.port} unreachable: {exc!r}"
            return [Outcome(False, error=error, duration_ms=_ms(started)) for _ in claimed]
        outcomes = []
        try:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.username and smtp.password:
                client.login(smtp.username, smtp.password)
            for item in claimed:
                began = time.perf_counter()
                try:
                    client.send_message(self._email(item))
                    outcomes.append(Outcome(True, duration_ms=_ms(began)))
                except (OSError, smtplib.SMTPException) as exc:
                    outcomes.append(Outcome(False, error=repr(exc), duration_ms=_ms(began)))
        except (OSError, smtplib.SMTPException) as exc:
            outcomes += [
                Outcome(False, error=repr(exc), duration_ms=_ms(started))
                for _ in claimed[len(outcomes) :]
            ]
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
        return outcomes

    def _email(self, item: Claimed) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.config.mail_from
        message["To"] = item.recipient
        message["Subject"] = item.subject or ""
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(idstring=f"delivery-{item.id}", domain="slagkracht")
        message["X-Slagkracht-Delivery"] = str(item.id)
        message.set_content(item.body)
        # After set_content, which replaces every Content-* header.
        message["Content-Language"] = item.language or domain.DEFAULT_LANGUAGE
        return message

    def _send_webhooks(self, claimed: list[Claimed]) -> list[Outcome]:
        """Concurrently: one slow receiver does not hold up the others."""
        with ThreadPoolExecutor(max_workers=min(8, len(claimed))) as pool:
            return list(pool.map(self._call, claimed))

    def _call(self, item: Claimed) -> Outcome:
        started = time.perf_counter()
        if item.url is None or item.secret is None:
            return Outcome(False, error="webhook is gone")
        try:
            # Checked again now: the name may resolve elsewhere than at registration.
            target = check_url(item.url, allow_loopback=self.config.allow_loopback_webhooks)
        except UnsafeTarget as exc:
            return Outcome(False, error=f"refused: {exc}", duration_ms=_ms(started))
        body = item.body.encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Slagkracht-Webhook/1",
            "X-Slagkracht-Delivery": str(item.id),
            "X-Slagkracht-Timestamp": timestamp,
            "X-Slagkracht-Signature": domain.signature(item.secret, timestamp, body),
        }
        try:
            status = post(target, body, headers, self.config.webhook_timeout_s)
        except (OSError, ValueError) as exc:  # http.client errors are OSErrors or ValueErrors
            return Outcome(False, error=repr(exc), duration_ms=_ms(started))
        ok = 200 <= status < 300
        return Outcome(ok, status, None if ok else f"HTTP {status}", _ms(started))

    # -- the outcome -------------------------------------------------------------------------
    def _record(self, claimed: list[Claimed], outcomes: list[Outcome], now: datetime) -> None:
        config = self.config
        with self.session_factory() as session:
            for item, outcome in zip(claimed, outcomes, strict=True):
                attempt = item.attempts + 1
                DELIVERIES.labels(self.channel, "ok" if outcome.ok else "failed").inc()
                session.add(
                    DeliveryAttempt(
                        delivery_id=item.id,
                        attempt=attempt,
                        at=now,
                        ok=outcome.ok,
                        status_code=outcome.status_code,
                        error=outcome.error[:2000] if outcome.error else None,
                        duration_ms=outcome.duration_ms,
                    )
                )
                values: dict[str, Any] = {"attempts": attempt}
                if outcome.ok:
                    values.update(state="sent", sent_at=now, last_error=None)
                else:
                    values["last_error"] = (outcome.error or "")[:2000]
                    given_up = now - item.created_at >= timedelta(seconds=config.give_up_after_s)
                    if given_up:
                        values["state"] = "failed"
                        log.warning("delivery %s given up after %d attempts", item.id, attempt)
                    else:
                        delay = domain.retry_delay_s(
                            attempt, config.retry_base_s, config.retry_max_s
                        )
                        values["next_attempt_at"] = now + timedelta(seconds=delay)
                session.execute(update(Delivery).where(Delivery.id == item.id).values(**values))
                if item.webhook_id is not None:
                    _count_webhook_outcome(session, item.webhook_id, outcome.ok, config)
            session.commit()


def _count_webhook_outcome(
    session: Session, webhook_id: uuid.UUID, ok: bool, config: NotifyConfig
) -> None:
    """A success clears the webhook's run of failures; the N-th failure in a row pauses it."""
    if ok:
        session.execute(
            text("UPDATE webhooks SET consecutive_failures = 0 WHERE id = :id"), {"id": webhook_id}
        )
        return
    paused = session.execute(
        text(
            """
            UPDATE webhooks SET consecutive_failures = consecutive_failures + 1,
                state = CASE WHEN consecutive_failures + 1 >= :limit THEN 'paused' ELSE state END
            WHERE id = :id RETURNING state
            """
        ),
        {"id": webhook_id, "limit": config.webhook_pause_after},
    ).scalar()
    if paused == "paused":
        log.warning(
            "webhook %s paused after %d failures in a row", webhook_id, config.webhook_pause_after
        )


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
