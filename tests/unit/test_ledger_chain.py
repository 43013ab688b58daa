"""The ledger export's offline check (services/costsharing/ledger_chain.py): an untouched export
verifies; any changed field of any line, a removed line, two lines swapped or a header that
names other lines fail, naming the first entry that is not what the chain says.

The chain here is built the way the database builds it (each line hashes its fields and its
predecessor's hash); tests/integration/test_ledger_chain.py checks real exports."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.costsharing.ledger_chain import (
    CHAIN_FIELDS,
    EXPORT_FIELDS,
    GENESIS,
    chain_hash,
    header,
    verify,
)


def chain(count: int, *, first_seq: int = 1, prev: str = GENESIS) -> list[dict[str, Any]]:
    entries = []
    for seq in range(first_seq, first_seq + count):
        entry: dict[str, Any] = {
            "chain_seq": seq,
            "id": 100 + seq,
            "allocation_id": f"00000000-0000-0000-0000-{seq:012d}",
            "org": "politie-rotterdam" if seq % 2 else "defensie-dhc",
            "side": "debit" if seq % 2 else "credit",
            "kind": "requester_share" if seq % 2 else "provision",
            "entry": "original",
            "amount": f"{seq * 1000}.50",
            "source_event_id": f"evt-{seq}",
            "created_at": f"2026-11-{seq:02d}T08:00:00.000000Z",
            "prev_hash": prev,
        }
        entry["hash"] = prev = chain_hash([str(entry[f]) for f in CHAIN_FIELDS])
        entries.append(entry)
    return entries


def export(entries: list[dict[str, Any]], period: str | None = None) -> list[str]:
    return [json.dumps(header(period=period, entries=entries))] + [json.dumps(e) for e in entries]


def altered(value: Any) -> Any:
    if isinstance(value, int):
        return value + 1
    return value[:-1] + ("1" if value[-1] != "1" else "2")


def test_an_untouched_export_verifies() -> None:
    assert verify(export(chain(6))) is None
    assert verify(export([])) is None
    # A period's export starts inside the chain, at its first line's predecessor.
    assert verify(export(chain(3, first_seq=40, prev="ab" * 32), period="2026-11")) is None


@pytest.mark.parametrize("field", EXPORT_FIELDS)
def test_any_changed_field_of_any_line_fails(field: str) -> None:
    lines = export(chain(5))
    for index in range(1, len(lines)):
        entry = json.loads(lines[index])
        entry[field] = altered(entry[field])
        tampered = [*lines[:index], json.dumps(entry), *lines[index + 1 :]]
        finding = verify(tampered)
        assert finding is not None, (field, index)
        assert finding.line in (index + 1, index), (field, index, str(finding))


def test_a_changed_line_with_its_hash_redone_is_named_by_the_next_line() -> None:
    entries = chain(4)
    entries[1]["amount"] = "0.00"
    entries[1]["hash"] = chain_hash([str(entries[1][f]) for f in CHAIN_FIELDS])
    finding = verify(export(entries))
    assert finding is not None and finding.chain_seq == 2 and "changed" in finding.problem


def test_a_removed_line_fails_wherever_it_was() -> None:
    lines = export(chain(5))
    for index in range(1, len(lines)):
        finding = verify([*lines[:index], *lines[index + 1 :]])
        assert finding is not None, index
    middle = verify([*lines[:3], *lines[4:]])  # entry 3 gone
    assert middle is not None and "entry 3 belongs: it was removed" in str(middle)
    last = verify(lines[:-1])
    assert last is not None and last.chain_seq == 5 and "missing" in last.problem


def test_swapped_lines_fail() -> None:
    lines = export(chain(5))
    for index in range(1, len(lines) - 1):
        swapped = [*lines[:index], lines[index + 1], lines[index], *lines[index + 2 :]]
        finding = verify(swapped)
        assert finding is not None and "reordered" in finding.problem, index


def test_a_header_that_names_other_lines_fails() -> None:
    lines = export(chain(3))
    head = json.loads(lines[0])
    for key, value in (("entries", 4), ("last_seq", 4), ("head_hash", GENESIS)):
        assert verify([json.dumps({**head, key: value}), *lines[1:]]) is not None, key
    assert verify(lines[1:]) is not None  # no header at all
    assert verify(["not json", *lines[1:]]) is not None
    assert verify([]) is not None
