"""HTTP entry points of statements (read as JSON or CSV, close) and the ledger export."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView

from services.costsharing import commands, statements
from services.costsharing.blueprint import blp
from services.costsharing.commands import ExportLedger, StatementOf
from services.costsharing.ledger_export import export_ledger
from services.costsharing.schemas import (
    LedgerExportQuery,
    StatementClose,
    StatementQuery,
    StatementRead,
)
from shared.auth import FINANCE, current_principal, require_roles
from shared.web import request_uow


def wants_csv() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


def csv_attachment(text: str, filename: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blp.route("/statements")
class Statements(MethodView):
    @require_roles()
    @blp.arguments(StatementQuery, location="query")
    @blp.response(200, StatementRead)
    @blp.alt_response(200, content_type="text/csv", description="Accept: text/csv")
    def get(self, query: StatementOf) -> Any:
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
        doc = statements.statement(request_uow(), principal=current_principal(), query_in=query)
        if wants_csv():
            return csv_attachment(
                statements.to_csv(doc), f"slagkracht-{doc['org']}-{doc['period']}.csv"
            )
        return doc


@blp.route("/statements/close")
class CloseStatement(MethodView):
    @require_roles()
    @blp.arguments(StatementClose)
    @blp.response(201, StatementRead)
    def post(self, close: commands.CloseStatement) -> Any:
        """Close a period: settle every reviewed allocation of the organisation (finance)

        The statement keeps the ledger lines and totals it is closed with. Refused (409)
        while an allocation in the period still needs review, and when a closed statement of
        the organisation already covers part of the period (a month of a closed quarter, a
        quarter of a closed year): a ledger line is in one closed statement only.
        """
        return statements.close_statement(
            request_uow(), principal=current_principal(), command=close
        )


@blp.route("/ledger/export")
class LedgerExport(MethodView):
    @require_roles(FINANCE)
    @blp.arguments(LedgerExportQuery, location="query")
    @blp.response(
        200,
        {"type": "string", "description": "JSON lines: a header, then the ledger lines"},
        content_type="application/x-ndjson",
    )
    def get(self, query: ExportLedger) -> Any:
        """The ledger's hash chain as JSON lines, for an offline check (joint controller)

        A header line (`ledger_export`, `period`, `entries`, `first_seq`, `last_seq`,
        `head_hash`), then one ledger line per line in chain order, each with `chain_seq`,
        `prev_hash` and `hash`. Without `period` the whole ledger; with one (2026, 2026-Q4,
        2026-11) the unbroken run of the chain from the first to the last line written in
        it. `slagkracht ledger verify FILE` checks it and names the first line that was
        changed, removed or reordered.
        """
        lines = export_ledger(request_uow(), principal=current_principal(), query_in=query)
        name = f"slagkracht-ledger-{query.period or 'all'}.jsonl"
        return Response(
            "".join(f"{line}\n" for line in lines),
            mimetype="application/x-ndjson",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
