"""The APIs' own documentation tells the truth and works offline: valid OpenAPI documents
whose errors are the problem+json the code sends, with one title per status; Swagger UI from
the packaged copy; an index at /api/v1."""

from __future__ import annotations

import fnmatch
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from services import registry
from shared.web import PROBLEM_JSON, SWAGGER_UI_ASSETS, problem_title
from tests.support import auth

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts" / "openapi"
SERVICES = sorted(registry.SERVICES)
METHODS = ("get", "post", "put", "patch", "delete")
NUMERIC_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def contract(service: str) -> dict[str, Any]:
    # The committed file, which tests/unit/test_contracts.py holds equal to the code's.
    return dict(json.loads((CONTRACTS / f"{service}.json").read_text()))


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = doc["components"][section][name]
    return node


def walk(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += walk(value)
    elif isinstance(node, list):
        for value in node:
            found += walk(value)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_the_exported_documents_are_valid_openapi(service: str) -> None:
    validate(contract(service))  # raises, naming the first error


@pytest.mark.parametrize("service", SERVICES)
def test_numeric_bounds_and_number_defaults_are_numbers(service: str) -> None:
    doc = contract(service)
    strings = [
        (keyword, schema[keyword])
        for schema in walk(doc)
        for keyword in NUMERIC_KEYWORDS
        if isinstance(schema.get(keyword), str)
    ]
    strings += [
        ("default", schema["default"])
        for schema in walk(doc)
        if schema.get("type") in ("number", "integer") and isinstance(schema.get("default"), str)
    ]
    assert not strings
    # The money bounds that used to be strings, as numbers:
    if service == "catalog":
        rate = doc["components"]["schemas"]["TariffIn"]["properties"]["full_cost_rate"]
        assert rate["maximum"] == 9999999999.99
    if service == "costsharing":
        share = doc["components"]["schemas"]["AgreementCreate"]["properties"]
        assert share["requester_share_pct"]["maximum"] == 100


@pytest.mark.parametrize("service", SERVICES)
def test_every_error_is_documented_as_the_problem_json_that_is_sent(service: str) -> None:
    doc = contract(service)
    assert "Error" not in doc["components"]["schemas"]  # flask-smorest's, never sent
    problem = doc["components"]["schemas"]["Problem"]
    assert problem["properties"]["status"]["type"] == "integer"
    assert set(problem["properties"]) == {
        *("type", "title", "status", "detail", "instance", "request_id", "errors"),
    }
    for path, method, op in operations(doc):
        where = f"{method.upper()} {path}"
        statuses = set(op["responses"])
        for status, response in op["responses"].items():
            if status == "default" or int(status) >= 400:
                resolved = resolve(doc, response)
                assert list(resolved["content"]) == [PROBLEM_JSON], where
                schema = resolved["content"][PROBLEM_JSON]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, where
                if status != "default":
                    assert resolved["description"] == problem_title(int(status)), where
        assert {"503", "default"} <= statuses, where
        if op.get("security") != []:
            assert {"401", "403"} <= statuses, where
        if "requestBody" in op:
            assert {"400", "413", "422"} <= statuses, where
        if "{" in path:
            assert "404" in statuses, where
        if method != "get":
            assert "409" in statuses, where
        if any(p.get("name") == "If-Match" for p in op.get("parameters", [])):
            assert {"412", "428"} <= statuses, where


def test_the_same_status_has_the_same_title_from_every_source(
    clients: dict[str, FlaskClient],
) -> None:
    catalog = clients["catalog"]
    owner = auth("owner-dhc")
    # 404 from the router (werkzeug) and from a use case (ours)
    no_route = catalog.get("/api/v1/no-such-thing", headers=owner).get_json()
    no_asset = catalog.get(
        "/api/v1/assets/00000000-0000-4000-8000-000000000000", headers=owner
    ).get_json()
    assert no_route["status"] == no_asset["status"] == 404
    assert no_route["title"] == no_asset["title"] == problem_title(404) == "Not Found"
    # 422 from the schemas (webargs) and from a rule of ours (a too-long integer)
    schema = catalog.post("/api/v1/assets", headers=owner, json={}).get_json()
    ours = catalog.post(
        "/api/v1/assets",
        headers={**owner, "Content-Type": "application/json"},
        data='{"name": ' + "1" * 5000 + "}",
    ).get_json()
    assert schema["status"] == ours["status"] == 422
    assert schema["title"] == ours["title"] == problem_title(422) == "Unprocessable Content"
    # 400 (not JSON) is werkzeug's, titled like our own Bad Request
    broken = catalog.post(
        "/api/v1/assets", headers={**owner, "Content-Type": "application/json"}, data="{"
    ).get_json()
    assert broken["title"] == problem_title(400) == "Bad Request"


# -- Swagger UI and the index --------------------------------------------------------------------
def test_the_docs_page_loads_swagger_ui_from_the_api_itself(
    clients: dict[str, FlaskClient],
) -> None:
    manifest = json.loads((SWAGGER_UI_ASSETS / "MANIFEST.json").read_text())
    assert manifest["package"] == "swagger-ui-dist" and manifest["licence"] == "Apache-2.0"
    for service in SERVICES:
        page = clients[service].get("/docs").get_data(as_text=True)
        assert "cdn" not in page.lower() and "http" not in page.replace("http-equiv", "")
        for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
            assert f'"/docs/assets/{asset}"' in page
            served = clients[service].get(f"/docs/assets/{asset}")
            assert served.status_code == 200
            assert served.get_data() == (SWAGGER_UI_ASSETS / asset).read_bytes()
    assert clients["catalog"].get("/docs/assets/../web.py").status_code == 404


def test_the_vendored_files_are_the_manifests_and_ship_in_the_package() -> None:
    import hashlib

    manifest = json.loads((SWAGGER_UI_ASSETS / "MANIFEST.json").read_text())
    on_disk = {p.name for p in SWAGGER_UI_ASSETS.iterdir()} - {"MANIFEST.json"}
    assert set(manifest["files"]) == on_disk
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((SWAGGER_UI_ASSETS / name).read_bytes()).hexdigest() == digest
    # A non-editable install has them: package data of the `shared` package.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]
    shipped = [*patterns.get("*", []), *patterns.get("shared", [])]
    for name in [*on_disk, "MANIFEST.json"]:
        relative = f"static/swagger-ui/{name}"
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in shipped), relative


@pytest.mark.parametrize("service", SERVICES)
def test_the_index_at_api_v1_links_docs_openapi_and_health(
    clients: dict[str, FlaskClient], service: str
) -> None:
    index = clients[service].get("/api/v1")
    assert index.status_code == 200
    body = index.get_json()
    assert body["service"] == service
    links = body["links"]
    assert {"docs", "openapi", "health"} <= set(links)
    for name in ("docs", "openapi", "health"):
        assert clients[service].get(links[name]).status_code == 200, name
