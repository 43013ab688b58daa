"""The demo data file (services/demo_data.json) read into what the use cases take: every name
in it resolves, and each availability pattern reaches exactly the loader's horizon (else every
start would extend the windows again)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from services.demo_data import DATA_FILE, HORIZON_DAYS, availability_rules, read_demo_data
from shared.auth import ALL_ROLES

TODAY = date(2026, 12, 5)


def test_the_file_reads_into_assets_contracts_agreements_and_mailboxes() -> None:
    data = read_demo_data()
    assert len(data.assets) == 41
    assert len({(a.org, a.asset_in["registration"]) for a in data.assets}) == 41
    chinook = next(a for a in data.assets if a.asset_in["registration"] == "D-101")
    assert chinook.org == "defensie-dhc" and chinook.availability == "day"
    assert len(chinook.asset_in["regions"]) == 25  # the NATIONAL group
    assert chinook.asset_in["home_location"] == {"lat": 51.5674, "lon": 4.9318}
    assert chinook.asset_in["tariff"]["full_cost_rate"] == Decimal("12500.00")
    assert chinook.asset_in["attributes"]["illustrative_prices"] is True
    registrations = {(a.org, a.asset_in["registration"]) for a in data.assets}
    for contract in data.contracts:
        assert {(contract["owner_org"], item) for item in contract["items"]} <= registrations
    for agreement in data.agreements:  # as the schemas would load them
        assert isinstance(agreement["requester_share_pct"], Decimal)
        assert isinstance(agreement["valid_from"], date)
    assert {box["role"] for box in data.mailboxes} <= set(ALL_ROLES)


def test_helicopters_fly_all_week_07_to_23_and_drones_weekdays_08_to_20_amsterdam() -> None:
    data = read_demo_data()
    kinds = {a.asset_in["category"]: a.availability for a in data.assets}
    (heli,) = availability_rules(data.availability[kinds["helicopter"]], TODAY)
    (drone,) = availability_rules(data.availability[kinds["drone"]], TODAY)
    assert heli["timezone"] == drone["timezone"] == "Europe/Amsterdam"
    assert (heli["weekdays"], heli["start_time"], heli["end_time"]) == (
        [1, 2, 3, 4, 5, 6, 7],
        time(7),
        time(23),
    )
    assert (drone["weekdays"], drone["start_time"], drone["end_time"]) == (
        [1, 2, 3, 4, 5],
        time(8),
        time(20),
    )


def test_every_pattern_reaches_exactly_the_horizon() -> None:
    horizon = TODAY + timedelta(days=HORIZON_DAYS)
    for name, pattern in read_demo_data().availability.items():
        for window in availability_rules(pattern, TODAY):
            assert window["note"] == "demo", name
            if window["kind"] == "recurring":
                assert (window["valid_from"], window["valid_to"]) == (TODAY, horizon), name
            else:
                start = datetime.combine(TODAY, time(0), UTC)
                assert window["start_at"] == start, name
                assert window["end_at"] == datetime.combine(horizon, time(0), UTC), name


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [("regions", ["VR01", "MIDDLE"], "'MIDDLE' is no region code or group"),
     ("availability", "sometimes", "no availability 'sometimes'")],
)  # fmt: skip
def test_a_name_the_file_does_not_define_is_refused(
    tmp_path: Path, where: str, value: object, message: str
) -> None:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    data["assets"][0][where] = value
    path = tmp_path / "demo_data.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_demo_data(path)
