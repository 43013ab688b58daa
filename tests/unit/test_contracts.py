"""Contracts are files: the code and contracts/ must not drift apart."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from services.openapi_export import openapi_document, render
from shared.kafka import TOPICS

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"


def emitted_event_types() -> set[str]:
    """Every event type string the services write to an outbox."""
    pattern = re.compile(r'"((?:catalog|booking|costsharing)\.[a-z_]+(?:\.[a-z_]+)?)"')
    found: set[str] = set()
    for path in (ROOT / "services").rglob("*.py"):
        # worker.py names consumers, not events; notify and the portal emit none: they name
        # the events notify consumes and its notification kinds
        emits_none = {"notify", "portal"} & set(path.relative_to(ROOT / "services").parts)
        if path.name != "worker.py" and not emits_none:
            found |= set(pattern.findall(path.read_text()))
    return {
        t
        for t in found
        if t.split(".")[0] in ("catalog", "booking", "costsharing") and t not in TOPICS
    }


def test_every_emitted_event_has_a_schema() -> None:
    schemas = {p.name.rsplit(".v", 1)[0] for p in (CONTRACTS / "events").glob("*.v*.json")}
    missing = emitted_event_types() - schemas
    assert not missing, f"event types without a contract: {sorted(missing)}"


def test_every_schema_is_valid_and_in_asyncapi() -> None:
    from jsonschema import Draft202012Validator

    asyncapi = yaml.safe_load((CONTRACTS / "asyncapi.yaml").read_text())
    messages = asyncapi["components"]["messages"]
    for path in (CONTRACTS / "events").glob("*.json"):
        schema = json.loads(path.read_text())
        Draft202012Validator.check_schema(schema)
        event_type = path.name.rsplit(".v", 1)[0]
        assert event_type in messages, f"{event_type} is not described in asyncapi.yaml"
        assert messages[event_type]["payload"]["$ref"] == f"events/{path.name}"
    assert set(asyncapi["channels"]) == set(TOPICS)


def test_exported_openapi_matches_the_code() -> None:
    for service in ("catalog", "booking", "costsharing", "notify"):
        committed = (CONTRACTS / "openapi" / f"{service}.json").read_text()
        assert committed == render(openapi_document(service)), (
            f"contracts/openapi/{service}.json is stale: run `make openapi`"
        )
