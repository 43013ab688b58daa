"""Search by time first: which assets are free for a whole window, and what would it cost."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.booking.domain import ACTIVE_STATES
from shared.errors import Invalid
from shared.paging import CURSOR_PROBLEM, Page, decode_cursor, page_of
from shared.tariffs import billable_units, tariff_day, tariff_on

_ACTIVE = "('" + "','".join(s.value for s in ACTIVE_STATES) + "')"

# Set-based, so the cost follows the bookings that overlap the window, not assets x bookings:
# one scan of ix_bookings_active_span finds the active bookings in the window (for all assets
# at once; it indexes the expression below, not ``during``, so that per-asset checks never
# take it: migration 0007), one of ix_asset_windows_span the published windows that cover it.
# A probe per candidate asset (LATERAL ... LIMIT 1) cost ~25 us per asset and per probe: 0.5 s
# for 10,000 assets (see docs/benchmarks.md, "Booking: creation and search").
#
# Ranking (serves the region, then the estimate, then name) is done in two branches so that
# only the assets serving the region are ranked when they fill the page (they nearly always
# do): the second branch runs only if the first returned fewer than :limit rows, because a
# (non-parallel) Append under LIMIT reads its children in order and stops when it has enough.
# Ranking all ~8,000 bookable assets for a search without a category cost ~35 ms of a ~60 ms
# query. `regions @> ARRAY[...]` (not `= ANY`) so that ix_asset_view_regions (GIN) serves it.
_SEARCH_SQL = f"""
    WITH busy AS MATERIALIZED (
        SELECT b.asset_id, count(*) AS n, sum(b.quantity) AS total
        FROM bookings b
        WHERE b.state IN {_ACTIVE}
          AND tstzrange(b.planned_start, b.planned_end, '[)') && tstzrange(:start, :end, '[)')
        GROUP BY b.asset_id
    ), free AS NOT MATERIALIZED (
        SELECT a.asset_id, a.owner_org, a.name, a.category, a.booking_mode, a.home_base,
               a.home_location,
               a.regions, a.capacity, a.readiness_notice, t.tariff, peak.units AS used,
               -- estimate(): rate x billable units + fee, to the cent, half up; the units per
               -- tariff unit come from billable_units (bind parameters).
               round(CAST(t.tariff ->> 'full_cost_rate' AS numeric)
                     * COALESCE(CAST(CAST(:units AS jsonb) ->> (t.tariff ->> 'unit') AS numeric),
                                :other_units)
                     + CAST(t.tariff ->> 'mobilisation_fee' AS numeric), 2) AS amount
        FROM asset_view a
        LEFT JOIN busy ON busy.asset_id = a.asset_id
        CROSS JOIN LATERAL (
            -- Peak load, not the sum: bookings one after another in the window do not add up.
            -- One booking is its quantity; only an asset with several needs the sweep over
            -- starts (+quantity) and ends (-quantity), ends first at one instant.
            SELECT CASE WHEN busy.n IS NULL THEN 0 WHEN busy.n = 1 THEN busy.total ELSE (
                SELECT max(loads.load) FROM (
                    SELECT sum(e.delta) OVER (ORDER BY e.at, e.delta) AS load
                    FROM bookings b
                    CROSS JOIN LATERAL (VALUES (lower(b.during), b.quantity),
                                               (upper(b.during), -b.quantity)) e(at, delta)
                    WHERE b.asset_id = a.asset_id AND b.state IN {_ACTIVE}
                      AND b.during && tstzrange(:start, :end, '[)')
                ) loads
            ) END AS units
        ) peak
        LEFT JOIN LATERAL (
            -- tariff_at(): the first tariff whose [valid_from, valid_to) holds the Dutch :day.
            SELECT x.tariff FROM jsonb_array_elements(a.tariffs) WITH ORDINALITY AS x(tariff, n)
            WHERE x.tariff ->> 'valid_from' <= :day COLLATE "C"
              AND (x.tariff ->> 'valid_to' IS NULL OR :day < x.tariff ->> 'valid_to' COLLATE "C")
            ORDER BY x.n
            LIMIT 1
        ) t ON true
        WHERE a.status = 'active' AND a.booking_mode <> 'quantity'
          AND (CAST(:category AS text) IS NULL OR a.category = :category)
          AND (CAST(:exclude AS uuid) IS NULL OR a.asset_id <> :exclude)
          AND a.notice_seconds <= :lead_seconds
          AND a.capacity - peak.units >= :quantity
          AND EXISTS (
              SELECT 1 FROM asset_windows w
              WHERE w.asset_id = a.asset_id AND w.during @> tstzrange(:start, :end, '[)')
          )
    )
    -- The region's assets first: UNION ALL ... LIMIT relies on a plain Append reading its
    -- branches in order. The MATERIALIZED busy CTE keeps this out of parallel plans (a
    -- Parallel Append would not); keep it, or order the union explicitly by a branch rank.
    (SELECT * FROM free
     WHERE (CAST(:region AS text) IS NULL OR free.regions @> ARRAY[CAST(:region AS text)])
           {{after_serving}}
     ORDER BY free.amount NULLS LAST, free.name COLLATE "C", free.asset_id
     LIMIT :limit)
    UNION ALL
    (SELECT * FROM free
     WHERE NOT (CAST(:region AS text) IS NULL OR free.regions @> ARRAY[CAST(:region AS text)])
           {{after_others}}
     ORDER BY free.amount NULLS LAST, free.name COLLATE "C", free.asset_id
     LIMIT :limit)
    LIMIT :limit
    """
_SEARCH = text(_SEARCH_SQL.format(after_serving="", after_others=""))

# A later page of the search (a cursor: the last result's branch, amount, name and id): each
# branch continues after that result in its own order, and the first branch is done once the
# cursor lies in the second. Only cursor pages run it: the first page's plan is the one above.
_NO_AMOUNT = "1e30"  # sorts after every estimate, as NULLS LAST does
_AFTER = (
    f'(COALESCE(free.amount, {_NO_AMOUNT}), free.name COLLATE "C", free.asset_id) > '
    '(CAST(:after_amount AS numeric), CAST(:after_name AS text) COLLATE "C", '
    "CAST(:after_id AS uuid))"
)
_SEARCH_AFTER = text(
    _SEARCH_SQL.format(
        after_serving=f"AND CAST(:after_branch AS integer) = 1 AND {_AFTER}",
        after_others=f"AND (CAST(:after_branch AS integer) = 1 OR {_AFTER})",
    )
)

# A lead no readiness notice exceeds (notice_seconds is an integer column).
_ANY_NOTICE = 2**31 - 1

# The tariff units that billable_units() counts per unit; any other unit counts as "unit".
_PRICED_UNITS = ("flight_hour", "hour", "day", "day_part")

# One asset's check: its windows by ix_asset_windows_asset_id. Bounds, not ``during @>``: the
# generic plan of that took ix_asset_windows_span and read the windows of every asset that
# covers the hour (windows are stored '[)', so the two are the same test).
PUBLISHED_CONDITION = "lower(w.during) <= {start} AND upper(w.during) >= {end}"
_PUBLISHED = text(
    "SELECT 1 FROM asset_windows w WHERE w.asset_id = :asset_id AND "
    + PUBLISHED_CONDITION.format(start=":start", end=":end")
    + " LIMIT 1"
)


def tariff_at(tariffs: list[dict[str, Any]], moment: datetime) -> dict[str, Any] | None:
    """The tariff valid on the Dutch date of ``moment`` (periods are half-open dates)."""
    tariff = tariff_on(tariffs, tariff_day(moment))
    return dict(tariff) if tariff is not None else None


def estimate(
    tariff: dict[str, Any] | None, start: datetime, end: datetime, quantity: int
) -> dict[str, Any] | None:
    """Full-cost estimate from the tariff (cost-sharing's /estimates gives the split)."""
    if tariff is None:
        return None
    hours = Decimal((end - start).total_seconds()) / Decimal(3600)
    units = billable_units(tariff["unit"], hours, quantity)
    rate, fee = Decimal(tariff["full_cost_rate"]), Decimal(tariff["mobilisation_fee"])
    amount = (rate * units + fee).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {
        "basis": "full_cost",
        "unit": tariff["unit"],
        "units": str(units.quantize(Decimal("0.01"))),
        "rate": tariff["full_cost_rate"],
        "mobilisation_fee": tariff["mobilisation_fee"],
        "amount": str(amount),
        "currency": "EUR",
        "illustrative": True,
    }


def search_parameters(
    *,
    start: datetime,
    end: datetime,
    quantity: int = 1,
    category: str | None = None,
    region: str | None = None,
    exclude_asset: uuid.UUID | None = None,
    now: datetime | None = None,
    limit: int = 50,
    any_notice: bool = False,
) -> dict[str, Any]:
    """The bind parameters of the search query (bench/booking.py times the query alone).
    ``any_notice`` keeps assets whose readiness notice the window's lead does not cover (an
    escalation ranks them by notice instead)."""
    now = now or datetime.now(UTC)
    hours = Decimal((end - start).total_seconds()) / Decimal(3600)
    units = {unit: str(billable_units(unit, hours, quantity)) for unit in _PRICED_UNITS}
    return {
        "start": start,
        "end": end,
        "quantity": quantity,
        "category": category,
        "exclude": exclude_asset,
        "lead_seconds": _ANY_NOTICE if any_notice else int((start - now).total_seconds()),
        "day": tariff_day(start).isoformat(),
        "region": region,
        "units": json.dumps(units),
        "other_units": billable_units("unit", hours, quantity),
        "limit": limit,
    }


def find_free(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    quantity: int = 1,
    category: str | None = None,
    region: str | None = None,
    exclude_asset: uuid.UUID | None = None,
    now: datetime | None = None,
    limit: int = 50,
    any_notice: bool = False,
) -> list[dict[str, Any]]:
    """Assets free for the whole window, ranked: those serving ``region`` first (others are
    still shown — a neighbouring region's helicopter beats none), then estimated cost.

    The query picks each asset's tariff (tariff_at), ranks and keeps the first ``limit``; they
    are sorted again here by the same key (the estimates computed here are the ones returned)."""
    rows = session.execute(
        _SEARCH,
        search_parameters(
            start=start,
            end=end,
            quantity=quantity,
            category=category,
            region=region,
            exclude_asset=exclude_asset,
            now=now,
            limit=limit,
            any_notice=any_notice,
        ),
    ).all()
    return [result for _, result in _ranked(rows, start, end, quantity, region)][:limit]


def _ranked(
    rows: Sequence[Any], start: datetime, end: datetime, quantity: int, region: str | None
) -> list[tuple[Any, dict[str, Any]]]:
    """Each row with the result it answers, ranked (the query's order, here exactly)."""
    results = []
    for row in rows:
        cost = estimate(row.tariff, start, end, quantity)
        results.append(
            (
                row,
                {
                    "asset_id": str(row.asset_id),
                    "name": row.name,
                    "owner_org": row.owner_org,
                    "category": row.category,
                    "booking_mode": row.booking_mode,
                    "home_base": row.home_base,
                    "home_location": row.home_location,
                    "regions": row.regions,
                    "readiness_notice": row.readiness_notice,
                    "free_units": row.capacity - int(row.used),
                    "serves_region": region is None or region in row.regions,
                    "estimate": cost,
                },
            )
        )
    results.sort(
        key=lambda pair: (
            not pair[1]["serves_region"],
            Decimal(pair[1]["estimate"]["amount"]) if pair[1]["estimate"] else Decimal("Infinity"),
            pair[1]["name"],
        )
    )
    return results


def search_page(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    quantity: int = 1,
    category: str | None = None,
    region: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> Page[dict[str, Any]]:
    """A page of the search (``find_free``'s ranking), continued after ``cursor``."""
    params = search_parameters(
        start=start,
        end=end,
        quantity=quantity,
        category=category,
        region=region,
        now=now,
        limit=limit + 1,
    )
    query = _SEARCH
    if cursor:
        branch, amount, name, asset_id = decode_cursor(cursor, int, str, str, uuid.UUID)
        try:
            Decimal(amount)
            if branch not in (1, 2):
                raise ValueError("no such branch")
        except (ArithmeticError, ValueError):
            raise Invalid(CURSOR_PROBLEM, errors={"cursor": ["Invalid cursor."]}) from None
        params.update(after_branch=branch, after_amount=amount, after_name=name, after_id=asset_id)
        query = _SEARCH_AFTER
    ranked = _ranked(session.execute(query, params).all(), start, end, quantity, region)
    page = page_of(ranked, limit=limit, key=_cursor_key)
    return Page([result for _, result in page.items], page.next_cursor)


def _cursor_key(pair: tuple[Any, dict[str, Any]]) -> tuple[int, str, str, str]:
    row, result = pair
    amount = str(row.amount) if row.amount is not None else _NO_AMOUNT
    return (1 if result["serves_region"] else 2, amount, row.name, str(row.asset_id))


def is_published(session: Session, asset_id: uuid.UUID, start: datetime, end: datetime) -> bool:
    """Does the owner's published availability (minus blackouts) cover the whole window?"""
    found = session.execute(_PUBLISHED, {"asset_id": asset_id, "start": start, "end": end})
    return found.first() is not None
