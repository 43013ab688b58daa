"""The user's notification preferences: their language (the portal's and notify's, kept the
same) and which kinds also come to their own email address."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.portal.auth import login_required
from services.portal.clients import apis
from services.portal.forms import FormReader
from services.portal.i18n import LANGUAGES, remember_language
from services.portal.views.inbox import bp
from services.portal.views.inbox.common import KINDS, kind_options
from services.portal.views.owner.common import attempt

LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}


def _page(chosen: dict[str, Any], errors: dict[str, list[str]], message: str = "") -> str:
    return render_template(
        "inbox/preferences.html",
        chosen=chosen,
        kinds=kind_options(),
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        errors=errors,
        message=message,
    )


@bp.get("/preferences")
@login_required
def preferences() -> str:
    return _page(apis().notify.preferences(), {})


@bp.post("/preferences")
@login_required
def save_preferences() -> Response | tuple[str, int]:
    reader = FormReader(request.form)
    chosen = {
        "language": reader.choice("language", LANGUAGES),
        "email": reader.text("email", required=False) or None,
        "email_kinds": [k for k in request.form.getlist("email_kinds") if k in KINDS],
    }
    if reader.errors:
        return _page(chosen, reader.errors), 422
    _saved, problem = attempt(lambda: apis().notify.put_preferences(chosen))
    if problem is not None:
        return _page(chosen, problem.errors, problem.message), problem.status
    # The portal speaks the chosen language from now on, as notify does.
    language = str(chosen["language"])
    with force_locale(language):
        flash(_("Your notification preferences have been saved."), "ok")
    return remember_language(redirect(url_for("inbox.preferences")), language)
