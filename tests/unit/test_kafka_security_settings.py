"""The Kafka login settings: unset is plaintext (Tansu); a login is complete or refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.kafka import security_config
from shared.settings import KafkaSecurity, SettingsError, load_settings

DB = "postgresql://sk@127.0.0.1:5432/catalog"
SCRAM = {
    "DATABASE_URL": DB,
    "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
    "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "KAFKA_SASL_USERNAME": "catalog",
}


def secret_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "kafka_catalog_password.txt"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_unset_is_plaintext_without_a_login() -> None:
    settings = load_settings("catalog", {"DATABASE_URL": DB})
    assert settings.kafka_security == KafkaSecurity()
    assert settings.kafka_security.protocol == "PLAINTEXT"
    assert security_config(settings) == {}


def test_scram_with_a_password_file_gives_the_client_its_login(tmp_path: Path) -> None:
    env = {**SCRAM, "KAFKA_SASL_PASSWORD_FILE": secret_file(tmp_path, "s3cr3t-from-file\n")}
    settings = load_settings("catalog", env)
    assert security_config(settings) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "catalog",
        "sasl_plain_password": "s3cr3t-from-file",  # the file's trailing newline is not in it
    }


def test_a_password_from_the_environment_works_too() -> None:
    settings = load_settings("catalog", {**SCRAM, "KAFKA_SASL_PASSWORD": "pw"})
    assert security_config(settings)["sasl_plain_password"] == "pw"


def test_protocol_and_mechanism_are_case_insensitive() -> None:
    env = {
        **SCRAM,
        "KAFKA_SECURITY_PROTOCOL": "sasl_plaintext",
        "KAFKA_SASL_MECHANISM": "scram-sha-256",
        "KAFKA_SASL_PASSWORD": "pw",
    }
    security = load_settings("catalog", env).kafka_security
    assert (security.protocol, security.sasl_mechanism) == ("SASL_PLAINTEXT", "SCRAM-SHA-256")


def test_the_password_never_shows_in_a_repr(tmp_path: Path) -> None:
    env = {**SCRAM, "KAFKA_SASL_PASSWORD_FILE": secret_file(tmp_path, "do-not-log-me")}
    settings = load_settings("catalog", env)
    assert "do-not-log-me" not in repr(settings)
    assert "catalog" in repr(settings.kafka_security)


def test_sasl_ssl_passes_a_ca_file(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    env = {
        **SCRAM,
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_PASSWORD": "pw",
        "KAFKA_SSL_CAFILE": str(ca),
    }
    config = security_config(load_settings("catalog", env))
    assert config["security_protocol"] == "SASL_SSL"
    assert config["ssl_cafile"] == str(ca)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"KAFKA_SECURITY_PROTOCOL": "SSL"}, "KAFKA_SECURITY_PROTOCOL must be one of"),
        ({"KAFKA_SECURITY_PROTOCOL": "sasl"}, "KAFKA_SECURITY_PROTOCOL must be one of"),
        ({"KAFKA_SASL_MECHANISM": ""}, "needs KAFKA_SASL_MECHANISM"),
        ({"KAFKA_SASL_MECHANISM": "GSSAPI"}, "needs KAFKA_SASL_MECHANISM, one of"),
        ({"KAFKA_SASL_MECHANISM": "PLAIN"}, "PLAIN sends the password in clear"),
        (
            {"KAFKA_SASL_USERNAME": ""},
            "SCRAM-SHA-512 needs KAFKA_SASL_USERNAME",
        ),
        ({"KAFKA_SASL_PASSWORD": ""}, "needs KAFKA_SASL_PASSWORD_FILE"),
        (
            {"KAFKA_SASL_PASSWORD": "pw", "KAFKA_SASL_PASSWORD_FILE": "/run/secrets/x"},
            "set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both",
        ),
        (
            {"KAFKA_SASL_PASSWORD": "", "KAFKA_SASL_PASSWORD_FILE": "/nonexistent/x"},
            "cannot be read",
        ),
        ({"KAFKA_SSL_CAFILE": "/nonexistent/ca.pem"}, "KAFKA_SSL_CAFILE needs"),
    ],
)
def test_an_incomplete_or_unsafe_login_is_refused_by_name(
    change: dict[str, str], says: str
) -> None:
    env = {**SCRAM, "KAFKA_SASL_PASSWORD": "pw", **change}
    with pytest.raises(SettingsError, match=says):
        load_settings("catalog", env)


def test_an_empty_password_file_is_refused(tmp_path: Path) -> None:
    env = {**SCRAM, "KAFKA_SASL_PASSWORD_FILE": secret_file(tmp_path, "\n")}
    with pytest.raises(SettingsError, match="KAFKA_SASL_PASSWORD_FILE .* is empty"):
        load_settings("catalog", env)


def test_a_ca_file_that_is_missing_is_refused(tmp_path: Path) -> None:
    env = {
        **SCRAM,
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_PASSWORD": "pw",
        "KAFKA_SSL_CAFILE": str(tmp_path / "missing.pem"),
    }
    with pytest.raises(SettingsError, match="KAFKA_SSL_CAFILE .* is not a file"):
        load_settings("catalog", env)


@pytest.mark.parametrize(
    "name", ["KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD_FILE"]
)
def test_a_login_without_a_sasl_protocol_is_refused_not_ignored(name: str) -> None:
    env = {"DATABASE_URL": DB, name: "something"}
    with pytest.raises(SettingsError, match=f"{name} set but KAFKA_SECURITY_PROTOCOL is PLAINTEXT"):
        load_settings("catalog", env)
