"""The portal's app factory: nothing connects at import or creation (the first API call does)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from services.portal.auth import init_auth
from services.portal.cache import TtlCache
from services.portal.clients import new_http_session
from services.portal.config import PortalConfig, load_config
from services.portal.errors import init_errors
from services.portal.i18n import init_i18n
from services.portal.labels import init_labels
from services.portal.navigation import init_navigation
from services.portal.security import init_security
from services.portal.views import register_views

HERE = Path(__file__).parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the portal. ``config`` may hold ``PORTAL_CONFIG`` (a PortalConfig) and Flask keys."""
    overrides = dict(config or {})
    portal_config: PortalConfig = overrides.pop("PORTAL_CONFIG", None) or load_config()
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        SECRET_KEY=portal_config.secret_key,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        BABEL_TRANSLATION_DIRECTORIES=str(HERE / "translations"),
        SEND_FILE_MAX_AGE_DEFAULT=timedelta(hours=1),
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    app.config.update(overrides)
    app.extensions["portal_config"] = portal_config
    if portal_config.trusted_proxies:
        hops = portal_config.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    app.extensions["portal_http"] = new_http_session()
    app.extensions["portal_cache"] = TtlCache(ttl_s=float(overrides.get("PORTAL_CACHE_TTL_S", 60)))
    app.jinja_env.autoescape = True
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 8 <= len(incoming) <= 64 else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response

    init_i18n(app)
    init_labels(app)
    init_security(app, production=portal_config.production)
    init_auth(app, portal_config)
    init_navigation(app)
    init_errors(app)
    register_views(app)
    return app
