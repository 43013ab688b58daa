"""Choosing where the tests' servers come from: a clear refusal, never a silent skip."""

from __future__ import annotations

import pytest

from shared.runtime import Broker
from tests.backends import BackendUnavailable, BrokerHandle, choose_backend


def test_the_embedded_backend_is_the_default() -> None:
    assert choose_backend({}) == "embedded"
    assert choose_backend({"TEST_BACKEND": "embedded"}) == "embedded"


def test_an_unknown_backend_is_refused_with_the_choices() -> None:
    with pytest.raises(BackendUnavailable, match="choose one of embedded, testcontainers"):
        choose_backend({"TEST_BACKEND": "docker"})


def test_testcontainers_without_an_engine_is_refused_with_the_reason() -> None:
    with pytest.raises(BackendUnavailable, match="needs a Docker engine: no engine answers"):
        choose_backend({"TEST_BACKEND": "testcontainers"}, docker_ping=lambda: "no engine answers")


def test_testcontainers_with_an_engine_is_chosen() -> None:
    assert choose_backend({"TEST_BACKEND": "testcontainers"}, docker_ping=lambda: None) == (
        "testcontainers"
    )


def test_the_embedded_broker_offers_what_the_tests_use_of_a_broker() -> None:
    for member in ("bootstrap", "pause", "resume", "stop"):
        assert hasattr(Broker, member) and hasattr(BrokerHandle, member)
