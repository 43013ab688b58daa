"""Agreements: the list, a new one and a new version of one. Saving is offered only after a
preview of the same terms (which past uses and coming bookings they would cover, and which
more specific agreement would win); terms changed after the preview are previewed again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.portal.auth import role_required
from services.portal.clients import apis
from services.portal.forms import FormReader
from services.portal.labels import CATEGORIES, LEGAL_BASES, PRICE_BASES
from services.portal.views.admin import bp
from services.portal.views.owner.common import attempt
from services.portal.views.planner.common import new_idempotency_key
from shared.auth import ADMIN

Answer = Response | str | tuple[str, int]
SCOPE_FIELDS = ("legal_basis", "category", "owner_org", "requester_org", "valid_from")
# What a new version may change (the API's AgreementUpdate); scope and start stay.
VERSION_FIELDS = (
    "name",
    "valid_to",
    "price_basis",
    "requester_share_pct",
    "charge_mobilisation",
    "cancellation_free_hours",
    "cancellation_pct",
)


def organisations() -> list[dict[str, Any]]:
    """Read from catalog once per request, not from the shared cache: an organisation added
    a moment ago on the organisations page is one to choose here."""
    if "admin_organisations" not in g:
        g.admin_organisations = apis().catalog.organisations()
    found: list[dict[str, Any]] = g.admin_organisations
    return found


def fingerprint(terms: Mapping[str, Any]) -> str:
    """Which terms were previewed: saving other terms needs a preview of them first."""
    return hashlib.sha256(json.dumps(terms, sort_keys=True, default=str).encode()).hexdigest()


@bp.get("/agreements")
@role_required(ADMIN)
def agreements() -> str:
    return render_template("admin/agreements.html", agreements=apis().costsharing.agreements())


def _percent(reader: FormReader, name: str, *, required: bool = True) -> str | None:
    raw = reader.raw(name).replace(",", ".").rstrip("%").strip()
    if not raw:
        if required:
            reader.fail(name, _("Fill this in."))
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        reader.fail(name, _("Enter a percentage from 0 to 100."))
        return None
    return raw


def _terms(reader: FormReader, fields: tuple[str, ...]) -> dict[str, Any]:
    """The agreement's terms from the form, in the API's names, for the fields given."""
    orgs = [o["id"] for o in organisations()]
    readers = {
        "name": lambda: reader.text("name", min_length=3),
        "legal_basis": lambda: reader.choice("legal_basis", LEGAL_BASES),
        "category": lambda: reader.choice("category", CATEGORIES, required=False) or None,
        "owner_org": lambda: reader.choice("owner_org", orgs, required=False) or None,
        "requester_org": lambda: reader.choice("requester_org", orgs, required=False) or None,
        "valid_from": lambda: reader.text("valid_from"),
        "valid_to": lambda: reader.raw("valid_to") or None,
        "price_basis": lambda: reader.choice("price_basis", PRICE_BASES),
        "requester_share_pct": lambda: _percent(reader, "requester_share_pct"),
        "charge_mobilisation": lambda: reader.raw("charge_mobilisation") == "yes",
        "cancellation_free_hours": lambda: reader.integer(
            "cancellation_free_hours", minimum=0, maximum=24 * 90
        ),
        "cancellation_pct": lambda: _percent(reader, "cancellation_pct"),
    }
    return {name: readers[name]() for name in fields}


def _form_page(
    template: str,
    *,
    values: Mapping[str, Any],
    preview: dict[str, Any] | None = None,
    previewed: str = "",
    errors: dict[str, list[str]] | None = None,
    message: str = "",
    **context: Any,
) -> str:
    orgs = [(o["id"], f"{o['name']} ({o['id']})") for o in organisations()]
    return render_template(
        template,
        values=values,
        preview=preview,
        previewed=previewed,
        errors=errors or {},
        message=message,
        legal_bases=list(LEGAL_BASES.items()),
        categories=list(CATEGORIES.items()),
        price_bases=list(PRICE_BASES.items()),
        orgs=orgs,
        idempotency_key=request.form.get("idempotency_key") or new_idempotency_key(),
        **context,
    )


NEW_DEFAULTS = {
    "price_basis": "marginal_cost",
    "requester_share_pct": "100",
    "charge_mobilisation": "yes",
    "cancellation_free_hours": "48",
    "cancellation_pct": "0",
}


@bp.get("/agreements/new")
@role_required(ADMIN)
def new_agreement() -> str:
    return _form_page("admin/agreement_new.html", values=NEW_DEFAULTS)


def _preview_or_save(
    terms: dict[str, Any],
    preview_body: dict[str, Any],
    save: Callable[[], dict[str, Any]],
    render: Callable[..., str],
    done: str,
) -> Answer:
    """Preview the terms, or save them when exactly these terms were previewed."""
    wants_save = request.form.get("step") == "save"
    if wants_save and request.form.get("previewed") == fingerprint(terms):
        saved, problem = attempt(save)
        if problem is None:
            assert saved is not None
            flash(done, "ok")
            return redirect(url_for("admin.agreement", agreement_id=saved["id"]))
        return render(errors=problem.errors, message=problem.message), problem.status
    preview, problem = attempt(lambda: apis().costsharing.preview_agreement(preview_body))
    if problem is not None:
        return render(errors=problem.errors, message=problem.message), problem.status
    message = (
        _("The terms changed after the preview: check the preview again.") if wants_save else ""
    )
    return render(preview=preview, previewed=fingerprint(terms), message=message)


@bp.post("/agreements/new")
@role_required(ADMIN)
def create_agreement() -> Answer:
    reader = FormReader(request.form)
    terms = _terms(reader, ("name", *SCOPE_FIELDS, *VERSION_FIELDS[1:]))

    def render(**kw: Any) -> str:
        return _form_page("admin/agreement_new.html", values=request.form, **kw)

    if reader.errors:
        return render(errors=reader.errors), 422
    key = request.form.get("idempotency_key") or new_idempotency_key()
    return _preview_or_save(
        terms,
        terms,
        lambda: apis().costsharing.create_agreement(terms, key),
        render,
        _("The agreement has been recorded."),
    )


def _version_values(agreement: dict[str, Any]) -> dict[str, Any]:
    values = {name: agreement.get(name) for name in VERSION_FIELDS}
    values["charge_mobilisation"] = "yes" if agreement.get("charge_mobilisation") else ""
    return {k: "" if v is None else v for k, v in values.items()}


@bp.get("/agreements/<uuid:agreement_id>")
@role_required(ADMIN)
def agreement(agreement_id: Any) -> str:
    current, etag = apis().costsharing.agreement_with_etag(str(agreement_id))
    return _form_page(
        "admin/agreement.html", values=_version_values(current), agreement=current, etag=etag
    )


@bp.post("/agreements/<uuid:agreement_id>")
@role_required(ADMIN)
def new_version(agreement_id: Any) -> Answer:
    """A new version with If-Match: one made meanwhile by someone else is a 412, shown."""
    current, etag = apis().costsharing.agreement_with_etag(str(agreement_id))
    reader = FormReader(request.form)
    changes = _terms(reader, VERSION_FIELDS)
    sent_etag = request.form.get("etag") or etag

    def render(**kw: Any) -> str:
        return _form_page(
            "admin/agreement.html", values=request.form, agreement=current, etag=sent_etag, **kw
        )

    if reader.errors:
        return render(errors=reader.errors), 422
    preview_body = {k: v for k, v in changes.items() if k != "name"}
    return _preview_or_save(
        changes,
        {"agreement_id": str(agreement_id), **preview_body},
        lambda: apis().costsharing.new_agreement_version(str(agreement_id), changes, sent_etag),
        render,
        _("The new version of the agreement has been recorded."),
    )
