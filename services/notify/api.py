"""Notify HTTP entry points: the inbox, preferences, the mailbox directory and webhooks.

A view parses the request, calls one use case (which commits its own unit of work) and
returns what it gives for ``@blp.response`` to serialise. Lists answer ``{items, next_cursor}``
(shared/paging.py)."""

from __future__ import annotations

import uuid
from typing import Any, cast

from flask import Response, current_app
from flask.views import MethodView

from services.notify import commands, notifications, preferences, webhooks
from services.notify.config import NotifyConfig
from services.notify.schemas import (
    DeliveryPage,
    DeliveryQuery,
    InboxPage,
    InboxQuery,
    MailboxIn,
    MailboxPage,
    MailboxRead,
    MarkedRead,
    NotificationRead,
    PageQuery,
    PreferencesIn,
    PreferencesRead,
    UnreadCount,
    WebhookCreated,
    WebhookIn,
    WebhookPage,
    WebhookRead,
)
from shared.auth import current_principal, require_roles
from shared.web import Blueprint, request_uow

blp = Blueprint("notify", __name__, url_prefix="/api/v1", description="Who is told what")


def notify_config() -> NotifyConfig:
    return cast(NotifyConfig, current_app.extensions["notify"])


# -- the inbox ------------------------------------------------------------------------------
@blp.route("/notifications")
class Inbox(MethodView):
    @require_roles()
    @blp.arguments(InboxQuery, location="query")
    @blp.response(200, InboxPage)
    def get(self, query: commands.InboxQuery) -> Any:
        """Your inbox: your organisation's notifications for your roles, newest first

        `unread=true` leaves out what you marked read; `next_cursor` gives the next page.
        The text is in your preferred language (Dutch unless you chose English)."""
        with request_uow() as uow:
            return notifications.list_inbox(uow, principal=current_principal(), query=query)


@blp.route("/notifications/unread-count")
class Unread(MethodView):
    @require_roles()
    @blp.response(200, UnreadCount)
    def get(self) -> Any:
        """How many of your inbox's notifications you have not read (the portal's badge)"""
        with request_uow() as uow:
            return {"unread_count": notifications.unread_count(uow, principal=current_principal())}


@blp.route("/notifications/<uuid:notification_id>")
class NotificationById(MethodView):
    @require_roles()
    @blp.response(200, NotificationRead)
    def get(self, notification_id: uuid.UUID) -> Any:
        """One notification of your inbox (another organisation's is a 404)"""
        with request_uow() as uow:
            return notifications.get_notification(
                uow, principal=current_principal(), notification_id=notification_id
            )


@blp.route("/notifications/<uuid:notification_id>/read")
class MarkRead(MethodView):
    @require_roles()
    @blp.response(200, NotificationRead)
    def post(self, notification_id: uuid.UUID) -> Any:
        """Mark one notification read, for you (colleagues keep their own marks)"""
        with request_uow() as uow:
            return notifications.mark_read(
                uow, principal=current_principal(), notification_id=notification_id
            )


@blp.route("/notifications/read-all")
class MarkAllRead(MethodView):
    @require_roles()
    @blp.response(200, MarkedRead)
    def post(self) -> Any:
        """Mark every notification of your inbox read"""
        with request_uow() as uow:
            return {"marked": notifications.mark_all_read(uow, principal=current_principal())}


# -- preferences and the mailbox directory --------------------------------------------------
@blp.route("/preferences")
class Preferences(MethodView):
    @require_roles()
    @blp.response(200, PreferencesRead)
    def get(self) -> Any:
        """Your language and which kinds also come to your own address"""
        with request_uow() as uow:
            return preferences.get_preferences(uow, principal=current_principal())

    @require_roles()
    @blp.arguments(PreferencesIn)
    @blp.response(200, PreferencesRead)
    def put(self, command: commands.SetPreferences) -> Any:
        """Replace your preferences (email kinds need an email address)"""
        with request_uow() as uow:
            return preferences.put_preferences(uow, principal=current_principal(), command=command)


@blp.route("/mailboxes")
class Mailboxes(MethodView):
    @require_roles()
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, MailboxPage)
    def get(self, page: commands.PageQuery) -> Any:
        """The addresses notifications are emailed to, per organisation and role, in that
        order (administrators: their organisation's; the joint administrator all);
        `next_cursor` gives the next page"""
        with request_uow() as uow:
            return preferences.list_mailboxes(uow, principal=current_principal(), page=page)


@blp.route("/mailboxes/<string:org>/<string:role>")
class MailboxByKey(MethodView):
    @require_roles()
    @blp.arguments(MailboxIn)
    @blp.response(200, MailboxRead)
    def put(self, command: commands.SetMailbox, org: str, role: str) -> Any:
        """Set where a role of an organisation is emailed, and in which language"""
        with request_uow() as uow:
            return preferences.put_mailbox(
                uow, principal=current_principal(), org=org, role=role, command=command
            )


# -- webhooks -------------------------------------------------------------------------------
@blp.route("/webhooks")
class Webhooks(MethodView):
    @require_roles()
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, WebhookPage)
    def get(self, page: commands.PageQuery) -> Any:
        """Your organisation's webhooks (administrators), oldest first; `next_cursor` gives
        the next page"""
        with request_uow() as uow:
            return webhooks.list_webhooks(uow, principal=current_principal(), page=page)

    @require_roles()
    @blp.arguments(WebhookIn)
    @blp.response(201, WebhookCreated)
    def post(self, command: commands.RegisterWebhook) -> Any:
        """Register a webhook (administrators); the answer holds its secret, this once

        Each delivery is a POST of JSON with `X-Slagkracht-Timestamp` and
        `X-Slagkracht-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">` keyed by
        the secret, and `X-Slagkracht-Delivery` (the same on a retry). A failed delivery is
        retried with exponential backoff for up to a day; after repeated failures in a row
        the webhook is paused until resumed. URLs whose host resolves to a private,
        loopback or link-local address are refused (422 on `url`)."""
        with request_uow() as uow:
            return webhooks.register(
                uow, principal=current_principal(), command=command, config=notify_config()
            )


@blp.route("/webhooks/<uuid:webhook_id>")
class WebhookById(MethodView):
    @require_roles()
    @blp.response(200, WebhookRead)
    def get(self, webhook_id: uuid.UUID) -> Any:
        """One webhook (another organisation's is a 404)"""
        with request_uow() as uow:
            return webhooks.get_webhook(uow, principal=current_principal(), webhook_id=webhook_id)

    @require_roles()
    @blp.response(204)
    def delete(self, webhook_id: uuid.UUID) -> Any:
        """Remove a webhook, with its pending deliveries and its delivery log"""
        with request_uow() as uow:
            webhooks.remove(uow, principal=current_principal(), webhook_id=webhook_id)
        return Response(status=204)


@blp.route("/webhooks/<uuid:webhook_id>/resume")
class WebhookResume(MethodView):
    @require_roles()
    @blp.response(200, WebhookRead)
    def post(self, webhook_id: uuid.UUID) -> Any:
        """Resume a paused webhook: what waited is delivered now"""
        with request_uow() as uow:
            return webhooks.resume(uow, principal=current_principal(), webhook_id=webhook_id)


@blp.route("/webhooks/<uuid:webhook_id>/deliveries")
class WebhookDeliveries(MethodView):
    @require_roles()
    @blp.arguments(DeliveryQuery, location="query")
    @blp.response(200, DeliveryPage)
    def get(self, page: commands.PageQuery, webhook_id: uuid.UUID) -> Any:
        """Every delivery of a webhook, newest first, each with every attempt"""
        with request_uow() as uow:
            return webhooks.list_deliveries(
                uow, principal=current_principal(), webhook_id=webhook_id, page=page
            )
