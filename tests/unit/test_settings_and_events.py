"""Start-up settings and event contracts: each refusal says what is wrong."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from shared.events import (
    ENVELOPE_FIELDS,
    EventInvalid,
    contracts_dir,
    decode_event,
    make_event,
    validate_event,
    validator_for,
)
from shared.settings import DEV_JWT_SECRET, SettingsError, load_settings, sqlalchemy_url

DB = "postgresql://sk@127.0.0.1:5432/catalog"


# -- load_settings ------------------------------------------------------------------------------
def test_a_minimal_environment_loads_with_defaults() -> None:
    settings = load_settings("catalog", {"DATABASE_URL": DB})
    assert settings.service == "catalog"
    assert settings.database_url == "postgresql+psycopg://sk@127.0.0.1:5432/catalog"
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert settings.environment == "development"
    assert settings.jwt_secret == DEV_JWT_SECRET
    assert settings.group_id == "catalog"
    assert settings.topic("catalog.assets") == "catalog.assets"


def test_the_service_database_variable_wins_over_the_shared_one() -> None:
    settings = load_settings(
        "booking",
        {"DATABASE_URL": DB, "BOOKING_DATABASE_URL": "postgres://sk@db:5432/booking"},
    )
    assert settings.database_url == "postgresql+psycopg://sk@db:5432/booking"


def test_a_topic_prefix_names_topics_and_the_group() -> None:
    settings = load_settings("booking", {"DATABASE_URL": DB, "KAFKA_TOPIC_PREFIX": "t1."})
    assert settings.topic("booking.bookings") == "t1.booking.bookings"
    assert settings.group_id == "t1.booking"


@pytest.mark.parametrize("env", [{}, {"DATABASE_URL": ""}, {"CATALOG_DATABASE_URL": ""}])
def test_a_missing_database_url_names_the_variables(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings("catalog", env)
    assert "CATALOG_DATABASE_URL" in str(raised.value)
    assert "DATABASE_URL" in str(raised.value)


def test_a_database_can_be_left_out_when_not_required() -> None:
    settings = load_settings("catalog", {}, require_database=False)
    assert settings.database_url.startswith("postgresql")


@pytest.mark.parametrize("url", ["mysql://db/catalog", "sqlite:///catalog.db", "catalog"])
def test_a_database_url_that_is_not_postgresql_is_refused(url: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings("catalog", {"DATABASE_URL": url})
    assert "postgresql://" in str(raised.value)


@pytest.mark.parametrize(
    "servers",
    ["localhost", "broker:port", ":9092", "a:9092,b", "a:9092,,b:9092", "broker:-1", ""],
)
def test_malformed_bootstrap_servers_are_refused(servers: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings("catalog", {"DATABASE_URL": DB, "KAFKA_BOOTSTRAP_SERVERS": servers})
    assert "KAFKA_BOOTSTRAP_SERVERS" in str(raised.value)
    assert "host:port" in str(raised.value)


@pytest.mark.parametrize("servers", ["k1:9092", "k1:9092,k2:9093", "k1:9092, k2:9093"])
def test_well_formed_bootstrap_servers_are_kept(servers: str) -> None:
    settings = load_settings("catalog", {"DATABASE_URL": DB, "KAFKA_BOOTSTRAP_SERVERS": servers})
    assert settings.kafka_bootstrap_servers == servers


@pytest.mark.parametrize("secret", [None, DEV_JWT_SECRET])
def test_production_refuses_the_development_secret(secret: str | None) -> None:
    env = {"DATABASE_URL": DB, "SLAGKRACHT_ENV": "production"}
    if secret is not None:
        env["JWT_SECRET"] = secret
    with pytest.raises(SettingsError) as raised:
        load_settings("catalog", env)
    assert "JWT_JWKS_URL" in str(raised.value)
    assert "JWT_SECRET" in str(raised.value)


def test_production_accepts_a_real_secret_or_a_jwks_url() -> None:
    base = {"DATABASE_URL": DB, "SLAGKRACHT_ENV": "production"}
    with_secret = load_settings("catalog", {**base, "JWT_SECRET": "a-real-secret-" + "x" * 32})
    assert with_secret.jwt_secret.startswith("a-real-secret-")
    with_jwks = load_settings("catalog", {**base, "JWT_JWKS_URL": "https://idp.example/jwks"})
    assert with_jwks.jwt_jwks_url == "https://idp.example/jwks"


def test_production_booking_keys_calendar_feeds_with_a_real_secret() -> None:
    """With RS256 logins JWT_SECRET may stay unset; the feed URLs must not then be keyed by the
    public development secret (anyone could compute any unit's feed)."""
    base = {"DATABASE_URL": DB, "SLAGKRACHT_ENV": "production",
            "JWT_JWKS_URL": "https://idp.example/jwks"}  # fmt: skip
    for env in (base, {**base, "CALENDAR_FEED_SECRET": DEV_JWT_SECRET}):
        with pytest.raises(SettingsError) as raised:
            load_settings("booking", env)
        assert "CALENDAR_FEED_SECRET" in str(raised.value)
    feeds = load_settings("booking", {**base, "CALENDAR_FEED_SECRET": "f" * 40})
    assert feeds.calendar_feed_secret == "f" * 40
    real = load_settings("booking", {**base, "JWT_SECRET": "a-real-secret-" + "x" * 32})
    assert real.calendar_feed_secret == real.jwt_secret  # one real secret may serve both
    assert load_settings("booking", {"DATABASE_URL": DB}).calendar_feed_secret == DEV_JWT_SECRET


def test_development_tolerates_the_development_secret() -> None:
    assert load_settings("catalog", {"DATABASE_URL": DB}).jwt_secret == DEV_JWT_SECRET


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("OUTBOX_RETENTION_HOURS", "a week", "whole number"),
        ("OUTBOX_RETENTION_HOURS", "0", "at least 1"),
        ("KAFKA_FETCH_MAX_WAIT_MS", "1.5", "whole number"),
        ("KAFKA_FETCH_MAX_WAIT_MS", "-10", "at least 1"),
    ],
)
def test_malformed_numbers_are_refused_by_name(name: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings("catalog", {"DATABASE_URL": DB, name: value})
    assert name in str(raised.value)
    assert says in str(raised.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_sqlalchemy_url_uses_psycopg_3(url: str, expected: str) -> None:
    assert sqlalchemy_url(url) == expected


# -- events ---------------------------------------------------------------------------------------
# A contract of our own, so these tests pin the mechanics, not any service's evolving payloads.
SAMPLE = "unittest.sample.recorded"
SAMPLE_CONTRACT = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": list(ENVELOPE_FIELDS),
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "type": {"const": SAMPLE},
        "version": {"const": 1},
        "occurred_at": {"type": "string"},
        "producer": {"type": "string", "minLength": 1},
        "aggregate_id": {"type": "string", "minLength": 1},
        "actor": {"type": "string", "minLength": 1},
        "trace_id": {"type": "string", "minLength": 1},
        "data": {
            "type": "object",
            "additionalProperties": False,
            "required": ["sample_id", "kind", "count", "amounts"],
            "properties": {
                "sample_id": {"type": "string", "format": "uuid"},
                "kind": {"enum": ["small", "large"]},
                "count": {"type": "integer", "minimum": 1},
                "amounts": {
                    "type": "array",
                    "items": {"type": "string", "pattern": "^\\d+\\.\\d{2}$"},
                },
            },
        },
    },
}


@pytest.fixture(autouse=True)
def sample_contracts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    events = tmp_path / "events"
    events.mkdir()
    (events / f"{SAMPLE}.v1.json").write_text(json.dumps(SAMPLE_CONTRACT), encoding="utf-8")
    monkeypatch.setenv("SLAGKRACHT_CONTRACTS_DIR", str(tmp_path))
    return tmp_path


def sample_event() -> dict[str, Any]:
    sample_id = str(uuid.uuid4())
    return make_event(
        event_type=SAMPLE,
        producer="unit-test",
        aggregate_id=sample_id,
        actor="owner-dhc",
        data={"sample_id": sample_id, "kind": "small", "count": 2, "amounts": ["9800.00"]},
    )


def test_a_made_event_carries_the_envelope_and_decodes_back() -> None:
    event = sample_event()
    assert tuple(event) == ENVELOPE_FIELDS
    assert event["type"] == SAMPLE
    assert event["version"] == 1
    assert event["producer"] == "unit-test"
    assert event["actor"] == "owner-dhc"
    assert uuid.UUID(event["id"])
    assert decode_event(json.dumps(event).encode()) == event
    assert validate_event(event) is event


def test_made_events_have_distinct_ids_and_default_actor_and_trace() -> None:
    first = sample_event()
    second = make_event(
        event_type=SAMPLE,
        producer="unit-test",
        aggregate_id="x",
        data={"sample_id": str(uuid.uuid4()), "kind": "large", "count": 1, "amounts": []},
    )
    assert first["id"] != second["id"]
    assert first["trace_id"] != second["trace_id"]
    assert second["actor"] == "system"


@pytest.mark.parametrize("raw", [b"not json", b"{", b"\xff\xfe\x00", b""])
def test_a_message_that_is_not_json_is_invalid(raw: bytes) -> None:
    with pytest.raises(EventInvalid, match="^not JSON"):
        decode_event(raw)


def test_a_message_without_a_value_is_invalid() -> None:
    with pytest.raises(EventInvalid, match="no value"):
        decode_event(None)


@pytest.mark.parametrize("raw", [b"[]", b'"event"', b"42", b"null"])
def test_json_that_is_not_an_object_is_invalid(raw: bytes) -> None:
    with pytest.raises(EventInvalid, match="not a JSON object"):
        decode_event(raw)


@pytest.mark.parametrize(
    "change", [{"type": None}, {"version": None}, {"version": "1"}, {"type": 7}]
)
def test_an_envelope_without_type_and_integer_version_is_invalid(change: dict[str, Any]) -> None:
    event = {**sample_event(), **change}
    with pytest.raises(EventInvalid, match="'type'.*'version'"):
        validate_event(event)


def test_an_unknown_event_type_is_invalid() -> None:
    event = {**sample_event(), "type": "unittest.sample.teleported"}
    with pytest.raises(EventInvalid, match="unknown event type or version: unittest.sample.tele"):
        decode_event(json.dumps(event).encode())


def test_an_unknown_version_is_invalid() -> None:
    event = {**sample_event(), "version": 99}
    with pytest.raises(EventInvalid, match=f"unknown event type or version: {SAMPLE} v99"):
        decode_event(json.dumps(event).encode())


def without(event: dict[str, Any], *path: str) -> dict[str, Any]:
    out = copy.deepcopy(event)
    node = out
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return out


def changed(event: dict[str, Any], value: Any, *path: str | int) -> dict[str, Any]:
    out = copy.deepcopy(event)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda e: without(e, "data"), "(root)"),
        (lambda e: without(e, "data", "kind"), "data"),
        (lambda e: changed(e, "medium", "data", "kind"), "data/kind"),
        (lambda e: changed(e, 0, "data", "count"), "data/count"),
        (lambda e: changed(e, "2", "data", "count"), "data/count"),
        (lambda e: changed(e, "9800", "data", "amounts", 0), "data/amounts/0"),
        (lambda e: changed(e, "not-a-uuid", "data", "sample_id"), "data/sample_id"),
        (lambda e: changed(e, "surprise", "data", "colour"), "data"),
        (lambda e: changed(e, "", "producer"), "producer"),
    ],
    ids=[
        "no-data",
        "missing-field",
        "bad-enum",
        "below-minimum",
        "wrong-type",
        "money-without-cents",
        "bad-uuid",
        "extra-field",
        "empty-producer",
    ],
)
def test_a_schema_violation_is_invalid_and_says_where(mutate: Any, where: str) -> None:
    event = mutate(sample_event())
    with pytest.raises(EventInvalid) as raised:
        decode_event(json.dumps(event).encode())
    assert str(raised.value).startswith(f"schema violation at {where}:")


def test_make_event_refuses_data_that_breaks_the_contract() -> None:
    with pytest.raises(EventInvalid, match="schema violation at data"):
        make_event(event_type=SAMPLE, producer="unit-test", aggregate_id="x", data={})


def test_every_shipped_contract_is_a_valid_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLAGKRACHT_CONTRACTS_DIR")
    shipped = sorted((contracts_dir() / "events").glob("*.v*.json"))
    assert shipped, "no event contracts found"
    for path in shipped:
        event_type, _, version = path.name.removesuffix(".json").rpartition(".v")
        validator_for(event_type, int(version))  # raises if the schema itself is malformed
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert schema["properties"]["type"] == {"const": event_type}, path.name
        assert set(ENVELOPE_FIELDS) <= set(schema["required"]), path.name
