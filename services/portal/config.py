"""The portal's settings from the environment, read once when the app is created."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass

from shared.settings import DEV_JWT_SECRET, SettingsError

DEFAULT_API_URLS = {
    "catalog": "http://127.0.0.1:8081",
    "booking": "http://127.0.0.1:8082",
    "costsharing": "http://127.0.0.1:8083",
    "notify": "http://127.0.0.1:8084",
}


@dataclass(frozen=True)
class PortalConfig:
    api_urls: Mapping[str, str]
    secret_key: str
    environment: str = "development"
    jwt_secret: str = DEV_JWT_SECRET  # mints the demo personas' tokens (development only)
    connect_timeout_s: float = 3.05
    read_timeout_s: float = 15.0
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scope: str = "openid profile email"
    # Reverse proxies in front of the portal whose X-Forwarded-Proto/Host/For it believes
    # (the OIDC redirect URI and Secure cookies need the browser's https address).
    trusted_proxies: int = 0

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)


def load_config(env: Mapping[str, str] | None = None) -> PortalConfig:
    """Read PORTAL_* and the API URLs; production refuses dev secrets and needs OIDC."""
    env = os.environ if env is None else env
    environment = env.get("SLAGKRACHT_ENV", "development")
    jwt_secret = env.get("JWT_SECRET") or DEV_JWT_SECRET
    # In development a key derived from the (dev) JWT secret keeps sessions across restarts.
    secret_key = (
        env.get("PORTAL_SECRET_KEY")
        or hashlib.sha256(f"portal-session:{jwt_secret}".encode()).hexdigest()
    )
    config = PortalConfig(
        api_urls={
            name: env.get(f"{name.upper()}_URL", default).rstrip("/")
            for name, default in DEFAULT_API_URLS.items()
        },
        secret_key=secret_key,
        environment=environment,
        jwt_secret=jwt_secret,
        connect_timeout_s=float(env.get("PORTAL_CONNECT_TIMEOUT_S", "3.05")),
        read_timeout_s=float(env.get("PORTAL_READ_TIMEOUT_S", "15")),
        oidc_issuer=env.get("OIDC_ISSUER", "").rstrip("/"),
        oidc_client_id=env.get("OIDC_CLIENT_ID", ""),
        oidc_client_secret=env.get("OIDC_CLIENT_SECRET", ""),
        oidc_scope=env.get("OIDC_SCOPE", "openid profile email"),
        trusted_proxies=int(env.get("PORTAL_TRUSTED_PROXIES", "0")),
    )
    if config.production:
        if not env.get("PORTAL_SECRET_KEY"):
            raise SettingsError("PORTAL_SECRET_KEY must be set in production (signs sessions)")
        if not config.oidc_enabled:
            raise SettingsError(
                "OIDC_ISSUER and OIDC_CLIENT_ID must be set in production (sign-in)"
            )
    return config
