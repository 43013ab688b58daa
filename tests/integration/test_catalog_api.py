"""Catalog API against the real PostgreSQL: reference data, assets with ETag/If-Match, filtered
and cursor-paged lists, tariffs, availability (DST-correct, blackouts subtracted), contracts,
bad input and permissions.

Every refusal is also checked to write nothing: the catalog's tables and its ``outbox`` are
counted before and after (the database is shared by the session, so counts are compared).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from werkzeug.test import TestResponse

from services.catalog import assets as catalog_assets
from services.catalog import availability as catalog_availability
from services.catalog import contracts as catalog_contracts
from services.catalog import reference as catalog_reference
from services.catalog.commands import AddOrganisation, PublishWindow, RetireAsset
from services.catalog.schemas import AssetSummary, ContractCreate
from services.demo import load_catalog_demo
from shared.auth import ADMIN, OWNER, Principal, mint_token
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.migrate import drop_database, ensure_database, upgrade
from shared.runtime import database_url
from shared.settings import DEV_JWT_SECRET, Settings, load_settings, sqlalchemy_url
from tests import support
from tests.support import (
    assert_problem,
    auth,
    eventually,
    nothing_written,
    row_counts,
    unique,
)
from tests.support import tariff_body as tariff

pytestmark = pytest.mark.db

AMS = ZoneInfo("Europe/Amsterdam")
ASSETS = "/api/v1/assets"
CONTRACTS = "/api/v1/contracts"
POLICE_UNITS = {
    "politie-noord-nederland",
    "politie-oost-nederland",
    "politie-midden-nederland",
    "politie-noord-holland",
    "politie-amsterdam",
    "politie-den-haag",
    "politie-rotterdam",
    "politie-zeeland-west-brabant",
    "politie-oost-brabant",
    "politie-limburg",
    "politie-landelijke-eenheid",
}
DEFENCE_OWNERS = {
    "defensie-dhc",
    "defensie-duikgroep",
    "defensie-306sqn",
    "defensie-genie",
    "defensie-eod",
    "defensie-oefenterreinen",
    "defensie-dmo",
}


# -- helpers ----------------------------------------------------------------------------------
def token_headers(org: str, roles: list[str], sub: str | None = None) -> dict[str, str]:
    """A bearer token for an identity that is no demo persona (e.g. DMO)."""
    sub = sub or f"test-{org}"
    token = mint_token(sub=sub, name=sub, org=org, roles=roles, secret=DEV_JWT_SECRET)
    return {"Authorization": f"Bearer {token}"}


DMO = token_headers("defensie-dmo", [OWNER], "beheerder-dmo")


@pytest.fixture(scope="module")
def engine(db_urls: dict[str, str]) -> Iterator[Engine]:
    made = make_engine(sqlalchemy_url(db_urls["catalog"]), pool_size=1)
    yield made
    made.dispose()


def events_of(engine: Engine, aggregate_id: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT event_type FROM outbox WHERE aggregate_id = :a ORDER BY id"),
                {"a": aggregate_id},
            ).scalars()
        )


def asset_body(**overrides: Any) -> dict[str, Any]:
    """tests.support's NH90, with the attributes catalog's tests read back."""
    return support.asset_body(**{"attributes": {"type": "NH90 NFH"}, **overrides})


def register(
    catalog: FlaskClient, headers: dict[str, str] | None = None, **overrides: Any
) -> dict[str, Any]:
    response = catalog.post(
        ASSETS, headers=headers or auth("owner-dhc"), json=asset_body(**overrides)
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def etag(catalog: FlaskClient, asset_id: str) -> str:
    response = catalog.get(f"{ASSETS}/{asset_id}", headers=auth("owner-dhc"))
    assert response.status_code == 200
    return response.headers["ETag"]


def list_assets(catalog: FlaskClient, **query: Any) -> dict[str, Any]:
    response = catalog.get(ASSETS, headers=auth("planner-rotterdam"), query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def listed_ids(catalog: FlaskClient, **query: Any) -> list[str]:
    return [item["id"] for item in list_assets(catalog, limit=200, **query)["items"]]


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), AMS)


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=day.isoweekday() % 7)


def next_dst_sunday(after: date) -> date:
    """The next last Sunday of March or October (a DST change in Europe) after ``after``."""
    candidates = [last_sunday(y, m) for y in (after.year, after.year + 1) for m in (3, 10)]
    return min(d for d in candidates if d > after)


# -- reference data ---------------------------------------------------------------------------
def test_organisations_hold_the_11_police_units_and_the_defence_owners(
    clients: dict[str, FlaskClient],
) -> None:
    response = clients["catalog"].get("/api/v1/organisations", headers=auth("planner-rotterdam"))
    assert response.status_code == 200
    assert response.get_json()["next_cursor"] is None  # one page of all
    orgs = {o["id"]: o for o in response.get_json()["items"]}
    assert orgs.keys() >= POLICE_UNITS
    assert len(POLICE_UNITS) == 11
    assert all(orgs[u]["kind"] == "politie" for u in POLICE_UNITS)
    assert all(orgs[u]["name"] for u in POLICE_UNITS)
    assert orgs.keys() >= DEFENCE_OWNERS
    assert all(orgs[o]["kind"] == "defensie" for o in DEFENCE_OWNERS)
    assert {o["kind"] for o in orgs.values()} == {"politie", "defensie", "joint"}


def test_regions_are_the_25_safety_regions(clients: dict[str, FlaskClient]) -> None:
    response = clients["catalog"].get("/api/v1/regions", headers=auth("controller"))
    assert response.status_code == 200
    regions = response.get_json()["items"]
    assert response.get_json()["next_cursor"] is None
    assert [r["code"] for r in regions] == [f"VR{i:02d}" for i in range(1, 26)]
    names = {r["code"]: r["name"] for r in regions}
    assert names["VR17"] == "Rotterdam-Rijnmond"
    assert names["VR13"] == "Amsterdam-Amstelland"


def test_categories_are_six_with_their_booking_mode(clients: dict[str, FlaskClient]) -> None:
    response = clients["catalog"].get("/api/v1/categories", headers=auth("owner-dhc"))
    assert response.status_code == 200
    assert response.get_json()["next_cursor"] is None
    modes = {c["code"]: c["booking_mode"] for c in response.get_json()["items"]}
    assert modes == {
        "helicopter": "slot",
        "drone": "slot",
        "dive_team": "capacity",
        "search_team": "capacity",
        "terrain": "capacity",
        "procurement_item": "quantity",
    }
    assert all(c["label"] for c in response.get_json()["items"])


def test_reading_needs_a_signed_in_caller(clients: dict[str, FlaskClient]) -> None:
    for url in ("/api/v1/organisations", "/api/v1/regions", "/api/v1/categories", ASSETS):
        response = clients["catalog"].get(url)
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


# -- assets: create, read with ETag, change with If-Match ------------------------------------
def test_a_registered_asset_reads_back_with_its_tariff_and_an_etag(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    before = row_counts(engine)
    body = asset_body(regions=["VR17", "VR10", "VR17"])
    response = catalog.post(ASSETS, headers=auth("owner-dhc"), json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    after = row_counts(engine)
    assert after["assets"] - before["assets"] == 1
    assert after["tariffs"] - before["tariffs"] == 1
    assert after["outbox"] - before["outbox"] == 1
    assert events_of(engine, created["id"]) == ["catalog.asset.registered"]

    response = catalog.get(f"{ASSETS}/{created['id']}", headers=auth("planner-amsterdam"))
    assert response.status_code == 200
    assert response.headers["ETag"] == '"v1"'
    got = response.get_json()
    assert got == created
    assert got["owner_org"] == "defensie-dhc"
    assert got["registration"] == body["registration"]
    assert got["booking_mode"] == "slot"
    assert got["regions"] == ["VR10", "VR17"]  # deduplicated, sorted
    assert got["capacity"] == 1 and got["status"] == "active" and got["version"] == 1
    assert got["attributes"] == {"type": "NH90 NFH"}
    (t,) = got["tariffs"]
    assert t["full_cost_rate"] == "9800.00" and t["currency"] == "EUR"
    assert t["valid_from"] == "2026-01-01" and t["valid_to"] is None


def test_patch_with_the_current_etag_changes_the_asset_and_bumps_the_version(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    asset = register(catalog)
    tag = etag(catalog, asset["id"])
    assert tag == '"v1"'
    response = catalog.patch(
        f"{ASSETS}/{asset['id']}",
        headers={**auth("owner-dhc"), "If-Match": tag},
        json={"name": "NH90 renamed", "status": "maintenance", "regions": ["VR01"]},
    )
    assert response.status_code == 200, response.get_json()
    changed = response.get_json()
    assert changed["version"] == 2
    assert response.headers["ETag"] == '"v2"'
    assert changed["name"] == "NH90 renamed"
    assert changed["status"] == "maintenance"
    assert changed["regions"] == ["VR01"]
    assert etag(catalog, asset["id"]) == '"v2"'
    assert events_of(engine, asset["id"]) == ["catalog.asset.registered", "catalog.asset.updated"]
    # A PATCH that changes nothing (empty, or the values it has) is the asset as it stands:
    # no new version, no event for every consumer to apply.
    for body in ({}, {"name": "NH90 renamed", "regions": ["VR01"]}):
        with nothing_written(engine):
            same = catalog.patch(
                f"{ASSETS}/{asset['id']}",
                headers={**auth("owner-dhc"), "If-Match": '"v2"'},
                json=body,
            )
        assert same.status_code == 200 and same.get_json()["version"] == 2, same.get_json()
        assert same.headers["ETag"] == '"v2"'


def test_patch_with_a_stale_etag_is_412_and_writes_nothing(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    asset = register(catalog)
    url = f"{ASSETS}/{asset['id']}"
    first = catalog.patch(
        url, headers={**auth("owner-dhc"), "If-Match": '"v1"'}, json={"name": "First writer"}
    )
    assert first.status_code == 200
    with nothing_written(engine):
        response = catalog.patch(
            url, headers={**auth("owner-dhc"), "If-Match": '"v1"'}, json={"name": "Second writer"}
        )
    assert_problem(response, 412)
    got = catalog.get(url, headers=auth("owner-dhc")).get_json()
    assert got["name"] == "First writer" and got["version"] == 2


def test_patch_without_if_match_is_428_and_writes_nothing(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    asset = register(catalog)
    with nothing_written(engine):
        response = catalog.patch(
            f"{ASSETS}/{asset['id']}", headers=auth("owner-dhc"), json={"name": "No precondition"}
        )
    assert_problem(response, 428)
    with nothing_written(engine):
        response = catalog.patch(
            f"{ASSETS}/{asset['id']}",
            headers={**auth("owner-dhc"), "If-Match": "not-an-etag"},
            json={"name": "Garbage precondition"},
        )
    assert_problem(response, 412)
    assert etag(catalog, asset["id"]) == '"v1"'


# -- lists: filters, sort, stable cursor -----------------------------------------------------
@pytest.fixture(scope="module")
def fleet(clients: dict[str, FlaskClient]) -> dict[str, Any]:
    """Seven assets that share a unique word in their name, spread over the filters."""
    catalog = clients["catalog"]
    tag = f"zq{uuid.uuid4().hex[:8]}"
    dive = {"category": "dive_team", "capacity": 4, "tariff": tariff(unit="hour")}
    specs = [
        ("owner-dhc", "Alpha", {"regions": ["VR17"]}),
        ("owner-dhc", "bravo", {"regions": ["VR10", "VR17"]}),
        ("owner-dhc", "Charlie", {"category": "drone", "regions": ["VR01"]}),
        ("owner-duikgroep", "delta", {**dive, "regions": ["VR17", "VR19"]}),
        ("owner-duikgroep", "Echo", {**dive, "regions": ["VR19"]}),
        ("owner-dhc", "foxtrot", {"regions": ["VR05"]}),
        ("owner-duikgroep", "Golf", {**dive, "regions": ["VR05"]}),
    ]
    made: dict[str, dict[str, Any]] = {}
    for i, (persona, word, extra) in enumerate(specs):
        made[word] = register(
            catalog,
            auth(persona),
            **{"name": f"{tag} {word}", "registration": f"{tag.upper()}-{i:02d}", **extra},
        )
    # One goes into maintenance, for the status filter.
    response = catalog.patch(
        f"{ASSETS}/{made['Echo']['id']}",
        headers={**auth("owner-duikgroep"), "If-Match": '"v1"'},
        json={"status": "maintenance"},
    )
    assert response.status_code == 200, response.get_json()
    return {"tag": tag, "assets": made, "order": [w for _, w, _ in specs]}


def ids_of(fleet: dict[str, Any], *words: str) -> list[str]:
    return [fleet["assets"][w]["id"] for w in words]


def test_free_text_finds_by_name_case_insensitively_and_by_registration(
    clients: dict[str, FlaskClient], fleet: dict[str, Any]
) -> None:
    catalog, tag = clients["catalog"], fleet["tag"]
    assert set(listed_ids(catalog, q=tag)) == set(ids_of(fleet, *fleet["order"]))
    assert listed_ids(catalog, q=f"{tag.upper()} CHARLIE") == ids_of(fleet, "Charlie")
    assert listed_ids(catalog, q=f"{tag.upper()}-03") == ids_of(fleet, "delta")
    assert listed_ids(catalog, q=f"{tag}-nothing-like-it") == []
    # LIKE wildcards in the text are literal characters, not patterns.
    assert listed_ids(catalog, q=f"{tag}%") == []
    assert listed_ids(catalog, q=f"{tag[:4]}_{tag[5:]}") == []


def test_filters_by_category_region_owner_and_status(
    clients: dict[str, FlaskClient], fleet: dict[str, Any]
) -> None:
    catalog, tag = clients["catalog"], fleet["tag"]
    assert set(listed_ids(catalog, q=tag, category="dive_team")) == set(
        ids_of(fleet, "delta", "Echo", "Golf")
    )
    assert listed_ids(catalog, q=tag, category="drone") == ids_of(fleet, "Charlie")
    assert listed_ids(catalog, q=tag, category="terrain") == []
    assert set(listed_ids(catalog, q=tag, region="VR17")) == set(
        ids_of(fleet, "Alpha", "bravo", "delta")
    )
    assert set(listed_ids(catalog, q=tag, region="VR05")) == set(ids_of(fleet, "foxtrot", "Golf"))
    assert listed_ids(catalog, q=tag, region="VR25") == []
    assert set(listed_ids(catalog, q=tag, owner="defensie-duikgroep")) == set(
        ids_of(fleet, "delta", "Echo", "Golf")
    )
    assert listed_ids(catalog, q=tag, owner="defensie-eod") == []
    assert listed_ids(catalog, q=tag, status="maintenance") == ids_of(fleet, "Echo")
    assert len(listed_ids(catalog, q=tag, status="active")) == 6
    # Filters combine.
    assert listed_ids(
        catalog, q=tag, owner="defensie-duikgroep", region="VR19", status="active"
    ) == ids_of(fleet, "delta")


def test_list_items_are_summaries_without_tariffs(
    clients: dict[str, FlaskClient], fleet: dict[str, Any]
) -> None:
    page = list_assets(clients["catalog"], q=f"{fleet['tag']} delta")
    (item,) = page["items"]
    assert page["next_cursor"] is None
    delta = fleet["assets"]["delta"]
    assert item == {k: delta[k] for k in item}
    # Items are built by hand from rows: exactly the documented summary, nothing more or less.
    assert set(item) == set(AssetSummary().fields)
    assert "tariffs" not in item and "attributes" not in item
    assert item["booking_mode"] == "capacity" and item["capacity"] == 4


def test_sorting_by_name_registration_and_creation(
    clients: dict[str, FlaskClient], fleet: dict[str, Any]
) -> None:
    catalog, tag, order = clients["catalog"], fleet["tag"], fleet["order"]
    by_name = sorted(order, key=str.lower)
    assert listed_ids(catalog, q=tag) == ids_of(fleet, *by_name)  # default: name
    assert listed_ids(catalog, q=tag, sort="name") == ids_of(fleet, *by_name)
    assert listed_ids(catalog, q=tag, sort="-name") == ids_of(fleet, *reversed(by_name))
    assert listed_ids(catalog, q=tag, sort="registration") == ids_of(fleet, *order)
    assert listed_ids(catalog, q=tag, sort="created_at") == ids_of(fleet, *order)
    assert listed_ids(catalog, q=tag, sort="-created_at") == ids_of(fleet, *reversed(order))


def walk(catalog: FlaskClient, limit: int = 2, **query: Any) -> tuple[list[str], int]:
    """Every id over all pages; the number of pages."""
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        extra = {"cursor": cursor} if cursor else {}
        page = list_assets(catalog, limit=limit, **query, **extra)
        pages += 1
        assert len(page["items"]) <= limit
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, pages
        assert pages < 50, "the cursor does not advance"


@pytest.mark.parametrize("sort", ["name", "-name", "registration", "created_at", "-created_at"])
def test_cursor_pages_of_two_visit_every_asset_once_in_order(
    clients: dict[str, FlaskClient], fleet: dict[str, Any], sort: str
) -> None:
    catalog, tag = clients["catalog"], fleet["tag"]
    seen, pages = walk(catalog, q=tag, sort=sort)
    assert len(seen) == len(set(seen)) == 7  # no duplicates, no omissions
    assert pages == 4
    assert seen == listed_ids(catalog, q=tag, sort=sort)  # same order as one big page


def test_cursor_paging_is_stable_while_assets_are_added_and_removed(
    clients: dict[str, FlaskClient],
) -> None:
    """Keyset paging: rows added or retired behind or ahead of the cursor never shift a page."""
    catalog = clients["catalog"]
    tag = f"zs{uuid.uuid4().hex[:8]}"
    made = [
        register(catalog, name=f"{tag} {i}", registration=f"{tag.upper()}-{i:02d}")["id"]
        for i in range(1, 8, 1)
    ]
    first = list_assets(catalog, q=tag, limit=2, sort="registration", status="active")
    assert [i["id"] for i in first["items"]] == made[:2]
    # While a reader pages: one is added before the cursor, one after it, and the one that
    # would come next leaves the filtered list (it goes into maintenance).
    before = register(catalog, name=f"{tag} early", registration=f"{tag.upper()}-00")
    after = register(catalog, name=f"{tag} late", registration=f"{tag.upper()}-99")
    response = catalog.patch(
        f"{ASSETS}/{made[2]}",
        headers={**auth("owner-dhc"), "If-Match": '"v1"'},
        json={"status": "maintenance"},
    )
    assert response.status_code == 200, response.get_json()
    seen = [i["id"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = list_assets(
            catalog, q=tag, limit=2, sort="registration", status="active", cursor=cursor
        )
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen))  # no duplicates
    assert seen == [*made[:2], *made[3:], after["id"]]  # no omissions of what still matches
    assert before["id"] not in seen  # behind the cursor: not shown, nothing shifted


def forged(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "!!!!",
        forged("name", "abc"),
        forged("name", "abc", "not-a-uuid"),
        forged("created_at", "yesterday", str(uuid.uuid4())),
        forged("name", 5, str(uuid.uuid4())),
        forged("name", ["abc"], str(uuid.uuid4())),
        forged("registration", {"a": 1}, str(uuid.uuid4())),
        base64.urlsafe_b64encode(b'{"sort": "name"}').decode(),
        forged("name", "abc", 5),
        forged("name", "abc", {"a": 1}),
        forged("name", "abc", None),
        forged("name", "abc", [str(uuid.uuid4())]),
        forged("name", "abc", 1.5),
        base64.urlsafe_b64encode(
            json.dumps({"name": 1, "abc": 2, str(uuid.uuid4()): 3}).encode()
        ).decode(),
    ],
    ids=[
        "garbage",
        "not-base64",
        "too-short",
        "bad-id",
        "bad-instant",
        "number-key",
        "list-key",
        "object-key",
        "object",
        "number-id",
        "object-id",
        "null-id",
        "list-id",
        "float-id",
        "object-of-three",
    ],
)
def test_a_bad_cursor_is_422(clients: dict[str, FlaskClient], cursor: str) -> None:
    response = clients["catalog"].get(
        ASSETS, headers=auth("planner-rotterdam"), query_string={"cursor": cursor}
    )
    assert_problem(response, 422, "cursor")


def test_a_cursor_from_another_sort_is_422(
    clients: dict[str, FlaskClient], fleet: dict[str, Any]
) -> None:
    page = list_assets(clients["catalog"], q=fleet["tag"], limit=2, sort="name")
    response = clients["catalog"].get(
        ASSETS,
        headers=auth("planner-rotterdam"),
        query_string={"q": fleet["tag"], "sort": "-name", "cursor": page["next_cursor"]},
    )
    assert_problem(response, 422, "cursor")


# -- tariffs ----------------------------------------------------------------------------------
def test_a_tariff_for_a_following_period_is_added(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    asset = register(catalog, tariff=tariff(valid_from="2026-01-01", valid_to="2027-01-01"))
    url = f"{ASSETS}/{asset['id']}/tariffs"
    response = catalog.post(
        url,
        headers=auth("owner-dhc"),
        json=tariff(valid_from="2027-01-01", valid_to="2028-01-01", full_cost_rate="10100.50"),
    )
    assert response.status_code == 201, response.get_json()
    added = response.get_json()
    assert added["full_cost_rate"] == "10100.50"
    assert added["valid_from"] == "2027-01-01" and added["valid_to"] == "2028-01-01"
    listed = catalog.get(url, headers=auth("planner-rotterdam")).get_json()
    assert listed["next_cursor"] is None
    assert [t["valid_from"] for t in listed["items"]] == ["2026-01-01", "2027-01-01"]
    assert etag(catalog, asset["id"]) == '"v2"'
    assert events_of(engine, asset["id"])[-1] == "catalog.tariff.set"


# -- availability and blackouts --------------------------------------------------------------
def publish(catalog: FlaskClient, asset_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = catalog.post(
        f"{ASSETS}/{asset_id}/availability", headers=auth("owner-dhc"), json=body
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def concrete(catalog: FlaskClient, asset_id: str, lo: datetime, hi: datetime) -> list[Any]:
    response = catalog.get(
        f"{ASSETS}/{asset_id}/availability",
        headers=auth("planner-rotterdam"),
        query_string={"from": lo.isoformat(), "to": hi.isoformat()},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["next_cursor"] is None  # the range is the page
    return [(instant(i["start"]), instant(i["end"])) for i in response.get_json()["items"]]


def test_availability_is_expanded_across_dst_with_one_offs_and_blackouts_subtracted(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    asset = register(catalog)
    aid = asset["id"]
    sunday = next_dst_sunday(date.today() + timedelta(days=14))
    monday = sunday - timedelta(days=6)  # the week before the change
    saturday, next_monday = sunday - timedelta(days=1), sunday + timedelta(days=1)
    rule = publish(
        catalog,
        aid,
        {
            "kind": "recurring",
            "weekdays": [1, 2, 3, 4, 5],
            "start_time": "08:00",
            "end_time": "18:00",
            "valid_from": monday.isoformat(),
            "valid_to": (next_monday + timedelta(days=4)).isoformat(),
            "note": "weekdays, office hours",
        },
    )
    assert rule["kind"] == "recurring" and rule["timezone"] == "Europe/Amsterdam"
    assert rule["weekdays"] == [1, 2, 3, 4, 5]
    assert (rule["start_time"], rule["end_time"]) == ("08:00", "18:00")
    one_off = publish(
        catalog,
        aid,
        {
            "kind": "one_off",
            "start_at": local(saturday, 10).isoformat(),
            "end_at": local(saturday, 14).isoformat(),
        },
    )
    response = catalog.post(
        f"{ASSETS}/{aid}/blackouts",
        headers=auth("owner-dhc"),
        json={
            "start_at": local(next_monday + timedelta(days=1), 12).isoformat(),
            "end_at": local(next_monday + timedelta(days=1), 13).isoformat(),
            "reason": "Eigen oefening",
        },
    )
    assert response.status_code == 201, response.get_json()

    lo, hi = local(monday), local(next_monday + timedelta(days=5))
    tuesday = next_monday + timedelta(days=1)
    expected = (
        [
            (local(monday + timedelta(days=d), 8), local(monday + timedelta(days=d), 18))
            for d in range(5)
        ]
        + [
            (local(saturday, 10), local(saturday, 14)),
            (local(next_monday, 8), local(next_monday, 18)),
        ]
        + [(local(tuesday, 8), local(tuesday, 12)), (local(tuesday, 13), local(tuesday, 18))]
        + [
            (local(next_monday + timedelta(days=d), 8), local(next_monday + timedelta(days=d), 18))
            for d in range(2, 5)
        ]
    )
    got = concrete(catalog, aid, lo, hi)
    assert got == expected
    # The UTC offset changes at the DST Sunday, the local hours do not.
    offsets = {s.astimezone(AMS).utcoffset() for s, _ in got}
    assert len(offsets) == 2
    assert {s.astimezone(AMS).time() for s, _ in got} == {time(8), time(10), time(13)}
    # A range inside one day is clipped to it.
    assert concrete(catalog, aid, local(monday, 12), local(monday, 13)) == [
        (local(monday, 12), local(monday, 13))
    ]

    # Withdrawing the one-off: 204, then it is gone from the rules and from the intervals.
    response = catalog.delete(
        f"{ASSETS}/{aid}/availability/{one_off['id']}", headers=auth("owner-dhc")
    )
    assert response.status_code == 204
    windows = catalog.get(f"{ASSETS}/{aid}/availability", headers=auth("planner-rotterdam"))
    assert [w["id"] for w in windows.get_json()["items"]] == [rule["id"]]
    assert (local(saturday, 10), local(saturday, 14)) not in concrete(catalog, aid, lo, hi)
    response = catalog.delete(
        f"{ASSETS}/{aid}/availability/{one_off['id']}", headers=auth("owner-dhc")
    )
    assert_problem(response, 404)
    assert events_of(engine, aid) == [
        "catalog.asset.registered",
        "catalog.availability.published",
        "catalog.availability.published",
        "catalog.blackout.added",
        "catalog.availability.withdrawn",
    ]


def test_blackouts_are_added_listed_and_removed(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    asset = register(catalog)
    aid = asset["id"]
    day = date.today() + timedelta(days=20)
    publish(
        catalog,
        aid,
        {
            "kind": "one_off",
            "start_at": local(day, 6).isoformat(),
            "end_at": local(day, 22).isoformat(),
        },
    )
    url = f"{ASSETS}/{aid}/blackouts"
    response = catalog.post(
        url,
        headers=auth("owner-dhc"),
        json={
            "start_at": local(day, 9).isoformat(),
            "end_at": local(day, 11).isoformat(),
            "reason": "Onderhoud rotorblad",
        },
    )
    assert response.status_code == 201, response.get_json()
    blackout = response.get_json()
    assert blackout["reason"] == "Onderhoud rotorblad"
    listed = catalog.get(url, headers=auth("finance-politie")).get_json()["items"]
    assert [b["id"] for b in listed] == [blackout["id"]]
    assert instant(listed[0]["start_at"]) == local(day, 9)
    assert concrete(catalog, aid, local(day), local(day + timedelta(days=1))) == [
        (local(day, 6), local(day, 9)),
        (local(day, 11), local(day, 22)),
    ]
    response = catalog.delete(f"{url}/{blackout['id']}", headers=auth("owner-dhc"))
    assert response.status_code == 204
    assert catalog.get(url, headers=auth("owner-dhc")).get_json() == {
        "items": [],
        "next_cursor": None,
    }
    assert concrete(catalog, aid, local(day), local(day + timedelta(days=1))) == [
        (local(day, 6), local(day, 22))
    ]
    assert_problem(catalog.delete(f"{url}/{blackout['id']}", headers=auth("owner-dhc")), 404)
    assert events_of(engine, aid)[-2:] == ["catalog.blackout.added", "catalog.blackout.removed"]


def every_page(catalog: FlaskClient, url: str, limit: int) -> list[list[str]]:
    """The ids on each page of a list, following next_cursor to the end."""
    pages: list[list[str]] = []
    query: dict[str, Any] = {"limit": limit}
    while True:
        response = catalog.get(url, headers=auth("planner-rotterdam"), query_string=query)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert set(body) == {"items", "next_cursor"}
        pages.append([item["id"] for item in body["items"]])
        if body["next_cursor"] is None:
            return pages
        assert len(pages) < 20, "the cursor does not advance"
        query = {"limit": limit, "cursor": body["next_cursor"]}


def test_blackouts_and_windows_are_paged_with_a_stable_cursor(
    clients: dict[str, FlaskClient],
) -> None:
    """Five blackouts and five windows in pages of two: each once, in list order; a removal
    between pages shifts nothing; a forged cursor is a 422 on cursor."""
    catalog = clients["catalog"]
    aid = register(catalog)["id"]
    day = date.today() + timedelta(days=30)
    url = f"{ASSETS}/{aid}/blackouts"
    blackouts = []
    for n in (3, 1, 4, 0, 2):  # added out of order: listed by start
        start = local(day + timedelta(days=n), 9)
        body = {"start_at": start.isoformat(), "end_at": (start + timedelta(hours=1)).isoformat(),
                "reason": f"Onderhoud {n}"}  # fmt: skip
        response = catalog.post(url, headers=auth("owner-dhc"), json=body)
        assert response.status_code == 201, response.get_json()
        blackouts.append((n, response.get_json()["id"]))
    in_order = [b for _, b in sorted(blackouts)]
    assert every_page(catalog, url, 2) == [in_order[:2], in_order[2:4], in_order[4:]]
    first = catalog.get(url, headers=auth("owner-dhc"), query_string={"limit": 2}).get_json()
    removed = catalog.delete(f"{url}/{in_order[0]}", headers=auth("owner-dhc"))
    assert removed.status_code == 204
    rest = catalog.get(
        url, headers=auth("owner-dhc"), query_string={"limit": 2, "cursor": first["next_cursor"]}
    ).get_json()
    assert [b["id"] for b in rest["items"]] == in_order[2:4]
    windows = [
        publish(catalog, aid, {"kind": "one_off",
                               "start_at": local(day + timedelta(days=n), 6).isoformat(),
                               "end_at": local(day + timedelta(days=n), 8).isoformat()})["id"]
        for n in range(5)
    ]  # fmt: skip
    pages = every_page(catalog, f"{ASSETS}/{aid}/availability", 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(sum(pages, [])) == sorted(windows)
    for forged_cursor in ("not-a-cursor", forged("2026-01-01", "x")):
        response = catalog.get(
            url, headers=auth("owner-dhc"), query_string={"cursor": forged_cursor}
        )
        assert_problem(response, 422, "cursor")


def test_an_availability_range_that_ends_before_it_starts_is_422(
    clients: dict[str, FlaskClient],
) -> None:
    catalog = clients["catalog"]
    asset = register(catalog)
    lo = datetime.now(UTC) + timedelta(days=3)
    response = catalog.get(
        f"{ASSETS}/{asset['id']}/availability",
        headers=auth("planner-rotterdam"),
        query_string={"from": lo.isoformat(), "to": (lo - timedelta(hours=1)).isoformat()},
    )
    assert_problem(response, 422, "to")


# -- framework contracts ----------------------------------------------------------------------
def procurement_item(catalog: FlaskClient, name: str) -> dict[str, Any]:
    return register(
        catalog,
        DMO,
        name=name,
        category="procurement_item",
        home_base="DMO Utrecht",
        regions=["VR09"],
        capacity=1,
        tariff=tariff(
            unit="unit",
            full_cost_rate="120.00",
            marginal_cost_rate="120.00",
            mobilisation_fee="0.00",
            market_reference_price="135.00",
        ),
    )


def contract_body(item_ids: list[str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": unique("DMO-RC"),
        "supplier": "Voorbeeld Leverancier B.V.",
        "description": "Raamcontract nachtkijkers (illustratieve prijzen)",
        "valid_from": "2026-01-01",
        "valid_to": "2027-12-31",
        "total_volume": 500,
        "item_ids": item_ids,
        "tiers": [
            {"min_quantity": 1, "unit_price": "120.00"},
            {"min_quantity": 50, "unit_price": "110"},
            {"min_quantity": 200, "unit_price": "95.5"},
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="module")
def dmo_items(clients: dict[str, FlaskClient]) -> list[str]:
    catalog = clients["catalog"]
    return [procurement_item(catalog, f"Nachtkijker {unique('NK')}")["id"] for _ in range(2)]


def test_a_contract_over_own_procurement_items_is_published_and_read_back(
    clients: dict[str, FlaskClient], engine: Engine, dmo_items: list[str]
) -> None:
    catalog = clients["catalog"]
    body = contract_body(dmo_items)
    # Tiers may arrive in any order; they are kept sorted by threshold.
    body["tiers"] = list(reversed(body["tiers"]))
    before = row_counts(engine)
    response = catalog.post(CONTRACTS, headers=DMO, json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    after = row_counts(engine)
    assert after["framework_contracts"] - before["framework_contracts"] == 1
    assert after["outbox"] - before["outbox"] == 1
    assert events_of(engine, created["id"]) == ["catalog.contract.published"]
    assert created["owner_org"] == "defensie-dmo"
    assert sorted(created["item_ids"]) == sorted(dmo_items)
    assert created["tiers"] == [
        {"min_quantity": 1, "unit_price": "120.00"},
        {"min_quantity": 50, "unit_price": "110.00"},
        {"min_quantity": 200, "unit_price": "95.50"},
    ]
    response = catalog.get(f"{CONTRACTS}/{created['id']}", headers=auth("planner-rotterdam"))
    assert response.status_code == 200
    assert response.get_json() == created
    listed = catalog.get(CONTRACTS, headers=auth("controller")).get_json()["items"]
    assert created["id"] in {c["id"] for c in listed}
    paged = sum(every_page(catalog, CONTRACTS, 1), [])  # one a page: each once, by valid_from
    assert created["id"] in paged and len(paged) == len(set(paged)) == len(listed)
    assert_problem(catalog.get(f"{CONTRACTS}/{uuid.uuid4()}", headers=auth("controller")), 404)


@pytest.mark.parametrize(
    "tiers",
    [
        [{"min_quantity": 1, "unit_price": "100.00"}, {"min_quantity": 50, "unit_price": "100.01"}],
        [
            {"min_quantity": 1, "unit_price": "90.00"},
            {"min_quantity": 10, "unit_price": "80.00"},
            {"min_quantity": 100, "unit_price": "85.00"},
        ],
        [{"min_quantity": 10, "unit_price": "90.00"}],
        [{"min_quantity": 1, "unit_price": "90.00"}, {"min_quantity": 1, "unit_price": "80.00"}],
        [{"min_quantity": 1, "unit_price": "-1.00"}],
        [{"min_quantity": 1, "unit_price": "veel"}],
        [{"min_quantity": 1, "unit_price": "95.555"}],
        [],
    ],
    ids=[
        "rising",
        "rising-later",
        "not-from-1",
        "same-threshold",
        "negative",
        "not-a-number",
        "sub-cent",
        "none",
    ],
)
def test_contract_tiers_that_do_not_fall_with_volume_are_422(
    clients: dict[str, FlaskClient], engine: Engine, dmo_items: list[str], tiers: list[Any]
) -> None:
    with nothing_written(engine):
        response = clients["catalog"].post(
            CONTRACTS, headers=DMO, json=contract_body(dmo_items, tiers=tiers)
        )
    assert_problem(response, 422, "tiers")


def test_a_contract_over_items_that_are_not_own_procurement_items_is_422(
    clients: dict[str, FlaskClient], engine: Engine, dmo_items: list[str]
) -> None:
    catalog = clients["catalog"]
    helicopter = register(catalog)["id"]
    for items, headers in [
        ([dmo_items[0], helicopter], auth("owner-dhc")),  # DMO's item is not DHC's
        ([helicopter], auth("owner-dhc")),  # DHC's own, but not a procurement item
        ([dmo_items[0], str(uuid.uuid4())], DMO),  # unknown item
    ]:
        with nothing_written(engine):
            response = catalog.post(CONTRACTS, headers=headers, json=contract_body(items))
        assert_problem(response, 422, "item_ids")


def test_contract_period_and_reference_are_checked(
    clients: dict[str, FlaskClient], engine: Engine, dmo_items: list[str]
) -> None:
    catalog = clients["catalog"]
    with nothing_written(engine):
        response = catalog.post(
            CONTRACTS,
            headers=DMO,
            json=contract_body(dmo_items, valid_from="2027-01-01", valid_to="2026-12-31"),
        )
    assert_problem(response, 422, "valid_to")
    body = contract_body(dmo_items)
    assert catalog.post(CONTRACTS, headers=DMO, json=body).status_code == 201
    with nothing_written(engine):
        response = catalog.post(CONTRACTS, headers=DMO, json={**body, "supplier": "Ander B.V."})
    assert_problem(response, 409, "reference")
    with nothing_written(engine):
        response = catalog.post(
            CONTRACTS, headers=auth("planner-rotterdam"), json=contract_body(dmo_items)
        )
    assert_problem(response, 403)


# -- bad input: each refused, nothing written -------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tariff": tariff(valid_from="2026-06-01", valid_to="2026-05-31")}, "tariff"),
        ({"tariff": tariff(valid_from="2026-06-01", valid_to="2026-06-01")}, "tariff"),
    ],
    ids=["tariff-backwards", "tariff-empty"],
)
def test_an_asset_whose_tariff_ends_before_it_starts_is_422(
    clients: dict[str, FlaskClient], engine: Engine, overrides: dict[str, Any], field: str
) -> None:
    with nothing_written(engine):
        response = clients["catalog"].post(
            ASSETS, headers=auth("owner-dhc"), json=asset_body(**overrides)
        )
    body = assert_problem(response, 422, field)
    assert "valid_to" in body["errors"]["tariff"]


def test_a_tariff_period_that_ends_before_it_starts_is_422(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    asset = register(catalog, tariff=tariff(valid_to="2027-01-01"))
    with nothing_written(engine):
        response = catalog.post(
            f"{ASSETS}/{asset['id']}/tariffs",
            headers=auth("owner-dhc"),
            json=tariff(valid_from="2028-01-01", valid_to="2027-06-01"),
        )
    assert_problem(response, 422, "valid_to")


def test_a_window_or_blackout_that_ends_before_it_starts_is_422(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    aid = register(catalog)["id"]
    day = date.today() + timedelta(days=10)
    refused: list[tuple[str, dict[str, Any], str]] = [
        (
            "availability",
            {
                "kind": "one_off",
                "start_at": local(day, 12).isoformat(),
                "end_at": local(day, 10).isoformat(),
            },
            "end_at",
        ),
        (
            "availability",
            {
                "kind": "one_off",
                "start_at": local(day, 12).isoformat(),
                "end_at": local(day, 12).isoformat(),
            },
            "end_at",
        ),
        (
            "availability",
            {
                "kind": "recurring",
                "weekdays": [1],
                "start_time": "08:00",
                "end_time": "18:00",
                "valid_from": (day + timedelta(days=7)).isoformat(),
                "valid_to": day.isoformat(),
            },
            "valid_to",
        ),
        (
            "blackouts",
            {
                "start_at": local(day, 12).isoformat(),
                "end_at": local(day, 9).isoformat(),
                "reason": "Eigen gebruik",
            },
            "end_at",
        ),
    ]
    # A time zone no rule could be expanded in: a typo, a tz folder, an overlong name.
    for zone in ("Europe/Amsterdm", "Europe", "x" * 300, "../etc/passwd"):
        rule = {"kind": "recurring", "weekdays": [1], "start_time": "08:00",
                "end_time": "18:00", "valid_from": day.isoformat(), "timezone": zone}  # fmt: skip
        refused.append(("availability", rule, "timezone"))
    for path, body, field in refused:
        with nothing_written(engine):
            response = catalog.post(f"{ASSETS}/{aid}/{path}", headers=auth("owner-dhc"), json=body)
        assert_problem(response, 422, field)
    assert etag(catalog, aid) == '"v1"'


def test_a_window_outside_the_tariff_periods_is_422(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    today = date.today()
    tariff_end = today + timedelta(days=30)
    aid = register(
        catalog, tariff=tariff(valid_from=today.isoformat(), valid_to=tariff_end.isoformat())
    )["id"]
    later = tariff_end + timedelta(days=5)
    refused = [
        {
            "kind": "one_off",
            "start_at": local(later, 8).isoformat(),
            "end_at": local(later, 18).isoformat(),
        },
        # Starts inside the period, runs past its end.
        {
            "kind": "one_off",
            "start_at": local(tariff_end - timedelta(days=1), 8).isoformat(),
            "end_at": local(tariff_end + timedelta(days=1), 18).isoformat(),
        },
        {
            "kind": "recurring",
            "weekdays": [1, 2, 3, 4, 5],
            "start_time": "08:00",
            "end_time": "18:00",
            "valid_from": (today + timedelta(days=1)).isoformat(),
            "valid_to": later.isoformat(),
        },
    ]
    for body in refused:
        with nothing_written(engine):
            response = catalog.post(
                f"{ASSETS}/{aid}/availability", headers=auth("owner-dhc"), json=body
            )
        body_out = assert_problem(response, 422)
        assert "tariff" in body_out["detail"]
    # The control: inside the period it is accepted.
    publish(
        catalog,
        aid,
        {
            "kind": "one_off",
            "start_at": local(today + timedelta(days=3), 8).isoformat(),
            "end_at": local(today + timedelta(days=3), 18).isoformat(),
        },
    )


def test_overlapping_tariff_periods_are_409_naming_the_existing_tariff(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    asset = register(catalog, tariff=tariff(valid_from="2026-01-01", valid_to="2027-01-01"))
    (existing,) = asset["tariffs"]
    url = f"{ASSETS}/{asset['id']}/tariffs"
    for period in [
        {"valid_from": "2026-12-31", "valid_to": "2027-06-01"},  # one day of overlap
        {"valid_from": "2025-06-01", "valid_to": "2026-01-02"},
        {"valid_from": "2026-03-01", "valid_to": "2026-04-01"},  # inside
        {"valid_from": "2025-01-01"},  # open-ended, covers it
    ]:
        with nothing_written(engine):
            response = catalog.post(url, headers=auth("owner-dhc"), json=tariff(**period))
        body = assert_problem(response, 409, "valid_from")
        assert body["conflicting_tariff"] == existing["id"]
        assert existing["id"] in body["detail"]
    assert etag(catalog, asset["id"]) == '"v1"'
    # Touching periods do not overlap (half-open): [2027-01-01, ...) follows on.
    response = catalog.post(url, headers=auth("owner-dhc"), json=tariff(valid_from="2027-01-01"))
    assert response.status_code == 201, response.get_json()
    # An open-ended period now exists: any later one overlaps it.
    following = response.get_json()
    with nothing_written(engine):
        response = catalog.post(
            url, headers=auth("owner-dhc"), json=tariff(valid_from="2030-01-01")
        )
    assert assert_problem(response, 409)["conflicting_tariff"] == following["id"]


@pytest.mark.parametrize("amount", ["-0.01", "-9800.00", -1])
@pytest.mark.parametrize(
    "field", ["full_cost_rate", "marginal_cost_rate", "mobilisation_fee", "market_reference_price"]
)
def test_negative_money_is_422(
    clients: dict[str, FlaskClient], engine: Engine, field: str, amount: Any
) -> None:
    body = asset_body(tariff=tariff(**{field: amount}))
    with nothing_written(engine):
        response = clients["catalog"].post(ASSETS, headers=auth("owner-dhc"), json=body)
    body_out = assert_problem(response, 422, "tariff")
    assert field in body_out["errors"]["tariff"]


@pytest.mark.parametrize(
    "amount", ["abc", "12,50", "", "NaN", "Infinity", "1e", None, True, [1], "12.345"]
)
def test_non_numeric_or_inexact_money_is_422(
    clients: dict[str, FlaskClient], engine: Engine, amount: Any
) -> None:
    body = asset_body(tariff=tariff(full_cost_rate=amount))
    with nothing_written(engine):
        response = clients["catalog"].post(ASSETS, headers=auth("owner-dhc"), json=body)
    body_out = assert_problem(response, 422, "tariff")
    assert "full_cost_rate" in body_out["errors"]["tariff"]


def test_negative_or_non_numeric_money_on_a_new_tariff_is_422(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    asset = register(catalog, tariff=tariff(valid_to="2027-01-01"))
    for amount in ("-5.00", "vijf", "5.001"):
        with nothing_written(engine):
            response = catalog.post(
                f"{ASSETS}/{asset['id']}/tariffs",
                headers=auth("owner-dhc"),
                json=tariff(valid_from="2027-01-01", mobilisation_fee=amount),
            )
        assert_problem(response, 422, "mobilisation_fee")


def test_an_unknown_region_is_422(clients: dict[str, FlaskClient], engine: Engine) -> None:
    catalog = clients["catalog"]
    with nothing_written(engine):
        response = catalog.post(
            ASSETS, headers=auth("owner-dhc"), json=asset_body(regions=["VR17", "VR99"])
        )
    body = assert_problem(response, 422, "regions")
    assert "VR99" in json.dumps(body["errors"])
    aid = register(catalog)["id"]
    with nothing_written(engine):
        response = catalog.patch(
            f"{ASSETS}/{aid}",
            headers={**auth("owner-dhc"), "If-Match": '"v1"'},
            json={"regions": ["VR00"]},
        )
    assert_problem(response, 422, "regions")
    assert etag(catalog, aid) == '"v1"'


@pytest.mark.parametrize("category", ["submarine", "Helicopter", "", None, 3])
def test_an_unknown_category_is_422(
    clients: dict[str, FlaskClient], engine: Engine, category: Any
) -> None:
    with nothing_written(engine):
        response = clients["catalog"].post(
            ASSETS, headers=auth("owner-dhc"), json=asset_body(category=category)
        )
    assert_problem(response, 422, "category")


def test_an_owner_unknown_to_the_catalog_cannot_register(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    headers = token_headers("defensie-onbekend", [OWNER])
    with nothing_written(engine):
        response = clients["catalog"].post(ASSETS, headers=headers, json=asset_body())
    body = assert_problem(response, 403)
    assert "defensie-onbekend" in body["detail"]


@pytest.mark.parametrize("capacity", [0, -1])
@pytest.mark.parametrize("category", ["dive_team", "search_team", "terrain"])
def test_capacity_below_one_for_a_capacity_asset_is_422(
    clients: dict[str, FlaskClient], engine: Engine, category: str, capacity: int
) -> None:
    body = asset_body(category=category, capacity=capacity, tariff=tariff(unit="hour"))
    with nothing_written(engine):
        response = clients["catalog"].post(ASSETS, headers=auth("owner-duikgroep"), json=body)
    assert_problem(response, 422, "capacity")


def test_capacity_below_one_on_a_change_is_422(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    team = register(
        catalog,
        auth("owner-duikgroep"),
        category="dive_team",
        capacity=3,
        tariff=tariff(unit="hour"),
    )
    with nothing_written(engine):
        response = catalog.patch(
            f"{ASSETS}/{team['id']}",
            headers={**auth("owner-duikgroep"), "If-Match": '"v1"'},
            json={"capacity": 0},
        )
    assert_problem(response, 422, "capacity")
    got = catalog.get(f"{ASSETS}/{team['id']}", headers=auth("owner-duikgroep")).get_json()
    assert got["capacity"] == 3 and got["version"] == 1


def test_a_duplicate_registration_is_409(clients: dict[str, FlaskClient], engine: Engine) -> None:
    catalog = clients["catalog"]
    first = register(catalog)
    with nothing_written(engine):
        response = catalog.post(
            ASSETS,
            headers=auth("owner-dhc"),
            json=asset_body(registration=first["registration"], name="Another name"),
        )
    body = assert_problem(response, 409, "registration")
    assert first["id"] in body["detail"]
    # Unique per owner: another organisation may use the same number.
    other = register(catalog, auth("owner-duikgroep"), registration=first["registration"])
    assert other["id"] != first["id"]


# -- permissions ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dhc_asset(clients: dict[str, FlaskClient]) -> dict[str, Any]:
    catalog = clients["catalog"]
    asset = register(catalog, tariff=tariff(valid_to="2027-01-01"))
    day = date.today() + timedelta(days=12)
    window = publish(
        catalog,
        asset["id"],
        {
            "kind": "one_off",
            "start_at": local(day, 8).isoformat(),
            "end_at": local(day, 18).isoformat(),
        },
    )
    response = catalog.post(
        f"{ASSETS}/{asset['id']}/blackouts",
        headers=auth("owner-dhc"),
        json={
            "start_at": local(day, 9).isoformat(),
            "end_at": local(day, 10).isoformat(),
            "reason": "Eigen oefening",
        },
    )
    assert response.status_code == 201
    return {
        **asset,
        "window_id": window["id"],
        "blackout_id": response.get_json()["id"],
        "day": day,
        "version": 3,
    }


def changes(asset: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    aid, day = asset["id"], asset["day"]
    return [
        ("PATCH", f"{ASSETS}/{aid}", {"name": "Taken over"}),
        ("POST", f"{ASSETS}/{aid}/retire", {"reason": "Not yours to retire"}),
        ("POST", f"{ASSETS}/{aid}/tariffs", tariff(valid_from="2027-01-01")),
        (
            "POST",
            f"{ASSETS}/{aid}/availability",
            {
                "kind": "one_off",
                "start_at": local(day, 19).isoformat(),
                "end_at": local(day, 20).isoformat(),
            },
        ),
        ("DELETE", f"{ASSETS}/{aid}/availability/{asset['window_id']}", None),
        (
            "POST",
            f"{ASSETS}/{aid}/blackouts",
            {
                "start_at": local(day, 11).isoformat(),
                "end_at": local(day, 12).isoformat(),
                "reason": "Not yours",
            },
        ),
        ("DELETE", f"{ASSETS}/{aid}/blackouts/{asset['blackout_id']}", None),
    ]


OUTSIDERS = {
    "owner-duikgroep": auth("owner-duikgroep"),
    "planner-rotterdam": auth("planner-rotterdam"),
    "admin": auth("admin"),
    "controller": auth("controller"),
    "dhc-without-owner-role": token_headers("defensie-dhc", ["financien"]),
}


@pytest.mark.parametrize("who", sorted(OUTSIDERS))
def test_only_the_owning_organisations_beheerder_may_change_its_asset(
    clients: dict[str, FlaskClient], engine: Engine, dhc_asset: dict[str, Any], who: str
) -> None:
    catalog = clients["catalog"]
    for method, url, body in changes(dhc_asset):
        headers = {**OUTSIDERS[who], "If-Match": f'"v{dhc_asset["version"]}"'}
        with nothing_written(engine):
            response = catalog.open(url, method=method, headers=headers, json=body)
        assert_problem(response, 403)
    got = catalog.get(f"{ASSETS}/{dhc_asset['id']}", headers=auth("owner-dhc")).get_json()
    assert got["version"] == dhc_asset["version"] and got["status"] == "active"
    assert got["name"] == dhc_asset["name"]


@pytest.mark.parametrize("who", ["planner-rotterdam", "controller", "admin", "finance-defensie"])
def test_only_an_owner_registers_assets(
    clients: dict[str, FlaskClient], engine: Engine, who: str
) -> None:
    with nothing_written(engine):
        response = clients["catalog"].post(ASSETS, headers=auth(who), json=asset_body())
    assert_problem(response, 403)


@pytest.mark.parametrize(
    "who",
    [
        "planner-rotterdam",
        "planner-amsterdam",
        "owner-duikgroep",
        "finance-politie",
        "finance-defensie",
        "controller",
        "admin",
    ],
)
def test_everyone_signed_in_may_read_the_catalog(
    clients: dict[str, FlaskClient], dhc_asset: dict[str, Any], who: str
) -> None:
    catalog, aid = clients["catalog"], dhc_asset["id"]
    lo = local(dhc_asset["day"])
    for url, query in [
        ("/api/v1/organisations", {}),
        ("/api/v1/regions", {}),
        ("/api/v1/categories", {}),
        (ASSETS, {"q": dhc_asset["registration"]}),
        (f"{ASSETS}/{aid}", {}),
        (f"{ASSETS}/{aid}/tariffs", {}),
        (f"{ASSETS}/{aid}/availability", {}),
        (
            f"{ASSETS}/{aid}/availability",
            {"from": lo.isoformat(), "to": (lo + timedelta(days=1)).isoformat()},
        ),
        (f"{ASSETS}/{aid}/blackouts", {}),
        (CONTRACTS, {}),
    ]:
        response = catalog.get(url, headers=auth(who), query_string=query)
        assert response.status_code == 200, (url, response.get_json())
    listed = catalog.get(ASSETS, headers=auth(who), query_string={"q": dhc_asset["registration"]})
    assert [i["id"] for i in listed.get_json()["items"]] == [aid]


# -- reference data: administrators manage organisations and regions -------------------------
ORGANISATIONS = "/api/v1/organisations"
REGIONS = "/api/v1/regions"
ADMIN_HEADERS = auth("admin")


def reference_changes(engine: Engine, subject: str, subject_id: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT action, changes, actor FROM reference_changes"
                " WHERE subject = :s AND subject_id = :i ORDER BY id"
            ),
            {"s": subject, "i": subject_id},
        ).all()
    return [{"action": r.action, "changes": r.changes, "actor": r.actor} for r in rows]


def new_region_code(engine: Engine) -> str:
    """A region code no test has used yet (VR26..VR99 are free in the seeded data)."""
    with engine.connect() as conn:
        used = set(conn.execute(text("SELECT code FROM regions")).scalars())
    free = [f"VR{i:02d}" for i in range(26, 100) if f"VR{i:02d}" not in used]
    assert free, "no free region code left in this session's database"
    return free[0]


def test_an_organisations_id_names_its_side(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    """Cost-sharing decides who reads an allocation by the id's side (politie-/defensie-), so a
    Defence body named politie-… would let police finance read its books: refused."""
    catalog = clients["catalog"]
    for org_id, kind in (("politie-x", "defensie"), ("defensie-y", "politie"),
                         ("kmar", "defensie"), ("politie-z", "joint")):  # fmt: skip
        with nothing_written(engine):
            response = catalog.post(
                ORGANISATIONS,
                headers=ADMIN_HEADERS,
                json={"id": org_id, "name": "Eenheid X", "kind": kind},
            )
        assert_problem(response, 422, "id")
    joint = f"joint-{uuid.uuid4().hex[:8]}"
    response = catalog.post(
        ORGANISATIONS, headers=ADMIN_HEADERS, json={"id": joint, "name": "Samen", "kind": "joint"}
    )
    assert response.status_code == 201, response.get_json()


def test_an_administrator_adds_and_renames_an_organisation_whose_owner_then_registers(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    org_id = f"defensie-test-{uuid.uuid4().hex[:8]}"
    before = row_counts(engine)
    response = catalog.post(
        ORGANISATIONS,
        headers=ADMIN_HEADERS,
        json={"id": org_id, "name": "  Joint Sensor Unit  ", "kind": "defensie"},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"id": org_id, "name": "Joint Sensor Unit", "kind": "defensie"}
    after = row_counts(engine)
    assert after["organisations"] - before["organisations"] == 1
    assert after["reference_changes"] - before["reference_changes"] == 1
    listed = catalog.get(ORGANISATIONS, headers=auth("planner-rotterdam")).get_json()["items"]
    assert {"id": org_id, "name": "Joint Sensor Unit", "kind": "defensie"} in listed

    response = catalog.patch(
        f"{ORGANISATIONS}/{org_id}", headers=ADMIN_HEADERS, json={"name": "Joint Sensor Group"}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["name"] == "Joint Sensor Group"
    assert response.get_json()["kind"] == "defensie"
    # Who changed what: one audit row per change, with the administrator and before/after.
    assert reference_changes(engine, "organisation", org_id) == [
        {
            "action": "created",
            "changes": {"name": [None, "Joint Sensor Unit"], "kind": [None, "defensie"]},
            "actor": "admin",
        },
        {
            "action": "updated",
            "changes": {"name": ["Joint Sensor Unit", "Joint Sensor Group"]},
            "actor": "admin",
        },
    ]
    # The new organisation's beheerder can now register an asset of its own.
    owner = token_headers(org_id, [OWNER], f"beheerder@{org_id}")
    asset = register(catalog, owner, name="Sensor mast 1")
    assert asset["owner_org"] == org_id
    listed_assets = listed_ids(catalog, owner=org_id)
    assert listed_assets == [asset["id"]]


def test_an_administrator_adds_and_renames_a_region_that_assets_then_serve(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    code = new_region_code(engine)
    seat = {"seat": "Den Helder", "seat_location": {"lat": 52.9563, "lon": 4.7601}}
    response = catalog.post(
        REGIONS, headers=ADMIN_HEADERS, json={"code": code, "name": "Proef", **seat}
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"code": code, "name": "Proef", **seat}
    response = catalog.patch(
        f"{REGIONS}/{code}", headers=ADMIN_HEADERS, json={"name": "Proefregio Noordzee"}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"code": code, "name": "Proefregio Noordzee", **seat}
    regions = catalog.get(REGIONS, headers=auth("controller")).get_json()["items"]
    assert {"code": code, "name": "Proefregio Noordzee", **seat} in regions
    # The 25 safety regions carry their seats (migration 0007).
    rotterdam = next(r for r in regions if r["code"] == "VR17")
    assert rotterdam["seat"] == "Rotterdam"
    assert rotterdam["seat_location"] == {"lat": 51.9244, "lon": 4.4777}
    assert [c["action"] for c in reference_changes(engine, "region", code)] == [
        "created",
        "updated",
    ]
    asset = register(catalog, regions=[code])
    assert asset["regions"] == [code]
    assert asset["id"] in listed_ids(catalog, region=code)


def test_an_existing_organisation_or_region_is_409_and_writes_nothing(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    with nothing_written(engine):
        response = catalog.post(
            ORGANISATIONS,
            headers=ADMIN_HEADERS,
            json={"id": "defensie-dhc", "name": "Another DHC", "kind": "defensie"},
        )
    assert "defensie-dhc" in assert_problem(response, 409, "id")["detail"]
    with nothing_written(engine):
        response = catalog.post(REGIONS, headers=ADMIN_HEADERS, json={"code": "VR17", "name": "X"})
    # (a one-letter name is also a 422; the schema speaks first)
    assert_problem(response, 422, "name")
    with nothing_written(engine):
        response = catalog.post(
            REGIONS, headers=ADMIN_HEADERS, json={"code": "VR17", "name": "Rijnmond bis"}
        )
    assert "VR17" in assert_problem(response, 409, "code")["detail"]
    listed = catalog.get(REGIONS, headers=ADMIN_HEADERS).get_json()["items"]
    names = {r["code"]: r["name"] for r in listed}
    assert names["VR17"] == "Rotterdam-Rijnmond"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "Defensie-X", "name": "Hoofdletters", "kind": "defensie"}, "id"),
        ({"id": "-defensie-x", "name": "Begint met streep", "kind": "defensie"}, "id"),
        ({"id": "x", "name": "Te kort", "kind": "defensie"}, "id"),
        ({"id": "x" * 64, "name": "Te lang", "kind": "defensie"}, "id"),
        ({"id": "defensie-x\n", "name": "Regeleinde", "kind": "defensie"}, "id"),
        ({"id": "defensie_x", "name": "Liggend streepje", "kind": "defensie"}, "id"),
        ({"id": "defensie x", "name": "Spatie", "kind": "defensie"}, "id"),
        ({"id": 5, "name": "Getal", "kind": "defensie"}, "id"),
        ({"name": "Geen id", "kind": "defensie"}, "id"),
        ({"id": "defensie-x", "name": "D", "kind": "defensie"}, "name"),
        ({"id": "defensie-x", "name": "   ", "kind": "defensie"}, "name"),
        ({"id": "defensie-x", "name": "x" * 201, "kind": "defensie"}, "name"),
        ({"id": "defensie-x", "name": None, "kind": "defensie"}, "name"),
        ({"id": "defensie-x", "name": "Soort onbekend", "kind": "police"}, "kind"),
        ({"id": "defensie-x", "name": "Geen soort"}, "kind"),
        ({"id": "defensie-x", "name": "Extra veld", "kind": "joint", "x": 1}, "x"),
    ],
)
def test_a_bad_organisation_is_422_and_writes_nothing(
    clients: dict[str, FlaskClient], engine: Engine, body: dict[str, Any], field: str
) -> None:
    with nothing_written(engine):
        response = clients["catalog"].post(ORGANISATIONS, headers=ADMIN_HEADERS, json=body)
    assert_problem(response, 422, field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "VR1", "name": "Te kort"}, "code"),
        ({"code": "VR001", "name": "Te lang"}, "code"),
        ({"code": "vr90", "name": "Kleine letters"}, "code"),
        ({"code": "VR\u0669\u0669", "name": "Andere cijfers"}, "code"),
        ({"code": "VR90\n", "name": "Regeleinde"}, "code"),
        ({"code": 90, "name": "Getal"}, "code"),
        ({"code": "VR90", "name": ""}, "name"),
        ({"code": "VR90"}, "name"),
    ],
)
def test_a_bad_region_is_422_and_writes_nothing(
    clients: dict[str, FlaskClient], engine: Engine, body: dict[str, Any], field: str
) -> None:
    with nothing_written(engine):
        response = clients["catalog"].post(REGIONS, headers=ADMIN_HEADERS, json=body)
    assert_problem(response, 422, field)


def test_renames_check_their_input_and_an_unknown_one_is_404(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    for url, body, field in [
        (f"{ORGANISATIONS}/defensie-dhc", {}, "name"),
        (f"{ORGANISATIONS}/defensie-dhc", {"name": "x"}, "name"),
        (f"{ORGANISATIONS}/defensie-dhc", {"name": "DHC", "kind": "joint"}, "kind"),
        (f"{ORGANISATIONS}/defensie-dhc", {"name": "DHC", "id": "dhc"}, "id"),
        (f"{REGIONS}/VR17", {"name": "R", "code": "VR18"}, "code"),
    ]:
        with nothing_written(engine):
            response = catalog.patch(url, headers=ADMIN_HEADERS, json=body)
        assert_problem(response, 422, field)
    for url in (f"{ORGANISATIONS}/defensie-bestaat-niet", f"{REGIONS}/VR99", f"{REGIONS}/xyz"):
        with nothing_written(engine):
            response = catalog.patch(url, headers=ADMIN_HEADERS, json={"name": "Wie?"})
        assert_problem(response, 404)


@pytest.mark.parametrize(
    "who",
    [
        auth("owner-dhc"),
        auth("planner-rotterdam"),
        auth("controller"),
        auth("finance-defensie"),
        token_headers("joint", [OWNER, "politie-planner"]),
    ],
    ids=["owner", "planner", "controller", "finance", "joint-non-admin"],
)
def test_only_an_administrator_manages_organisations_and_regions(
    clients: dict[str, FlaskClient], engine: Engine, who: dict[str, str]
) -> None:
    catalog = clients["catalog"]
    for method, url, body in [
        ("POST", ORGANISATIONS, {"id": "politie-nieuw", "name": "Nieuw", "kind": "politie"}),
        ("PATCH", f"{ORGANISATIONS}/defensie-dhc", {"name": "Overgenomen"}),
        ("PATCH", f"{ORGANISATIONS}/defensie-bestaat-niet", {"name": "Overgenomen"}),
        ("POST", REGIONS, {"code": "VR98", "name": "Nieuw"}),
        ("PATCH", f"{REGIONS}/VR17", {"name": "Overgenomen"}),
        ("POST", ORGANISATIONS, {"id": "X"}),  # the role is checked before the body
    ]:
        with nothing_written(engine):
            response = catalog.open(url, method=method, headers=who, json=body)
        assert_problem(response, 403)
    listed = catalog.get(ORGANISATIONS, headers=who).get_json()["items"]
    names = {o["id"]: o["name"] for o in listed}
    assert names["defensie-dhc"] == "Defensie Helikopter Commando"


# -- concurrent creations: the loser is a 409, not a 500 -------------------------------------
@pytest.fixture
def holder(db_urls: dict[str, str]) -> Iterator[Callable[[], UnitOfWork]]:
    """Units of work on the catalog database of the test's own (not the app's)."""
    made = make_engine(sqlalchemy_url(db_urls["catalog"]), pool_size=2)
    factory = make_session_factory(made)
    yield lambda: UnitOfWork(factory, producer="catalog", actor="test-holder")
    made.dispose()


def lock_waiters(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND state = 'active'"
                )
            ).scalar_one()
        )


def race(
    engine: Engine, first: Callable[[UnitOfWork], Any], second: Callable[[], TestResponse], uow: Any
) -> TestResponse:
    """``first`` writes and holds its transaction open (its use case's commit only flushes
    inside ``holding``); ``second`` (a request) passes every check, since it cannot see the
    uncommitted row, and waits on the unique index; then ``first`` commits and ``second`` is
    answered."""
    with uow() as holding, ThreadPoolExecutor(max_workers=1) as pool:
        first(UnitOfWork.within(holding.session, producer="catalog", actor=holding.actor))
        pending = pool.submit(second)
        try:
            eventually(
                lambda: lock_waiters(engine) > 0 or pending.done(),
                timeout_s=15,
                what="the second request to wait on the first one's row",
            )
            assert not pending.done(), pending.result().get_json()
        finally:
            holding.commit()
        return pending.result(timeout=30)


def test_a_contract_reference_published_concurrently_is_409_for_the_loser(
    clients: dict[str, FlaskClient], engine: Engine, dmo_items: list[str], holder: Any
) -> None:
    body = contract_body(dmo_items)
    dmo = Principal(sub="beheerder-dmo", name="DMO", org="defensie-dmo", roles=frozenset({OWNER}))
    before = row_counts(engine)
    response = race(
        engine,
        lambda uow: catalog_contracts.create_contract(
            uow, principal=dmo, command=ContractCreate().load(body)
        ),
        lambda: clients["catalog"].post(
            CONTRACTS, headers=DMO, json={**body, "supplier": "Ander B.V."}
        ),
        holder,
    )
    assert body["reference"] in assert_problem(response, 409, "reference")["detail"]
    after = row_counts(engine)
    # Only the winner's contract and event: the loser wrote nothing.
    assert after["framework_contracts"] - before["framework_contracts"] == 1
    assert after["outbox"] - before["outbox"] == 1


def test_an_organisation_created_concurrently_is_409_for_the_loser(
    clients: dict[str, FlaskClient], engine: Engine, holder: Any
) -> None:
    org_id = f"politie-race-{uuid.uuid4().hex[:8]}"
    admin = Principal(sub="admin-a", name="A", org="joint", roles=frozenset({ADMIN}))
    body = {"id": org_id, "name": "Eenheid Race", "kind": "politie"}
    before = row_counts(engine)
    response = race(
        engine,
        lambda uow: catalog_reference.create_organisation(
            uow, principal=admin, command=AddOrganisation(**body)
        ),
        lambda: clients["catalog"].post(ORGANISATIONS, headers=ADMIN_HEADERS, json=body),
        holder,
    )
    assert_problem(response, 409, "id")
    after = row_counts(engine)
    assert after["organisations"] - before["organisations"] == 1
    assert after["reference_changes"] - before["reference_changes"] == 1
    assert [c["actor"] for c in reference_changes(engine, "organisation", org_id)] == ["admin-a"]


# -- a retired asset takes no more writes ----------------------------------------------------
def test_a_retired_asset_refuses_every_change_with_409_naming_its_status(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    asset = register(catalog, tariff=tariff(valid_to="2027-06-01"))
    aid = asset["id"]
    day = date.today() + timedelta(days=9)
    window = publish(
        catalog,
        aid,
        {"kind": "one_off", "start_at": local(day, 8).isoformat(),
         "end_at": local(day, 18).isoformat()},
    )  # fmt: skip
    response = catalog.post(
        f"{ASSETS}/{aid}/blackouts",
        headers=auth("owner-dhc"),
        json={"start_at": local(day, 9).isoformat(), "end_at": local(day, 10).isoformat(),
              "reason": "Eigen oefening"},
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    blackout_id = response.get_json()["id"]
    response = catalog.post(
        f"{ASSETS}/{aid}/retire", headers=auth("owner-dhc"), json={"reason": "Uitgefaseerd"}
    )
    assert response.status_code == 200, response.get_json()
    version = response.get_json()["version"]

    writes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", f"{ASSETS}/{aid}/tariffs", tariff(valid_from="2027-06-01")),
        (
            "POST",
            f"{ASSETS}/{aid}/availability",
            {
                "kind": "one_off",
                "start_at": local(day, 19).isoformat(),
                "end_at": local(day, 21).isoformat(),
            },
        ),  # fmt: skip
        (
            "POST",
            f"{ASSETS}/{aid}/availability",
            {
                "kind": "recurring",
                "weekdays": [1],
                "start_time": "08:00",
                "end_time": "18:00",
                "valid_from": day.isoformat(),
                "valid_to": (day + timedelta(days=7)).isoformat(),
            },
        ),  # fmt: skip
        ("DELETE", f"{ASSETS}/{aid}/availability/{window['id']}", None),
        (
            "POST",
            f"{ASSETS}/{aid}/blackouts",
            {
                "start_at": local(day, 11).isoformat(),
                "end_at": local(day, 12).isoformat(),
                "reason": "Eigen gebruik",
            },
        ),  # fmt: skip
        ("DELETE", f"{ASSETS}/{aid}/blackouts/{blackout_id}", None),
        ("PATCH", f"{ASSETS}/{aid}", {"name": "Na pensioen"}),
        ("POST", f"{ASSETS}/{aid}/retire", {"reason": "Nog eens"}),
    ]
    for if_match in (f'"v{version}"', "*"):
        for method, url, body in writes:
            headers = {**auth("owner-dhc"), "If-Match": if_match}
            with nothing_written(engine):
                response = catalog.open(url, method=method, headers=headers, json=body)
            refused = assert_problem(response, 409, "status")
            assert refused["asset_status"] == "retired", (method, url)
            assert "retired" in refused["detail"]
    got = catalog.get(f"{ASSETS}/{aid}", headers=auth("owner-dhc")).get_json()
    assert got["version"] == version and got["status"] == "retired"
    assert len(got["tariffs"]) == 1
    # Another organisation is still told it is not theirs (403 before the status).
    with nothing_written(engine):
        response = catalog.post(
            f"{ASSETS}/{aid}/tariffs",
            headers=auth("owner-duikgroep"),
            json=tariff(valid_from="2027-06-01"),
        )
    assert_problem(response, 403)


def test_an_asset_that_is_not_active_offers_no_concrete_availability(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    """Decided: with from/to the answer is the bookable intervals, so none while the asset is
    in maintenance or retired; without from/to the published rules are listed as stored."""
    catalog = clients["catalog"]
    aid = register(catalog)["id"]
    day = date.today() + timedelta(days=6)
    rule = publish(
        catalog,
        aid,
        {"kind": "recurring", "weekdays": [1, 2, 3, 4, 5, 6, 7], "start_time": "08:00",
         "end_time": "18:00", "valid_from": day.isoformat(),
         "valid_to": (day + timedelta(days=3)).isoformat()},
    )  # fmt: skip
    lo, hi = local(day), local(day + timedelta(days=2))
    offered = [(local(day, 8), local(day, 18)), (local(day + timedelta(days=1), 8),
               local(day + timedelta(days=1), 18))]  # fmt: skip
    assert concrete(catalog, aid, lo, hi) == offered
    response = catalog.patch(
        f"{ASSETS}/{aid}",
        headers={**auth("owner-dhc"), "If-Match": etag(catalog, aid)},
        json={"status": "maintenance"},
    )
    assert response.status_code == 200, response.get_json()
    assert concrete(catalog, aid, lo, hi) == []
    response = catalog.patch(
        f"{ASSETS}/{aid}",
        headers={**auth("owner-dhc"), "If-Match": etag(catalog, aid)},
        json={"status": "active"},
    )
    assert response.status_code == 200, response.get_json()
    assert concrete(catalog, aid, lo, hi) == offered
    response = catalog.post(
        f"{ASSETS}/{aid}/retire", headers=auth("owner-dhc"), json={"reason": "Uitgefaseerd"}
    )
    assert response.status_code == 200, response.get_json()
    assert concrete(catalog, aid, lo, hi) == []
    listed = catalog.get(f"{ASSETS}/{aid}/availability", headers=auth("planner-rotterdam"))
    assert [w["id"] for w in listed.get_json()["items"]] == [rule["id"]]
    # A bad range is still a 422, whatever the status.
    response = catalog.get(
        f"{ASSETS}/{aid}/availability",
        headers=auth("planner-rotterdam"),
        query_string={"from": hi.isoformat(), "to": lo.isoformat()},
    )
    assert_problem(response, 422, "to")


# -- instants and dates near the calendar's ends ----------------------------------------------
@pytest.fixture(scope="module")
def ruled_asset(clients: dict[str, FlaskClient]) -> str:
    """An asset with a weekly rule (so a range query expands it) and an open-ended tariff."""
    catalog = clients["catalog"]
    aid = register(catalog)["id"]
    today = date.today()
    publish(
        catalog,
        aid,
        {"kind": "recurring", "weekdays": [1, 2, 3, 4, 5], "start_time": "08:00",
         "end_time": "18:00", "valid_from": today.isoformat(),
         "valid_to": (today + timedelta(days=30)).isoformat()},
    )  # fmt: skip
    return aid


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "0001-01-01T00:00Z", "to": "0001-01-02T00:00Z"}, "from"),
        ({"to": "9999-12-31T22:00-05:00"}, "to"),
        ({"from": "9999-12-30T22:00-05:00", "to": "9999-12-31T22:00-05:00"}, "to"),
        ({"from": "0001-01-01T00:00+01:00"}, "from"),
        ({"from": "1899-12-31T23:59+00:00", "to": "1900-01-02T00:00+00:00"}, "from"),
    ],
)
def test_an_availability_range_near_the_calendars_ends_is_422(
    clients: dict[str, FlaskClient], ruled_asset: str, query: dict[str, str], field: str
) -> None:
    response = clients["catalog"].get(
        f"{ASSETS}/{ruled_asset}/availability",
        headers=auth("planner-rotterdam"),
        query_string=query,
    )
    body = assert_problem(response, 422, field)
    assert "1900" in json.dumps(body["errors"])


def test_an_availability_range_at_the_supported_ends_is_answered(
    clients: dict[str, FlaskClient], ruled_asset: str
) -> None:
    for query in (
        {"from": "1900-01-01T00:00+01:00", "to": "1900-01-03T00:00+14:00"},
        {"from": "9998-12-30T00:00-12:00", "to": "9998-12-31T23:59-12:00"},
        {"from": "9998-12-31T00:00+14:00"},  # to defaults to 31 days later, in 9999 (UTC)
    ):
        response = clients["catalog"].get(
            f"{ASSETS}/{ruled_asset}/availability",
            headers=auth("planner-rotterdam"),
            query_string=query,
        )
        assert response.status_code == 200, (query, response.get_json())
        assert response.get_json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("availability", {"kind": "one_off", "start_at": "2030-01-01T08:00+01:00",
                          "end_at": "9999-12-31T23:00-05:00"}, "end_at"),
        ("availability", {"kind": "one_off", "start_at": "0001-01-01T00:00+01:00",
                          "end_at": "2030-01-01T08:00+01:00"}, "start_at"),
        ("availability", {"kind": "recurring", "weekdays": [1], "start_time": "08:00",
                          "end_time": "18:00", "valid_from": "2030-01-01",
                          "valid_to": "9999-12-31"}, "valid_to"),
        ("availability", {"kind": "recurring", "weekdays": [1], "start_time": "22:00",
                          "end_time": "06:00", "valid_from": "0001-01-01",
                          "valid_to": "2030-01-01"}, "valid_from"),
        ("blackouts", {"start_at": "2030-01-01T08:00+01:00", "end_at": "9999-12-31T23:00-05:00",
                       "reason": "Tot het einde"}, "end_at"),
        ("blackouts", {"start_at": "0001-01-01T00:00+01:00", "end_at": "2030-01-01T08:00+01:00",
                       "reason": "Sinds het begin"}, "start_at"),
        ("tariffs", tariff(valid_from="9999-01-01"), "valid_from"),
        ("tariffs", tariff(valid_from="2099-01-01", valid_to="9999-12-31"), "valid_to"),
        ("tariffs", tariff(valid_from="0001-01-01", valid_to="1900-06-01"), "valid_from"),
    ],
)  # fmt: skip
def test_instants_and_dates_near_the_calendars_ends_are_422_and_write_nothing(
    clients: dict[str, FlaskClient],
    engine: Engine,
    ruled_asset: str,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    with nothing_written(engine):
        response = clients["catalog"].post(
            f"{ASSETS}/{ruled_asset}/{path}", headers=auth("owner-dhc"), json=body
        )
    assert_problem(response, 422, field)


def test_assets_and_contracts_with_dates_near_the_calendars_ends_are_422(
    clients: dict[str, FlaskClient], engine: Engine, dmo_items: list[str]
) -> None:
    catalog = clients["catalog"]
    for bad in ({"valid_to": "9999-12-31"}, {"valid_from": "0001-01-01"}):
        with nothing_written(engine):
            response = catalog.post(
                ASSETS, headers=auth("owner-dhc"), json=asset_body(tariff=tariff(**bad))
            )
        assert set(bad) <= set(assert_problem(response, 422, "tariff")["errors"]["tariff"])
        with nothing_written(engine):
            response = catalog.post(CONTRACTS, headers=DMO, json=contract_body(dmo_items, **bad))
        assert_problem(response, 422, *bad)


def test_a_blackout_at_the_supported_end_is_stored_and_read_back(
    clients: dict[str, FlaskClient], ruled_asset: str
) -> None:
    catalog = clients["catalog"]
    response = catalog.post(
        f"{ASSETS}/{ruled_asset}/blackouts",
        headers=auth("owner-dhc"),
        json={"start_at": "9998-12-31T00:00-12:00", "end_at": "9998-12-31T23:59-12:00",
              "reason": "Ver weg"},
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    listed = catalog.get(f"{ASSETS}/{ruled_asset}/blackouts", headers=auth("owner-dhc"))
    assert response.get_json()["id"] in {b["id"] for b in listed.get_json()["items"]}


# -- If-Match: strong comparison, and * --------------------------------------------------------
def test_if_match_star_matches_whatever_version_is_current(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    asset = register(catalog)
    url = f"{ASSETS}/{asset['id']}"
    for expected_version, name in [(2, "Star one"), (3, "Star two")]:
        response = catalog.patch(
            url, headers={**auth("owner-dhc"), "If-Match": "*"}, json={"name": name}
        )
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["version"] == expected_version
        assert response.headers["ETag"] == f'"v{expected_version}"'
    assert events_of(engine, asset["id"]).count("catalog.asset.updated") == 2
    # * still needs the asset to exist, and the caller to own it.
    with nothing_written(engine):
        response = catalog.patch(
            f"{ASSETS}/{uuid.uuid4()}",
            headers={**auth("owner-dhc"), "If-Match": "*"},
            json={"name": "Nobody"},
        )
    assert_problem(response, 404)
    with nothing_written(engine):
        response = catalog.patch(
            url, headers={**auth("owner-duikgroep"), "If-Match": "*"}, json={"name": "Not mine"}
        )
    assert_problem(response, 403)


@pytest.mark.parametrize(
    "if_match",
    ['W/"v1"', "W/v1", ' W/"v1" ', '"v\u00b9"', '"v\u0661"', '"v' + "1" * 5000 + '"', '"v-1"'],
    ids=["weak", "weak-unquoted", "weak-padded", "superscript", "arabic-digit", "huge", "neg"],
)
def test_a_weak_or_malformed_if_match_is_412_and_writes_nothing(
    clients: dict[str, FlaskClient], engine: Engine, if_match: str
) -> None:
    catalog = clients["catalog"]
    asset = register(catalog)
    with nothing_written(engine):
        response = catalog.patch(
            f"{ASSETS}/{asset['id']}",
            headers={**auth("owner-dhc"), "If-Match": if_match},
            json={"name": "Weakly matched"},
        )
    assert_problem(response, 412)
    assert etag(catalog, asset["id"]) == '"v1"'
    # The same tag, strong, matches.
    response = catalog.patch(
        f"{ASSETS}/{asset['id']}",
        headers={**auth("owner-dhc"), "If-Match": '"v1"'},
        json={"name": "Strongly matched"},
    )
    assert response.status_code == 200, response.get_json()


# -- the window's note travels in the asset snapshot ---------------------------------------
def outbox_payloads(engine: Engine, aggregate_id: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT payload FROM outbox WHERE aggregate_id = :a ORDER BY id"),
                {"a": aggregate_id},
            ).scalars()
        )


def test_a_windows_note_is_in_every_later_asset_event(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    from shared.events import validate_event

    catalog = clients["catalog"]
    asset = register(catalog)
    day = date.today() + timedelta(days=4)
    window = publish(
        catalog,
        asset["id"],
        {"kind": "one_off", "start_at": local(day, 8).isoformat(),
         "end_at": local(day, 18).isoformat(), "note": "Alleen met eigen bemanning"},
    )  # fmt: skip
    plain = publish(
        catalog,
        asset["id"],
        {"kind": "recurring", "weekdays": [6], "start_time": "09:00", "end_time": "12:00",
         "valid_from": day.isoformat(), "valid_to": (day + timedelta(days=14)).isoformat()},
    )  # fmt: skip
    assert window["note"] == "Alleen met eigen bemanning" and plain["note"] is None
    response = catalog.patch(
        f"{ASSETS}/{asset['id']}",
        headers={**auth("owner-dhc"), "If-Match": '"v3"'},
        json={"name": "NH90 met notitie"},
    )
    assert response.status_code == 200, response.get_json()
    published, updated = outbox_payloads(engine, asset["id"])[-2:]
    assert published["type"] == "catalog.availability.published"
    assert updated["type"] == "catalog.asset.updated"
    for event in (published, updated):
        validate_event(event)
        notes = {w["window_id"]: w["note"] for w in event["data"]["availability"]}
        assert notes == {window["id"]: "Alleen met eigen bemanning", plain["id"]: None}


# -- tariff periods are Dutch dates ------------------------------------------------------------
def test_a_window_is_inside_a_tariff_period_by_its_dutch_date_in_any_offset(
    clients: dict[str, FlaskClient], engine: Engine
) -> None:
    catalog = clients["catalog"]
    first_day = date.today() + timedelta(days=20)  # the tariff starts on this Dutch date
    aid = register(catalog, tariff=tariff(valid_from=first_day.isoformat()))["id"]
    start = local(first_day, 0, 30)  # 00:30 in Amsterdam: still the day before in UTC
    end = local(first_day, 6)
    assert start.astimezone(UTC).date() == first_day - timedelta(days=1)
    for sent in (
        (start.isoformat(), end.isoformat()),
        (start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()),
        (
            start.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ"),
            end.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ"),
        ),
    ):
        window = publish(catalog, aid, {"kind": "one_off", "start_at": sent[0], "end_at": sent[1]})
        assert instant(window["start_at"]) == start
    # 23:30 the evening before in Amsterdam lies before the tariff, even written in an offset
    # in which it is already the first day.
    eve = local(first_day - timedelta(days=1), 23, 30)
    east = ZoneInfo("Asia/Tokyo")
    body = {
        "kind": "one_off",
        "start_at": eve.astimezone(east).isoformat(),
        "end_at": (eve + timedelta(hours=2)).astimezone(east).isoformat(),
    }
    assert body["start_at"][:10] == first_day.isoformat()
    with nothing_written(engine):
        response = catalog.post(
            f"{ASSETS}/{aid}/availability", headers=auth("owner-dhc"), json=body
        )
    assert "tariff" in assert_problem(response, 422, "start_at")["detail"]


def test_a_window_ending_at_midnight_needs_no_tariff_for_the_next_day(
    clients: dict[str, FlaskClient],
) -> None:
    catalog = clients["catalog"]
    last_day = date.today() + timedelta(days=15)
    aid = register(
        catalog,
        tariff=tariff(
            valid_from=date.today().isoformat(),
            valid_to=(last_day + timedelta(days=1)).isoformat(),  # exclusive
        ),
    )["id"]
    publish(
        catalog,
        aid,
        {"kind": "one_off", "start_at": local(last_day, 18).isoformat(),
         "end_at": local(last_day + timedelta(days=1)).isoformat()},
    )  # fmt: skip
    # A weekly rule running past midnight on its last day uses the next day: refused.
    response = catalog.post(
        f"{ASSETS}/{aid}/availability",
        headers=auth("owner-dhc"),
        json={"kind": "recurring", "weekdays": [1, 2, 3, 4, 5, 6, 7], "start_time": "22:00",
              "end_time": "02:00", "valid_from": date.today().isoformat(),
              "valid_to": last_day.isoformat()},
    )  # fmt: skip
    assert_problem(response, 422, "valid_to")
    publish(
        catalog,
        aid,
        {"kind": "recurring", "weekdays": [1, 2, 3, 4, 5, 6, 7], "start_time": "22:00",
         "end_time": "00:00", "valid_from": date.today().isoformat(),
         "valid_to": last_day.isoformat()},
    )  # fmt: skip


# -- demo data: availability 90 days ahead on every start ------------------------------------
@pytest.fixture
def demo_catalog(pg_admin_url: str) -> Iterator[Settings]:
    """A catalog database of its own: the demo's 41 assets stay out of the shared one."""
    url = database_url(pg_admin_url, f"sk_demo_{uuid.uuid4().hex[:8]}_catalog")
    ensure_database(url)
    try:
        settings = load_settings("catalog", {"DATABASE_URL": url})
        upgrade("catalog", settings.database_url)
        yield settings
    finally:
        drop_database(url)


def test_demo_assets_are_available_90_days_ahead_on_every_start(demo_catalog: Settings) -> None:
    engine = make_engine(demo_catalog.database_url, pool_size=1)
    factory = make_session_factory(engine)
    today = date.today()

    def reachable(day: date) -> dict[str, bool]:
        """Per demo asset with availability: does it offer any time in the 4 days from
        ``day``?"""
        lo = datetime.combine(day, time(0), UTC)
        with UnitOfWork(factory, producer="catalog") as uow:
            assets = uow.session.execute(
                text("SELECT id, registration FROM assets WHERE registration NOT LIKE 'PRC-%'")
            ).all()
            return {
                a.registration: bool(
                    catalog_availability.concrete_availability(
                        uow, asset_id=a.id, start=lo, end=lo + timedelta(days=4)
                    ).items
                )
                for a in assets
            }

    def demo_windows() -> dict[str, int]:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT a.registration, count(w.id) AS n FROM assets a"
                    " LEFT JOIN availability_windows w ON w.asset_id = a.id"
                    " AND w.created_by LIKE 'demo-%' GROUP BY a.registration"
                )
            ).all()
        return {r.registration: r.n for r in rows}

    try:
        first = load_catalog_demo(demo_catalog, today)
        assert first == {"assets": 41, "contracts": 3, "extended": 0}
        available_assets = reachable(today + timedelta(days=85))
        assert len(available_assets) == 33 and all(available_assets.values())
        assert not any(reachable(today + timedelta(days=91)).values())

        # An owner's own window and a retired demo asset are left alone.
        with UnitOfWork(factory, producer="catalog") as uow:
            (chinook,) = uow.session.execute(
                text("SELECT id FROM assets WHERE registration = 'D-101'")
            ).scalars()
            (retired,) = uow.session.execute(
                text("SELECT id FROM assets WHERE registration = 'D-104'")
            ).scalars()
            dhc = Principal(
                sub="owner-dhc", name="DHC", org="defensie-dhc", roles=frozenset({OWNER})
            )
            own = catalog_availability.publish_window(
                uow,
                principal=dhc,
                asset_id=chinook,
                command=PublishWindow(kind="one_off", note="demo",
                    start_at=datetime.combine(today, time(6), UTC),
                    end_at=datetime.combine(today + timedelta(days=2), time(6), UTC)),
            )  # fmt: skip
            catalog_assets.retire_asset(
                uow, principal=dhc, asset_id=retired, command=RetireAsset(reason="Demo-test")
            )
        windows_before = demo_windows()

        # Five days later: every asset again reaches 90 days ahead, with one loader window each.
        later = today + timedelta(days=5)
        extended = load_catalog_demo(demo_catalog, later)
        assert extended == {"assets": 0, "contracts": 0, "extended": 32}
        now_available = reachable(today + timedelta(days=91))
        assert {r for r, ok in now_available.items() if not ok} == {"D-104"}
        assert demo_windows() == windows_before
        with engine.connect() as conn:
            kept = conn.execute(
                text("SELECT count(*) FROM availability_windows WHERE id = :i"), {"i": own.id}
            ).scalar_one()
        assert kept == 1

        # A second start that day writes nothing at all.
        tables = ("assets", "availability_windows", "framework_contracts", "outbox")

        def table_counts() -> dict[str, int]:
            with engine.connect() as conn:
                return {
                    t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
                    for t in tables
                }

        settled = table_counts()
        again = load_catalog_demo(demo_catalog, later)
        assert again == {"assets": 0, "contracts": 0, "extended": 0}
        assert table_counts() == settled
    finally:
        engine.dispose()
