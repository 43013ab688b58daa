"""``make vendor``: refresh the third-party CSS and JavaScript the portal serves itself.

The portal must work on an isolated network, so nothing is loaded from another host at run
time. This installs the pinned npm packages into a temporary folder, copies the built files
we use into ``static/vendor/`` with each package's licence text, and rewrites MANIFEST.json
(package, version, licence, files). Bump a version here, run ``make vendor``, commit.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

VENDOR_DIR = Path(__file__).parent / "static" / "vendor"


@dataclass(frozen=True)
class VendoredPackage:
    name: str
    version: str
    files: dict[str, str]  # path inside the package -> file name under static/vendor/
    licence_file: str
    note: str = ""


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
            licence_copy = f"licences/{package.name.replace('/', '__').lstrip('@')}.txt"
            shutil.copyfile(root / package.licence_file, vendor_dir / licence_copy)
            manifest.append(
                {
                    "package": package.name,
                    "version": meta["version"],
                    "licence": _licence_name(meta),
                    "licence_text": licence_copy,
                    "files": {target: source for source, target in package.files.items()},
                    "note": package.note,
                }
            )
    (vendor_dir / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


if __name__ == "__main__":
    for entry in refresh():
        print(f"{entry['package']}@{entry['version']} ({entry['licence']}): {entry['files']}")
    sys.exit(0)
