"""Demo data, loaded idempotently by ``slagkracht run`` (a second run adds nothing).

The data is services/demo_data.json (assets, their tariffs and availability patterns,
contracts, agreements, mailboxes), read by services/demo_data.py; this module hands it to the
use cases, each part in its own units of work.
Tariffs and reference prices are ILLUSTRATIVE, not real Defence rates. Every start keeps each
demo asset available up to 90 days ahead: the windows the loader published (note "demo") are
replaced by windows from today when they reach less far; a second start on the same day
changes nothing, and windows an owner published are never touched.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from services.catalog import assets as catalog
from services.catalog import availability as catalog_availability
from services.catalog import contracts as catalog_contracts
from services.catalog.domain import AssetStatus
from services.catalog.models import Asset, AvailabilityWindow, FrameworkContract
from services.catalog.schemas import AssetCreate, ContractCreate, WindowIn
from services.costsharing import agreements as costsharing
from services.costsharing.commands import RecordAgreement
from services.costsharing.models import Agreement
from services.demo_data import (
    DEMO_NOTE,
    HORIZON_DAYS,
    DemoAsset,
    availability_rules,
    read_demo_data,
)
from services.notify import preferences as notify_preferences
from services.notify.models import Mailbox
from shared.auth import ADMIN, OWNER, Principal
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.settings import Settings

log = logging.getLogger(__name__)


ADMIN_PRINCIPAL = Principal(
    sub="demo-admin", name="Demo admin", org="joint", roles=frozenset({ADMIN})
)


def _joined(uow: UnitOfWork) -> UnitOfWork:
    """``uow`` for several catalog use cases in one transaction: each use case's commit only
    flushes, and the loader commits them together (an asset with its windows, or all of an
    extension's withdrawals and publications)."""
    return UnitOfWork.within(
        uow.session, producer=uow.producer, topic_for=uow.topic_for, actor=uow.actor
    )


def _owner(org: str) -> Principal:
    return Principal(sub=f"demo-{org}", name=f"Demo {org}", org=org, roles=frozenset({OWNER}))


def _publish_availability(
    uow: UnitOfWork, asset: Asset, pattern: list[dict[str, Any]], today: date
) -> None:
    owner = _owner(asset.owner_org)
    for window_in in availability_rules(pattern, today):
        catalog_availability.publish_window(
            uow, principal=owner, asset_id=asset.id, command=WindowIn().load(window_in)
        )


def _reach(window: AvailabilityWindow) -> date:
    """The horizon a demo window was published up to: a rule's last day, or the UTC date a
    one-off ends (the loader ends them at 00:00 UTC on the horizon)."""
    if window.kind == "recurring":
        assert window.valid_to is not None
        return window.valid_to
    assert window.end_at is not None
    return window.end_at.astimezone(UTC).date()


def _demo_windows(session: Session, assets: dict[Any, Asset]) -> dict[Any, list[Any]]:
    """The windows the loader published for these assets (its owner principal, its note), by
    asset: one query for all."""
    found: dict[Any, list[AvailabilityWindow]] = defaultdict(list)
    if not assets:
        return found
    rows = session.scalars(
        select(AvailabilityWindow).where(
            AvailabilityWindow.asset_id.in_(list(assets)),
            AvailabilityWindow.note == DEMO_NOTE,
            AvailabilityWindow.created_by.like("demo-%"),
        )
    ).all()
    for row in rows:
        if row.created_by == _owner(assets[row.asset_id].owner_org).sub:
            found[row.asset_id].append(row)
    return found


def _extend_availability(
    uow: UnitOfWork, owner_org: str, asset_id: Any, pattern: list[dict[str, Any]], today: date
) -> bool:
    """Bring one asset's availability up to the horizon: its loader windows are replaced by
    windows from today (their future part lies inside the new ones, so nothing bookable is
    lost). False, writing nothing, when they already reach it or the asset is retired."""
    owner = _owner(owner_org)
    asset = catalog.owned_asset(uow, principal=owner, asset_id=asset_id)  # locked
    if asset.status == AssetStatus.RETIRED.value:
        return False
    windows = _demo_windows(uow.session, {asset.id: asset})[asset.id]
    horizon = today + timedelta(days=HORIZON_DAYS)
    if windows and max(_reach(w) for w in windows) >= horizon:
        return False  # another start got here first
    for window in windows:
        catalog_availability.withdraw_window(
            uow, principal=owner, asset_id=asset.id, window_id=window.id
        )
    _publish_availability(uow, asset, pattern, today)
    return True


# -- the catalog's part ------------------------------------------------------------------------
_UnitOfWorkFactory = Callable[[], UnitOfWork]


def _existing(
    uow: _UnitOfWorkFactory, wanted: list[DemoAsset]
) -> tuple[dict[tuple[str, str], Asset], dict[Any, list[Any]]]:
    """The demo assets already registered, by (organisation, registration), and their loader
    windows: two queries."""
    with uow() as reading:
        keys = [(demo.org, demo.asset_in["registration"]) for demo in wanted]
        existing = {
            (a.owner_org, a.registration): a
            for a in reading.session.scalars(
                select(Asset).where(tuple_(Asset.owner_org, Asset.registration).in_(keys))
            )
        }
        windows = _demo_windows(reading.session, {a.id: a for a in existing.values()})
    return existing, windows


def _register(uow: _UnitOfWorkFactory, demo: DemoAsset, pattern: list[Any], today: date) -> Any:
    with uow() as writing:
        command = AssetCreate().load(demo.asset_in)
        asset = catalog.register_asset(
            _joined(writing), principal=_owner(demo.org), command=command
        )
        _publish_availability(_joined(writing), asset, pattern, today)
        writing.commit()
    return asset.id


def _extend(
    uow: _UnitOfWorkFactory, asset: Asset, reach: date | None, pattern: list[Any], today: date
) -> bool:
    """Whether the asset's availability had to be, and was, extended to the horizon."""
    if not pattern or asset.status == AssetStatus.RETIRED.value:
        return False
    if reach is not None and reach >= today + timedelta(days=HORIZON_DAYS):
        return False
    with uow() as writing:
        if _extend_availability(_joined(writing), asset.owner_org, asset.id, pattern, today):
            writing.commit()
            return True
    return False


def _add_contract(uow: _UnitOfWorkFactory, contract: dict[str, Any], ids: dict[str, Any]) -> bool:
    """The contract, unless its reference exists; whether it was added."""
    with uow() as writing:
        reference = contract["reference"]
        taken = select(FrameworkContract.id).where(FrameworkContract.reference == reference)
        if writing.session.scalar(taken) is not None:
            return False
        catalog_contracts.create_contract(
            writing,
            principal=_owner(contract["owner_org"]),
            command=ContractCreate().load(
                {
                    "reference": reference,
                    "supplier": contract["supplier"],
                    "description": contract["description"],
                    "valid_from": date.fromisoformat(contract["valid_from"]),
                    "valid_to": date.fromisoformat(contract["valid_to"]),
                    "total_volume": contract["total_volume"],
                    "item_ids": [ids[registration] for registration in contract["items"]],
                    "tiers": [dict(tier) for tier in contract["tiers"]],
                }
            ),
        )
        writing.commit()
    return True


def load_catalog_demo(settings: Settings, today: date) -> dict[str, int]:
    """The catalog's part: assets (with availability up to ``today`` + 90 days, extended on
    every start) and contracts. A start that finds everything in place reads two queries and
    writes nothing."""
    data = read_demo_data()
    added = {"assets": 0, "contracts": 0, "extended": 0}
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)

    def uow() -> UnitOfWork:
        return UnitOfWork(factory, producer="catalog", topic_for=settings.topic, actor="demo-data")

    existing, windows = _existing(uow, data.assets)
    ids: dict[str, Any] = {}
    for demo in data.assets:
        pattern = data.availability[demo.availability]
        asset = existing.get((demo.org, demo.asset_in["registration"]))
        if asset is None:
            ids[demo.asset_in["registration"]] = _register(uow, demo, pattern, today)
            added["assets"] += 1
            continue
        reach = max((_reach(w) for w in windows.get(asset.id, [])), default=None)
        added["extended"] += _extend(uow, asset, reach, pattern, today)
        ids[demo.asset_in["registration"]] = asset.id
    for contract in data.contracts:
        added["contracts"] += _add_contract(uow, contract, ids)
    engine.dispose()
    return added


# -- cost-sharing's and notify's parts ------------------------------------------------------
def load_costsharing_demo(settings: Settings) -> int:
    """The demo agreements not there yet (by name); returns how many were added."""
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    added = 0
    for agreement_in in read_demo_data().agreements:
        with UnitOfWork(
            factory, producer="costsharing", topic_for=settings.topic, actor="demo-data"
        ) as uow:
            named = select(Agreement.id).where(Agreement.name == agreement_in["name"])
            if uow.session.scalar(named) is None:
                costsharing.create_agreement(
                    uow, principal=ADMIN_PRINCIPAL, command=RecordAgreement(**agreement_in)
                )
                uow.commit()
                added += 1
    engine.dispose()
    return added


def load_notify_demo(settings: Settings) -> int:
    """The demo mailbox directory (where each demo role is emailed: the sink of `slagkracht
    run` keeps them in var/mail/); an address an administrator changed is kept."""
    engine = make_engine(settings.database_url)
    added = 0
    try:
        factory = make_session_factory(engine)
        for box in read_demo_data().mailboxes:
            with UnitOfWork(factory, producer="notify", actor="demo-data") as uow:
                if uow.session.get(Mailbox, (box["org"], box["role"])) is None:
                    notify_preferences.set_mailbox(
                        uow,
                        org=box["org"],
                        role=box["role"],
                        address=box["address"],
                        language=box["language"],
                        actor="demo-data",
                    )
                    uow.commit()
                    added += 1
    finally:
        engine.dispose()
    return added


def load_demo_data(settings: dict[str, Settings], *, today: date | None = None) -> dict[str, int]:
    """Load what is not there yet: assets with availability, contracts, agreements; and keep
    the demo assets available up to 90 days ahead (``today``: the date to count from)."""
    today = today or datetime.now(UTC).date()
    catalog_added = load_catalog_demo(settings["catalog"], today)
    if catalog_added["extended"]:
        log.info(
            "demo data: availability of %d assets extended to %s",
            catalog_added["extended"],
            today + timedelta(days=HORIZON_DAYS),
        )
    added = {"assets": catalog_added["assets"], "contracts": catalog_added["contracts"]}
    added["agreements"] = load_costsharing_demo(settings["costsharing"])
    if "notify" in settings:
        added["mailboxes"] = load_notify_demo(settings["notify"])
    return added
