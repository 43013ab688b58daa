"""The live national capacity board: per safety region, for a chosen category, how many
assets are free now and in the next 24 hours and how many bookings are requested or in use.

Every signed-in role may read it (the figures are counts: no units, names or purposes). The
figures come from booking's ``/board`` (asked with a reader's token, shared per process until
the next change: ``_board``). The page
updates itself without reload: ``/board/events`` is a server-sent event stream that says
"changed" when the portal's change feed (services/portal/live.py) sees a booking or catalog
event, and static/board.js then fetches ``/board/table`` again. A stream lasts at most
STREAM_S seconds (a portal thread is held meanwhile) and the browser reconnects; a process
serves at most MAX_STREAMS at once and answers 503 beyond that (the page then says
"offline" and tries again later). Without JavaScript the page is a plain page with a
refresh link."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask.blueprints import BlueprintSetupState

from services.portal.auth import login_required
from services.portal.cache import shared_cache
from services.portal.clients import apis
from services.portal.labels import CATEGORIES
from services.portal.live import ChangeFeed, new_change_feed
from services.portal.views.planner.common import regions

bp = Blueprint("board", __name__, url_prefix="/board")

BOARD_CATEGORIES = ("helicopter", "drone", "dive_team", "search_team", "terrain")
STREAM_S = 25.0  # then the browser reconnects (EventSource does so by itself)
HEARTBEAT_S = 10.0  # a comment line now and then keeps proxies from closing a quiet stream
RECONNECT_MS = 2000
MAX_STREAMS = 4  # per process: streams hold a thread each (gunicorn gthread, 8 per worker)
UNFOLLOWED_S = 2  # how long a process shares the board while its feed does not follow


@bp.record_once
def _set_up(state: BlueprintSetupState) -> None:
    """One change feed and one bound on streams per app (so per process under gunicorn);
    PORTAL_BOARD_STREAM_S and PORTAL_BOARD_MAX_STREAMS change the defaults (tests)."""
    app = state.app
    app.extensions.setdefault("portal_change_feed", new_change_feed())
    limit = int(app.config.get("PORTAL_BOARD_MAX_STREAMS", MAX_STREAMS))
    app.extensions.setdefault("portal_board_streams", threading.BoundedSemaphore(limit))


def _category() -> str:
    chosen = request.args.get("category", "")
    return chosen if chosen in BOARD_CATEGORIES else BOARD_CATEGORIES[0]


def _board() -> dict[str, Any]:
    """Booking's board, shared by this process's readers (the counts are the same for every
    role) until the change feed sees the next change, or the cache's TTL; while the feed does
    not follow the topics, for UNFOLLOWED_S at most. So the readers that a change sends back
    for the table cost booking one call per process, not one each. Every process that serves
    the table follows the topics (not only those holding a stream): a browser's stream and
    its table requests may reach different processes."""
    feed: ChangeFeed = current_app.extensions["portal_change_feed"]
    feed.ensure_started()
    key = (
        ("board", feed.version)
        if feed.ready
        else ("board-unfollowed", int(time.time() // UNFOLLOWED_S))
    )
    board: dict[str, Any] = shared_cache().get_or_load(key, apis().booking.board)
    return board


def _table_context(category: str) -> dict[str, Any]:
    board = _board()
    names = dict(regions())
    rows = [
        {**row, "name": names.get(row["region"], row["region"])}
        for row in board["rows"]
        if row["category"] == category
    ]
    return {"rows": rows, "at": board["at"], "category": category}


@bp.get("")
@login_required
def page() -> str:
    category = _category()
    return render_template(
        "board/board.html",
        categories=[(code, CATEGORIES[code]) for code in BOARD_CATEGORIES],
        **_table_context(category),
    )


@bp.get("/table")
@login_required
def table() -> str:
    """The table alone, for static/board.js to swap in."""
    return render_template("board/_table.html", **_table_context(_category()))


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"


def _stream(feed: ChangeFeed, deadline: float) -> Iterator[str]:
    yield f"retry: {RECONNECT_MS}\n\n"
    seen, live = feed.version, False
    while (left := deadline - time.monotonic()) > 0:
        if live != feed.ready:
            live, seen = feed.ready, feed.version  # the client refreshes on "live" itself
            yield _event("live", "following") if live else _event("offline", "not following")
        # Until the feed follows, look again every second; then wake on a change or to send
        # a heartbeat.
        current = feed.wait_for_change(seen, min(left, HEARTBEAT_S if live else 1.0))
        if current != seen:
            seen = current
            yield _event("changed", str(current))
        else:
            yield ": keep-alive\n\n"


@bp.get("/events")
@login_required
def events() -> Response:
    """Server-sent events: ``live`` once the portal follows the event stream, ``changed``
    whenever a booking or an asset changed; closes after STREAM_S seconds."""
    streams: threading.BoundedSemaphore = current_app.extensions["portal_board_streams"]
    feed: ChangeFeed = current_app.extensions["portal_change_feed"]
    if not streams.acquire(blocking=False):
        return Response(
            "Too many live boards on this server; try again shortly.",
            status=503,
            mimetype="text/plain",
            headers={"Retry-After": "10"},
        )
    feed.ensure_started()
    seconds = float(current_app.config.get("PORTAL_BOARD_STREAM_S", STREAM_S))
    response = Response(
        _stream(feed, time.monotonic() + seconds),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
    response.call_on_close(streams.release)  # however the stream ends, even unread
    return response
