"""Notify request/response schemas: requests load into the typed commands and queries of
``commands.py``; lists answer ``{items, next_cursor}`` (shared/paging.py)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from services.notify import commands, domain
from shared.paging import cursor_field, limit_field, page_schema


def kind_field() -> fields.String:
    return fields.String(validate=validate.OneOf(domain.KINDS))


LANGUAGE = validate.OneOf(domain.LANGUAGES)


class InboxQuery(Schema):
    unread = fields.Boolean(load_default=False)
    limit = limit_field(default=20, maximum=100)
    cursor = cursor_field()

    @post_load
    def _query(self, data: dict[str, Any], **_: Any) -> commands.InboxQuery:
        return commands.InboxQuery(**data)


class PageQuery(Schema):
    """A page of a list of a few items per organisation (mailboxes, webhooks)."""

    limit = limit_field()
    cursor = cursor_field()

    @post_load
    def _query(self, data: dict[str, Any], **_: Any) -> commands.PageQuery:
        return commands.PageQuery(**data)


class NotificationRead(Schema):
    id = fields.UUID()
    kind = fields.String()
    org = fields.String()
    role = fields.String()
    subject_id = fields.String(metadata={"description": "the booking, allocation or statement"})
    title = fields.String()
    body = fields.String()
    language = fields.String()
    created_at = fields.DateTime()
    read = fields.Boolean()
    read_at = fields.DateTime(allow_none=True)


class InboxPage(Schema):
    items = fields.List(fields.Nested(NotificationRead))
    next_cursor = fields.String(allow_none=True)
    unread_count = fields.Integer()


class UnreadCount(Schema):
    unread_count = fields.Integer()


class MarkedRead(Schema):
    marked = fields.Integer()


class PreferencesIn(Schema):
    language = fields.String(required=True, validate=LANGUAGE)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    email_kinds = fields.List(
        kind_field(), load_default=list, validate=validate.Length(max=len(domain.KINDS))
    )

    @post_load
    def _command(self, data: dict[str, Any], **_: Any) -> commands.SetPreferences:
        return commands.SetPreferences(**data)


class PreferencesRead(Schema):
    language = fields.String()
    email = fields.String(allow_none=True)
    email_kinds = fields.List(fields.String())


class MailboxIn(Schema):
    address = fields.Email(required=True, validate=validate.Length(max=254))
    language = fields.String(load_default=domain.DEFAULT_LANGUAGE, validate=LANGUAGE)

    @post_load
    def _command(self, data: dict[str, Any], **_: Any) -> commands.SetMailbox:
        return commands.SetMailbox(**data)


class MailboxRead(Schema):
    org = fields.String()
    role = fields.String()
    address = fields.String()
    language = fields.String()
    updated_by = fields.String()
    updated_at = fields.DateTime()


class WebhookIn(Schema):
    url = fields.Url(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=2000),
    )
    kinds = fields.List(
        kind_field(), required=True, validate=validate.Length(min=1, max=len(domain.KINDS))
    )
    org = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=3, max=80),
        metadata={"description": "whose notifications; default your own organisation"},
    )

    @post_load
    def _command(self, data: dict[str, Any], **_: Any) -> commands.RegisterWebhook:
        return commands.RegisterWebhook(**data)


class WebhookRead(Schema):
    id = fields.UUID()
    org = fields.String()
    url = fields.String()
    kinds = fields.List(fields.String())
    state = fields.String(metadata={"description": "active, or paused after repeated failure"})
    consecutive_failures = fields.Integer()
    created_by = fields.String()
    created_at = fields.DateTime()


class WebhookCreated(WebhookRead):
    secret = fields.String(
        metadata={"description": "signs every delivery; shown this once, keep it safe"}
    )


class AttemptRead(Schema):
    attempt = fields.Integer()
    at = fields.DateTime()
    ok = fields.Boolean()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()


class DeliveryRead(Schema):
    id = fields.Integer()
    event_id = fields.UUID()
    kind = fields.String()
    state = fields.String(metadata={"description": "pending, sent, or failed (given up)"})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    attempt_log = fields.List(fields.Nested(AttemptRead))


class DeliveryQuery(Schema):
    limit = limit_field(default=20, maximum=100)
    cursor = cursor_field()

    @post_load
    def _query(self, data: dict[str, Any], **_: Any) -> commands.PageQuery:
        return commands.PageQuery(**data)


MailboxPage = page_schema(MailboxRead, "MailboxPage")
WebhookPage = page_schema(WebhookRead, "WebhookPage")
DeliveryPage = page_schema(DeliveryRead, "DeliveryPage")
