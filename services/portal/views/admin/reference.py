"""Organisations and safety regions: the lists, add one, rename one (catalog's API), and the
history of every change (catalog's reference changes, newest first, paged by its cursor).
One page per subject, built by the same code. These pages read catalog directly; the other
pages' cached copies (names in menus and filters) follow within the cache's minute."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from services.portal.auth import role_required
from services.portal.clients import apis
from services.portal.forms import FormReader
from services.portal.views.admin import bp
from services.portal.views.owner.common import attempt
from services.portal.views.planner.common import new_idempotency_key
from shared.auth import ADMIN

Answer = Response | str | tuple[str, int]
HISTORY_PAGE = 20
ORGANISATION_KINDS: dict[str, Any] = {
    "politie": _l("Police"),
    "defensie": _l("Defence"),
    "joint": _l("Joint"),
}


@dataclass(frozen=True)
class Subject:
    """Organisations or regions: what differs between the two pages."""

    name: str  # catalog's subject in the reference changes
    endpoint: str
    key: str  # the field that identifies a row (id, code)

    def rows(self) -> list[dict[str, Any]]:
        catalog = apis().catalog
        return catalog.organisations() if self.name == "organisation" else catalog.regions()


ORGANISATIONS = Subject("organisation", "admin.organisations", "id")
REGIONS = Subject("region", "admin.regions", "code")


def _page(
    subject: Subject,
    *,
    errors: dict[str, list[str]] | None = None,
    message: str = "",
    failed: str = "",
) -> str:
    history = apis().catalog.reference_changes(
        subject=subject.name, cursor=request.args.get("cursor") or None, limit=HISTORY_PAGE
    )
    return render_template(
        f"admin/{subject.name}s.html",
        subject=subject,
        rows=subject.rows(),
        history=history,
        kinds=list(ORGANISATION_KINDS.items()),
        values=request.form,
        errors=errors or {},
        message=message,
        failed=failed,
        idempotency_key=request.form.get("idempotency_key") or new_idempotency_key(),
    )


@bp.get("/organisations")
@role_required(ADMIN)
def organisations() -> str:
    return _page(ORGANISATIONS)


@bp.get("/regions")
@role_required(ADMIN)
def regions() -> str:
    return _page(REGIONS)


def _change(subject: Subject, call: Callable[[], Any], done: str, failed: str = "") -> Answer:
    """One change; a refusal is shown on the page next to the form it came from."""
    _result, problem = attempt(call)
    if problem is not None:
        return _page(
            subject, errors=problem.errors, message=problem.message, failed=failed
        ), problem.status
    flash(done, "ok")
    return redirect(url_for(subject.endpoint))


@bp.post("/organisations")
@role_required(ADMIN)
def add_organisation() -> Answer:
    reader = FormReader(request.form)
    body = {
        "id": reader.text("id"),
        "name": reader.text("name", min_length=2),
        "kind": reader.choice("kind", ORGANISATION_KINDS),
    }
    if reader.errors:
        return _page(ORGANISATIONS, errors=reader.errors), 422
    key = request.form.get("idempotency_key") or new_idempotency_key()
    return _change(
        ORGANISATIONS,
        lambda: apis().catalog.add_organisation(body, key),
        _("The organisation %(name)s has been added.", name=body["name"]),
    )


@bp.post("/regions")
@role_required(ADMIN)
def add_region() -> Answer:
    reader = FormReader(request.form)
    body = {"code": reader.text("code").upper(), "name": reader.text("name", min_length=2)}
    seat = reader.raw("seat")
    if seat:
        body["seat"] = seat
    if reader.errors:
        return _page(REGIONS, errors=reader.errors), 422
    key = request.form.get("idempotency_key") or new_idempotency_key()
    return _change(
        REGIONS,
        lambda: apis().catalog.add_region(body, key),
        _("The safety region %(name)s has been added.", name=body["name"]),
    )


def _rename(subject: Subject, key: str) -> Answer:
    reader = FormReader(request.form)
    name = reader.text("new_name", min_length=2)
    if reader.errors:
        return _page(subject, errors=reader.errors, failed=key), 422
    catalog = apis().catalog
    rename = catalog.rename_organisation if subject is ORGANISATIONS else catalog.rename_region
    return _change(
        subject,
        lambda: rename(key, name),
        _("%(key)s is now called %(name)s.", key=key, name=name),
        failed=key,
    )


@bp.post("/organisations/<string:organisation_id>/rename")
@role_required(ADMIN)
def rename_organisation(organisation_id: str) -> Answer:
    return _rename(ORGANISATIONS, organisation_id)


@bp.post("/regions/<string:code>/rename")
@role_required(ADMIN)
def rename_region(code: str) -> Answer:
    return _rename(REGIONS, code)
