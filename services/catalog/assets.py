"""Assets and their tariffs: register, change, retire, read; each use case one unit of work
that also writes the asset's event (the whole asset at its new version)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select

from services.catalog.commands import ChangeAsset, RegisterAsset, RetireAsset
from services.catalog.commitments import ACTIVE_BOOKING_STATES
from services.catalog.domain import (
    BOOKING_MODE,
    AssetStatus,
    Category,
    Tariff,
    check_new_asset,
    check_patch,
)
from services.catalog.models import Asset, AssetCommitment, Organisation, Region
from services.catalog.models import Tariff as TariffRow
from services.catalog.snapshot import emit_asset_event
from shared.auth import OWNER, Principal
from shared.db import UnitOfWork, insert_or_conflict
from shared.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from shared.paging import Page


# -- which asset a caller may read or change --------------------------------------------------
def get_asset(uow: UnitOfWork, *, asset_id: uuid.UUID) -> Asset:
    """One asset with its tariffs (loaded with it: ``lazy="selectin"``)."""
    asset = uow.session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"Asset {asset_id} does not exist.")
    return asset


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


def _known_regions(uow: UnitOfWork, regions: list[str]) -> list[str]:
    wanted = sorted(set(regions))
    known = set(uow.session.scalars(select(Region.code).where(Region.code.in_(wanted))))
    if unknown := [r for r in wanted if r not in known]:
        raise Invalid(
            "Unknown safety region code(s).",
            errors={"regions": [f"Unknown region: {r}" for r in unknown]},
        )
    return wanted


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
def _check_registration(uow: UnitOfWork, principal: Principal, command: RegisterAsset) -> None:
    """Who may register, and the rules every new asset meets (field errors under their names)."""
    if not principal.has_role(OWNER):
        raise Forbidden("Only a Defence asset owner (defensie-beheerder) registers assets.")
    if uow.session.get(Organisation, principal.org) is None:
        raise Forbidden(f"Your organisation {principal.org!r} is not known to the catalog.")
    check_new_asset(
        category=command.category,
        capacity=command.capacity,
        readiness_notice=command.readiness_notice,
    )


def register_asset(uow: UnitOfWork, *, principal: Principal, command: RegisterAsset) -> Asset:
    """An owner registers an asset of its own organisation, with its first tariff."""
    _check_registration(uow, principal, command)
    regions = _known_regions(uow, command.regions)
    try:
        command.tariff.check()
    except Invalid as exc:
        exc.errors = {"tariff": exc.errors}
        raise
    duplicate = uow.session.scalar(
        select(Asset.id).where(
            Asset.owner_org == principal.org, Asset.registration == command.registration
        )
    )
    if duplicate is not None:
        raise Conflict(
            f"Registration {command.registration!r} is already asset {duplicate}.",
            errors={"registration": ["Already registered by your organisation."]},
        )
    asset = Asset(
        id=uuid.uuid4(),
        owner_org=principal.org,
        registration=command.registration,
        name=command.name,
        category=command.category.value,
        booking_mode=BOOKING_MODE[command.category].value,
        home_base=command.home_base,
        home_location=command.home_location,
        regions=regions,
        capacity=command.capacity,
        readiness_notice=command.readiness_notice,
        attributes=command.attributes,
        status=AssetStatus.ACTIVE.value,
        version=1,
        tariffs=[_tariff_row(command.tariff)],
    )
    registered = Conflict(
        f"Registration {command.registration!r} is already registered.",
        errors={"registration": ["Already registered by your organisation."]},
    )
    insert_or_conflict(uow.session, asset, registered)  # a concurrent registration of the number
    emit_asset_event(uow, asset, "catalog.asset.registered")
    uow.commit()
    return asset


def update_asset(
    uow: UnitOfWork,
    *,
    principal: Principal,
    asset_id: uuid.UUID,
    command: ChangeAsset,
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
    changes = command.changes()
    if "regions" in changes:
        changes["regions"] = _known_regions(uow, changes["regions"])
    check_patch(
        category=Category(asset.category),
        new_status=changes.get("status", asset.status),
        capacity=changes.get("capacity", asset.capacity),
        readiness_notice=changes.get("readiness_notice", asset.readiness_notice),
    )
    changed = {
        name: plain
        for name, value in changes.items()
        if (plain := value.value if hasattr(value, "value") else value) != getattr(asset, name)
    }
    if not changed:
        # Nothing differs (an empty body, or the values it already has): no new version, no
        # event for every consumer to apply; the answer is the asset as it stands.
        return asset
    for name, value in changed.items():
        setattr(asset, name, value)
    asset.version += 1
    asset.updated_at = datetime.now(UTC)
    emit_asset_event(uow, asset, "catalog.asset.updated", {"fields": sorted(changed)})
    uow.commit()
    return asset


def retire_asset(
    uow: UnitOfWork,
    *,
    principal: Principal,
    asset_id: uuid.UUID,
    command: RetireAsset,
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
    emit_asset_event(uow, asset, "catalog.asset.retired", {"reason": command.reason})
    uow.commit()
    return asset


# -- tariffs ---------------------------------------------------------------------------------
def add_tariff(
    uow: UnitOfWork, *, principal: Principal, asset_id: uuid.UUID, tariff: Tariff
) -> TariffRow:
    """Set a tariff for a new validity period; periods of one asset never overlap."""
    asset = writable_asset(uow, principal=principal, asset_id=asset_id)
    tariff.check()
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
    uow.commit()
    return row


def list_tariffs(uow: UnitOfWork, *, asset_id: uuid.UUID) -> Page[TariffRow]:
    """An asset's tariff periods, earliest first: a handful per asset, so one page of all."""
    return Page(items=list(get_asset(uow, asset_id=asset_id).tariffs), next_cursor=None)


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
