"""Problem details in the caller's language, over HTTP against the real services.

``Accept-Language: nl`` gets the title, detail and every field message in Dutch and
``Content-Language: nl``; ``en``, no header, or only languages we do not speak get English (what
API clients always had). Field messages from marshmallow, from the web kit and from the
services' own domain errors are all translated; names of fields are not.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from shared.language import translate_messages
from tests.support import auth

pytestmark = pytest.mark.db

# One refused request per service and kind of message: (service, method, url, persona, body).
REFUSALS = {
    "catalog-marshmallow": (
        "catalog",
        "POST",
        "/api/v1/assets",
        "owner-dhc",
        {"name": "NH90", "category": "submarine", "capacity": "two", "colour": "red"},
    ),
    "booking-marshmallow": ("booking", "POST", "/api/v1/bookings", "planner-rotterdam", {}),
    "booking-domain": (
        "booking",
        "GET",
        f"/api/v1/bookings/{uuid.uuid4()}",
        "planner-rotterdam",
        None,
    ),
    "costsharing-domain": (
        "costsharing",
        "POST",
        "/api/v1/estimates",
        "planner-rotterdam",
        {
            "asset_id": str(uuid.uuid4()),
            "start": "2086-03-02T08:00:00+01:00",
            "end": "2086-03-02T10:00:00+01:00",
            "legal_basis": "steunverlening",
        },
    ),
    "costsharing-range": (
        "costsharing",
        "POST",
        "/api/v1/estimates",
        "planner-rotterdam",
        {
            "asset_id": str(uuid.uuid4()),
            "start": "2086-03-02T08:00:00+01:00",
            "end": "2086-03-02T10:00:00+01:00",
            "legal_basis": "steunverlening",
            "quantity": 0,
        },
    ),
    "web-kit-401": ("catalog", "GET", "/api/v1/assets", None, None),
    "werkzeug-404": ("booking", "GET", "/api/v1/no-such-thing", "planner-rotterdam", None),
}


def refuse(clients: dict[str, FlaskClient], case: str, accept_language: str | None) -> TestResponse:
    service, method, url, persona, body = REFUSALS[case]
    headers = auth(persona) if persona else {}
    if accept_language is not None:
        headers["Accept-Language"] = accept_language
    response = clients[service].open(url, method=method, headers=headers, json=body)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response


def messages_of(body: dict[str, Any]) -> list[str]:
    """Title, detail and every field message of a problem body."""
    found = [body["title"], body["detail"]]

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(body.get("errors"))
    return found


@pytest.mark.parametrize("case", list(REFUSALS))
def test_dutch_is_asked_for_and_given_in_title_detail_and_field_messages(
    clients: dict[str, FlaskClient], case: str
) -> None:
    english = refuse(clients, case, None)
    dutch = refuse(clients, case, "nl")
    assert dutch.status_code == english.status_code
    assert english.headers["Content-Language"] == "en"
    assert dutch.headers["Content-Language"] == "nl"
    assert "Accept-Language" in dutch.headers["Vary"]
    en_body, nl_body = english.get_json(), dutch.get_json()
    # The same problem: the same fields named, the same members besides the words.
    assert (nl_body.get("errors") or {}).keys() == (en_body.get("errors") or {}).keys()
    assert {
        k: v for k, v in nl_body.items() if k not in {"title", "detail", "errors", "request_id"}
    } == {k: v for k, v in en_body.items() if k not in {"title", "detail", "errors", "request_id"}}
    # Every message differs from its English: nothing was left untranslated.
    for en_text, nl_text in zip(messages_of(en_body), messages_of(nl_body), strict=True):
        assert nl_text != en_text, f"untranslated: {en_text!r}"
    assert nl_body.get("errors") == translate_messages(en_body.get("errors"), "nl")


def test_the_dutch_reads_as_expected(clients: dict[str, FlaskClient]) -> None:
    marshmallow = refuse(clients, "booking-marshmallow", "nl").get_json()
    assert marshmallow["title"] == "Onverwerkbare inhoud"
    assert marshmallow["detail"] == "Het verzoek heeft ongeldige velden; zie 'errors'."
    assert marshmallow["errors"]["asset_id"] == ["Verplicht veld ontbreekt."]

    catalog = refuse(clients, "catalog-marshmallow", "nl").get_json()["errors"]
    assert catalog["capacity"] == ["Geen geldig geheel getal."]
    assert catalog["colour"] == ["Onbekend veld."]
    assert catalog["category"][0].startswith("Moet een van deze zijn: helicopter, ")

    ranged = refuse(clients, "costsharing-range", "nl").get_json()["errors"]
    assert ranged["quantity"] == [
        "Moet groter dan of gelijk aan 1 en kleiner dan of gelijk aan 100 zijn."
    ]

    domain = refuse(clients, "costsharing-domain", "nl").get_json()
    assert (domain["detail"], domain["errors"]) == (
        "Onbekend middel.",
        {"asset_id": ["Dit middel bestaat niet."]},
    )
    booking_id = REFUSALS["booking-domain"][2].rsplit("/", 1)[1]
    missing = refuse(clients, "booking-domain", "nl").get_json()
    assert (missing["title"], missing["detail"]) == (
        "Niet gevonden",
        f"Boeking {booking_id} bestaat niet.",
    )
    unauthenticated = refuse(clients, "web-kit-401", "nl").get_json()
    assert unauthenticated["title"] == "Niet aangemeld"
    assert unauthenticated["detail"] == "Stuur 'Authorization: Bearer <token>' mee."


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        ("en", "en"),
        ("nl-NL", "nl"),
        ("en-GB;q=0.8, nl;q=0.9", "nl"),
        ("nl;q=0.4, en-GB;q=0.8", "en"),
        ("fr, de;q=0.9", "en"),
        ("nl;q=0", "en"),
    ],
)
def test_q_values_decide(
    clients: dict[str, FlaskClient], accept_language: str, language: str
) -> None:
    response = refuse(clients, "costsharing-domain", accept_language)
    assert response.headers["Content-Language"] == language
    detail = response.get_json()["detail"]
    assert detail == ("Onbekend middel." if language == "nl" else "Unknown asset.")


def test_english_api_clients_see_no_change(clients: dict[str, FlaskClient]) -> None:
    # The answer without Accept-Language is exactly the one with "en".
    for case in REFUSALS:
        plain, english = (
            refuse(clients, case, None).get_json(),
            refuse(clients, case, "en").get_json(),
        )
        plain.pop("request_id", None)
        english.pop("request_id", None)
        assert plain == english


def test_a_successful_answer_is_untouched(clients: dict[str, FlaskClient]) -> None:
    response = clients["catalog"].get(
        "/api/v1/categories", headers={**auth("planner-rotterdam"), "Accept-Language": "nl"}
    )
    assert response.status_code == 200
    assert "Content-Language" not in response.headers
