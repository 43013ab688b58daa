"""The portal's foundation in process against a stand-in API over HTTP: sign-in, session
cookie, CSRF, security headers, language, and how every kind of API answer is shown."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from services.portal.app import create_app
from services.portal.auth import safe_next
from services.portal.config import load_config
from shared.runtime import free_port
from shared.settings import SettingsError
from tests.oidc_support import CLIENT_ID, CLIENT_SECRET, start_oidc_provider
from tests.portal.client import csrf_token
from tests.portal.fake_api import FakeApi, running_fake_api

# Pages, as catalog answers every list: {items, next_cursor}.
CATEGORIES = {
    "items": [{"code": "helicopter", "label": "Helicopter", "booking_mode": "slot"}],
    "next_cursor": None,
}
REGIONS = {"items": [{"code": "VR17", "name": "Rotterdam-Rijnmond"}], "next_cursor": None}
ASSET = {
    "id": "7b0c1f0e-1111-4222-8333-444455556666",
    "name": "NH90 Test",
    "home_base": "De Kooy",
    "owner_org": "defensie-dhc",
    "readiness_notice": "PT4H",
}


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    with running_fake_api() as fake:
        fake.answer("GET", "/categories", 200, CATEGORIES)
        fake.answer("GET", "/regions", 200, REGIONS)
        yield fake


def _app(fake_api: FakeApi, **env: str) -> Flask:
    config = load_config(
        {
            "CATALOG_URL": fake_api.url,
            "BOOKING_URL": fake_api.url,
            "COSTSHARING_URL": fake_api.url,
            "NOTIFY_URL": fake_api.url,  # never a running `make run`'s notify on 8084
            "PORTAL_READ_TIMEOUT_S": "0.5",
            **env,
        }
    )
    return create_app({"PORTAL_CONFIG": config, "TESTING": True})


@pytest.fixture
def client(fake_api: FakeApi) -> FlaskClient:
    return _app(fake_api).test_client()


def sign_in(client: FlaskClient, persona: str = "planner-rotterdam") -> None:
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in/persona",
        data={"persona": persona, "csrf_token": csrf_token(page.text), "next": "/"},
    )
    assert response.status_code == 302


def test_sign_in_page_has_a_button_per_persona_named_by_its_id(client: FlaskClient) -> None:
    page = client.get("/sign-in")
    assert page.status_code == 200
    buttons = re.findall(
        r'<button type="submit" name="persona" value="([^"]+)"[^>]*>\s*([^<]+)<', page.text
    )
    assert len(buttons) == 8
    for key, name in buttons:
        assert key in name  # the accessible name contains the persona id


def test_signed_in_header_shows_the_user_and_sign_out_clears_the_session(
    client: FlaskClient,
) -> None:
    sign_in(client, "planner-rotterdam")
    page = client.get("/planner/search")
    assert page.status_code == 200
    assert "Planner Eenheid Rotterdam" in page.text and "politie-rotterdam" in page.text
    assert 'aria-label="Hoofdmenu"' in page.text and ">Zoeken" in page.text
    out = client.post("/sign-out", data={"csrf_token": csrf_token(page.text)})
    assert out.status_code == 302
    assert client.get("/planner/search").status_code == 302  # to the sign-in page again


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(client: FlaskClient) -> None:
    refused = client.post("/sign-in/persona", data={"persona": "planner-rotterdam"})
    assert refused.status_code == 400
    assert "Het formulier was verlopen" in refused.text
    assert client.get("/planner/search").status_code == 302  # not signed in


def test_security_headers_on_every_response(client: FlaskClient) -> None:
    for response in (
        client.get("/sign-in"),
        client.get("/no-such-page"),
        client.get("/static/portal.css"),
    ):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_no_inline_script_or_style_in_the_pages(client: FlaskClient) -> None:
    sign_in(client)
    for path in ("/sign-in", "/planner/search", "/no-such-page"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert "<style" not in html and " style=" not in html, path
        assert "//cdn" not in html and "https://" not in html, path  # nothing from elsewhere


def test_session_cookie_is_httponly_lax_and_secure_in_production(fake_api: FakeApi) -> None:
    client = _app(fake_api).test_client()
    sign_in(client)
    cookie = client.get_cookie("slagkracht_portal")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert not cookie.secure
    production = _app(
        fake_api,
        SLAGKRACHT_ENV="production",
        PORTAL_SECRET_KEY="x" * 32,
        OIDC_ISSUER="http://127.0.0.1:9",
        OIDC_CLIENT_ID="portal",
    )
    assert production.config["SESSION_COOKIE_SECURE"] is True


def test_production_offers_no_personas_and_needs_its_settings(fake_api: FakeApi) -> None:
    production = _app(
        fake_api,
        SLAGKRACHT_ENV="production",
        PORTAL_SECRET_KEY="x" * 32,
        OIDC_ISSUER="http://127.0.0.1:9",
        OIDC_CLIENT_ID="portal",
    ).test_client()
    page = production.get("/sign-in")
    assert 'name="persona"' not in page.text
    assert "/sign-in/oidc" in page.text
    forged = production.post(
        "/sign-in/persona", data={"persona": "admin", "csrf_token": csrf_token(page.text)}
    )
    assert forged.status_code in (400, 404)  # no persona sign-in in production
    with pytest.raises(SettingsError, match="PORTAL_SECRET_KEY"):
        load_config({"SLAGKRACHT_ENV": "production", "OIDC_ISSUER": "x", "OIDC_CLIENT_ID": "y"})
    with pytest.raises(SettingsError, match="OIDC_ISSUER"):
        load_config({"SLAGKRACHT_ENV": "production", "PORTAL_SECRET_KEY": "k"})


def test_dutch_by_default_english_by_the_switch_remembered(client: FlaskClient) -> None:
    page = client.get("/sign-in")
    assert '<html lang="nl"' in page.text and "Inloggen bij Slagkracht" in page.text
    switched = client.get("/language/en?next=/sign-in")
    assert switched.status_code == 302 and switched.headers["Location"] == "/sign-in"
    page = client.get("/sign-in")
    assert '<html lang="en"' in page.text and "Sign in to Slagkracht" in page.text
    sign_in(client)
    page = client.get("/planner/search")
    client.post("/sign-out", data={"csrf_token": csrf_token(page.text)})
    assert '<html lang="en"' in client.get("/sign-in").text  # outlives the session


def test_the_language_switch_never_redirects_elsewhere(client: FlaskClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.get("/language/en", query_string={"next": target})
        assert response.headers["Location"] == "/"
    assert safe_next("/planner/search?x=1") == "/planner/search?x=1"


def test_api_calls_carry_token_language_and_request_id(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    sign_in(client)
    client.get("/language/en")
    page = client.get("/planner/search", headers={"X-Request-ID": "req-12345678"})
    assert page.status_code == 200
    call = fake_api.last("/categories")
    assert call["headers"]["Authorization"].startswith("Bearer ey")
    assert call["headers"]["Accept-Language"] == "en"
    assert call["headers"]["X-Request-Id"] == "req-12345678"
    assert page.headers["X-Request-ID"] == "req-12345678"


@pytest.mark.parametrize(
    ("status", "shown", "heading"),
    [
        (404, 404, "Pagina niet gevonden"),
        (403, 403, "Geen toegang"),
        (500, 502, "Er is iets misgegaan"),
        (503, 503, "Dienst tijdelijk niet beschikbaar"),
    ],
)
def test_an_api_error_becomes_the_portals_own_page(
    client: FlaskClient, fake_api: FakeApi, status: int, shown: int, heading: str
) -> None:
    sign_in(client)
    booking_id = "0d9e3a52-0000-4000-8000-000000000001"
    fake_api.answer(
        "GET",
        f"/bookings/{booking_id}",
        status,
        {"title": "x", "detail": "secret internals", "status": status},
    )
    page = client.get(f"/planner/bookings/{booking_id}")
    assert page.status_code == shown
    assert heading in page.text
    assert "secret internals" not in page.text and "Traceback" not in page.text


def test_an_expired_token_asks_to_sign_in_again(client: FlaskClient, fake_api: FakeApi) -> None:
    sign_in(client)
    fake_api.answer("GET", "/categories", 401, {"title": "Unauthorized", "status": 401})
    response = client.get("/planner/search")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert "Uw sessie is verlopen" in client.get(response.headers["Location"]).text


def test_an_unreachable_api_is_the_503_page(fake_api: FakeApi) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    client = _app(fake_api, CATALOG_URL=closed).test_client()
    sign_in(client)
    page = client.get("/planner/search")
    assert page.status_code == 503
    assert "Dienst tijdelijk niet beschikbaar" in page.text and "Traceback" not in page.text


def test_a_slow_api_is_the_503_page_after_the_read_timeout(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    sign_in(client)
    fake_api.answer("GET", "/categories", 200, CATEGORIES, delay_s=2)
    page = client.get("/planner/search")
    assert page.status_code == 503


def test_an_api_refusal_puts_its_field_messages_next_to_the_inputs(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    sign_in(client)
    fake_api.answer("GET", f"/assets/{ASSET['id']}", 200, ASSET)
    fake_api.answer(
        "POST",
        "/bookings",
        422,
        {
            "title": "Onverwerkbare invoer",
            "detail": "Controleer de velden.",
            "status": 422,
            "errors": {"contact": ["Het contact is te kort."]},
        },
    )
    form = client.get(f"/planner/request?asset_id={ASSET['id']}")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text)
    assert key
    page = client.post(
        "/planner/request",
        data={
            "csrf_token": csrf_token(form.text),
            "asset_id": ASSET["id"],
            "idempotency_key": key.group(1),
            "start": "2030-03-30T01:30",  # the night the clocks go forward: 01:30 is CET
            "end": "2030-03-30T05:00",
            "legal_basis": "steunverlening",
            "priority": "2",
            "purpose": "Inzet",
            "contact": "Meldkamer",
            "quantity": "1",
        },
    )
    assert page.status_code == 422
    assert re.search(r'id="f-contact-error">Het contact is te kort.<', page.text)
    assert "Controleer de velden." in page.text
    sent = fake_api.last("/bookings")
    assert sent["headers"]["Idempotency-Key"] == key.group(1)
    assert sent["json"]["start"] == "2030-03-30T01:30:00+01:00"  # Amsterdam time
    assert sent["json"]["end"] == "2030-03-30T05:00:00+01:00"


def test_a_planner_page_is_403_for_an_owner(client: FlaskClient) -> None:
    sign_in(client, "owner-dhc")
    page = client.get("/planner/bookings")
    assert page.status_code == 403 and "Geen toegang" in page.text


def test_creating_the_app_connects_to_nothing(fake_api: FakeApi) -> None:
    before = len(fake_api.seen)
    app = _app(fake_api)
    app.test_client().get("/sign-in")
    assert len(fake_api.seen) == before
    assert replace(app.extensions["portal_config"]).api_urls["booking"] == fake_api.url


def test_sign_in_through_openid_connect_forwards_the_access_token(fake_api: FakeApi) -> None:
    """Authorization code + PKCE against a real local provider (oidc-provider-mock): the
    user's facts come from the ID token, the access token goes to the APIs."""
    with start_oidc_provider() as provider:
        provider.set_user(
            "alice",
            {"name": "Alice de Vries", "org": "politie-rotterdam", "roles": ["politie-planner"]},
        )
        client = _app(
            fake_api,
            OIDC_ISSUER=provider.issuer,
            OIDC_CLIENT_ID=CLIENT_ID,
            OIDC_CLIENT_SECRET=CLIENT_SECRET,
        ).test_client()
        assert "/sign-in/oidc" in client.get("/sign-in").text
        started = client.get("/sign-in/oidc", query_string={"next": "/planner/search"})
        assert started.status_code == 302
        authorize = urlsplit(started.headers["Location"])
        query = parse_qs(authorize.query)
        assert started.headers["Location"].startswith(provider.authorization_endpoint)
        assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
        # Alice approves on the provider's page; it sends her back with a code.
        approved = requests.post(
            started.headers["Location"], data={"sub": "alice"}, allow_redirects=False, timeout=10
        )
        assert approved.status_code == 302, approved.text
        back = urlsplit(approved.headers["Location"])
        assert back.path == "/auth/callback"
        done = client.get(f"{back.path}?{back.query}")
        assert done.status_code == 302 and done.headers["Location"] == "/planner/search"
        page = client.get("/planner/search")
        assert page.status_code == 200 and "Alice de Vries" in page.text
        forwarded = fake_api.last("/categories")["headers"]["Authorization"].removeprefix("Bearer ")
        who = requests.get(
            provider.userinfo_endpoint,
            headers={"Authorization": f"Bearer {forwarded}"},
            timeout=10,
        )
        assert who.status_code == 200 and who.json()["sub"] == "alice"


def test_a_forged_openid_connect_callback_signs_nobody_in(fake_api: FakeApi) -> None:
    with start_oidc_provider() as provider:
        client = _app(fake_api, OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=CLIENT_ID).test_client()
        client.get("/sign-in/oidc")
        forged = client.get("/auth/callback?code=made-up&state=wrong")
        assert forged.status_code == 302 and forged.headers["Location"] == "/sign-in"
        assert client.get("/planner/search").status_code == 302


FREE = [
    {
        "asset_id": "11111111-1111-4111-8111-111111111111",
        "name": "Cougar elders",
        "category": "helicopter",
        "owner_org": "defensie-dhc",
        "home_base": "Gilze-Rijen",
        "readiness_notice": "PT4H",
        "free_units": 1,
        "serves_region": False,
        "booking_mode": "slot",
        "regions": ["VR20"],
    },
    {
        "asset_id": "22222222-2222-4222-8222-222222222222",
        "name": "NH90 eigen regio",
        "category": "helicopter",
        "owner_org": "defensie-dhc",
        "home_base": "De Kooy",
        "readiness_notice": "PT2H",
        "free_units": 1,
        "serves_region": True,
        "booking_mode": "slot",
        "regions": ["VR17"],
    },
]
SEARCH = {
    "start": "2030-01-10T09:00",
    "end": "2030-01-10T12:00",
    "region": "VR17",
    "quantity": "1",
    "legal_basis": "steunverlening",
}


def _estimate(requester: str, owner: str) -> dict[str, object]:
    return {
        "covered": True,
        "requester_amount": requester,
        "owner_amount": owner,
        "total": "4300.00",
        "agreement": {"price_basis": "full_cost"},
    }


def test_search_prices_the_page_in_one_call_region_first(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    sign_in(client)
    fake_api.answer("GET", "/availability", 200, {"items": FREE, "next_cursor": None})
    fake_api.answer(
        "POST",
        "/estimates/batch",
        200,
        {
            "items": [
                {"index": 0, "estimate": _estimate("1000.00", "3300.00"), "problem": None},
                {"index": 1, "estimate": _estimate("2150.00", "2150.00"), "problem": None},
            ]
        },
    )
    page = client.get("/planner/search", query_string=SEARCH)
    assert page.status_code == 200
    assert page.text.index("NH90 eigen regio") < page.text.index("Cougar elders")
    assert "€\xa02.150,00" in page.text and "integrale kosten" in page.text
    assert "binnen 2 uur" in page.text
    batches = [s for s in fake_api.seen if s["path"] == "/api/v1/estimates/batch"]
    assert len(batches) == 1 and len(batches[0]["json"]["items"]) == 2
    assert batches[0]["json"]["items"][0]["start"] == "2030-01-10T09:00:00+01:00"
    assert fake_api.last("/availability")["args"]["region"] == "VR17"


def test_search_without_cost_sharing_still_shows_what_is_free(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    sign_in(client)
    fake_api.answer("GET", "/availability", 200, {"items": FREE, "next_cursor": None})
    fake_api.answer("POST", "/estimates/batch", 503, {"title": "down", "status": 503})
    page = client.get("/planner/search", query_string=SEARCH)
    assert page.status_code == 200
    assert "NH90 eigen regio" in page.text
    assert "Prijs op dit moment niet beschikbaar." in page.text


def test_htmx_gets_only_the_results_to_swap_in(client: FlaskClient, fake_api: FakeApi) -> None:
    sign_in(client)
    fake_api.answer("GET", "/availability", 200, {"items": FREE, "next_cursor": None})
    fake_api.answer("POST", "/estimates/batch", 200, {"items": []})
    full = client.get("/planner/search", query_string=SEARCH)
    assert 'id="results" aria-live="polite"' in full.text and 'hx-target="#results"' in full.text
    partial = client.get("/planner/search", query_string=SEARCH, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text and "NH90 eigen regio" in partial.text
    # Back/forward after htmx's history cache missed: it wants the whole page again.
    restored = client.get(
        "/planner/search",
        query_string=SEARCH,
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restored.text


def test_search_form_errors_are_shown_without_asking_booking(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    sign_in(client)
    page = client.get(
        "/planner/search", query_string={**SEARCH, "end": "2030-01-10T08:00", "quantity": "0"}
    )
    assert 'id="f-end-error"' in page.text and 'id="f-quantity-error"' in page.text
    assert not [s for s in fake_api.seen if s["path"] == "/api/v1/availability"]


def test_owner_pages_show_the_pending_approvals_badge(
    fake_api: FakeApi,
) -> None:
    app = _app(fake_api)
    if "owner.queue" not in app.view_functions:  # the owner's pages may not be built yet
        app.add_url_rule("/owner/queue", "owner.queue", lambda: "queue")
    client = app.test_client()
    sign_in(client, "owner-dhc")
    fake_api.answer("GET", "/approvals/pending", 200, {"counts": {"total": 3}, "items": []})
    page = client.get("/no-such-page")  # the badge is in the layout of every page
    assert re.search(r'id="pending-approvals-badge">.*3</span>', page.text, re.S)
    fake_api.answer("GET", "/approvals/pending", 503, {"title": "down", "status": 503})
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "pending-approvals-badge" not in page.text


def test_the_bookings_list_filters_by_amsterdam_days_and_pages_keep_the_filter(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    sign_in(client)
    row = {
        "id": "0d9e3a52-0000-4000-8000-000000000002",
        "asset_id": ASSET["id"],
        "planned_start": "2026-07-01T08:00:00+00:00",
        "planned_end": "2026-07-01T10:00:00+00:00",
        "priority": 2,
        "state": "approved",
    }
    fake_api.answer("GET", "/bookings", 200, {"items": [row] * 20, "next_cursor": "c2"})
    fake_api.answer("GET", f"/assets/{ASSET['id']}", 200, ASSET)
    page = client.get(
        "/planner/bookings",
        query_string={"state": "approved", "from": "2026-07-01", "to": "2026-07-31"},
    )
    assert page.status_code == 200
    sent = fake_api.last("/bookings")["args"]
    assert sent["from"] == "2026-07-01T00:00:00+02:00"  # midnight in Amsterdam (summer)
    assert sent["to"] == "2026-08-01T00:00:00+02:00"  # the whole last day
    assert sent["state"] == "approved" and sent["limit"] == "20" and "cursor" not in sent
    next_page = re.search(r'rel="next" href="([^"]+)"', page.text)
    assert next_page
    link = next_page.group(1).replace("&amp;", "&")
    assert "from=2026-07-01" in link and "to=2026-07-31" in link and "cursor=c2" in link
    second = client.get(link)
    assert second.status_code == 200 and fake_api.last("/bookings")["args"]["cursor"] == "c2"
    assert 'rel="prev"' in second.text
    bad = client.get("/planner/bookings", query_string={"from": "1 juli"})
    assert bad.status_code == 200 and 'id="f-from-error"' in bad.text
    assert "from" not in fake_api.last("/bookings")["args"]


def test_behind_a_trusted_proxy_the_oidc_redirect_uses_the_browsers_address(
    fake_api: FakeApi,
) -> None:
    with start_oidc_provider() as provider:
        settings = {"OIDC_ISSUER": provider.issuer, "OIDC_CLIENT_ID": CLIENT_ID}
        forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "portal.example.nl"}
        trusting = _app(fake_api, PORTAL_TRUSTED_PROXIES="1", **settings).test_client()
        started = trusting.get("/sign-in/oidc", headers=forwarded)
        redirect_uri = parse_qs(urlsplit(started.headers["Location"]).query)["redirect_uri"]
        assert redirect_uri == ["https://portal.example.nl/auth/callback"]
        # Without the setting the headers are anyone's to send and are not believed.
        plain = _app(fake_api, **settings).test_client()
        started = plain.get("/sign-in/oidc", headers=forwarded)
        redirect_uri = parse_qs(urlsplit(started.headers["Location"]).query)["redirect_uri"]
        assert redirect_uri == ["http://localhost/auth/callback"]
