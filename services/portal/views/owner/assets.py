"""The organisation's assets: the list, one asset with its details (changed with If-Match, a
stale copy told so), its tariffs (list, add), and retirement (confirmed; refused while
future bookings hold it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.portal.auth import role_required
from services.portal.clients import apis
from services.portal.forms import FormReader
from services.portal.labels import UNITS
from services.portal.views.owner import bp
from services.portal.views.owner.common import ASSET_STATUSES, attempt, own_asset, own_assets
from shared.auth import OWNER

# What the owner may change here (retirement has its own confirmed step).
EDITABLE_STATUSES = ("active", "maintenance")
TARIFF_MONEY = (
    "full_cost_rate",
    "marginal_cost_rate",
    "mobilisation_fee",
    "market_reference_price",
)
TARIFF_UNITS = ("flight_hour", "hour", "day", "day_part", "unit")


@bp.get("/assets")
@role_required(OWNER)
def assets() -> str:
    return render_template("owner/assets.html", assets=own_assets())


def _asset_page(
    asset_id: str,
    *,
    errors: dict[str, list[str]] | None = None,
    message: str = "",
    submitted: Mapping[str, str] | None = None,
) -> str:
    """The asset page. After a stale edit the fields show the asset as it is now (with the
    fresh ETag), so the owner sees what changed before making the change again."""
    asset, etag = own_asset(asset_id)
    values: dict[str, Any] = {
        "name": asset["name"],
        "home_base": asset["home_base"],
        "readiness_notice": asset["readiness_notice"],
        "capacity": asset["capacity"],
        "status": asset["status"],
        "unit": (asset.get("tariffs") or [{}])[-1].get("unit", ""),
    }
    values.update({k: v for k, v in (submitted or {}).items() if k not in ("csrf_token", "etag")})
    return render_template(
        "owner/asset.html",
        asset=asset,
        etag=etag,
        values=values,
        statuses=[(code, ASSET_STATUSES[code]) for code in EDITABLE_STATUSES],
        units=[(code, UNITS.get(code, code)) for code in TARIFF_UNITS],
        errors=errors or {},
        message=message,
    )


@bp.get("/assets/<uuid:asset_id>")
@role_required(OWNER)
def asset(asset_id: Any) -> str:
    return _asset_page(str(asset_id))


@bp.post("/assets/<uuid:asset_id>")
@role_required(OWNER)
def update_asset(asset_id: Any) -> Response | tuple[str, int]:
    """PATCH with the ETag the form was rendered with: a change made meanwhile is a 412,
    shown with the current values rather than overwritten."""
    reader = FormReader(request.form)
    changes = {
        "name": reader.text("name"),
        "home_base": reader.text("home_base"),
        "readiness_notice": reader.text("readiness_notice"),
        "capacity": reader.integer("capacity", minimum=1, maximum=1000),
        "status": reader.choice("status", EDITABLE_STATUSES),
    }
    etag = reader.text("etag")
    if reader.errors:
        return _asset_page(str(asset_id), errors=reader.errors, submitted=request.form), 422
    _result, problem = attempt(lambda: apis().catalog.update_asset(str(asset_id), changes, etag))
    if problem is not None and problem.status == 412:
        message = _(
            "Someone changed this asset after you opened the page, so your change was not "
            "saved. The page now shows the asset as it is; make your change again."
        )
        return _asset_page(str(asset_id), message=message), 412
    if problem is not None:
        return _asset_page(
            str(asset_id), errors=problem.errors, message=problem.message, submitted=request.form
        ), problem.status
    flash(_("The asset has been saved."), "ok")
    return redirect(url_for("owner.asset", asset_id=asset_id))


@bp.post("/assets/<uuid:asset_id>/tariffs")
@role_required(OWNER)
def add_tariff(asset_id: Any) -> Response | tuple[str, int]:
    reader = FormReader(request.form)
    body: dict[str, Any] = {"unit": reader.choice("unit", TARIFF_UNITS)}
    for name in TARIFF_MONEY:
        body[name] = reader.raw(name).replace(",", ".") or None
        if body[name] is None and name != "mobilisation_fee":
            reader.fail(name, _("Fill this in."))
    body["valid_from"] = reader.text("valid_from")
    body["valid_to"] = reader.raw("valid_to") or None
    if reader.errors:
        return _asset_page(str(asset_id), errors=reader.errors, submitted=request.form), 422
    body = {k: v for k, v in body.items() if v is not None or k == "valid_to"}
    _result, problem = attempt(lambda: apis().catalog.add_tariff(str(asset_id), body))
    if problem is not None:
        return _asset_page(
            str(asset_id), errors=problem.errors, message=problem.message, submitted=request.form
        ), problem.status
    flash(_("The tariff has been added."), "ok")
    return redirect(url_for("owner.asset", asset_id=asset_id) + "#tariffs-heading")


def _retire_page(
    asset_id: str, *, errors: dict[str, list[str]] | None = None, message: str = ""
) -> str:
    return render_template(
        "owner/retire.html",
        asset=own_asset(asset_id)[0],
        values=request.form,
        errors=errors or {},
        message=message,
    )


@bp.get("/assets/<uuid:asset_id>/retire")
@role_required(OWNER)
def retire_confirm(asset_id: Any) -> str:
    return _retire_page(str(asset_id))


@bp.post("/assets/<uuid:asset_id>/retire")
@role_required(OWNER)
def retire(asset_id: Any) -> Response | tuple[str, int]:
    reader = FormReader(request.form)
    reason = reader.text("reason", min_length=3)
    if reader.raw("confirm") != "yes":
        reader.fail("confirm", _("Confirm that the asset is retired for good."))
    if reader.errors:
        return _retire_page(str(asset_id), errors=reader.errors), 422
    _result, problem = attempt(lambda: apis().catalog.retire(str(asset_id), reason))
    if problem is not None:
        return _retire_page(
            str(asset_id), errors=problem.errors, message=problem.message
        ), problem.status
    flash(_("The asset has been retired."), "ok")
    return redirect(url_for("owner.asset", asset_id=asset_id))
