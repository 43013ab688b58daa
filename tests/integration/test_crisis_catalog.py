"""Coordinates in the catalog (migration 0007): a home base's location is registered, changed
and carried whole by every asset event; bad coordinates are problem+json naming the field and
write nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from shared.events import validate_event
from tests.support import assert_problem, asset_body, auth, nothing_written

pytestmark = pytest.mark.db

ASSETS = "/api/v1/assets"
DE_KOOY = {"lat": 52.9234, "lon": 4.7806}
GILZE_RIJEN = {"lat": 51.5674, "lon": 4.9318}


def body(**overrides: Any) -> dict[str, Any]:
    registration = f"GEO-{uuid.uuid4().hex[:10]}"
    fields = {"registration": registration, "name": f"NH90 {registration}", "regions": ["VR10"]}
    return asset_body(**{**fields, **overrides})


def asset_events(engine: Engine, asset_id: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT payload FROM outbox WHERE aggregate_id = :a ORDER BY id"),
                {"a": asset_id},
            ).scalars()
        )


def test_a_home_location_is_registered_changed_and_carried_by_events(
    clients: dict[str, FlaskClient], catalog_db: Engine
) -> None:
    catalog = clients["catalog"]
    response = catalog.post(ASSETS, headers=auth("owner-dhc"), json=body(home_location=DE_KOOY))
    assert response.status_code == 201, response.get_json()
    asset = response.get_json()
    assert asset["home_location"] == DE_KOOY
    (registered,) = asset_events(catalog_db, asset["id"])
    validate_event(registered)
    assert registered["data"]["home_location"] == DE_KOOY

    tag = catalog.get(f"{ASSETS}/{asset['id']}", headers=auth("owner-dhc")).headers["ETag"]
    changed = catalog.patch(
        f"{ASSETS}/{asset['id']}",
        headers={**auth("owner-dhc"), "If-Match": tag},
        json={"home_location": GILZE_RIJEN, "home_base": "Vliegbasis Gilze-Rijen"},
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["home_location"] == GILZE_RIJEN
    updated = asset_events(catalog_db, asset["id"])[-1]
    validate_event(updated)
    assert updated["type"] == "catalog.asset.updated"
    assert updated["data"]["home_location"] == GILZE_RIJEN
    assert updated["data"]["change"] == {"fields": ["home_base", "home_location"]}

    # Without coordinates an asset is still registered (its travel cannot be estimated).
    plain = catalog.post(ASSETS, headers=auth("owner-dhc"), json=body())
    assert plain.status_code == 201 and plain.get_json()["home_location"] is None
    (event,) = asset_events(catalog_db, plain.get_json()["id"])
    validate_event(event)


@pytest.mark.parametrize(
    "location",
    [
        {"lat": 91, "lon": 4.9},
        {"lat": 52.1, "lon": -181},
        {"lat": 52.1},
        {"lat": "noord", "lon": 4.9},
        {"lat": "NaN", "lon": 4.9},
        [52.1, 4.9],
    ],
)
def test_bad_coordinates_are_422_and_write_nothing(
    clients: dict[str, FlaskClient], catalog_db: Engine, location: Any
) -> None:
    with nothing_written(catalog_db):
        response = clients["catalog"].post(
            ASSETS, headers=auth("owner-dhc"), json=body(home_location=location)
        )
    assert_problem(response, 422, "home_location")
