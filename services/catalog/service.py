"""Catalog use cases: assets, tariffs, reference data (organisations, regions) and what the
catalog keeps of bookings; each one unit of work that also writes its events."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import psycopg
from sqlalchemy import DateTime, Integer, Text, bindparam, cast, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.orm import Session

from services.catalog.domain import (
    BOOKING_MODE,
    AssetStatus,
    Category,
    Tariff,
    TariffUnit,
    check_new_asset,
    check_organisation_id,
    check_patch,
)
from services.catalog.models import (
    Asset,
    AssetCommitment,
    Organisation,
    ReferenceChange,
    Region,
)
from services.catalog.models import Tariff as TariffRow
from services.catalog.snapshot import emit_asset_event
from shared.auth import ADMIN, OWNER, Principal
from shared.db import BulkInsert, UnitOfWork, driver_error, insert_or_conflict, newest_versions
from shared.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed

log = logging.getLogger(__name__)

# Booking states that hold the asset (booking.domain.ACTIVE_STATES; a counter-offer and a hold
# placed for a preempted unit hold it too).
ACTIVE_BOOKING_STATES = ("requested", "counter_offered", "approved", "in_use", "held")


# -- helpers -------------------------------------------------------------------------------
def owned_asset(uow: UnitOfWork, *, principal: Principal, asset_id: uuid.UUID) -> Asset:
    """The asset, locked for change, if the caller is an owner of its organisation."""
    asset = uow.session.get(Asset, asset_id, with_for_update=True)
    if asset is None:
        raise NotFound(f"Asset {asset_id} does not exist.")
    if not principal.has_role(OWNER) or principal.org != asset.owner_org:
        raise Forbidden(f"Only an owner (defensie-beheerder) of {asset.owner_org} may change it.")
    return asset


def writable_asset(uow: UnitOfWork, *, principal: Principal, asset_id: uuid.UUID) -> Asset:
    """``owned_asset``, refused with 409 when the asset is retired: retirement is final, and a
    retired asset takes no more changes (no edits, tariffs, availability or blackouts)."""
    asset = owned_asset(uow, principal=principal, asset_id=asset_id)
    if asset.status == AssetStatus.RETIRED.value:
        raise Conflict(
            f"{asset.name} is {asset.status}: a retired asset cannot be changed.",
            errors={"status": [f"The asset is {asset.status}."]},
            asset_status=asset.status,
        )
    return asset


def _check_regions(uow: UnitOfWork, regions: list[str]) -> list[str]:
    wanted = sorted(set(regions))
    known = set(uow.session.scalars(select(Region.code).where(Region.code.in_(wanted))))
    if unknown := [r for r in wanted if r not in known]:
        raise Invalid(
            "Unknown safety region code(s).",
            errors={"regions": [f"Unknown region: {r}" for r in unknown]},
        )
    return wanted


def _tariff(tariff_in: dict[str, Any]) -> Tariff:
    tariff = Tariff(
        unit=TariffUnit(tariff_in["unit"]),
        full_cost_rate=tariff_in["full_cost_rate"],
        marginal_cost_rate=tariff_in["marginal_cost_rate"],
        mobilisation_fee=tariff_in["mobilisation_fee"],
        market_reference_price=tariff_in["market_reference_price"],
        valid_from=tariff_in["valid_from"],
        valid_to=tariff_in["valid_to"],
    )
    tariff.check()
    return tariff


def _tariff_row(tariff: Tariff) -> TariffRow:
    return TariffRow(
        id=uuid.uuid4(),
        unit=tariff.unit.value,
        full_cost_rate=tariff.full_cost_rate,
        marginal_cost_rate=tariff.marginal_cost_rate,
        mobilisation_fee=tariff.mobilisation_fee,
        market_reference_price=tariff.market_reference_price,
        currency="EUR",
        valid_from=tariff.valid_from,
        valid_to=tariff.valid_to,
    )


# -- assets ----------------------------------------------------------------------------------
def register_asset(uow: UnitOfWork, *, principal: Principal, asset_in: dict[str, Any]) -> Asset:
    """An owner registers an asset of its own organisation, with its first tariff."""
    if not principal.has_role(OWNER):
        raise Forbidden("Only a Defence asset owner (defensie-beheerder) registers assets.")
    session = uow.session
    if session.get(Organisation, principal.org) is None:
        raise Forbidden(f"Your organisation {principal.org!r} is not known to the catalog.")
    category = Category(asset_in["category"])
    check_new_asset(
        category=category,
        capacity=asset_in["capacity"],
        readiness_notice=asset_in["readiness_notice"],
    )
    regions = _check_regions(uow, asset_in["regions"])
    try:
        tariff = _tariff(asset_in["tariff"])
    except Invalid as exc:
        exc.errors = {"tariff": exc.errors}
        raise
    duplicate = session.scalar(
        select(Asset.id).where(
            Asset.owner_org == principal.org, Asset.registration == asset_in["registration"]
        )
    )
    if duplicate is not None:
        raise Conflict(
            f"Registration {asset_in['registration']!r} is already asset {duplicate}.",
            errors={"registration": ["Already registered by your organisation."]},
        )
    asset = Asset(
        id=uuid.uuid4(),
        owner_org=principal.org,
        registration=asset_in["registration"],
        name=asset_in["name"],
        category=category.value,
        booking_mode=BOOKING_MODE[category].value,
        home_base=asset_in["home_base"],
        home_location=asset_in.get("home_location"),
        regions=regions,
        capacity=asset_in["capacity"],
        readiness_notice=asset_in["readiness_notice"],
        attributes=asset_in["attributes"],
        status=AssetStatus.ACTIVE.value,
        version=1,
        tariffs=[_tariff_row(tariff)],
    )
    registered = Conflict(
        f"Registration {asset_in['registration']!r} is already registered.",
        errors={"registration": ["Already registered by your organisation."]},
    )
    insert_or_conflict(session, asset, registered)  # a concurrent registration of the number
    emit_asset_event(uow, asset, "catalog.asset.registered")
    return asset


def update_asset(
    uow: UnitOfWork,
    *,
    principal: Principal,
    asset_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: int | None,
) -> Asset:
    """Change an asset's descriptive fields; refused when the caller's copy is stale.

    ``expected_version`` None is ``If-Match: *``: whatever version is current."""
    asset = writable_asset(uow, principal=principal, asset_id=asset_id)
    if expected_version is not None and asset.version != expected_version:
        raise PreconditionFailed(
            f"The asset changed since you read it (version {asset.version}, "
            f"you sent {expected_version}); read it again.",
            current_version=asset.version,
        )
    if "regions" in changes:
        changes["regions"] = _check_regions(uow, changes["regions"])
    check_patch(
        category=Category(asset.category),
        new_status=changes.get("status", asset.status),
        capacity=changes.get("capacity", asset.capacity),
        readiness_notice=changes.get("readiness_notice", asset.readiness_notice),
    )
    changed = {
        field: plain
        for field, value in changes.items()
        if (plain := value.value if hasattr(value, "value") else value) != getattr(asset, field)
    }
    if not changed:
        # Nothing differs (an empty body, or the values it already has): no new version, no
        # event for every consumer to apply; the answer is the asset as it stands.
        return asset
    for field, value in changed.items():
        setattr(asset, field, value)
    asset.version += 1
    asset.updated_at = datetime.now(UTC)
    emit_asset_event(uow, asset, "catalog.asset.updated", {"fields": sorted(changed)})
    return asset


def retire_asset(
    uow: UnitOfWork,
    *,
    principal: Principal,
    asset_id: uuid.UUID,
    reason: str,
    now: datetime | None = None,
) -> Asset:
    """Retire an asset; refused while bookings that are still to come hold it."""
    asset = writable_asset(uow, principal=principal, asset_id=asset_id)
    now = now or datetime.now(UTC)
    holding = uow.session.scalars(
        select(AssetCommitment.booking_id)
        .where(
            AssetCommitment.asset_id == asset.id,
            AssetCommitment.state.in_(ACTIVE_BOOKING_STATES),
            AssetCommitment.planned_end > now,
        )
        .order_by(AssetCommitment.planned_start)
    ).all()
    if holding:
        raise Conflict(
            f"{asset.name} still has {len(holding)} future booking(s); cancel or complete them "
            "first.",
            bookings=[str(b) for b in holding],
        )
    asset.status = AssetStatus.RETIRED.value
    asset.version += 1
    asset.updated_at = now
    emit_asset_event(uow, asset, "catalog.asset.retired", {"reason": reason})
    return asset


def get_asset(uow: UnitOfWork, *, asset_id: uuid.UUID) -> Asset:
    asset = uow.session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"Asset {asset_id} does not exist.")
    return asset


# -- listing with a stable cursor ----------------------------------------------------------
SORTS: dict[str, tuple[Any, bool]] = {
    "name": (func.lower(Asset.name), False),
    "-name": (func.lower(Asset.name), True),
    "registration": (Asset.registration, False),
    "created_at": (Asset.created_at, False),
    "-created_at": (Asset.created_at, True),
}


def encode_cursor(sort: str, key: Any, asset_id: uuid.UUID | str) -> str:
    raw = json.dumps([sort, key.isoformat() if isinstance(key, datetime) else key, str(asset_id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(decoded, list):
            raise TypeError("cursor is not a list")
        cursor_sort, key, asset_id = decoded
        if cursor_sort != sort:
            raise ValueError("sort changed")
        if sort.lstrip("-") == "created_at":
            key = datetime.fromisoformat(key)
        elif not isinstance(key, str):  # a forged key of another type is a 422, not a 500
            raise TypeError("cursor key is not text")
        if not isinstance(asset_id, str):  # uuid.UUID(5) is an AttributeError, not a 422
            raise TypeError("cursor id is not text")
        return key, uuid.UUID(asset_id)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise Invalid(
            "The cursor is not one this list gave out (or the sort changed).",
            errors={"cursor": ["Invalid cursor."]},
        ) from exc


# The columns of a list item, in the order of their JSON keys (sorted, as Flask's jsonify sorts
# them), so the view can zip them with LIST_ITEM_KEYS and serialise without re-sorting. The id
# comes as text (PostgreSQL's uuid text is Python's str(uuid)): nothing to convert per row.
LIST_ITEM_COLUMNS: tuple[Any, ...] = (
    Asset.booking_mode,
    Asset.capacity,
    Asset.category,
    Asset.home_base,
    cast(Asset.id, Text).label("id"),
    Asset.name,
    Asset.owner_org,
    Asset.readiness_notice,
    Asset.regions,
    Asset.registration,
    Asset.status,
    Asset.version,
)
LIST_ITEM_KEYS = tuple(column.key for column in LIST_ITEM_COLUMNS)
_ID, _SORT_KEY = LIST_ITEM_KEYS.index("id"), len(LIST_ITEM_COLUMNS)

# Free text on name or registration. lower(x) LIKE lower(p) matches what ILIKE matches but costs
# less per row (in-process on 10,000 assets: a rare term 12.7 -> 8.7 ms a request), and both
# expressions have a trigram index (migration 0003); lower(name) is also the name-order index.
SEARCH_COLUMNS = (func.lower(Asset.name), func.lower(Asset.registration))
_PATTERN = bindparam("pattern", type_=Text)


@cache  # at most 5 sorts x 2^6 filter combinations
def _list_sql(
    sort: str, category: bool, region: bool, owner: bool, status: bool, q: bool, cursor: bool
) -> str:
    """The SQL of one shape of list query, with named parameters, compiled once.

    Building and compiling the select per request (coercions, cache key) cost more CPU than
    PostgreSQL spends answering a page (docs/benchmarks.md, "Catalog").
    """
    key_column, descending = SORTS[sort]
    conditions: list[Any] = []
    if category:
        conditions.append(Asset.category == bindparam("category", type_=Text))
    if region:
        # Array containment (@>) uses the GIN index on regions; = ANY() cannot.
        regions = bindparam("regions", type_=PG_ARRAY(Text))
        conditions.append(Asset.regions.op("@>")(cast(regions, PG_ARRAY(Text))))
    if owner:
        conditions.append(Asset.owner_org == bindparam("owner", type_=Text))
    if status:
        conditions.append(Asset.status == bindparam("status", type_=Text))
    if q:
        conditions.append(or_(*(column.like(func.lower(_PATTERN)) for column in SEARCH_COLUMNS)))
    if cursor:
        key_type = DateTime(timezone=True) if sort.lstrip("-") == "created_at" else Text
        position = tuple_(key_column, Asset.id)
        after = tuple_(
            bindparam("after_key", type_=key_type), bindparam("after_id", type_=Asset.id.type)
        )
        conditions.append(position < after if descending else position > after)
    limit = bindparam("limit", type_=Integer)

    def ordered(key: Any, id_column: Any) -> tuple[Any, Any]:
        return (key.desc(), id_column.desc()) if descending else (key, id_column)

    if not (q and sort.lstrip("-") == "name"):
        query = (
            select(*LIST_ITEM_COLUMNS, key_column.label("sort_key"))
            .where(*conditions)
            .order_by(*ordered(key_column, Asset.id))
            .limit(limit)
        )
    else:
        # Free text in name order: find the page's ids first, filtering in name order on
        # ix_assets_name_search alone (an index-only scan: lower(name) and lower(registration)
        # are read from the index, not computed per row), then read only those rows. A term
        # whose matches sort late otherwise costs ~1.5 µs per heap row it skips (migration 0004).
        page = (
            select(Asset.id, key_column.label("sort_key"))
            .where(*conditions)
            .order_by(*ordered(key_column, Asset.id))
            .limit(limit)
            .subquery("page")
        )
        query = (
            select(*LIST_ITEM_COLUMNS, page.c.sort_key)
            .join_from(Asset, page, Asset.id == page.c.id)
            .order_by(*ordered(page.c.sort_key, page.c.id))
        )
    return str(query.compile(dialect=psycopg_dialect()))


def list_query(
    *,
    category: Category | None = None,
    region: str | None = None,
    owner: str | None = None,
    status: AssetStatus | None = None,
    q: str | None = None,
    sort: str = "name",
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters list_assets sends (also for EXPLAIN in bench/catalog.py)."""
    params: dict[str, Any] = {"limit": limit + 1}
    if category is not None:
        params["category"] = category.value
    if region is not None:
        params["regions"] = [region]
    if owner is not None:
        params["owner"] = owner
    if status is not None:
        params["status"] = status.value
    if q:
        params["pattern"] = (
            "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
    if cursor:
        params["after_key"], params["after_id"] = decode_cursor(cursor, sort)
    sql = _list_sql(
        sort,
        category is not None,
        region is not None,
        owner is not None,
        status is not None,
        bool(q),
        bool(cursor),
    )
    return sql, params


def list_assets(
    uow: UnitOfWork, *, sort: str = "name", limit: int = 50, **filters: Any
) -> tuple[Sequence[Any], str | None]:
    """A page of assets and the next cursor. Rows, not ORM objects (lists must be cheap): the
    LIST_ITEM_KEYS columns, then the sort key. Filters: category, region, owner, status, q,
    cursor."""
    sql, params = list_query(sort=sort, limit=limit, **filters)
    # One SELECT needs no transaction around it: autocommit saves the BEGIN and ROLLBACK round
    # trips, and the statement still reads one consistent snapshot. It goes straight to the
    # driver: SQLAlchemy's result set-up for 13 columns cost more than PostgreSQL's answer.
    connection = uow.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    driver: Any = connection.connection.driver_connection  # a psycopg Connection
    # Free text is planned for each term (never prepared): a generic plan cannot tell a rare term
    # (trigram index) from a frequent one (name order), and guessed wrong it cost 5-10 ms.
    prepare = False if filters.get("q") else None
    try:
        with driver.cursor() as cursor:
            rows = cursor.execute(sql, params, prepare=prepare).fetchall()
    except psycopg.Error as exc:  # as SQLAlchemy's (e.g. DataError -> 422), like any query
        raise driver_error(connection, sql, params, exc) from exc
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(sort, last[_SORT_KEY], last[_ID])
    return rows, next_cursor


# -- tariffs ---------------------------------------------------------------------------------
def add_tariff(
    uow: UnitOfWork, *, principal: Principal, asset_id: uuid.UUID, tariff_in: dict[str, Any]
) -> TariffRow:
    """Set a tariff for a new validity period; periods of one asset never overlap."""
    asset = writable_asset(uow, principal=principal, asset_id=asset_id)
    tariff = _tariff(tariff_in)
    for existing in asset.tariffs:
        ends_after = existing.valid_to is None or tariff.valid_from < existing.valid_to
        starts_before = tariff.valid_to is None or existing.valid_from < tariff.valid_to
        if ends_after and starts_before:
            raise Conflict(
                f"The period overlaps tariff {existing.id} "
                f"({existing.valid_from} – {existing.valid_to or 'open'}).",
                errors={"valid_from": ["Overlaps an existing tariff period."]},
                conflicting_tariff=str(existing.id),
            )
    row = _tariff_row(tariff)
    row.asset_id = asset.id
    uow.session.add(row)
    asset.version += 1
    emit_asset_event(uow, asset, "catalog.tariff.set", {"tariff_id": str(row.id)})
    return row


def tariff_covers(asset: Asset, first_day: date, last_day: date | None) -> bool:
    """True when tariff periods cover every day from ``first_day`` to ``last_day``."""
    day = first_day
    for tariff in sorted(asset.tariffs, key=lambda t: t.valid_from):
        if tariff.valid_from > day:
            return False
        if tariff.valid_to is None:
            return True
        day = max(day, tariff.valid_to)
        if last_day is not None and day > last_day:
            return True
    return False


# -- reference data ------------------------------------------------------------------------
def list_organisations(uow: UnitOfWork, *, kind: str | None = None) -> Sequence[Organisation]:
    query = select(Organisation).order_by(Organisation.kind, Organisation.name)
    if kind:
        query = query.where(Organisation.kind == kind)
    return uow.session.scalars(query).all()


def list_regions(uow: UnitOfWork) -> Sequence[Region]:
    return uow.session.scalars(select(Region).order_by(Region.code)).all()


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


def reference_changes(
    uow: UnitOfWork,
    *,
    principal: Principal,
    subject: str | None = None,
    subject_id: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """The administrators' edits to organisations and regions, newest first; a page ends
    with ``next_cursor`` (the last id shown) when older changes follow."""
    _require_admin(principal, "reference data")
    query = select(ReferenceChange)
    if subject:
        query = query.where(ReferenceChange.subject == subject)
    if subject_id:
        query = query.where(ReferenceChange.subject_id == subject_id)
    if cursor:
        query = query.where(ReferenceChange.id < int(cursor))
    rows = uow.session.scalars(query.order_by(ReferenceChange.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": str(rows[-1].id) if more else None}


def create_organisation(
    uow: UnitOfWork, *, principal: Principal, organisation_in: dict[str, Any]
) -> Organisation:
    """An administrator adds an organisation (a police unit, a Defence owner, a joint body)."""
    _require_admin(principal, "organisations")
    org_id, name = organisation_in["id"], organisation_in["name"].strip()
    check_organisation_id(org_id, organisation_in["kind"])
    conflict = Conflict(
        f"Organisation {org_id!r} already exists.", errors={"id": ["Already exists."]}
    )
    if uow.session.get(Organisation, org_id) is not None:
        raise conflict
    row = Organisation(id=org_id, name=name, kind=organisation_in["kind"])
    insert_or_conflict(uow.session, row, conflict)
    _record_change(
        uow,
        subject="organisation",
        subject_id=org_id,
        action="created",
        changes={"name": [None, name], "kind": [None, row.kind]},
        actor=principal.sub,
    )
    return row


def update_organisation(
    uow: UnitOfWork, *, principal: Principal, organisation_id: str, changes: dict[str, Any]
) -> Organisation:
    """An administrator renames an organisation (its id and kind stay: assets refer to them)."""
    _require_admin(principal, "organisations")
    return _rename(uow, principal, Organisation, organisation_id, changes["name"])


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


def create_region(uow: UnitOfWork, *, principal: Principal, region_in: dict[str, Any]) -> Region:
    """An administrator adds a safety region."""
    _require_admin(principal, "regions")
    code, name = region_in["code"], region_in["name"].strip()
    conflict = Conflict(f"Region {code} already exists.", errors={"code": ["Already exists."]})
    if uow.session.get(Region, code) is not None:
        raise conflict
    seat, location = region_in.get("seat"), region_in.get("seat_location")
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
    return row


def update_region(
    uow: UnitOfWork, *, principal: Principal, region_code: str, changes: dict[str, Any]
) -> Region:
    """An administrator renames a safety region (its code stays: assets refer to it)."""
    _require_admin(principal, "regions")
    return _rename(uow, principal, Region, region_code, changes["name"])


# -- what catalog learns from booking --------------------------------------------------------
_COMMITMENTS = AssetCommitment.metadata.tables["asset_commitments"]
# Built once: a booking's newer version replaces its row; an older or repeated one changes nothing.
_UPSERT_COMMITMENTS = BulkInsert.upsert_newer(
    _COMMITMENTS, key="booking_id", newer="asset_commitments.version < EXCLUDED.version"
)


def apply_booking_events(session: Session, booking_data: list[dict[str, Any]]) -> None:
    """Keep the latest state of each booking (by version) to answer retirement questions: a
    whole polled batch of booking events in one upsert."""
    newest = newest_versions(booking_data, "booking_id")
    if newest:
        _UPSERT_COMMITMENTS.execute(session, (_commitment(data) for data in newest.values()))


def apply_booking_event(uow: UnitOfWork, *, data: dict[str, Any]) -> None:
    """One booking event (the same statement as a batch of one)."""
    apply_booking_events(uow.session, [data])


def _commitment(data: dict[str, Any]) -> dict[str, Any]:
    # The event's strings go to PostgreSQL as JSON, which parses them into the column types.
    return {
        "booking_id": data["booking_id"],
        "asset_id": data["asset_id"],
        "state": data["state"],
        "planned_start": data["planned_start"],
        "planned_end": data["planned_end"],
        "requester_org": data["requester_org"],
        "version": data["version"],
    }
