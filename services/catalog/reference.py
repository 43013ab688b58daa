"""Reference data: organisations, safety regions and categories, read by everyone; only an
administrator adds or renames organisations and regions, and each such change is recorded
(``reference_changes``: who, before and after, the request id) in the same transaction."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select

from services.catalog.commands import AddOrganisation, AddRegion, ReferenceChangeQuery, Rename
from services.catalog.domain import BOOKING_MODE, CATEGORY_LABELS, check_organisation_id
from services.catalog.models import Organisation, ReferenceChange, Region
from shared.auth import ADMIN, Principal
from shared.db import UnitOfWork, insert_or_conflict
from shared.errors import Conflict, Forbidden, NotFound
from shared.paging import Page

log = logging.getLogger(__name__)


# -- reads: short lists, each one page of all -------------------------------------------------
def list_organisations(uow: UnitOfWork, *, kind: str | None = None) -> Page[Organisation]:
    """Every organisation, by kind and name."""
    query = select(Organisation).order_by(Organisation.kind, Organisation.name)
    if kind:
        query = query.where(Organisation.kind == kind)
    return Page(items=list(uow.session.scalars(query)), next_cursor=None)


def list_regions(uow: UnitOfWork) -> Page[Region]:
    """The safety regions (25, and any an administrator adds), by code."""
    return Page(
        items=list(uow.session.scalars(select(Region).order_by(Region.code))), next_cursor=None
    )


def list_categories() -> Page[dict[str, str]]:
    """The asset categories and how each is booked (fixed by the domain)."""
    items = [
        {"code": c.value, "label": CATEGORY_LABELS[c], "booking_mode": m.value}
        for c, m in BOOKING_MODE.items()
    ]
    return Page(items=items, next_cursor=None)


def reference_changes(
    uow: UnitOfWork, *, principal: Principal, query: ReferenceChangeQuery
) -> Page[ReferenceChange]:
    """The administrators' edits to organisations and regions, newest first; a page ends
    with ``next_cursor`` (the last id shown) when older changes follow."""
    _require_admin(principal, "reference data")
    select_changes = select(ReferenceChange)
    if query.subject:
        select_changes = select_changes.where(ReferenceChange.subject == query.subject)
    if query.subject_id:
        select_changes = select_changes.where(ReferenceChange.subject_id == query.subject_id)
    if query.cursor:
        select_changes = select_changes.where(ReferenceChange.id < int(query.cursor))
    rows = uow.session.scalars(
        select_changes.order_by(ReferenceChange.id.desc()).limit(query.limit + 1)
    ).all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return Page(items=list(rows), next_cursor=str(rows[-1].id) if more else None)


# -- an administrator's edits ------------------------------------------------------------------
def _require_admin(principal: Principal, what: str) -> None:
    if not principal.has_role(ADMIN):
        raise Forbidden(f"Only an administrator (beheerder-functioneel) manages {what}.")


def _record_change(
    uow: UnitOfWork,
    *,
    subject: str,
    subject_id: str,
    action: str,
    changes: dict[str, list[Any]],
    actor: str,
) -> None:
    """The audit row of an administrator's edit (same transaction), and a log line saying it
    is being recorded (the request may still roll back; the audit row is the record)."""
    uow.session.add(
        ReferenceChange(
            subject=subject,
            subject_id=subject_id,
            action=action,
            changes=changes,
            actor=actor,
            trace_id=uow.trace_id,
        )
    )
    log.info(
        "recording %s %s %s by %s: %s",
        subject,
        subject_id,
        action,
        actor,
        json.dumps(changes, ensure_ascii=False),
    )


def create_organisation(
    uow: UnitOfWork, *, principal: Principal, command: AddOrganisation
) -> Organisation:
    """An administrator adds an organisation (a police unit, a Defence owner, a joint body)."""
    _require_admin(principal, "organisations")
    org_id, name = command.id, command.name.strip()
    check_organisation_id(org_id, command.kind)
    conflict = Conflict(
        f"Organisation {org_id!r} already exists.", errors={"id": ["Already exists."]}
    )
    if uow.session.get(Organisation, org_id) is not None:
        raise conflict
    row = Organisation(id=org_id, name=name, kind=command.kind)
    insert_or_conflict(uow.session, row, conflict)
    _record_change(
        uow,
        subject="organisation",
        subject_id=org_id,
        action="created",
        changes={"name": [None, name], "kind": [None, row.kind]},
        actor=principal.sub,
    )
    uow.commit()
    return row


def update_organisation(
    uow: UnitOfWork, *, principal: Principal, organisation_id: str, command: Rename
) -> Organisation:
    """An administrator renames an organisation (its id and kind stay: assets refer to them)."""
    _require_admin(principal, "organisations")
    row: Organisation = _rename(uow, principal, Organisation, organisation_id, command.name)
    uow.commit()
    return row


def _rename(uow: UnitOfWork, principal: Principal, model: Any, key: str, name: str) -> Any:
    """Rename an organisation or a region, recording the change when the name differs."""
    row = uow.session.get(model, key, with_for_update=True)
    subject = "organisation" if model is Organisation else "region"
    if row is None:
        raise NotFound(f"{subject.capitalize()} {key} does not exist.")
    name = name.strip()
    if name != row.name:
        _record_change(
            uow,
            subject=subject,
            subject_id=key,
            action="updated",
            changes={"name": [row.name, name]},
            actor=principal.sub,
        )
        row.name = name
    return row


def create_region(uow: UnitOfWork, *, principal: Principal, command: AddRegion) -> Region:
    """An administrator adds a safety region."""
    _require_admin(principal, "regions")
    code, name = command.code, command.name.strip()
    conflict = Conflict(f"Region {code} already exists.", errors={"code": ["Already exists."]})
    if uow.session.get(Region, code) is not None:
        raise conflict
    seat, location = command.seat, command.seat_location
    row = Region(code=code, name=name, seat=seat, seat_location=location)
    insert_or_conflict(uow.session, row, conflict)
    created: dict[str, Any] = {"name": [None, name]}
    created.update({k: [None, v] for k, v in (("seat", seat), ("seat_location", location)) if v})
    _record_change(
        uow,
        subject="region",
        subject_id=code,
        action="created",
        changes=created,
        actor=principal.sub,
    )
    uow.commit()
    return row


def update_region(
    uow: UnitOfWork, *, principal: Principal, region_code: str, command: Rename
) -> Region:
    """An administrator renames a safety region (its code stays: assets refer to it)."""
    _require_admin(principal, "regions")
    row: Region = _rename(uow, principal, Region, region_code, command.name)
    uow.commit()
    return row
