"""Stable cursor paging, one list shape for every API: ``{items, next_cursor}``.

A cursor is the sort key of the last item a page showed (its id last, so the key is unique),
as URL-safe base64 of a JSON array: opaque to callers, and a forged or stale cursor is a 422
naming ``cursor``, never a 500. A page reads ``limit + 1`` rows; the extra row only says that
another page follows. Rows inserted or removed between pages neither repeat nor skip an item
that stays (keyset paging, not offsets).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from marshmallow import Schema, fields, validate

from shared.errors import Invalid

T = TypeVar("T")

# Cursors we give out are far shorter; a longer one is refused before it is decoded.
MAX_CURSOR_LENGTH = 500
CURSOR_PROBLEM = "The cursor is not one this list gave out (or the sort changed)."

KeyPart = str | int | datetime | date | uuid.UUID


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the cursor of the next (None on the last page)."""

    items: list[T]
    next_cursor: str | None


def _unparse(part: KeyPart) -> str | int:
    if isinstance(part, date | datetime):
        return part.isoformat()
    return part if isinstance(part, int | str) else str(part)


def encode_cursor(*key: KeyPart) -> str:
    """The cursor that continues after the item with this sort key."""
    parts = [_unparse(part) for part in key]
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse(part: Any, kind: type) -> KeyPart:
    if kind is int:
        if not isinstance(part, int) or isinstance(part, bool):
            raise TypeError("not an integer")
        return part
    if not isinstance(part, str):
        raise TypeError("not text")
    if kind is datetime:
        moment = datetime.fromisoformat(part)
        if moment.tzinfo is None:
            raise ValueError("no offset")
        return moment
    if kind is date:
        return date.fromisoformat(part)
    if kind is uuid.UUID:
        return uuid.UUID(part)
    return part


def decode_cursor(cursor: str, *kinds: type) -> tuple[Any, ...]:
    """The sort key a cursor carries, each part parsed as ``kinds`` says (str, int, datetime,
    date, uuid.UUID); anything else is a 422 on ``cursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
        if not isinstance(parts, list) or len(parts) != len(kinds):
            raise TypeError("not a key of this list")
        return tuple(_parse(part, kind) for part, kind in zip(parts, kinds, strict=True))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise Invalid(CURSOR_PROBLEM, errors={"cursor": ["Invalid cursor."]}) from exc


def page_of(rows: Sequence[T], *, limit: int, key: Callable[[T], tuple[KeyPart, ...]]) -> Page[T]:
    """A page from up to ``limit + 1`` rows in list order: the extra one says more follow."""
    items = list(rows[:limit])
    more = len(rows) > limit and bool(items)
    return Page(items=items, next_cursor=encode_cursor(*key(items[-1])) if more else None)


def cursor_field() -> fields.String:
    """The ``cursor`` query parameter of a list."""
    return fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=MAX_CURSOR_LENGTH),
        metadata={"description": "next_cursor of the previous page; omit for the first"},
    )


def limit_field(default: int = 50, maximum: int = 200) -> fields.Integer:
    """The ``limit`` query parameter of a list: items per page."""
    return fields.Integer(
        load_default=default,
        strict=False,
        validate=validate.Range(min=1, max=maximum),
        metadata={"description": f"items per page, 1 to {maximum}"},
    )


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """The response schema of a list of ``item``: ``{items, next_cursor}``."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item)),
            "next_cursor": fields.String(
                allow_none=True,
                metadata={"description": "pass as cursor for the next page; null on the last"},
            ),
        },
        name=name,
    )
