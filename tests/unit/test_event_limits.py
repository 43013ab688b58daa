"""The limits a consumer applies before an event's contract, at their boundaries; and the DLQ
copy of a record too large to copy (docs/architecture.md, "Dead letters").

Where a value passes a limit, decoding goes on and fails later for another reason (not an
object, no envelope): the message says which check refused it."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest

from shared.consumer import dead_letter_copy
from shared.events import (
    MAX_EVENT_BYTES,
    MAX_EVENT_DEPTH,
    EventInvalid,
    decode_event,
    make_event,
)
from tests.support import PolledRecord

PASSED_THE_LIMITS = "event is not a JSON object"


def refusal(raw: bytes) -> str:
    with pytest.raises(EventInvalid) as raised:
        decode_event(raw)
    return str(raised.value)


def contract_published() -> dict[str, Any]:
    return make_event(
        event_type="catalog.contract.published",
        producer="catalog",
        aggregate_id="c",
        data={
            "contract_id": str(uuid.uuid4()),
            "owner_org": "defensie-dmo",
            "reference": "R",
            "supplier": "S",
            "description": "D",
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
            "total_volume": 1,
            "item_ids": [],
            "tiers": [{"min_quantity": 1, "unit_price": "1.00"}],
        },
    )


def test_an_event_of_exactly_the_size_limit_decodes_one_byte_more_is_refused_unparsed() -> None:
    event = contract_published()
    raw = json.dumps(event).encode()
    padded = raw + b" " * (MAX_EVENT_BYTES - len(raw))  # JSON allows trailing white space
    assert decode_event(padded) == event
    assert refusal(padded + b" ") == (
        f"message of {MAX_EVENT_BYTES + 1} bytes; an event has at most {MAX_EVENT_BYTES}"
    )


@pytest.mark.parametrize(
    ("opening", "closing", "within_the_limit"),
    [
        (b"[", b"]", PASSED_THE_LIMITS),
        (b'{"a":', b"}", "envelope lacks a string 'type' and an integer 'version'"),
    ],
)
def test_nesting_is_refused_beyond_the_depth_limit(
    opening: bytes, closing: bytes, within_the_limit: str
) -> None:
    def nested(depth: int) -> bytes:
        return opening * depth + b"1" + closing * depth

    assert refusal(nested(MAX_EVENT_DEPTH)) == within_the_limit
    assert refusal(nested(MAX_EVENT_DEPTH + 1)) == f"nested deeper than {MAX_EVENT_DEPTH} levels"
    # Far beyond what the parser can recurse into: its RecursionError is the same refusal.
    assert refusal(nested(100_000)) == f"nested deeper than {MAX_EVENT_DEPTH} levels"


def test_brackets_inside_strings_are_not_nesting() -> None:
    assert refusal(b'["' + b"[" * 1000 + b'"]') == PASSED_THE_LIMITS


@pytest.mark.parametrize("literal", ["9" * 19, "-" + "9" * 19])
def test_an_integer_of_19_digits_is_accepted(literal: str) -> None:
    assert refusal(f"[{literal}]".encode()) == PASSED_THE_LIMITS


@pytest.mark.parametrize("literal", ["1" * 20, "-" + "1" * 20, "1" * 5000])
def test_a_longer_integer_is_refused_before_python_parses_it(literal: str) -> None:
    assert refusal(f"[{literal}]".encode()).startswith(f"integer of {len(literal)} characters")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_the_non_numbers_python_would_accept_are_not_json(literal: str) -> None:
    assert refusal(f"[{literal}]".encode()) == f"not JSON: {literal} is not a number"


def test_a_float_beyond_range_is_refused() -> None:
    assert refusal(b"[1e400]").startswith("number out of range")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('"a\\u0000b"', "text contains a NUL character"),
        ('"\\u00e9\\u0000"', "text contains a NUL character"),
        ('"\\ud800"', "text contains half a UTF-16 surrogate pair"),
        ('{"\\udfff": 1}', "text contains half a UTF-16 surrogate pair"),
    ],
)
def test_text_no_utf8_store_holds_is_refused(text: str, reason: str) -> None:
    assert refusal(f"[{text}]".encode()) == reason


def test_a_whole_surrogate_pair_is_text() -> None:
    assert refusal(b'["\\ud83d\\ude01"]') == PASSED_THE_LIMITS


def test_bytes_that_are_not_utf8_are_not_json() -> None:
    assert refusal(b'{"id": "\xff"}').startswith("not JSON: not UTF-8")


def test_a_boolean_version_is_no_version() -> None:
    event = {**contract_published(), "version": True}
    assert "integer 'version'" in refusal(json.dumps(event).encode())


def test_an_id_in_capitals_is_refused() -> None:
    event = contract_published()
    event["id"] = event["id"].upper()
    assert "not a lowercase, hyphenated UUID" in refusal(json.dumps(event).encode())


def test_a_reason_quoting_a_huge_value_is_clipped() -> None:
    event = {**contract_published(), "type": "x" * 100_000}
    reason = refusal(json.dumps(event).encode())
    assert reason.startswith("unknown event type or version: 'xxx") and len(reason) == 500


# -- the DLQ copy ---------------------------------------------------------------------------------
def test_a_record_within_the_limit_is_copied_whole() -> None:
    record = PolledRecord("t.booking.bookings", 2, 41, b"k", b"v" * 1000)
    key, value, headers = dead_letter_copy(record, "why", "costsharing.bookings")
    assert (key, value) == (b"k", record.value)
    assert dict(headers) == {
        "dlq_reason": b"why",
        "dlq_consumer": b"costsharing.bookings",
        "original_topic": b"t.booking.bookings",
        "original_partition": b"2",
        "original_offset": b"41",
    }


def test_a_record_too_large_for_a_request_is_cut_to_its_head_with_size_and_hash() -> None:
    big = bytes(range(256)) * 40_000  # 10,240,000 bytes
    record = PolledRecord("t.booking.bookings", 0, 7, b"K" * 5000, big)
    key, value, headers = dead_letter_copy(record, "r" * 2000, "c")
    assert key == b"K" * 1024 and value == big[: 64 * 1024]
    found = dict(headers)
    assert found["dlq_reason"].decode() == "r" * 499 + "…"
    assert found["dlq_truncated"] == b"true"
    assert found["original_key_bytes"] == b"5000"
    assert found["original_value_bytes"] == str(len(big)).encode()
    assert found["original_value_sha256"] == hashlib.sha256(big).hexdigest().encode()
