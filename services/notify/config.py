"""Notify's own settings (SMTP relay, webhook safety, retry schedule), read once at start-up.

They come from the environment, and a test (or an embedding caller) may set them in
``Settings.extra``, which wins: the same names either way."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from shared.settings import Settings, SettingsError


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool  # smtps://
    starttls: bool  # smtp://...?starttls=true
    username: str | None
    password: str | None


@dataclass(frozen=True)
class NotifyConfig:
    # None without SMTP_URL: emails wait in the deliveries table (retried) until it is set.
    smtp: SmtpTarget | None
    mail_from: str
    # Development and tests deliver webhooks to 127.0.0.1; production never does.
    allow_loopback_webhooks: bool
    # Retries: the n-th failed attempt waits min(base * 2**(n-1), max) before the next one; a
    # delivery still failing this long after it was written is given up ("failed").
    retry_base_s: float
    retry_max_s: float
    give_up_after_s: float
    # A webhook whose last this-many attempts all failed is paused until its owner resumes it.
    webhook_pause_after: int
    webhook_timeout_s: float
    smtp_timeout_s: float


def parse_smtp_url(url: str) -> SmtpTarget:
    """``smtp://[user:password@]host[:port][?starttls=true]`` or ``smtps://...``."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SettingsError(
            f"SMTP_URL must be smtp://host[:port] or smtps://host[:port], got {url!r}"
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise SettingsError(f"SMTP_URL has a bad port: {url!r}") from exc
    implicit_tls = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=port or (465 if implicit_tls else 25),
        implicit_tls=implicit_tls,
        starttls="starttls=true" in parts.query.lower(),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name) or ""
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be more than 0, got {raw!r}")
    return value


def load_notify_config(settings: Settings, env: Mapping[str, str] | None = None) -> NotifyConfig:
    merged = {**(os.environ if env is None else env), **settings.extra}
    allow = (merged.get("NOTIFY_ALLOW_LOOPBACK_WEBHOOKS") or "false").lower()
    if allow not in ("true", "false"):
        raise SettingsError(f"NOTIFY_ALLOW_LOOPBACK_WEBHOOKS must be true or false, got {allow!r}")
    if allow == "true" and settings.environment == "production":
        raise SettingsError(
            "NOTIFY_ALLOW_LOOPBACK_WEBHOOKS=true is for development, not production"
        )
    return NotifyConfig(
        smtp=parse_smtp_url(merged["SMTP_URL"]) if merged.get("SMTP_URL") else None,
        mail_from=merged.get("NOTIFY_MAIL_FROM") or "Slagkracht <noreply@slagkracht.example>",
        allow_loopback_webhooks=allow == "true",
        retry_base_s=_float(merged, "NOTIFY_RETRY_BASE_S", 10.0),
        retry_max_s=_float(merged, "NOTIFY_RETRY_MAX_S", 3600.0),
        give_up_after_s=_float(merged, "NOTIFY_GIVE_UP_AFTER_S", 24 * 3600.0),
        webhook_pause_after=int(_float(merged, "NOTIFY_WEBHOOK_PAUSE_AFTER", 20)),
        webhook_timeout_s=_float(merged, "NOTIFY_WEBHOOK_TIMEOUT_S", 5.0),
        smtp_timeout_s=_float(merged, "NOTIFY_SMTP_TIMEOUT_S", 10.0),
    )
