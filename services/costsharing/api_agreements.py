"""HTTP entry points of agreements: list, record, preview, read and revise."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from flask.views import MethodView

from services.costsharing import agreement_preview, agreements
from services.costsharing.agreement_schemas import (
    AgreementCreate,
    AgreementPage,
    AgreementPreviewIn,
    AgreementPreviewRead,
    AgreementRead,
    AgreementUpdate,
)
from services.costsharing.blueprint import blp
from services.costsharing.commands import (
    PageRequest,
    PreviewAgreement,
    RecordAgreement,
    ReviseAgreement,
)
from services.costsharing.models import Agreement
from services.costsharing.schemas import PageQuery
from shared.auth import ADMIN, current_principal, require_roles
from shared.db import UnitOfWork
from shared.idempotency import run_idempotent
from shared.web import if_match_version, json_response, request_uow


def _etagged(row: Agreement) -> tuple[Agreement, dict[str, str]]:
    """The agreement and its ETag, as shared.web.with_etag spells it (its version)."""
    return row, {"ETag": f'"v{row.version}"'}


@blp.route("/agreements")
class Agreements(MethodView):
    @require_roles()
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, AgreementPage)
    def get(self, page: PageRequest) -> Any:
        """List cost-sharing agreements, by legal basis and name, paged by `next_cursor`"""
        return agreements.list_agreements(request_uow(), page_in=page)

    @require_roles()
    @blp.arguments(AgreementCreate)
    @blp.response(201, AgreementRead)
    def post(self, agreement_in: RecordAgreement) -> Any:
        """Record an agreement (administrator); a tie with an existing one is refused"""
        principal = current_principal()

        def action(uow: UnitOfWork) -> dict[str, Any]:
            row = agreements.create_agreement(uow, principal=principal, command=agreement_in)
            return dict(AgreementRead().dump(row))

        # Served as stored: a retried request (same Idempotency-Key) gets the first answer's
        # very body, which the idempotency table keeps already dumped.
        body, _ = run_idempotent(
            request_uow, actor=principal.sub, body=asdict(agreement_in), action=action
        )
        return json_response(body, 201)


@blp.route("/agreements/preview")
class AgreementPreview(MethodView):
    @require_roles(ADMIN)
    @blp.arguments(AgreementPreviewIn)
    @blp.response(200, AgreementPreviewRead)
    def post(self, preview: PreviewAgreement) -> Any:
        """What an agreement would cover, before it is saved (administrator); writes nothing

        The uses already allocated (past uses, late cancellations, orders) and the coming
        bookings (requested, counter-offered, approved or in use, not yet ended) in the
        agreement's legal basis, scope and dates; for each, whether these terms would price it
        or a more specific agreement would win (`won_by`), and which agreement prices it now
        (`current`). Counts cover up to 2,000 uses per side (`truncated` says when there are
        more); up to 50 are listed. `ties` names the agreements these terms tie with: saving
        them would be refused (409). With `agreement_id`, the terms are a new version of that
        agreement: its scope and start stay, and it does not compete with itself.
        """
        return agreement_preview.preview_agreement(
            request_uow(), principal=current_principal(), command=preview
        )


@blp.route("/agreements/<uuid:agreement_id>")
class AgreementById(MethodView):
    @require_roles()
    @blp.response(200, AgreementRead)
    def get(self, agreement_id: uuid.UUID) -> Any:
        """One agreement (ETag = its version)"""
        return _etagged(agreements.get_agreement(request_uow(), agreement_id=agreement_id))

    @require_roles()
    @blp.arguments(AgreementUpdate)
    @blp.response(200, AgreementRead)
    def patch(self, revision: ReviseAgreement, agreement_id: uuid.UUID) -> Any:
        """New version of the terms (administrator; If-Match); past allocations keep theirs"""
        row = agreements.revise_agreement(
            request_uow(),
            principal=current_principal(),
            agreement_id=agreement_id,
            command=revision,
            expected_version=if_match_version(),
        )
        return _etagged(row)
