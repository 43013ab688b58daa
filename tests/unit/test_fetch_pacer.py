"""The consumer's fetch wait (short while events flow, long once none have come for a while)
and the linger after a batch (longer the faster events arrive)."""

from __future__ import annotations

import pytest

from shared.consumer import FetchPacer
from shared.pacing import Linger
from shared.settings import SettingsError, load_settings


def test_a_consumer_that_has_seen_nothing_yet_waits_long() -> None:
    pacer = FetchPacer(busy_ms=10, idle_ms=1000, idle_after_s=1.0)
    assert pacer.wait_ms(got_records=False, now=0.0) == 1000


def test_records_make_the_wait_short_until_a_quiet_spell_makes_it_long_again() -> None:
    pacer = FetchPacer(busy_ms=10, idle_ms=1000, idle_after_s=1.0)
    assert pacer.wait_ms(got_records=True, now=100.0) == 10
    assert pacer.wait_ms(got_records=False, now=100.5) == 10  # a gap shorter than the spell
    assert pacer.wait_ms(got_records=False, now=100.99) == 10
    assert pacer.wait_ms(got_records=False, now=101.0) == 1000
    assert pacer.wait_ms(got_records=False, now=160.0) == 1000
    assert pacer.wait_ms(got_records=True, now=161.0) == 10  # the first record ends the spell


def test_the_waits_and_the_linger_come_from_the_environment() -> None:
    env = {"DATABASE_URL": "postgresql://u@127.0.0.1:5432/booking"}
    defaults = load_settings("booking", env)
    assert (defaults.fetch_max_wait_ms, defaults.fetch_idle_wait_ms) == (10, 2000)
    assert defaults.consumer_linger_ms == 10
    tuned = load_settings(
        "booking",
        {**env, "KAFKA_FETCH_IDLE_WAIT_MS": "3000", "KAFKA_CONSUMER_LINGER_MS": "0"},
    )
    assert (tuned.fetch_idle_wait_ms, tuned.consumer_linger_ms) == (3000, 0)
    with pytest.raises(SettingsError, match="KAFKA_FETCH_IDLE_WAIT_MS must be at least 1"):
        load_settings("booking", {**env, "KAFKA_FETCH_IDLE_WAIT_MS": "0"})


def test_the_linger_grows_with_the_arrival_rate_up_to_its_cap() -> None:
    linger = Linger(floor_s=0.01, cap_s=0.1, full_rate=400, from_rate=100)
    assert linger.seconds(now=0.0) == 0.01  # nothing seen: the floor
    linger.saw(20, now=0.5)
    linger.saw(80, now=0.9)  # 100 a second: still the floor
    assert linger.seconds(now=1.0) == 0.01
    linger.saw(150, now=1.2)  # 250 a second: half way from the floor to the cap
    assert linger.seconds(now=1.3) == pytest.approx(0.055)
    linger.saw(600, now=1.4)  # far above full_rate: the cap
    assert linger.seconds(now=1.45) == 0.1
    assert linger.seconds(now=2.5) == 0.01  # a second later the window is empty again


def test_the_lingers_come_from_the_environment() -> None:
    env = {"DATABASE_URL": "postgresql://u@127.0.0.1:5432/booking"}
    defaults = load_settings("booking", env)
    assert (defaults.relay_linger_ms, defaults.linger_max_ms) == (10, 150)
    assert (defaults.linger_from_rate, defaults.linger_full_rate) == (120, 250)
    tuned = load_settings(
        "booking",
        {**env, "RELAY_LINGER_MS": "0", "KAFKA_LINGER_MAX_MS": "50", "KAFKA_LINGER_FULL_RATE": "9"},
    )
    assert (tuned.relay_linger_ms, tuned.linger_max_ms, tuned.linger_full_rate) == (0, 50, 9)
