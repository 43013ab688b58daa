"""Pages for everyone: the start page per role, the language switch, health."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from services.portal.auth import current_user, login_required, safe_next
from services.portal.i18n import LANGUAGES, remember_language
from services.portal.views.inbox.common import sync_notify_language
from shared.auth import ADMIN, FINANCE, OWNER, PLANNER

bp = Blueprint("common", __name__)

# Where each role starts; the first endpoint the portal has, for a role the user holds, wins.
START_PAGES = (
    ("owner.queue", OWNER),
    ("planner.search", PLANNER),
    ("finance.queue", FINANCE),
    ("admin.agreements", ADMIN),
)


@bp.get("/")
@login_required
def home() -> Response | str:
    user = current_user()
    assert user is not None  # login_required
    for endpoint, role in START_PAGES:
        if user.has_role(role) and endpoint in current_app.view_functions:
            return redirect(url_for(endpoint))
    return render_template("home.html")


@bp.get("/language/<code>")
def switch_language(code: str) -> Response:
    """The visible NL/EN switch: a plain link, remembered for a year in a cookie, and as the
    signed-in user's notify language (notify writes their inbox and email in it)."""
    if code in LANGUAGES:
        sync_notify_language(code)
    return remember_language(redirect(safe_next(request.args.get("next"))), code)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok", service="portal")
