"""What the commands assume next to a `make run`: the broker on KAFKA_PORT, and the embedded
database found only when one runs (the running case: tests/e2e/test_supervision.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.runtime import embedded_admin_url
from shared.settings import SettingsError, load_settings

DB = "postgresql://sk@127.0.0.1:5432/catalog"


def test_without_a_bootstrap_list_the_broker_is_the_one_on_kafka_port() -> None:
    assert load_settings("catalog", {"DATABASE_URL": DB}).kafka_bootstrap_servers == (
        "127.0.0.1:9092"
    )
    on_port = load_settings("catalog", {"DATABASE_URL": DB, "KAFKA_PORT": "19092"})
    assert on_port.kafka_bootstrap_servers == "127.0.0.1:19092"
    named = load_settings(
        "catalog", {"DATABASE_URL": DB, "KAFKA_PORT": "19092", "KAFKA_BOOTSTRAP_SERVERS": "k:9"}
    )
    assert named.kafka_bootstrap_servers == "k:9"


def test_a_kafka_port_that_is_no_port_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="KAFKA_PORT"):
        load_settings("catalog", {"DATABASE_URL": DB, "KAFKA_PORT": "ninety"})


def test_no_embedded_database_is_found_where_none_runs(tmp_path: Path) -> None:
    assert embedded_admin_url(tmp_path / "pg") is None
    (tmp_path / "pg").mkdir()
    # A server that died without cleaning up: its pid file names a process that is gone.
    lines = ["999999999", str(tmp_path / "pg"), "0", "5432", str(tmp_path / "pg"), "", "", "ready"]
    (tmp_path / "pg" / "postmaster.pid").write_text("\n".join(lines) + "\n")
    assert embedded_admin_url(tmp_path / "pg") is None
    (tmp_path / "pg" / "postmaster.pid").write_text("12\n")  # half-written while starting
    assert embedded_admin_url(tmp_path / "pg") is None
