"""Export every service's OpenAPI document to contracts/openapi/ (tests check for drift)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services import registry
from shared.settings import load_settings


def openapi_document(service: str) -> dict[str, Any]:
    """Build the app without touching a database (the engine connects lazily)."""
    settings = load_settings(service, {"DATABASE_URL": "postgresql://docs@127.0.0.1/docs"})
    app = registry.app_factory(service)({"SLAGKRACHT_SETTINGS": settings})
    with app.test_client() as client:
        doc: dict[str, Any] = client.get("/openapi.json").get_json()
    return doc


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_openapi(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for service in registry.SERVICES:
        path = out / f"{service}.json"
        path.write_text(render(openapi_document(service)), encoding="utf-8")
        written.append(path)
    return written
