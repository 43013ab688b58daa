"""Dutch for every English message a problem+json answer can carry (shared/language.py).

The catalogue is data: shared/messages_nl.json, one object per part of the product (titles,
werkzeug's and marshmallow's defaults, the kit, each service), each keyed by the English text.
Where the English is made with values (an f-string, or marshmallow's "{min}"), the key has
``{}`` in their place and the Dutch names them ``{0}``, ``{1}``… in the order they appear in
the English, so Dutch word order may differ. Values themselves (ids, names, states, PyJWT's
reasons) stay as they are.
tests/unit/test_message_catalogue.py fails when a message made in the code has no entry here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CATALOGUE = Path(__file__).with_name("messages_nl.json")


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON keeps the last of two equal keys without a word; a catalogue must not."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"{CATALOGUE.name}: {key!r} is in it twice")
        found[key] = value
    return found


def load_catalogue(path: Path = CATALOGUE) -> dict[str, str]:
    """The English -> Dutch pairs of every part, as one mapping; an English message that is
    in two parts is an error (which Dutch would win would depend on the order)."""
    parts = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_refuse_duplicates)
    dutch: dict[str, str] = {}
    for part, messages in parts.items():
        for english, translated in messages.items():
            if english in dutch:
                raise ValueError(f"{path.name}: {english!r} is in part {part!r} and another")
            if not (isinstance(english, str) and isinstance(translated, str)):
                raise ValueError(f"{path.name}: {english!r} in part {part!r} is not text")
            dutch[english] = translated
    return dutch


DUTCH: dict[str, str] = load_catalogue()
