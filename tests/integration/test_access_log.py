"""Under gunicorn, as `slagkracht run` starts an API: one JSON access line per request (who
asked, what, how it ended, how long it took), the request id on every line written while
serving it, and no control socket in ~ that two stacks on one machine would fight over."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.integration.gunicorn_support import RunningApi, gunicorn_api
from tests.support import auth, eventually

pytestmark = pytest.mark.db

UNKNOWN_ASSET = "/api/v1/assets/00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def catalog_api(app_db_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Any:
    with gunicorn_api("catalog", app_db_urls["catalog"], tmp_path_factory.mktemp("access")) as api:
        yield api


def access_line(api: RunningApi, request_id: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        lines = [
            line
            for line in api.log_lines()
            if line.get("logger") == "slagkracht.access" and line.get("request_id") == request_id
        ]
        assert len(lines) <= 1, lines  # one line per request
        return lines[0] if lines else None

    line = eventually(found, timeout_s=10)
    assert line is not None
    return line


def test_each_request_gets_one_access_line_naming_the_caller(catalog_api: RunningApi) -> None:
    signed_in = requests.get(
        f"{catalog_api.url}/api/v1/categories?x=secret",
        headers=auth("planner-rotterdam"),
        timeout=30,
    )
    assert signed_in.status_code == 200
    line = access_line(catalog_api, signed_in.headers["X-Request-ID"])
    assert line["method"] == "GET" and line["path"] == "/api/v1/categories"  # no query: keys
    assert line["status"] == 200 and isinstance(line["duration_ms"], float | int)
    assert line["duration_ms"] >= 0
    assert (line["subject"], line["organisation"]) == ("planner-rotterdam", "politie-rotterdam")

    anonymous = requests.get(f"{catalog_api.url}/api/v1/assets", timeout=30)
    assert anonymous.status_code == 401
    line = access_line(catalog_api, anonymous.headers["X-Request-ID"])
    assert line["status"] == 401 and line["subject"] is None and line["organisation"] is None


def test_the_request_id_of_an_error_is_on_its_log_lines(catalog_api: RunningApi) -> None:
    # The id a caller quotes from a problem body finds the request in the log.
    request_id = f"trace-{uuid.uuid4().hex[:12]}"
    missing = requests.get(
        f"{catalog_api.url}{UNKNOWN_ASSET}",
        headers={**auth("owner-dhc"), "X-Request-ID": request_id},
        timeout=30,
    )
    assert missing.status_code == 404 and missing.json()["request_id"] == request_id
    line = access_line(catalog_api, request_id)
    assert line["status"] == 404 and line["subject"] == "owner-dhc"

    # A request that logs on its way (an administrator's edit is logged as it is recorded):
    # every line it wrote carries its id.
    request_id = f"trace-{uuid.uuid4().hex[:12]}"
    created = requests.post(
        f"{catalog_api.url}/api/v1/organisations",
        headers={**auth("admin"), "X-Request-ID": request_id},
        json={
            "id": f"politie-log-{uuid.uuid4().hex[:8]}",
            "name": "Eenheid Log",
            "kind": "politie",
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    access_line(catalog_api, request_id)
    lines = [line for line in catalog_api.log_lines() if line.get("request_id") == request_id]
    assert any(line["msg"].startswith("recording organisation") for line in lines), lines
    # ... and the app wrote no line without one (it logs nothing outside requests here).
    assert all("request_id" in line for line in catalog_api.log_lines())


def test_gunicorn_opens_no_control_socket_in_home(catalog_api: RunningApi) -> None:
    # The default (~/.gunicorn/gunicorn.ctl) is one path per user: a second stack's master
    # would take it over. Checked while the API is up: it is made at start-up.
    assert requests.get(f"{catalog_api.url}/healthz", timeout=30).status_code == 200
    assert not (Path(catalog_api.home) / ".gunicorn").exists()
    assert not list(Path(catalog_api.home).rglob("*.ctl"))
