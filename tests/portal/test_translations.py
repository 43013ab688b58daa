"""Every string of the portal's templates and views is translated into Dutch, and the
compiled catalogues the portal loads say what the .po files say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "services" / "portal"
CATALOGUES = PORTAL / "translations"


def _extract(tmp_path: Path) -> Catalog:
    """What `make translations` extracts, fresh from the source."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(PORTAL / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return read_po(f)


def _translated(message: Message | None) -> bool:
    if message is None or message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_source_string_is_translated(tmp_path: Path, language: str) -> None:
    extracted = _extract(tmp_path)
    with (CATALOGUES / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f, locale=language)
    missing = [m.id for m in extracted if m.id and not _translated(catalogue.get(m.id))]
    assert not missing, f"untranslated in {language} (run `make translations`): {missing}"
    assert len([m for m in extracted if m.id]) > 100  # the extraction found the templates


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_compiled_catalogue_matches_the_po_file(language: str) -> None:
    with (CATALOGUES / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f, locale=language)
    compiled = Translations.load(str(CATALOGUES), [language])
    for message in catalogue:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            assert compiled.ngettext(message.id[0], message.id[1], 1) == message.string[0]
        else:
            assert compiled.gettext(message.id) == message.string, (
                f"{language}: {message.id!r} differs from the .mo (run `make translations`)"
            )
