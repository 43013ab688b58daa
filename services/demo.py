"""Demo data, loaded idempotently by ``slagkracht run`` (a second run adds nothing).

Tariffs and reference prices are ILLUSTRATIVE, not real Defence rates. Every start keeps each
demo asset available up to 90 days ahead: the windows the loader published (note "demo") are
replaced by windows from today when they reach less far; a second start on the same day
changes nothing, and windows an owner published are never touched.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from services.catalog import availability as catalog_availability
from services.catalog import contracts as catalog_contracts
from services.catalog import service as catalog
from services.catalog.domain import AssetStatus
from services.catalog.models import Asset, AvailabilityWindow, FrameworkContract
from services.costsharing import agreements as costsharing
from services.costsharing.models import Agreement
from services.notify import preferences as notify_preferences
from services.notify.models import Mailbox
from shared.auth import ADMIN, FINANCE, OWNER, PLANNER, Principal
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.settings import Settings

log = logging.getLogger(__name__)

ILLUSTRATIVE = {"illustrative_prices": True}
HORIZON_DAYS = 90
DEMO_NOTE = "demo"
ALL_WEEK = [1, 2, 3, 4, 5, 6, 7]
WEEKDAYS = [1, 2, 3, 4, 5]


def _owner(org: str) -> Principal:
    return Principal(sub=f"demo-{org}", name=f"Demo {org}", org=org, roles=frozenset({OWNER}))


ADMIN_PRINCIPAL = Principal(
    sub="demo-admin", name="Demo admin", org="joint", roles=frozenset({ADMIN})
)


def _tariff(unit: str, full: str, marginal: str, fee: str, market: str) -> dict[str, Any]:
    return {
        "unit": unit,
        "full_cost_rate": Decimal(full),
        "marginal_cost_rate": Decimal(marginal),
        "mobilisation_fee": Decimal(fee),
        "market_reference_price": Decimal(market),
        "valid_from": date(2026, 1, 1),
        "valid_to": None,
    }


# Approximate locations of the demo's home bases (WGS84): an escalation ranks alternatives by
# straight-line travel from here to the requested region's seat.
HOME_BASES: dict[str, dict[str, float]] = {
    "Vliegbasis Gilze-Rijen": {"lat": 51.5674, "lon": 4.9318},
    "Marinevliegkamp De Kooy": {"lat": 52.9234, "lon": 4.7806},
    "Vliegbasis Leeuwarden": {"lat": 53.2286, "lon": 5.7606},
    "Den Helder": {"lat": 52.9563, "lon": 4.7601},
    "Vlissingen": {"lat": 51.4425, "lon": 3.5736},
    "Wezep": {"lat": 52.4600, "lon": 6.0050},
    "Oirschot": {"lat": 51.5050, "lon": 5.3130},
    "Vught": {"lat": 51.6530, "lon": 5.2870},
    "'t Harde": {"lat": 52.4090, "lon": 5.8930},
    "Marnewaard": {"lat": 53.3970, "lon": 6.3100},
    "Harskamp": {"lat": 52.1350, "lon": 5.7580},
    "Ermelo": {"lat": 52.2990, "lon": 5.6210},
}


def _asset(
    org: str,
    registration: str,
    name: str,
    category: str,
    base: str,
    regions: list[str],
    tariff: dict[str, Any],
    *,
    capacity: int = 1,
    notice: str = "PT4H",
    availability: str = "always",
    **attributes: Any,
) -> tuple[str, dict[str, Any], str]:
    return (
        org,
        {
            "registration": registration,
            "name": name,
            "category": category,
            "home_base": base,
            "home_location": HOME_BASES.get(base),
            "regions": regions,
            "capacity": capacity,
            "readiness_notice": notice,
            "attributes": {**attributes, **ILLUSTRATIVE},
            "tariff": tariff,
        },
        availability,
    )


NORTH = ["VR01", "VR02", "VR03", "VR25"]
WEST = ["VR10", "VR11", "VR12", "VR13", "VR14", "VR15", "VR16", "VR17", "VR18"]
SOUTH = ["VR19", "VR20", "VR21", "VR22", "VR23", "VR24"]
EAST = ["VR04", "VR05", "VR06", "VR07", "VR08", "VR09"]
NATIONAL = sorted(NORTH + WEST + SOUTH + EAST)


def demo_assets() -> list[tuple[str, dict[str, Any], str]]:
    chinook = _tariff("flight_hour", "12500.00", "4800.00", "2500.00", "15000.00")
    cougar = _tariff("flight_hour", "8200.00", "3100.00", "1500.00", "9500.00")
    nh90 = _tariff("flight_hour", "9800.00", "3900.00", "1500.00", "11000.00")
    assets = []
    for i in range(1, 5):
        assets.append(
            _asset(
                "defensie-dhc",
                f"D-10{i}",
                f"CH-47F Chinook D-10{i}",
                "helicopter",
                "Vliegbasis Gilze-Rijen",
                NATIONAL,
                chinook,
                notice="PT4H",
                availability="day",
                type="CH-47F",
                lift_capacity_kg=10000,
            )
        )
        assets.append(
            _asset(
                "defensie-dhc",
                f"S-44{i}",
                f"AS532 Cougar S-44{i}",
                "helicopter",
                "Vliegbasis Gilze-Rijen",
                SOUTH + WEST,
                cougar,
                notice="PT4H",
                availability="day",
                type="AS532U2 Cougar",
            )
        )
        assets.append(
            _asset(
                "defensie-dhc",
                f"N-08{i}",
                f"NH90 N-08{i}",
                "helicopter",
                "Marinevliegkamp De Kooy",
                WEST + NORTH,
                nh90,
                notice="PT2H",
                availability="day",
                type="NH90 NFH",
                hoist=True,
            )
        )
    raven = _tariff("day", "3500.00", "1200.00", "500.00", "4800.00")
    integrator = _tariff("day", "9000.00", "3500.00", "1500.00", "12500.00")
    reaper = _tariff("flight_hour", "6500.00", "2500.00", "5000.00", "9000.00")
    for i in range(1, 4):
        assets.append(
            _asset(
                "defensie-306sqn",
                f"UAS-R{i}",
                f"RQ-11 Raven set {i}",
                "drone",
                "Vliegbasis Leeuwarden",
                NATIONAL,
                raven,
                notice="PT12H",
                availability="weekdays",
                type="RQ-11 Raven",
                crew_included=True,
            )
        )
    for i in range(1, 3):
        assets.append(
            _asset(
                "defensie-306sqn",
                f"UAS-I{i}",
                f"Integrator {i}",
                "drone",
                "Vliegbasis Leeuwarden",
                NATIONAL,
                integrator,
                notice="P1D",
                availability="weekdays",
                type="RQ-21A Integrator",
            )
        )
        assets.append(
            _asset(
                "defensie-306sqn",
                f"UAS-M{i}",
                f"MQ-9 Reaper {i}",
                "drone",
                "Vliegbasis Leeuwarden",
                NATIONAL,
                reaper,
                notice="P2D",
                availability="weekdays",
                type="MQ-9A Reaper",
            )
        )
    dive = _tariff("hour", "650.00", "280.00", "900.00", "950.00")
    assets += [
        _asset(
            "defensie-duikgroep",
            "DG-HLD",
            "Duikteams Den Helder",
            "dive_team",
            "Den Helder",
            NATIONAL,
            dive,
            capacity=3,
            notice="PT6H",
            max_depth_m=60,
        ),
        _asset(
            "defensie-duikgroep",
            "DG-SONAR",
            "Duikteam met sonar en REMUS",
            "dive_team",
            "Den Helder",
            NATIONAL,
            _tariff("hour", "1150.00", "520.00", "1500.00", "1800.00"),
            capacity=1,
            notice="PT12H",
            max_depth_m=100,
            sonar=True,
            remus=True,
        ),
        _asset(
            "defensie-duikgroep",
            "DG-ZLD",
            "Duikteams Vlissingen",
            "dive_team",
            "Vlissingen",
            SOUTH + ["VR18"],
            dive,
            capacity=2,
            notice="PT6H",
            max_depth_m=50,
        ),
    ]
    ast = _tariff("day", "4200.00", "1800.00", "750.00", "6500.00")
    eod = _tariff("day", "3800.00", "1500.00", "500.00", "5200.00")
    for i, (base, regions) in enumerate(
        [("Wezep", EAST + NORTH), ("Oirschot", SOUTH), ("Vught", SOUTH + WEST)], start=1
    ):
        assets.append(
            _asset(
                "defensie-genie",
                f"AST-{i}",
                f"Advanced Search Team {i} ({base})",
                "search_team",
                base,
                regions,
                ast,
                capacity=2,
                notice="PT12H",
            )
        )
        assets.append(
            _asset(
                "defensie-eod",
                f"EOD-{i}",
                f"EOD-ploeg {i} ({base})",
                "search_team",
                base,
                regions,
                eod,
                capacity=3,
                notice="PT2H",
            )
        )
    range_ = _tariff("day_part", "1400.00", "450.00", "0.00", "2600.00")
    for reg, name, base, regions, cap in [
        ("TER-HARDE", "Schietkamp 't Harde", "'t Harde", EAST + NORTH, 4),
        ("TER-MARNE", "Marnewaard met oefendorp Marnehuizen", "Marnewaard", NORTH, 3),
        ("TER-OIRS", "Oefenterrein Oirschotse Heide", "Oirschot", SOUTH, 5),
        ("TER-HARS", "Schietbanen Harskamp", "Harskamp", EAST + ["VR09"], 6),
        ("TER-ERM", "Oefenterrein Ermelo", "Ermelo", EAST + ["VR09", "VR14"], 4),
    ]:
        assets.append(
            _asset(
                "defensie-oefenterreinen",
                reg,
                name,
                "terrain",
                base,
                regions,
                range_,
                capacity=cap,
                notice="P2D",
                availability="range",
                day_parts=["morning", "afternoon", "evening"],
            )
        )
    for reg, name, price, market in [
        ("PRC-BOOT", "Gevechtslaars (paar)", "189.00", "245.00"),
        ("PRC-VEST", "Ballistisch vest klasse IV", "1450.00", "1890.00"),
        ("PRC-GLOVE", "Tactische handschoenen (paar)", "42.00", "59.00"),
        ("PRC-HELM", "Ballistische helm", "780.00", "990.00"),
        ("PRC-RAIN", "Regenkleding set", "120.00", "165.00"),
        ("PRC-FLEECE", "Fleece jack", "64.00", "85.00"),
        ("PRC-KNEE", "Kniebeschermers (paar)", "38.00", "52.00"),
        ("PRC-BAG", "Uitrustingstas", "95.00", "130.00"),
    ]:
        assets.append(
            _asset(
                "defensie-dmo",
                reg,
                name,
                "procurement_item",
                "DMO Utrecht",
                NATIONAL,
                _tariff("unit", price, price, "0.00", market),
                capacity=1,
                notice="P14D",
                availability="none",
            )
        )
    return assets


def _publish_availability(uow: UnitOfWork, asset: Asset, kind: str, today: date) -> None:
    owner = _owner(asset.owner_org)
    horizon = today + timedelta(days=HORIZON_DAYS)
    rules: list[dict[str, Any]] = []
    if kind == "always":
        start = datetime.combine(today, time(0), UTC)
        rules.append({"kind": "one_off", "start_at": start, "end_at": start + timedelta(days=90)})
    elif kind == "day":
        rules.append(
            {
                "kind": "recurring",
                "weekdays": ALL_WEEK,
                "start_time": time(7),
                "end_time": time(23),
                "valid_from": today,
                "valid_to": horizon,
            }
        )
    elif kind == "weekdays":
        rules.append(
            {
                "kind": "recurring",
                "weekdays": WEEKDAYS,
                "start_time": time(8),
                "end_time": time(20),
                "valid_from": today,
                "valid_to": horizon,
            }
        )
    elif kind == "range":
        rules.append(
            {
                "kind": "recurring",
                "weekdays": WEEKDAYS + [6],
                "start_time": time(8),
                "end_time": time(22),
                "valid_from": today,
                "valid_to": horizon,
            }
        )
    for rule in rules:
        catalog_availability.publish_window(
            uow,
            principal=owner,
            asset_id=asset.id,
            window_in={"timezone": "Europe/Amsterdam", "note": DEMO_NOTE, **rule},
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
    uow: UnitOfWork, owner_org: str, asset_id: Any, kind: str, today: date
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
    _publish_availability(uow, asset, kind, today)
    return True


DEMO_CONTRACTS = [
    (
        "FWC-2026-KLEDING-01",
        "Koninklijke Schoenenfabriek B.V. (fictief)",
        "Laarzen en handschoenen voor politie en Defensie",
        ["PRC-BOOT", "PRC-GLOVE", "PRC-KNEE"],
        40000,
        [(1, "189.00"), (1000, "171.00"), (10000, "158.00")],
    ),
    (
        "FWC-2026-BESCH-02",
        "Protect Europe N.V. (fictief)",
        "Ballistische bescherming: vesten en helmen",
        ["PRC-VEST", "PRC-HELM"],
        12000,
        [(1, "1450.00"), (500, "1320.00"), (5000, "1210.00")],
    ),
    (
        "FWC-2026-OUTDOOR-03",
        "Dutch Outdoor Supply B.V. (fictief)",
        "Regenkleding, fleece en uitrustingstassen",
        ["PRC-RAIN", "PRC-FLEECE", "PRC-BAG"],
        30000,
        [(1, "120.00"), (2000, "108.00"), (15000, "99.00")],
    ),
]


DEMO_AGREEMENTS: list[dict[str, Any]] = [
    {
        "name": "Bijstand Politiewet — meerkosten, politie betaalt 100%",
        "legal_basis": "bijstand_politiewet",
        "price_basis": "marginal_cost",
        "requester_share_pct": Decimal("100"),
        "charge_mobilisation": True,
    },
    {
        "name": "Steunverlening — integrale kosten, 50/50",
        "legal_basis": "steunverlening",
        "price_basis": "full_cost",
        "requester_share_pct": Decimal("50"),
        "charge_mobilisation": True,
    },
    {
        "name": "Gezamenlijke oefening — kosteloos",
        "legal_basis": "joint_exercise",
        "price_basis": "free",
        "requester_share_pct": Decimal("0"),
        "charge_mobilisation": False,
    },
    {
        "name": "ICMS gegarandeerde capaciteit — meerkosten, geen mobilisatie",
        "legal_basis": "icms_guaranteed",
        "price_basis": "marginal_cost",
        "requester_share_pct": Decimal("100"),
        "charge_mobilisation": False,
    },
    {
        "name": "Gezamenlijke inkoop — politie betaalt eigen afname",
        "legal_basis": "joint_procurement",
        "price_basis": "full_cost",
        "requester_share_pct": Decimal("100"),
        "charge_mobilisation": False,
    },
]


def load_catalog_demo(settings: Settings, today: date) -> dict[str, int]:
    """The catalog's part: assets (with availability up to ``today`` + 90 days, extended on
    every start) and contracts. A start that finds everything in place reads two queries and
    writes nothing."""
    added = {"assets": 0, "contracts": 0, "extended": 0}
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)

    def uow() -> UnitOfWork:
        return UnitOfWork(factory, producer="catalog", topic_for=settings.topic, actor="demo-data")

    wanted = demo_assets()
    with uow() as reading:
        keys = [(org, asset_in["registration"]) for org, asset_in, _ in wanted]
        existing = {
            (a.owner_org, a.registration): a
            for a in reading.session.scalars(
                select(Asset).where(tuple_(Asset.owner_org, Asset.registration).in_(keys))
            )
        }
        windows = _demo_windows(reading.session, {a.id: a for a in existing.values()})
    horizon = today + timedelta(days=HORIZON_DAYS)
    by_registration: dict[str, Any] = {}
    for org, asset_in, kind in wanted:
        asset = existing.get((org, asset_in["registration"]))
        if asset is None:
            with uow() as writing:
                asset = catalog.register_asset(writing, principal=_owner(org), asset_in=asset_in)
                _publish_availability(writing, asset, kind, today)
                writing.commit()
            added["assets"] += 1
        elif kind != "none" and asset.status != AssetStatus.RETIRED.value:
            reach = max((_reach(w) for w in windows.get(asset.id, [])), default=None)
            if reach is None or reach < horizon:
                with uow() as writing:
                    if _extend_availability(writing, org, asset.id, kind, today):
                        writing.commit()
                        added["extended"] += 1
        by_registration[asset_in["registration"]] = asset.id
    for reference, supplier, description, items, volume, tiers in DEMO_CONTRACTS:
        with uow() as writing:
            if (
                writing.session.scalar(
                    select(FrameworkContract.id).where(FrameworkContract.reference == reference)
                )
                is None
            ):
                catalog_contracts.create_contract(
                    writing,
                    principal=_owner("defensie-dmo"),
                    contract_in={
                        "reference": reference,
                        "supplier": supplier,
                        "description": description,
                        "valid_from": date(2026, 1, 1),
                        "valid_to": date(2027, 12, 31),
                        "total_volume": volume,
                        "item_ids": [by_registration[i] for i in items],
                        "tiers": [{"min_quantity": q, "unit_price": p} for q, p in tiers],
                    },
                )
                writing.commit()
                added["contracts"] += 1
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
    added["agreements"] = 0

    s = settings["costsharing"]
    engine = make_engine(s.database_url)
    factory = make_session_factory(engine)
    for agreement_in in DEMO_AGREEMENTS:
        with UnitOfWork(
            factory, producer="costsharing", topic_for=s.topic, actor="demo-data"
        ) as uow:
            if (
                uow.session.scalar(
                    select(Agreement.id).where(Agreement.name == agreement_in["name"])
                )
                is None
            ):
                full = {
                    "category": None,
                    "owner_org": None,
                    "requester_org": None,
                    "valid_from": date(2026, 1, 1),
                    "valid_to": None,
                    "cancellation_free_hours": 48,
                    "cancellation_pct": Decimal("25"),
                    **agreement_in,
                }
                costsharing.create_agreement(uow, principal=ADMIN_PRINCIPAL, agreement_in=full)
                uow.commit()
                added["agreements"] += 1
    engine.dispose()
    if "notify" in settings:
        added["mailboxes"] = load_notify_demo(settings["notify"])
    return added


# Where each demo role is emailed (the sink of `slagkracht run` keeps them in var/mail/).
DEMO_MAILBOXES = (
    ("politie-rotterdam", PLANNER, "planners@politie-rotterdam.example"),
    ("politie-amsterdam", PLANNER, "planners@politie-amsterdam.example"),
    ("defensie-dhc", OWNER, "beheer@defensie-dhc.example"),
    ("defensie-duikgroep", OWNER, "beheer@defensie-duikgroep.example"),
    ("politie-financien", FINANCE, "financien@politie-financien.example"),
    ("defensie-financien", FINANCE, "financien@defensie-financien.example"),
    ("joint", FINANCE, "controller@joint.example"),
)


def load_notify_demo(settings: Settings) -> int:
    """The demo mailbox directory; an address an administrator changed is kept."""
    engine = make_engine(settings.database_url)
    added = 0
    try:
        factory = make_session_factory(engine)
        for org, role, address in DEMO_MAILBOXES:
            with UnitOfWork(factory, producer="notify", actor="demo-data") as uow:
                if uow.session.get(Mailbox, (org, role)) is None:
                    notify_preferences.set_mailbox(
                        uow, org=org, role=role, address=address, language="nl", actor="demo-data"
                    )
                    uow.commit()
                    added += 1
    finally:
        engine.dispose()
    return added
