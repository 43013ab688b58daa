"""Bad HTTP input: a 4xx problem+json naming the fields, never a 500, and nothing written.

"Nothing written" is proven by counting the use case's table and the outbox before and after:
the databases are shared by the whole session, so counts are compared, never expected to be 0.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from werkzeug.test import TestResponse

from services.booking.service import apply_asset_snapshot
from shared.db import make_engine, make_session_factory
from shared.settings import sqlalchemy_url
from tests.support import auth

pytestmark = pytest.mark.db

PROBLEM_KEYS = {"type", "title", "status", "detail"}
ONE_MIB = 1024 * 1024

# The rows each create use case writes (besides the outbox).
TABLES = {
    "catalog": ("assets", "tariffs", "idempotency_keys"),
    "booking": ("bookings", "booking_transitions", "idempotency_keys"),
    "costsharing": ("agreements", "idempotency_keys"),
}


# -- helpers ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def engines(db_urls: dict[str, str]) -> Iterator[dict[str, Engine]]:
    made = {s: make_engine(sqlalchemy_url(url), pool_size=1) for s, url in db_urls.items()}
    yield made
    for engine in made.values():
        engine.dispose()


def row_counts(engine: Engine, service: str) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
            for table in (*TABLES[service], "outbox")
        }


@contextmanager
def writes(engines: dict[str, Engine], service: str, **expected: int) -> Iterator[None]:
    """Assert the block adds exactly ``expected`` rows per table (0 for any not named)."""
    before = row_counts(engines[service], service)
    yield
    after = row_counts(engines[service], service)
    added = {table: after[table] - before[table] for table in before}
    assert added == {table: expected.get(table, 0) for table in before}


def nothing_written(engines: dict[str, Engine], service: str) -> Any:
    return writes(engines, service)


def field_errors(body: dict[str, Any], path: str) -> Any:
    """The messages at a dotted field path of a problem's ``errors``."""
    node: Any = body.get("errors")
    for part in path.split("."):
        assert isinstance(node, dict) and part in node, f"{path!r} not named in {body}"
        node = node[part]
    return node


def assert_problem(response: TestResponse, status: int, *fields: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert isinstance(body, dict)
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    for field in fields:
        assert field_errors(body, field), f"no message for {field!r} in {body}"
    return body


def set_path(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    *parents, last = path.split(".")
    node = out
    for part in parents:
        node = node[part]
    node[last] = value
    return out


def drop_path(body: dict[str, Any], path: str) -> dict[str, Any]:
    out = copy.deepcopy(body)
    *parents, last = path.split(".")
    node = out
    for part in parents:
        node = node[part]
    del node[last]
    return out


def post_raw(client: FlaskClient, url: str, persona: str, data: bytes | str) -> TestResponse:
    return client.post(
        url, data=data, headers={**auth(persona), "Content-Type": "application/json"}
    )


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def in_days(days: float, hour: int = 10) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


# -- catalog: POST /api/v1/assets ------------------------------------------------------------------
ASSETS = "/api/v1/assets"


def asset_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "registration": unique("N"),
        "name": "NH90 test",
        "category": "helicopter",
        "home_base": "De Kooy",
        "regions": ["VR10", "VR17"],
        "readiness_notice": "PT2H",
        "tariff": {
            "unit": "flight_hour",
            "full_cost_rate": "9800.00",
            "marginal_cost_rate": "3900.00",
            "mobilisation_fee": "1500.00",
            "market_reference_price": "11000.00",
            "valid_from": "2026-01-01",
        },
    }
    body.update(overrides)
    return body


class TestCatalogAssets:
    def test_a_valid_asset_is_created_with_its_tariff_and_one_event(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        # The control: the same helpers do see a write when one happens.
        with writes(engines, "catalog", assets=1, tariffs=1, outbox=1):
            response = clients["catalog"].post(ASSETS, headers=auth("owner-dhc"), json=asset_body())
        assert response.status_code == 201, response.get_json()

    @pytest.mark.parametrize(
        "raw",
        ['{"registration": "N-1",', "{'registration': 'N-1'}", "not json at all", b"\xff\xfe{}"],
        ids=["truncated", "single-quotes", "prose", "not-utf8"],
    )
    def test_malformed_json_is_400(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], raw: str | bytes
    ) -> None:
        with nothing_written(engines, "catalog"):
            response = post_raw(clients["catalog"], ASSETS, "owner-dhc", raw)
        body = assert_problem(response, 400)
        assert body["errors"]

    def test_deeply_nested_json_is_422_not_500(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        raw = "[" * 100_000 + "]" * 100_000  # well under 1 MiB, but deeper than any parser recurses
        with nothing_written(engines, "catalog"):
            response = post_raw(clients["catalog"], ASSETS, "owner-dhc", raw)
        assert_problem(response, 422, "_body")  # past the stated depth (shared/web.py)

    @pytest.mark.parametrize("raw", ["[]", '"an asset"', "42", "null"])
    def test_a_body_that_is_not_an_object_is_refused(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], raw: str
    ) -> None:
        with nothing_written(engines, "catalog"):
            response = post_raw(clients["catalog"], ASSETS, "owner-dhc", raw)
        assert_problem(response, 422)

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            ("registration", 12345),
            ("name", ["NH90"]),
            ("category", "submarine"),
            ("regions", "VR10"),
            ("regions", [10, 17]),
            ("capacity", "1"),
            ("capacity", 1.5),
            ("capacity", True),
            ("attributes", ["night-vision"]),
            ("tariff", "9800"),
            ("tariff.unit", "fortnight"),
            ("tariff.full_cost_rate", "lots"),
            ("tariff.full_cost_rate", "NaN"),
            ("tariff.full_cost_rate", "1e999999"),
            ("tariff.valid_from", "yesterday"),
            ("tariff.valid_to", 20260101),
        ],
    )
    def test_wrong_types_are_422_naming_the_field(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        path: str,
        value: Any,
    ) -> None:
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(
                ASSETS, headers=auth("owner-dhc"), json=set_path(asset_body(), path, value)
            )
        assert_problem(response, 422, path)

    @pytest.mark.parametrize(
        "path",
        [
            "registration",
            "name",
            "category",
            "home_base",
            "regions",
            "tariff",
            "tariff.unit",
            "tariff.full_cost_rate",
            "tariff.marginal_cost_rate",
            "tariff.market_reference_price",
            "tariff.valid_from",
        ],
    )
    def test_missing_required_fields_are_422_naming_the_field(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], path: str
    ) -> None:
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(
                ASSETS, headers=auth("owner-dhc"), json=drop_path(asset_body(), path)
            )
        assert_problem(response, 422, path)

    def test_an_empty_object_names_every_required_field(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(ASSETS, headers=auth("owner-dhc"), json={})
        body = assert_problem(response, 422)
        assert set(body["errors"]) == {
            "registration",
            "name",
            "category",
            "home_base",
            "regions",
            "tariff",
        }

    def test_a_non_json_content_type_is_refused_not_guessed(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(
                ASSETS,
                headers={**auth("owner-dhc"), "Content-Type": "text/plain"},
                data='{"registration": "N-1"}',
            )
        assert_problem(response, 422, "registration")

    @pytest.mark.parametrize("path", ["colour", "tariff.discount"])
    def test_unknown_fields_are_422_naming_the_field(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], path: str
    ) -> None:
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(
                ASSETS, headers=auth("owner-dhc"), json=set_path(asset_body(), path, "x")
            )
        assert_problem(response, 422, path)

    def test_a_body_over_one_mib_is_413(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        huge = asset_body(attributes={"notes": "x" * (ONE_MIB + 1)})
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(ASSETS, headers=auth("owner-dhc"), json=huge)
        body = assert_problem(response, 413)
        assert str(ONE_MIB) in body["detail"]

    def test_a_body_just_under_the_limit_is_judged_on_its_content(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        # Not a 413: the limit is on size; this body fails validation for its own reasons.
        big = asset_body(name="x" * (ONE_MIB - 4096))
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(ASSETS, headers=auth("owner-dhc"), json=big)
        assert_problem(response, 422, "name")

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            ("tariff.full_cost_rate", "-1.00"),
            ("tariff.marginal_cost_rate", "-0.01"),
            ("tariff.mobilisation_fee", "-1500.00"),
            ("tariff.market_reference_price", "-11000.00"),
        ],
    )
    def test_negative_money_is_422(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        path: str,
        value: str,
    ) -> None:
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(
                ASSETS, headers=auth("owner-dhc"), json=set_path(asset_body(), path, value)
            )
        assert_problem(response, 422, path)

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            ("tariff.full_cost_rate", "1e20"),
            ("tariff.market_reference_price", "99999999999999999999.00"),
        ],
    )
    def test_money_beyond_what_the_ledger_holds_is_422(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        path: str,
        value: str,
    ) -> None:
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(
                ASSETS, headers=auth("owner-dhc"), json=set_path(asset_body(), path, value)
            )
        assert_problem(response, 422, path)

    def test_marginal_above_full_cost_is_422(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        body = set_path(asset_body(), "tariff.marginal_cost_rate", "9800.01")
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(ASSETS, headers=auth("owner-dhc"), json=body)
        assert_problem(response, 422, "tariff.marginal_cost_rate")

    def test_a_tariff_ending_before_it_starts_is_422(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        body = set_path(asset_body(), "tariff.valid_to", "2026-01-01")
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(ASSETS, headers=auth("owner-dhc"), json=body)
        assert_problem(response, 422, "tariff.valid_to")

    @pytest.mark.parametrize(
        ("category", "capacity"),
        [("dive_team", 0), ("dive_team", -3), ("helicopter", 0), ("helicopter", 2)],
    )
    def test_bad_capacity_is_422(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        category: str,
        capacity: int,
    ) -> None:
        body = asset_body(category=category, capacity=capacity)
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(ASSETS, headers=auth("owner-duikgroep"), json=body)
        assert_problem(response, 422, "capacity")

    def test_a_capacity_beyond_a_whole_number_column_is_422(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        body = asset_body(category="dive_team", capacity=2**40)
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(ASSETS, headers=auth("owner-duikgroep"), json=body)
        assert_problem(response, 422, "capacity")

    @pytest.mark.parametrize("notice", ["4 hours", "PT", "P", "PT4X"])
    def test_a_readiness_notice_that_is_not_a_duration_is_422(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], notice: str
    ) -> None:
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(
                ASSETS, headers=auth("owner-dhc"), json=asset_body(readiness_notice=notice)
            )
        assert_problem(response, 422, "readiness_notice")

    @pytest.mark.parametrize("regions", [["VR99"], ["VR10", "XX00"], []])
    def test_unknown_or_no_regions_are_422(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        regions: list[str],
    ) -> None:
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(
                ASSETS, headers=auth("owner-dhc"), json=asset_body(regions=regions)
            )
        assert_problem(response, 422, "regions")

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            ("registration", "NH\x0090"),
            ("name", "NH\x0090"),
            ("home_base", "De\x00Kooy"),
            ("attributes", {"note": "night\x00vision"}),
        ],
    )
    def test_a_nul_character_is_422_not_a_database_error(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        path: str,
        value: Any,
    ) -> None:
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(
                ASSETS, headers=auth("owner-dhc"), json=set_path(asset_body(), path, value)
            )
        assert_problem(response, 422, path)

    def test_a_duplicate_registration_is_409_and_writes_nothing(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        catalog = clients["catalog"]
        body = asset_body()
        assert catalog.post(ASSETS, headers=auth("owner-dhc"), json=body).status_code == 201
        with nothing_written(engines, "catalog"):
            response = catalog.post(
                ASSETS, headers=auth("owner-dhc"), json={**body, "name": "Another name"}
            )
        assert_problem(response, 409, "registration")

    def test_another_owner_may_use_the_same_registration(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        catalog = clients["catalog"]
        body = asset_body(category="dive_team", capacity=2)
        assert catalog.post(ASSETS, headers=auth("owner-dhc"), json=body).status_code == 201
        with writes(engines, "catalog", assets=1, tariffs=1, outbox=1):
            response = catalog.post(ASSETS, headers=auth("owner-duikgroep"), json=body)
        assert response.status_code == 201, response.get_json()

    def test_an_idempotent_retry_returns_the_same_asset_and_creates_one(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        catalog = clients["catalog"]
        headers = {**auth("owner-dhc"), "Idempotency-Key": unique("asset-key")}
        body = asset_body()
        with writes(engines, "catalog", assets=1, tariffs=1, outbox=1, idempotency_keys=1):
            first = catalog.post(ASSETS, headers=headers, json=body)
            second = catalog.post(ASSETS, headers=headers, json=body)
        assert first.status_code == 201, first.get_json()
        assert second.status_code == 201, second.get_json()
        assert second.get_json()["id"] == first.get_json()["id"]
        assert second.get_json() == first.get_json()

        with nothing_written(engines, "catalog"):
            other = catalog.post(ASSETS, headers=headers, json={**body, "name": "Other name"})
        assert_problem(other, 422, "Idempotency-Key")

    def test_the_same_key_of_another_caller_is_their_own(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        key = unique("shared-key")
        catalog = clients["catalog"]
        first = catalog.post(
            ASSETS, headers={**auth("owner-dhc"), "Idempotency-Key": key}, json=asset_body()
        )
        assert first.status_code == 201, first.get_json()
        with writes(engines, "catalog", assets=1, tariffs=1, outbox=1, idempotency_keys=1):
            second = catalog.post(
                ASSETS,
                headers={**auth("owner-duikgroep"), "Idempotency-Key": key},
                json=asset_body(),
            )
        assert second.status_code == 201, second.get_json()
        assert second.get_json()["id"] != first.get_json()["id"]

    @pytest.mark.parametrize("key", ["short", "has spaces in it", "x" * 129, "ключ-ключ-ключ"])
    def test_a_malformed_idempotency_key_is_422(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], key: str
    ) -> None:
        with nothing_written(engines, "catalog"):
            response = clients["catalog"].post(
                ASSETS, headers={**auth("owner-dhc"), "Idempotency-Key": key}, json=asset_body()
            )
        assert_problem(response, 422, "Idempotency-Key")

    def test_a_refused_request_does_not_burn_its_idempotency_key(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        catalog = clients["catalog"]
        headers = {**auth("owner-dhc"), "Idempotency-Key": unique("retry-key")}
        with nothing_written(engines, "catalog"):
            refused = catalog.post(ASSETS, headers=headers, json=asset_body(capacity=0))
        assert_problem(refused, 422, "capacity")
        fixed = catalog.post(ASSETS, headers=headers, json=asset_body())
        assert fixed.status_code == 201, fixed.get_json()


# -- routing, for every service ------------------------------------------------------------------
@pytest.mark.parametrize("service", ["catalog", "booking", "costsharing"])
def test_an_unknown_route_is_a_404_problem(clients: dict[str, FlaskClient], service: str) -> None:
    response = clients[service].get("/api/v1/no-such-thing", headers=auth("admin"))
    assert_problem(response, 404)


@pytest.mark.parametrize(
    ("service", "url", "allowed"),
    [
        ("catalog", "/api/v1/assets", {"GET", "POST"}),
        ("booking", "/api/v1/bookings", {"GET", "POST"}),
        ("costsharing", "/api/v1/agreements", {"GET", "POST"}),
    ],
)
def test_a_wrong_method_is_a_405_problem_with_allow(
    clients: dict[str, FlaskClient], service: str, url: str, allowed: set[str]
) -> None:
    response = clients[service].delete(url, headers=auth("admin"))
    assert_problem(response, 405)
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


@pytest.mark.parametrize(
    ("service", "url"),
    [
        ("catalog", "/api/v1/assets/not-a-uuid"),
        ("booking", "/api/v1/bookings/not-a-uuid"),
        ("costsharing", "/api/v1/allocations/not-a-uuid"),
    ],
)
def test_a_malformed_id_in_the_path_is_a_404_problem(
    clients: dict[str, FlaskClient], service: str, url: str
) -> None:
    assert_problem(clients[service].get(url, headers=auth("admin")), 404)


@pytest.mark.parametrize(
    ("service", "url"),
    [
        ("catalog", f"/api/v1/assets/{uuid.uuid4()}"),
        ("booking", f"/api/v1/bookings/{uuid.uuid4()}"),
        ("costsharing", f"/api/v1/allocations/{uuid.uuid4()}"),
    ],
)
def test_a_missing_resource_is_a_404_problem(
    clients: dict[str, FlaskClient], service: str, url: str
) -> None:
    assert_problem(clients[service].get(url, headers=auth("admin")), 404)


@pytest.mark.parametrize(
    ("service", "url"),
    [
        ("catalog", "/api/v1/assets?limit=0"),
        ("catalog", "/api/v1/assets?category=submarine"),
        ("booking", "/api/v1/bookings?state=lost"),
        ("booking", "/api/v1/bookings?offset=-1"),
        ("costsharing", "/api/v1/allocations?booking_id=nope"),
    ],
)
def test_bad_query_parameters_are_422(
    clients: dict[str, FlaskClient], service: str, url: str
) -> None:
    name = url.split("?")[1].split("=")[0]
    assert_problem(clients[service].get(url, headers=auth("admin")), 422, name)


# -- booking: POST /api/v1/bookings ---------------------------------------------------------------
BOOKINGS = "/api/v1/bookings"
TARIFF = {
    "tariff_id": str(uuid.uuid4()),
    "unit": "flight_hour",
    "full_cost_rate": "9800.00",
    "marginal_cost_rate": "3900.00",
    "mobilisation_fee": "1500.00",
    "market_reference_price": "11000.00",
    "currency": "EUR",
    "valid_from": "2020-01-01",
    "valid_to": None,
}


# Published availability that covers every window these tests ask for.
ALWAYS_AVAILABLE = {
    "window_id": str(uuid.uuid4()),
    "kind": "one_off",
    "start_at": "2020-01-01T00:00:00+00:00",
    "end_at": "2100-01-01T00:00:00+00:00",
    "weekdays": None,
    "start_time": None,
    "end_time": None,
    "valid_from": None,
    "valid_to": None,
    "timezone": "Europe/Amsterdam",
}


def put_asset_view(db_url: str, **overrides: Any) -> str:
    """Place an asset straight into booking's read model, as the catalog consumer would."""
    data: dict[str, Any] = {
        "asset_id": str(uuid.uuid4()),
        "owner_org": "defensie-dhc",
        "registration": unique("N"),
        "name": "NH90 read model",
        "category": "helicopter",
        "booking_mode": "slot",
        "home_base": "De Kooy",
        "regions": ["VR10"],
        "capacity": 1,
        "readiness_notice": "PT2H",
        "attributes": {},
        "status": "active",
        "version": 1,
        "tariffs": [TARIFF],
        "availability": [ALWAYS_AVAILABLE],
    }
    data.update(overrides)
    engine = make_engine(sqlalchemy_url(db_url), pool_size=1)
    try:
        with make_session_factory(engine)() as session:
            apply_asset_snapshot(session, data)
            session.commit()
    finally:
        engine.dispose()
    return str(data["asset_id"])


@pytest.fixture(scope="module")
def slot_asset(db_urls: dict[str, str]) -> str:
    return put_asset_view(db_urls["booking"])


@pytest.fixture(scope="module")
def team_asset(db_urls: dict[str, str]) -> str:
    return put_asset_view(
        db_urls["booking"],
        owner_org="defensie-duikgroep",
        name="Duikteam read model",
        category="dive_team",
        booking_mode="capacity",
        capacity=3,
        readiness_notice="P1D",
    )


_day = iter(range(10_000))


def booking_body(asset_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid request in a window no other test of this module uses."""
    start = in_days(30 + next(_day))
    body: dict[str, Any] = {
        "asset_id": asset_id,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=3)).isoformat(),
        "priority": 2,
        "legal_basis": "bijstand_politiewet",
        "purpose": "Zoekactie vermiste persoon",
        "contact": "OvD 010-0000000",
    }
    body.update(overrides)
    return body


class TestBookings:
    def test_a_valid_request_is_created_with_its_trail_and_one_event(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], slot_asset: str
    ) -> None:
        with writes(engines, "booking", bookings=1, booking_transitions=1, outbox=1):
            response = clients["booking"].post(
                BOOKINGS, headers=auth("planner-rotterdam"), json=booking_body(slot_asset)
            )
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["state"] == "requested"

    @pytest.mark.parametrize("raw", ['{"asset_id": ', "[1, 2,]", "{asset_id: 1}"])
    def test_malformed_json_is_400(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], raw: str
    ) -> None:
        with nothing_written(engines, "booking"):
            response = post_raw(clients["booking"], BOOKINGS, "planner-rotterdam", raw)
        assert_problem(response, 400)

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            ("asset_id", "not-a-uuid"),
            ("asset_id", 42),
            ("start", "tomorrow morning"),
            ("start", 1767225600),
            ("end", ["2030-01-01T10:00:00+00:00"]),
            ("quantity", "1"),
            ("quantity", 1.5),
            ("priority", "2"),
            ("priority", 2.0),
            ("priority", 7),
            ("legal_basis", "because"),
            ("purpose", 123),
            ("contact", None),
        ],
    )
    def test_wrong_types_are_422_naming_the_field(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        slot_asset: str,
        path: str,
        value: Any,
    ) -> None:
        with nothing_written(engines, "booking"):
            response = clients["booking"].post(
                BOOKINGS,
                headers=auth("planner-rotterdam"),
                json=set_path(booking_body(slot_asset), path, value),
            )
        assert_problem(response, 422, path)

    @pytest.mark.parametrize("path", ["start", "end"])
    def test_a_time_without_offset_is_422(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        slot_asset: str,
        path: str,
    ) -> None:
        body = booking_body(slot_asset)
        body[path] = body[path].replace("+00:00", "")
        with nothing_written(engines, "booking"):
            response = clients["booking"].post(
                BOOKINGS, headers=auth("planner-rotterdam"), json=body
            )
        assert_problem(response, 422, path)

    @pytest.mark.parametrize(
        "path", ["asset_id", "start", "end", "priority", "legal_basis", "purpose", "contact"]
    )
    def test_missing_required_fields_are_422_naming_the_field(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        slot_asset: str,
        path: str,
    ) -> None:
        with nothing_written(engines, "booking"):
            response = clients["booking"].post(
                BOOKINGS,
                headers=auth("planner-rotterdam"),
                json=drop_path(booking_body(slot_asset), path),
            )
        assert_problem(response, 422, path)

    @pytest.mark.parametrize("field", ["state", "requester_org", "owner_org", "id"])
    def test_unknown_or_server_owned_fields_are_422(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        slot_asset: str,
        field: str,
    ) -> None:
        body = booking_body(slot_asset, **{field: "approved"})
        with nothing_written(engines, "booking"):
            response = clients["booking"].post(
                BOOKINGS, headers=auth("planner-rotterdam"), json=body
            )
        assert_problem(response, 422, field)

    def test_a_body_over_one_mib_is_413(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], slot_asset: str
    ) -> None:
        body = booking_body(slot_asset, purpose="x" * (ONE_MIB + 1))
        with nothing_written(engines, "booking"):
            response = clients["booking"].post(
                BOOKINGS, headers=auth("planner-rotterdam"), json=body
            )
        assert_problem(response, 413)

    @pytest.mark.parametrize("hours", [0, -1, -48])
    def test_an_end_not_after_the_start_is_422(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        slot_asset: str,
        hours: int,
    ) -> None:
        body = booking_body(slot_asset)
        start = datetime.fromisoformat(body["start"])
        body["end"] = (start + timedelta(hours=hours)).isoformat()
        with nothing_written(engines, "booking"):
            response = clients["booking"].post(
                BOOKINGS, headers=auth("planner-rotterdam"), json=body
            )
        assert_problem(response, 422, "end")

    @pytest.mark.parametrize("priority", [1, 2, 3])
    def test_a_window_in_the_past_is_422_whatever_the_priority(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        slot_asset: str,
        priority: int,
    ) -> None:
        start = datetime.now(UTC) - timedelta(hours=5)
        body = booking_body(
            slot_asset,
            priority=priority,
            start=start.isoformat(),
            end=(start + timedelta(hours=2)).isoformat(),
        )
        with nothing_written(engines, "booking"):
            response = clients["booking"].post(
                BOOKINGS, headers=auth("planner-rotterdam"), json=body
            )
        assert_problem(response, 422, "start")

    @pytest.mark.parametrize(
        ("start", "end", "named"),
        [
            ("9999-12-31T20:00:00-12:00", "9999-12-31T23:00:00-12:00", "start"),
            ("2030-01-01T10:00:00+00:00", "9999-12-31T23:00:00-12:00", "end"),
        ],
    )
    def test_a_window_beyond_the_year_9999_is_422(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        slot_asset: str,
        start: str,
        end: str,
        named: str,
    ) -> None:
        # In UTC this is the year 10000, which neither Python nor a read-back can represent.
        with nothing_written(engines, "booking"):
            response = clients["booking"].post(
                BOOKINGS,
                headers=auth("planner-rotterdam"),
                json=booking_body(slot_asset, start=start, end=end),
            )
        assert_problem(response, 422, named)

    def test_completing_beyond_the_year_9999_is_422_and_the_booking_stays_readable(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], slot_asset: str
    ) -> None:
        booking = clients["booking"]
        body = booking_body(slot_asset)
        created = booking.post(BOOKINGS, headers=auth("planner-rotterdam"), json=body)
        assert created.status_code == 201, created.get_json()
        url = f"{BOOKINGS}/{created.get_json()['id']}"
        assert booking.post(f"{url}/approve", headers=auth("owner-dhc"), json={}).status_code == 200
        with nothing_written(engines, "booking"):
            response = booking.post(
                f"{url}/complete",
                headers=auth("owner-dhc"),
                json={"actual_start": body["start"], "actual_end": "9999-12-31T23:00:00-12:00"},
            )
        assert_problem(response, 422, "actual_end")
        again = booking.get(url, headers=auth("planner-rotterdam"))
        assert again.status_code == 200, again.get_json()
        assert again.get_json()["state"] == "approved"
        assert booking.get(BOOKINGS, headers=auth("planner-rotterdam")).status_code == 200

    def test_an_unknown_asset_is_422(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        with nothing_written(engines, "booking"):
            response = clients["booking"].post(
                BOOKINGS,
                headers=auth("planner-rotterdam"),
                json=booking_body(str(uuid.uuid4())),
            )
        assert_problem(response, 422, "asset_id")

    @pytest.mark.parametrize("status", ["maintenance", "retired"])
    def test_an_asset_out_of_service_is_422(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        db_urls: dict[str, str],
        status: str,
    ) -> None:
        asset = put_asset_view(db_urls["booking"], status=status)
        with nothing_written(engines, "booking"):
            response = clients["booking"].post(
                BOOKINGS, headers=auth("planner-rotterdam"), json=booking_body(asset)
            )
        assert_problem(response, 422, "asset_id")

    def test_a_procurement_item_is_not_booked(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        db_urls: dict[str, str],
    ) -> None:
        asset = put_asset_view(
            db_urls["booking"], category="procurement_item", booking_mode="quantity", capacity=100
        )
        with nothing_written(engines, "booking"):
            response = clients["booking"].post(
                BOOKINGS, headers=auth("planner-rotterdam"), json=booking_body(asset)
            )
        assert_problem(response, 422, "asset_id")

    @pytest.mark.parametrize("quantity", [0, -1, 4])
    def test_a_quantity_outside_the_capacity_is_422(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        team_asset: str,
        quantity: int,
    ) -> None:
        with nothing_written(engines, "booking"):
            response = clients["booking"].post(
                BOOKINGS,
                headers=auth("planner-rotterdam"),
                json=booking_body(team_asset, quantity=quantity),
            )
        assert_problem(response, 422, "quantity")

    def test_a_start_inside_the_readiness_notice_is_422_unless_acute(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], slot_asset: str
    ) -> None:
        start = datetime.now(UTC) + timedelta(minutes=30)  # notice is PT2H
        soon = {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
        with nothing_written(engines, "booking"):
            response = clients["booking"].post(
                BOOKINGS,
                headers=auth("planner-rotterdam"),
                json=booking_body(slot_asset, priority=2, **soon),
            )
        assert_problem(response, 422, "start")
        with writes(engines, "booking", bookings=1, booking_transitions=1, outbox=1):
            acute = clients["booking"].post(
                BOOKINGS,
                headers=auth("planner-rotterdam"),
                json=booking_body(slot_asset, priority=1, **soon),
            )
        assert acute.status_code == 201, acute.get_json()

    def test_a_slot_taken_in_an_overlapping_window_is_409(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], slot_asset: str
    ) -> None:
        booking = clients["booking"]
        first = booking_body(slot_asset)
        created = booking.post(BOOKINGS, headers=auth("planner-rotterdam"), json=first)
        assert created.status_code == 201, created.get_json()
        start = datetime.fromisoformat(first["start"]) + timedelta(hours=1)
        overlapping = booking_body(
            slot_asset, start=start.isoformat(), end=(start + timedelta(hours=4)).isoformat()
        )
        with nothing_written(engines, "booking"):
            response = booking.post(BOOKINGS, headers=auth("planner-rotterdam"), json=overlapping)
        body = assert_problem(response, 409)
        assert body["conflicting_booking"] == created.get_json()["id"]  # the unit's own

    def test_capacity_beyond_what_is_free_is_409(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], team_asset: str
    ) -> None:
        booking = clients["booking"]
        first = booking_body(team_asset, quantity=2)
        created = booking.post(BOOKINGS, headers=auth("planner-rotterdam"), json=first)
        assert created.status_code == 201, created.get_json()
        with nothing_written(engines, "booking"):
            response = booking.post(
                BOOKINGS, headers=auth("planner-amsterdam"), json={**first, "quantity": 2}
            )
        assert_problem(response, 409, "quantity")

    def test_a_nul_character_is_422_not_a_database_error(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], slot_asset: str
    ) -> None:
        with nothing_written(engines, "booking"):
            response = clients["booking"].post(
                BOOKINGS,
                headers=auth("planner-rotterdam"),
                json=booking_body(slot_asset, purpose="Zoek\x00actie"),
            )
        assert_problem(response, 422, "purpose")

    def test_an_idempotent_retry_returns_the_same_booking_and_creates_one(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], slot_asset: str
    ) -> None:
        booking = clients["booking"]
        headers = {**auth("planner-rotterdam"), "Idempotency-Key": unique("booking-key")}
        body = booking_body(slot_asset)
        with writes(
            engines, "booking", bookings=1, booking_transitions=1, outbox=1, idempotency_keys=1
        ):
            first = booking.post(BOOKINGS, headers=headers, json=body)
            second = booking.post(BOOKINGS, headers=headers, json=body)
        assert first.status_code == 201, first.get_json()
        assert second.status_code == 201, second.get_json()
        assert second.get_json()["id"] == first.get_json()["id"]

        with nothing_written(engines, "booking"):
            other = booking.post(
                BOOKINGS, headers=headers, json={**body, "purpose": "Een ander doel"}
            )
        assert_problem(other, 422, "Idempotency-Key")

    def test_a_retry_without_a_key_is_a_second_request(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], slot_asset: str
    ) -> None:
        # The control for the test above: without the key the slot is taken by the first.
        booking = clients["booking"]
        body = booking_body(slot_asset)
        first = booking.post(BOOKINGS, headers=auth("planner-rotterdam"), json=body)
        assert first.status_code == 201, first.get_json()
        with nothing_written(engines, "booking"):
            again = booking.post(BOOKINGS, headers=auth("planner-rotterdam"), json=body)
        assert_problem(again, 409)


# -- costsharing: POST /api/v1/agreements ---------------------------------------------------------
AGREEMENTS = "/api/v1/agreements"


def agreement_body(**overrides: Any) -> dict[str, Any]:
    """A valid agreement whose scope (a made-up requesting unit) no other test shares."""
    body: dict[str, Any] = {
        "name": unique("Convenant test"),
        "legal_basis": "steunverlening",
        "category": "helicopter",
        "owner_org": "defensie-dhc",
        "requester_org": unique("politie-test"),
        "valid_from": "2026-01-01",
        "valid_to": "2027-01-01",
        "price_basis": "marginal_cost",
        "requester_share_pct": "100.00",
        "charge_mobilisation": True,
    }
    body.update(overrides)
    return body


class TestAgreements:
    def test_a_valid_agreement_is_created(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        with writes(engines, "costsharing", agreements=1):
            response = clients["costsharing"].post(
                AGREEMENTS, headers=auth("admin"), json=agreement_body()
            )
        assert response.status_code == 201, response.get_json()

    @pytest.mark.parametrize("raw", ['{"name": "x"', "", "{,}"])
    def test_malformed_json_is_400(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], raw: str
    ) -> None:
        with nothing_written(engines, "costsharing"):
            response = post_raw(clients["costsharing"], AGREEMENTS, "admin", raw)
        if raw == "":
            # An empty JSON body is no body: every required field is missing.
            assert_problem(response, 422, "name", "legal_basis")
        else:
            assert_problem(response, 400)

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            ("name", 7),
            ("legal_basis", "goodwill"),
            ("category", "tank"),
            ("valid_from", "2026-13-01"),
            ("valid_to", True),
            ("price_basis", "cheap"),
            ("requester_share_pct", "half"),
            ("requester_share_pct", "Infinity"),
            ("charge_mobilisation", "maybe"),
            ("cancellation_free_hours", "48"),
            ("cancellation_pct", []),
        ],
    )
    def test_wrong_types_are_422_naming_the_field(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        path: str,
        value: Any,
    ) -> None:
        with nothing_written(engines, "costsharing"):
            response = clients["costsharing"].post(
                AGREEMENTS, headers=auth("admin"), json=set_path(agreement_body(), path, value)
            )
        assert_problem(response, 422, path)

    @pytest.mark.parametrize(
        "path", ["name", "legal_basis", "valid_from", "price_basis", "requester_share_pct"]
    )
    def test_missing_required_fields_are_422_naming_the_field(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], path: str
    ) -> None:
        with nothing_written(engines, "costsharing"):
            response = clients["costsharing"].post(
                AGREEMENTS, headers=auth("admin"), json=drop_path(agreement_body(), path)
            )
        assert_problem(response, 422, path)

    @pytest.mark.parametrize("field", ["discount", "id", "created_by", "version"])
    def test_unknown_or_server_owned_fields_are_422(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], field: str
    ) -> None:
        with nothing_written(engines, "costsharing"):
            response = clients["costsharing"].post(
                AGREEMENTS, headers=auth("admin"), json=agreement_body(**{field: "x"})
            )
        assert_problem(response, 422, field)

    def test_a_body_over_one_mib_is_413(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        with nothing_written(engines, "costsharing"):
            response = clients["costsharing"].post(
                AGREEMENTS, headers=auth("admin"), json=agreement_body(name="x" * (ONE_MIB + 1))
            )
        assert_problem(response, 413)

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            ("requester_share_pct", "-0.01"),
            ("requester_share_pct", "100.01"),
            ("cancellation_pct", "-5"),
            ("cancellation_pct", "150"),
            ("cancellation_free_hours", -1),
        ],
    )
    def test_shares_and_hours_out_of_range_are_422(
        self,
        clients: dict[str, FlaskClient],
        engines: dict[str, Engine],
        path: str,
        value: Any,
    ) -> None:
        with nothing_written(engines, "costsharing"):
            response = clients["costsharing"].post(
                AGREEMENTS, headers=auth("admin"), json=set_path(agreement_body(), path, value)
            )
        assert_problem(response, 422, path)

    @pytest.mark.parametrize("valid_to", ["2026-01-01", "2025-12-31"])
    def test_an_agreement_ending_before_it_starts_is_422(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine], valid_to: str
    ) -> None:
        with nothing_written(engines, "costsharing"):
            response = clients["costsharing"].post(
                AGREEMENTS, headers=auth("admin"), json=agreement_body(valid_to=valid_to)
            )
        assert_problem(response, 422, "valid_to")

    def test_a_nul_character_is_422_not_a_database_error(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        with nothing_written(engines, "costsharing"):
            response = clients["costsharing"].post(
                AGREEMENTS, headers=auth("admin"), json=agreement_body(name="Conv\x00enant")
            )
        assert_problem(response, 422, "name")

    def test_an_overlapping_agreement_for_the_same_scope_is_409(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        costsharing = clients["costsharing"]
        body = agreement_body()
        created = costsharing.post(AGREEMENTS, headers=auth("admin"), json=body)
        assert created.status_code == 201, created.get_json()
        overlapping = {**body, "name": unique("Overlap"), "valid_from": "2026-06-01"}
        with nothing_written(engines, "costsharing"):
            response = costsharing.post(AGREEMENTS, headers=auth("admin"), json=overlapping)
        problem_body = assert_problem(response, 409)
        assert problem_body["conflicting_agreement"] == created.get_json()["id"]
        # Adjacent, not overlapping: validity is half-open, so this one is fine.
        with writes(engines, "costsharing", agreements=1):
            adjacent = costsharing.post(
                AGREEMENTS,
                headers=auth("admin"),
                json={**body, "name": unique("Next"), "valid_from": "2027-01-01", "valid_to": None},
            )
        assert adjacent.status_code == 201, adjacent.get_json()

    def test_an_idempotent_retry_returns_the_same_agreement_and_creates_one(
        self, clients: dict[str, FlaskClient], engines: dict[str, Engine]
    ) -> None:
        costsharing = clients["costsharing"]
        headers = {**auth("admin"), "Idempotency-Key": unique("agreement-key")}
        body = agreement_body()
        with writes(engines, "costsharing", agreements=1, idempotency_keys=1):
            first = costsharing.post(AGREEMENTS, headers=headers, json=body)
            second = costsharing.post(AGREEMENTS, headers=headers, json=body)
        assert first.status_code == 201, first.get_json()
        assert second.status_code == 201, second.get_json()
        assert second.get_json()["id"] == first.get_json()["id"]

        with nothing_written(engines, "costsharing"):
            other = costsharing.post(
                AGREEMENTS, headers=headers, json={**body, "requester_share_pct": "50.00"}
            )
        assert_problem(other, 422, "Idempotency-Key")
