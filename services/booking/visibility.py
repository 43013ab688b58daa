"""Who may see a booking, and a booking as one caller may see it.

The rule: the requesting unit's planners, the asset owner, finance and joint roles see a
booking. ``visible`` says it as a query filter, ``may_see`` for a booking in hand (e.g. the one
a 409 or ``preempted_by`` would name); change both together. What a caller sees of a booking
it may see: another unit's purpose and contact are hidden, and so is any other booking it
names that the caller may not see (``preempted_by``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, Protocol

from sqlalchemy import or_, select

from services.booking.models import Booking, Order
from shared.auth import FINANCE, OWNER, PLANNER, Principal
from shared.db import UnitOfWork


class Parties(Protocol):
    @property
    def requester_org(self) -> str: ...
    @property
    def owner_org(self) -> str: ...


class Holder(NamedTuple):
    """The facts of a booking holding a slot that the hot path reads (not an ORM row)."""

    id: str
    requester_org: str
    owner_org: str


def visible(principal: Principal) -> Any:
    """Which bookings a caller may see: own unit's, own assets', or all for finance/joint."""
    if principal.is_joint or principal.has_role(FINANCE):
        return True
    clauses = []
    if principal.has_role(PLANNER):
        clauses.append(Booking.requester_org == principal.org)
    if principal.has_role(OWNER):
        clauses.append(Booking.owner_org == principal.org)
    return or_(*clauses) if clauses else False


def may_see(principal: Principal, booking: Parties) -> bool:
    """The rule of ``visible`` for one booking in hand."""
    if principal.is_joint or principal.has_role(FINANCE):
        return True
    return (principal.has_role(PLANNER) and booking.requester_org == principal.org) or (
        principal.has_role(OWNER) and booking.owner_org == principal.org
    )


def can_see_purpose(principal: Principal, booking: Parties) -> bool:
    """A police unit never sees another unit's purpose; the owner (of the asset, or of the
    contract ordered from) and joint roles do. Finance of either side reads the rest, not this."""
    return principal.org in (booking.requester_org, booking.owner_org) or principal.is_joint


class Seen:
    """An ORM row as one caller may see it: the ``hidden`` attributes read as given (None, or
    a wording without an id), every other attribute as the row has it. Schemas dump it like
    the row; the row itself is never changed (it would be written back)."""

    __slots__ = ("_row", "_hidden")

    def __init__(self, row: Any, hidden: Mapping[str, Any]) -> None:
        self._row = row
        self._hidden = hidden

    def __getattr__(self, name: str) -> Any:
        if name in self._hidden:
            return self._hidden[name]
        return getattr(self._row, name)


_PRIVATE = {"purpose": None, "contact": None}


def order_seen_by(principal: Principal, order: Order) -> Any:
    """An order as its reader may see it: finance reads all, but no other unit's purpose."""
    return order if can_see_purpose(principal, order) else Seen(order, {"purpose": None})


def visible_ids(
    uow: UnitOfWork, principal: Principal, booking_ids: Iterable[uuid.UUID | None]
) -> set[uuid.UUID]:
    """Those of ``booking_ids`` the caller may see (one query, none for finance and joint)."""
    wanted = {i for i in booking_ids if i is not None}
    if not wanted or principal.is_joint or principal.has_role(FINANCE):
        return wanted
    query = select(Booking.id).where(Booking.id.in_(wanted), visible(principal))
    return set(uow.session.scalars(query))


def seen_by(uow: UnitOfWork, principal: Principal, bookings: Iterable[Booking]) -> list[Any]:
    """Each booking as the caller may see it (``Seen`` where something is hidden)."""
    bookings = list(bookings)
    named = visible_ids(uow, principal, (b.preempted_by for b in bookings))
    return [_seen(principal, b, named) for b in bookings]


def _seen(principal: Principal, booking: Booking, named: set[uuid.UUID]) -> Any:
    hidden: dict[str, Any] = {} if can_see_purpose(principal, booking) else dict(_PRIVATE)
    if booking.preempted_by is not None and booking.preempted_by not in named:
        hidden["preempted_by"] = None
    return Seen(booking, hidden) if hidden else booking


def one_seen_by(uow: UnitOfWork, principal: Principal, booking: Booking) -> Any:
    return seen_by(uow, principal, [booking])[0]
