"""The national pages through the real portal process over HTTP, against the demo data: the
efficiency dashboard's tables hold the efficiency API's figures (and draw charts from them),
the evaluation page shows all 25 safety regions in its tables and on its map, the CSV links
answer CSV, and a planner or an owner is refused."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
import requests

from services.portal.views.national.common import current_quarter
from services.portal.views.national.evaluation import default_periods
from tests.portal.client import PortalClient
from tests.portal.national_support import SEEDED_BASELINE, SEEDED_PERIOD, SEEDED_USES
from tests.support import auth

pytestmark = [pytest.mark.db, pytest.mark.broker]

REGIONS = {f"VR{n:02d}" for n in range(1, 26)}
GROUPS = ("category", "owner", "requester", "region")
DASHBOARD_FIGURES = (
    "utilisation",
    "joint_use_hours",
    "avoided_cost",
    "procurement_savings",
    "police_paid",
    "fulfilled_share",
)


@pytest.fixture
def controller(portal_stack: dict[str, str]) -> PortalClient:
    client = PortalClient(portal_stack["portal"])
    client.sign_in("controller")
    return client


def api(portal_stack: dict[str, str], path: str, **params: str) -> Any:
    response = requests.get(
        f"{portal_stack['costsharing']}/api/v1{path}",
        params=params,
        headers=auth("controller"),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def element(html: str, tag: str, id_: str) -> str:
    """The markup of the element ``<tag id="id_">`` up to its end tag (no nesting)."""
    found = re.search(rf'<{tag}\b[^>]*\bid="{re.escape(id_)}".*?</{tag}>', html, re.S)
    assert found, f"no <{tag} id={id_!r}> in the page"
    return found.group(0)


def table_values(table: str) -> dict[str, dict[str, str]]:
    """{row key: {figure: data-value}} of a dashboard table."""
    rows: dict[str, dict[str, str]] = {}
    for key, body in re.findall(r'<tr data-key="([^"]*)">(.*?)</tr>', table, re.S):
        cells = re.findall(r'data-figure="(\w+)" data-value="([^"]*)"', body)
        rows[unescape(key)] = dict(cells)
    return rows


def as_cell(value: Any) -> str:
    return "" if value is None else str(value)


@pytest.mark.parametrize("period", [SEEDED_PERIOD, current_quarter()])
def test_dashboard_tables_hold_the_efficiency_apis_figures(
    controller: PortalClient, portal_stack: dict[str, str], national_seeded: None, period: str
) -> None:
    page = controller.get("/national/efficiency", params={"period": period})
    assert page.status_code == 200, page.text
    for group_by in GROUPS:
        expected = {
            row[group_by]: {f: as_cell(row[f]) for f in DASHBOARD_FIGURES}
            for row in api(portal_stack, "/efficiency", period=period, group_by=group_by)["rows"]
        }
        shown = table_values(element(page.text, "table", f"table-{group_by}"))
        assert shown == expected, group_by
    assert table_values(element(page.text, "table", "table-category")), "no demo assets"
    if period == SEEDED_PERIOD:
        regions = table_values(element(page.text, "table", "table-region"))
        assert regions["VR24"]["joint_use_hours"] == "12.00"  # 8 uses of 1.5 h


def test_dashboard_quarters_sum_the_quarters_figures(
    controller: PortalClient, portal_stack: dict[str, str]
) -> None:
    period = current_quarter()
    page = controller.get("/national/efficiency", params={"period": period})
    quarters = table_values(element(page.text, "table", "table-quarter"))
    assert list(quarters) == [f"{period[:4]}-Q{q}" for q in range(1, 5)]
    rows = api(portal_stack, "/efficiency", period=period, group_by="category")["rows"]
    hours = sum(float(r["joint_use_hours"]) for r in rows)
    paid = sum(float(r["police_paid"]) for r in rows)
    assert float(quarters[period]["joint_use_hours"]) == pytest.approx(hours)
    assert float(quarters[period]["police_paid"]) == pytest.approx(paid)


def test_dashboard_draws_charts_from_accessible_tables(controller: PortalClient) -> None:
    page = controller.get("/national/efficiency", params={"figure": "avoided_cost"})
    html = page.text
    assert "/static/vendor/chart.umd.min.js" in html and "/static/charts.js" in html
    tables = re.findall(r"<table\b[^>]*data-chart=\"bar\"[^>]*>", html)
    assert len(tables) == 5  # the quarters and the four groupings
    # The chosen figure is the chart's column: avoided cost is the third figure.
    assert all('data-chart-column="3"' in t for t in tables)
    assert html.count("<caption") >= 5
    assert 'scope="row"' in html and 'scope="col"' in html
    assert controller.get("/static/charts.js").status_code == 200
    assert controller.get("/static/vendor/chart.umd.min.js").status_code == 200


def test_dashboard_csv_has_a_line_per_row(
    controller: PortalClient, portal_stack: dict[str, str]
) -> None:
    period = current_quarter()
    page = controller.get("/national/efficiency", params={"period": period})
    link = re.search(r'href="(/national/efficiency\.csv\?[^"]*group_by=owner[^"]*)"', page.text)
    assert link, "no CSV link for the owners' table"
    answer = controller.get(unescape(link.group(1)))
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in answer.headers["Content-Disposition"]
    lines = answer.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].split(";") == ["owner", *DASHBOARD_FIGURES]
    rows = api(portal_stack, "/efficiency", period=period, group_by="owner")["rows"]
    assert len(lines) == len(rows) + 1
    assert {line.split(";")[0] for line in lines[1:]} == {r["owner"] for r in rows}


def test_evaluation_page_shows_every_region_in_tables_and_on_the_map(
    controller: PortalClient, portal_stack: dict[str, str]
) -> None:
    baseline, period = default_periods()
    page = controller.get("/national/evaluation", params={"baseline": baseline, "period": period})
    assert page.status_code == 200, page.text
    html = page.text
    svg = re.search(r"<svg class=\"portal-map__svg\".*?</svg>", html, re.S)
    assert svg, "no map"
    assert 'role="img"' in svg.group(0) and 'aria-labelledby="map-title map-desc"' in svg.group(0)
    shapes = re.findall(r'<path [^>]*data-region="(VR\d\d)"', svg.group(0))
    assert sorted(shapes) == sorted(REGIONS)  # 25 elements, each region once
    assert re.search(r'<ul class="portal-legend"[^>]*>\s*<li', html), "no legend"
    for table in ("map-table", "requests-table", "use-table"):
        codes = re.findall(r'<tr data-region="(VR\d\d)"', element(html, "table", table))
        assert set(codes) >= REGIONS, table
    assert element(html, "table", "national-table")


def test_the_map_classes_the_regions_by_the_chosen_figure(
    controller: PortalClient, national_seeded: None
) -> None:
    page = controller.get(
        "/national/evaluation",
        params={"baseline": SEEDED_BASELINE, "period": SEEDED_PERIOD, "figure": "fulfilled"},
    )
    classes = dict(re.findall(r'data-region="(VR\d\d)" data-class="(\w+)"', page.text))
    assert {code: classes[code] for code in SEEDED_USES} == {
        "VR24": "c4",  # 8: above 6, up to 8
        "VR01": "c2",  # 4: above 2, up to 4
        "VR09": "c1",  # 2: up to 2
        "VR17": "c1",
    }
    assert {classes[code] for code in REGIONS - set(SEEDED_USES)} == {"zero"}
    legend = dict(
        re.findall(
            r'<li class="portal-legend__item" data-class="(\w+)">.*?</svg>\s*([^<]+)<',
            page.text,
            re.S,
        )
    )
    assert set(legend) == {"zero", "c1", "c2", "c4"}  # only the classes the map uses
    assert "8" in legend["c4"] and "6" in legend["c4"]
    barely = re.findall(r'<li data-region="(VR\d\d)"', element(page.text, "ul", "barely-involved"))
    assert set(barely) == REGIONS - {"VR24", "VR01"}  # fewer than 3 fulfilled


def test_the_map_shows_the_reports_figure_per_region(
    controller: PortalClient, portal_stack: dict[str, str]
) -> None:
    baseline, period = default_periods()
    report = api(portal_stack, "/evaluation", baseline=baseline, period=period)
    page = controller.get(
        "/national/evaluation",
        params={"baseline": baseline, "period": period, "figure": "joint_use_hours"},
    )
    table = element(page.text, "table", "map-table")
    shown = dict(re.findall(r'<tr data-region="(VR\d\d)">.*?data-value="([^"]*)"', table, re.S))
    expected = {
        row["region"]: row["period"]["joint_use_hours"]
        for row in report["rows"]
        if row["region"] in REGIONS
    }
    assert {code: shown[code] for code in REGIONS} == expected
    # Every region's shape has a class the legend names.
    classes = set(re.findall(r'data-region="VR\d\d" data-class="(\w+)"', page.text))
    legend = set(re.findall(r'<li class="portal-legend__item" data-class="(\w+)"', page.text))
    assert classes and classes <= legend


def test_the_evaluation_csv_is_the_apis(
    controller: PortalClient, portal_stack: dict[str, str]
) -> None:
    baseline, period = default_periods()
    page = controller.get("/national/evaluation", params={"baseline": baseline, "period": period})
    link = re.search(r'href="(/national/evaluation\.csv\?[^"]*)"', page.text)
    assert link
    answer = controller.get(unescape(link.group(1)))
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    direct = requests.get(
        f"{portal_stack['costsharing']}/api/v1/evaluation",
        params={"baseline": baseline, "period": period},
        headers={**auth("controller"), "Accept": "text/csv"},
        timeout=30,
    )
    assert answer.content == direct.content
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert {line.split(";")[0] for line in lines[1:]} >= REGIONS


def test_a_refused_period_is_shown_next_to_its_field(controller: PortalClient) -> None:
    page = controller.get(
        "/national/evaluation", params={"baseline": "2026-Q4", "period": "2026-Q1"}
    )
    assert page.status_code == 200
    assert 'id="error-summary"' in page.text
    assert re.search(r'id="f-baseline"[^>]*aria-invalid="true"', page.text)
    assert "data-region=" not in page.text  # no report, no map


@pytest.mark.parametrize("persona", ["planner-rotterdam", "owner-dhc"])
@pytest.mark.parametrize(
    "path",
    ["/national/efficiency", "/national/evaluation", "/national/evaluation.csv"],
)
def test_planners_and_owners_are_refused(
    portal_stack: dict[str, str], persona: str, path: str
) -> None:
    client = PortalClient(portal_stack["portal"])
    client.sign_in(persona)
    assert client.get(path).status_code == 403


def test_administrators_and_every_finance_role_see_the_pages(
    portal_stack: dict[str, str],
) -> None:
    for persona in ("admin", "finance-politie", "finance-defensie"):
        client = PortalClient(portal_stack["portal"])
        client.sign_in(persona)
        home = client.get("/")
        assert 'href="/national/evaluation"' in home.text, persona
        assert client.get("/national/evaluation").status_code == 200, persona
        assert client.get("/national/efficiency").status_code == 200, persona
