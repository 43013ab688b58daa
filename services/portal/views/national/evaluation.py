"""The evaluation report: a baseline period and a later one side by side per safety region
(cost-sharing's GET /evaluation), printable, with the map of the regions coloured by a
chosen figure of the later period, and the API's CSV."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from flask_babel import lazy_gettext as _l

from services.portal.auth import role_required
from services.portal.cache import shared_cache
from services.portal.clients import ApiProblem, apis
from services.portal.views.national import bp
from services.portal.views.national.common import (
    NATIONAL_ROLES,
    current_quarter,
    evaluation_report,
    figure_text,
    is_period,
)
from services.portal.views.national.regionmap import region_map

# The report's figures, as its tables group them.
REQUEST_FIGURES: dict[str, Any] = {
    "requests": _l("Requests"),
    "fulfilled_share": _l("Share fulfilled"),
    "decision_minutes_median": _l("Minutes to decision (median)"),
    "decision_minutes_p90": _l("Minutes to decision (90th percentile)"),
}
USE_FIGURES: dict[str, Any] = {
    "joint_use_hours": _l("Hours of joint use"),
    "avoided_cost": _l("Avoided cost"),
    "procurement_savings": _l("Procurement savings"),
}
# What the map can colour the regions by (procurement savings have no region).
MAP_FIGURES: dict[str, Any] = {
    "requests": _l("Requests"),
    "fulfilled": _l("Requests fulfilled"),
    "fulfilled_share": _l("Share fulfilled"),
    "decision_minutes_median": _l("Minutes to decision (median)"),
    "joint_use_hours": _l("Hours of joint use"),
    "avoided_cost": _l("Avoided cost"),
}
FIELD_LABELS = {"baseline": _l("Baseline"), "period": _l("Period")}


def default_periods() -> tuple[str, str]:
    """The current quarter, against the first quarter of its year (of the year before when
    it is the first)."""
    period = current_quarter()
    year = int(period[:4])
    return (f"{year - 1}-Q1" if period.endswith("Q1") else f"{year}-Q1"), period


def _periods() -> tuple[str, str]:
    default_baseline, default_period = default_periods()
    return (
        request.args.get("baseline", default_baseline).strip()[:10],
        request.args.get("period", default_period).strip()[:10],
    )


@bp.get("/evaluation")
@role_required(*NATIONAL_ROLES)
def evaluation() -> str:
    baseline, period = _periods()
    figure = request.args.get("figure", "")
    figure = figure if figure in MAP_FIGURES else "requests"
    context: dict[str, Any] = {
        "baseline": baseline,
        "period": period,
        "figure": figure,
        "map_figures": MAP_FIGURES,
        "request_figures": REQUEST_FIGURES,
        "use_figures": USE_FIGURES,
        "field_labels": FIELD_LABELS,
        "errors": {},
        "message": "",
        "report": None,
    }
    try:
        report = evaluation_report(baseline, period)
    except ApiProblem as exc:
        if exc.status != 422:
            raise
        context.update(errors=exc.errors, message=exc.message)
        return render_template("national/evaluation.html", **context)
    regions = shared_cache().get_or_load("regions", apis().catalog.regions)
    names = {r["code"]: r["name"] for r in regions}
    values = {row["region"]: row["period"][figure] for row in report["rows"]}
    context.update(
        report=report,
        names=names,
        barely=[row["region"] for row in report["rows"] if row["period"]["barely_involved"]],
        map=region_map(
            regions,
            values,
            {code: figure_text(figure, value) for code, value in values.items()},
            lambda bound: figure_text(figure, bound),
        ),
    )
    return render_template("national/evaluation.html", **context)


@bp.get("/evaluation.csv")
@role_required(*NATIONAL_ROLES)
def evaluation_csv() -> Response:
    """The API's CSV as it came (one line per region, each figure for both periods)."""
    baseline, period = _periods()
    if not (is_period(baseline) and is_period(period)):
        baseline, period = default_periods()
    answer = apis().costsharing.evaluation_csv(baseline, period)
    return Response(
        answer.content,
        mimetype="text/csv",
        headers={"Content-Disposition": answer.headers.get("Content-Disposition", "attachment")},
    )
