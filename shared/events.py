"""The event envelope and its contracts (JSON Schema files under ``contracts/events/``)."""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator

ENVELOPE_FIELDS = (
    "id",
    "type",
    "version",
    "occurred_at",
    "producer",
    "aggregate_id",
    "actor",
    "trace_id",
    "data",
)


# What a consumer accepts before it looks at the contract (docs/architecture.md, "Dead letters").
# Larger than any event a relay can publish (kafka-python refuses requests over 1 MiB), and
# checked before parsing, so a 10 MB message costs a length check.
MAX_EVENT_BYTES = 1_000_000
# Arrays and objects nested deeper than this are refused (the contracts need four levels); it
# also spares the parser and the validators the RecursionError of ten thousand "[".
MAX_EVENT_DEPTH = 32
# A PostgreSQL bigint has 19 digits; Python would parse 4,300 before failing with a ValueError.
MAX_INTEGER_DIGITS = 19
# An envelope id is a UUID spelled as our producers spell it (str(uuid4())): the dedupe key.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class EventInvalid(ValueError):
    """An event that cannot be handled: the message is the reason that goes to the DLQ.

    Reasons quote the offending value (a type, a schema error's instance), which can be as
    large as the message: they are clipped to a log line's and a Kafka header's size."""

    def __init__(self, reason: str) -> None:
        super().__init__(clip_reason(reason))


MAX_REASON_CHARS = 500


def clip_reason(reason: str) -> str:
    """``reason`` cut to MAX_REASON_CHARS (a DLQ header, a log line)."""
    if len(reason) <= MAX_REASON_CHARS:
        return reason
    return reason[: MAX_REASON_CHARS - 1] + "…"


def contracts_dir() -> Path:
    override = os.environ.get("SLAGKRACHT_CONTRACTS_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[1] / "contracts"


_TYPE_SHAPE = re.compile(r"^[a-z]+(\.[a-z_]+)+$")


@lru_cache(maxsize=256)
def validator_for(event_type: str, version: int) -> Draft202012Validator:
    """The reference validator for one event type and version (precise error messages)."""
    if not _TYPE_SHAPE.match(event_type):
        raise EventInvalid(f"unknown event type or version: {event_type!r} v{version}")
    path = contracts_dir() / "events" / f"{event_type}.v{version}.json"
    if not path.is_file():
        raise EventInvalid(f"unknown event type or version: {event_type} v{version}")
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@lru_cache(maxsize=256)
def fast_validator_for(event_type: str, version: int) -> Callable[[Any], Any]:
    """The same contract compiled to Python code: ~25 µs an event instead of ~650 µs, which is
    most of an event's cost at the rates the relay and consumers run (docs/benchmarks.md)."""
    schema = validator_for(event_type, version).schema
    return fastjsonschema.compile(schema)


def validate_event(event: Any) -> dict[str, Any]:
    """Check an envelope against its contract; raise EventInvalid naming the first problem."""
    if not isinstance(event, dict):
        raise EventInvalid("event is not a JSON object")
    event_type, version = event.get("type"), event.get("version")
    # bool is an int to Python (and True == 1 to a cache key): "version": true is no version.
    if not isinstance(event_type, str) or not isinstance(version, int) or isinstance(version, bool):
        raise EventInvalid("envelope lacks a string 'type' and an integer 'version'")
    validate = fast_validator_for(event_type, version)  # EventInvalid if there is no contract
    try:
        validate(event)
    except Exception:  # noqa: BLE001 - invalid, or generated code tripping on odd input:
        pass  # either way the reference validator decides, with a precise, stable message
    else:
        if not isinstance(event["id"], str) or not _CANONICAL_UUID.fullmatch(event["id"]):
            raise EventInvalid("schema violation at id: not a lowercase, hyphenated UUID")
        return event
    raise _schema_violation(validator_for(event_type, version), event)


def _schema_violation(validator: Draft202012Validator, event: dict[str, Any]) -> EventInvalid:
    """The reference validator's first error (by path) as the reason to refuse ``event``."""
    try:
        # The first errors found, in path order: a stable message, at a bounded cost
        # (a megabyte of wrong array items would otherwise make a hundred thousand errors).
        found = itertools.islice(validator.iter_errors(event), 50)
        errors = sorted(found, key=lambda e: [str(p) for p in e.path])
    except Exception as exc:  # noqa: BLE001 - a validator failing on odd input refuses it
        return EventInvalid(f"schema violation: cannot be validated ({type(exc).__name__})")
    if not errors:  # the two validators disagree (e.g. a format only one checks): refuse
        return EventInvalid(f"schema violation in {event['type']} v{event['version']}")
    where = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
    return EventInvalid(f"schema violation at {where}: {errors[0].message}")


def decode_event(raw: bytes | None) -> dict[str, Any]:
    """Parse and validate a Kafka message value; any bytes at all either give a valid event
    or raise EventInvalid (nothing else), within the limits above."""
    if raw is None:
        raise EventInvalid("message has no value")
    if len(raw) > MAX_EVENT_BYTES:
        raise EventInvalid(f"message of {len(raw)} bytes; an event has at most {MAX_EVENT_BYTES}")
    try:
        event = _DECODER.decode(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise EventInvalid(f"not JSON: not UTF-8 ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise EventInvalid(f"not JSON: {exc}") from exc
    except RecursionError as exc:
        raise EventInvalid(f"nested deeper than {MAX_EVENT_DEPTH} levels") from exc
    # Only a message with many brackets can be too deep, and only an escape ("\\u...") can put
    # a NUL or half a surrogate pair in a string: most events skip the walk.
    if raw.count(b"{") + raw.count(b"[") > MAX_EVENT_DEPTH or b"\\u" in raw:
        _check_storable(event)
    return validate_event(event)


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise EventInvalid(
            f"integer of {len(literal)} characters; at most {MAX_INTEGER_DIGITS} digits"
        )
    return int(literal)


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise EventInvalid(f"number out of range: {literal[:40]}")
    return value


def _no_constant(literal: str) -> Any:
    raise EventInvalid(f"not JSON: {literal} is not a number")


# Built once: json.loads with hooks would build a decoder for every message.
_DECODER = json.JSONDecoder(
    parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constant
)


def _check_storable(event: Any) -> None:
    """Refuse nesting beyond MAX_EVENT_DEPTH and text no UTF-8 store can hold (NUL, half a
    surrogate pair): PostgreSQL refuses both, and a refusal it reports as a connection-level
    error would be retried forever. Iterative, so depth itself cannot overflow the stack."""
    pending: list[tuple[Any, int]] = [(event, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > MAX_EVENT_DEPTH:
                raise EventInvalid(f"nested deeper than {MAX_EVENT_DEPTH} levels")
            if isinstance(value, dict):
                for key in value:
                    _check_text(key)
                value = value.values()
            pending.extend((child, depth + 1) for child in value)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise EventInvalid("text contains a NUL character")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise EventInvalid("text contains half a UTF-16 surrogate pair") from exc


def make_event(
    *,
    event_type: str,
    producer: str,
    aggregate_id: str,
    data: dict[str, Any],
    actor: str | None = None,
    trace_id: str | None = None,
    version: int = 1,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    """Build and validate an envelope; a contract violation is a programming error."""
    event = {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "version": version,
        "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
        "producer": producer,
        "aggregate_id": aggregate_id,
        "actor": actor or "system",
        "trace_id": trace_id or uuid.uuid4().hex,
        "data": data,
    }
    return validate_event(event)
