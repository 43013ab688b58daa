"""What an agreement would cover, before it is saved: the uses already allocated and the
coming bookings in its scope and dates, and for each whether it would win. Writes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from services.costsharing.agreements import TERM_FIELDS, VERSIONED_FIELDS, agreement, terms_of
from services.costsharing.commands import PreviewAgreement
from services.costsharing.domain import AgreementTerms, PriceBasis, check_terms, choose_agreement
from services.costsharing.models import Agreement, Allocation, BookingFacts
from shared.auth import ADMIN, Principal
from shared.db import UnitOfWork
from shared.errors import Forbidden
from shared.tariffs import tariff_day

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
    uow: UnitOfWork, *, principal: Principal, command: PreviewAgreement
) -> dict[str, Any]:
    """Which uses already allocated and coming bookings the terms would cover, and where a
    more specific agreement would win instead. Writes nothing. ``agreement_id`` previews a new
    version of that agreement (its current version does not compete with itself)."""
    if not principal.has_role(ADMIN):
        raise Forbidden("Only an administrator (beheerder-functioneel) previews agreements.")
    with uow:
        candidate = _candidate(uow, command)
        others = {
            str(r.id): r
            for r in uow.session.scalars(
                select(Agreement).where(Agreement.legal_basis == candidate.legal_basis)
            )
            if r.id != command.agreement_id
        }
        past, past_truncated = _past_uses(uow, candidate)
        coming, coming_truncated = _coming_uses(uow, candidate)
    return {
        "ties": [_brief(r) for r in others.values() if candidate.ties_with(terms_of(r))],
        "past": _verdicts(candidate, others, past, past_truncated),
        "coming": _verdicts(candidate, others, coming, coming_truncated),
    }


def _candidate(uow: UnitOfWork, command: PreviewAgreement) -> AgreementTerms:
    """The previewed terms; a new version's are its agreement's with the changes applied."""
    terms_in, agreement_id = command.terms(), command.agreement_id
    if agreement_id is not None:
        current = agreement(uow, agreement_id=agreement_id)
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
    return candidate


def _past_uses(uow: UnitOfWork, candidate: AgreementTerms) -> tuple[list[dict[str, Any]], bool]:
    """The allocated uses in the terms' scope, newest first (up to PREVIEW_SCAN; more?)."""
    rows = uow.session.execute(
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
    uses = [
        {
            "booking_id": str(r.booking_id),
            "kind": r.kind,
            "category": r.category,
            "owner_org": r.owner_org,
            "requester_org": r.requester_org,
            "state": r.state,
            "on": r.used_on,
        }
        for r in rows[:PREVIEW_SCAN]
    ]
    return uses, len(rows) > PREVIEW_SCAN


def _coming_uses(uow: UnitOfWork, candidate: AgreementTerms) -> tuple[list[dict[str, Any]], bool]:
    """The bookings in the terms' scope not yet ended, soonest first (up to PREVIEW_SCAN)."""
    rows = uow.session.execute(
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
    uses = [
        {
            "booking_id": str(r.booking_id),
            "kind": "usage",
            "category": r.category,
            "owner_org": r.owner_org,
            "requester_org": r.requester_org,
            "state": r.state,
            "on": tariff_day(r.planned_start),
        }
        for r in rows[:PREVIEW_SCAN]
    ]
    return uses, len(rows) > PREVIEW_SCAN
