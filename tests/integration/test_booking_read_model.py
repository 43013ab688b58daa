"""Booking's read model from catalog snapshots, applied set-based as the worker does: the
newest version of each asset wins within a batch and across batches, and its materialised
windows follow the snapshot that was applied."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from services.booking.readmodel import apply_asset_snapshots
from tests.integration.booking_support import (
    asset_snapshot,
    blackout,
    booking_session,
    in_hours,
    one_off,
)

pytestmark = [pytest.mark.db]


def state(db_urls: dict[str, str], asset_id: str) -> tuple[Any, ...]:
    with booking_session(db_urls) as session:
        version, name = session.execute(
            text("SELECT version, name FROM asset_view WHERE asset_id = :a"), {"a": asset_id}
        ).one()
        windows = session.execute(
            text(
                "SELECT lower(during), upper(during) FROM asset_windows "
                "WHERE asset_id = :a ORDER BY lower(during)"
            ),
            {"a": asset_id},
        ).all()
    return version, name, [(lo, hi) for lo, hi in windows]


def test_a_batch_keeps_the_newest_snapshot_of_each_asset(db_urls: dict[str, str]) -> None:
    first = asset_snapshot(availability=[one_off(in_hours(1), in_hours(5))])
    asset = first["asset_id"]
    start, end = in_hours(2), in_hours(9)
    v3 = {**first, "version": 3, "name": "v3", "availability": [one_off(start, end)]}
    v2 = {**first, "version": 2, "name": "v2"}
    other = asset_snapshot(blackouts=[blackout(in_hours(10), in_hours(20))])
    with booking_session(db_urls) as session:
        apply_asset_snapshots(session, [first, v3, v2, other])
    version, name, windows = state(db_urls, asset)
    assert (version, name) == (3, "v3")
    assert windows == [(start, end)]
    # The blackout cuts the other asset's window in two.
    assert len(state(db_urls, other["asset_id"])[2]) == 2

    # A later batch with an older version changes nothing, not even the windows.
    with booking_session(db_urls) as session:
        apply_asset_snapshots(session, [{**v2, "availability": []}])
    assert state(db_urls, asset) == (version, name, windows)

    # A newer one replaces the windows: withdrawn availability leaves none.
    with booking_session(db_urls) as session:
        apply_asset_snapshots(session, [{**v3, "version": 4, "availability": []}])
    assert state(db_urls, asset)[0] == 4 and state(db_urls, asset)[2] == []
