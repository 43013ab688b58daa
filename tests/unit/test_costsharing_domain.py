"""Cost-sharing rules without a database: which agreement applies and how a cost splits."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.costsharing.domain import (
    CENT,
    AgreementTerms,
    PriceBasis,
    check_terms,
    choose_agreement,
    parse_period,
    split_cost,
    to_cents,
)
from shared.errors import Invalid

USE = {
    "legal_basis": "bijstand_politiewet",
    "category": "helicopter",
    "owner_org": "defensie-dhc",
    "requester_org": "politie-rotterdam",
}


def terms(agreement_id: str = "a", **overrides: object) -> AgreementTerms:
    base = AgreementTerms(
        agreement_id=agreement_id,
        legal_basis="bijstand_politiewet",
        category=None,
        owner_org=None,
        requester_org=None,
        valid_from=date(2026, 1, 1),
        valid_to=None,
        price_basis=PriceBasis.MARGINAL_COST,
        requester_share_pct=Decimal("100"),
        charge_mobilisation=True,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def choose(agreements: list[AgreementTerms], on: date = date(2026, 6, 1)) -> str | None:
    chosen = choose_agreement(agreements, on=on, **USE)
    return None if chosen is None else chosen.agreement_id


# -- choose_agreement -----------------------------------------------------------------------------
def test_no_agreement_means_none() -> None:
    assert choose([]) is None


def test_an_agreement_for_another_legal_basis_does_not_apply() -> None:
    assert choose([terms(legal_basis="steunverlening")]) is None


@pytest.mark.parametrize(
    "scope",
    [
        {"category": "dive_team"},
        {"owner_org": "defensie-duikgroep"},
        {"requester_org": "politie-amsterdam"},
    ],
)
def test_an_agreement_scoped_elsewhere_does_not_apply(scope: dict[str, str]) -> None:
    assert choose([terms(**scope)]) is None


def test_a_generic_agreement_applies_when_nothing_more_specific_does() -> None:
    assert choose([terms("generic"), terms("divers", category="dive_team")]) == "generic"


@pytest.mark.parametrize("order", [1, -1])
def test_the_most_specific_covering_agreement_wins(order: int) -> None:
    agreements = [
        terms("generic"),
        terms("category", category="helicopter"),
        terms("category+owner", category="helicopter", owner_org="defensie-dhc"),
        terms(
            "exact",
            category="helicopter",
            owner_org="defensie-dhc",
            requester_org="politie-rotterdam",
        ),
        terms(
            "exact-but-elsewhere",
            category="helicopter",
            owner_org="defensie-dhc",
            requester_org="politie-amsterdam",
        ),
    ][::order]
    assert choose(agreements) == "exact"
    assert choose([a for a in agreements if a.agreement_id != "exact"]) == "category+owner"


def test_a_more_specific_agreement_out_of_its_period_gives_way() -> None:
    agreements = [
        terms("generic"),
        terms("specific", category="helicopter", valid_to=date(2026, 3, 1)),
    ]
    assert choose(agreements, on=date(2026, 2, 28)) == "specific"
    assert choose(agreements, on=date(2026, 3, 1)) == "generic"


@pytest.mark.parametrize(
    ("on", "applies"),
    [
        (date(2025, 12, 31), False),
        (date(2026, 1, 1), True),  # valid_from is inclusive
        (date(2026, 12, 31), True),
        (date(2027, 1, 1), False),  # valid_to is exclusive
    ],
)
def test_validity_is_half_open(on: date, applies: bool) -> None:
    agreement = terms("a", valid_from=date(2026, 1, 1), valid_to=date(2027, 1, 1))
    assert (choose([agreement], on=on) == "a") is applies


def test_an_open_ended_agreement_applies_from_its_start_onwards() -> None:
    assert choose([terms("a")], on=date(2099, 1, 1)) == "a"
    assert choose([terms("a")], on=date(2025, 12, 31)) is None


# -- check_terms and ties --------------------------------------------------------------------
@pytest.mark.parametrize("share", ["0", "0.01", "50", "100"])
def test_shares_from_0_to_100_are_accepted(share: str) -> None:
    check_terms(terms(requester_share_pct=Decimal(share)))


@pytest.mark.parametrize("share", ["-0.01", "100.01", "250"])
def test_a_share_outside_0_to_100_is_invalid(share: str) -> None:
    with pytest.raises(Invalid) as raised:
        check_terms(terms(requester_share_pct=Decimal(share)))
    assert raised.value.errors is not None and "requester_share_pct" in raised.value.errors


@pytest.mark.parametrize("valid_to", [date(2026, 1, 1), date(2025, 6, 1)])
def test_an_agreement_ending_before_it_starts_is_invalid(valid_to: date) -> None:
    with pytest.raises(Invalid) as raised:
        check_terms(terms(valid_from=date(2026, 1, 1), valid_to=valid_to))
    assert raised.value.errors is not None and "valid_to" in raised.value.errors


def test_same_scope_and_overlapping_periods_tie() -> None:
    first = terms("1", valid_from=date(2026, 1, 1), valid_to=date(2027, 1, 1))
    assert first.ties_with(terms("2", valid_from=date(2026, 6, 1), valid_to=None))
    assert terms("2", valid_from=date(2025, 1, 1), valid_to=date(2026, 1, 2)).ties_with(first)
    assert terms("open").ties_with(first)


def test_equally_specific_agreements_that_could_cover_one_booking_tie() -> None:
    # A helicopter of DHC would be covered by both with the same specificity: a guess.
    by_category = terms("c", category="helicopter")
    by_owner = terms("o", owner_org="defensie-dhc")
    assert by_category.ties_with(by_owner)
    assert by_owner.ties_with(by_category)


def test_adjacent_periods_other_bases_or_exclusive_scopes_do_not_tie() -> None:
    first = terms("1", valid_from=date(2026, 1, 1), valid_to=date(2027, 1, 1))
    assert not first.ties_with(terms("2", valid_from=date(2027, 1, 1)))
    assert not terms("2", valid_from=date(2025, 1, 1), valid_to=date(2026, 1, 1)).ties_with(first)
    assert not first.ties_with(terms("3", legal_basis="steunverlening"))
    assert not terms("h", category="helicopter").ties_with(terms("d", category="dive_team"))


def test_a_more_specific_agreement_does_not_tie_with_a_generic_one() -> None:
    # Specificity decides between them, so both may be in force at once.
    assert not terms("generic").ties_with(terms("specific", category="helicopter"))


# -- split_cost -----------------------------------------------------------------------------------
RATES = {
    "full_cost_rate": Decimal("9800.00"),
    "marginal_cost_rate": Decimal("3900.00"),
    "mobilisation_fee": Decimal("1500.00"),
}


@pytest.mark.parametrize(
    ("basis", "charge", "total"),
    [
        (PriceBasis.FULL_COST, True, Decimal("26000.00")),  # 2.5 × 9800 + 1500
        (PriceBasis.MARGINAL_COST, True, Decimal("11250.00")),  # 2.5 × 3900 + 1500
        (PriceBasis.MARGINAL_COST, False, Decimal("9750.00")),
        (PriceBasis.FREE, True, Decimal("0.00")),  # free waives the fee too
    ],
)
def test_the_price_basis_picks_the_rate_and_the_fee(
    basis: PriceBasis, charge: bool, total: Decimal
) -> None:
    split = split_cost(
        usage=Decimal("2.50"),
        **RATES,
        terms=terms(price_basis=basis, charge_mobilisation=charge),
    )
    assert split.total == total
    assert split.requester_amount == total
    assert split.owner_amount == Decimal("0.00")


def test_an_odd_cent_goes_to_the_owner_after_rounding_the_requester_half_up() -> None:
    split = split_cost(
        usage=Decimal("1.00"),
        full_cost_rate=Decimal("0.05"),
        marginal_cost_rate=Decimal("0.05"),
        mobilisation_fee=Decimal("0"),
        terms=terms(requester_share_pct=Decimal("50")),
    )
    assert (split.total, split.requester_amount, split.owner_amount) == (
        Decimal("0.05"),
        Decimal("0.03"),  # 0.025 rounds half up
        Decimal("0.02"),
    )


def test_the_total_is_rounded_once_half_up() -> None:
    split = split_cost(
        usage=Decimal("0.01"),
        full_cost_rate=Decimal("0.50"),
        marginal_cost_rate=Decimal("0.50"),
        mobilisation_fee=Decimal("0"),
        terms=terms(),
    )
    assert split.total == Decimal("0.01")  # 0.005 → 0.01


def test_to_cents_rounds_half_up() -> None:
    assert to_cents(Decimal("0.005")) == Decimal("0.01")
    assert to_cents(Decimal("0.0049")) == Decimal("0.00")
    assert to_cents(Decimal("2.675")) == Decimal("2.68")


money = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)
hours = st.decimals(min_value=0, max_value=Decimal("9999.99"), places=2)
shares = st.one_of(
    st.integers(min_value=0, max_value=100).map(Decimal),
    st.decimals(min_value=0, max_value=100, places=2),
)


def whole_cents(amount: Decimal) -> bool:
    return amount == amount.quantize(CENT) and amount.as_tuple().exponent == -2


@settings(max_examples=500, deadline=None, database=None)
@given(
    usage=hours,
    full=money,
    marginal=money,
    fee=money,
    share=shares,
    basis=st.sampled_from(list(PriceBasis)),
    charge=st.booleans(),
)
def test_the_parts_always_add_up_to_the_whole_in_cents(
    usage: Decimal,
    full: Decimal,
    marginal: Decimal,
    fee: Decimal,
    share: Decimal,
    basis: PriceBasis,
    charge: bool,
) -> None:
    split = split_cost(
        usage=usage,
        full_cost_rate=full,
        marginal_cost_rate=marginal,
        mobilisation_fee=fee,
        terms=terms(price_basis=basis, requester_share_pct=share, charge_mobilisation=charge),
    )
    assert split.requester_amount + split.owner_amount == split.total
    for amount in (split.total, split.requester_amount, split.owner_amount):
        assert whole_cents(amount), amount
        assert amount >= 0
    assert split.requester_amount <= split.total
    # The requester pays its share of the total, to the nearest cent.
    assert abs(split.requester_amount - split.total * share / 100) <= Decimal("0.005")
    if share == 100:
        assert split.owner_amount == 0
    if share == 0:
        assert split.requester_amount == 0
    if basis is PriceBasis.FREE:
        assert split.total == 0


@pytest.mark.parametrize(
    ("period", "first", "after"),
    [
        ("2026", date(2026, 1, 1), date(2027, 1, 1)),
        ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 4, 1)),
        ("2026-11", date(2026, 11, 1), date(2026, 12, 1)),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
    ],
)
def test_a_period_is_a_year_a_quarter_or_a_month(period: str, first: date, after: date) -> None:
    assert parse_period(period) == (first, after)


@pytest.mark.parametrize(
    "period",
    [
        "\u0662\u0660\u0662\u0666-Q4",  # Arabic-Indic digits: ٢٠٢٦-Q4
        "\uff12\uff10\uff12\uff16-Q4",  # full-width digits: ２０２６-Q4
        "2026-Q\u0664",  # ٤ for the quarter
        "2026-\uff11\uff11",  # ２０２６-１１: a full-width month
        "\u0662\u0660\u0662\u0666",  # a year in Arabic-Indic digits
        "\u0966\u0966\u0966\u0966",  # Devanagari zeros: not even the 0001-9998 check may read it
        "2026\n",
    ],
)
def test_a_period_is_spelled_in_ascii_digits(period: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse_period(period)
    assert refused.value.errors is not None and "period" in refused.value.errors
