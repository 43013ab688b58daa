"""The live national capacity board in the portal, over HTTP against the real stack: the
page and its table for any signed-in role, and the server-sent event stream that says
"changed" after a booking is approved through the API (the portal's change feed reads the
real broker)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tests.portal.client import PortalClient
from tests.portal.journeys import act, free_helicopters, request_booking, window

pytestmark = pytest.mark.db

STREAM_DEADLINE_S = 90  # a busy machine: the feed connects, the worker relays the event


@pytest.mark.parametrize("persona", ["planner-rotterdam", "owner-dhc", "finance-politie"])
def test_the_board_shows_every_region_for_any_signed_in_role(
    portal_stack: dict[str, str], persona: str
) -> None:
    client = PortalClient(portal_stack["portal"])
    client.sign_in(persona)
    page = client.get("/board", params={"category": "drone"})

    assert page.status_code == 200
    html = page.text
    assert 'id="board-table"' in html
    assert len(re.findall(r'<tr data-region="VR\d\d">', html)) == 25
    assert 'role="status" aria-live="polite"' in html  # live / offline is announced
    assert 'href="/board?category=drone"' in html  # without JavaScript: a refresh link
    assert "board.js" in html and 'href="/board"' in html  # the script; the menu entry
    fragment = client.get("/board/table", params={"category": "drone"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert len(re.findall(r'<tr data-region="VR\d\d">', fragment.text)) == 25


def test_the_board_needs_signing_in(portal_stack: dict[str, str]) -> None:
    anonymous = PortalClient(portal_stack["portal"])
    for path in ("/board", "/board/table", "/board/events"):
        response = anonymous.get(path, allow_redirects=False)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def sse_events(client: PortalClient, deadline: float) -> Iterator[tuple[str, str]]:
    """(event, data) from /board/events until ``deadline``, reconnecting when the server
    closes a stream (it does so every 25 s), as a browser's EventSource would."""
    while time.monotonic() < deadline:
        with client.http.get(
            f"{client.base_url}/board/events", stream=True, timeout=(5, 30)
        ) as response:
            assert response.status_code == 200, response.text
            assert response.headers["Content-Type"].startswith("text/event-stream")
            name = ""
            for line in response.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    yield name, line.removeprefix("data: ")
                if time.monotonic() > deadline:
                    return


def test_the_event_stream_says_changed_after_a_booking_is_approved(
    portal_stack: dict[str, str],
) -> None:
    start, end = window(12, 9, hours=2)
    booking = request_booking(
        portal_stack,
        "planner-rotterdam",
        free_helicopters(portal_stack, start, end)[0]["asset_id"],
        start,
        end,
    )
    viewer = PortalClient(portal_stack["portal"])
    viewer.sign_in("finance-politie")
    deadline = time.monotonic() + STREAM_DEADLINE_S
    events = sse_events(viewer, deadline)
    for name, _ in events:
        if name == "live":  # the portal follows the topics from here on
            break
    else:
        raise AssertionError("the board's event stream never said it was live")

    act(portal_stack, "owner-dhc", booking["id"], "approve", {})

    assert any(name == "changed" for name, _ in events), "no 'changed' after the approval"
