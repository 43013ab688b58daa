"""shared/timewindows.py: interval algebra and recurring rules in Europe/Amsterdam (DST-correct)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.timewindows import (
    Recurrence,
    available,
    available_from_payload,
    clip,
    covers,
    expand,
    hours,
    merge,
    recurrence_from_payload,
    subtract,
)

AMS = ZoneInfo("Europe/Amsterdam")
WEEKDAYS = frozenset({1, 2, 3, 4, 5})
ALL_WEEK = frozenset(range(1, 8))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


def h(hour: int, minute: int = 0) -> datetime:
    """An instant on a fixed day, for the pure interval algebra."""
    return utc(2026, 5, 4, hour, minute)


# -- merge -------------------------------------------------------------------------------------
def test_merge_sorts_and_joins_overlapping_intervals() -> None:
    assert merge([(h(10), h(12)), (h(8), h(9)), (h(11), h(14))]) == [(h(8), h(9)), (h(10), h(14))]


def test_merge_joins_touching_intervals() -> None:
    assert merge([(h(8), h(10)), (h(10), h(12))]) == [(h(8), h(12))]


def test_merge_keeps_a_contained_interval_inside_the_outer_one() -> None:
    assert merge([(h(8), h(18)), (h(9), h(10))]) == [(h(8), h(18))]


def test_merge_drops_empty_and_backwards_intervals() -> None:
    assert merge([(h(10), h(10)), (h(12), h(11)), (h(13), h(14))]) == [(h(13), h(14))]
    assert merge([]) == []


# -- subtract ----------------------------------------------------------------------------------
def test_subtract_a_hole_in_the_middle_splits_the_interval() -> None:
    assert subtract([(h(8), h(18))], [(h(12), h(13))]) == [(h(8), h(12)), (h(13), h(18))]


def test_subtract_holes_at_the_edges_trim_the_interval() -> None:
    assert subtract([(h(8), h(18))], [(h(7), h(9)), (h(17), h(19))]) == [(h(9), h(17))]


def test_subtract_a_covering_hole_removes_the_interval() -> None:
    assert subtract([(h(8), h(10)), (h(12), h(14))], [(h(7), h(11))]) == [(h(12), h(14))]
    assert subtract([(h(8), h(18))], [(h(8), h(18))]) == []


def test_subtract_holes_outside_leave_the_intervals_alone() -> None:
    intervals = [(h(8), h(10)), (h(12), h(14))]
    assert subtract(intervals, [(h(10), h(12)), (h(15), h(16))]) == intervals
    assert subtract(intervals, []) == intervals


def test_subtract_one_hole_spanning_two_intervals() -> None:
    assert subtract([(h(8), h(10)), (h(12), h(14))], [(h(9), h(13))]) == [
        (h(8), h(9)),
        (h(13), h(14)),
    ]


def test_subtract_overlapping_holes_are_merged_first() -> None:
    assert subtract([(h(8), h(18))], [(h(10), h(12)), (h(11), h(13)), (h(15), h(16))]) == [
        (h(8), h(10)),
        (h(13), h(15)),
        (h(16), h(18)),
    ]


# -- clip --------------------------------------------------------------------------------------
def test_clip_cuts_to_the_range_and_drops_what_lies_outside() -> None:
    intervals = [(h(6), h(9)), (h(10), h(11)), (h(12), h(20)), (h(21), h(22))]
    assert clip(intervals, h(8), h(13)) == [(h(8), h(9)), (h(10), h(11)), (h(12), h(13))]


def test_clip_is_half_open() -> None:
    # An interval ending exactly at lo, or starting exactly at hi, does not touch [lo, hi).
    assert clip([(h(6), h(8)), (h(13), h(14))], h(8), h(13)) == []


# -- recurring rules across DST ----------------------------------------------------------------
def test_weekday_rule_stays_0800_1800_local_across_the_march_dst_change() -> None:
    # Summer time starts on Sunday 29 March 2026 (the last Sunday of March).
    rule = Recurrence(WEEKDAYS, time(8), time(18), date(2026, 3, 1), date(2026, 4, 30))
    got = expand(rule, utc(2026, 3, 23), utc(2026, 4, 4))
    # Mon 23 – Fri 27 March (CET, +1), Mon 30 March – Fri 3 April (CEST, +2).
    assert len(got) == 10
    for start, end in got:
        assert start.tzinfo is UTC and end.tzinfo is UTC
        assert start.astimezone(AMS).time() == time(8)
        assert end.astimezone(AMS).time() == time(18)
        assert start.astimezone(AMS).isoweekday() in WEEKDAYS
    before = [s for s, _ in got if s < utc(2026, 3, 29)]
    after = [s for s, _ in got if s > utc(2026, 3, 29)]
    assert len(before) == len(after) == 5
    assert all(s.hour == 7 for s in before)  # 08:00 CET = 07:00 UTC
    assert all(s.hour == 6 for s in after)  # 08:00 CEST = 06:00 UTC
    assert got[4] == (utc(2026, 3, 27, 7), utc(2026, 3, 27, 17))
    assert got[5] == (utc(2026, 3, 30, 6), utc(2026, 3, 30, 16))
    assert all(end - start == timedelta(hours=10) for start, end in got)


def test_weekday_rule_stays_0800_1800_local_across_the_october_dst_change() -> None:
    # Winter time returns on Sunday 25 October 2026 (the last Sunday of October).
    rule = Recurrence(WEEKDAYS, time(8), time(18), date(2026, 10, 1), date(2026, 11, 30))
    got = expand(rule, utc(2026, 10, 19), utc(2026, 10, 31))
    assert len(got) == 10
    assert all(s.astimezone(AMS).time() == time(8) for s, _ in got)
    assert all(e.astimezone(AMS).time() == time(18) for _, e in got)
    assert got[4] == (utc(2026, 10, 23, 6), utc(2026, 10, 23, 16))  # CEST, +2
    assert got[5] == (utc(2026, 10, 26, 7), utc(2026, 10, 26, 17))  # CET, +1
    assert got[4][0].astimezone(AMS).utcoffset() == timedelta(hours=2)
    assert got[5][0].astimezone(AMS).utcoffset() == timedelta(hours=1)


def test_an_all_day_rule_on_the_dst_sundays_is_23_and_25_hours_long() -> None:
    rule = Recurrence(frozenset({7}), time(0), time(0), date(2026, 1, 1), date(2026, 12, 31))
    spring = expand(rule, local(2026, 3, 29), local(2026, 3, 30))
    autumn = expand(rule, local(2026, 10, 25), local(2026, 10, 26))
    assert spring == [(local(2026, 3, 29).astimezone(UTC), local(2026, 3, 30).astimezone(UTC))]
    assert hours(spring) == 23
    assert hours(autumn) == 25


def test_overnight_rule_runs_past_midnight_into_the_next_day() -> None:
    rule = Recurrence(ALL_WEEK, time(22), time(6), date(2026, 5, 1), date(2026, 5, 31))
    got = expand(rule, utc(2026, 5, 4), utc(2026, 5, 7))
    # The Sunday 3 May night reaches into the range (lo is midnight UTC = 02:00 local).
    assert got[0] == (utc(2026, 5, 4), utc(2026, 5, 4, 4))
    assert got[1] == (utc(2026, 5, 4, 20), utc(2026, 5, 5, 4))  # 22:00 – 06:00 CEST
    assert got[-1] == (utc(2026, 5, 6, 20), utc(2026, 5, 7))  # clipped at hi
    for start, end in got[1:-1]:
        assert start.astimezone(AMS).time() == time(22)
        assert end.astimezone(AMS).time() == time(6)
        assert end.astimezone(AMS).date() == start.astimezone(AMS).date() + timedelta(days=1)


def test_overnight_rule_across_the_march_change_is_one_hour_shorter_that_night() -> None:
    rule = Recurrence(frozenset({6}), time(22), time(6), date(2026, 3, 1), date(2026, 3, 31))
    (night,) = expand(rule, utc(2026, 3, 28), utc(2026, 3, 30))
    assert night == (utc(2026, 3, 28, 21), utc(2026, 3, 29, 4))  # 22:00 CET – 06:00 CEST
    assert hours([night]) == 7


def test_rule_valid_to_is_the_last_day_a_window_may_start() -> None:
    rule = Recurrence(ALL_WEEK, time(22), time(6), date(2026, 5, 1), date(2026, 5, 2))
    got = expand(rule, utc(2026, 4, 28), utc(2026, 5, 10))
    assert [s.astimezone(AMS).date() for s, _ in got] == [date(2026, 5, 1), date(2026, 5, 2)]
    # The last night started on its valid_to day still runs to 06:00 the morning after.
    assert got[-1][1] == local(2026, 5, 3, 6).astimezone(UTC)


def test_rule_in_another_timezone_uses_that_zone() -> None:
    rule = Recurrence(
        frozenset({1}), time(9), time(10), date(2026, 1, 1), date(2026, 12, 31), "UTC"
    )
    got = expand(rule, utc(2026, 7, 6), utc(2026, 7, 7))
    assert got == [(utc(2026, 7, 6, 9), utc(2026, 7, 6, 10))]


# -- available and covers ----------------------------------------------------------------------
def test_available_expands_rules_adds_one_offs_and_subtracts_blackouts() -> None:
    rule = Recurrence(WEEKDAYS, time(8), time(18), date(2026, 3, 1), date(2026, 4, 30))
    one_off = (local(2026, 3, 28, 10), local(2026, 3, 28, 14))  # a Saturday
    blackout = (local(2026, 3, 30, 12), local(2026, 3, 30, 13))  # Monday lunch, after DST
    got = available(
        one_off=[one_off],
        recurring=[rule],
        blackouts=[blackout],
        lo=local(2026, 3, 27),
        hi=local(2026, 3, 31),
    )
    assert got == [
        (local(2026, 3, 27, 8).astimezone(UTC), local(2026, 3, 27, 18).astimezone(UTC)),
        (one_off[0].astimezone(UTC), one_off[1].astimezone(UTC)),
        (local(2026, 3, 30, 8).astimezone(UTC), blackout[0].astimezone(UTC)),
        (blackout[1].astimezone(UTC), local(2026, 3, 30, 18).astimezone(UTC)),
    ]
    assert hours(got) == 10 + 4 + 9


def test_available_a_blackout_removes_a_whole_day_and_one_offs_merge_with_rules() -> None:
    rule = Recurrence(WEEKDAYS, time(8), time(18), date(2026, 6, 1), date(2026, 6, 30))
    got = available(
        one_off=[(local(2026, 6, 1, 17), local(2026, 6, 1, 20))],  # extends Monday's window
        recurring=[rule],
        blackouts=[(local(2026, 6, 2), local(2026, 6, 3))],  # all of Tuesday
        lo=local(2026, 6, 1),
        hi=local(2026, 6, 4),
    )
    assert got == [
        (local(2026, 6, 1, 8).astimezone(UTC), local(2026, 6, 1, 20).astimezone(UTC)),
        (local(2026, 6, 3, 8).astimezone(UTC), local(2026, 6, 3, 18).astimezone(UTC)),
    ]


def test_available_clips_one_offs_and_blackouts_to_the_range() -> None:
    got = available(
        one_off=[(h(0), h(23))], recurring=[], blackouts=[(h(2), h(3))], lo=h(1), hi=h(5)
    )
    assert got == [(h(1), h(2)), (h(3), h(5))]


def test_covers_needs_one_interval_holding_the_whole_request() -> None:
    windows = [(h(8), h(12)), (h(12), h(14)), (h(16), h(18))]
    assert covers(windows, h(9), h(13))  # across two touching windows (merged)
    assert covers(windows, h(8), h(14))
    assert covers(windows, h(16), h(18))
    assert not covers(windows, h(13), h(17))  # the 14:00–16:00 gap
    assert not covers(windows, h(7), h(9))
    assert not covers(windows, h(17), h(19))
    assert not covers([], h(9), h(10))


def test_covers_after_a_blackout_is_subtracted() -> None:
    windows = subtract([(h(8), h(18))], [(h(12), h(13))])
    assert covers(windows, h(9), h(12))
    assert not covers(windows, h(11), h(14))


# -- the availability payload of catalog.assets events ------------------------------------
RULE_PAYLOAD = {
    "window_id": "7d1c5c55-8f0e-4f59-9d2c-3b6f0b0d8a11",
    "kind": "recurring",
    "start_at": None,
    "end_at": None,
    "weekdays": [1, 2, 3, 4, 5],
    "start_time": "08:00",
    "end_time": "18:00",
    "valid_from": "2026-03-23",
    "valid_to": "2026-04-03",
    "timezone": "Europe/Amsterdam",
    "note": None,
}


def test_a_weekly_rule_is_read_from_its_payload() -> None:
    assert recurrence_from_payload(RULE_PAYLOAD) == Recurrence(
        weekdays=WEEKDAYS,
        start_time=time(8),
        end_time=time(18),
        valid_from=date(2026, 3, 23),
        valid_to=date(2026, 4, 3),
        timezone="Europe/Amsterdam",
    )


def test_the_payload_gives_what_the_rows_give() -> None:
    """Windows and rules minus blackouts, as an event carries them: the same intervals as
    available() of the parsed values (across the DST change of 29 March 2026)."""
    one_off = {"kind": "one_off", "start_at": "2026-03-28T09:00:00+01:00",
               "end_at": "2026-03-28T12:00:00+01:00"}  # fmt: skip
    blackout = {"start_at": "2026-03-30T10:00:00+02:00", "end_at": "2026-03-30T12:00:00+02:00"}
    lo, hi = utc(2026, 3, 27), utc(2026, 4, 1)
    got = available_from_payload([RULE_PAYLOAD, one_off], [blackout], lo=lo, hi=hi)
    assert got == available(
        one_off=[(local(2026, 3, 28, 9), local(2026, 3, 28, 12))],
        recurring=[recurrence_from_payload(RULE_PAYLOAD)],
        blackouts=[(local(2026, 3, 30, 10), local(2026, 3, 30, 12))],
        lo=lo,
        hi=hi,
    )
    assert got[:3] == [
        (utc(2026, 3, 27, 7), utc(2026, 3, 27, 17)),  # Friday, CET
        (utc(2026, 3, 28, 8), utc(2026, 3, 28, 11)),  # the one-off on Saturday
        (utc(2026, 3, 30, 6), utc(2026, 3, 30, 8)),  # Monday, CEST, until the blackout
    ]
    assert available_from_payload([], [], lo=lo, hi=hi) == []
