"""Production sign-in against a real OpenID Connect provider (oidc-provider-mock, started here).

A user signs in through the provider's authorization code flow with PKCE (tests/oidc_support.py)
and the APIs accept what the provider issued: its RS256 ID token, verified through the
provider's JWKS with issuer and audience checked, and its opaque access token, which the
provider's userinfo endpoint vouches for. Either way the organisation and roles come from the
configured claims. Tokens of another issuer, expired, revoked or tampered ones are 401
problem+json. Cost-sharing's estimate echoes the caller's organisation and its efficiency
figures need a finance role, so one call shows the org claim and another the roles claim.
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import jwt
import pytest
from flask.testing import FlaskClient

from services import registry
from shared.settings import Settings, load_settings
from tests.integration.costsharing_support import CostsharingDB, asset_facts, scoped_orgs
from tests.oidc_support import CLIENT_ID, OidcProvider, start_oidc_provider
from tests.support import auth

pytestmark = pytest.mark.db

PLANNER = {"name": "Planner Rotterdam", "org": "politie-rotterdam", "roles": ["politie-planner"]}
FINANCE = {"name": "Financien Politie", "org": "politie-financien", "roles": ["financien"]}


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with start_oidc_provider() as running:
        running.set_user("planner@politie.nl", PLANNER)
        running.set_user("finance@politie.nl", FINANCE)
        yield running


@pytest.fixture(scope="module")
def other_provider() -> Iterator[OidcProvider]:
    """A second identity provider: another issuer, another signing key."""
    with start_oidc_provider() as running:
        running.set_user("planner@politie.nl", PLANNER)
        yield running


def api(settings: Settings) -> FlaskClient:
    app = registry.app_factory("costsharing")({"SLAGKRACHT_SETTINGS": settings, "TESTING": True})
    return app.test_client()


@pytest.fixture(scope="module")
def costsharing(settings: dict[str, Settings], provider: OidcProvider) -> FlaskClient:
    """Cost-sharing as production runs it: tokens from ``provider`` only."""
    return api(provider.api_settings(settings["costsharing"]))


@pytest.fixture(scope="module")
def asset_id(settings: dict[str, Settings]) -> Iterator[str]:
    db = CostsharingDB(settings["costsharing"])
    asset = asset_facts(owner_org=scoped_orgs()[1])
    db.put_asset(asset)
    yield str(asset["asset_id"])
    db.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def estimate_as(client: FlaskClient, token: str, asset_id: str) -> Any:
    body = {
        "asset_id": asset_id,
        "start": "2086-03-02T08:00:00+00:00",
        "end": "2086-03-02T10:00:00+00:00",
        "legal_basis": "steunverlening",
    }
    return client.post("/api/v1/estimates", headers=bearer(token), json=body)


def assert_401(response: Any) -> str:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    return str(response.get_json()["detail"])


# -- what the provider issues -----------------------------------------------------------------
def test_the_flow_yields_a_signed_id_token_with_our_claims_and_an_opaque_access_token(
    provider: OidcProvider,
) -> None:
    tokens = provider.login("planner@politie.nl")
    # The provider names no kid in its tokens; its JWKS holds one key.
    assert "kid" not in jwt.get_unverified_header(tokens["id_token"])
    (key,) = (k.key for k in jwt.PyJWKClient(provider.jwks_uri).get_signing_keys())
    claims = jwt.decode(
        tokens["id_token"], key, algorithms=["RS256"], audience=CLIENT_ID, issuer=provider.issuer
    )
    assert (claims["sub"], claims["org"], claims["roles"]) == (
        "planner@politie.nl",
        "politie-rotterdam",
        ["politie-planner"],
    )
    # The provider's access token is no JWT: only its userinfo endpoint knows whose it is.
    assert tokens["access_token"].count(".") != 2
    assert tokens["token_type"] == "Bearer"


# -- accepted, as the claims say --------------------------------------------------------------
@pytest.mark.parametrize("kind", ["id_token", "access_token"])
def test_a_signed_in_user_is_accepted_with_the_org_and_roles_of_the_claims(
    costsharing: FlaskClient, provider: OidcProvider, asset_id: str, kind: str
) -> None:
    planner = provider.login("planner@politie.nl")[kind]
    response = estimate_as(costsharing, planner, asset_id)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["requester_org"] == "politie-rotterdam"  # the org claim
    # The roles claim: a planner may not read the efficiency figures, finance may.
    efficiency = "/api/v1/efficiency?period=2026-Q4&group_by=category"
    assert costsharing.get(efficiency, headers=bearer(planner)).status_code == 403
    finance = provider.login("finance@politie.nl")[kind]
    assert costsharing.get(efficiency, headers=bearer(finance)).status_code == 200


def test_a_dev_token_is_worthless_once_the_provider_signs_in(costsharing: FlaskClient) -> None:
    response = costsharing.post("/api/v1/estimates", headers=auth("planner-rotterdam"), json={})
    assert_401(response)


# -- refused ------------------------------------------------------------------------------------
def test_a_token_of_another_issuer_is_401(
    settings: dict[str, Settings],
    costsharing: FlaskClient,
    provider: OidcProvider,
    other_provider: OidcProvider,
    asset_id: str,
) -> None:
    stranger = other_provider.login("planner@politie.nl")
    # Signed by a key our provider never published, and unknown to its userinfo endpoint.
    # A signed token refused says only that (never PyJWT's reason); userinfo's refusal names it.
    assert "invalid or expired" in assert_401(
        estimate_as(costsharing, stranger["id_token"], asset_id)
    )
    assert "not valid" in assert_401(estimate_as(costsharing, stranger["access_token"], asset_id))
    # Even with the other provider's keys trusted, the issuer must be ours: the iss check bites.
    keys_of_other = replace(
        provider.api_settings(settings["costsharing"]), jwt_jwks_url=other_provider.jwks_uri
    )
    detail = assert_401(estimate_as(api(keys_of_other), stranger["id_token"], asset_id))
    assert "invalid or expired" in detail  # its signature checks out: only the issuer is wrong


def test_an_expired_token_is_401(settings: dict[str, Settings], asset_id: str) -> None:
    with start_oidc_provider(access_token_max_age=timedelta(seconds=-60)) as stale:
        stale.set_user("planner@politie.nl", PLANNER)
        client = api(stale.api_settings(settings["costsharing"]))
        tokens = stale.login("planner@politie.nl")
        assert "expired" in assert_401(estimate_as(client, tokens["id_token"], asset_id))
        assert "not valid" in assert_401(estimate_as(client, tokens["access_token"], asset_id))


def test_a_revoked_access_token_is_401(
    costsharing: FlaskClient, provider: OidcProvider, asset_id: str
) -> None:
    provider.set_user("leaver@politie.nl", PLANNER)
    token = provider.login("leaver@politie.nl")["access_token"]
    provider.revoke("leaver@politie.nl")
    assert "not valid" in assert_401(estimate_as(costsharing, token, asset_id))


def test_a_tampered_token_is_401(
    costsharing: FlaskClient, provider: OidcProvider, asset_id: str
) -> None:
    header, payload, signature = provider.login("planner@politie.nl")["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["beheerder-functioneel"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert "invalid or expired" in assert_401(
        estimate_as(costsharing, f"{header}.{forged}.{signature}", asset_id)
    )


def test_a_token_for_another_client_is_401(
    settings: dict[str, Settings], provider: OidcProvider, asset_id: str
) -> None:
    other_audience = replace(provider.api_settings(settings["costsharing"]), jwt_audience="x")
    token = provider.login("planner@politie.nl")["id_token"]
    # A good token of our provider, refused only because it was issued to another client.
    assert "invalid or expired" in assert_401(estimate_as(api(other_audience), token, asset_id))


# -- the claims are configurable ------------------------------------------------------------------
def test_the_org_and_roles_claims_are_configurable(
    settings: dict[str, Settings], costsharing: FlaskClient, provider: OidcProvider, asset_id: str
) -> None:
    # An identity provider that nests the organisation and calls the roles "groups".
    provider.set_user(
        "nested@politie.nl",
        {"name": "Nested", "slagkracht": {"org": "politie-amsterdam"}, "groups": ["financien"]},
    )
    tokens = provider.login("nested@politie.nl")
    assert "'org' and 'roles'" in assert_401(estimate_as(costsharing, tokens["id_token"], asset_id))
    mapped = replace(
        provider.api_settings(settings["costsharing"]),
        jwt_org_claim="slagkracht.org",
        jwt_roles_claim="groups",
    )
    client = api(mapped)
    for kind in ("id_token", "access_token"):
        response = estimate_as(client, tokens[kind], asset_id)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["requester_org"] == "politie-amsterdam"
        efficiency = "/api/v1/efficiency?period=2026-Q4&group_by=category"
        assert client.get(efficiency, headers=bearer(tokens[kind])).status_code == 200


def test_the_sign_in_settings_come_from_the_environment() -> None:
    env = {
        "DATABASE_URL": "postgresql://u@127.0.0.1:5432/costsharing",
        "JWT_JWKS_URL": "https://idp.example/jwks",
        "JWT_ISSUER": "https://idp.example",
        "JWT_AUDIENCE": "slagkracht-portal",
        "JWT_ORG_CLAIM": "slagkracht.org",
        "JWT_ROLES_CLAIM": "realm_access.roles",
        "JWT_USERINFO_URL": "https://idp.example/userinfo",
    }
    loaded = load_settings("costsharing", env)
    assert (loaded.jwt_issuer, loaded.jwt_org_claim, loaded.jwt_roles_claim) == (
        "https://idp.example",
        "slagkracht.org",
        "realm_access.roles",
    )
    assert loaded.jwt_userinfo_url == "https://idp.example/userinfo"
    defaults = load_settings("costsharing", {"DATABASE_URL": env["DATABASE_URL"]})
    assert (defaults.jwt_org_claim, defaults.jwt_roles_claim) == ("org", "roles")
    assert defaults.jwt_issuer is None and defaults.jwt_userinfo_url is None


def test_an_identity_provider_that_cannot_be_asked_is_a_503_not_a_401(
    settings: dict[str, Settings], provider: OidcProvider, asset_id: str
) -> None:
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = replace(
        provider.api_settings(settings["costsharing"]),
        jwt_userinfo_url=f"http://127.0.0.1:{port}/userinfo",
    )
    token = provider.login("planner@politie.nl")["access_token"]
    response = estimate_as(api(unreachable), token, asset_id)
    assert response.status_code == 503, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert "identity provider" in response.get_json()["detail"]
