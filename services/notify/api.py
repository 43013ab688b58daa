"""Notify HTTP entry points: the inbox, preferences, the mailbox directory and webhooks."""

from __future__ import annotations

import uuid
from typing import Any, cast

from flask import Response, current_app
from flask.views import MethodView

from services.notify import notifications, preferences, webhooks
from services.notify.config import NotifyConfig
from services.notify.schemas import (
    DeliveryPage,
    DeliveryQuery,
    InboxPage,
    InboxQuery,
    MailboxIn,
    MailboxRead,
    MarkedRead,
    NotificationRead,
    PreferencesIn,
    PreferencesRead,
    UnreadCount,
    WebhookCreated,
    WebhookIn,
    WebhookRead,
)
from shared.auth import current_principal, require_roles
from shared.web import Blueprint, json_response, request_uow

blp = Blueprint("notify", __name__, url_prefix="/api/v1", description="Who is told what")


def notify_config() -> NotifyConfig:
    return cast(NotifyConfig, current_app.extensions["notify"])


# -- the inbox ------------------------------------------------------------------------------
@blp.route("/notifications")
class Inbox(MethodView):
    @require_roles()
    @blp.arguments(InboxQuery, location="query")
    @blp.response(200, InboxPage)
    def get(self, query: dict[str, Any]) -> Any:
        """Your inbox: your organisation's notifications for your roles, newest first

        `unread=true` leaves out what you marked read; `next_cursor` gives the next page.
        The text is in your preferred language (Dutch unless you chose English)."""
        with request_uow() as uow:
            page = notifications.list_inbox(uow, principal=current_principal(), **query)
            return json_response(InboxPage().dump(page))


@blp.route("/notifications/unread-count")
class Unread(MethodView):
    @require_roles()
    @blp.response(200, UnreadCount)
    def get(self) -> Any:
        """How many of your inbox's notifications you have not read (the portal's badge)"""
        with request_uow() as uow:
            count = notifications.unread_count(uow, principal=current_principal())
            return json_response({"unread_count": count})


@blp.route("/notifications/<uuid:notification_id>")
class NotificationById(MethodView):
    @require_roles()
    @blp.response(200, NotificationRead)
    def get(self, notification_id: uuid.UUID) -> Any:
        """One notification of your inbox (another organisation's is a 404)"""
        with request_uow() as uow:
            item = notifications.get_notification(
                uow, principal=current_principal(), notification_id=notification_id
            )
            return json_response(NotificationRead().dump(item))


@blp.route("/notifications/<uuid:notification_id>/read")
class MarkRead(MethodView):
    @require_roles()
    @blp.response(200, NotificationRead)
    def post(self, notification_id: uuid.UUID) -> Any:
        """Mark one notification read, for you (colleagues keep their own marks)"""
        with request_uow() as uow:
            item = notifications.mark_read(
                uow, principal=current_principal(), notification_id=notification_id
            )
            uow.commit()
        return json_response(NotificationRead().dump(item))


@blp.route("/notifications/read-all")
class MarkAllRead(MethodView):
    @require_roles()
    @blp.response(200, MarkedRead)
    def post(self) -> Any:
        """Mark every notification of your inbox read"""
        with request_uow() as uow:
            marked = notifications.mark_all_read(uow, principal=current_principal())
            uow.commit()
        return json_response({"marked": marked})


# -- preferences and the mailbox directory --------------------------------------------------
@blp.route("/preferences")
class Preferences(MethodView):
    @require_roles()
    @blp.response(200, PreferencesRead)
    def get(self) -> Any:
        """Your language and which kinds also come to your own address"""
        with request_uow() as uow:
            return json_response(preferences.get_preferences(uow, principal=current_principal()))

    @require_roles()
    @blp.arguments(PreferencesIn)
    @blp.response(200, PreferencesRead)
    def put(self, preferences_in: dict[str, Any]) -> Any:
        """Replace your preferences (email kinds need an email address)"""
        with request_uow() as uow:
            body = preferences.put_preferences(
                uow, principal=current_principal(), preferences_in=preferences_in
            )
            uow.commit()
        return json_response(body)


@blp.route("/mailboxes")
class Mailboxes(MethodView):
    @require_roles()
    @blp.response(200, MailboxRead(many=True))
    def get(self) -> Any:
        """The addresses notifications are emailed to, per organisation and role
        (administrators: their organisation's; the joint administrator all)"""
        with request_uow() as uow:
            rows = preferences.list_mailboxes(uow, principal=current_principal())
            return json_response(MailboxRead(many=True).dump(rows))


@blp.route("/mailboxes/<string:org>/<string:role>")
class MailboxByKey(MethodView):
    @require_roles()
    @blp.arguments(MailboxIn)
    @blp.response(200, MailboxRead)
    def put(self, mailbox_in: dict[str, Any], org: str, role: str) -> Any:
        """Set where a role of an organisation is emailed, and in which language"""
        with request_uow() as uow:
            row = preferences.put_mailbox(
                uow, principal=current_principal(), org=org, role=role, mailbox_in=mailbox_in
            )
            body = MailboxRead().dump(row)
            uow.commit()
        return json_response(body)


# -- webhooks -------------------------------------------------------------------------------
@blp.route("/webhooks")
class Webhooks(MethodView):
    @require_roles()
    @blp.response(200, WebhookRead(many=True))
    def get(self) -> Any:
        """Your organisation's webhooks (administrators)"""
        with request_uow() as uow:
            rows = webhooks.list_webhooks(uow, principal=current_principal())
            return json_response(WebhookRead(many=True).dump(rows))

    @require_roles()
    @blp.arguments(WebhookIn)
    @blp.response(201, WebhookCreated)
    def post(self, webhook_in: dict[str, Any]) -> Any:
        """Register a webhook (administrators); the answer holds its secret, this once

        Each delivery is a POST of JSON with `X-Slagkracht-Timestamp` and
        `X-Slagkracht-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">` keyed by
        the secret, and `X-Slagkracht-Delivery` (the same on a retry). A failed delivery is
        retried with exponential backoff for up to a day; after repeated failures in a row
        the webhook is paused until resumed. URLs whose host resolves to a private,
        loopback or link-local address are refused (422 on `url`)."""
        with request_uow() as uow:
            row, secret = webhooks.register(
                uow, principal=current_principal(), webhook_in=webhook_in, config=notify_config()
            )
            body = {**WebhookRead().dump(row), "secret": secret}
            uow.commit()
        return json_response(body, 201)


@blp.route("/webhooks/<uuid:webhook_id>")
class WebhookById(MethodView):
    @require_roles()
    @blp.response(200, WebhookRead)
    def get(self, webhook_id: uuid.UUID) -> Any:
        """One webhook (another organisation's is a 404)"""
        with request_uow() as uow:
            row = webhooks.get_webhook(uow, principal=current_principal(), webhook_id=webhook_id)
            return json_response(WebhookRead().dump(row))

    @require_roles()
    @blp.response(204)
    def delete(self, webhook_id: uuid.UUID) -> Any:
        """Remove a webhook, with its pending deliveries and its delivery log"""
        with request_uow() as uow:
            webhooks.remove(uow, principal=current_principal(), webhook_id=webhook_id)
            uow.commit()
        return Response(status=204)


@blp.route("/webhooks/<uuid:webhook_id>/resume")
class WebhookResume(MethodView):
    @require_roles()
    @blp.response(200, WebhookRead)
    def post(self, webhook_id: uuid.UUID) -> Any:
        """Resume a paused webhook: what waited is delivered now"""
        with request_uow() as uow:
            row = webhooks.resume(uow, principal=current_principal(), webhook_id=webhook_id)
            body = WebhookRead().dump(row)
            uow.commit()
        return json_response(body)


@blp.route("/webhooks/<uuid:webhook_id>/deliveries")
class WebhookDeliveries(MethodView):
    @require_roles()
    @blp.arguments(DeliveryQuery, location="query")
    @blp.response(200, DeliveryPage)
    def get(self, query: dict[str, Any], webhook_id: uuid.UUID) -> Any:
        """Every delivery of a webhook, newest first, each with every attempt"""
        with request_uow() as uow:
            page = webhooks.list_deliveries(
                uow, principal=current_principal(), webhook_id=webhook_id, **query
            )
            return json_response(DeliveryPage().dump(page))
