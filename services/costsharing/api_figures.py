"""HTTP entry points of what is worked out, not kept: estimates of a use (one or a batch),
the efficiency figures and the evaluation report."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.costsharing import commands, estimates, evaluation, figures
from services.costsharing.api_statements import csv_attachment, wants_csv
from services.costsharing.blueprint import blp
from services.costsharing.commands import (
    EfficiencyBatchOf,
    EfficiencyOf,
    EstimateUse,
    EvaluationOf,
)
from services.costsharing.estimate_schemas import (
    EstimateBatchIn,
    EstimateBatchRead,
    EstimateIn,
    EstimateRead,
)
from services.costsharing.schemas import EfficiencyBatchIn, EfficiencyQuery, EvaluationQuery
from shared.auth import ADMIN, FINANCE, current_principal, require_roles
from shared.web import json_response, localized_problem, request_uow, with_content_language


@blp.route("/estimates")
class Estimates(MethodView):
    @require_roles()
    @blp.arguments(EstimateIn)
    @blp.response(200, EstimateRead)
    def post(self, use: EstimateUse) -> Any:
        """What a use would cost and how it would split (illustrative tariffs in the demo)"""
        return estimates.estimate(request_uow(), principal=current_principal(), command=use)


@blp.route("/estimates/batch")
class EstimateBatch(MethodView):
    @require_roles()
    @blp.arguments(EstimateBatchIn)
    @blp.response(200, EstimateBatchRead)
    def post(self, batch: commands.EstimateBatch) -> Any:
        """Many estimates in one call, e.g. every asset of a search-results page

        Up to 100 items, each the body of one `POST /estimates`; the answer lists them in the
        same order, each with its `index` and either its `estimate` or, when that item cannot
        be estimated (an unknown asset, an end not after the start), a `problem` (RFC 9457
        members) while the other items keep theirs. A malformed item refuses the whole batch:
        a 422 whose `errors` name the item and field, e.g. `items.3.end`. Permissions are those
        of `/estimates`; nothing is written.
        """
        results = estimates.estimate_batch(
            request_uow(), principal=current_principal(), command=batch
        )
        # Served by hand: an item's problem keeps every member it has (extension members
        # differ per problem; the schema names only the common ones), in the caller's language,
        # and the answer says which (Content-Language, Vary).
        for result in results:
            if result["problem"] is not None:
                result["problem"] = localized_problem(result["problem"])
        return with_content_language(json_response({"items": results}))


@blp.route("/efficiency")
class Efficiency(MethodView):
    @require_roles(FINANCE, ADMIN)
    @blp.arguments(EfficiencyQuery, location="query")
    @blp.response(200)
    def get(self, query: EfficiencyOf) -> Any:
        """Utilisation, joint use, avoided cost, procurement savings, response — per group"""
        return figures.efficiency_figures(request_uow(), query_in=query)


@blp.route("/efficiency/batch")
class EfficiencyBatch(MethodView):
    @require_roles(FINANCE, ADMIN)
    @blp.arguments(EfficiencyBatchIn)
    @blp.response(200)
    def post(self, query: EfficiencyBatchOf) -> Any:
        """Several efficiency answers in one call, e.g. every table of a dashboard

        Up to 20 items, each the query of `GET /efficiency` (`period`, `group_by`); the
        answer's `items` are those answers in the same order. A period's figures are added up
        once however many of its groupings are asked, so the groupings of one period cost
        about what one does. A malformed item refuses the whole batch: a 422 whose `errors`
        name the item and field, e.g. `items.2.period`. Permissions are those of
        `/efficiency`; nothing is written.
        """
        return figures.efficiency_batch(request_uow(), query_in=query)


@blp.route("/evaluation")
class Evaluation(MethodView):
    @require_roles(FINANCE, ADMIN)
    @blp.arguments(EvaluationQuery, location="query")
    @blp.response(200)
    @blp.alt_response(200, content_type="text/csv", description="Accept: text/csv")
    def get(self, query: EvaluationOf) -> Any:
        """A baseline period and a later one side by side, per safety region; JSON or CSV

        One row per safety region, all 25 (zeros where nothing happened), each with
        `baseline` and `period` figures: `requests` (made in the period),
        `requests_decided`, `fulfilled`, `fulfilled_share`, `decision_minutes_median` and
        `decision_minutes_p90` (request to decision, nearest rank), `joint_use_hours`,
        `avoided_cost`, `procurement_savings`, `police_paid` (as the efficiency figures) and
        `barely_involved`: fewer than `barely_involved_below_fulfilled` (3) requests fulfilled.
        A booking counts in its region of use (the region its request named, else the
        requesting unit's home region), an order in the ordering unit's home region; what
        has no known region is under `unattributed`; `national` is everything. Both periods
        are quarters or both months, the baseline first (else 422). A national aggregate
        without purposes: every finance role and the administrators read it. CSV: one line per
        region, a column per figure and period (`requests_2026-Q1`), then `unattributed` and
        `national`.
        """
        doc = figures.evaluation_report(request_uow(), query_in=query)
        if wants_csv():
            return csv_attachment(
                evaluation.to_csv(doc),
                f"slagkracht-evaluatie-{doc['baseline']}-{doc['period']}.csv",
            )
        return doc
