"""What the national and public pages share between readers, against a stand-in API that
records every call: the efficiency figures and the evaluation are read from cost-sharing once
per process and period for the cache's TTL (a year of data takes the API seconds), and the
public register names each safety region from catalog's public reference data, asked
without a token, in Dutch and in English."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.costsharing.evaluation import NOTHING
from services.portal.app import create_app
from services.portal.config import load_config
from tests.portal.client import csrf_token
from tests.portal.fake_api import FakeApi, running_fake_api

REGIONS = {"items": [{"code": "VR17", "name": "Rotterdam-Rijnmond"}], "next_cursor": None}
DEPLOYMENT = {
    "id": "0b7d7c2e-5a1f-4b8e-9c3d-2f6a1e4b5c6d",
    "date": "2026-11-20",
    "category": "drone",
    "region": "VR17",
    "region_source": "request",
    "purpose_class": "search",
    "legal_basis": "bijstand_politiewet",
    "operator_org": "defensie-306sqn",
}
EVALUATION = {
    "baseline": "2026-Q1",
    "period": "2026-Q4",
    "currency": "EUR",
    "illustrative_prices": True,
    "barely_involved_below_fulfilled": 3,
    "rows": [{"region": "VR17", "baseline": NOTHING, "period": NOTHING}],
    "unattributed": {"baseline": NOTHING, "period": NOTHING},
    "national": {"baseline": NOTHING, "period": NOTHING},
}


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    with running_fake_api() as fake:
        fake.answer("GET", "/regions", 200, REGIONS)
        fake.answer("GET", "/efficiency", 200, {"rows": []})
        fake.answer("POST", "/efficiency/batch", 200, {"items": [{"rows": []}] * 7})
        fake.answer("GET", "/evaluation", 200, EVALUATION)
        fake.answer("GET", "/public/regions", 200, REGIONS)
        page = {"items": [DEPLOYMENT], "next_cursor": None}
        fake.answer("GET", "/public/drone-deployments", 200, page)
        yield fake


@pytest.fixture
def app(fake_api: FakeApi) -> Flask:
    urls = {f"{name}_URL": fake_api.url for name in ("CATALOG", "BOOKING", "COSTSHARING")}
    config = load_config({**urls, "NOTIFY_URL": fake_api.url, "PORTAL_READ_TIMEOUT_S": "2"})
    return create_app({"PORTAL_CONFIG": config, "TESTING": True})


def signed_in(app: Flask, persona: str) -> FlaskClient:
    client = app.test_client()
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in/persona",
        data={"persona": persona, "csrf_token": csrf_token(page.text), "next": "/"},
    )
    assert response.status_code == 302
    return client


def calls(fake: FakeApi, path: str) -> list[dict[str, Any]]:
    return [seen for seen in fake.seen if seen["path"] == f"/api/v1{path}"]


def efficiency_asked(fake: FakeApi) -> list[tuple[str, str]]:
    """Every (period, grouping) the portal asked cost-sharing for, one by one or in a batch."""
    single = [(c["args"]["period"], c["args"]["group_by"]) for c in calls(fake, "/efficiency")]
    batched = [
        (item["period"], item["group_by"])
        for c in calls(fake, "/efficiency/batch")
        for item in c["json"]["items"]
    ]
    return single + batched


def test_the_dashboard_reads_each_grouping_once_for_every_reader(
    app: Flask, fake_api: FakeApi
) -> None:
    controller, finance = signed_in(app, "controller"), signed_in(app, "finance-defensie")
    first = controller.get("/national/efficiency", query_string={"period": "2026-Q4"})
    assert first.status_code == 200
    asked = set(efficiency_asked(fake_api))
    # The quarter's four groupings and the year's four quarters by category, each once.
    assert asked == {("2026-Q4", g) for g in ("category", "owner", "requester", "region")} | {
        (f"2026-Q{q}", "category") for q in range(1, 4)
    }
    assert len(efficiency_asked(fake_api)) == len(asked)

    for client in (controller, finance):
        again = client.get("/national/efficiency", query_string={"period": "2026-Q4"})
        assert again.status_code == 200
    csv = finance.get(
        "/national/efficiency.csv", query_string={"period": "2026-Q4", "group_by": "region"}
    )
    assert csv.status_code == 200
    assert len(efficiency_asked(fake_api)) == len(asked)  # nothing asked again
    other = controller.get("/national/efficiency", query_string={"period": "2025-Q4"})
    assert other.status_code == 200
    # Another year: its own figures (its fourth quarter is read once for both tables).
    assert len(efficiency_asked(fake_api)) == 2 * len(asked)


def test_the_dashboard_asks_for_the_figures_it_lacks_in_one_call(
    app: Flask, fake_api: FakeApi
) -> None:
    """A dashboard without shared copies asks cost-sharing once for its seven tables (which
    adds each period up once), not seven times one after the other; a table it holds from a
    CSV download is not asked again."""
    controller = signed_in(app, "controller")
    csv = controller.get(
        "/national/efficiency.csv", query_string={"period": "2026-Q4", "group_by": "owner"}
    )
    assert csv.status_code == 200
    fake_api.answer("POST", "/efficiency/batch", 200, {"items": [{"rows": []}] * 6})
    page = controller.get("/national/efficiency", query_string={"period": "2026-Q4"})
    assert page.status_code == 200
    (batch,) = calls(fake_api, "/efficiency/batch")
    assert len(batch["json"]["items"]) == 6
    assert {"period": "2026-Q4", "group_by": "owner"} not in batch["json"]["items"]
    assert len(calls(fake_api, "/efficiency")) == 1  # the CSV's


def test_the_evaluation_is_read_once_per_pair_of_periods(app: Flask, fake_api: FakeApi) -> None:
    controller, admin = signed_in(app, "controller"), signed_in(app, "admin")
    periods = {"baseline": "2026-Q1", "period": "2026-Q4"}
    for client in (controller, admin, controller):
        page = client.get("/national/evaluation", query_string=periods)
        assert page.status_code == 200 and 'data-region="VR17"' in page.text
    assert len(calls(fake_api, "/evaluation")) == 1
    # A planner is refused before anything shared is shown.
    assert signed_in(app, "planner-rotterdam").get("/national/evaluation").status_code == 403


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_register_names_the_safety_region_beside_its_code(
    app: Flask, fake_api: FakeApi, language: str
) -> None:
    anonymous = app.test_client()
    anonymous.set_cookie("portal_lang", language)
    page = anonymous.get("/openbaar/drone-inzet")

    assert page.status_code == 200
    row = page.text.split(f'data-deployment="{DEPLOYMENT["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "Rotterdam-Rijnmond" in row and "VR17" in row
    (asked,) = calls(fake_api, "/public/regions")  # catalog's public list, without a token
    assert "Authorization" not in asked["headers"]
    feed = anonymous.get("/openbaar/drone-inzet.atom")
    assert "Rotterdam-Rijnmond (VR17)" in feed.get_data(as_text=True)
    assert len(calls(fake_api, "/public/regions")) == 1  # shared for the cache's TTL


def test_the_register_shows_codes_alone_when_catalog_cannot_name_them(
    app: Flask, fake_api: FakeApi
) -> None:
    fake_api.answer("GET", "/public/regions", 503, {"title": "Service Unavailable"})
    page = app.test_client().get("/openbaar/drone-inzet")

    assert page.status_code == 200
    row = page.text.split(f'data-deployment="{DEPLOYMENT["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "VR17" in row and "Rotterdam-Rijnmond" not in row
