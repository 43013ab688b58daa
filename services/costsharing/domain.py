"""Cost-sharing rules: which agreement applies, what a use costs, how it splits, and the
finance review's state machine (four eyes included). Stdlib only.

Rounding rule: the cost is computed exactly, then rounded once to the cent (half up); the
requester's part is the total × share rounded half up; the owner bears the exact rest. So the
parts always add up to the whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from shared.errors import Conflict, Forbidden, Invalid

CENT = Decimal("0.01")


class PriceBasis(StrEnum):
    FULL_COST = "full_cost"
    MARGINAL_COST = "marginal_cost"
    FREE = "free"


class State(StrEnum):
    """Where an allocation is in finance's review."""

    PROPOSED = "proposed"  # priced by an agreement: finance approves or disputes it
    NEEDS_AGREEMENT = "needs_agreement"  # nothing priced it: finance resolves it
    APPROVED = "approved"
    DISPUTED = "disputed"
    RESOLVED = "resolved"
    SETTLED = "settled"  # held by a closed statement


class Action(StrEnum):
    """What finance does to an allocation (each its own endpoint and event)."""

    APPROVE = "approve"
    DISPUTE = "dispute"
    RESOLVE = "resolve"


# The review: proposed → approved | disputed → resolved; needs_agreement → resolved (priced).
# Closing a statement settles what is approved or resolved (not an action of the review).
TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.PROPOSED, Action.APPROVE): State.APPROVED,
    (State.PROPOSED, Action.DISPUTE): State.DISPUTED,
    (State.DISPUTED, Action.RESOLVE): State.RESOLVED,
    (State.NEEDS_AGREEMENT, Action.RESOLVE): State.RESOLVED,
}
SETTLEABLE = (State.APPROVED, State.RESOLVED)
AWAITING_REVIEW = (State.PROPOSED, State.DISPUTED, State.NEEDS_AGREEMENT)
REASON_REQUIRED = (Action.DISPUTE, Action.RESOLVE)


def next_state(current: State, action: Action) -> State:
    """The state after ``action``; an illegal move is a conflict naming the current state."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise Conflict(
            f"Cannot {action.value} an allocation that is {current.value}.",
            current_state=current.value,
        ) from None


def side_of(org: str) -> str:
    """politie, defensie or joint: organisation ids name their side (catalog enforces it)."""
    return org.split("-", 1)[0]


def check_other_eyes(
    *, disputed_by: str, disputed_by_org: str, resolver: str, resolver_org: str, joint: bool
) -> None:
    """Who disputed an allocation does not resolve it, nor does a colleague on the same side:
    the joint controller or the other side's finance does, so no side settles its own
    objection (for instance by setting its own share to nothing)."""
    same_person = disputed_by == resolver
    same_side = not joint and side_of(disputed_by_org) == side_of(resolver_org)
    if same_person or same_side:
        raise Forbidden(
            f"{'You' if same_person else 'Your side'} disputed this allocation, so it is resolved "
            "by the joint controller or the other side's finance (four eyes).",
            disputed_by=disputed_by,
        )


OWN_SHARE_RULE = "own-share-needs-joint-controller"


@dataclass(frozen=True)
class Parties:
    requester_org: str
    owner_org: str

    def share_of(self, side: str, requester_amount: Decimal, owner_amount: Decimal) -> Decimal:
        """What ``side`` (politie, defensie) bears of an allocation split this way."""
        share = Decimal(0)
        if side_of(self.requester_org) == side:
            share += requester_amount
        if side_of(self.owner_org) == side:
            share += owner_amount
        return share


def check_own_share_kept(
    parties: Parties, *, resolver_org: str, before: Split, after: Split
) -> None:
    """A resolution that lowers the resolver's own side's share is the joint controller's:
    otherwise the side that pays settles the other side's objection in its own favour (for
    instance police finance setting the police share of a disputed bill to 0.00)."""
    side = side_of(resolver_org)
    was = parties.share_of(side, before.requester_amount, before.owner_amount)
    becomes = parties.share_of(side, after.requester_amount, after.owner_amount)
    if becomes < was:
        raise Forbidden(
            f"This resolution lowers your own side's share from {was} to {becomes}: only the "
            "joint controller may resolve it so (four eyes).",
            rule=OWN_SHARE_RULE,
        )


@dataclass(frozen=True)
class AgreementTerms:
    agreement_id: str
    legal_basis: str
    category: str | None
    owner_org: str | None
    requester_org: str | None
    valid_from: date
    valid_to: date | None
    price_basis: PriceBasis
    requester_share_pct: Decimal
    charge_mobilisation: bool

    @property
    def specificity(self) -> int:
        return sum(x is not None for x in (self.category, self.owner_org, self.requester_org))

    def covers(
        self, *, legal_basis: str, category: str, owner_org: str, requester_org: str, on: date
    ) -> bool:
        return (
            self.legal_basis == legal_basis
            and self.category in (None, category)
            and self.owner_org in (None, owner_org)
            and self.requester_org in (None, requester_org)
            and self.valid_from <= on
            and (self.valid_to is None or on < self.valid_to)
        )

    def ties_with(self, other: AgreementTerms) -> bool:
        """Could both cover one booking with equal specificity? Then choosing would be a guess."""
        if self.legal_basis != other.legal_basis or self.specificity != other.specificity:
            return False
        for mine, theirs in (
            (self.category, other.category),
            (self.owner_org, other.owner_org),
            (self.requester_org, other.requester_org),
        ):
            if mine is not None and theirs is not None and mine != theirs:
                return False
        ends_after = other.valid_to is None or self.valid_from < other.valid_to
        starts_before = self.valid_to is None or other.valid_from < self.valid_to
        return ends_after and starts_before


def check_terms(terms: AgreementTerms) -> None:
    if not Decimal(0) <= terms.requester_share_pct <= Decimal(100):
        raise Invalid(
            "The share is a percentage from 0 to 100.",
            errors={"requester_share_pct": ["Must be between 0 and 100."]},
        )
    if terms.valid_to is not None and terms.valid_to <= terms.valid_from:
        raise Invalid(
            "An agreement must end after it starts.",
            errors={"valid_to": ["Must be after valid_from."]},
        )


def choose_agreement(
    agreements: Iterable[AgreementTerms],
    *,
    legal_basis: str,
    category: str,
    owner_org: str,
    requester_org: str,
    on: date,
) -> AgreementTerms | None:
    """The most specific valid agreement covering the use, or None (finance must decide)."""
    covering = [
        a
        for a in agreements
        if a.covers(
            legal_basis=legal_basis,
            category=category,
            owner_org=owner_org,
            requester_org=requester_org,
            on=on,
        )
    ]
    return max(covering, key=lambda a: a.specificity, default=None)


@dataclass(frozen=True)
class Split:
    total: Decimal
    requester_amount: Decimal
    owner_amount: Decimal
    rate: Decimal
    usage: Decimal
    mobilisation_fee: Decimal


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def split_cost(
    *,
    usage: Decimal,
    full_cost_rate: Decimal,
    marginal_cost_rate: Decimal,
    mobilisation_fee: Decimal,
    terms: AgreementTerms,
) -> Split:
    """Price the use by the agreement's basis and split it between requester and owner."""
    rate = {
        PriceBasis.FULL_COST: full_cost_rate,
        PriceBasis.MARGINAL_COST: marginal_cost_rate,
        PriceBasis.FREE: Decimal(0),
    }[terms.price_basis]
    fee = (
        mobilisation_fee
        if terms.charge_mobilisation and terms.price_basis is not PriceBasis.FREE
        else Decimal(0)
    )
    total = to_cents(rate * usage + fee)
    requester = to_cents(total * terms.requester_share_pct / Decimal(100))
    return Split(
        total=total,
        requester_amount=requester,
        owner_amount=total - requester,
        rate=rate,
        usage=usage,
        mobilisation_fee=fee,
    )


@dataclass(frozen=True)
class LedgerLine:
    org: str
    side: str  # debit | credit
    kind: str  # requester_share | owner_borne | provision
    amount: Decimal


def ledger_lines(*, requester_org: str, owner_org: str, split: Split) -> list[LedgerLine]:
    """Balanced entries: the requester's share and the owner-borne part are debits; the owner
    is credited the whole cost of providing the capacity. Debits always equal credits."""
    lines = [
        LedgerLine(requester_org, "debit", "requester_share", split.requester_amount),
        LedgerLine(owner_org, "debit", "owner_borne", split.owner_amount),
        LedgerLine(owner_org, "credit", "provision", split.total),
    ]
    return [line for line in lines if line.amount != 0]


def reversal(lines: list[LedgerLine]) -> list[LedgerLine]:
    """The entries that cancel ``lines`` exactly (corrections never edit the ledger)."""
    flip = {"debit": "credit", "credit": "debit"}
    return [LedgerLine(x.org, flip[x.side], x.kind, x.amount) for x in lines]


def cancellation_split(
    *,
    hours_before_start: float,
    free_hours: int,
    pct: Decimal,
    estimate_total: Decimal,
    terms: AgreementTerms,
) -> Split | None:
    """A late cancellation costs pct % of the estimate, split like a use; early is free."""
    if hours_before_start >= free_hours or pct == 0 or estimate_total == 0:
        return None
    total = to_cents(estimate_total * pct / Decimal(100))
    requester = to_cents(total * terms.requester_share_pct / Decimal(100))
    return Split(
        total=total,
        requester_amount=requester,
        owner_amount=total - requester,
        rate=Decimal(0),
        usage=Decimal(0),
        mobilisation_fee=Decimal(0),
    )


def procurement_split(*, quantity: int, unit_price: Decimal, terms: AgreementTerms | None) -> Split:
    """An order: the quantity at the joint tier price; by default the caller pays it all."""
    total = to_cents(unit_price * quantity)
    share = terms.requester_share_pct if terms is not None else Decimal(100)
    requester = to_cents(total * share / Decimal(100))
    return Split(
        total=total,
        requester_amount=requester,
        owner_amount=total - requester,
        rate=unit_price,
        usage=Decimal(quantity),
        mobilisation_fee=Decimal(0),
    )


# Periods are spelled in ASCII digits: [0-9], not \d (which matches every script's digits).
_DIGITS = re.compile(r"[0-9]{4}")
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_YEAR = re.compile(r"([0-9]{4})")


def parse_period(period: str) -> tuple[date, date]:
    """'2026-Q4', '2026-11' or '2026' → [first day, first day after).

    ASCII digits only: ``\\d`` and ``int()`` also take Arabic-Indic or full-width digits, so
    '٢٠٢٦-Q4' would otherwise name 2026-Q4 under another spelling (and a second statement)."""
    year_ = period[:4]
    # A date() cannot hold year 0 or 10000.
    if _DIGITS.fullmatch(year_) and not 1 <= int(year_) <= 9998:
        raise Invalid(
            "A period lies in the years 0001 to 9998.",
            errors={"period": [f"Not a period: {period!r}"]},
        )
    if match := _QUARTER.fullmatch(period):
        year, quarter = int(match[1]), int(match[2])
        start = date(year, 3 * quarter - 2, 1)
        end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return start, end
    if match := _MONTH.fullmatch(period):
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12:
            return date(year, month, 1), date(year + (month == 12), month % 12 + 1, 1)
    if match := _YEAR.fullmatch(period):
        return date(int(match[1]), 1, 1), date(int(match[1]) + 1, 1, 1)
    raise Invalid(
        "A period is a year (2026), a quarter (2026-Q4) or a month (2026-11).",
        errors={"period": [f"Not a period: {period!r}"]},
    )
