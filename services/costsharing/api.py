"""Cost-sharing HTTP entry points: agreements, estimates, allocations, statements, efficiency,
evaluation."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, request
from flask.views import MethodView

from services.costsharing import (
    agreements,
    allocations,
    efficiency,
    estimates,
    evaluation,
    statements,
)
from services.costsharing.domain import parse_period
from services.costsharing.ledger_export import export_lines
from services.costsharing.schemas import (
    AgreementCreate,
    AgreementPreviewIn,
    AgreementPreviewRead,
    AgreementRead,
    AgreementUpdate,
    AllocationQuery,
    AllocationRead,
    EfficiencyQuery,
    EstimateBatchIn,
    EstimateBatchRead,
    EstimateIn,
    EstimateRead,
    EvaluationQuery,
    LedgerEntryRead,
    LedgerExportQuery,
    ResolveIn,
    ReviewIn,
    ReviewRead,
    StatementClose,
    StatementQuery,
    StatementRead,
)
from shared.auth import ADMIN, FINANCE, current_principal, require_roles
from shared.db import UnitOfWork
from shared.errors import Forbidden
from shared.idempotency import run_idempotent
from shared.web import (
    Blueprint,
    if_match_version,
    json_response,
    localized_problem,
    request_uow,
    with_content_language,
    with_etag,
)

blp = Blueprint("costsharing", __name__, url_prefix="/api/v1", description="Who pays what")


@blp.route("/agreements")
class Agreements(MethodView):
    @require_roles()
    @blp.response(200, AgreementRead(many=True))
    def get(self) -> Any:
        """List cost-sharing agreements"""
        with request_uow() as uow:
            return json_response(AgreementRead(many=True).dump(agreements.list_agreements(uow)))

    @require_roles()
    @blp.arguments(AgreementCreate)
    @blp.response(201, AgreementRead)
    def post(self, agreement_in: dict[str, Any]) -> Any:
        """Record an agreement (administrator); a tie with an existing one is refused"""
        principal = current_principal()

        def action(uow: UnitOfWork) -> dict[str, Any]:
            row = agreements.create_agreement(uow, principal=principal, agreement_in=agreement_in)
            return dict(AgreementRead().dump(row))

        body, _ = run_idempotent(request_uow, actor=principal.sub, body=agreement_in, action=action)
        return json_response(body, 201)


@blp.route("/agreements/preview")
class AgreementPreview(MethodView):
    @require_roles(ADMIN)
    @blp.arguments(AgreementPreviewIn)
    @blp.response(200, AgreementPreviewRead)
    def post(self, terms_in: dict[str, Any]) -> Any:
        """What an agreement would cover, before it is saved (administrator); writes nothing

        The uses already allocated (past uses, late cancellations, call-offs) and the coming
        bookings (requested, counter-offered, approved or in use, not yet ended) in the
        agreement's legal basis, scope and dates; for each, whether these terms would price it
        or a more specific agreement would win (`won_by`), and which agreement prices it now
        (`current`). Counts cover up to 2,000 uses per side (`truncated` says when there are
        more); up to 50 are listed. `ties` names the agreements these terms tie with: saving
        them would be refused (409). With `agreement_id`, the terms are a new version of that
        agreement: its scope and start stay, and it does not compete with itself.
        """
        agreement_id = terms_in.pop("agreement_id", None)
        with request_uow() as uow:
            return json_response(
                AgreementPreviewRead().dump(
                    agreements.preview_agreement(
                        uow,
                        principal=current_principal(),
                        terms_in=terms_in,
                        agreement_id=agreement_id,
                    )
                )
            )


@blp.route("/agreements/<uuid:agreement_id>")
class AgreementById(MethodView):
    @require_roles()
    @blp.response(200, AgreementRead)
    def get(self, agreement_id: uuid.UUID) -> Any:
        """One agreement (ETag = its version)"""
        with request_uow() as uow:
            row = agreements.get_agreement(uow, agreement_id=agreement_id)
            return with_etag(json_response(AgreementRead().dump(row)), row.version)

    @require_roles()
    @blp.arguments(AgreementUpdate)
    @blp.response(200, AgreementRead)
    def patch(self, changes: dict[str, Any], agreement_id: uuid.UUID) -> Any:
        """New version of the terms (administrator; If-Match); past allocations keep theirs"""
        expected = if_match_version()
        with request_uow() as uow:
            row = agreements.update_agreement(
                uow,
                principal=current_principal(),
                agreement_id=agreement_id,
                changes=changes,
                expected_version=expected,
            )
            response = with_etag(json_response(AgreementRead().dump(row)), row.version)
            uow.commit()
        return response


@blp.route("/estimates")
class Estimates(MethodView):
    @require_roles()
    @blp.arguments(EstimateIn)
    @blp.response(200, EstimateRead)
    def post(self, estimate_in: dict[str, Any]) -> Any:
        """What a use would cost and how it would split (illustrative tariffs in the demo)"""
        with request_uow() as uow:
            return json_response(
                estimates.estimate(uow, principal=current_principal(), estimate_in=estimate_in)
            )


@blp.route("/estimates/batch")
class EstimateBatch(MethodView):
    @require_roles()
    @blp.arguments(EstimateBatchIn)
    @blp.response(200, EstimateBatchRead)
    def post(self, batch: dict[str, Any]) -> Any:
        """Many estimates in one call, e.g. every asset of a search-results page

        Up to 100 items, each the body of one `POST /estimates`; the answer lists them in the
        same order, each with its `index` and either its `estimate` or, when that item cannot
        be estimated (an unknown asset, an end not after the start), a `problem` (RFC 9457
        members) while the other items keep theirs. A malformed item refuses the whole batch:
        a 422 whose `errors` name the item and field, e.g. `items.3.end`. Permissions are those
        of `/estimates`; nothing is written.
        """
        with request_uow() as uow:
            results = estimates.estimate_batch(
                uow, principal=current_principal(), items=batch["items"]
            )
        for result in results:
            if result["problem"] is not None:
                result["problem"] = localized_problem(result["problem"])
        return with_content_language(json_response({"items": results}))


@blp.route("/allocations")
class Allocations(MethodView):
    @require_roles()
    @blp.arguments(AllocationQuery, location="query")
    @blp.response(200, AllocationRead(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        """List the allocations you may see"""
        with request_uow() as uow:
            rows = allocations.list_allocations(uow, principal=current_principal(), **query)
            return json_response(AllocationRead(many=True).dump(rows))


@blp.route("/allocations/<uuid:allocation_id>")
class AllocationById(MethodView):
    @require_roles()
    @blp.response(200, AllocationRead)
    def get(self, allocation_id: uuid.UUID) -> Any:
        """One allocation, linked to its booking and the event that caused it"""
        with request_uow() as uow:
            return json_response(
                AllocationRead().dump(
                    allocations.get_allocation(
                        uow, principal=current_principal(), allocation_id=allocation_id
                    )
                )
            )


@blp.route("/allocations/<uuid:allocation_id>/ledger")
class AllocationLedger(MethodView):
    @require_roles()
    @blp.response(200, LedgerEntryRead(many=True))
    def get(self, allocation_id: uuid.UUID) -> Any:
        """The ledger entries an allocation wrote (originals, reversals, corrections)"""
        with request_uow() as uow:
            allocations.get_allocation(
                uow, principal=current_principal(), allocation_id=allocation_id
            )
            return json_response(
                LedgerEntryRead(many=True).dump(
                    allocations.ledger_of(uow, allocation_id=allocation_id)
                )
            )


@blp.route("/allocations/<uuid:allocation_id>/reviews")
class AllocationReviews(MethodView):
    @require_roles()
    @blp.response(200, ReviewRead(many=True))
    def get(self, allocation_id: uuid.UUID) -> Any:
        """Who reviewed the allocation, how and why"""
        with request_uow() as uow:
            allocations.get_allocation(
                uow, principal=current_principal(), allocation_id=allocation_id
            )
            return json_response(
                ReviewRead(many=True).dump(allocations.reviews_of(uow, allocation_id=allocation_id))
            )


def _register_review(action: str, schema: type, summary: str) -> None:
    @blp.route(f"/allocations/<uuid:allocation_id>/{action}", endpoint=f"allocation_{action}")
    class _Review(MethodView):
        @require_roles()
        @blp.arguments(schema)
        @blp.response(200, AllocationRead)
        def post(self, body: dict[str, Any], allocation_id: uuid.UUID) -> Any:
            with request_uow() as uow:
                row = allocations.review(
                    uow,
                    principal=current_principal(),
                    allocation_id=allocation_id,
                    action=action,
                    **body,
                )
                result = AllocationRead().dump(row)
                uow.commit()
            return json_response(result)

    _Review.post.__doc__ = summary


_register_review("approve", ReviewIn, "Approve a proposed allocation (finance)")
_register_review("dispute", ReviewIn, "Dispute a proposed allocation with a reason (finance)")
_register_review(
    "resolve",
    ResolveIn,
    "Resolve by reversing and correcting: reprice by an agreement or set the "
    "requester's share (finance)",
)


@blp.route("/statements")
class Statements(MethodView):
    @require_roles()
    @blp.arguments(StatementQuery, location="query")
    @blp.response(200, StatementRead)
    @blp.alt_response(200, content_type="text/csv", description="Accept: text/csv")
    def get(self, query: dict[str, Any]) -> Any:
        """An organisation's statement for a period (2026, 2026-Q4, 2026-11); JSON or CSV

        While the period is open: every ledger line of the organisation for uses in it, and
        their totals. Once closed, the statement stays what it was closed with: `lines` are
        the lines it held then and `totals` the totals stored at closing. Whatever reaches the
        period after closing (a use reported late, its review) never changes those figures;
        it is listed apart under `after_closing` (`lines` and `totals`): what finance still
        has to settle. This statement does not settle it, and no later statement takes it up
        by itself. The CSV has the same parts: the lines and a `totaal` row, then, once
        closed, a `na afsluiting` row, the later lines and their `totaal na afsluiting`.
        """
        with request_uow() as uow:
            doc = statements.statement(uow, principal=current_principal(), **query)
        if wants_csv():
            filename = f"slagkracht-{doc['org']}-{doc['period']}.csv"
            return Response(
                statements.to_csv(doc),
                mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        return json_response(doc)


@blp.route("/statements/close")
class CloseStatement(MethodView):
    @require_roles()
    @blp.arguments(StatementClose)
    @blp.response(201, StatementRead)
    def post(self, body: dict[str, Any]) -> Any:
        """Close a period: settle every reviewed allocation of the organisation (finance)

        The statement keeps the ledger lines and totals it is closed with. Refused (409)
        while an allocation in the period still needs review, and when a closed statement of
        the organisation already covers part of the period (a month of a closed quarter, a
        quarter of a closed year): a ledger line is in one closed statement only.
        """
        principal = current_principal()
        with request_uow() as uow:
            statements.close_statement(uow, principal=principal, **body)
            uow.commit()
        with request_uow() as uow:
            return json_response(statements.statement(uow, principal=principal, **body), 201)


@blp.route("/ledger/export")
class LedgerExport(MethodView):
    @require_roles(FINANCE)
    @blp.arguments(LedgerExportQuery, location="query")
    @blp.response(
        200,
        {"type": "string", "description": "JSON lines: a header, then the ledger lines"},
        content_type="application/x-ndjson",
    )
    def get(self, query: dict[str, Any]) -> Any:
        """The ledger's hash chain as JSON lines, for an offline check (joint controller)

        A header line (`ledger_export`, `period`, `entries`, `first_seq`, `last_seq`,
        `head_hash`), then one ledger line per line in chain order, each with `chain_seq`,
        `prev_hash` and `hash`. Without `period` the whole ledger; with one (2026, 2026-Q4,
        2026-11) the unbroken run of the chain from the first to the last line written in
        it. `slagkracht ledger verify FILE` checks it and names the first line that was
        changed, removed or reordered.
        """
        if current_principal().org != "joint":
            raise Forbidden("Only the joint controller exports the ledger.")
        with request_uow() as uow:
            lines = list(export_lines(uow.session, period=query["period"]))
        name = f"slagkracht-ledger-{query['period'] or 'all'}.jsonl"
        return Response(
            "".join(f"{line}\n" for line in lines),
            mimetype="application/x-ndjson",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


@blp.route("/efficiency")
class Efficiency(MethodView):
    @require_roles(FINANCE, ADMIN)
    @blp.arguments(EfficiencyQuery, location="query")
    @blp.response(200)
    def get(self, query: dict[str, Any]) -> Any:
        """Utilisation, joint use, avoided cost, procurement savings, response — per group"""
        parse_period(query["period"])
        with request_uow() as uow:
            return json_response(efficiency.efficiency(uow.session, **query))


def wants_csv() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


@blp.route("/evaluation")
class Evaluation(MethodView):
    @require_roles(FINANCE, ADMIN)
    @blp.arguments(EvaluationQuery, location="query")
    @blp.response(200)
    @blp.alt_response(200, content_type="text/csv", description="Accept: text/csv")
    def get(self, query: dict[str, Any]) -> Any:
        """A baseline period and a later one side by side, per safety region; JSON or CSV

        One row per safety region, all 25 (zeros where nothing happened), each with
        `baseline` and `period` figures: `requests` (made in the period),
        `requests_decided`, `fulfilled`, `fulfilled_share`, `decision_minutes_median` and
        `decision_minutes_p90` (request to decision, nearest rank), `joint_use_hours`,
        `avoided_cost`, `procurement_savings`, `police_paid` (as the efficiency figures) and
        `barely_involved`: fewer than `barely_involved_below_fulfilled` (3) requests fulfilled.
        A booking counts in its region of use (the region its request named, else the
        requesting unit's home region), a call-off in the ordering unit's home region; what
        has no known region is under `unattributed`; `national` is everything. Both periods
        are quarters or both months, the baseline first (else 422). A national aggregate
        without purposes: every finance role and the administrators read it. CSV: one line per
        region, a column per figure and period (`requests_2026-Q1`), then `unattributed` and
        `national`.
        """
        with request_uow() as uow:
            doc = evaluation.evaluation(uow.session, **query)
        if wants_csv():
            filename = f"slagkracht-evaluatie-{doc['baseline']}-{doc['period']}.csv"
            return Response(
                evaluation.to_csv(doc),
                mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        return json_response(doc)
