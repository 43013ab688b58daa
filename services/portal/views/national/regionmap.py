"""The map of the safety regions as the template draws it: every region's shape (see
geometry.py), its value of the chosen figure, and its class in the legend. Classes are told
apart by colour and by pattern (dots, lines, crosses), so colour is never the only cue; the
table next to the map holds every value."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _

from services.portal.views.national.geometry import (
    CountryMap,
    Point,
    netherlands,
    svg_path,
    voronoi_cells,
)

# Light to dark blue (ColorBrewer "Blues", colour-blind safe); each class has its pattern
# (static/portal.css draws nothing: the SVG's <pattern>s carry colour and marks).
CLASS_COUNT = 4
NO_DATA, ZERO = "none", "zero"


@dataclass(frozen=True)
class MapRegion:
    code: str
    name: str
    path: str
    value: Any
    text: str  # the value as the user reads it
    css_class: str  # none | zero | c1..c4
    class_label: str  # the class as the legend names it


@dataclass(frozen=True)
class LegendEntry:
    css_class: str
    label: str


@lru_cache(maxsize=4)
def _cells(seats: tuple[tuple[str, float, float], ...]) -> dict[str, str]:
    """The SVG path of each region for these seats (code, lon, lat); the same seats give
    the same shapes, so they are worked out once per process."""
    country = netherlands()
    projected: dict[str, Point] = {code: country.project(lon, lat) for code, lon, lat in seats}
    cells = voronoi_cells(country.outline, projected)
    return {code: svg_path(rings) for code, rings in cells.items()}


def class_bounds(values: list[Decimal]) -> list[Decimal]:
    """The upper bounds of CLASS_COUNT equal classes from 0 to the largest value."""
    top = max(values, default=Decimal(0))
    return [top * k / CLASS_COUNT for k in range(1, CLASS_COUNT + 1)]


def classify(value: Any, bounds: list[Decimal]) -> str:
    if value is None:
        return NO_DATA
    number = Decimal(str(value))
    if number <= 0:
        return ZERO
    for k, bound in enumerate(bounds, start=1):
        if number <= bound:
            return f"c{k}"
    return f"c{CLASS_COUNT}"


def region_map(
    regions: list[dict[str, Any]],
    values: dict[str, Any],
    texts: dict[str, str],
    format_bound: Any,
) -> dict[str, Any]:
    """The map model for the template: ``regions`` as catalog lists them (code, name,
    seat_location), ``values`` per code (None: no value), ``texts`` the values as shown,
    ``format_bound`` a legend bound as text. A region without a seat has no shape (it stays
    in the table)."""
    country: CountryMap = netherlands()
    seats = tuple(
        sorted(
            (r["code"], float(r["seat_location"]["lon"]), float(r["seat_location"]["lat"]))
            for r in regions
            if r.get("seat_location")
        )
    )
    paths = _cells(seats)
    bounds = class_bounds([Decimal(str(v)) for v in values.values() if v is not None])
    legend = [LegendEntry(NO_DATA, _("no value")), LegendEntry(ZERO, _("none (0)"))]
    lower = "0"
    for k, bound in enumerate(bounds, start=1):
        upper = format_bound(bound)
        legend.append(
            LegendEntry(f"c{k}", _("more than %(low)s up to %(high)s", low=lower, high=upper))
        )
        lower = upper
    labels = {entry.css_class: entry.label for entry in legend}
    classes = {code: classify(value, bounds) for code, value in values.items()}
    shapes = [
        MapRegion(
            code=r["code"],
            name=r["name"],
            path=paths[r["code"]],
            value=values.get(r["code"]),
            text=texts.get(r["code"], "–"),
            css_class=classes.get(r["code"], NO_DATA),
            class_label=labels[classes.get(r["code"], NO_DATA)],
        )
        for r in sorted(regions, key=lambda r: r["code"])
        if r["code"] in paths
    ]
    used = {shape.css_class for shape in shapes}
    return {
        "width": country.width,
        "height": country.height,
        "outline": svg_path(country.outline),
        "regions": shapes,
        "legend": [entry for entry in legend if entry.css_class in used],
    }
