"""Cost-sharing rules: which agreement applies, what a use costs, how it splits. Stdlib only.

Rounding rule: the cost is computed exactly, then rounded once to the cent (half up); the
requester's part is the total × share rounded half up; the owner bears the exact rest. So the
parts always add up to the whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from shared.errors import Invalid

CENT = Decimal("0.01")


class PriceBasis(StrEnum):
    FULL_COST = "full_cost"
    MARGINAL_COST = "marginal_cost"
    FREE = "free"


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

    def overlaps(self, other: AgreementTerms) -> bool:
        """Same scope, same specificity and overlapping validity: the choice would be a tie."""
        same_scope = (self.legal_basis, self.category, self.owner_org, self.requester_org) == (
            other.legal_basis,
            other.category,
            other.owner_org,
            other.requester_org,
        )
        ends_after = other.valid_to is None or self.valid_from < other.valid_to
        starts_before = self.valid_to is None or other.valid_from < self.valid_to
        return same_scope and ends_after and starts_before


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
