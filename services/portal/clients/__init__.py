"""The APIs for the current request: one client per API, with the signed-in user's token.

``apis()`` builds them once per request from the app's shared ``requests.Session`` (made in
create_app, connected on first use) and the caller's token, language and request id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import requests
from flask import current_app, g, session
from flask_babel import get_locale

from services.portal.clients.base import ApiProblem, ApiUnavailable, CallContext
from services.portal.clients.booking import BookingClient
from services.portal.clients.catalog import CatalogClient
from services.portal.clients.costsharing import CostsharingClient
from services.portal.clients.notify import NotifyClient
from services.portal.config import PortalConfig

__all__ = ["ApiProblem", "ApiUnavailable", "Apis", "apis", "new_http_session"]


@dataclass(frozen=True)
class Apis:
    catalog: CatalogClient
    booking: BookingClient
    costsharing: CostsharingClient
    notify: NotifyClient


def new_http_session(pool_size: int = 16) -> requests.Session:
    """One keep-alive pool per process for every API call (no connection made here)."""
    http = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


def apis() -> Apis:
    """The API clients for this request, as the signed-in user (or anonymous)."""
    if "portal_apis" not in g:
        config: PortalConfig = current_app.extensions["portal_config"]
        http: requests.Session = current_app.extensions["portal_http"]
        if "request_id" not in g:
            g.request_id = uuid.uuid4().hex
        context = CallContext(
            token=session.get("token"),
            language=str(get_locale() or "nl"),
            request_id=g.request_id,
            connect_timeout_s=config.connect_timeout_s,
            read_timeout_s=config.read_timeout_s,
        )
        urls = config.api_urls
        g.portal_apis = Apis(
            catalog=CatalogClient(http, urls["catalog"], context),
            booking=BookingClient(http, urls["booking"], context),
            costsharing=CostsharingClient(http, urls["costsharing"], context),
            notify=NotifyClient(http, urls["notify"], context),
        )
    result: Apis = g.portal_apis
    return result
