"""The ledger's hash chain, checked offline: pure, no database.

Every ledger line carries ``chain_seq`` (its place in one chain over the whole ledger),
``prev_hash`` (the hash of the line before it, 64 zeros for the first) and ``hash``: SHA-256
over its fields in ``CHAIN_FIELDS`` order, each written as ``<length>:<text>``. The database
links each line as it is inserted (migration 0005's trigger); the export (ledger_export.py)
writes one header line and then the lines as JSON, with the fields as the database wrote
them, so checking never re-formats an amount or a timestamp.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64  # what the first line of the chain follows
EXPORT_FORMAT = 1
# The hashed fields, in the order ledger_entry_fields() (migration 0005) gives their text.
CHAIN_FIELDS = (
    "chain_seq",
    "id",
    "allocation_id",
    "org",
    "side",
    "kind",
    "entry",
    "amount",
    "source_event_id",
    "created_at",
    "prev_hash",
)
_NUMBERS = ("chain_seq", "id")  # JSON numbers in the export; every other field is a string
EXPORT_FIELDS = (*CHAIN_FIELDS, "hash")


def chain_hash(texts: Sequence[str]) -> str:
    """SHA-256 (hex) over the fields' text, each as ``<length>:<text>`` so no two different
    lines run together into the same bytes."""
    return hashlib.sha256("".join(f"{len(t)}:{t}" for t in texts).encode()).hexdigest()


def header(*, period: str | None, entries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The export's first line: what it holds, so a line cut from its end shows too."""
    return {
        "ledger_export": EXPORT_FORMAT,
        "period": period,
        "entries": len(entries),
        "first_seq": entries[0]["chain_seq"] if entries else None,
        "last_seq": entries[-1]["chain_seq"] if entries else None,
        "head_hash": entries[-1]["hash"] if entries else None,
    }


@dataclass(frozen=True)
class Finding:
    """The first place where an export is not the chain the database wrote."""

    line: int  # 1-based line of the file
    chain_seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"entry {self.chain_seq}" if self.chain_seq is not None else "the export"
        return f"line {self.line}: {where} {self.problem}"


def _well_formed(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and set(entry) == set(EXPORT_FIELDS)
        and all(
            type(entry[f]) is int if f in _NUMBERS else isinstance(entry[f], str)
            for f in EXPORT_FIELDS
        )
    )


def verify(lines: Iterable[str]) -> Finding | None:
    """Check an export line by line: None if it is the chain intact, else the first entry
    that was changed, removed or reordered."""
    numbered = [(n, text) for n, text in enumerate(lines, start=1) if text.strip()]
    if not numbered:
        return Finding(1, None, "is empty (no header line)")
    try:
        head = json.loads(numbered[0][1])
        entries = [(n, json.loads(text)) for n, text in numbered[1:]]
    except json.JSONDecodeError as exc:
        return Finding(exc.lineno, None, f"is not JSON lines ({exc.msg})")
    if not isinstance(head, dict) or head.get("ledger_export") != EXPORT_FORMAT:
        return Finding(1, None, "has no ledger export header")
    # A whole-ledger export starts at the chain's first line; a period's starts where the
    # period does, trusting the prev_hash of its first line (compare it with the line before
    # in the previous period's export).
    expected_seq = 1 if head.get("period") is None else head.get("first_seq")
    expected_prev = GENESIS if head.get("period") is None else None
    present = {e.get("chain_seq") for _, e in entries if isinstance(e, dict)}
    previous: tuple[int, int] | None = None  # (line, chain_seq) of the entry before
    for n, entry in entries:
        if not _well_formed(entry):
            seq = entry.get("chain_seq") if isinstance(entry, dict) else None
            return Finding(n, seq if isinstance(seq, int) else None, "was changed (its fields)")
        seq = entry["chain_seq"]
        if chain_hash([str(entry[f]) for f in CHAIN_FIELDS]) != entry["hash"]:
            return Finding(n, seq, "was changed (its hash does not match its content)")
        if seq != expected_seq:
            gone = "the lines were reordered" if expected_seq in present else "it was removed"
            return Finding(n, seq, f"stands where entry {expected_seq} belongs: {gone}")
        if expected_prev is not None and entry["prev_hash"] != expected_prev:
            if previous is None:
                return Finding(n, seq, "does not follow the start of the chain: it was changed")
            return Finding(
                previous[0], previous[1], "was changed (the next line follows another hash)"
            )
        expected_seq, expected_prev, previous = seq + 1, entry["hash"], (n, seq)
    last_line = numbered[-1][0]
    claimed = header(period=head.get("period"), entries=[e for _, e in entries])
    if claimed != head:
        removed = head.get("last_seq")
        return Finding(
            last_line,
            removed if isinstance(removed, int) else None,
            "is missing: the header names more (or other) lines than the export holds",
        )
    return None
