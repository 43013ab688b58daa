"""A year of generated use, written into the databases of a running product (``slagkracht
run`` started by ``_common.launch_product``) for the national pages' benchmark.

What is written, and how:

- **booking** (its own database, bulk ``COPY`` into ``bookings``): ``--bookings`` bookings of
  the demo's bookable assets (as booking's read model holds them from catalog's events) over
  365 days, the first day 335 days ago, so about a month of them lies ahead. A slot asset's
  bookings follow one another without overlapping; an asset of several units takes them at
  random moments. Requested by the 11 police units (shared/units.py), 60 % naming one of the
  asset's regions (the unit's home region where the asset serves it), the rest none, so
  their use counts in the unit's home region. Past ones are completed (78 %), rejected,
  cancelled or expired; one under way at ``now`` is in use; coming ones approved, requested,
  counter-offered, cancelled or rejected. No transitions, no outbox events: the year is
  history, nothing has to travel.
- **cost-sharing** (its own database): each booking's event in its final state, built as
  booking's events carry a booking (``make_event`` validates each against its contract), applied
  through cost-sharing's own consumer handler (``handlers.apply_booking_events``: booking
  facts, allocations priced by the demo agreements, ledger lines with their hash chain) in
  batches as its worker applies a polled batch; plus ``--orders`` orders
  (``booking.order.placed``) of the demo's framework items. Their outbox rows (the
  ``costsharing.allocation.proposed`` events) are marked published in the same transaction:
  a year's notifications were delivered long ago, and relaying them now would load the
  machine while it is measured.

Deterministic for a seed (``random.Random``), apart from ``now``.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from services.costsharing.handlers import apply_booking_events
from shared.consumer import EventBatch
from shared.db import UnitOfWork, make_engine, make_session_factory, write_outbox
from shared.events import make_event
from shared.units import HOME_REGIONS

DAYS = 365
DAYS_AHEAD = 30
BATCH = 1000
UNITS = sorted(HOME_REGIONS)
# How often a unit asks (the big city units more).
UNIT_WEIGHTS = [3 if u in ("politie-amsterdam", "politie-rotterdam", "politie-den-haag") else 1
                for u in UNITS]  # fmt: skip
BASES = ["bijstand_politiewet", "steunverlening", "icms_guaranteed", "joint_exercise"]
BASE_WEIGHTS = [40, 35, 15, 10]
PURPOSE_CLASSES = ["search", "event_surveillance", "investigation", "other"]
# Hours a use lasts, by category: (shortest, longest).
DURATION_H = {
    "helicopter": (1, 4),
    "drone": (2, 8),
    "dive_team": (2, 6),
    "search_team": (4, 10),
    "terrain": (4, 4),
}
PAST = (("completed", 78), ("rejected", 9), ("cancelled", 8), ("expired", 5))
AHEAD = (("approved", 68), ("requested", 20), ("counter_offered", 3), ("cancelled", 5),
         ("rejected", 4))  # fmt: skip
# The versions a booking reaches in each state (requested = 1, each transition one more).
VERSION = {"requested": 1, "approved": 2, "rejected": 2, "expired": 2, "counter_offered": 2,
           "cancelled": 3, "in_use": 3, "completed": 4}  # fmt: skip
EVENT_TYPE = {"in_use": "booking.started"}

COLUMNS = (
    "id", "asset_id", "owner_org", "requester_org", "requested_by", "category", "holds_slot",
    "needs_preemption", "planned_start", "planned_end", "quantity", "priority", "legal_basis",
    "purpose", "purpose_class", "contact", "state", "tariff", "expires_at", "actual_start",
    "actual_end", "usage_quantity", "version", "created_at", "decided_at", "region",
    "counter_asset_id", "counter_start", "counter_end",
)  # fmt: skip


@dataclass
class Asset:
    asset_id: str
    owner_org: str
    category: str
    booking_mode: str
    regions: list[str]
    capacity: int
    tariff: dict[str, Any] | None


@dataclass
class YearWritten:
    bookings: int
    by_state: dict[str, int]
    facts: int
    allocations: int
    ledger_lines: int
    orders: int
    first_day: str
    last_day: str
    seconds: float


def _event_tariff(tariff: dict[str, Any] | None) -> dict[str, Any] | None:
    """A read-model tariff as booking's events carry it."""
    if not tariff:
        return None
    return {
        "tariff_id": str(tariff.get("tariff_id") or tariff.get("id")),
        "unit": tariff["unit"],
        **{k: f"{Decimal(str(tariff[k])):.2f}" for k in (
            "full_cost_rate", "marginal_cost_rate", "mobilisation_fee", "market_reference_price")},
        "currency": "EUR",
        "valid_from": tariff["valid_from"],
        "valid_to": tariff.get("valid_to"),
    }  # fmt: skip


def read_assets(booking_url: str) -> list[Asset]:
    with psycopg.connect(booking_url) as conn:
        rows = conn.execute(
            "SELECT asset_id, owner_org, category, booking_mode, regions, capacity, tariffs "
            "FROM asset_view WHERE status = 'active' AND booking_mode <> 'quantity' ORDER BY name"
        ).fetchall()
    return [
        Asset(str(r[0]), r[1], r[2], r[3], list(r[4]), r[5], _event_tariff((r[6] or [None])[0]))
        for r in rows
    ]


def _state(rng: random.Random, start: datetime, end: datetime, now: datetime) -> str:
    table = PAST if start < now else AHEAD
    state = rng.choices([s for s, _ in table], [w for _, w in table])[0]
    if start <= now < end and state == "completed":
        return "in_use"
    if end > now and state in ("completed", "expired"):
        return "approved"  # a past state for a use that has not ended
    return state


def _starts(rng: random.Random, asset: Asset, count: int, lo: datetime, hi: datetime) -> list:
    """(start, hours) of ``count`` uses in [lo, hi): one after another on a slot asset."""
    shortest, longest = DURATION_H.get(asset.category, (2, 6))
    span_h = (hi - lo).total_seconds() / 3600
    if asset.booking_mode != "slot":
        return sorted(
            (lo + timedelta(hours=rng.uniform(0, span_h - longest)), rng.randint(shortest, longest))
            for _ in range(count)
        )
    mean_gap = max(0.25, span_h / count - (shortest + longest) / 2)
    uses, moment = [], lo
    for _ in range(count):
        hours = rng.randint(shortest, longest)
        moment += timedelta(hours=rng.expovariate(1 / mean_gap))
        if moment + timedelta(hours=hours) > hi:
            break
        uses.append((moment.replace(second=0, microsecond=0), hours))
        moment += timedelta(hours=hours)
    return uses


def _booking(
    rng: random.Random, asset: Asset, start: datetime, hours: int, now: datetime
) -> dict[str, Any]:
    end = start + timedelta(hours=hours)
    state = _state(rng, start, end, now)
    unit = rng.choices(UNITS, UNIT_WEIGHTS)[0]
    region = None
    if rng.random() < 0.6:
        home = HOME_REGIONS[unit]
        region = home if home in asset.regions else rng.choice(asset.regions)
    # Asked an hour to ten days ahead, never after now (a coming use was asked already).
    created = min(
        start - timedelta(minutes=rng.randint(60, 10 * 24 * 60)),
        now - timedelta(minutes=rng.randint(1, 600)),
    )
    decided = None
    if state not in ("requested", "expired"):
        decided = min(created + timedelta(minutes=rng.randint(5, 720)), start)
    actual_start = actual_end = usage = None
    if state in ("completed", "in_use"):
        actual_start = start + timedelta(minutes=rng.randint(0, 20))
        if state == "completed":
            actual_end = actual_start + timedelta(hours=hours, minutes=rng.randint(-30, 30))
            usage = (Decimal((actual_end - actual_start).total_seconds()) / 3600).quantize(
                Decimal("0.01")
            )
    countered = state == "counter_offered"  # the owner offers the same asset two hours later
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "asset_id": asset.asset_id,
        "owner_org": asset.owner_org,
        "requester_org": unit,
        "requested_by": f"planner-{unit.removeprefix('politie-')}",
        "category": asset.category,
        "holds_slot": asset.booking_mode == "slot",
        "needs_preemption": False,
        "planned_start": start,
        "planned_end": end,
        "quantity": 1,
        "priority": rng.choices([1, 2, 3], [10, 50, 40])[0],
        "legal_basis": rng.choices(BASES, BASE_WEIGHTS)[0],
        "purpose": "Jaarbench: inzet na melding",
        "purpose_class": rng.choice(PURPOSE_CLASSES),
        "contact": "OvD 0900-8844",
        "state": state,
        "tariff": asset.tariff,
        # A waiting request lapses at its start (booking's expiry sweep leaves these alone).
        "expires_at": start if state in ("requested", "counter_offered") else created,
        "actual_start": actual_start,
        "actual_end": actual_end,
        "usage_quantity": usage,
        "version": VERSION[state],
        "created_at": created,
        "decided_at": decided,
        "region": region,
        "counter_asset_id": asset.asset_id if countered else None,
        "counter_start": start + timedelta(hours=2) if countered else None,
        "counter_end": end + timedelta(hours=2) if countered else None,
    }


def generate(
    assets: list[Asset], total: int, now: datetime, seed: int = 2026
) -> list[dict[str, Any]]:
    """``total`` bookings (fewer when slot assets run out of room) over the year."""
    rng = random.Random(seed)
    lo = (now - timedelta(days=DAYS - DAYS_AHEAD)).replace(minute=0, second=0, microsecond=0)
    hi = lo + timedelta(days=DAYS)
    bookings = []
    for asset in assets:
        for start, hours in _starts(rng, asset, -(-total // len(assets)), lo, hi):
            bookings.append(_booking(rng, asset, start, hours, now))
    return bookings[:total]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def booking_event(b: dict[str, Any]) -> dict[str, Any]:
    """The booking's event in its final state, as booking's service writes it."""
    data = {
        "booking_id": b["id"],
        **{k: b[k] for k in ("asset_id", "owner_org", "requester_org", "category", "state",
                             "priority", "legal_basis", "purpose", "purpose_class", "quantity",
                             "tariff", "version", "region")},
        "planned_start": b["planned_start"].isoformat(),
        "planned_end": b["planned_end"].isoformat(),
        "actual_start": _iso(b["actual_start"]),
        "actual_end": _iso(b["actual_end"]),
        "usage_quantity": None if b["usage_quantity"] is None else str(b["usage_quantity"]),
        "requested_at": b["created_at"].isoformat(),
        "decided_at": _iso(b["decided_at"]),
        "series_id": None,
        "reason": None,
    }  # fmt: skip
    if b["state"] == "counter_offered":
        data["counter_offer"] = {
            "asset_id": b["counter_asset_id"],
            "start": b["counter_start"].isoformat(),
            "end": b["counter_end"].isoformat(),
        }
    if b["state"] == "cancelled":
        data["cancelled_from"] = "approved" if b["decided_at"] else "requested"
        data["hours_before_start"] = round(
            (b["planned_start"] - (b["decided_at"] or b["created_at"])).total_seconds() / 3600, 2
        )
    return make_event(
        event_type=EVENT_TYPE.get(b["state"], f"booking.{b['state']}"),
        producer="booking",
        aggregate_id=b["id"],
        data=data,
        actor=b["requested_by"],
        occurred_at=b["decided_at"] or b["created_at"],
    )


def order_events(rng: random.Random, count: int, lo: datetime, hi: datetime) -> list[dict]:
    """Orders of the demo's framework items by the police units, spread over the year."""
    items = [("189.00", "245.00"), ("1450.00", "1890.00"), ("780.00", "990.00"),
             ("120.00", "165.00")]  # fmt: skip
    span_s = (hi - lo).total_seconds()
    events = []
    for _ in range(count):
        unit_price, solo = rng.choice(items)
        quantity = rng.choice([10, 25, 50, 100, 250])
        ordered_at = lo + timedelta(seconds=rng.uniform(0, span_s))
        data = {
            "order_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "contract_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "contract_reference": "DMO-RC-2026-BENCH",
            "item_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "requester_org": rng.choices(UNITS, UNIT_WEIGHTS)[0],
            "owner_org": "defensie-dmo",
            "quantity": quantity,
            "unit_price": unit_price,
            "solo_unit_price": f"{Decimal(solo) * Decimal('0.85'):.2f}",
            "market_reference_price": solo,
            "total": f"{Decimal(unit_price) * quantity:.2f}",
            "legal_basis": "joint_procurement",
            "delivery_date": (ordered_at + timedelta(days=14)).date().isoformat(),
            "remaining_volume": 100000,
            "ordered_at": ordered_at.isoformat(),
        }
        events.append(make_event(event_type="booking.order.placed", producer="booking",
                                 aggregate_id=data["order_id"], data=data, actor="planner",
                                 occurred_at=ordered_at))  # fmt: skip
    return events


def copy_bookings(booking_url: str, bookings: list[dict[str, Any]]) -> None:
    with psycopg.connect(booking_url) as conn:
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY bookings ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for b in bookings:
                tariff = Jsonb(b["tariff"]) if b["tariff"] is not None else None
                copy.write_row([tariff if c == "tariff" else b[c] for c in COLUMNS])
        conn.commit()
    with psycopg.connect(booking_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE bookings")


def apply_to_costsharing(costsharing_url: str, events: list[dict[str, Any]]) -> None:
    """Through cost-sharing's own batch handler, BATCH events per transaction, as its worker
    applies a polled batch; the outbox rows they stage are marked published before commit."""
    engine = make_engine(costsharing_url.replace("postgresql://", "postgresql+psycopg://", 1))
    sessions = make_session_factory(engine)
    try:
        for first in range(0, len(events), BATCH):
            chunk = events[first : first + BATCH]
            with sessions() as session:
                outbox: list[dict[str, Any]] = []

                def uow_for(
                    cause: dict[str, Any],
                    session: Any = session,
                    outbox: list[dict[str, Any]] = outbox,
                ) -> UnitOfWork:
                    return UnitOfWork.within(session, producer="costsharing", actor=cause["actor"],
                                             trace_id=cause["trace_id"], outbox=outbox)  # fmt: skip

                apply_booking_events(EventBatch(session, chunk, uow_for))
                write_outbox(session, outbox)
                if outbox:
                    session.connection().exec_driver_sql(
                        "UPDATE outbox SET published_at = now() WHERE event_id = ANY(%s)",
                        ([row["event_id"] for row in outbox],),
                    )
                session.commit()
    finally:
        engine.dispose()
    with psycopg.connect(costsharing_url, autocommit=True) as conn:
        for table in ("booking_facts", "allocations", "ledger_entries", "outbox"):
            conn.execute(f"VACUUM ANALYZE {table}")


def write_year(
    booking_url: str, costsharing_url: str, *, bookings: int, orders: int, now: datetime
) -> YearWritten:
    began = time.monotonic()
    assets = read_assets(booking_url)
    if not assets:
        raise RuntimeError("booking's read model holds no bookable asset")
    year = generate(assets, bookings, now)
    copy_bookings(booking_url, year)
    events = [booking_event(b) for b in year]
    lo, hi = min(b["planned_start"] for b in year), max(b["planned_end"] for b in year)
    events += order_events(random.Random(7), orders, lo, min(hi, now))
    apply_to_costsharing(costsharing_url, events)
    by_state: dict[str, int] = {}
    for b in year:
        by_state[b["state"]] = by_state.get(b["state"], 0) + 1
    with psycopg.connect(costsharing_url) as conn:
        counts = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
                  for t in ("booking_facts", "allocations", "ledger_entries")]  # fmt: skip
    return YearWritten(
        bookings=len(year),
        by_state=dict(sorted(by_state.items())),
        facts=counts[0],
        allocations=counts[1],
        ledger_lines=counts[2],
        orders=orders,
        first_day=lo.astimezone(UTC).date().isoformat(),
        last_day=hi.astimezone(UTC).date().isoformat(),
        seconds=round(time.monotonic() - began, 1),
    )
