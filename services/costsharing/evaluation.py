"""The evaluation report: a baseline period and a later one side by side, per safety region,
as the 2013 letter's nulmeting → eindmeting compared them.

Per region and period:
- requests: requests made in the period (their request time falls in it), whatever became
  of them; requests_decided: those decided (approved, rejected, cancelled, ... — not those
  still requested or counter-offered); fulfilled_share: fulfilled (approved, in use,
  completed) / decided;
- decision_minutes_median / _p90: minutes from request to decision (decided_at − requested_at
  of the booking facts) of the period's decided requests; the nearest-rank percentile;
- joint_use_hours, avoided_cost, procurement_savings, police_paid: as the efficiency figures
  (services/costsharing/efficiency.py) group them by region — allocations used in the period;
- barely_involved: Defence is barely involved when fewer than BARELY_INVOLVED_BELOW requests
  in the region were fulfilled in the period.

A booking counts where it was used, as efficiency groups it: its region of use (the region
the request named, else the requesting unit's home region; facts kept before that was known:
its asset's first region); an order in the ordering unit's home region. Every one of the 25
safety regions has a row (zeros when nothing happened there): cost-sharing carries the codes
itself (SAFETY_REGIONS; a test holds them equal to catalog's migration) plus any other region
code its facts name (a region an administrator added later). What has no known region (a
order by an organisation without a home region, a use of an asset without one) is under
``unattributed``; ``national`` is everything. A period runs from Dutch midnight to Dutch
midnight.
"""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from services.costsharing.domain import parse_period
from services.costsharing.efficiency import (
    FULFILLED,
    UNDECIDED,
    UNKNOWN_REGION,
    document,
    dutch_bounds,
    period_cells,
)
from services.costsharing.figures_sql import request_figures
from services.costsharing.models import AssetFacts
from shared.errors import Invalid

# The 25 Dutch safety regions (veiligheidsregio's), as catalog seeds them (its migration
# 0001): tests/integration/test_evaluation_api.py fails when the two lists differ.
SAFETY_REGIONS = tuple(f"VR{number:02d}" for number in range(1, 26))
UNATTRIBUTED = UNKNOWN_REGION  # efficiency's group for what has no region
# Fewer fulfilled requests than this in a period: Defence is barely involved in the region.
BARELY_INVOLVED_BELOW = 3
MONEY = ("avoided_cost", "procurement_savings", "police_paid")
FIGURES = (
    "requests",
    "requests_decided",
    "fulfilled",
    "fulfilled_share",
    "decision_minutes_median",
    "decision_minutes_p90",
    "joint_use_hours",
    *MONEY,
    "barely_involved",
)


def comparable_periods(baseline: str, period: str) -> None:
    """Both are quarters or both months, the baseline before the period; else a 422 that
    names the field."""
    bounds = {}
    for field, value in (("baseline", baseline), ("period", period)):
        try:
            bounds[field] = parse_period(value)
        except Invalid as exc:
            raise Invalid(exc.detail, errors={field: [f"Not a period: {value!r}"]}) from exc
        if len(value) == 4:
            raise Invalid(
                "Compare quarters (2026-Q4) or months (2026-11).",
                errors={field: ["A quarter (2026-Q4) or a month (2026-11), not a year."]},
            )
    if ("-Q" in baseline) != ("-Q" in period):
        raise Invalid(
            "The baseline and the period are both quarters or both months.",
            errors={"period": [f"Not the same kind of period as {baseline!r}."]},
        )
    if bounds["baseline"][0] >= bounds["period"][0]:
        raise Invalid(
            "The baseline comes before the period it is compared with.",
            errors={"baseline": [f"Not before {period!r}."]},
        )


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (a value that occurred): the smallest value with at least
    ``share`` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def _request_figures(session: Any, periods: list[str]) -> dict[str, dict[str, Any]]:
    """Requests, decisions and decision times per region (and "national") for the requests
    made in each period, added up by the database."""
    windows = {period: dutch_bounds(period)[2:] for period in periods}
    groups: dict[str, dict[str, Any]] = {period: {} for period in periods}
    for period, row in request_figures(session, windows, FULFILLED, UNDECIDED):
        key = "national" if row["national"] else row["region"] or UNATTRIBUTED
        groups[period][key] = row
    return groups


NO_REQUESTS: dict[str, Any] = {
    "requests": 0,
    "decided": 0,
    "fulfilled": 0,
    "median": None,
    "p90": None,
}


def _figures(r: dict[str, Any], hours: Decimal, amounts: dict[str, Decimal]) -> dict[str, Any]:
    median, p90 = r["median"], r["p90"]
    return {
        "requests": r["requests"],
        "requests_decided": r["decided"],
        "fulfilled": r["fulfilled"],
        "fulfilled_share": round(r["fulfilled"] / r["decided"], 4) if r["decided"] else None,
        "decision_minutes_median": None if median is None else round(median, 1),
        "decision_minutes_p90": None if p90 is None else round(p90, 1),
        "joint_use_hours": str(hours.quantize(Decimal("0.01"))),
        **{f: str(amount.quantize(Decimal("0.01"))) for f, amount in amounts.items()},
        "barely_involved": r["fulfilled"] < BARELY_INVOLVED_BELOW,
    }


# A region where nothing happened in the period.
NOTHING = _figures(NO_REQUESTS, Decimal(0), dict.fromkeys(MONEY, Decimal(0)))


def _money(cells: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The allocations' figures per region as the efficiency figures group them, and
    "national" (every group, the unattributed one too)."""
    money = {r["region"]: r for r in document("", "region", cells)["rows"]}
    money["national"] = {
        f: str(sum((Decimal(m[f]) for m in money.values()), Decimal(0)))
        for f in ("joint_use_hours", *MONEY)
    }
    return money


def _period_figures(requests: dict[str, Any], money: dict[str, Any]) -> dict[str, Any]:
    """Every figure of a period per region key (the regions, UNATTRIBUTED, "national")."""
    return {
        key: _figures(
            requests.get(key, NO_REQUESTS),
            Decimal(money.get(key, {}).get("joint_use_hours", 0)),
            {f: Decimal(money.get(key, {}).get(f, 0)) for f in MONEY},
        )
        for key in set(requests) | set(money)
    }


def evaluation(session: Any, *, baseline: str, period: str) -> dict[str, Any]:
    comparable_periods(baseline, period)
    known = set(SAFETY_REGIONS)
    for (regions,) in session.execute(select(AssetFacts.regions)):
        if regions:  # each asset's first region: where its older facts count
            known.add(regions[0])
    requests = _request_figures(session, [baseline, period])
    asked = [(baseline, "region"), (period, "region")]
    cells = period_cells(session, asked, published=False, bookings=False)
    sides = {
        side: _period_figures(requests[name], _money(cells[name]))
        for side, name in (("baseline", baseline), ("period", period))
    }
    for figures in sides.values():  # a region of use no asset names has a row too
        known.update(set(figures) - {UNATTRIBUTED, "national"})

    def both(key: str) -> dict[str, Any]:
        return {side: figures.get(key, NOTHING) for side, figures in sides.items()}

    return {
        "baseline": baseline,
        "period": period,
        "currency": "EUR",
        "illustrative_prices": True,
        "barely_involved_below_fulfilled": BARELY_INVOLVED_BELOW,
        "rows": [{"region": code, **both(code)} for code in sorted(known)],
        "unattributed": both(UNATTRIBUTED),
        "national": both("national"),
    }


def to_csv(doc: dict[str, Any]) -> str:
    """One line per region (then 'unattributed' and 'national'), each figure for the baseline
    and the period side by side (``requests_2026-Q1;requests_2026-Q4``). Dutch spreadsheet
    conventions as the statements' CSV: ';' between fields, ',' in decimals, a UTF-8 BOM."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    sides = (("baseline", doc["baseline"]), ("period", doc["period"]))
    writer.writerow(["region", *(f"{f}_{name}" for f in FIGURES for _side, name in sides)])
    lines = [*doc["rows"], {"region": "unattributed", **doc["unattributed"]}]
    lines.append({"region": "national", **doc["national"]})
    for line in lines:
        writer.writerow(
            [line["region"], *(_csv_value(line[side][f]) for f in FIGURES for side, _ in sides)]
        )
    return out.getvalue()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    return str(value).replace(".", ",")
