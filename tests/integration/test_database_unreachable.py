"""While the database cannot be reached (e.g. `slagkracht run` restarting a crashed one), a
request is a 503 problem with Retry-After, not a 500: nothing was written, a retry succeeds."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services import registry
from shared.settings import Settings
from tests.support import auth

pytestmark = [pytest.mark.db]

NOBODY_LISTENS = "postgresql+psycopg://postgres@127.0.0.1:1/{}"


@pytest.mark.parametrize(
    ("service", "path", "persona"),
    [
        ("booking", "/api/v1/bookings", "planner-rotterdam"),
        ("catalog", "/api/v1/assets", "owner-dhc"),
        ("costsharing", "/api/v1/allocations", "controller"),
    ],
)
def test_a_request_while_the_database_is_unreachable_is_a_503_to_retry(
    settings: dict[str, Settings], service: str, path: str, persona: str
) -> None:
    down = replace(settings[service], database_url=NOBODY_LISTENS.format(service))
    client = registry.app_factory(service)({"SLAGKRACHT_SETTINGS": down}).test_client()
    answer = client.get(path, headers=auth(persona))
    assert answer.status_code == 503, answer.get_json()
    assert answer.headers["Retry-After"] == "1"
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.get_json()["detail"] == (
        "The database cannot be reached just now; retry in a moment."
    )
    dutch = client.get(path, headers={**auth(persona), "Accept-Language": "nl"})
    assert (
        dutch.get_json()["detail"] == "De database is nu niet bereikbaar; probeer het zo opnieuw."
    )
