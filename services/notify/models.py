"""Notify's tables: notifications and who read them, the mailbox directory, user preferences,
webhooks, and the deliveries (an outbox of emails and webhook calls) with every attempt."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Notification(Base):
    """One event told to one (organisation, role); its text is rendered when it is read, in
    the reader's language, from ``params``."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "org", "role", name="uq_notification_event_recipient"),
        Index("ix_notifications_inbox", "org", "role", "created_at", "id"),
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(Text)
    org: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    subject_id: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NotificationRead(Base):
    """Read state is per user (the token's subject): colleagues share an inbox, not its marks."""

    __tablename__ = "notification_reads"
    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notifications.id"), primary_key=True
    )
    sub: Mapped[str] = mapped_column(Text, primary_key=True)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BookingState(Base):
    """The last state notify saw of each booking: an approval of a counter-offered booking is
    the requester accepting the offer."""

    __tablename__ = "booking_states"
    booking_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    state: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)


class Mailbox(Base):
    """The directory: the shared address of a role in an organisation (e.g. the planners)."""

    __tablename__ = "mailboxes"
    org: Mapped[str] = mapped_column(Text, primary_key=True)
    role: Mapped[str] = mapped_column(Text, primary_key=True)
    address: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Preference(Base):
    """A user's choices: language, and which kinds also come to their own address. The
    organisation and roles are the token's when they were last saved."""

    __tablename__ = "preferences"
    sub: Mapped[str] = mapped_column(Text, primary_key=True)
    org: Mapped[str] = mapped_column(Text)
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text))
    language: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text, nullable=True)
    email_kinds: Mapped[list[str]] = mapped_column(ARRAY(Text))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Webhook(Base):
    __tablename__ = "webhooks"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    org: Mapped[str] = mapped_column(Text, index=True)
    url: Mapped[str] = mapped_column(Text)
    kinds: Mapped[list[str]] = mapped_column(ARRAY(Text))
    # Kept to sign each delivery (so not hashed); shown once, when the webhook is registered.
    secret: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)  # active | paused
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Delivery(Base):
    """An email or a webhook call to make: written in the transaction that writes the
    notification, sent by the worker's sweep, retried with backoff until sent or given up."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id", name="uq_delivery_webhook_event"),
        Index(
            "ix_deliveries_due",
            "channel",
            "next_attempt_at",
            postgresql_where=text("state = 'pending'"),
        ),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(Text)  # email | webhook
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(Text)
    webhook_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("webhooks.id"), nullable=True, index=True
    )
    recipient: Mapped[str] = mapped_column(Text)  # the address, or the webhook's URL
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str] = mapped_column(Text, default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
