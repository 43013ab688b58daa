"""Bad HTTP input: a 4xx problem+json naming the fields, never a 500, and nothing written.

Each create endpoint has one table of refused requests (``Refused`` cases, each with an id that
says what it checks) run by one test, and separate tests for what needs more than one request
(duplicates, conflicts, idempotency). "Nothing written" counts every table of the service's
database before and after (tests/support.py): the databases are shared by the whole session,
so counts are compared, never expected to be 0.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from _pytest.mark import ParameterSet
from flask.testing import FlaskClient
from sqlalchemy import Engine
from werkzeug.test import TestResponse

from services.booking.readmodel import apply_asset_snapshot
from shared.db import make_session_factory
from tests.support import (
    ALWAYS_AVAILABLE,
    assert_problem,
    asset_body,
    auth,
    nothing_written,
    unique,
    writes,
)

pytestmark = pytest.mark.db

ONE_MIB = 1024 * 1024
Body = dict[str, Any]


# -- how a refused request is written -------------------------------------------------------------
@dataclass(frozen=True)
class Refused:
    """A request the API must refuse: ``make`` turns a valid body into the one sent (a str or
    bytes goes out as it is, labelled JSON unless ``headers`` say otherwise); the answer is a
    problem with ``status`` naming each of ``fields``, and nothing is written."""

    make: Callable[[Body], Body | str | bytes]
    status: int = 422
    fields: tuple[str, ...] = ()
    persona: str = ""  # "" for the endpoint's usual caller
    headers: Mapping[str, str] = field(default_factory=dict)
    asset: str = "slot"  # bookings only: which asset of the module the request names


def refused(case_id: str, make: Callable[[Body], Body | str | bytes], status: int = 422,
            *fields: str, **options: Any) -> ParameterSet:  # fmt: skip
    return pytest.param(Refused(make, status, fields, **options), id=case_id)


def set_path(body: Body, path: str, value: Any) -> Body:
    out = copy.deepcopy(body)
    *parents, last = path.split(".")
    node = out
    for part in parents:
        node = node[part]
    node[last] = value
    return out


def drop_path(body: Body, path: str) -> Body:
    out = copy.deepcopy(body)
    *parents, last = path.split(".")
    node = out
    for part in parents:
        node = node[part]
    del node[last]
    return out


def setting(path: str, value: Any) -> Callable[[Body], Body]:
    return lambda body: set_path(body, path, value)


def dropping(path: str) -> Callable[[Body], Body]:
    return lambda body: drop_path(body, path)


def raw(data: str | bytes) -> Callable[[Body], str | bytes]:
    return lambda _: data


def wrong(why: str, path: str, value: Any, status: int = 422) -> ParameterSet:
    """A case that sets one field to ``value`` and must be refused naming that field."""
    case_id = f"{why}:{path}={value!r}".replace(" ", "")[:80]
    return refused(case_id, setting(path, value), status, path)


def missing(path: str) -> ParameterSet:
    return refused(f"missing:{path}", dropping(path), 422, path)


def post(client: FlaskClient, url: str, persona: str, case: Refused, valid: Body) -> TestResponse:
    sent = case.make(valid)
    headers = {**auth(case.persona or persona), **case.headers}
    if isinstance(sent, (str, bytes)):
        return client.post(url, data=sent, headers={"Content-Type": "application/json", **headers})
    return client.post(url, json=sent, headers=headers)


def post_raw(client: FlaskClient, url: str, persona: str, data: bytes | str) -> TestResponse:
    return client.post(
        url, data=data, headers={**auth(persona), "Content-Type": "application/json"}
    )


def in_days(days: float, hour: int = 10) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


DEEPER_THAN_ANY_PARSER = "[" * 100_000 + "]" * 100_000  # well under 1 MiB


# -- catalog: POST /api/v1/assets ------------------------------------------------------------------
ASSETS = "/api/v1/assets"


BAD_ASSETS = [
    # Past the stated depth (shared/web.py), deeper than any parser recurses: the body is named.
    refused("nesting-deeper-than-any-parser", raw(DEEPER_THAN_ANY_PARSER), 422, "_body"),
    *(refused(f"not-an-object:{r}", raw(r)) for r in ["[]", '"an asset"', "42", "null"]),
    *(
        wrong("wrong-type", path, value)
        for path, value in [
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
        ]
    ),
    *(
        missing(path)
        for path in [
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
        ]
    ),
    refused(
        "a-non-json-content-type-is-refused-not-guessed",
        raw('{"registration": "N-1"}'),
        422,
        "registration",
        headers={"Content-Type": "text/plain"},
    ),  # fmt: skip
    *(wrong("unknown-field", path, "x") for path in ["colour", "tariff.discount"]),
    # Not a 413: the limit is on size; this body fails validation for its own reasons.
    refused(
        "just-under-one-mib-is-judged-on-its-content",
        setting("name", "x" * (ONE_MIB - 4096)),
        422,
        "name",
    ),  # fmt: skip
    *(
        wrong("negative-money", path, value)
        for path, value in [
            ("tariff.full_cost_rate", "-1.00"),
            ("tariff.marginal_cost_rate", "-0.01"),
            ("tariff.mobilisation_fee", "-1500.00"),
            ("tariff.market_reference_price", "-11000.00"),
        ]
    ),
    wrong("money-beyond-what-the-ledger-holds", "tariff.full_cost_rate", "1e20"),
    wrong(
        "money-beyond-what-the-ledger-holds",
        "tariff.market_reference_price",
        "99999999999999999999.00",
    ),  # fmt: skip
    wrong("marginal-above-full-cost", "tariff.marginal_cost_rate", "9800.01"),
    wrong("a-tariff-ending-before-it-starts", "tariff.valid_to", "2026-01-01"),
    *(
        refused(
            f"bad-capacity:{category}={capacity}",
            lambda b, c=category, n=capacity: {**b, "category": c, "capacity": n},
            422,
            "capacity",
            persona="owner-duikgroep",
        )  # fmt: skip
        for category, capacity in [
            ("dive_team", 0),
            ("dive_team", -3),
            ("helicopter", 0),
            ("helicopter", 2),
            ("dive_team", 2**40),
        ]  # fmt: skip
    ),
    *(
        wrong("readiness-notice-not-a-duration", "readiness_notice", n)
        for n in ["4 hours", "PT", "P", "PT4X"]
    ),  # fmt: skip
    *(wrong("unknown-or-no-regions", "regions", r) for r in [["VR99"], ["VR10", "XX00"], []]),
    *(
        wrong("nul-character-not-a-database-error", path, value)
        for path, value in [
            ("registration", "NH\x0090"),
            ("name", "NH\x0090"),
            ("home_base", "De\x00Kooy"),
            ("attributes", {"note": "night\x00vision"}),
        ]
    ),
    *(
        refused(
            f"malformed-idempotency-key:{label}",
            lambda b: b,
            422,
            "Idempotency-Key",
            headers={"Idempotency-Key": key},
        )  # fmt: skip
        for label, key in [
            ("short", "short"),
            ("spaces", "has spaces in it"),
            ("129-chars", "x" * 129),
            ("not-ascii", "ключ-ключ-ключ"),
        ]  # fmt: skip
    ),
]


class TestCatalogAssets:
    def test_a_valid_asset_is_created_with_its_tariff_and_one_event(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine]
    ) -> None:
        # The control: the same helpers do see a write when one happens.
        with writes(owner_engines["catalog"], assets=1, tariffs=1, outbox=1):
            response = clients["catalog"].post(ASSETS, headers=auth("owner-dhc"), json=asset_body())
        assert response.status_code == 201, response.get_json()

    @pytest.mark.parametrize("case", BAD_ASSETS)
    def test_a_bad_asset_is_refused_naming_the_field_and_writes_nothing(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], case: Refused
    ) -> None:
        with nothing_written(owner_engines["catalog"]):
            response = post(clients["catalog"], ASSETS, "owner-dhc", case, asset_body())
        assert_problem(response, case.status, *case.fields)

    @pytest.mark.parametrize(
        "raw_body",
        ['{"registration": "N-1",', "{'registration': 'N-1'}", "not json at all", b"\xff\xfe{}"],
        ids=["truncated", "single-quotes", "prose", "not-utf8"],
    )
    def test_malformed_json_is_400_with_errors(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], raw_body: Any
    ) -> None:
        with nothing_written(owner_engines["catalog"]):
            response = post_raw(clients["catalog"], ASSETS, "owner-dhc", raw_body)
        body = assert_problem(response, 400)
        assert body["errors"]

    def test_an_empty_object_names_every_required_field(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine]
    ) -> None:
        with nothing_written(owner_engines["catalog"]):
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

    def test_a_body_over_one_mib_is_413_stating_the_limit(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine]
    ) -> None:
        huge = asset_body(attributes={"notes": "x" * (ONE_MIB + 1)})
        with nothing_written(owner_engines["catalog"]):
            response = clients["catalog"].post(ASSETS, headers=auth("owner-dhc"), json=huge)
        body = assert_problem(response, 413)
        assert str(ONE_MIB) in body["detail"]

    def test_a_duplicate_registration_is_409_and_writes_nothing(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine]
    ) -> None:
        catalog = clients["catalog"]
        body = asset_body()
        assert catalog.post(ASSETS, headers=auth("owner-dhc"), json=body).status_code == 201
        with nothing_written(owner_engines["catalog"]):
            response = catalog.post(
                ASSETS, headers=auth("owner-dhc"), json={**body, "name": "Another name"}
            )
        assert_problem(response, 409, "registration")

    def test_another_owner_may_use_the_same_registration(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine]
    ) -> None:
        catalog = clients["catalog"]
        body = asset_body(category="dive_team", capacity=2)
        assert catalog.post(ASSETS, headers=auth("owner-dhc"), json=body).status_code == 201
        with writes(owner_engines["catalog"], assets=1, tariffs=1, outbox=1):
            response = catalog.post(ASSETS, headers=auth("owner-duikgroep"), json=body)
        assert response.status_code == 201, response.get_json()

    def test_an_idempotent_retry_returns_the_same_asset_and_creates_one(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine]
    ) -> None:
        catalog = clients["catalog"]
        headers = {**auth("owner-dhc"), "Idempotency-Key": unique("asset-key")}
        body = asset_body()
        with writes(owner_engines["catalog"], assets=1, tariffs=1, outbox=1, idempotency_keys=1):
            first = catalog.post(ASSETS, headers=headers, json=body)
            second = catalog.post(ASSETS, headers=headers, json=body)
        assert first.status_code == 201, first.get_json()
        assert second.status_code == 201, second.get_json()
        assert second.get_json()["id"] == first.get_json()["id"]
        assert second.get_json() == first.get_json()

        with nothing_written(owner_engines["catalog"]):
            other = catalog.post(ASSETS, headers=headers, json={**body, "name": "Other name"})
        assert_problem(other, 422, "Idempotency-Key")

    def test_the_same_key_of_another_caller_is_their_own(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine]
    ) -> None:
        key = unique("shared-key")
        catalog = clients["catalog"]
        first = catalog.post(
            ASSETS, headers={**auth("owner-dhc"), "Idempotency-Key": key}, json=asset_body()
        )
        assert first.status_code == 201, first.get_json()
        with writes(owner_engines["catalog"], assets=1, tariffs=1, outbox=1, idempotency_keys=1):
            second = catalog.post(
                ASSETS,
                headers={**auth("owner-duikgroep"), "Idempotency-Key": key},
                json=asset_body(),
            )
        assert second.status_code == 201, second.get_json()
        assert second.get_json()["id"] != first.get_json()["id"]

    def test_a_refused_request_does_not_burn_its_idempotency_key(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine]
    ) -> None:
        catalog = clients["catalog"]
        headers = {**auth("owner-dhc"), "Idempotency-Key": unique("retry-key")}
        with nothing_written(owner_engines["catalog"]):
            refused_ = catalog.post(ASSETS, headers=headers, json=asset_body(capacity=0))
        assert_problem(refused_, 422, "capacity")
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
        ("booking", "/api/v1/bookings?cursor=nope"),
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


TEAM = {
    "owner_org": "defensie-duikgroep",
    "name": "Duikteam read model",
    "category": "dive_team",
    "booking_mode": "capacity",
    "capacity": 3,
    "readiness_notice": "P1D",
}


def put_asset_view(booking_db: Engine, **overrides: Any) -> str:
    """Place an asset straight into booking's read model (as the owner: the tests' doctoring),
    as the catalog consumer would."""
    data: Body = {
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
    with make_session_factory(booking_db)() as session:
        apply_asset_snapshot(session, data)
        session.commit()
    return str(data["asset_id"])


@pytest.fixture(scope="module")
def booking_assets(owner_engines: dict[str, Engine]) -> dict[str, str]:
    """The assets the booking cases name (``Refused.asset``), by what they are."""
    db = owner_engines["booking"]
    return {
        "slot": put_asset_view(db),
        "team": put_asset_view(db, **TEAM),
        "maintenance": put_asset_view(db, status="maintenance"),
        "retired": put_asset_view(db, status="retired"),
        "procurement_item": put_asset_view(
            db, category="procurement_item", booking_mode="quantity", capacity=100
        ),
        "unknown": str(uuid.uuid4()),
    }


@pytest.fixture(scope="module")
def slot_asset(booking_assets: dict[str, str]) -> str:
    return booking_assets["slot"]


@pytest.fixture(scope="module")
def team_asset(booking_assets: dict[str, str]) -> str:
    return booking_assets["team"]


_day = iter(range(10_000))


def booking_body(asset_id: str, **overrides: Any) -> Body:
    """A valid request in a window no other test of this module uses."""
    start = in_days(30 + next(_day))
    body: Body = {
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


def ending_after(hours: int) -> Callable[[Body], Body]:
    return lambda b: {**b, "end": (datetime.fromisoformat(b["start"]) + timedelta(hours=hours))
                      .isoformat()}  # fmt: skip


def in_the_past(priority: int) -> Callable[[Body], Body]:
    def make(body: Body) -> Body:
        start = datetime.now(UTC) - timedelta(hours=5)
        end = start + timedelta(hours=2)
        return {**body, "priority": priority, "start": start.isoformat(), "end": end.isoformat()}

    return make


BAD_BOOKINGS = [
    *(
        refused(f"malformed-json:{r}", raw(r), 400)
        for r in ['{"asset_id": ', "[1, 2,]", "{asset_id: 1}"]
    ),  # fmt: skip
    *(
        wrong("wrong-type", path, value)
        for path, value in [
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
        ]
    ),
    *(
        refused(
            f"a-time-without-offset:{path}",
            lambda b, p=path: {**b, p: b[p].replace("+00:00", "")},
            422,
            path,
        )  # fmt: skip
        for path in ["start", "end"]
    ),
    *(
        missing(p)
        for p in ["asset_id", "start", "end", "priority", "legal_basis", "purpose", "contact"]
    ),  # fmt: skip
    *(
        wrong("unknown-or-server-owned-field", f, "approved")
        for f in ["state", "requester_org", "owner_org", "id"]
    ),  # fmt: skip
    refused("a-body-over-one-mib", setting("purpose", "x" * (ONE_MIB + 1)), 413),
    *(
        refused(f"an-end-not-after-the-start:{h}h", ending_after(h), 422, "end")
        for h in [0, -1, -48]
    ),  # fmt: skip
    *(
        refused(f"a-window-in-the-past:priority-{p}", in_the_past(p), 422, "start")
        for p in [1, 2, 3]
    ),  # fmt: skip
    # In UTC these are the year 10000, which neither Python nor a read-back can represent.
    refused(
        "a-start-beyond-the-year-9999",
        lambda b: {**b, "start": "9999-12-31T20:00:00-12:00", "end": "9999-12-31T23:00:00-12:00"},
        422,
        "start",
    ),  # fmt: skip
    refused(
        "an-end-beyond-the-year-9999",
        lambda b: {**b, "start": "2030-01-01T10:00:00+00:00", "end": "9999-12-31T23:00:00-12:00"},
        422,
        "end",
    ),  # fmt: skip
    *(
        refused(
            f"an-asset-that-cannot-be-booked:{asset}", lambda b: b, 422, "asset_id", asset=asset
        )  # fmt: skip
        for asset in ["unknown", "maintenance", "retired", "procurement_item"]
    ),
    *(
        refused(
            f"a-quantity-outside-the-capacity:{q}",
            setting("quantity", q),
            422,
            "quantity",
            asset="team",
        )
        for q in [0, -1, 4]
    ),  # fmt: skip
    wrong("nul-character-not-a-database-error", "purpose", "Zoek\x00actie"),
]


class TestBookings:
    def test_a_valid_request_is_created_with_its_trail_and_one_event(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], slot_asset: str
    ) -> None:
        with writes(owner_engines["booking"], bookings=1, booking_transitions=1, outbox=1):
            response = clients["booking"].post(
                BOOKINGS, headers=auth("planner-rotterdam"), json=booking_body(slot_asset)
            )
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["state"] == "requested"

    @pytest.mark.parametrize("case", BAD_BOOKINGS)
    def test_a_bad_request_is_refused_naming_the_field_and_writes_nothing(
        self,
        clients: dict[str, FlaskClient],
        owner_engines: dict[str, Engine],
        booking_assets: dict[str, str],
        case: Refused,
    ) -> None:
        valid = booking_body(booking_assets[case.asset])
        with nothing_written(owner_engines["booking"]):
            response = post(clients["booking"], BOOKINGS, "planner-rotterdam", case, valid)
        assert_problem(response, case.status, *case.fields)

    def test_completing_beyond_the_year_9999_is_422_and_the_booking_stays_readable(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], slot_asset: str
    ) -> None:
        booking = clients["booking"]
        body = booking_body(slot_asset)
        created = booking.post(BOOKINGS, headers=auth("planner-rotterdam"), json=body)
        assert created.status_code == 201, created.get_json()
        url = f"{BOOKINGS}/{created.get_json()['id']}"
        assert booking.post(f"{url}/approve", headers=auth("owner-dhc"), json={}).status_code == 200
        with nothing_written(owner_engines["booking"]):
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

    def test_a_start_inside_the_readiness_notice_is_422_unless_acute(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], slot_asset: str
    ) -> None:
        start = datetime.now(UTC) + timedelta(minutes=30)  # notice is PT2H
        soon = {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
        with nothing_written(owner_engines["booking"]):
            response = clients["booking"].post(
                BOOKINGS,
                headers=auth("planner-rotterdam"),
                json=booking_body(slot_asset, priority=2, **soon),
            )
        assert_problem(response, 422, "start")
        with writes(owner_engines["booking"], bookings=1, booking_transitions=1, outbox=1):
            acute = clients["booking"].post(
                BOOKINGS,
                headers=auth("planner-rotterdam"),
                json=booking_body(slot_asset, priority=1, **soon),
            )
        assert acute.status_code == 201, acute.get_json()

    def test_a_slot_taken_in_an_overlapping_window_is_409(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], slot_asset: str
    ) -> None:
        booking = clients["booking"]
        first = booking_body(slot_asset)
        created = booking.post(BOOKINGS, headers=auth("planner-rotterdam"), json=first)
        assert created.status_code == 201, created.get_json()
        start = datetime.fromisoformat(first["start"]) + timedelta(hours=1)
        overlapping = booking_body(
            slot_asset, start=start.isoformat(), end=(start + timedelta(hours=4)).isoformat()
        )
        with nothing_written(owner_engines["booking"]):
            response = booking.post(BOOKINGS, headers=auth("planner-rotterdam"), json=overlapping)
        body = assert_problem(response, 409)
        assert body["conflicting_booking"] == created.get_json()["id"]  # the unit's own

    def test_capacity_beyond_what_is_free_is_409(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], team_asset: str
    ) -> None:
        booking = clients["booking"]
        first = booking_body(team_asset, quantity=2)
        created = booking.post(BOOKINGS, headers=auth("planner-rotterdam"), json=first)
        assert created.status_code == 201, created.get_json()
        with nothing_written(owner_engines["booking"]):
            response = booking.post(
                BOOKINGS, headers=auth("planner-amsterdam"), json={**first, "quantity": 2}
            )
        assert_problem(response, 409, "quantity")

    def test_an_idempotent_retry_returns_the_same_booking_and_creates_one(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], slot_asset: str
    ) -> None:
        booking = clients["booking"]
        headers = {**auth("planner-rotterdam"), "Idempotency-Key": unique("booking-key")}
        body = booking_body(slot_asset)
        with writes(
            owner_engines["booking"],
            bookings=1,
            booking_transitions=1,
            outbox=1,
            idempotency_keys=1,
        ):
            first = booking.post(BOOKINGS, headers=headers, json=body)
            second = booking.post(BOOKINGS, headers=headers, json=body)
        assert first.status_code == 201, first.get_json()
        assert second.status_code == 201, second.get_json()
        assert second.get_json()["id"] == first.get_json()["id"]

        with nothing_written(owner_engines["booking"]):
            other = booking.post(
                BOOKINGS, headers=headers, json={**body, "purpose": "Een ander doel"}
            )
        assert_problem(other, 422, "Idempotency-Key")

    def test_a_retry_without_a_key_is_a_second_request(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], slot_asset: str
    ) -> None:
        # The control for the test above: without the key the slot is taken by the first.
        booking = clients["booking"]
        body = booking_body(slot_asset)
        first = booking.post(BOOKINGS, headers=auth("planner-rotterdam"), json=body)
        assert first.status_code == 201, first.get_json()
        with nothing_written(owner_engines["booking"]):
            again = booking.post(BOOKINGS, headers=auth("planner-rotterdam"), json=body)
        assert_problem(again, 409)


# -- costsharing: POST /api/v1/agreements ---------------------------------------------------------
AGREEMENTS = "/api/v1/agreements"


def agreement_body(**overrides: Any) -> Body:
    """A valid agreement whose scope (a made-up requesting unit) no other test shares."""
    body: Body = {
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


BAD_AGREEMENTS = [
    *(refused(f"malformed-json:{r}", raw(r), 400) for r in ['{"name": "x"', "{,}"]),
    # An empty JSON body is no body: every required field is missing.
    refused("an-empty-body-is-no-body", raw(""), 422, "name", "legal_basis"),
    *(
        wrong("wrong-type", path, value)
        for path, value in [
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
        ]
    ),
    *(
        missing(p)
        for p in ["name", "legal_basis", "valid_from", "price_basis", "requester_share_pct"]
    ),  # fmt: skip
    *(
        wrong("unknown-or-server-owned-field", f, "x")
        for f in ["discount", "id", "created_by", "version"]
    ),  # fmt: skip
    refused("a-body-over-one-mib", setting("name", "x" * (ONE_MIB + 1)), 413),
    *(
        wrong("out-of-range", path, value)
        for path, value in [
            ("requester_share_pct", "-0.01"),
            ("requester_share_pct", "100.01"),
            ("cancellation_pct", "-5"),
            ("cancellation_pct", "150"),
            ("cancellation_free_hours", -1),
        ]
    ),
    *(wrong("ending-before-it-starts", "valid_to", d) for d in ["2026-01-01", "2025-12-31"]),
    wrong("nul-character-not-a-database-error", "name", "Conv\x00enant"),
]


class TestAgreements:
    def test_a_valid_agreement_is_created(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine]
    ) -> None:
        with writes(owner_engines["costsharing"], agreements=1, agreement_versions=1):
            response = clients["costsharing"].post(
                AGREEMENTS, headers=auth("admin"), json=agreement_body()
            )
        assert response.status_code == 201, response.get_json()

    @pytest.mark.parametrize("case", BAD_AGREEMENTS)
    def test_a_bad_agreement_is_refused_naming_the_field_and_writes_nothing(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine], case: Refused
    ) -> None:
        with nothing_written(owner_engines["costsharing"]):
            response = post(clients["costsharing"], AGREEMENTS, "admin", case, agreement_body())
        assert_problem(response, case.status, *case.fields)

    def test_an_overlapping_agreement_for_the_same_scope_is_409(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine]
    ) -> None:
        costsharing = clients["costsharing"]
        body = agreement_body()
        created = costsharing.post(AGREEMENTS, headers=auth("admin"), json=body)
        assert created.status_code == 201, created.get_json()
        overlapping = {**body, "name": unique("Overlap"), "valid_from": "2026-06-01"}
        with nothing_written(owner_engines["costsharing"]):
            response = costsharing.post(AGREEMENTS, headers=auth("admin"), json=overlapping)
        problem_body = assert_problem(response, 409)
        assert problem_body["conflicting_agreement"] == created.get_json()["id"]
        # Adjacent, not overlapping: validity is half-open, so this one is fine.
        with writes(owner_engines["costsharing"], agreements=1, agreement_versions=1):
            adjacent = costsharing.post(
                AGREEMENTS,
                headers=auth("admin"),
                json={**body, "name": unique("Next"), "valid_from": "2027-01-01", "valid_to": None},
            )
        assert adjacent.status_code == 201, adjacent.get_json()

    def test_an_idempotent_retry_returns_the_same_agreement_and_creates_one(
        self, clients: dict[str, FlaskClient], owner_engines: dict[str, Engine]
    ) -> None:
        costsharing = clients["costsharing"]
        headers = {**auth("admin"), "Idempotency-Key": unique("agreement-key")}
        body = agreement_body()
        with writes(
            owner_engines["costsharing"], agreements=1, agreement_versions=1, idempotency_keys=1
        ):
            first = costsharing.post(AGREEMENTS, headers=headers, json=body)
            second = costsharing.post(AGREEMENTS, headers=headers, json=body)
        assert first.status_code == 201, first.get_json()
        assert second.status_code == 201, second.get_json()
        assert second.get_json()["id"] == first.get_json()["id"]

        with nothing_written(owner_engines["costsharing"]):
            other = costsharing.post(
                AGREEMENTS, headers=headers, json={**body, "requester_share_pct": "50.00"}
            )
        assert_problem(other, 422, "Idempotency-Key")
