"""Request bodies within the stated limits of every API (README, "Limits"): past each, a
problem+json, never a 500. webargs reads every JSON body through ``load_json_body``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, is_json_request

from shared.errors import Invalid

MAX_BODY_BYTES = 1024 * 1024  # 413
MAX_JSON_DEPTH = 32  # arrays and objects inside each other, the body itself level 1: 422
MAX_INTEGER_DIGITS = sys.get_int_max_str_digits() or 4300  # Python's own int() limit: 422


def _any_text(value: Any, test: Callable[[str], bool]) -> bool:
    """Whether any string in a parsed JSON value (object keys included) passes ``test``."""
    if isinstance(value, str):
        return test(value)
    if isinstance(value, dict):
        return any(_any_text(k, test) or _any_text(v, test) for k, v in value.items())
    return isinstance(value, list) and any(_any_text(v, test) for v in value)


def has_nul(value: Any) -> bool:
    """Whether a parsed JSON value holds a NUL character (PostgreSQL's text cannot)."""
    return _any_text(value, lambda text: "\x00" in text)


def _unencodable(text: str) -> bool:
    # JSON lets a body escape half a UTF-16 pair ("\ud800"); no UTF-8 text can hold it, so
    # neither PostgreSQL nor an event can (psycopg fails to encode it: it used to be a 500).
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _has_lone_surrogate(value: Any) -> bool:
    return _any_text(value, _unencodable)


class _TooLongInteger:
    """Stands in for an integer literal past MAX_INTEGER_DIGITS while a body is parsed (int()
    would raise a ValueError json does not expect: a 500), so its field can be named."""


def _bounded_int(digits: str) -> int | _TooLongInteger:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        return _TooLongInteger()
    return int(digits)


def _outsized(value: Any, depth: int) -> tuple[bool, bool]:
    """Whether a parsed JSON value at nesting level ``depth`` nests past MAX_JSON_DEPTH, and
    whether it holds a too-long integer; iterative, so a deep value cannot exhaust the stack."""
    too_deep = too_long = False
    stack: list[tuple[Any, int]] = [(value, depth)]
    while stack and not (too_deep and too_long):
        item, level = stack.pop()
        if isinstance(item, _TooLongInteger):
            too_long = True
        elif isinstance(item, dict | list):
            if level > MAX_JSON_DEPTH:
                too_deep = True
                continue
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return too_deep, too_long


def load_json_body(data: bytes | str) -> Any:
    """A request's JSON body within the stated limits (MAX_JSON_DEPTH, MAX_INTEGER_DIGITS), or
    Invalid (422) naming each top-level field past them (``_body`` for a body that is not an
    object, or one too deep to parse at all); text that is not JSON raises JSONDecodeError."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            # As webargs does: its parser answers a JSONDecodeError with a 400.
            raise json.JSONDecodeError(
                f"Bytes decoding error: {exc.reason}", str(exc.object), exc.start
            ) from exc
    try:
        body = json.loads(data, parse_int=_bounded_int)
    except RecursionError:  # deeper than Python's parser goes at all (about 1,000 levels)
        body, fields = None, {"_body": (True, False)}
    else:
        # The body is level 1, so each field's value starts at level 2.
        values = body.items() if isinstance(body, dict) else [("_body", body)]
        start = 2 if isinstance(body, dict) else 1
        fields = {str(name): _outsized(value, start) for name, value in values}
    too_deep = [name for name, (deep, _) in fields.items() if deep]
    if too_deep:
        message = f"Arrays and objects may be nested at most {MAX_JSON_DEPTH} levels deep."
        raise Invalid(
            "The request has invalid fields; see 'errors'.",
            errors={name: [message] for name in too_deep},
        )
    too_long = [name for name, (_, long) in fields.items() if long]
    if too_long:
        message = f"An integer may have at most {MAX_INTEGER_DIGITS} digits."
        raise Invalid(
            "The request has invalid fields; see 'errors'.",
            errors={name: [message] for name in too_long},
        )
    return body


class TextSafeParser(FlaskParser):
    """webargs' parser, reading a JSON body within the stated limits (``load_json_body``) and
    refusing one with text no UTF-8 store can keep, as a 422 that names each top-level field
    holding it (``_body`` when the body is not an object)."""

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return webargs_core.missing
        return load_json_body(req.get_data(cache=True))

    def load_json(self, req: Any, schema: Any) -> Any:
        data = super().load_json(req, schema)
        if isinstance(data, dict):
            bad = [
                str(k).encode("utf-8", "replace").decode()
                for k, v in data.items()
                if _has_lone_surrogate(k) or _has_lone_surrogate(v)
            ]
        else:
            bad = ["_body"] if _has_lone_surrogate(data) else []
        if bad:
            message = "Text cannot contain a lone surrogate (\\ud800-\\udfff)."
            raise ValidationError({name: [message] for name in bad})
        return data
