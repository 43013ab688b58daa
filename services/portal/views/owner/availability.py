"""An asset's availability: the published weekly rules and one-off windows (publish,
withdraw), Defence's own blackouts (add, remove), and a preview of the concrete windows the
rules give for the coming weeks, minus blackouts, in Europe/Amsterdam."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.portal.auth import role_required
from services.portal.clients import apis
from services.portal.forms import FormReader
from services.portal.views.owner import bp
from services.portal.views.owner.common import attempt, own_asset, renamed, weekday_options
from shared.auth import OWNER

PREVIEW_WEEKS = 4
WINDOW_FIELDS = {"start_at": "window_start", "end_at": "window_end"}
ISO_WEEKDAYS = {str(day) for day in range(1, 8)}
BLACKOUT_FIELDS = {
    "start_at": "blackout_start",
    "end_at": "blackout_end",
    "reason": "blackout_reason",
}


def _chosen_days() -> list[int]:
    return [int(d) for d in request.form.getlist("weekdays") if d in ISO_WEEKDAYS]


def _availability_page(
    asset_id: str, *, errors: dict[str, list[str]] | None = None, message: str = ""
) -> str:
    asset, _etag = own_asset(asset_id)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    until = now + timedelta(weeks=PREVIEW_WEEKS)
    catalog = apis().catalog
    submitted = request.form  # empty on a GET
    return render_template(
        "owner/availability.html",
        asset=asset,
        windows=catalog.windows(asset_id),
        blackouts=catalog.blackouts(asset_id),
        preview=catalog.available_intervals(asset_id, now.isoformat(), until.isoformat()),
        preview_weeks=PREVIEW_WEEKS,
        weekday_options=weekday_options(),
        chosen_days=_chosen_days(),
        values=submitted,
        errors=errors or {},
        message=message,
    )


@bp.get("/assets/<uuid:asset_id>/availability")
@role_required(OWNER)
def availability(asset_id: Any) -> str:
    return _availability_page(str(asset_id))


def _change(
    asset_id: str,
    call: Callable[[], Any],
    done: str,
    field_names: Mapping[str, str] | None = None,
) -> Response | tuple[str, int]:
    """Make one change; a refusal is shown next to the form it came from."""
    _result, problem = attempt(call)
    if problem is not None:
        errors = renamed(problem.errors, field_names or {})
        return _availability_page(asset_id, errors=errors, message=problem.message), problem.status
    flash(done, "ok")
    return redirect(url_for("owner.availability", asset_id=asset_id))


@bp.post("/assets/<uuid:asset_id>/availability/rules")
@role_required(OWNER)
def add_rule(asset_id: Any) -> Response | tuple[str, int]:
    """A weekly rule: these weekdays, from this time to that, between two dates (local time)."""
    reader = FormReader(request.form)
    days = _chosen_days()
    if not days:
        reader.fail("weekdays", _("Choose at least one day."))
    body = {
        "kind": "recurring",
        "weekdays": days,
        "start_time": reader.text("start_time"),
        "end_time": reader.text("end_time"),
        "valid_from": reader.text("valid_from"),
        "valid_to": reader.text("valid_to"),
        "timezone": "Europe/Amsterdam",
    }
    if reader.errors:
        return _availability_page(str(asset_id), errors=reader.errors), 422
    return _change(
        str(asset_id),
        lambda: apis().catalog.publish_window(str(asset_id), body),
        _("The weekly rule has been published."),
    )


@bp.post("/assets/<uuid:asset_id>/availability/windows")
@role_required(OWNER)
def add_window(asset_id: Any) -> Response | tuple[str, int]:
    reader = FormReader(request.form)
    start, end = reader.window("window_start", "window_end")
    if reader.errors:
        return _availability_page(str(asset_id), errors=reader.errors), 422
    assert start is not None and end is not None  # reader.window checked them
    body = {"kind": "one_off", "start_at": start.isoformat(), "end_at": end.isoformat()}
    return _change(
        str(asset_id),
        lambda: apis().catalog.publish_window(str(asset_id), body),
        _("The window has been published."),
        WINDOW_FIELDS,
    )


@bp.post("/assets/<uuid:asset_id>/availability/<uuid:window_id>/withdraw")
@role_required(OWNER)
def withdraw_window(asset_id: Any, window_id: Any) -> Response | tuple[str, int]:
    return _change(
        str(asset_id),
        lambda: apis().catalog.withdraw_window(str(asset_id), str(window_id)),
        _("The window has been withdrawn."),
    )


@bp.post("/assets/<uuid:asset_id>/blackouts")
@role_required(OWNER)
def add_blackout(asset_id: Any) -> Response | tuple[str, int]:
    reader = FormReader(request.form)
    start, end = reader.window("blackout_start", "blackout_end")
    reason = reader.text("blackout_reason", min_length=3)
    if reader.errors:
        return _availability_page(str(asset_id), errors=reader.errors), 422
    assert start is not None and end is not None  # reader.window checked them
    body = {"start_at": start.isoformat(), "end_at": end.isoformat(), "reason": reason}
    return _change(
        str(asset_id),
        lambda: apis().catalog.add_blackout(str(asset_id), body),
        _("The blackout has been added."),
        BLACKOUT_FIELDS,
    )


@bp.post("/assets/<uuid:asset_id>/blackouts/<uuid:blackout_id>/remove")
@role_required(OWNER)
def remove_blackout(asset_id: Any, blackout_id: Any) -> Response | tuple[str, int]:
    return _change(
        str(asset_id),
        lambda: apis().catalog.remove_blackout(str(asset_id), str(blackout_id)),
        _("The blackout has been removed."),
    )
