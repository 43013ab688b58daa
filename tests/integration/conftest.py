"""Fixtures several integration test modules share: cost-sharing's database helper and client,
catalog's database (as its owner) and notify's sessions (as notify connects)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared.db import make_engine, make_session_factory
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


@pytest.fixture(scope="session")
def catalog_db(owner_engines: dict[str, Engine]) -> Engine:
    """Catalog's database as its owner, for reading what requests and events wrote."""
    return owner_engines["catalog"]


@pytest.fixture(scope="module")
def notify_sessions(settings: dict[str, Settings]) -> Iterator[sessionmaker[Session]]:
    """Sessions on notify's database as notify connects: the tests run its sweeps and
    consumers on them."""
    engine = make_engine(settings["notify"].database_url)
    yield make_session_factory(engine)
    engine.dispose()
