"""Pages anyone may read, without signing in: the public register of drone deployments
(``/openbaar/drone-inzet``) and its Atom feed (``/openbaar/drone-inzet.atom``).

Both come from booking's public API, called without a token even when the reader happens to
be signed in, so the public sees exactly what booking publishes and nothing of the reader's.
The safety regions' names come from catalog's public reference data (``/public/regions``,
also without a token), shared per process for the cache's TTL; when catalog cannot answer,
the codes stand alone."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any, TypeVar
from xml.etree import ElementTree as ET

from flask import Blueprint, current_app, g, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.portal.cache import shared_cache
from services.portal.clients import ApiProblem, ApiUnavailable
from services.portal.clients.base import ApiClient, CallContext
from services.portal.clients.booking import BookingClient
from services.portal.clients.catalog import CatalogClient
from services.portal.config import PortalConfig
from services.portal.i18n import AMSTERDAM, date_filter
from services.portal.labels import CATEGORIES, LEGAL_BASES, PURPOSE_CLASSES, label

bp = Blueprint("public", __name__, url_prefix="/openbaar")

PAGE_SIZE = 25
FEED_SIZE = 50
ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FILTERS = ("from", "to", "region")


C = TypeVar("C", bound=ApiClient)


def anonymous(client: type[C]) -> C:
    """An API's client without the reader's token: what is public is the same for everyone."""
    config: PortalConfig = current_app.extensions["portal_config"]
    context = CallContext(
        token=None,
        language=str(get_locale() or "nl"),
        request_id=g.get("request_id") or uuid.uuid4().hex,
        connect_timeout_s=config.connect_timeout_s,
        read_timeout_s=config.read_timeout_s,
    )
    http = current_app.extensions["portal_http"]
    return client(http, config.api_urls[client.service], context)


def region_names() -> dict[str, str]:
    """Each safety region's name by its code (names are proper names: the same in nl and
    en); empty when catalog cannot answer, and then nothing is kept."""
    try:
        page = shared_cache().get_or_load(
            "public-regions", lambda: anonymous(CatalogClient).get("/public/regions")
        )
    except (ApiProblem, ApiUnavailable):
        return {}
    return {region["code"]: region["name"] for region in page["items"]}


def region_text(code: str | None, names: dict[str, str]) -> str:
    """ "Rotterdam-Rijnmond (VR17)", or the code alone when its name is not known."""
    if not code:
        return "?"
    return f"{names[code]} ({code})" if code in names else code


@bp.get("/drone-inzet")
def drone_register() -> str:
    filters = {name: request.args.get(name, "").strip() for name in FILTERS}
    cursor = request.args.get("cursor", "")
    errors: dict[str, list[str]] = {}
    page: dict[str, Any] = {"items": [], "next_cursor": None}
    try:
        page = anonymous(BookingClient).public_drone_deployments(
            **filters, cursor=cursor, limit=PAGE_SIZE
        )
    except ApiProblem as exc:
        if exc.status != 422:
            raise
        errors = exc.errors
    return render_template(
        "public/drone_register.html",
        names=region_names(),
        items=page["items"],
        next_cursor=page["next_cursor"],
        filters=filters,
        active_filters={name: value for name, value in filters.items() if value},
        errors=errors,
    )


def _entry_title(item: dict[str, Any], names: dict[str, str]) -> str:
    return _(
        "Drone deployment on %(day)s in %(region)s: %(purpose)s",
        day=date_filter(item["date"], "long"),
        region=region_text(item.get("region"), names),
        purpose=label(PURPOSE_CLASSES, item["purpose_class"]),
    )


def _entry_summary(item: dict[str, Any], names: dict[str, str]) -> str:
    return _(
        "%(category)s of %(operator)s for the police in safety region %(region)s. "
        "Purpose: %(purpose)s. Legal basis: %(basis)s.",
        category=label(CATEGORIES, item["category"]),
        operator=item["operator_org"],
        region=region_text(item.get("region"), names),
        purpose=label(PURPOSE_CLASSES, item["purpose_class"]),
        basis=label(LEGAL_BASES, item["legal_basis"]),
    )


def _day_start(day: str) -> str:
    return datetime.combine(date.fromisoformat(day), time(0), tzinfo=AMSTERDAM).isoformat()


def atom_feed(
    items: list[dict[str, Any]], *, self_url: str, page_url: str, names: dict[str, str]
) -> bytes:
    """The register's newest uses as an Atom 1.0 feed (RFC 4287), built as an element tree
    so that every text is escaped: an entry per use, its id the use's urn:uuid."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        element.text = text
        return element

    feed = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: str(get_locale() or "nl")})
    sub(feed, "id", self_url)
    sub(feed, "title", _("Public register of drone deployments"))
    sub(feed, "subtitle", _("Every completed use of a Defence drone for the police."))
    updated = _day_start(items[0]["date"]) if items else datetime.now(AMSTERDAM).isoformat()
    sub(feed, "updated", updated)
    sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=page_url, type="text/html")
    author = sub(feed, "author")
    sub(author, "name", "Slagkracht")
    for item in items:
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:uuid:{item['id']}")
        sub(entry, "title", _entry_title(item, names))
        sub(entry, "updated", _day_start(item["date"]))
        sub(entry, "link", rel="alternate", href=page_url, type="text/html")
        sub(entry, "summary", _entry_summary(item, names), type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")


@bp.get("/drone-inzet.atom")
def drone_register_feed() -> Response:
    try:
        page = anonymous(BookingClient).public_drone_deployments(limit=FEED_SIZE)
    except ApiUnavailable:
        return Response(
            _("The register cannot be read right now. Please try again later."),
            status=503,
            mimetype="text/plain",
            headers={"Retry-After": "60"},
        )
    body = atom_feed(
        page["items"],
        self_url=url_for("public.drone_register_feed", _external=True),
        page_url=url_for("public.drone_register", _external=True),
        names=region_names(),
    )
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
