"""The stated limits of every API (README, "Limits"): a body's size, its nesting, its integers,
the request line and the headers. Past each the answer is a problem+json naming what is too
big, never a 500 and never gunicorn's HTML."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient

from shared.web import MAX_JSON_DEPTH
from tests.integration.gunicorn_support import gunicorn_api
from tests.integration.test_http_errors import ONE_MIB
from tests.support import assert_problem, auth

pytestmark = pytest.mark.db

# One write per API, as a caller allowed to make it, so the body is what gets judged.
WRITES = {
    "catalog": ("/api/v1/assets", "owner-dhc"),
    "booking": ("/api/v1/bookings", "planner-rotterdam"),
    "costsharing": ("/api/v1/estimates", "planner-rotterdam"),
    "notify": ("/api/v1/webhooks", "admin"),
}
HUGE_INTEGER = "9" * 5000  # Python's int() refuses more than 4,300 digits


def post_raw(client: FlaskClient, service: str, body: str) -> object:
    path, persona = WRITES[service]
    return client.post(
        path,
        data=body,
        headers={**auth(persona), "Content-Type": "application/json", "Idempotency-Key": "limits"},
    )


@pytest.mark.parametrize("service", sorted(WRITES))
def test_an_integer_too_long_for_python_is_a_422_naming_its_field(
    clients: dict[str, FlaskClient], service: str
) -> None:
    response = post_raw(clients[service], service, f'{{"quantity": {HUGE_INTEGER}, "x": 1}}')
    body = assert_problem(response, 422, "quantity")  # type: ignore[arg-type]
    assert list(body["errors"]) == ["quantity"]
    assert "4300 digits" in body["errors"]["quantity"][0]
    # Deep inside a field, the field is named; outside any field, the body is.
    nested = post_raw(clients[service], service, f'{{"items": [{{"a": [-{HUGE_INTEGER}]}}]}}')
    assert_problem(nested, 422, "items")  # type: ignore[arg-type]
    bare = post_raw(clients[service], service, f"[{HUGE_INTEGER}]")
    assert_problem(bare, 422, "_body")  # type: ignore[arg-type]


@pytest.mark.parametrize("service", sorted(WRITES))
def test_nesting_past_the_stated_depth_is_a_422(
    clients: dict[str, FlaskClient], service: str
) -> None:
    at_limit = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)  # the object is level 1
    allowed = post_raw(clients[service], service, f'{{"purpose": {at_limit}}}').get_json()
    assert "levels" not in str(allowed)  # refused, if at all, for what the schema says
    past = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    response = post_raw(clients[service], service, f'{{"purpose": {past}}}')
    body = assert_problem(response, 422, "purpose")  # type: ignore[arg-type]
    assert list(body["errors"]) == ["purpose"]
    assert f"{MAX_JSON_DEPTH} levels" in body["errors"]["purpose"][0]
    # Deeper than Python's parser can go at all: the body.
    abyss = post_raw(clients[service], service, "[" * 100_000 + "]" * 100_000)
    assert_problem(abyss, 422, "_body")  # type: ignore[arg-type]


@pytest.mark.parametrize("service", sorted(WRITES))
def test_a_body_over_the_stated_size_is_a_413(
    clients: dict[str, FlaskClient], service: str
) -> None:
    response = post_raw(clients[service], service, '{"purpose": "' + "x" * ONE_MIB + '"}')
    assert_problem(response, 413)  # type: ignore[arg-type]


def test_a_long_request_line_and_a_huge_header_are_problems_from_gunicorn_too(
    tmp_path: Path,
) -> None:
    # Neither reaches the app: gunicorn refuses them while reading the request. No database
    # is needed for that (the app connects lazily).
    with gunicorn_api("catalog", "postgresql://limits@127.0.0.1:1/limits", tmp_path) as api:
        long_query = requests.get(f"{api.url}/api/v1/assets", params={"q": "x" * 5000}, timeout=30)
        assert long_query.status_code == 414
        assert long_query.headers["Content-Type"] == "application/problem+json"
        problem = long_query.json()
        assert problem["status"] == 414 and problem["title"] == "Request URI Too Long"
        assert "4094" in problem["detail"]

        huge_header = requests.get(
            f"{api.url}/api/v1/assets", headers={"X-Big": "y" * 60_000}, timeout=30
        )
        assert huge_header.status_code == 431
        assert huge_header.headers["Content-Type"] == "application/problem+json"
        problem = huge_header.json()
        assert problem["status"] == 431 and problem["title"] == "Request Header Fields Too Large"
        assert "8190" in problem["detail"]

        # Under the limits the app answers, as always.
        fine = requests.get(f"{api.url}/healthz", timeout=30)
        assert fine.status_code == 200 and fine.json()["status"] == "ok"


def test_a_token_that_is_not_even_text_is_only_called_invalid(
    clients: dict[str, FlaskClient],
) -> None:
    # A JWT whose header segment decodes to bytes that are not UTF-8: PyJWT's reason quotes
    # the codec's complaint about them, which is nothing a caller needs to see.
    header = base64.urlsafe_b64encode(b"\xff\xfe\xfd").rstrip(b"=").decode()
    bad = {"Authorization": f"Bearer {header}.e30.c2ln"}
    for language, expected in (
        ("en", "The token is invalid or expired."),
        ("nl", "Het token is ongeldig of verlopen."),
    ):
        response = clients["catalog"].get(
            "/api/v1/assets", headers={**bad, "Accept-Language": language}
        )
        body = assert_problem(response, 401)  # type: ignore[arg-type]
        assert body["detail"] == expected
        assert "codec" not in response.get_data(as_text=True)
