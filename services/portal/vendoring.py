"""``make vendor``: refresh the third-party CSS and JavaScript the portal serves itself.

The portal must work on an isolated network, so nothing is loaded from another host at run
time. This installs the pinned npm packages into a temporary folder, copies the built files
we use into ``static/vendor/`` with each package's licence text, and rewrites MANIFEST.json
(package, version, licence, files). Bump a version here, run ``make vendor``, commit.

A file may also be derived from a package rather than copied: the country outline of the
map is the Netherlands' European polygons taken out of world-atlas's Natural Earth
TopoJSON (``netherlands_outline``), written as GeoJSON.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VENDOR_DIR = Path(__file__).parent / "static" / "vendor"


@dataclass(frozen=True)
class VendoredPackage:
    name: str
    version: str
    files: dict[str, str]  # path inside the package -> file name under static/vendor/
    licence_file: str
    note: str = ""
    # file name under static/vendor/ -> (what it is made from, how: the package's folder -> text)
    derived: tuple[tuple[str, str, Callable[[Path], str]], ...] = ()


Point = tuple[float, float]
# The European Netherlands (the Caribbean islands lie far outside): lon, lat.
EUROPEAN_NL = (3.0, 50.5, 7.5, 53.8)


def topojson_rings(topology: dict[str, Any], geometry: dict[str, Any]) -> list[list[Point]]:
    """The outer rings (lon, lat) of a TopoJSON (Multi)Polygon: its arcs delta-decoded and
    transformed (the TopoJSON specification, quantized form), reversed where the index is
    negative (~i), joined without repeating the shared point."""
    scale_x, scale_y = topology["transform"]["scale"]
    move_x, move_y = topology["transform"]["translate"]

    def arc(index: int) -> list[Point]:
        x = y = 0
        points = []
        for dx, dy in topology["arcs"][index if index >= 0 else ~index]:
            x, y = x + dx, y + dy
            points.append((x * scale_x + move_x, y * scale_y + move_y))
        return points if index >= 0 else points[::-1]

    polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    rings = []
    for polygon in polygons:
        ring: list[Point] = []
        for index in polygon[0]:
            points = arc(index)
            ring.extend(points if not ring else points[1:])
        rings.append(ring)
    return rings


def netherlands_outline(root: Path) -> str:
    """GeoJSON of the European Netherlands from Natural Earth 1:10m (world-atlas), its
    coordinates to 4 decimals (about 10 m)."""
    topology = json.loads((root / "countries-10m.json").read_text())
    (country,) = (g for g in topology["objects"]["countries"]["geometries"] if g.get("id") == "528")
    west, south, east, north = EUROPEAN_NL
    rings = [
        ring
        for ring in topojson_rings(topology, country)
        if all(west <= lon <= east and south <= lat <= north for lon, lat in ring)
    ]
    geojson = {
        "type": "Feature",
        "properties": {"name": "Nederland", "source": "Natural Earth 1:10m via world-atlas"},
        "geometry": {
            "type": "MultiPolygon",
            "coordinates": [[[[round(lon, 4), round(lat, 4)] for lon, lat in r]] for r in rings],
        },
    }
    return json.dumps(geojson, separators=(",", ":")) + "\n"


PACKAGES = (
    VendoredPackage(
        "@rijkshuisstijl-community/design-tokens",
        "11.1.0",
        {"dist/index.css": "rijkshuisstijl-tokens.css"},
        "LICENSE.md",
        "Rijkshuisstijl design tokens (theme class .rhc-theme). The licence text restricts the "
        "Rijkshuisstijl itself (logo, fonts) to work done for the Dutch central government; "
        "no logo and no Rijksoverheid fonts are vendored.",
    ),
    VendoredPackage(
        "@rijkshuisstijl-community/components-css",
        "12.0.0",
        {"dist/index.css": "rijkshuisstijl-components.css"},
        "LICENSE.md",
        "NL Design System component CSS (utrecht-*, nl-*, rhc-* classes).",
    ),
    VendoredPackage(
        "htmx.org",
        "2.0.11",
        {"dist/htmx.min.js": "htmx.min.js"},
        "LICENSE",
        "Partial page updates; every essential flow also works without it.",
    ),
    VendoredPackage(
        "chart.js",
        "4.5.1",
        {"dist/chart.umd.min.js": "chart.umd.min.js"},
        "LICENSE.md",
        "Charts on the efficiency dashboard, drawn by static/charts.js from each chart's table "
        "(the table stays the content without JavaScript and for screen readers).",
    ),
    VendoredPackage(
        "world-atlas",
        "2.0.2",
        {},
        "LICENSE",
        "Natural Earth 1:10m country shapes (public domain) as TopoJSON; only the European "
        "Netherlands is kept, as GeoJSON, for the map of the safety regions.",
        derived=(
            (
                "nl-outline.geojson",
                "countries-10m.json: the Netherlands (id 528), European polygons",
                netherlands_outline,
            ),
        ),
    ),
)


def _licence_name(package_json: dict[str, object]) -> str:
    licence = package_json.get("license", "")
    return licence if isinstance(licence, str) else json.dumps(licence)


def refresh(vendor_dir: Path = VENDOR_DIR) -> list[dict[str, object]]:
    """Install the pinned packages into a temporary folder and copy their files here."""
    with tempfile.TemporaryDirectory(prefix="portal-vendor-") as tmp:
        work = Path(tmp)
        (work / "package.json").write_text('{"private": true}\n')
        specs = [f"{p.name}@{p.version}" for p in PACKAGES]
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", *specs],
            cwd=work,
            check=True,
        )
        if vendor_dir.exists():
            shutil.rmtree(vendor_dir)
        (vendor_dir / "licences").mkdir(parents=True)
        manifest: list[dict[str, object]] = []
        for package in PACKAGES:
            root = work / "node_modules" / package.name
            meta = json.loads((root / "package.json").read_text())
            for source, target in package.files.items():
                shutil.copyfile(root / source, vendor_dir / target)
            for target, _made_from, make in package.derived:
                (vendor_dir / target).write_text(make(root))
            licence_copy = f"licences/{package.name.replace('/', '__').lstrip('@')}.txt"
            shutil.copyfile(root / package.licence_file, vendor_dir / licence_copy)
            manifest.append(
                {
                    "package": package.name,
                    "version": meta["version"],
                    "licence": _licence_name(meta),
                    "licence_text": licence_copy,
                    "files": {
                        **{target: source for source, target in package.files.items()},
                        **{target: made_from for target, made_from, _make in package.derived},
                    },
                    "note": package.note,
                }
            )
    (vendor_dir / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


if __name__ == "__main__":
    for entry in refresh():
        print(f"{entry['package']}@{entry['version']} ({entry['licence']}): {entry['files']}")
    sys.exit(0)
