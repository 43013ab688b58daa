"""Fixtures the cost-sharing integration tests share: its database helper and its client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from shared.settings import Settings
from tests.integration.costsharing_support import CostsharingDB


@pytest.fixture(scope="module")
def db(settings: dict[str, Settings]) -> Iterator[CostsharingDB]:
    """Cost-sharing's database, for reading what a test's events and requests wrote."""
    made = CostsharingDB(settings["costsharing"])
    yield made
    made.dispose()


@pytest.fixture(scope="module")
def cs(clients: dict[str, FlaskClient]) -> FlaskClient:
    return clients["costsharing"]
