"""A real local OpenID Connect provider for tests: oidc-provider-mock on a free port.

The provider is the real thing for the parts we depend on: discovery, the authorization
endpoint, the token endpoint (authorization code grant), RS256 ID tokens signed by the key it
publishes at ``jwks_uri``, and a userinfo endpoint. A test chooses who signs in: ``set_user``
stores the subject's claims (``org`` and ``roles`` among them), and posting ``sub`` to the
authorization endpoint is the user pressing "Authorize" on the provider's form.

What it does not do (oidc-provider-mock 0.3): its access tokens are opaque (the claims are in
the ID token and behind userinfo, which the APIs read when JWT_USERINFO_URL is set), and it
ignores PKCE (a wrong ``code_verifier`` is not refused); ``login`` sends a correct S256 pair
anyway, exactly as a client must against a provider that checks it.

Use it (the portal's OIDC tests too)::

    with start_oidc_provider() as provider:
        provider.set_user("alice", {"name": "Alice", "org": "politie-rotterdam",
                                    "roles": ["politie-planner"]})
        tokens = provider.login("alice")            # access_token, id_token, refresh_token
        settings = provider.api_settings(base)      # the APIs verifying this provider's tokens
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests
from werkzeug.serving import make_server

from shared.settings import Settings

with warnings.catch_warnings():
    # authlib, which the provider is built on, warns about its own deprecated modules.
    warnings.simplefilter("ignore")
    import oidc_provider_mock

CLIENT_ID = "slagkracht-portal"
CLIENT_SECRET = "portal-secret-for-tests"  # the provider accepts any secret of a client
REDIRECT_URI = "http://127.0.0.1:9/oidc/callback"  # never fetched: the test reads the redirect
TIMEOUT_S = 10


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636 4.1-4.2)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class OidcProvider:
    """A running provider; its endpoints come from its own discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str

    def set_user(self, sub: str, claims: dict[str, Any]) -> None:
        """The claims the provider will release for ``sub`` (custom ones such as org too)."""
        response = requests.put(
            f"{self.issuer}/users/{quote(sub, safe='')}", json=claims, timeout=TIMEOUT_S
        )
        assert response.status_code == 204, response.text

    def authorize(self, sub: str, *, challenge: str, state: str, scope: str) -> str:
        """The user ``sub`` approves the sign-in on the provider's form: the code it returns."""
        query = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": scope,
            "state": state,
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        response = requests.post(
            f"{self.authorization_endpoint}?{urlencode(query)}",
            data={"sub": sub},
            allow_redirects=False,
            timeout=TIMEOUT_S,
        )
        assert response.status_code == 302, response.text
        location = response.headers["Location"]
        assert location.startswith(REDIRECT_URI), location
        params = parse_qs(urlsplit(location).query)
        assert params["state"] == [state], "the provider must return the client's state"
        return params["code"][0]

    def login(self, sub: str, *, scope: str = "openid profile") -> dict[str, Any]:
        """The whole authorization code flow with PKCE for ``sub``: the token response."""
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(16)
        code = self.authorize(sub, challenge=challenge, state=state, scope=scope)
        response = requests.post(
            self.token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
            auth=(CLIENT_ID, CLIENT_SECRET),
            timeout=TIMEOUT_S,
        )
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    def revoke(self, sub: str) -> None:
        """Withdraw every token the provider issued to ``sub``."""
        response = requests.post(
            f"{self.issuer}/users/{quote(sub, safe='')}/revoke-tokens", timeout=TIMEOUT_S
        )
        assert response.status_code == 204, response.text

    def api_settings(self, base: Settings) -> Settings:
        """``base`` with an API's sign-in pointed at this provider: the JWKS, the issuer and
        the portal as audience for signed tokens, userinfo for its opaque access tokens."""
        return replace(
            base,
            jwt_jwks_url=self.jwks_uri,
            jwt_issuer=self.issuer,
            jwt_audience=CLIENT_ID,
            jwt_userinfo_url=self.userinfo_endpoint,
        )


@contextmanager
def start_oidc_provider(
    *, access_token_max_age: timedelta = timedelta(hours=1)
) -> Iterator[OidcProvider]:
    """Run a provider on 127.0.0.1 on a free port in a thread; stopped on exit.

    ``access_token_max_age`` is also the ID token's lifetime (a negative one issues tokens
    that have already expired)."""
    app = oidc_provider_mock.app(require_nonce=True, access_token_max_age=access_token_max_age)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        discovery = requests.get(f"{base}/.well-known/openid-configuration", timeout=TIMEOUT_S)
        assert discovery.status_code == 200, discovery.text
        config = discovery.json()
        yield OidcProvider(
            issuer=config["issuer"],
            authorization_endpoint=config["authorization_endpoint"],
            token_endpoint=config["token_endpoint"],
            userinfo_endpoint=config["userinfo_endpoint"],
            jwks_uri=config["jwks_uri"],
        )
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
