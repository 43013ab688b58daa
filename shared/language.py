"""The language of problem details: Accept-Language negotiation and the Dutch catalogue.

Messages are made in English where they arise (services, marshmallow, werkzeug) and
translated on the way out, so no use case knows about languages. A message with values is
found through its template (shared/messages_nl.py): the English with ``{}`` where values go.
A message without a translation stays English rather than failing the answer (a unit test
keeps the catalogue complete).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from shared.messages_nl import DUTCH

ENGLISH, DUTCH_LANGUAGE = "en", "nl"
SUPPORTED = (ENGLISH, DUTCH_LANGUAGE)
DEFAULT = ENGLISH  # API clients that send no Accept-Language keep the English they always had

_RANGE = re.compile(r"^(?P<tag>\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)(?P<params>(?:\s*;.*)?)$")
_QUALITY = re.compile(r"^\s*q\s*=\s*(?P<q>0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{(\d)\}")


def negotiate(accept_language: str | None) -> str:
    """The supported language the caller prefers most (RFC 9110 12.5.4, basic filtering).

    "nl-NL" asks for Dutch, "*" for any (ours is English first); q-values rank (``q=0`` is
    "not this"), equal ranks keep the order of the header. Nothing usable: English."""
    best: tuple[float, int, str] | None = None
    for position, item in enumerate((accept_language or "").split(",")):
        match = _RANGE.match(item.strip())
        if match is None:
            continue
        quality = 1.0
        for param in match["params"].split(";")[1:]:
            q = _QUALITY.match(param)
            if q is None:
                if param.strip().lower().startswith("q"):
                    quality = -1.0  # a malformed q-value: ignore this range
                continue
            quality = float(q["q"])
        if quality <= 0:
            continue
        primary = match["tag"].split("-")[0].lower()
        language = DEFAULT if primary == "*" else primary
        if language not in SUPPORTED:
            continue
        candidate = (-quality, position, language)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else DEFAULT


@lru_cache(maxsize=1)
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """Every catalogue entry with values, as a pattern over the English and its Dutch."""
    made = []
    for english, dutch in DUTCH.items():
        if "{}" in english:
            literal_parts = [re.escape(part) for part in english.split("{}")]
            made.append((re.compile("(.+?)".join(literal_parts) + r"\Z", re.DOTALL), dutch))
    # The longest literal text first, so "Asset {} is {}." is tried before "{} is {}.".
    made.sort(key=lambda item: -len(item[0].pattern.replace("(.+?)", "")))
    return made


def _fill(dutch: str, values: tuple[str, ...]) -> str:
    return _PLACEHOLDER.sub(lambda m: values[int(m.group(1))], dutch)


def translate(message: str, language: str) -> str:
    """``message`` in ``language``; English (and anything not in the catalogue) unchanged."""
    if language != DUTCH_LANGUAGE:
        return message
    exact = DUTCH.get(message) or DUTCH.get(" ".join(message.split()))
    if exact is not None:
        return exact
    for pattern, dutch in _templates():
        match = pattern.match(message)
        if match:
            return _fill(dutch, match.groups())
    return message


def translate_messages(value: Any, language: str) -> Any:
    """Every message in a problem's ``errors`` (lists and objects of them); names unchanged."""
    if isinstance(value, str):
        return translate(value, language)
    if isinstance(value, list):
        return [translate_messages(v, language) for v in value]
    if isinstance(value, dict):
        return {k: translate_messages(v, language) for k, v in value.items()}
    return value


def localize_problem(body: dict[str, Any], language: str) -> dict[str, Any]:
    """A problem body with its title, detail and field messages in ``language``."""
    if language == ENGLISH:
        return body
    localized = dict(body)
    for member in ("title", "detail"):
        if isinstance(body.get(member), str):
            localized[member] = translate(body[member], language)
    if body.get("errors") is not None:
        localized["errors"] = translate_messages(body["errors"], language)
    return localized
