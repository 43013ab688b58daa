"""A bounded schemathesis run over every operation of every API, against the real thing:
each API under gunicorn (shared/gunicorn_conf.py, as `slagkracht run` starts it) on a free
port, on databases of its own on the session's embedded PostgreSQL, called over HTTP with a
signed-in persona's bearer token.

For every generated request: no 5xx, and the answer is one the API's exported OpenAPI
document (contracts/openapi/*.json, kept equal to the code by test_api_docs.py) allows —
a documented status, its documented content type and a body matching its schema.

Bounded so it belongs in every `make test`: a few derandomised examples per operation (the
same ones every run, so a failure reproduces), no deadline and no shrinking.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services import registry
from services.demo import load_demo_data
from shared.kafka import create_topics
from shared.runtime import Broker
from shared.settings import load_settings
from tests.integration.gunicorn_support import gunicorn_api
from tests.portal.stack import START_TIMEOUT_S, RunningStack, _demo_assets_searchable
from tests.support import app_urls, auth, eventually, migrated_databases

pytestmark = [pytest.mark.db, pytest.mark.broker, pytest.mark.slow]

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "openapi"
SCHEMAS = {s: schemathesis.openapi.from_path(CONTRACTS / f"{s}.json") for s in registry.SERVICES}

# Who calls each API: every case is sent as each of these personas, whose roles between
# them reach most of its operations (the others answer 403, which every secured operation
# documents): the asset owner and the administrator in catalog, the planner and the owner
# in booking, the joint controller and police finance in cost-sharing, a planner in notify.
PERSONAS = {
    "catalog": ("owner-dhc", "admin"),
    "booking": ("planner-rotterdam", "owner-dhc"),
    "costsharing": ("controller", "finance-politie"),
    "notify": ("planner-rotterdam",),
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 6

bounded = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # a failure is reported as found, not shrunk
    suppress_health_check=list(HealthCheck),  # slow generation on a busy machine is fine here
)


@pytest.fixture(scope="module")
def apis(
    pg_admin_url: str, broker: Broker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """Every API under gunicorn on databases of its own (what the fuzzer writes stays there),
    holding the demo's assets, contracts and agreements, booking's read model filled from
    catalog's events by the two workers, and one booking: reads answer with real records."""
    folder = tmp_path_factory.mktemp("schemathesis")
    prefix = f"f{uuid.uuid4().hex[:6]}."
    with migrated_databases(pg_admin_url, "skf") as db_urls, ExitStack() as running:
        broker_env = {"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "KAFKA_TOPIC_PREFIX": prefix}
        settings = {
            s: load_settings(s, {"DATABASE_URL": db_urls[s], **broker_env}) for s in db_urls
        }
        create_topics(settings["catalog"])
        load_demo_data(settings)  # as the owner, as the launcher loads it
        app = app_urls(db_urls)  # the services connect as the app role
        workers = RunningStack(urls={}, db_urls=db_urls, logs=folder)
        running.callback(workers.stop)
        for service in ("catalog", "booking"):
            env = {**os.environ, **broker_env, "DATABASE_URL": app[service]}
            env["KAFKA_CONSUMER_GROUP"] = f"{prefix}{service}"
            env.pop("PROMETHEUS_MULTIPROC_DIR", None)
            argv = [sys.executable, "-m", "services.cli", "worker", service]
            workers.start(f"{service}-worker", argv, env)
        urls = {
            s: running.enter_context(gunicorn_api(s, app[s], folder / s)).url
            for s in registry.SERVICES
        }
        eventually(
            lambda: _demo_assets_searchable(urls["booking"]),
            timeout_s=START_TIMEOUT_S,
            every_s=0.2,
            what="the demo assets in booking's read model",
        )
        _book_one(urls["booking"])
        yield urls


def _book_one(booking_url: str) -> None:
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=9, minute=0, second=0)
    window = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    planner = auth("planner-rotterdam")
    free = requests.get(
        f"{booking_url}/api/v1/availability", params=window, headers=planner, timeout=30
    ).json()
    body = {
        "asset_id": free["items"][0]["asset_id"],
        **window,
        "priority": 2,
        "legal_basis": "bijstand_politiewet",
        "purpose": "Zoekactie (schemathesis)",
        "contact": "Meldkamer Rotterdam",
    }
    booked = requests.post(f"{booking_url}/api/v1/bookings", json=body, headers=planner, timeout=30)
    assert booked.status_code == 201, booked.text


def call_and_check(service: str, case: schemathesis.Case, apis: dict[str, str]) -> None:
    for persona in PERSONAS[service]:
        case.call_and_validate(
            base_url=apis[service], headers=auth(persona), checks=CHECKS, timeout=30
        )


@SCHEMAS["catalog"].parametrize()
@bounded
def test_catalog(case: schemathesis.Case, apis: dict[str, str]) -> None:
    call_and_check("catalog", case, apis)


@SCHEMAS["booking"].parametrize()
@bounded
def test_booking(case: schemathesis.Case, apis: dict[str, str]) -> None:
    call_and_check("booking", case, apis)


@SCHEMAS["costsharing"].parametrize()
@bounded
def test_costsharing(case: schemathesis.Case, apis: dict[str, str]) -> None:
    call_and_check("costsharing", case, apis)


@SCHEMAS["notify"].parametrize()
@bounded
def test_notify(case: schemathesis.Case, apis: dict[str, str]) -> None:
    call_and_check("notify", case, apis)


@pytest.mark.parametrize(
    ("content", "failure"),
    [
        ({"application/json": {"schema": {"required": ["no_such_field"]}}}, "Response violates"),
        ({"text/csv": {"schema": {"type": "string"}}}, "Undocumented Content-Type"),
    ],
)
def test_the_checks_refuse_an_answer_the_contract_does_not_allow(
    apis: dict[str, str], content: dict[str, object], failure: str
) -> None:
    """The run above can fail: notify's real unread count, judged against a contract that
    documents another body or another content type, fails the check for it."""
    raw = json.loads((CONTRACTS / "notify.json").read_text())
    raw["paths"]["/api/v1/notifications/unread-count"]["get"]["responses"]["200"]["content"] = (
        content
    )
    operation = schemathesis.openapi.from_dict(raw)["/api/v1/notifications/unread-count"]["GET"]
    with pytest.raises(FailureGroup) as failed:
        call_and_check("notify", operation.Case(), apis)
    found = [str(e) for e in failed.value.exceptions]
    assert any(failure in text for text in found), found
