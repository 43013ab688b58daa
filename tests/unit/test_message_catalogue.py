"""Problem details in Dutch: the catalogue covers every message, and Accept-Language decides.

The messages are collected from where they are made (tests/unit/message_sources.py): our
raise sites, marshmallow's, webargs' and werkzeug's defaults. A new message without Dutch
fails here, naming the file and line it comes from.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shared.language import localize_problem, negotiate, translate
from shared.messages_nl import CATALOGUE, DUTCH, load_catalogue
from tests.unit.message_sources import all_messages, code_messages

MESSAGES = all_messages()


def test_the_collection_finds_the_messages_of_the_code() -> None:
    # The control for the tests below: the scan sees raise sites, their field messages,
    # f-strings as templates and literals passed through a name.
    found = code_messages()
    assert len(found) > 150
    assert found["Asset {} does not exist."].startswith("services/catalog/assets.py")
    assert "After start." in found  # a field message in errors={...}
    assert "Unknown region: {}" in found  # an f-string inside a comprehension
    assert "Text cannot contain a lone surrogate (\\ud800-\\udfff)." in found  # via a name
    assert "{} belongs to {}." in found  # appended to a list the errors name
    assert "Must be greater than or equal to {} and less than or equal to {}." in MESSAGES
    assert "Missing data for required field." in MESSAGES and "Not Found" in MESSAGES


def test_every_message_has_dutch() -> None:
    missing = {m: where for m, where in MESSAGES.items() if m not in DUTCH}
    assert not missing, "no Dutch for:\n" + "\n".join(f"{w}: {m!r}" for m, w in missing.items())


def test_the_catalogue_holds_only_messages_that_exist() -> None:
    stale = sorted(set(DUTCH) - set(MESSAGES))
    assert not stale, f"translations of messages no longer made: {stale}"


def test_the_catalogue_file_is_read_whole_into_one_mapping() -> None:
    parts = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    assert {"catalog", "booking", "cost-sharing", "notify"} <= set(parts)
    assert sum(len(messages) for messages in parts.values()) == len(DUTCH)
    assert DUTCH["Unknown role {}."] == parts["notify"]["Unknown role {}."]


@pytest.mark.parametrize(
    "text",
    [
        '{"a": {"Gone": "Weg"}, "b": {"Gone": "Verdwenen"}}',  # in two parts
        '{"a": {"Gone": "Weg", "Gone": "Verdwenen"}}',  # twice in one part
        '{"a": {"Gone": "Weg"}, "a": {"Locked": "Op slot"}}',  # a part twice
        '{"a": {"Gone": 1}}',  # not text
    ],
)
def test_a_catalogue_with_a_message_twice_or_not_text_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "messages_nl.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="Gone|'a'"):
        load_catalogue(path)
    path.write_text('{"a": {"Gone": "Weg"}, "b": {"Locked": "Op slot"}}', encoding="utf-8")
    assert load_catalogue(path) == {"Gone": "Weg", "Locked": "Op slot"}


@pytest.mark.parametrize("english", sorted(m for m in DUTCH if "{}" in m))
def test_a_message_with_values_is_translated_with_them(english: str) -> None:
    values = [f"V{i}" for i in range(english.count("{}"))]
    parts = english.split("{}")
    message = parts[0] + "".join(
        value + part for value, part in zip(values, parts[1:], strict=True)
    )
    expected = re.sub(r"\{(\d)\}", lambda m: values[int(m.group(1))], DUTCH[english])
    assert translate(message, "nl") == expected
    assert sorted(re.findall(r"\{(\d)\}", DUTCH[english])) == [str(i) for i in range(len(values))]


def test_english_stays_english_and_unknown_text_is_left_alone() -> None:
    assert translate("Missing data for required field.", "en") == "Missing data for required field."
    assert translate("Missing data for required field.", "nl") == "Verplicht veld ontbreekt."
    assert translate("Must be greater than or equal to 1.", "nl") == (
        "Moet groter dan of gelijk aan 1 zijn."
    )
    assert translate("Something no catalogue knows.", "nl") == "Something no catalogue knows."


def test_a_problem_body_is_localized_in_title_detail_and_field_messages() -> None:
    body = {
        "type": "about:blank",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "The request has invalid fields; see 'errors'.",
        "errors": {
            "end": ["Missing data for required field."],
            "items.3.quantity": ["Not a valid integer."],
        },
        "instance": "/api/v1/estimates",
    }
    dutch = localize_problem(body, "nl")
    assert dutch["title"] == "Onverwerkbare inhoud"
    assert dutch["detail"] == "Het verzoek heeft ongeldige velden; zie 'errors'."
    assert dutch["errors"] == {
        "end": ["Verplicht veld ontbreekt."],
        "items.3.quantity": ["Geen geldig geheel getal."],
    }
    assert dutch["instance"] == body["instance"] and dutch["status"] == 422
    assert localize_problem(body, "en") == body


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("nl", "nl"),
        ("en", "en"),
        ("nl-NL", "nl"),
        ("NL-be", "nl"),
        ("en-GB;q=0.8, nl;q=0.9", "nl"),
        ("nl;q=0.5, en-US;q=0.6", "en"),
        ("fr-FR, nl;q=0.7, en;q=0.3", "nl"),
        ("de, fr", "en"),
        ("nl;q=0, en;q=0.1", "en"),
        ("nl;q=0", "en"),
        ("en, nl", "en"),
        ("nl, en", "nl"),
        ("nl;q=0.8, en;q=0.8", "nl"),
        ("*", "en"),
        ("nl ; q=0.9 , en;q=0.2", "nl"),
        ("nl;q=2, en;q=0.1", "en"),
        ("nl;q=abc, en;q=0.1", "en"),
        ("en;q=0.000, nl;q=0.001", "nl"),
        (";;;, ,", "en"),
    ],
)
def test_accept_language_is_negotiated_with_q_values(header: str | None, language: str) -> None:
    assert negotiate(header) == language
