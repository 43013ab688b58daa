"""Agreements (convenanten): who pays what, for a legal basis and optional scope; versioned."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select, tuple_

from services.costsharing.commands import PageRequest, RecordAgreement, ReviseAgreement
from services.costsharing.domain import AgreementTerms, PriceBasis, check_terms, choose_agreement
from services.costsharing.models import Agreement, AgreementVersion
from shared.auth import ADMIN, Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, NotFound, PreconditionFailed
from shared.paging import Page, decode_cursor, page_of

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
    uow: UnitOfWork,
    *,
    principal: Principal,
    command: RecordAgreement,
) -> Agreement:
    """An administrator records a cost-sharing agreement (convenant), in the caller's unit of
    work (the API's is the idempotent one: a retried request gets the first answer)."""
    if not principal.has_role(ADMIN):
        raise Forbidden("Only an administrator (beheerder-functioneel) records agreements.")
    uow.session.info.pop(_CACHE, None)
    row = Agreement(id=uuid.uuid4(), created_by=principal.sub, version=1, **command.columns())
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


def revise_agreement(
    uow: UnitOfWork,
    *,
    principal: Principal,
    agreement_id: uuid.UUID,
    command: ReviseAgreement,
    expected_version: int,
) -> Agreement:
    """A new version of the terms; allocations already made keep the version they used."""
    if not principal.has_role(ADMIN):
        raise Forbidden("Only an administrator (beheerder-functioneel) changes agreements.")
    with uow:
        uow.session.info.pop(_CACHE, None)
        row = uow.session.get(Agreement, agreement_id, with_for_update=True)
        if row is None:
            raise NotFound(f"Agreement {agreement_id} does not exist.")
        if row.version != expected_version:
            raise PreconditionFailed(
                f"The agreement is at version {row.version}; read it again.",
                current_version=row.version,
            )
        for field, value in command.changes().items():
            setattr(row, field, value)
        check_terms(terms_of(row))
        _refuse_ties(uow, row)
        row.version += 1
        uow.session.add(
            AgreementVersion(
                agreement_id=row.id,
                version=row.version,
                terms=_snapshot(row),
                changed_by=principal.sub,
            )
        )
        uow.commit()
    return row


def list_agreements(uow: UnitOfWork, *, page_in: PageRequest) -> Page[Agreement]:
    """Every agreement, by legal basis and name."""
    rows = select(Agreement)
    if page_in.cursor is not None:
        after = decode_cursor(page_in.cursor, str, str, uuid.UUID)
        rows = rows.where(tuple_(Agreement.legal_basis, Agreement.name, Agreement.id) > after)
    rows = rows.order_by(Agreement.legal_basis, Agreement.name, Agreement.id)
    with uow:
        found = uow.session.scalars(rows.limit(page_in.limit + 1)).all()
    return page_of(found, limit=page_in.limit, key=lambda a: (a.legal_basis, a.name, a.id))


def get_agreement(uow: UnitOfWork, *, agreement_id: uuid.UUID) -> Agreement:
    """One agreement, read in its own unit of work."""
    with uow:
        return agreement(uow, agreement_id=agreement_id)


def agreement(uow: UnitOfWork, *, agreement_id: uuid.UUID) -> Agreement:
    """One agreement, in the caller's unit of work (404 if there is none)."""
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
