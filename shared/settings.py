"""Settings from the environment, validated once at start-up with clear messages."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypedDict
from urllib.parse import urlsplit

DEV_JWT_SECRET = "slagkracht-dev-secret-not-for-production-use"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and what is expected."""


KAFKA_SECURITY_PROTOCOLS = ("PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")
_KAFKA_SASL_VARS = (
    "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "KAFKA_SASL_PASSWORD_FILE",
)


@dataclass(frozen=True)
class KafkaSecurity:
    """How the Kafka clients authenticate. The default, plaintext without a login, is what the
    embedded Tansu broker speaks; production's broker has SCRAM logins and ACLs (README)."""

    protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)  # never in a log line
    ssl_cafile: str | None = None


@dataclass(frozen=True)
class Settings:
    service: str
    database_url: str
    kafka_bootstrap_servers: str
    topic_prefix: str = ""
    jwt_secret: str = DEV_JWT_SECRET
    # Keys the secret calendar feed URLs (HMAC per organisation); never the dev secret in
    # production, whatever the login mode.
    calendar_feed_secret: str = DEV_JWT_SECRET
    jwt_jwks_url: str | None = None
    jwt_audience: str | None = None
    # Production sign-in (docs/architecture.md "Sign-in"): the issuer a token must name, the
    # claims that carry the organisation and the roles (a dotted path reaches a nested claim),
    # and for an identity provider whose access tokens are opaque, its userinfo endpoint.
    jwt_issuer: str | None = None
    jwt_org_claim: str = "org"
    jwt_roles_claim: str = "roles"
    jwt_userinfo_url: str | None = None
    environment: str = "development"
    outbox_retention_hours: int = 168
    consumer_group: str = ""
    # How long the broker may hold an empty fetch while events flow, and once a consumer has
    # seen none for a second (an idle consumer then costs ~0.2 % of a core, not ~10 %; the
    # first event after a quiet spell waits up to half the idle wait, here 1 s: docs/benchmarks.md
    # "Backbone").
    fetch_max_wait_ms: int = 10
    fetch_idle_wait_ms: int = 2000
    # After a batch that emptied its queue, a consumer (and the relay, after a NOTIFY) pauses
    # so the next batch is larger: the floor up to linger_from_rate events a second, then
    # growing to linger_max_ms at linger_full_rate (shared/pacing.py Linger).
    consumer_linger_ms: int = 10
    relay_linger_ms: int = 10
    linger_max_ms: int = 150
    linger_from_rate: int = 120
    linger_full_rate: int = 250
    # How long a hold placed for a preempted unit lasts unless the unit confirms it (booking).
    booking_hold_minutes: int = 30
    # How the Kafka clients log in to the broker (production: SCRAM; dev and tests: none).
    kafka_security: KafkaSecurity = field(default_factory=KafkaSecurity)
    extra: Mapping[str, str] = field(default_factory=dict)

    def topic(self, name: str) -> str:
        """Physical topic name; a prefix lets tests and tenants share one broker."""
        return f"{self.topic_prefix}{name}"

    @property
    def group_id(self) -> str:
        return self.consumer_group or f"{self.topic_prefix}{self.service}"


def sqlalchemy_url(url: str) -> str:
    """Accept plain libpq URLs (postgresql://) and use the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _secret(env: Mapping[str, str], name: str) -> str | None:
    """``NAME`` or the contents of the file ``NAME_FILE`` (a Docker secret), not both."""
    value, path = env.get(name) or None, env.get(f"{name}_FILE") or None
    if value is not None and path is not None:
        raise SettingsError(f"set {name} or {name}_FILE, not both")
    if path is None:
        return value
    try:
        with open(path, encoding="utf-8") as f:
            value = f.read().rstrip("\r\n")  # the newline an editor or echo leaves
    except OSError as exc:
        raise SettingsError(f"{name}_FILE {path!r} cannot be read: {exc.strerror}") from exc
    if not value:
        raise SettingsError(f"{name}_FILE {path!r} is empty")
    return value


def _kafka_security(env: Mapping[str, str]) -> KafkaSecurity:
    raw = env.get("KAFKA_SECURITY_PROTOCOL") or "PLAINTEXT"
    protocol = raw.upper()
    if protocol not in KAFKA_SECURITY_PROTOCOLS:
        raise SettingsError(
            f"KAFKA_SECURITY_PROTOCOL must be one of {', '.join(KAFKA_SECURITY_PROTOCOLS)}, "
            f"got {raw!r}"
        )
    cafile = env.get("KAFKA_SSL_CAFILE") or None
    if cafile is not None and protocol != "SASL_SSL":
        raise SettingsError(f"KAFKA_SSL_CAFILE needs KAFKA_SECURITY_PROTOCOL=SASL_SSL, not {raw}")
    if cafile is not None and not os.path.isfile(cafile):
        raise SettingsError(f"KAFKA_SSL_CAFILE {cafile!r} is not a file")
    if protocol == "PLAINTEXT":
        # A login that would silently not be used is a mistake worth stopping for.
        given = [name for name in _KAFKA_SASL_VARS if env.get(name)]
        if given:
            raise SettingsError(
                f"{', '.join(given)} set but KAFKA_SECURITY_PROTOCOL is {raw}: "
                "set KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT or SASL_SSL to log in"
            )
        return KafkaSecurity()
    mechanism = (env.get("KAFKA_SASL_MECHANISM") or "").upper()
    if mechanism not in KAFKA_SASL_MECHANISMS:
        raise SettingsError(
            f"KAFKA_SECURITY_PROTOCOL={protocol} needs KAFKA_SASL_MECHANISM, one of "
            f"{', '.join(KAFKA_SASL_MECHANISMS)}; got {env.get('KAFKA_SASL_MECHANISM')!r}"
        )
    if mechanism == "PLAIN" and protocol != "SASL_SSL":
        raise SettingsError(
            "KAFKA_SASL_MECHANISM=PLAIN sends the password in clear: use it only with "
            "KAFKA_SECURITY_PROTOCOL=SASL_SSL, or use SCRAM-SHA-512"
        )
    username = env.get("KAFKA_SASL_USERNAME") or None
    if username is None:
        raise SettingsError(f"KAFKA_SASL_MECHANISM={mechanism} needs KAFKA_SASL_USERNAME")
    password = _secret(env, "KAFKA_SASL_PASSWORD")
    if password is None:
        raise SettingsError(
            f"KAFKA_SASL_MECHANISM={mechanism} needs KAFKA_SASL_PASSWORD_FILE (a Docker "
            "secret) or KAFKA_SASL_PASSWORD"
        )
    return KafkaSecurity(protocol, mechanism, username, password, cafile)


def load_settings(
    service: str, env: Mapping[str, str] | None = None, *, require_database: bool = True
) -> Settings:
    """Read the settings of one service.

    The database comes from ``<SERVICE>_DATABASE_URL`` or else ``DATABASE_URL``, so one
    environment can name every service's database and a container can name just its own.
    """
    env = os.environ if env is None else env
    db_var = f"{service.upper()}_DATABASE_URL"
    database_url = env.get(db_var) or env.get("DATABASE_URL") or ""
    if not database_url and not require_database:
        database_url = "postgresql://unused/unused"
    if not database_url:
        raise SettingsError(
            f"{db_var} (or DATABASE_URL) is not set: name the service's PostgreSQL database, "
            "e.g. postgresql://user@127.0.0.1:5432/" + service
        )
    scheme = urlsplit(database_url).scheme
    if not scheme.startswith("postgres"):
        raise SettingsError(f"{db_var} must be a postgresql:// URL, got scheme {scheme!r}")
    bootstrap = _kafka_bootstrap(env)
    environment = env.get("SLAGKRACHT_ENV", "development")
    jwt_secret = env.get("JWT_SECRET", DEV_JWT_SECRET)
    jwks_url = env.get("JWT_JWKS_URL") or None
    if environment == "production" and not jwks_url and jwt_secret == DEV_JWT_SECRET:
        raise SettingsError(
            "SLAGKRACHT_ENV=production needs JWT_JWKS_URL (RS256) or a real JWT_SECRET"
        )
    # With RS256 logins JWT_SECRET may be unset (the dev default): the calendar feed keys must
    # then come from a secret of their own, or anyone could compute any unit's feed URL.
    # (Only booking serves feeds.)
    feed_secret = env.get("CALENDAR_FEED_SECRET") or jwt_secret
    if (environment, service) == ("production", "booking") and feed_secret == DEV_JWT_SECRET:
        raise SettingsError(
            "SLAGKRACHT_ENV=production needs CALENDAR_FEED_SECRET (or a real JWT_SECRET): it "
            "keys the calendar feed URLs"
        )
    return Settings(
        service=service,
        database_url=sqlalchemy_url(database_url),
        kafka_bootstrap_servers=bootstrap,
        topic_prefix=env.get("KAFKA_TOPIC_PREFIX", ""),
        jwt_secret=jwt_secret,
        calendar_feed_secret=feed_secret,
        jwt_jwks_url=jwks_url,
        jwt_audience=env.get("JWT_AUDIENCE") or None,
        jwt_issuer=env.get("JWT_ISSUER") or None,
        jwt_org_claim=env.get("JWT_ORG_CLAIM") or "org",
        jwt_roles_claim=env.get("JWT_ROLES_CLAIM") or "roles",
        jwt_userinfo_url=env.get("JWT_USERINFO_URL") or None,
        environment=environment,
        outbox_retention_hours=_int(env, "OUTBOX_RETENTION_HOURS", 168, minimum=1),
        consumer_group=env.get("KAFKA_CONSUMER_GROUP", ""),
        booking_hold_minutes=_int(env, "BOOKING_HOLD_MINUTES", 30, minimum=1),
        kafka_security=_kafka_security(env),
        **_kafka_pacing(env),
    )


def _kafka_bootstrap(env: Mapping[str, str]) -> str:
    """KAFKA_BOOTSTRAP_SERVERS; without it, the broker `slagkracht run` starts (on KAFKA_PORT,
    else 9092)."""
    bootstrap = env.get(
        "KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{_int(env, 'KAFKA_PORT', 9092, minimum=1)}"
    )
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        if not host or not port.isdigit():
            raise SettingsError(
                f"KAFKA_BOOTSTRAP_SERVERS must be host:port[,host:port], got {bootstrap!r}"
            )
    return bootstrap


class _KafkaPacing(TypedDict):
    fetch_max_wait_ms: int
    fetch_idle_wait_ms: int
    consumer_linger_ms: int
    relay_linger_ms: int
    linger_max_ms: int
    linger_from_rate: int
    linger_full_rate: int


def _kafka_pacing(env: Mapping[str, str]) -> _KafkaPacing:
    """The fetch waits and lingers of the consumers and relays (defaults on Settings)."""
    return {
        "fetch_max_wait_ms": _int(env, "KAFKA_FETCH_MAX_WAIT_MS", 10, minimum=1),
        "fetch_idle_wait_ms": _int(env, "KAFKA_FETCH_IDLE_WAIT_MS", 2000, minimum=1),
        "consumer_linger_ms": _int(env, "KAFKA_CONSUMER_LINGER_MS", 10),
        "relay_linger_ms": _int(env, "RELAY_LINGER_MS", 10),
        "linger_max_ms": _int(env, "KAFKA_LINGER_MAX_MS", 150),
        "linger_from_rate": _int(env, "KAFKA_LINGER_FROM_RATE", 120),
        "linger_full_rate": _int(env, "KAFKA_LINGER_FULL_RATE", 250, minimum=1),
    }
