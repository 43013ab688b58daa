"""Agreements (convenanten): who pays what, for a legal basis and optional scope; versioned."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from services.costsharing.domain import AgreementTerms, PriceBasis, check_terms, choose_agreement
from services.costsharing.models import Agreement, AgreementVersion, Allocation, BookingFacts
from shared.auth import ADMIN, Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, NotFound, PreconditionFailed
from shared.tariffs import tariff_day

TERM_FIELDS = (
    "legal_basis",
    "category",
    "owner_org",
    "requester_org",
    "valid_from",
    "valid_to",
    "price_basis",
    "requester_share_pct",
    "charge_mobilisation",
    "cancellation_free_hours",
    "cancellation_pct",
)


# What a new version may change (AgreementUpdate): the scope and the start stay.
VERSIONED_FIELDS = (
    "valid_to",
    "price_basis",
    "requester_share_pct",
    "charge_mobilisation",
    "cancellation_free_hours",
    "cancellation_pct",
)


def terms_of(row: Agreement) -> AgreementTerms:
    return AgreementTerms(
        agreement_id=str(row.id),
        legal_basis=row.legal_basis,
        category=row.category,
        owner_org=row.owner_org,
        requester_org=row.requester_org,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        price_basis=PriceBasis(row.price_basis),
        requester_share_pct=row.requester_share_pct,
        charge_mobilisation=row.charge_mobilisation,
    )


def _snapshot(row: Agreement) -> dict[str, Any]:
    return {
        f: (str(v) if v is not None and not isinstance(v, bool | int) else v)
        for f in TERM_FIELDS
        for v in [getattr(row, f)]
    }


def _refuse_ties(uow: UnitOfWork, row: Agreement) -> None:
    # Serialise agreement writes so two tying agreements cannot slip in side by side.
    uow.session.connection().exec_driver_sql("LOCK TABLE agreements IN SHARE ROW EXCLUSIVE MODE")
    terms = terms_of(row)
    for other in uow.session.scalars(
        select(Agreement).where(Agreement.legal_basis == row.legal_basis, Agreement.id != row.id)
    ):
        if terms.ties_with(terms_of(other)):
            raise Conflict(
                f"Agreement {other.name!r} ({other.id}) would cover the same bookings with the "
                "same specificity in an overlapping period; make one more specific or end it.",
                conflicting_agreement=str(other.id),
            )


def create_agreement(
    uow: UnitOfWork, *, principal: Principal, agreement_in: dict[str, Any]
) -> Agreement:
    """An administrator records a cost-sharing agreement (convenant)."""
    if not principal.has_role(ADMIN):
        raise Forbidden("Only an administrator (beheerder-functioneel) records agreements.")
    uow.session.info.pop(_CACHE, None)
    row = Agreement(id=uuid.uuid4(), created_by=principal.sub, version=1, **agreement_in)
    check_terms(terms_of(row))
    _refuse_ties(uow, row)
    uow.session.add(row)
    uow.session.flush()
    uow.session.add(
        AgreementVersion(
            agreement_id=row.id, version=1, terms=_snapshot(row), changed_by=principal.sub
        )
    )
    return row


def update_agreement(
    uow: UnitOfWork,
    *,
    principal: Principal,
    agreement_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: int,
) -> Agreement:
    """A new version of the terms; allocations already made keep the version they used."""
    if not principal.has_role(ADMIN):
        raise Forbidden("Only an administrator (beheerder-functioneel) changes agreements.")
    uow.session.info.pop(_CACHE, None)
    row = uow.session.get(Agreement, agreement_id, with_for_update=True)
    if row is None:
        raise NotFound(f"Agreement {agreement_id} does not exist.")
    if row.version != expected_version:
        raise PreconditionFailed(
            f"The agreement is at version {row.version}; read it again.",
            current_version=row.version,
        )
    for field, value in changes.items():
        setattr(row, field, value.value if hasattr(value, "value") else value)
    check_terms(terms_of(row))
    _refuse_ties(uow, row)
    row.version += 1
    uow.session.add(
        AgreementVersion(
            agreement_id=row.id, version=row.version, terms=_snapshot(row), changed_by=principal.sub
        )
    )
    uow.session.flush()
    return row


def list_agreements(uow: UnitOfWork) -> Sequence[Agreement]:
    return uow.session.scalars(
        select(Agreement).order_by(Agreement.legal_basis, Agreement.name)
    ).all()


def get_agreement(uow: UnitOfWork, *, agreement_id: uuid.UUID) -> Agreement:
    row = uow.session.get(Agreement, agreement_id)
    if row is None:
        raise NotFound(f"Agreement {agreement_id} does not exist.")
    return row


# Agreements of a legal basis, read once per transaction: the consumer prices a whole polled
# batch in one transaction, and agreements change rarely (writing one clears this).
_CACHE = "agreements-by-legal-basis"


def _agreements_of(
    uow: UnitOfWork, legal_basis: str
) -> tuple[dict[str, Agreement], list[AgreementTerms]]:
    """The agreements of a legal basis and their terms, read once per transaction."""
    session = uow.session
    transaction = session.get_transaction()
    cached = session.info.get(_CACHE)
    if cached is None or cached[0] is not transaction:
        cached = session.info[_CACHE] = (transaction, {})
    by_basis: dict[str, tuple[dict[str, Agreement], list[AgreementTerms]]] = cached[1]
    found = by_basis.get(legal_basis)
    if found is None:
        rows = {
            str(r.id): r
            for r in session.scalars(select(Agreement).where(Agreement.legal_basis == legal_basis))
        }
        found = by_basis[legal_basis] = (rows, [terms_of(r) for r in rows.values()])
    return found


def applicable(
    uow: UnitOfWork,
    *,
    legal_basis: str,
    category: str,
    owner_org: str,
    requester_org: str,
    on: date,
) -> Agreement | None:
    """The most specific valid agreement for a use, or None (finance must decide)."""
    rows, terms = _agreements_of(uow, legal_basis)
    chosen = choose_agreement(
        terms,
        legal_basis=legal_basis,
        category=category,
        owner_org=owner_org,
        requester_org=requester_org,
        on=on,
    )
    return rows[chosen.agreement_id] if chosen else None


# -- preview: what an agreement would cover, before it is saved ---------------------------------
PREVIEW_ITEMS = 50  # listed per side; the counts cover everything examined
PREVIEW_SCAN = 2000  # bookings examined per side at most (``truncated`` says when more exist)
COMING_STATES = ("requested", "counter_offered", "approved", "in_use")


def _in_scope(terms: AgreementTerms, model: Any) -> list[Any]:
    """SQL conditions: the agreement's legal basis and, where it names one, its scope."""
    conditions = [model.legal_basis == terms.legal_basis]
    for field in ("category", "owner_org", "requester_org"):
        wanted = getattr(terms, field)
        if wanted is not None:
            conditions.append(getattr(model, field) == wanted)
    return conditions


def _brief(row: Agreement | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"id": str(row.id), "name": row.name, "version": row.version}


def _verdicts(
    candidate: AgreementTerms,
    others: dict[str, Agreement],
    uses: list[dict[str, Any]],
    truncated: bool,
) -> dict[str, Any]:
    """For each use in the agreement's dates: does the candidate win, and which agreement
    prices it now (or would win over the candidate: a more specific one)."""
    competing = [terms_of(r) for r in others.values()]
    items: list[dict[str, Any]] = []
    matched = covered = 0
    for use in uses:
        facts = {k: use[k] for k in ("category", "owner_org", "requester_org")}
        on: date = use["on"]
        if not candidate.covers(legal_basis=candidate.legal_basis, on=on, **facts):
            continue  # in scope but outside the agreement's dates
        winner = choose_agreement(
            [*competing, candidate], legal_basis=candidate.legal_basis, on=on, **facts
        )
        now = choose_agreement(competing, legal_basis=candidate.legal_basis, on=on, **facts)
        wins = winner is candidate
        matched += 1
        covered += wins
        if len(items) < PREVIEW_ITEMS:
            items.append(
                {
                    **{k: v for k, v in use.items() if k != "on"},
                    "date": on.isoformat(),
                    "covered": wins,
                    "won_by": None
                    if wins or winner is None
                    else _brief(others[winner.agreement_id]),
                    "current": _brief(others[now.agreement_id]) if now else None,
                }
            )
    return {
        "matched": matched,
        "covered": covered,
        "won_elsewhere": matched - covered,
        "truncated": truncated,
        "items": items,
    }


def preview_agreement(
    uow: UnitOfWork,
    *,
    principal: Principal,
    terms_in: dict[str, Any],
    agreement_id: uuid.UUID | None,
) -> dict[str, Any]:
    """Which uses already allocated and coming bookings the terms would cover, and where a
    more specific agreement would win instead. Writes nothing. ``agreement_id`` previews a new
    version of that agreement (its current version does not compete with itself)."""
    if not principal.has_role(ADMIN):
        raise Forbidden("Only an administrator (beheerder-functioneel) previews agreements.")
    session = uow.session
    if agreement_id is not None:
        current = get_agreement(uow, agreement_id=agreement_id)
        changed = {f: terms_in[f] for f in VERSIONED_FIELDS if f in terms_in}
        terms_in = {**{f: getattr(current, f) for f in TERM_FIELDS}, **changed}
    candidate = AgreementTerms(
        agreement_id=str(agreement_id or "preview"),
        legal_basis=terms_in["legal_basis"],
        category=terms_in.get("category"),
        owner_org=terms_in.get("owner_org"),
        requester_org=terms_in.get("requester_org"),
        valid_from=terms_in["valid_from"],
        valid_to=terms_in.get("valid_to"),
        price_basis=PriceBasis(terms_in["price_basis"]),
        requester_share_pct=terms_in["requester_share_pct"],
        charge_mobilisation=terms_in.get("charge_mobilisation", True),
    )
    check_terms(candidate)
    others = {
        str(r.id): r
        for r in session.scalars(
            select(Agreement).where(Agreement.legal_basis == candidate.legal_basis)
        )
        if r.id != agreement_id
    }
    ties = [_brief(r) for r in others.values() if candidate.ties_with(terms_of(r))]
    past_rows = session.execute(
        select(
            Allocation.booking_id,
            Allocation.kind,
            Allocation.category,
            Allocation.owner_org,
            Allocation.requester_org,
            Allocation.used_on,
            Allocation.state,
        )
        .where(*_in_scope(candidate, Allocation))
        .order_by(Allocation.used_on.desc(), Allocation.id)
        .limit(PREVIEW_SCAN + 1)
    ).all()
    coming_rows = session.execute(
        select(
            BookingFacts.booking_id,
            BookingFacts.category,
            BookingFacts.owner_org,
            BookingFacts.requester_org,
            BookingFacts.planned_start,
            BookingFacts.state,
        )
        .where(
            *_in_scope(candidate, BookingFacts),
            BookingFacts.state.in_(COMING_STATES),
            BookingFacts.planned_end > datetime.now(UTC),
        )
        .order_by(BookingFacts.planned_start, BookingFacts.booking_id)
        .limit(PREVIEW_SCAN + 1)
    ).all()
    past = [
        {
            "booking_id": str(r.booking_id),
            "kind": r.kind,
            "category": r.category,
            "owner_org": r.owner_org,
            "requester_org": r.requester_org,
            "state": r.state,
            "on": r.used_on,
        }
        for r in past_rows[:PREVIEW_SCAN]
    ]
    coming = [
        {
            "booking_id": str(r.booking_id),
            "kind": "usage",
            "category": r.category,
            "owner_org": r.owner_org,
            "requester_org": r.requester_org,
            "state": r.state,
            "on": tariff_day(r.planned_start),
        }
        for r in coming_rows[:PREVIEW_SCAN]
    ]
    return {
        "ties": ties,
        "past": _verdicts(candidate, others, past, len(past_rows) > PREVIEW_SCAN),
        "coming": _verdicts(candidate, others, coming, len(coming_rows) > PREVIEW_SCAN),
    }
