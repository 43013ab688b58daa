"""The map's geometry without a server: TopoJSON decoding (make vendor), the half-plane clip,
Voronoi cells that share out the country exactly, and the legend's classes."""

from __future__ import annotations

import importlib.util
import json
from decimal import Decimal
from pathlib import Path

import pytest

from services.portal.vendoring import EUROPEAN_NL, VENDOR_DIR, topojson_rings
from services.portal.views.national.geometry import (
    area,
    clip_half_plane,
    fitted,
    netherlands,
    svg_path,
    voronoi_cells,
)
from services.portal.views.national.regionmap import class_bounds, classify

SQUARE = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]


def region_seats() -> list[tuple[str, str, float, float]]:
    """The 25 seats as catalog's migration 0007 records them (code, town, lat, lon)."""
    root = Path(__file__).resolve().parents[2]
    path = root / "services/catalog/migrations/versions/0007_coordinates.py"
    spec = importlib.util.spec_from_file_location("catalog_0007", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.REGION_SEATS)


def test_topojson_arcs_are_delta_decoded_transformed_and_reversed() -> None:
    topology = {
        "transform": {"scale": [0.5, 0.25], "translate": [4.0, 52.0]},
        # Two arcs meeting at both ends: a square of side 2 x 1 (in quantized units 4 x 4).
        "arcs": [[[0, 0], [4, 0], [0, 4]], [[0, 0], [0, 4], [4, 0]]],
    }
    ring = topojson_rings(topology, {"type": "Polygon", "arcs": [[0, ~1]]})[0]
    assert ring == [(4.0, 52.0), (6.0, 52.0), (6.0, 53.0), (4.0, 53.0), (4.0, 52.0)]


def test_the_vendored_outline_is_the_european_netherlands() -> None:
    feature = json.loads((VENDOR_DIR / "nl-outline.geojson").read_text())
    polygons = feature["geometry"]["coordinates"]
    assert len(polygons) >= 5  # the mainland, Zeeland's islands, the Wadden islands
    west, south, east, north = EUROPEAN_NL
    points = [p for polygon in polygons for p in polygon[0]]
    assert all(west <= lon <= east and south <= lat <= north for lon, lat in points)
    assert max(len(polygon[0]) for polygon in polygons) > 500  # 1:10m detail
    manifest = json.loads((VENDOR_DIR / "MANIFEST.json").read_text())
    entry = next(e for e in manifest if e["package"] == "world-atlas")
    assert "nl-outline.geojson" in entry["files"]
    assert (VENDOR_DIR / entry["licence_text"]).exists()


def test_a_half_plane_clip_keeps_one_side() -> None:
    left = clip_half_plane(SQUARE, (1.0, 0.0), 4.0)  # x <= 4
    assert area(left) == pytest.approx(40.0)
    assert max(x for x, _ in left) == pytest.approx(4.0)
    assert clip_half_plane(SQUARE, (1.0, 0.0), -1.0) == []
    assert area(clip_half_plane(SQUARE, (0.0, 1.0), 20.0)) == pytest.approx(100.0)


def test_voronoi_cells_of_two_seats_split_at_the_bisector() -> None:
    cells = voronoi_cells([SQUARE], {"A": (2.0, 5.0), "B": (6.0, 5.0)})
    assert sum(area(r) for r in cells["A"]) == pytest.approx(40.0)  # x <= 4
    assert sum(area(r) for r in cells["B"]) == pytest.approx(60.0)


def test_the_25_regions_share_out_the_whole_country() -> None:
    country = netherlands()
    seats = {code: country.project(lon, lat) for code, _town, lat, lon in region_seats()}
    cells = voronoi_cells(country.outline, seats)
    assert sorted(cells) == [f"VR{n:02d}" for n in range(1, 26)]
    areas = {code: sum(area(r) for r in rings) for code, rings in cells.items()}
    assert all(a > 0 for a in areas.values())
    assert sum(areas.values()) == pytest.approx(sum(area(r) for r in country.outline))
    # Groningen's seat lies in its own cell, north-east of Maastricht's.
    assert seats["VR01"][1] < seats["VR24"][1] and seats["VR01"][0] > seats["VR24"][0]
    assert svg_path(cells["VR01"]).startswith("M") and svg_path(cells["VR01"]).endswith("Z")


def test_the_projection_scales_longitude_by_cos_52() -> None:
    square_degree = fitted([[(4.0, 52.0), (5.0, 52.0), (5.0, 53.0), (4.0, 53.0)]], width=100)
    # One degree east is cos(52°) ≈ 0.616 of one degree north.
    assert square_degree.height == pytest.approx(100 / 0.6157, abs=0.1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "none"), (0, "zero"), (1, "c1"), (2, "c1"), (3, "c2"), (6, "c3"), (8, "c4")],
)
def test_classes_are_four_equal_steps_up_to_the_largest(value: int | None, expected: str) -> None:
    bounds = class_bounds([Decimal(0), Decimal(8)])
    assert bounds == [2, 4, 6, 8]
    assert classify(value, bounds) == expected
