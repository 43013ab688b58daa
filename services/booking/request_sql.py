"""The statements of the booking request's hot path (services/booking/requesting.py), and how
they are sent: through the driver, in pipeline mode."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import namedtuple_row

from services.booking.domain import ACTIVE_STATES
from services.booking.search import PUBLISHED_CONDITION
from shared.db import driver_error

# A single request is the hot path (docs/benchmarks.md): three statements instead of ~11,
# written once here and executed with parameters through the driver, no ORM objects.
# (1) REQUEST_FACTS reads the asset, whether its published availability covers the window,
# the active bookings it overlaps and the idempotency key's first answer; (2) INSERT_REQUEST
# writes the booking, its audit row, its outbox event and the idempotency record in one
# statement; (3) COMMIT.
_ACTIVE_SQL = "(" + ", ".join(f"'{s.value}'" for s in ACTIVE_STATES) + ")"

_PUBLISHED = PUBLISHED_CONDITION.format(start="%(start)s", end="%(end)s")
REQUEST_FACTS = f"""
    SELECT a.asset_id, a.owner_org, a.name, a.category, a.booking_mode, a.capacity,
           a.readiness_notice, a.notice_seconds, a.status, a.tariffs,
           EXISTS (SELECT 1 FROM asset_windows w
                   WHERE w.asset_id = a.asset_id AND {_PUBLISHED}) AS published,
           ARRAY(SELECT ARRAY[b.id::text, b.requester_org, b.owner_org] FROM bookings b
                 WHERE b.asset_id = a.asset_id AND b.state IN {_ACTIVE_SQL}
                   AND b.during && tstzrange(%(start)s, %(end)s, '[)')
                 ORDER BY b.planned_start) AS clashes,
           k.request_hash, k.response_body, d.decision_minutes
    FROM (VALUES (1)) AS one (x)
    LEFT JOIN asset_view a ON a.asset_id = %(asset_id)s
    LEFT JOIN idempotency_keys k ON k.actor = %(actor)s AND k.key = %(key)s
    LEFT JOIN category_decision_times d ON d.category = a.category
    """

# Data-modifying CTEs: one round trip, and a refusal by the exclusion constraint (or by the
# idempotency key's primary key) aborts all four inserts at once, so no savepoint is needed.
INSERT_REQUEST = """
    WITH booking AS (
        INSERT INTO bookings (id, asset_id, owner_org, requester_org, requested_by, category,
                              holds_slot, needs_preemption, planned_start, planned_end,
                              quantity, priority, legal_basis, purpose, purpose_class, contact,
                              state, tariff, expires_at, created_at, version, region, decide_by)
        VALUES (%(id)s, %(asset_id)s, %(owner_org)s, %(requester_org)s, %(requested_by)s,
                %(category)s, %(holds_slot)s, %(needs_preemption)s, %(start)s, %(end)s,
                %(quantity)s, %(priority)s, %(legal_basis)s, %(purpose)s, %(purpose_class)s,
                %(contact)s,
                'requested', CAST(%(tariff)s AS jsonb), %(expires_at)s, %(created_at)s, 1,
                %(region)s, %(decide_by)s)
        RETURNING id
    ), audit AS (
        INSERT INTO booking_transitions (booking_id, action, from_state, to_state, actor,
                                         actor_org, reason)
        SELECT id, 'request', NULL, 'requested', %(requested_by)s, %(requester_org)s, NULL
        FROM booking
    ), event AS (
        INSERT INTO outbox (event_id, topic, aggregate_type, aggregate_id, event_type, payload,
                            occurred_at)
        SELECT %(event_id)s, %(topic)s, 'booking', CAST(id AS text), 'booking.requested',
               CAST(%(payload)s AS jsonb), %(occurred_at)s
        FROM booking
    ), claim AS (
        INSERT INTO idempotency_keys (actor, key, request_hash, status_code, response_body)
        SELECT %(requested_by)s, %(key)s, %(request_hash)s, 201, CAST(%(response)s AS jsonb)
        FROM booking WHERE CAST(%(key)s AS text) IS NOT NULL
    )
    SELECT id FROM booking
    """


def execute(session: Any, sql: str, params: dict[str, Any], *, commit: bool = False) -> Any:
    """Run ``sql`` on the session's connection through the driver, in pipeline mode.

    SQLAlchemy's per-execution work (parameter processing, result metadata) cost more than
    the statement (docs/benchmarks.md); pipeline mode sends the transaction's implicit BEGIN,
    or with ``commit`` the COMMIT, together with the statement: one round trip, not two.
    ``commit`` is for the use case's last statement only (the unit of work's own commit then
    finds nothing left to do). Driver errors are raised as SQLAlchemy's (IntegrityError,
    DataError, ...), so callers and the app's error handlers treat them as before.
    """
    if commit and session.in_nested_transaction():
        # Committing on the driver would end the owner's whole transaction behind its back.
        raise RuntimeError("a booking request commits its own transaction, not a savepoint")
    connection = session.connection()
    driver = connection.connection.driver_connection
    cursor = driver.cursor(row_factory=namedtuple_row)
    try:
        with driver.pipeline():
            cursor.execute(sql, params)
            if commit:
                driver.commit()
    except psycopg.Error as exc:
        raise driver_error(connection, sql, params, exc) from exc
    return cursor
