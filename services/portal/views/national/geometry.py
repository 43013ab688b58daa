"""The map's geometry: the Netherlands' outline and one shape per safety region, as SVG paths.

The outline is Natural Earth's (1:10m, via world-atlas; ``make vendor`` keeps the European
polygons in static/vendor/nl-outline.geojson). It is projected equirectangularly with the
longitude scaled by cos(52°), so at Dutch latitudes a kilometre is about as long east-west
as north-south. A region's shape is the part of the country nearer to its seat than to any
other region's seat (a Voronoi cell of the 25 seats, clipped to the outline): an
approximation of where the region lies, not its legal border — Natural Earth has no safety
regions. Each cell is convex, so clipping the outline's rings by the cell's half-planes one
after another (Sutherland–Hodgman) gives the cell's land exactly.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

Point = tuple[float, float]
Ring = list[Point]

OUTLINE_FILE = Path(__file__).parents[2] / "static" / "vendor" / "nl-outline.geojson"
MAP_WIDTH = 600.0  # SVG user units; the height follows from the country's proportions
LONGITUDE_SCALE = math.cos(math.radians(52))


@dataclass(frozen=True)
class Projection:
    """Longitude/latitude to SVG x/y (y grows downwards) for a box of lon/lat."""

    west: float
    north: float
    units_per_degree: float

    def __call__(self, lon: float, lat: float) -> Point:
        x = (lon - self.west) * LONGITUDE_SCALE * self.units_per_degree
        return (x, (self.north - lat) * self.units_per_degree)


@dataclass(frozen=True)
class CountryMap:
    width: float
    height: float
    outline: list[Ring]  # projected
    project: Projection


def fitted(rings: list[list[Point]], width: float = MAP_WIDTH) -> CountryMap:
    """The projection that fits ``rings`` (lon, lat) to ``width`` units, and the projected
    rings."""
    lons = [lon for ring in rings for lon, _lat in ring]
    lats = [lat for ring in rings for _lon, lat in ring]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    project = Projection(west, north, width / ((east - west) * LONGITUDE_SCALE))
    return CountryMap(
        width=width,
        height=round((north - south) * project.units_per_degree, 1),
        outline=[[project(lon, lat) for lon, lat in ring] for ring in rings],
        project=project,
    )


@lru_cache(maxsize=1)
def netherlands() -> CountryMap:
    feature = json.loads(OUTLINE_FILE.read_text())
    polygons = feature["geometry"]["coordinates"]
    rings = [[(lon, lat) for lon, lat in polygon[0]] for polygon in polygons]
    return fitted(rings)


def clip_half_plane(ring: Ring, normal: Point, limit: float) -> Ring:
    """The part of ``ring`` where normal · p <= limit (one Sutherland–Hodgman step)."""
    clipped: Ring = []
    for i, current in enumerate(ring):
        previous = ring[i - 1]
        cur_in = normal[0] * current[0] + normal[1] * current[1] <= limit
        prev_in = normal[0] * previous[0] + normal[1] * previous[1] <= limit
        if cur_in != prev_in:
            clipped.append(_crossing(previous, current, normal, limit))
        if cur_in:
            clipped.append(current)
    return clipped


def _crossing(a: Point, b: Point, normal: Point, limit: float) -> Point:
    da = normal[0] * a[0] + normal[1] * a[1] - limit
    db = normal[0] * b[0] + normal[1] * b[1] - limit
    t = da / (da - db)
    return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))


def voronoi_cells(outline: list[Ring], seats: dict[str, Point]) -> dict[str, list[Ring]]:
    """Per seat, the outline's land nearer to it than to any other seat (projected units).

    p is nearer to s than to o when (o − s) · p <= (|o|² − |s|²) / 2: the half-plane of the
    perpendicular bisector on s's side."""
    cells: dict[str, list[Ring]] = {}
    for code, (sx, sy) in seats.items():
        rings = outline
        for other, (ox, oy) in seats.items():
            if other == code or (ox, oy) == (sx, sy):
                continue
            normal = (ox - sx, oy - sy)
            limit = (ox * ox + oy * oy - sx * sx - sy * sy) / 2
            rings = [kept for r in rings if len(kept := clip_half_plane(r, normal, limit)) >= 3]
        cells[code] = rings
    return cells


def svg_path(rings: list[Ring]) -> str:
    """An SVG path's ``d``: each ring a closed subpath, to 0.1 unit."""
    return " ".join(
        "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in ring) + " Z" for ring in rings if ring
    )


def area(ring: Ring) -> float:
    """The ring's area (shoelace formula), for tests and for placing nothing on slivers."""
    return abs(sum(ring[i - 1][0] * p[1] - p[0] * ring[i - 1][1] for i, p in enumerate(ring)) / 2)
