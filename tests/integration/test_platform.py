"""Platform promises: health, readiness, metrics, request ids, RS256/JWKS auth, the CLI,
outbox replay and idempotent demo data — against the real database and broker."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from sqlalchemy import text

from services import registry
from services.demo import load_demo_data
from shared.db import make_engine
from shared.relay import replay
from shared.settings import DEV_JWT_SECRET, Settings
from tests.support import auth

pytestmark = [pytest.mark.db]


def test_health_ready_metrics_and_request_id(clients: dict[str, FlaskClient]) -> None:
    for service, client in clients.items():
        assert client.get("/healthz").get_json()["status"] == "ok"
        ready = client.get("/readyz").get_json()["checks"]
        assert {k: ready.pop(k) for k in ("database", "broker")} == {
            "database": "ok",
            "broker": "ok",
        }
        # Booking also waits for its read model (tests/integration/test_booking_readiness.py).
        assert list(ready) == (["catalog_read_model"] if service == "booking" else [])
        client.get("/api/v1/nothing-here")
        metrics = client.get("/metrics").get_data(as_text=True)
        assert "http_requests_total" in metrics and 'status="404"' in metrics
        echoed = client.get("/healthz", headers={"X-Request-ID": "trace-1234567890"})
        assert echoed.headers["X-Request-ID"] == "trace-1234567890"
        assert len(client.get("/healthz").headers["X-Request-ID"]) >= 16


def test_readyz_reports_an_unreachable_broker(settings: dict[str, Settings]) -> None:
    broken = replace(settings["catalog"], kafka_bootstrap_servers="127.0.0.1:1")
    app = registry.app_factory("catalog")({"SLAGKRACHT_SETTINGS": broken})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["broker"] == "unreachable"


@pytest.fixture(scope="module")
def jwks_server() -> Iterator[tuple[str, Any]]:
    """A tiny identity provider: serves the public half of an RSA key as a JWKS."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**public, "kid": "test-key", "use": "sig", "alg": "RS256"}]})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", key
    server.shutdown()


def test_rs256_tokens_verified_through_jwks(
    settings: dict[str, Settings], jwks_server: tuple[str, Any]
) -> None:
    url, key = jwks_server
    production = replace(settings["catalog"], jwt_jwks_url=url)
    client = registry.app_factory("catalog")({"SLAGKRACHT_SETTINGS": production}).test_client()
    claims = {
        "sub": "idp-user",
        "name": "IdP user",
        "org": "politie-rotterdam",
        "roles": ["politie-planner"],
        "exp": 4102444800,
    }
    good = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "test-key"})
    assert (
        client.get("/api/v1/categories", headers={"Authorization": f"Bearer {good}"}).status_code
        == 200
    )
    # A dev HS256 token is worthless once production verifies against the IdP's keys.
    dev = client.get("/api/v1/categories", headers=auth("planner-rotterdam"))
    assert dev.status_code == 401
    assert dev.mimetype == "application/problem+json"


def test_cli_token_prints_a_valid_persona_token() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "services.cli", "token", "owner-dhc"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    claims = jwt.decode(out, DEV_JWT_SECRET, algorithms=["HS256"])
    assert claims["org"] == "defensie-dhc" and claims["roles"] == ["defensie-beheerder"]
    unknown = subprocess.run(
        [sys.executable, "-m", "services.cli", "token", "nobody"], capture_output=True, text=True
    )
    assert unknown.returncode == 2 and "planner-rotterdam" in unknown.stderr


def test_demo_data_is_idempotent_and_replay_requeues_the_outbox(
    settings: dict[str, Settings],
) -> None:
    first = load_demo_data(settings)
    second = load_demo_data(settings)
    assert second == {"assets": 0, "contracts": 0, "agreements": 0, "mailboxes": 0}
    assert first["assets"] in (0, 41)  # 0 when another test of this session loaded it first
    engine = make_engine(settings["catalog"].database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE outbox SET published_at = now()"))
            total = conn.execute(text("SELECT count(*) FROM outbox")).scalar_one()
        assert replay(engine) == total
        with engine.connect() as conn:
            pending = conn.execute(
                text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            ).scalar_one()
        assert pending == total
    finally:
        engine.dispose()
