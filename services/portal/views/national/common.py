"""Pieces the national pages share: periods, the names of groups, figures as the user reads
them, and CSV answers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from flask import Response, g
from flask_babel import format_decimal, format_percent
from flask_babel import lazy_gettext as _l

from services.portal.cache import shared_cache
from services.portal.clients import apis
from services.portal.i18n import AMSTERDAM, money_filter
from services.portal.labels import CATEGORIES
from services.portal.views.national import bp
from shared.auth import ADMIN, FINANCE

# Who reads the national figures: as the cost-sharing API allows them.
NATIONAL_ROLES = (FINANCE, ADMIN)
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
NO_REGION = _l("No region (orders)")


def current_quarter() -> str:
    today = datetime.now(AMSTERDAM).date()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def quarters_of_year(period: str) -> list[str]:
    """The four quarters of the year a period (2026-Q4, 2026-11) lies in."""
    year = period[:4]
    return [f"{year}-Q{q}" for q in range(1, 5)]


def is_period(value: str) -> bool:
    return bool(QUARTER.fullmatch(value) or MONTH.fullmatch(value))


def efficiency_rows(period: str, group_by: str) -> list[dict[str, Any]]:
    """Cost-sharing's efficiency figures of a period by a grouping, shared by this process's
    readers for the cache's TTL (60 s): they are the same for everyone the portal lets see
    them (NATIONAL_ROLES, the API's own roles), and a year of data takes the API seconds to
    add up (docs/benchmarks.md, "Portal: the national pages")."""
    answer: dict[str, Any] = shared_cache().get_or_load(
        ("efficiency", period, group_by), partial(apis().costsharing.efficiency, period, group_by)
    )
    return list(answer["rows"])


class _NotHeld(Exception):
    """This process holds no copy (a load that raises stores nothing)."""


def _held(key: tuple[str, ...]) -> Any:
    def not_held() -> Any:
        raise _NotHeld

    try:
        return shared_cache().get_or_load(key, not_held)
    except _NotHeld:
        return None


def efficiency_tables(
    asked: Sequence[tuple[str, str]],
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The rows of each (period, grouping) asked, shared as efficiency_rows shares them; the
    ones this process does not hold come in one call (cost-sharing adds each period up once
    for all its groupings) rather than one call each."""
    answers = {key: _held(("efficiency", *key)) for key in dict.fromkeys(asked)}
    missing = [key for key, answer in answers.items() if answer is None]
    if missing:
        fetched = apis().costsharing.efficiency_batch(missing)
        for key, answer in zip(missing, fetched, strict=True):
            keep: Callable[[], Any] = partial(dict, answer)  # stored, as a load would be
            answers[key] = shared_cache().get_or_load(("efficiency", *key), keep)
    return {key: list(answer["rows"]) for key, answer in answers.items()}


def evaluation_report(baseline: str, period: str) -> dict[str, Any]:
    """Cost-sharing's evaluation of ``period`` against ``baseline``, shared as the efficiency
    figures are (a refused pair of periods is a problem, and nothing is stored)."""
    report: dict[str, Any] = shared_cache().get_or_load(
        ("evaluation", baseline, period),
        partial(apis().costsharing.evaluation, baseline, period),
    )
    return report


def region_names() -> dict[str, str]:
    """Catalog's region names, read once per page (a label per row asks for them)."""
    if "national_region_names" not in g:
        regions = shared_cache().get_or_load("regions", apis().catalog.regions)
        g.national_region_names = {r["code"]: r["name"] for r in regions}
    names: dict[str, str] = g.national_region_names
    return names


def organisation_names() -> dict[str, str]:
    """Catalog's organisation names, read once per page."""
    if "national_organisation_names" not in g:
        organisations = shared_cache().get_or_load("organisations", apis().catalog.organisations)
        g.national_organisation_names = {o["id"]: o["name"] for o in organisations}
    names: dict[str, str] = g.national_organisation_names
    return names


def group_label(group_by: str, key: str) -> str:
    """A group's name in the user's language (a code without a name is shown as it is)."""
    if group_by == "quarter":
        return key
    if group_by == "category":
        return str(CATEGORIES.get(key, key))
    if group_by == "region":
        return str(NO_REGION) if key == "unknown" else region_names().get(key, key)
    return organisation_names().get(key, key)


# How each figure reads: a share as a percentage, money in euros, the rest as numbers.
SHARES = ("utilisation", "fulfilled_share")
MONEY = ("avoided_cost", "procurement_savings", "police_paid")


def figure_text(figure: str, value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if figure in SHARES:
        return str(format_percent(Decimal(str(value)), "#,##0.0%"))
    if figure in MONEY:
        return money_filter(value)
    return str(format_decimal(Decimal(str(value)), "#,##0.##"))


@bp.app_template_filter("national_figure")
def national_figure(value: Any, figure: str) -> str:
    return figure_text(figure, value)


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """Dutch spreadsheet conventions, as cost-sharing's CSVs: ';' between fields, ',' in
    decimals, a UTF-8 BOM so Excel reads the accents."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else str(v).replace(".", ",") for v in row])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
