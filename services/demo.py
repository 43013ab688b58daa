"""Demo data, loaded idempotently by ``slagkracht run`` (a second run adds nothing).

Tariffs and reference prices are ILLUSTRATIVE, not real Defence rates.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from services.catalog import service as catalog
from services.catalog.models import Asset
from services.costsharing import service as costsharing
from services.costsharing.models import Agreement
from shared.auth import Principal
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.personas import PERSONAS
from shared.settings import Settings

ILLUSTRATIVE = {"illustrative_prices": True}


def _principal(persona: str) -> Principal:
    p = PERSONAS[persona]
    return Principal(sub=p.key, name=p.name, org=p.org, roles=frozenset(p.roles))


def _owner(org: str) -> Principal:
    return Principal(
        sub=f"demo-{org}", name=f"Demo {org}", org=org, roles=frozenset({"defensie-beheerder"})
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


DEMO_ASSETS: list[tuple[str, dict[str, Any]]] = [
    (
        "defensie-dhc",
        {
            "registration": "D-101",
            "name": "CH-47F Chinook D-101",
            "category": "helicopter",
            "home_base": "Vliegbasis Gilze-Rijen",
            "regions": ["VR20", "VR21", "VR22", "VR17", "VR15"],
            "capacity": 1,
            "readiness_notice": "PT4H",
            "attributes": {"type": "CH-47F", "lift_capacity_kg": 10000, **ILLUSTRATIVE},
            "tariff": _tariff("flight_hour", "12500.00", "4800.00", "2500.00", "15000.00"),
        },
    ),
    (
        "defensie-dhc",
        {
            "registration": "N-088",
            "name": "NH90 N-088",
            "category": "helicopter",
            "home_base": "Marinevliegkamp De Kooy",
            "regions": ["VR10", "VR11", "VR12", "VR13"],
            "capacity": 1,
            "readiness_notice": "PT2H",
            "attributes": {"type": "NH90 NFH", "hoist": True, **ILLUSTRATIVE},
            "tariff": _tariff("flight_hour", "9800.00", "3900.00", "1500.00", "11000.00"),
        },
    ),
    (
        "defensie-dhc",
        {
            "registration": "S-440",
            "name": "AS532 Cougar S-440",
            "category": "helicopter",
            "home_base": "Vliegbasis Gilze-Rijen",
            "regions": ["VR17", "VR18", "VR19", "VR20"],
            "capacity": 1,
            "readiness_notice": "PT4H",
            "attributes": {"type": "AS532U2 Cougar", **ILLUSTRATIVE},
            "tariff": _tariff("flight_hour", "8200.00", "3100.00", "1500.00", "9500.00"),
        },
    ),
    (
        "defensie-duikgroep",
        {
            "registration": "DG-TEAM",
            "name": "Defensie Duikgroep duikteams",
            "category": "dive_team",
            "home_base": "Den Helder",
            "regions": ["VR10", "VR13", "VR15", "VR17", "VR19"],
            "capacity": 3,
            "readiness_notice": "PT6H",
            "attributes": {"max_depth_m": 60, "sonar": True, **ILLUSTRATIVE},
            "tariff": _tariff("hour", "650.00", "280.00", "900.00", "950.00"),
        },
    ),
    (
        "defensie-306sqn",
        {
            "registration": "UAS-R1",
            "name": "RQ-11 Raven set 1",
            "category": "drone",
            "home_base": "Vliegbasis Leeuwarden",
            "regions": ["VR01", "VR02", "VR03"],
            "capacity": 1,
            "readiness_notice": "PT12H",
            "attributes": {"type": "RQ-11 Raven", "crew_included": True, **ILLUSTRATIVE},
            "tariff": _tariff("day", "3500.00", "1200.00", "500.00", "4800.00"),
        },
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
]


def load_demo_data(settings: dict[str, Settings]) -> dict[str, int]:
    """Register demo assets (catalog) and agreements (cost-sharing) that are not there yet."""
    added = {"assets": 0, "agreements": 0}
    s = settings["catalog"]
    engine = make_engine(s.database_url)
    factory = make_session_factory(engine)
    for org, asset_in in DEMO_ASSETS:
        with UnitOfWork(factory, producer="catalog", topic_for=s.topic, actor="demo-data") as uow:
            exists = uow.session.scalar(
                select(Asset.id).where(
                    Asset.owner_org == org, Asset.registration == asset_in["registration"]
                )
            )
            if exists is None:
                catalog.register_asset(uow, principal=_owner(org), asset_in=asset_in)
                uow.commit()
                added["assets"] += 1
    engine.dispose()

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
                costsharing.create_agreement(uow, principal=_principal("admin"), agreement_in=full)
                uow.commit()
                added["agreements"] += 1
    engine.dispose()
    return added
