"""Webhooks for an organisation's systems (a control room), for administrators only (notify
offers them to no other role): the list, registering one (its secret shown this once), its
delivery log with every attempt, resuming one that failures paused, and removing one."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.portal.auth import current_user, role_required
from services.portal.clients import apis
from services.portal.forms import FormReader
from services.portal.views.inbox import bp
from services.portal.views.inbox.common import KINDS, kind_options
from services.portal.views.owner.common import attempt
from shared.auth import ADMIN

JOINT = "joint"  # the joint organisation's administrator registers for any organisation


def _list_page(values: dict[str, Any], errors: dict[str, list[str]], message: str = "") -> str:
    user = current_user()
    return render_template(
        "inbox/webhooks.html",
        hooks=apis().notify.webhooks(),
        kinds=kind_options(),
        values=values,
        errors=errors,
        message=message,
        for_any_org=user is not None and user.org == JOINT,
    )


@bp.get("/webhooks")
@role_required(ADMIN)
def webhooks() -> str:
    return _list_page({"kinds": []}, {})


@bp.post("/webhooks")
@role_required(ADMIN)
def register_webhook() -> str | tuple[str, int]:
    reader = FormReader(request.form)
    values: dict[str, Any] = {
        "url": reader.text("url"),
        "kinds": [k for k in request.form.getlist("kinds") if k in KINDS],
        "org": reader.text("org", required=False) or None,
    }
    if not values["kinds"]:
        reader.fail("kinds", _("Choose at least one kind."))
    if reader.errors:
        return _list_page(values, reader.errors), 422
    created, problem = attempt(lambda: apis().notify.register_webhook(values))
    if problem is not None:
        return _list_page(values, problem.errors, problem.message), problem.status
    # The secret is in this answer only: not stored, not redirected, never shown again.
    return render_template("inbox/webhook_created.html", hook=created)


@bp.get("/webhooks/<uuid:webhook_id>")
@role_required(ADMIN)
def webhook(webhook_id: Any) -> str:
    notify = apis().notify
    cursor = request.args.get("cursor") or None
    return render_template(
        "inbox/webhook.html",
        hook=notify.webhook(str(webhook_id)),
        deliveries=notify.deliveries(str(webhook_id), cursor=cursor),
        cursor=cursor,
    )


@bp.post("/webhooks/<uuid:webhook_id>/resume")
@role_required(ADMIN)
def resume_webhook(webhook_id: Any) -> Response:
    apis().notify.resume_webhook(str(webhook_id))
    flash(_("The webhook is active again; what waited is delivered now."), "ok")
    return redirect(url_for("inbox.webhook", webhook_id=webhook_id))


@bp.post("/webhooks/<uuid:webhook_id>/delete")
@role_required(ADMIN)
def delete_webhook(webhook_id: Any) -> Response:
    apis().notify.delete_webhook(str(webhook_id))
    flash(_("The webhook and its delivery log have been removed."), "ok")
    return redirect(url_for("inbox.webhooks"))
