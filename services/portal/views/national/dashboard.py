"""The efficiency dashboard: the six figures of "more safety for the same money" per quarter
of a year and, for one period, per category, owner, requesting unit and safety region — each
as a table (the content, and the alternative for screen readers) that static/charts.js draws
as a chart; each table also as CSV."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from services.portal.auth import role_required
from services.portal.views.national import bp
from services.portal.views.national.common import (
    NATIONAL_ROLES,
    csv_response,
    current_quarter,
    efficiency_rows,
    efficiency_tables,
    group_label,
    is_period,
    quarters_of_year,
)

# The dashboard's figures, in the order of the tables' columns.
FIGURES: dict[str, Any] = {
    "utilisation": _l("Utilisation"),
    "joint_use_hours": _l("Hours of joint use"),
    "avoided_cost": _l("Avoided cost"),
    "procurement_savings": _l("Procurement savings"),
    "police_paid": _l("Police paid"),
    "fulfilled_share": _l("Share fulfilled"),
}
GROUPS: dict[str, Any] = {
    "category": _l("By category"),
    "owner": _l("By owner"),
    "requester": _l("By requesting unit"),
    "region": _l("By safety region"),
}
GROUP_HEADINGS: dict[str, Any] = {
    "category": _l("Category"),
    "owner": _l("Owner"),
    "requester": _l("Requesting unit"),
    "region": _l("Safety region"),
    "quarter": _l("Quarter"),
}
SUMMED = ("published_hours", "booked_hours", "joint_use_hours", *list(FIGURES)[2:5])


def _chosen(name: str, allowed: Any, default: str) -> str:
    value = request.args.get(name, "").strip()
    return value if value in allowed else default


def _period() -> str:
    value = request.args.get("period", "").strip()
    return value if is_period(value) else current_quarter()


def quarter_totals(period: str, rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A whole period's figures: its category rows (given, else fetched) summed (utilisation
    and the share fulfilled from the summed hours and counts, not averaged)."""
    if rows is None:
        rows = efficiency_rows(period, "category")
    totals = {f: sum((Decimal(str(r[f])) for r in rows), Decimal(0)) for f in SUMMED}
    decided = sum(r["requests_decided"] for r in rows)
    fulfilled = sum(round((r["fulfilled_share"] or 0) * r["requests_decided"]) for r in rows)
    published = totals.pop("published_hours")
    booked = totals.pop("booked_hours")
    return {
        "quarter": period,
        **{f: str(v) for f, v in totals.items()},
        "utilisation": round(booked / published, 4) if published else None,
        "fulfilled_share": round(fulfilled / decided, 4) if decided else None,
    }


def _table(group_by: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "group_by": group_by,
        "rows": [
            {
                "key": row[group_by],
                "label": group_label(group_by, row[group_by]),
                "figures": {f: row.get(f) for f in FIGURES},
            }
            for row in rows
        ],
    }


@bp.get("/efficiency")
@role_required(*NATIONAL_ROLES)
def efficiency() -> str:
    period = _period()
    figure = _chosen("figure", FIGURES, "joint_use_hours")
    quarters = quarters_of_year(period)
    # The period's four groupings and its year's quarters (by category), fetched together.
    fetched = efficiency_tables(
        [*((period, g) for g in GROUPS), *((q, "category") for q in quarters)]
    )
    tables = {group_by: _table(group_by, fetched[period, group_by]) for group_by in GROUPS}
    by_quarter = _table("quarter", [quarter_totals(q, fetched[q, "category"]) for q in quarters])
    return render_template(
        "national/efficiency.html",
        period=period,
        figure=figure,
        figures=FIGURES,
        groups=GROUPS,
        headings=GROUP_HEADINGS,
        tables=tables,
        by_quarter=by_quarter,
        chart_column=list(FIGURES).index(figure) + 1,
    )


@bp.get("/efficiency.csv")
@role_required(*NATIONAL_ROLES)
def efficiency_csv() -> Response:
    """One table of the dashboard (a grouping, or the quarters) as CSV, raw figures."""
    period = _period()
    group_by = request.args.get("group_by", "")
    if group_by == "quarter":
        rows = [quarter_totals(q) for q in quarters_of_year(period)]
    elif group_by in GROUPS:
        rows = efficiency_rows(period, group_by)
    else:
        abort(404)
    return csv_response(
        f"slagkracht-efficientie-{period}-{group_by}.csv",
        [group_by, *FIGURES],
        ([row[group_by], *(row.get(f) for f in FIGURES)] for row in rows),
    )
