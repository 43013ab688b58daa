"""The ledger as JSON lines, for an offline check of its hash chain (ledger_chain.verify)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.costsharing.commands import ExportLedger
from services.costsharing.domain import parse_period
from services.costsharing.ledger_chain import CHAIN_FIELDS, header
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Forbidden

# The fields' text comes from the database's own ledger_entry_fields() (migration 0005): the
# very text the chain hashed, so the export never re-formats an amount or a timestamp.
_LINES = """
    SELECT ledger_entry_fields(l) AS fields, l.hash FROM ledger_entries l
    WHERE l.chain_seq BETWEEN :first AND :last ORDER BY l.chain_seq
"""
# A period's export is the run of the chain from the first to the last line written in it
# (Dutch dates): one unbroken stretch, so removing or reordering lines inside it shows.
_PERIOD_RUN = """
    SELECT min(chain_seq), max(chain_seq) FROM ledger_entries
    WHERE (created_at AT TIME ZONE 'Europe/Amsterdam')::date >= :start
      AND (created_at AT TIME ZONE 'Europe/Amsterdam')::date < :after
"""


def _entries(session: Session, period: str | None) -> list[dict[str, Any]]:
    if period is None:
        first, last = 1, None
    else:
        start, after = parse_period(period)
        first, last = session.execute(text(_PERIOD_RUN), {"start": start, "after": after}).one()
        if first is None:
            return []
    rows = session.execute(
        text(_LINES), {"first": first, "last": last if last is not None else 2**62}
    )
    entries = []
    for fields, hash_ in rows:
        entry: dict[str, Any] = dict(zip(CHAIN_FIELDS, fields, strict=True))
        entry["chain_seq"], entry["id"] = int(entry["chain_seq"]), int(entry["id"])
        entry["hash"] = hash_
        entries.append(entry)
    return entries


def export_lines(session: Session, *, period: str | None = None) -> Iterator[str]:
    """The header line, then every ledger line of ``period`` (all if None) in chain order,
    each one JSON object without a newline inside."""
    entries = _entries(session, period)
    yield json.dumps(header(period=period, entries=entries))
    for entry in entries:
        yield json.dumps(entry, ensure_ascii=False)


def export_ledger(uow: UnitOfWork, *, principal: Principal, query_in: ExportLedger) -> list[str]:
    """The joint controller's export of the ledger (``export_lines``) for an offline check."""
    if principal.org != "joint":
        raise Forbidden("Only the joint controller exports the ledger.")
    with uow:
        return list(export_lines(uow.session, period=query_in.period))
