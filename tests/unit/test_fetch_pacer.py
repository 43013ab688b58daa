"""The consumer's fetch wait: short while events flow, long once none have come for a while."""

from __future__ import annotations

import pytest

from shared.consumer import FetchPacer
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
    assert (defaults.fetch_max_wait_ms, defaults.fetch_idle_wait_ms) == (10, 1000)
    assert defaults.consumer_linger_ms == 10
    tuned = load_settings(
        "booking",
        {**env, "KAFKA_FETCH_IDLE_WAIT_MS": "2000", "KAFKA_CONSUMER_LINGER_MS": "0"},
    )
    assert (tuned.fetch_idle_wait_ms, tuned.consumer_linger_ms) == (2000, 0)
    with pytest.raises(SettingsError, match="KAFKA_FETCH_IDLE_WAIT_MS must be at least 1"):
        load_settings("booking", {**env, "KAFKA_FETCH_IDLE_WAIT_MS": "0"})
