"""The national capacity board's query (GET /api/v1/board) on a large read model: p50 and p95
of ``capacity_board`` over N assets (bench/booking.py's generated assets and windows) and a
year of bookings before and after now, in a throwaway embedded PostgreSQL.

    .venv/bin/python bench/board.py --assets 10000 --bookings 1000000 --runs 30
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _common import embedded_postgres, log  # noqa: E402 - bench/ is on the path
from booking import load_bookings, percentile, seed_assets  # noqa: E402 - bench/booking.py

from services.booking.board import _BOOKED, _FREE, HORIZON, capacity_board  # noqa: E402
from services.booking.commands import ReadBoard  # noqa: E402
from shared.db import make_engine, make_session_factory  # noqa: E402
from shared.migrate import ensure_database, upgrade  # noqa: E402
from shared.runtime import database_url  # noqa: E402
from shared.settings import sqlalchemy_url  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-board-"))
    try:
        with embedded_postgres(tmp) as (admin_url, _):
            url = database_url(admin_url, "bench_board")
            ensure_database(url)
            upgrade("booking", sqlalchemy_url(url))
            log(f"seeding {args.assets} assets and {args.bookings} bookings")
            seed_assets(url, args.assets, seed="board", slot_only=False)
            for first_tenth in (True, False):
                load_bookings(url, first_tenth=first_tenth, total=args.bookings)
            engine = make_engine(sqlalchemy_url(url), pool_size=1)
            sessions = make_session_factory(engine)
            timings, parts = [], []
            for _ in range(max(1, args.runs)):
                with sessions() as session:
                    started = time.perf_counter()
                    board = capacity_board(session, ReadBoard(at=datetime.now(UTC)))
                    timings.append((time.perf_counter() - started) * 1000)
                parts.append(query_timings(sessions))
            engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"capacity_board over {args.assets} assets, {args.bookings} bookings, "
        f"{len(board['rows'])} rows: p50 {percentile(timings, 0.5):.1f} ms, "
        f"p95 {percentile(timings, 0.95):.1f} ms over {len(timings)} runs"
    )
    for name in ("free", "booked"):
        values = [part[name] for part in parts]
        print(f"  its {name} query alone: p50 {percentile(values, 0.5):.1f} ms, "
              f"p95 {percentile(values, 0.95):.1f} ms")  # fmt: skip
    return 0


def query_timings(sessions: Any) -> dict[str, float]:
    """Each of the board's two queries timed alone (ms): the free capacity per asset, and the
    requests and uses per region of use."""
    now = datetime.now(UTC)
    found = {}
    for name, query, params in (("free", _FREE, {"at": now, "until": now + HORIZON}),
                                ("booked", _BOOKED, {})):  # fmt: skip
        with sessions() as session:
            started = time.perf_counter()
            session.execute(query, params).all()
            found[name] = (time.perf_counter() - started) * 1000
    return found


if __name__ == "__main__":
    raise SystemExit(main())
