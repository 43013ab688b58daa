"""Helpers for the cost-sharing tests (no fixtures here; each test module makes its own).

Booking events are built the way booking emits them (``shared.events.make_event`` validates
every envelope against its contract) and applied through the consumer's own handler table,
``BOOKING_HANDLERS``, inside ``UnitOfWork.within`` — exactly what the worker does per event,
minus the broker. The exactly-once test drives the real worker over the real broker instead.

The databases are shared by the whole test session, so every test scopes its data: a made-up
requesting unit and owner (``politie-cs…`` / ``defensie-cs…``) or a validity period no other
test uses, and rows are counted before and after, never expected to be zero.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from services.costsharing.handlers import BOOKING_HANDLERS
from services.costsharing.readmodel import apply_asset
from shared.auth import mint_token
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.events import make_event
from shared.personas import PERSONAS
from shared.settings import DEV_JWT_SECRET, Settings
from shared.tariffs import DUTCH_ZONE
from tests.support import auth, unique
from tests.support import blackout as blackout  # re-exported: the tests import it here
from tests.support import one_off as one_off

D = Decimal


def scoped_orgs() -> tuple[str, str]:
    """A requesting police unit and a Defence owner that no other test uses."""
    tag = uuid.uuid4().hex[:8]
    return f"politie-cs{tag}", f"defensie-cs{tag}"


def at(text_: str) -> datetime:
    """'2031-04-02T10:00' → an aware UTC datetime."""
    return datetime.fromisoformat(text_).replace(tzinfo=UTC)


def amsterdam(text_: str) -> datetime:
    """'2031-07-01T00:00' → an aware datetime in Europe/Amsterdam (the Dutch wall clock, which
    statement periods, agreements and tariffs count in)."""
    return datetime.fromisoformat(text_).replace(tzinfo=DUTCH_ZONE)


# -- events as booking emits them -------------------------------------------------------------
def tariff(**overrides: Any) -> dict[str, Any]:
    """A tariff as booking copies it into its events (illustrative helicopter rates)."""
    body: dict[str, Any] = {
        "tariff_id": str(uuid.uuid4()),
        "unit": "flight_hour",
        "full_cost_rate": "9800.00",
        "marginal_cost_rate": "3900.00",
        "mobilisation_fee": "1500.00",
        "market_reference_price": "11000.00",
        "currency": "EUR",
        "valid_from": "2020-01-01",
        "valid_to": None,
    }
    body.update(overrides)
    return body


def booking_data(
    *,
    requester_org: str,
    owner_org: str,
    state: str,
    planned_start: datetime,
    planned_hours: float = 4,
    booking_id: str | None = None,
    asset_id: str | None = None,
    category: str = "helicopter",
    legal_basis: str = "bijstand_politiewet",
    quantity: int = 1,
    actual_start: datetime | None = None,
    actual_end: datetime | None = None,
    usage: str | None = None,
    tariff_: dict[str, Any] | None | bool = True,
    requested_at: datetime | None = None,
    decided_at: datetime | None = None,
    version: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    """The booking as every booking.* event carries it (services/booking/service.py)."""
    data: dict[str, Any] = {
        "booking_id": booking_id or str(uuid.uuid4()),
        "asset_id": asset_id or str(uuid.uuid4()),
        "owner_org": owner_org,
        "requester_org": requester_org,
        "category": category,
        "state": state,
        "priority": 2,
        "legal_basis": legal_basis,
        "purpose": "Zoekactie cost-sharing test",
        "quantity": quantity,
        "planned_start": planned_start.isoformat(),
        "planned_end": (planned_start + timedelta(hours=planned_hours)).isoformat(),
        "actual_start": actual_start.isoformat() if actual_start else None,
        "actual_end": actual_end.isoformat() if actual_end else None,
        "usage_quantity": usage,
        "tariff": tariff() if tariff_ is True else (tariff_ or None),
        "requested_at": (requested_at or planned_start - timedelta(days=3)).isoformat(),
        "decided_at": decided_at.isoformat() if decided_at else None,
        "version": version,
        "reason": None,
        "series_id": None,
    }
    data.update(extra)
    return data


def event(event_type: str, data: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    aggregate = data.get("booking_id") or data["order_id"]
    return make_event(
        event_type=event_type,
        producer="booking",
        aggregate_id=aggregate,
        data=data,
        actor="test-booking",
        **envelope,
    )


def completed(
    *, requester_org: str, owner_org: str, start: datetime, usage: str, **kw: Any
) -> dict[str, Any]:
    """booking.completed: used from ``start`` for ``usage`` hours (a multiple of 0.25 h)."""
    end = start + timedelta(hours=float(usage))
    kw.setdefault("planned_hours", max(4, float(usage)))
    kw.setdefault("decided_at", start - timedelta(days=2))
    data = booking_data(
        requester_org=requester_org,
        owner_org=owner_org,
        state="completed",
        planned_start=start,
        actual_start=start,
        actual_end=end,
        usage=usage,
        version=kw.pop("version", 4),
        **kw,
    )
    return event("booking.completed", data)


def cancelled(
    *,
    requester_org: str,
    owner_org: str,
    start: datetime,
    hours_before_start: float,
    **kw: Any,
) -> dict[str, Any]:
    kw.setdefault("decided_at", start - timedelta(days=2))
    data = booking_data(
        requester_org=requester_org,
        owner_org=owner_org,
        state="cancelled",
        planned_start=start,
        hours_before_start=hours_before_start,
        version=kw.pop("version", 3),
        **kw,
    )
    return event("booking.cancelled", data)


def preempted(*, requester_org: str, owner_org: str, start: datetime, **kw: Any) -> dict[str, Any]:
    kw.setdefault("decided_at", start - timedelta(days=2))
    data = booking_data(
        requester_org=requester_org,
        owner_org=owner_org,
        state="preempted",
        planned_start=start,
        preempted_by=str(uuid.uuid4()),
        alternatives=[],
        charge_displaced=False,
        version=kw.pop("version", 3),
        **kw,
    )
    return event("booking.preempted", data)


def order_placed(
    *,
    requester_org: str,
    owner_org: str,
    quantity: int,
    unit_price: str,
    solo_unit_price: str,
    ordered_at: datetime,
    legal_basis: str = "joint_procurement",
    market_reference_price: str | None = None,
    order_id: str | None = None,
) -> dict[str, Any]:
    data = {
        "order_id": order_id or str(uuid.uuid4()),
        "contract_id": str(uuid.uuid4()),
        "contract_reference": unique("DMO-RC"),
        "item_id": str(uuid.uuid4()),
        "requester_org": requester_org,
        "owner_org": owner_org,
        "quantity": quantity,
        "unit_price": unit_price,
        "solo_unit_price": solo_unit_price,
        "market_reference_price": market_reference_price,
        "total": str((D(unit_price) * quantity).quantize(D("0.01"))),
        "legal_basis": legal_basis,
        "delivery_date": (ordered_at + timedelta(days=14)).date().isoformat(),
        "remaining_volume": 1000,
        "ordered_at": ordered_at.isoformat(),
    }
    return event("booking.order.placed", data)


def source_id(evt: dict[str, Any]) -> str:
    """The booking (or order) an event is about: what its allocation links to."""
    return str(evt["data"].get("booking_id") or evt["data"]["order_id"])


def asset_facts(
    *,
    owner_org: str,
    category: str = "helicopter",
    regions: Iterable[str] = ("VR10",),
    capacity: int = 1,
    tariffs: list[dict[str, Any]] | None = None,
    availability: list[dict[str, Any]] | None = None,
    blackouts: list[dict[str, Any]] | None = None,
    asset_id: str | None = None,
) -> dict[str, Any]:
    """An asset as catalog.asset.* events carry it (what cost-sharing's read model keeps)."""
    return {
        "asset_id": asset_id or str(uuid.uuid4()),
        "owner_org": owner_org,
        "name": unique("Asset"),
        "category": category,
        "regions": list(regions),
        "capacity": capacity,
        "tariffs": tariffs if tariffs is not None else [tariff()],
        "availability": availability or [],
        "blackouts": blackouts or [],
        "version": 1,
    }


def weekly(
    weekdays: list[int], start_time: str, end_time: str, valid_from: str, valid_to: str
) -> dict[str, Any]:
    return {
        "window_id": str(uuid.uuid4()),
        "kind": "recurring",
        "start_at": None,
        "end_at": None,
        "weekdays": weekdays,
        "start_time": start_time,
        "end_time": end_time,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "timezone": "Europe/Amsterdam",
    }


# -- the cost-sharing database --------------------------------------------------------------
@dataclass
class CostsharingDB:
    """A direct line into cost-sharing's database: apply events, read rows (count them with
    tests.support.writes/nothing_written over ``engine``)."""

    settings: Settings
    engine: Engine = field(init=False)
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.settings.database_url, pool_size=2)
        self.sessions = make_session_factory(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    def apply(self, *events: dict[str, Any]) -> None:
        """Apply events as the worker would: each through BOOKING_HANDLERS in one unit of work
        inside a transaction this helper commits."""
        with self.sessions() as session:
            for evt in events:
                handler = BOOKING_HANDLERS[evt["type"]]
                with session.begin_nested():
                    handler(
                        UnitOfWork.within(
                            session,
                            producer="costsharing",
                            topic_for=self.settings.topic,
                            actor=evt["actor"],
                            trace_id=evt["trace_id"],
                        ),
                        evt,
                    )
            session.commit()

    def put_asset(self, data: dict[str, Any]) -> None:
        with self.sessions() as session:
            apply_asset(session, data)
            session.commit()

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(sql), params).mappings()]

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def allocations_for(self, booking_id: str) -> list[dict[str, Any]]:
        return self.rows(
            "SELECT * FROM allocations WHERE booking_id = :b ORDER BY created_at, kind",
            b=booking_id,
        )

    def allocation(self, booking_id: str, kind: str = "usage") -> dict[str, Any]:
        found = [a for a in self.allocations_for(booking_id) if a["kind"] == kind]
        assert len(found) == 1, f"expected one {kind} allocation for {booking_id}: {found}"
        return found[0]

    def ledger(self, allocation_id: Any) -> list[dict[str, Any]]:
        return self.rows(
            "SELECT org, side, kind, entry, amount, source_event_id FROM ledger_entries "
            "WHERE allocation_id = :a ORDER BY id",
            a=str(allocation_id),
        )


def balance(lines: Iterable[dict[str, Any]]) -> tuple[Decimal, Decimal]:
    """(sum of debits, sum of credits) of ledger rows."""
    debit = sum((D(x["amount"]) for x in lines if x["side"] == "debit"), D("0.00"))
    credit = sum((D(x["amount"]) for x in lines if x["side"] == "credit"), D("0.00"))
    return debit, credit


def amounts(lines: Iterable[dict[str, Any]]) -> set[tuple[str, str, str, str, Decimal]]:
    return {(x["entry"], x["org"], x["side"], x["kind"], D(x["amount"])) for x in lines}


# -- HTTP ---------------------------------------------------------------------------------------
def agreement_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": unique("Convenant cs"),
        "legal_basis": "bijstand_politiewet",
        "category": None,
        "owner_org": None,
        "requester_org": None,
        "valid_from": "2026-01-01",
        "valid_to": None,
        "price_basis": "marginal_cost",
        "requester_share_pct": "100.00",
        "charge_mobilisation": True,
        "cancellation_free_hours": 48,
        "cancellation_pct": "25.00",
    }
    body.update(overrides)
    return body


def create_agreement(client: FlaskClient, **overrides: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/agreements", headers=auth("admin"), json=agreement_body(**overrides)
    )
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def create_cancellation_agreement(client: FlaskClient, unit: str, owner: str) -> dict[str, Any]:
    """The agreement the cancellation tests share: police 80 %, free until 48 h before the
    start, then 25 % of the estimate; valid 2026-01-01 to 2027-06-01."""
    return create_agreement(
        client,
        owner_org=owner,
        requester_org=unit,
        requester_share_pct="80",
        cancellation_free_hours=48,
        cancellation_pct="25",
        valid_from="2026-01-01",
        valid_to="2027-06-01",
    )


def review(
    client: FlaskClient, allocation_id: Any, action: str, persona: str = "controller", **body: Any
) -> TestResponse:
    return review_as(client, allocation_id, action, auth(persona), **body)


def review_as(
    client: FlaskClient, allocation_id: Any, action: str, headers: dict[str, str], **body: Any
) -> TestResponse:
    return client.post(f"/api/v1/allocations/{allocation_id}/{action}", headers=headers, json=body)


def colleague_of(persona: str) -> dict[str, str]:
    """Authorization for another person in the persona's organisation and roles (the demo has
    one person per organisation; four-eyes rules need a second)."""
    p = PERSONAS[persona]
    token = mint_token(
        sub=f"{p.key}-collega",
        name=f"Collega van {p.name}",
        org=p.org,
        roles=p.roles,
        secret=DEV_JWT_SECRET,
    )
    return {"Authorization": f"Bearer {token}"}
