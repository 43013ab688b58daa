"""Statements sent straight to psycopg (booking creation, catalog lists) report failures as
SQLAlchemy's errors; a connection the failure broke is dropped, not reused or rolled back."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError, OperationalError

from shared.db import driver_error, make_engine, make_session_factory
from shared.settings import Settings

pytestmark = [pytest.mark.db]


def test_a_driver_error_is_sqlalchemys_and_a_broken_connection_is_dropped(
    settings: dict[str, Settings],
) -> None:
    engine = make_engine(settings["booking"].database_url, pool_size=1)
    sessions = make_session_factory(engine)

    # A refused value: the same DataError a query through SQLAlchemy raises (the API's 422).
    with sessions() as session:
        connection = session.connection()
        try:
            connection.connection.driver_connection.execute("SELECT 'x'::int")
        except psycopg.Error as exc:
            error = driver_error(connection, "SELECT 'x'::int", {}, exc)
        assert isinstance(error, DataError) and not error.connection_invalidated

    # The server ends the connection mid-transaction: OperationalError, and the session
    # closes without a second error from a rollback on a dead socket.
    session = sessions()
    connection = session.connection()
    pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    with engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    try:
        connection.connection.driver_connection.execute("SELECT 1")
    except psycopg.Error as exc:
        error = driver_error(connection, "SELECT 1", {}, exc)
    assert isinstance(error, OperationalError) and error.connection_invalidated
    session.close()

    # The pool hands out a working connection next.
    with sessions() as session:
        assert session.execute(text("SELECT 1")).scalar_one() == 1
    engine.dispose()
