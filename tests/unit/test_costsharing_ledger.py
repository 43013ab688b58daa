"""Properties of the ledger rules, for any amounts: entries balance, a reversal cancels exactly,
every split adds up to the cent, and choosing an agreement never has to guess.

Rounding rule (services/costsharing/domain.py): the total is rounded once to the cent, half up;
the requester's part is total × share rounded half up; the owner bears the exact rest.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.costsharing.domain import (
    CENT,
    AgreementTerms,
    LedgerLine,
    PriceBasis,
    Split,
    cancellation_split,
    choose_agreement,
    ledger_lines,
    parse_period,
    procurement_split,
    reversal,
    split_cost,
)
from shared.errors import Invalid

PROPERTY = settings(max_examples=200, deadline=None, database=None)

money = st.decimals(min_value=0, max_value=Decimal("9999999.99"), places=2)
rates = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)
hours = st.decimals(min_value=0, max_value=Decimal("9999.99"), places=2)
shares = st.one_of(
    st.sampled_from([Decimal(0), Decimal(100), Decimal("33.33"), Decimal("66.67"), Decimal(50)]),
    st.decimals(min_value=0, max_value=100, places=2),
)
orgs = st.sampled_from(
    ["politie-rotterdam", "politie-amsterdam", "defensie-dhc", "defensie-duikgroep"]
)


def terms(share: Decimal = Decimal(100), **overrides: object) -> AgreementTerms:
    base: dict[str, object] = {
        "agreement_id": "a",
        "legal_basis": "bijstand_politiewet",
        "category": None,
        "owner_org": None,
        "requester_org": None,
        "valid_from": date(2026, 1, 1),
        "valid_to": None,
        "price_basis": PriceBasis.FULL_COST,
        "requester_share_pct": share,
        "charge_mobilisation": True,
    }
    base.update(overrides)
    return AgreementTerms(**base)  # type: ignore[arg-type]


@st.composite
def splits(draw: st.DrawFn) -> Split:
    """Any split the domain can produce: a use, a late cancellation or an order."""
    share = draw(shares)
    kind = draw(st.sampled_from(["use", "cancellation", "order"]))
    if kind == "use":
        return split_cost(
            usage=draw(hours),
            full_cost_rate=draw(rates),
            marginal_cost_rate=draw(rates),
            mobilisation_fee=draw(rates),
            terms=terms(
                share,
                price_basis=draw(st.sampled_from(list(PriceBasis))),
                charge_mobilisation=draw(st.booleans()),
            ),
        )
    if kind == "cancellation":
        made = cancellation_split(
            hours_before_start=0,
            free_hours=48,
            pct=draw(st.decimals(min_value=1, max_value=100, places=2)),
            estimate_total=draw(money),
            terms=terms(share),
        )
        assume(made is not None)
        assert made is not None
        return made
    return procurement_split(
        quantity=draw(st.integers(min_value=1, max_value=100_000)),
        unit_price=draw(rates),
        terms=terms(share),
    )


def cents(amount: Decimal) -> bool:
    return amount == amount.quantize(CENT) and amount.as_tuple().exponent == -2


def net_by_org(lines: list[LedgerLine]) -> dict[str, Decimal]:
    """Credits minus debits per organisation."""
    net: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        net[line.org] += line.amount if line.side == "credit" else -line.amount
    return dict(net)


def nonzero(net: dict[str, Decimal]) -> dict[str, Decimal]:
    return {org: amount for org, amount in net.items() if amount}


# -- ledger_lines ---------------------------------------------------------------------------------
@PROPERTY
@given(split=splits(), requester=orgs, owner=orgs)
def test_the_entries_of_any_split_balance_to_the_cent(
    split: Split, requester: str, owner: str
) -> None:
    lines = ledger_lines(requester_org=requester, owner_org=owner, split=split)
    debits = sum((x.amount for x in lines if x.side == "debit"), Decimal(0))
    credits = sum((x.amount for x in lines if x.side == "credit"), Decimal(0))
    assert debits == credits == split.total
    for line in lines:
        assert line.amount > 0 and cents(line.amount), line  # no zero or sub-cent rows
        assert line.side in ("debit", "credit")

    def booked(kind: str) -> Decimal:
        return sum((x.amount for x in lines if x.kind == kind), Decimal(0))

    assert booked("requester_share") == split.requester_amount  # debit the requester
    assert booked("owner_borne") == split.owner_amount  # the owner-borne part, as such
    assert booked("provision") == split.total  # credit the owner the whole cost
    assert all(x.org == requester for x in lines if x.kind == "requester_share")
    assert all(x.org == owner for x in lines if x.kind != "requester_share")


@PROPERTY
@given(split=splits(), requester=orgs, owner=orgs)
def test_the_requester_pays_its_share_and_the_owner_nets_the_same(
    split: Split, requester: str, owner: str
) -> None:
    assume(requester != owner)
    net = net_by_org(ledger_lines(requester_org=requester, owner_org=owner, split=split))
    assert net.get(requester, Decimal(0)) == -split.requester_amount
    assert net.get(owner, Decimal(0)) == split.requester_amount


# -- reversal -------------------------------------------------------------------------------------
@PROPERTY
@given(split=splits(), requester=orgs, owner=orgs)
def test_a_reversal_and_its_original_net_to_zero_per_org_and_line(
    split: Split, requester: str, owner: str
) -> None:
    lines = ledger_lines(requester_org=requester, owner_org=owner, split=split)
    reversed_ = reversal(lines)
    assert len(reversed_) == len(lines)
    assert all(n == 0 for n in net_by_org(lines + reversed_).values())
    per_line: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for x in lines + reversed_:
        per_line[(x.org, x.kind)] += x.amount if x.side == "credit" else -x.amount
    assert all(n == 0 for n in per_line.values())
    assert reversal(reversed_) == lines  # reversing twice gives the original back


@PROPERTY
@given(
    old=splits(),
    new_share=st.decimals(min_value=0, max_value=1, places=4),
    requester=orgs,
    owner=orgs,
)
def test_original_reversal_and_correction_net_to_the_correction(
    old: Split, new_share: Decimal, requester: str, owner: str
) -> None:
    # A resolution: reverse what was booked, book the corrected split; never edit a row.
    assume(requester != owner)
    requester_amount = (old.total * new_share).quantize(CENT)
    corrected = Split(
        total=old.total,
        requester_amount=requester_amount,
        owner_amount=old.total - requester_amount,
        rate=Decimal(0),
        usage=Decimal(0),
        mobilisation_fee=Decimal(0),
    )
    original = ledger_lines(requester_org=requester, owner_org=owner, split=old)
    correction = ledger_lines(requester_org=requester, owner_org=owner, split=corrected)
    everything = original + reversal(original) + correction
    assert nonzero(net_by_org(everything)) == nonzero(net_by_org(correction))
    debits = sum((x.amount for x in everything if x.side == "debit"), Decimal(0))
    credits = sum((x.amount for x in everything if x.side == "credit"), Decimal(0))
    assert debits == credits


# -- the parts of every split add up --------------------------------------------------------------
@PROPERTY
@given(
    estimate=money,
    pct=st.decimals(min_value=0, max_value=100, places=2),
    share=shares,
    before=st.floats(min_value=-100, max_value=500, allow_nan=False),
    free=st.integers(min_value=0, max_value=24 * 90),
)
def test_a_cancellation_fee_splits_exactly_and_only_when_late(
    estimate: Decimal, pct: Decimal, share: Decimal, before: float, free: int
) -> None:
    split = cancellation_split(
        hours_before_start=before,
        free_hours=free,
        pct=pct,
        estimate_total=estimate,
        terms=terms(share),
    )
    if before >= free or pct == 0 or estimate == 0:
        assert split is None
        return
    assert split is not None
    assert split.requester_amount + split.owner_amount == split.total
    assert all(
        cents(a) and a >= 0 for a in (split.total, split.requester_amount, split.owner_amount)
    )
    assert abs(split.total - estimate * pct / 100) <= Decimal("0.005")
    assert split.total <= estimate
    assert abs(split.requester_amount - split.total * share / 100) <= Decimal("0.005")


@PROPERTY
@given(
    quantity=st.integers(min_value=1, max_value=1_000_000),
    price=rates,
    share=st.one_of(st.none(), shares),
)
def test_a_call_off_splits_exactly_at_the_tier_price(
    quantity: int, price: Decimal, share: Decimal | None
) -> None:
    split = procurement_split(
        quantity=quantity, unit_price=price, terms=None if share is None else terms(share)
    )
    assert split.total == price * quantity  # prices are whole cents: nothing to round
    assert split.requester_amount + split.owner_amount == split.total
    assert all(
        cents(a) and a >= 0 for a in (split.total, split.requester_amount, split.owner_amount)
    )
    if share is None:  # no agreement: the unit that orders pays it all
        assert (split.requester_amount, split.owner_amount) == (split.total, 0)
    else:
        assert abs(split.requester_amount - split.total * share / 100) <= Decimal("0.005")


def test_the_rounding_rule_on_known_values() -> None:
    # 0.05 split 50/50: the requester's 0.025 rounds half up to 0.03; the owner bears 0.02.
    split = procurement_split(quantity=1, unit_price=Decimal("0.05"), terms=terms(Decimal(50)))
    assert (split.requester_amount, split.owner_amount) == (Decimal("0.03"), Decimal("0.02"))
    # 25 % of 0.10 = 0.025 → 0.03; 80 % of that = 0.024 → 0.02, the owner 0.01.
    fee = cancellation_split(
        hours_before_start=1,
        free_hours=2,
        pct=Decimal(25),
        estimate_total=Decimal("0.10"),
        terms=terms(Decimal(80)),
    )
    assert fee is not None
    assert (fee.total, fee.requester_amount, fee.owner_amount) == (
        Decimal("0.03"),
        Decimal("0.02"),
        Decimal("0.01"),
    )


# -- agreements: ties are exactly what would make choosing a guess --------------------------------
scope = st.one_of(st.none(), st.sampled_from(["x", "y"]))
days = st.integers(min_value=0, max_value=60)


@st.composite
def agreements(draw: st.DrawFn, agreement_id: str) -> AgreementTerms:
    start = date(2026, 1, 1) + timedelta(days=draw(days))
    length = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=60)))
    return terms(
        agreement_id=agreement_id,
        legal_basis=draw(st.sampled_from(["bijstand_politiewet", "steunverlening"])),
        category=draw(scope),
        owner_org=draw(scope),
        requester_org=draw(scope),
        valid_from=start,
        valid_to=None if length is None else start + timedelta(days=length),
    )


@PROPERTY
@given(a=agreements("a"), b=agreements("b"))
def test_a_tie_is_symmetric(a: AgreementTerms, b: AgreementTerms) -> None:
    assert a.ties_with(b) == b.ties_with(a)


@PROPERTY
@given(
    a=agreements("a"),
    b=agreements("b"),
    use=st.tuples(
        st.sampled_from(["bijstand_politiewet", "steunverlening"]),
        st.sampled_from(["x", "y"]),
        st.sampled_from(["x", "y"]),
        st.sampled_from(["x", "y"]),
        days,
    ),
)
def test_two_agreements_that_do_not_tie_never_leave_a_choice_to_guess(
    a: AgreementTerms, b: AgreementTerms, use: tuple[str, str, str, str, int]
) -> None:
    legal_basis, category, owner, requester, day = use
    on = date(2026, 1, 1) + timedelta(days=day)
    covering = [
        t
        for t in (a, b)
        if t.covers(
            legal_basis=legal_basis,
            category=category,
            owner_org=owner,
            requester_org=requester,
            on=on,
        )
    ]
    if len(covering) == 2 and a.specificity == b.specificity:
        assert a.ties_with(b)  # both would apply equally: creating the second is refused
    if not a.ties_with(b) and covering:
        chosen = choose_agreement(
            [a, b],
            legal_basis=legal_basis,
            category=category,
            owner_org=owner,
            requester_org=requester,
            on=on,
        )
        best = max(t.specificity for t in covering)
        assert [t for t in covering if t.specificity == best] == [chosen]


# -- periods --------------------------------------------------------------------------------------
@PROPERTY
@given(
    year=st.integers(min_value=1, max_value=9998),
    quarter=st.integers(1, 4),
    month=st.integers(1, 12),
)
def test_periods_are_half_open_and_nest(year: int, quarter: int, month: int) -> None:
    y_from, y_to = parse_period(f"{year:04d}")
    q_from, q_to = parse_period(f"{year:04d}-Q{quarter}")
    m_from, m_to = parse_period(f"{year:04d}-{month:02d}")
    assert (y_from, y_to) == (date(year, 1, 1), date(year + 1, 1, 1))
    assert y_from <= q_from < q_to <= y_to and y_from <= m_from < m_to <= y_to
    assert (q_to.year - q_from.year) * 12 + q_to.month - q_from.month == 3
    assert (m_from.month, (m_to - timedelta(days=1)).month) == (month, month)
    if (month - 1) // 3 + 1 == quarter:
        assert q_from <= m_from < m_to <= q_to


@PROPERTY
@given(text=st.text(max_size=12))
def test_anything_else_is_refused_as_invalid_never_an_error(text: str) -> None:
    try:
        first, after = parse_period(text)
    except Invalid as refused:
        assert refused.errors is not None and "period" in refused.errors
    else:
        assert first < after


@pytest.mark.parametrize(
    "period",
    [
        "2026-Q5",
        "2026-Q0",
        "2026-13",
        "2026-00",
        "abc",
        "",
        "2026-q4",
        "26-Q4",
        "2026-1",
        "0000",
        "9999-Q4",
        "9999-12",
        " 2026",
        "2026-Q4 ",
    ],
)
def test_strings_that_are_not_periods(period: str) -> None:
    with pytest.raises(Invalid):
        parse_period(period)
