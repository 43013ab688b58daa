"""The demo data file (services/demo_data.json) read into what the use cases take: assets
with their tariffs and home locations, availability patterns as windows from a given day,
contracts, agreements and mailboxes. Pure: no database (services/demo.py loads it)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("demo_data.json")
ILLUSTRATIVE = {"illustrative_prices": True}
HORIZON_DAYS = 90
DEMO_NOTE = "demo"
TIMEZONE = "Europe/Amsterdam"
_REGION_CODE = re.compile(r"VR[0-9]{2}")


@dataclass(frozen=True)
class DemoAsset:
    org: str
    asset_in: dict[str, Any]  # what catalog's register_asset takes
    availability: str  # the name of one of the file's availability patterns


@dataclass(frozen=True)
class DemoData:
    assets: list[DemoAsset]
    availability: dict[str, list[dict[str, Any]]]  # pattern name -> its windows, as in the file
    contracts: list[dict[str, Any]]
    agreements: list[dict[str, Any]]
    mailboxes: list[dict[str, str]]


def _regions(names: list[str], groups: Mapping[str, list[str]]) -> list[str]:
    """Safety region codes in the order given, a group's in its own order."""
    codes: list[str] = []
    for name in names:
        if name in groups:
            codes += groups[name]
        elif _REGION_CODE.fullmatch(name):
            codes.append(name)
        else:
            raise ValueError(f"{DATA_FILE.name}: {name!r} is no region code or group")
    return codes


def _tariff(spec: dict[str, str], valid_from: date) -> dict[str, Any]:
    money = ("full_cost_rate", "marginal_cost_rate", "mobilisation_fee", "market_reference_price")
    return {
        "unit": spec["unit"],
        **{name: Decimal(spec[name]) for name in money},
        "valid_from": valid_from,
        "valid_to": None,
    }


def _asset(raw: dict[str, Any], data: dict[str, Any]) -> DemoAsset:
    if raw["availability"] not in data["availability"]:
        raise ValueError(f"{raw['registration']}: no availability {raw['availability']!r}")
    tariff = raw["tariff"]
    spec = data["tariffs"][tariff] if isinstance(tariff, str) else tariff
    asset_in = {
        "registration": raw["registration"],
        "name": raw["name"],
        "category": raw["category"],
        "home_base": raw["home_base"],
        "home_location": data["home_bases"].get(raw["home_base"]),
        "regions": _regions(raw["regions"], data["region_groups"]),
        "capacity": raw["capacity"],
        "readiness_notice": raw["readiness_notice"],
        "attributes": {**raw["attributes"], **ILLUSTRATIVE},
        "tariff": _tariff(spec, date.fromisoformat(data["tariffs_valid_from"])),
    }
    return DemoAsset(raw["org"], asset_in, raw["availability"])


def read_demo_data(path: Path = DATA_FILE) -> DemoData:
    """The demo data file, in the shapes the use cases take."""
    data = json.loads(path.read_text(encoding="utf-8"))
    defaults = data["agreement_defaults"]
    return DemoData(
        assets=[_asset(raw, data) for raw in data["assets"]],
        availability=data["availability"],
        contracts=data["contracts"],
        agreements=[_agreement_in({**defaults, **raw}) for raw in data["agreements"]],
        mailboxes=data["mailboxes"],
    )


def _agreement_in(raw: dict[str, Any]) -> dict[str, Any]:
    dates = ("valid_from", "valid_to")
    percentages = ("requester_share_pct", "cancellation_pct")
    return {
        **raw,
        **{k: date.fromisoformat(raw[k]) for k in dates if raw[k] is not None},
        **{k: Decimal(raw[k]) for k in percentages},
    }


# -- availability up to the horizon ---------------------------------------------------------
def availability_rules(pattern: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """The windows an availability pattern of the file publishes from ``today``: a one-off
    from 00:00 UTC for its days, weekly rules up to the horizon, in Amsterdam time."""
    horizon = today + timedelta(days=HORIZON_DAYS)
    rules: list[dict[str, Any]] = []
    for window in pattern:
        if window["kind"] == "one_off":
            start = datetime.combine(today, time(0), UTC)
            end = start + timedelta(days=window["days"])
            rules.append({"kind": "one_off", "start_at": start, "end_at": end})
        else:
            rules.append(
                {
                    "kind": "recurring",
                    "weekdays": list(window["weekdays"]),
                    "start_time": time.fromisoformat(window["start_time"]),
                    "end_time": time.fromisoformat(window["end_time"]),
                    "valid_from": today,
                    "valid_to": horizon,
                }
            )
    return [{"timezone": TIMEZONE, "note": DEMO_NOTE, **rule} for rule in rules]
