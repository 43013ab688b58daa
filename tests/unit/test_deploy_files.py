"""The production deployment files are valid, checked without a Docker engine.

The compose file is parsed with PyYAML and its structure checked against the code it runs:
every ``slagkracht`` command parses with the real CLI, every gunicorn target imports and
answers ``/healthz``, every container's environment passes ``load_settings`` in production
mode, and the names that tie containers together (services, ports, databases, the broker
address) agree. When Debian's ``docker-compose`` (1.29) is installed it validates the file too;
in CI (``CI=true``) it must be installed (``deploy/ci-packages.txt``).
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from flask import Flask
from gunicorn.config import Config as GunicornConfig
from gunicorn.util import import_app

import services.cli
from services import registry
from shared.settings import DEV_JWT_SECRET, load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
INIT_SQL = ROOT / "deploy" / "postgres-init" / "01-databases.sql"
CI_PACKAGES = ROOT / "deploy" / "ci-packages.txt"

# What an operator must supply; compose refuses to start without them.
REQUIRED_ENV = {"JWT_SECRET": "a-real-secret-for-the-test", "POSTGRES_PASSWORD": "pg-test-pw"}
ONE_SHOT_JOBS = ("migrate", "topics")
# Variables a container's environment may set; cleared before simulating one.
SETTINGS_VARS = (
    "DATABASE_URL",
    *(f"{s.upper()}_DATABASE_URL" for s in registry.SERVICES),
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_TOPIC_PREFIX",
    "KAFKA_CONSUMER_GROUP",
    "KAFKA_FETCH_MAX_WAIT_MS",
    "JWT_SECRET",
    "JWT_JWKS_URL",
    "JWT_AUDIENCE",
    "SLAGKRACHT_ENV",
    "OUTBOX_RETENTION_HOURS",
)

_VARIABLE = re.compile(
    r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?])?(?P<arg>[^}]*)\})"
)


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's variable substitution: ``${X}``, ``${X:-default}``, ``${X:?error}``, ``$$``."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        value = env.get(name)
        unset = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in ("?", ":?") and unset:
            raise KeyError(f"{name}: {arg}")
        if op in ("-", ":-") and unset:
            return arg
        return value or ""

    return _VARIABLE.sub(replace, value)


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return value.split() if isinstance(value, str) else [str(v) for v in value]


def container_env(definition: Mapping[str, Any]) -> dict[str, str]:
    raw = definition.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {k: interpolate("" if v is None else str(v), REQUIRED_ENV) for k, v in raw.items()}


def host_ports(definition: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(host, container) pairs of the short ``[ip:]host:container`` or long syntax."""
    pairs = []
    for port in definition.get("ports") or []:
        if isinstance(port, dict):
            pairs.append((int(port["published"]), int(port["target"])))
        else:
            *_, host, target = str(port).split(":")
            pairs.append((int(host), int(target.split("/")[0])))
    return pairs


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    with COMPOSE_FILE.open(encoding="utf-8") as f:
        document = yaml.safe_load(f)
    assert isinstance(document, dict) and isinstance(document.get("services"), dict)
    return document


@pytest.fixture(scope="module")
def services_(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose["services"]
    return services


def app_services(services_: dict[str, dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Containers running our image (built from the Dockerfile)."""
    for name, definition in services_.items():
        if "build" in definition:
            yield name, definition


@pytest.fixture
def recorded_cli(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Replace every CLI command body by a recorder, so ``main`` only parses."""
    calls: list[tuple[str, Any]] = []

    def recorder(name: str) -> Callable[[Any], int]:
        def record(args: Any) -> int:
            calls.append((name, args))
            return 0

        return record

    for attr in dir(services.cli):
        if attr.startswith("_cmd_"):
            monkeypatch.setattr(services.cli, attr, recorder(attr))
    return calls


def use_container_env(monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str]) -> None:
    for name in SETTINGS_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


# -- structure ------------------------------------------------------------------------------


def test_every_part_has_a_container(services_: dict[str, dict[str, Any]]) -> None:
    expected = {"kafka", "postgres", *ONE_SHOT_JOBS}
    for service in registry.SERVICES:
        expected |= {f"{service}-api", f"{service}-worker"}
    assert expected <= set(services_), f"missing: {sorted(expected - set(services_))}"


def test_every_service_uses_an_image_or_a_build(services_: dict[str, dict[str, Any]]) -> None:
    for name, definition in services_.items():
        assert "image" in definition or "build" in definition, name
        if "build" in definition:
            build = definition["build"]
            context = build if isinstance(build, str) else build.get("context", ".")
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile")
            assert (ROOT / context / (dockerfile or "Dockerfile")).is_file(), name


def test_third_party_images_are_pinned(services_: dict[str, dict[str, Any]]) -> None:
    assert services_["kafka"]["image"].startswith("apache/kafka:")
    assert services_["postgres"]["image"] == "postgres:16"
    for name in ("kafka", "postgres"):
        tag = services_[name]["image"].rpartition(":")[2]
        assert tag and tag != "latest", name


def test_depends_on_names_defined_services(services_: dict[str, dict[str, Any]]) -> None:
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, definition in services_.items():
        depends = definition.get("depends_on") or {}
        for target in depends:
            assert target in services_, f"{name} depends on undefined service {target!r}"
            assert target != name
            if isinstance(depends, dict):
                condition = depends[target]["condition"]
                assert condition in conditions, (name, target, condition)
                if condition == "service_healthy":
                    assert "healthcheck" in services_[target], f"{target} has no healthcheck"
                if condition == "service_completed_successfully":
                    assert target in ONE_SHOT_JOBS, (name, target)


def test_dependencies_have_no_cycle(services_: dict[str, dict[str, Any]]) -> None:
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"dependency cycle: {' -> '.join((*path, name))}"
        if name in done:
            return
        for target in services_[name].get("depends_on") or {}:
            visit(target, (*path, name))
        done.add(name)

    for name in services_:
        visit(name, ())


def test_apis_and_workers_start_after_migrations_and_topics(
    services_: dict[str, dict[str, Any]],
) -> None:
    for service in registry.SERVICES:
        for name in (f"{service}-api", f"{service}-worker"):
            depends = services_[name]["depends_on"]
            for job in ONE_SHOT_JOBS:
                assert depends[job]["condition"] == "service_completed_successfully", name
    for job in ONE_SHOT_JOBS:
        assert str(services_[job].get("restart", "no")) == "no", job
    assert services_["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services_["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_host_ports_do_not_collide(services_: dict[str, dict[str, Any]]) -> None:
    seen: dict[int, str] = {}
    for name, definition in services_.items():
        for host, _ in host_ports(definition):
            assert host not in seen, f"host port {host} used by {seen[host]} and {name}"
            seen[host] = name
    for service, port in registry.DEFAULT_PORTS.items():
        assert host_ports(services_[f"{service}-api"]) == [(port, port)], service


# -- the commands exist ----------------------------------------------------------------------


def test_slagkracht_commands_parse_and_their_settings_load(
    services_: dict[str, dict[str, Any]],
    recorded_cli: list[tuple[str, Any]],
) -> None:
    commands = {}
    for name, definition in app_services(services_):
        argv = as_list(definition.get("command"))
        if argv[:1] != ["slagkracht"]:
            continue
        recorded_cli.clear()
        assert services.cli.main(argv[1:]) == 0, name
        ((command, args),) = recorded_cli
        commands[name] = command
        env = container_env(definition)
        if command == "_cmd_worker":
            settings = load_settings(args.service, env)
            assert name == f"{args.service}-worker"
            assert urlsplit(settings.database_url).path == f"/{args.service}", name
        elif command == "_cmd_migrate":
            for service in args.services or registry.SERVICES:
                settings = load_settings(service, env)
                assert urlsplit(settings.database_url).path == f"/{service}", (name, service)
        elif command == "_cmd_topics":
            load_settings("catalog", env, require_database=False)
    assert commands.get("migrate") == "_cmd_migrate"
    assert commands.get("topics") == "_cmd_topics"
    for service in registry.SERVICES:
        assert commands.get(f"{service}-worker") == "_cmd_worker", service


def test_unknown_slagkracht_commands_are_refused(recorded_cli: list[tuple[str, Any]]) -> None:
    """The check above would catch a typo: the parser rejects what the CLI does not know."""
    for argv in (["wroker", "catalog"], ["worker", "catalogue"], ["migrate", "--bogus"]):
        with pytest.raises(SystemExit) as exc:
            services.cli.main(argv)
        assert exc.value.code == 2, argv
    assert recorded_cli == []


def test_gunicorn_targets_import_and_answer_healthz(
    services_: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    apis = 0
    for name, definition in app_services(services_):
        argv = as_list(definition.get("command"))
        if argv[:1] != ["gunicorn"]:
            continue
        apis += 1
        args = GunicornConfig().parser().parse_args(argv[1:])
        assert len(args.args) == 1, (name, args.args)
        target = args.args[0]
        module, _, factory = target.partition(":")
        service = name.removesuffix("-api")
        assert module == f"services.{service}.app" and factory == "create_app()", name
        assert args.workers == 4, name
        # Every worker's metrics in /metrics: the shared config and its folder.
        assert args.config == "python:shared.gunicorn_conf", name
        conf = importlib.import_module(args.config.removeprefix("python:"))
        assert callable(conf.on_starting) and callable(conf.child_exit), name
        assert container_env(definition)["PROMETHEUS_MULTIPROC_DIR"], name
        (bind,) = args.bind
        host, _, port = bind.rpartition(":")
        assert host == "0.0.0.0", name
        assert [target_port for _, target_port in host_ports(definition)] == [int(port)], name
        health = " ".join(as_list(definition["healthcheck"]["test"]))
        assert f"127.0.0.1:{port}/healthz" in health, name

        env = container_env(definition)
        assert env["SLAGKRACHT_ENV"] == "production", name
        use_container_env(monkeypatch, env)
        app = import_app(target)  # what gunicorn does: import the module, call the factory
        assert isinstance(app, Flask), name
        assert app.extensions["slagkracht"].settings.environment == "production"
        response = app.test_client().get("/healthz")
        assert response.status_code == 200, name
        assert response.get_json() == {"status": "ok", "service": service}
    assert apis == len(registry.SERVICES)


def test_production_needs_a_real_jwt_secret(
    compose: dict[str, Any], services_: dict[str, dict[str, Any]]
) -> None:
    raw = COMPOSE_FILE.read_text(encoding="utf-8")
    assert re.search(r"JWT_SECRET: \$\{JWT_SECRET:\?[^}]+\}", raw)
    for name, definition in app_services(services_):
        env = definition["environment"]
        assert env["SLAGKRACHT_ENV"] == "production", name
        assert str(env["JWT_SECRET"]).startswith("${JWT_SECRET:?"), name
        with pytest.raises(KeyError, match="JWT_SECRET"):
            interpolate(str(env["JWT_SECRET"]), {})
        # And the settings guard behind it refuses the development secret.
        with pytest.raises(ValueError, match="JWT_SECRET"):
            load_settings(
                "catalog",
                {**container_env(definition), "JWT_SECRET": DEV_JWT_SECRET, "JWT_JWKS_URL": ""},
                require_database=False,
            )


# -- the infrastructure the containers name --------------------------------------------------


def test_kafka_runs_single_node_kraft(services_: dict[str, dict[str, Any]]) -> None:
    env = container_env(services_["kafka"])
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    node_id = str(env["KAFKA_NODE_ID"])
    voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
    assert len(voters) == 1 and voters[0].startswith(f"{node_id}@")
    controller_port = voters[0].rpartition(":")[2]
    listeners = dict(item.split("://", 1) for item in env["KAFKA_LISTENERS"].split(","))
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in listeners
    assert listeners[env["KAFKA_CONTROLLER_LISTENER_NAMES"]].endswith(f":{controller_port}")
    protocol_map = dict(
        p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert set(listeners) <= set(protocol_map)
    for name in ("OFFSETS_TOPIC", "TRANSACTION_STATE_LOG"):
        assert str(env[f"KAFKA_{name}_REPLICATION_FACTOR"]) == "1"
    assert env["CLUSTER_ID"]
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    (advertised,) = env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    advertised_address = advertised.split("://", 1)[1]
    assert advertised_address.split(":")[0] in (
        "kafka",
        services_["kafka"].get("hostname"),
    )
    # Every container of ours reaches the broker at the address Kafka advertises.
    for name, definition in app_services(services_):
        assert container_env(definition)["KAFKA_BOOTSTRAP_SERVERS"] == advertised_address, name


def test_postgres_creates_every_service_database(services_: dict[str, dict[str, Any]]) -> None:
    postgres = services_["postgres"]
    mounts = [str(v) for v in postgres.get("volumes") or []]
    assert any(
        m.split(":")[0] == "./deploy/postgres-init"
        and m.split(":")[1] == "/docker-entrypoint-initdb.d"
        for m in mounts
    ), mounts
    created = re.findall(
        r"^\s*CREATE DATABASE\s+\"?(\w+)\"?\s*;", INIT_SQL.read_text(), re.M | re.I
    )
    assert sorted(created) == sorted(registry.SERVICES)
    env = container_env(postgres)
    user, password = env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]
    for name, definition in app_services(services_):
        for var, url in container_env(definition).items():
            if not var.endswith("DATABASE_URL"):
                continue
            parts = urlsplit(url)
            assert parts.hostname == "postgres" and parts.port == 5432, (name, var)
            assert (parts.username, parts.password) == (user, password), (name, var)
            assert parts.path.lstrip("/") in created, (name, var)


def test_dockerfile_shape() -> None:
    lines = [
        line.strip()
        for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    instructions = [line.split()[0].upper() for line in lines if line.split()[0].isupper()]
    assert lines[0] == "FROM python:3.11-slim"
    assert any(line.startswith("RUN pip install") for line in lines)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert instructions.index("USER") > max(
        i for i, instruction in enumerate(instructions) if instruction == "RUN"
    ), "the last USER must come after every RUN"
    copied = [line.split()[1:] for line in lines if line.startswith("COPY ")]
    for source in ("pyproject.toml", "shared", "services", "contracts"):
        assert any(c[0] == source for c in copied), source
    contracts_target = next(c[-1] for c in copied if c[0] == "contracts")
    assert f"SLAGKRACHT_CONTRACTS_DIR={contracts_target}" in DOCKERFILE.read_text()
    assert lines[-1] == 'CMD ["slagkracht", "--help"]'
    with pytest.raises(SystemExit) as exc:
        services.cli.main(["--help"])
    assert exc.value.code == 0


def test_ci_installs_docker_compose() -> None:
    packages = [
        line.strip()
        for line in CI_PACKAGES.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "docker-compose" in packages


# -- docker-compose itself, when installed ----------------------------------------------------


def _compose_config(env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker-compose", "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_docker_compose_validates_the_file() -> None:
    if shutil.which("docker-compose") is None:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail("docker-compose is not installed; CI installs deploy/ci-packages.txt")
        # Outside CI only (the line above fails in CI): the structural checks still ran.
        pytest.skip("docker-compose is not installed (apt-get install docker-compose); not CI")
    base = {k: v for k, v in os.environ.items() if k not in REQUIRED_ENV}
    result = _compose_config({**base, **REQUIRED_ENV})
    assert result.returncode == 0, result.stderr
    refused = _compose_config(base)
    assert refused.returncode != 0
    assert "set " in refused.stderr and (
        "JWT_SECRET" in refused.stderr or "POSTGRES_PASSWORD" in refused.stderr
    ), refused.stderr
