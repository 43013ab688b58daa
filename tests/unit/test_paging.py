"""The kit's cursor paging: a cursor carries the last item's sort key and nothing forged
passes as one."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from shared.errors import Invalid
from shared.paging import decode_cursor, encode_cursor, page_of


def test_a_cursor_carries_the_sort_key_back_as_it_was() -> None:
    key = (
        datetime(2026, 11, 3, 9, 30, 0, 123456, tzinfo=UTC),
        uuid.uuid4(),
        7,
        "a/b",
        date(2026, 1, 2),
    )
    cursor = encode_cursor(*key)
    assert decode_cursor(cursor, datetime, uuid.UUID, int, str, date) == key
    assert cursor.isascii() and "=" not in cursor and "/" not in cursor


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "bm90IGpzb24",  # "not json"
        encode_cursor(1),  # too short a key
        encode_cursor("x", "y"),  # not a moment, not an id
        encode_cursor(datetime(2026, 1, 1).isoformat(), str(uuid.uuid4())),  # no offset
        encode_cursor(True, str(uuid.uuid4())),
    ],
)
def test_a_cursor_not_given_out_is_a_422_on_cursor(cursor: str) -> None:
    with pytest.raises(Invalid) as refused:
        decode_cursor(cursor, datetime, uuid.UUID)
    assert refused.value.errors == {"cursor": ["Invalid cursor."]}


def test_a_page_of_limit_plus_one_rows_says_where_the_next_starts() -> None:
    page = page_of([1, 2, 3], limit=2, key=lambda n: (n,))
    assert page.items == [1, 2]
    assert page.next_cursor is not None and decode_cursor(page.next_cursor, int) == (2,)
    last = page_of([1, 2], limit=2, key=lambda n: (n,))
    assert last.items == [1, 2] and last.next_cursor is None
    assert page_of([], limit=2, key=lambda n: (n,)).next_cursor is None
