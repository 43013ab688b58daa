"""The production deployment files are valid, checked without a Docker engine.

The compose file is parsed with PyYAML and its structure checked against the code it runs:
every ``slagkracht`` command parses with the real CLI, every gunicorn target imports and
answers ``/healthz``, every container's environment passes ``load_settings`` in production
mode, and the names that tie containers together (services, ports, databases, the broker
address) agree. The broker's security is checked the same way: its listeners all want a login,
nothing is allowed without an ACL, each worker's login has exactly the ACLs its code needs
(``shared/topics.py`` topics and the consumer its ``worker.py`` builds), and passwords are
Docker secrets. The scripts of ``deploy/kafka`` run here against stand-ins for Kafka's tools.
When Debian's ``docker-compose`` (1.29) is installed it validates the file too; in CI
(``CI=true``) it must be installed (``deploy/ci-packages.txt``).
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
from sqlalchemy.orm import sessionmaker

import services.cli
from services import registry
from services.portal import live
from shared.migrate import APP_ROLE
from shared.settings import DEV_JWT_SECRET, Settings, load_settings
from shared.topics import DLQ_SUFFIX, TOPICS, topic_owner

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
INIT_SQL = ROOT / "deploy" / "postgres-init" / "01-databases.sql"
CI_PACKAGES = ROOT / "deploy" / "ci-packages.txt"
KAFKA_DIR = ROOT / "deploy" / "kafka"
BROKER_PROPERTIES = KAFKA_DIR / "server.properties"
ACLS_FILE = KAFKA_DIR / "acls.txt"
SECRETS_DIR = ROOT / "deploy" / "secrets"
# Where the compose file mounts deploy/kafka in the kafka, kafka-init containers.
KAFKA_MOUNT = "/opt/slagkracht/kafka"
ADMIN = "admin"  # the broker's one super user, for the broker and the one-shot jobs only

# What an operator must supply; compose refuses to start without them.
REQUIRED_ENV = {
    "JWT_SECRET": "a-real-secret-for-the-test",
    "POSTGRES_PASSWORD": "pg-test-pw",
    "POSTGRES_APP_PASSWORD": "pg-app-test-pw",
    "PORTAL_SECRET_KEY": "a-real-session-key-for-the-test",
    "OIDC_ISSUER": "https://login.example.test",
    "OIDC_CLIENT_ID": "slagkracht-portal",
}
ONE_SHOT_JOBS = ("migrate", "kafka-init", "topics")
# Variables a container's environment may set; cleared before simulating one.
SETTINGS_VARS = (
    "DATABASE_URL",
    *(f"{s.upper()}_DATABASE_URL" for s in registry.SERVICES),
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_TOPIC_PREFIX",
    "KAFKA_CONSUMER_GROUP",
    "KAFKA_FETCH_MAX_WAIT_MS",
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "KAFKA_SASL_PASSWORD_FILE",
    "KAFKA_SSL_CAFILE",
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


def secret_names(definition: Mapping[str, Any]) -> set[str]:
    """The Docker secrets a container is given (short or long syntax), by their name in it."""
    names = set()
    for secret in definition.get("secrets") or []:
        names.add(secret if isinstance(secret, str) else secret.get("target", secret["source"]))
    return names


def with_secrets(name: str, definition: Mapping[str, Any], folder: Path) -> dict[str, str]:
    """The container's environment with each ``*_FILE`` under /run/secrets/ made a real file in
    ``folder`` (a made-up password), as Docker mounts it; naming a secret the container is not
    given fails."""
    env = container_env(definition)
    for var, value in env.items():
        if var.endswith("_FILE") and value.startswith("/run/secrets/"):
            secret = value.removeprefix("/run/secrets/")
            assert secret in secret_names(definition), f"{name}: {var} names {secret!r}"
            path = folder / secret
            path.write_text(f"made-up-{secret}-0123456789\n", encoding="utf-8")
            env[var] = str(path)
    return env


def read_properties(path: Path) -> dict[str, str]:
    """A Java .properties file of plain ``key=value`` lines (what ours use)."""
    properties = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")):
            key, _, value = line.partition("=")
            properties[key.strip()] = value.strip()
    return properties


def read_acls() -> dict[str, set[tuple[str, str, str, str]]]:
    """deploy/kafka/acls.txt: principal → {(operation, resource, pattern, name)}."""
    acls: dict[str, set[tuple[str, str, str, str]]] = {}
    for line in ACLS_FILE.read_text(encoding="utf-8").splitlines():
        fields = line.partition("#")[0].split()
        if fields:
            assert len(fields) == 5, f"acls.txt: {line!r} is not 5 fields"
            principal, operation, resource, pattern, name = fields
            acls.setdefault(principal, set()).add((operation, resource, pattern, name))
    return acls


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
    for job in ("kafka-init", "topics"):
        assert services_[job]["depends_on"]["kafka"]["condition"] == "service_healthy", job


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
    tmp_path: Path,
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
        env = with_secrets(name, definition, tmp_path)
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
    services_: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    apis = 0
    for name, definition in app_services(services_):
        argv = as_list(definition.get("command"))
        if argv[:1] != ["gunicorn"] or name == "portal":
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

        env = with_secrets(name, definition, tmp_path)
        assert env["SLAGKRACHT_ENV"] == "production", name
        use_container_env(monkeypatch, env)
        app = import_app(target)  # what gunicorn does: import the module, call the factory
        assert isinstance(app, Flask), name
        assert app.extensions["slagkracht"].settings.environment == "production"
        response = app.test_client().get("/healthz")
        assert response.status_code == 200, name
        assert response.get_json() == {"status": "ok", "service": service}
    assert apis == len(registry.SERVICES)


def test_the_portal_serves_production_sign_in_and_calls_the_api_containers(
    services_: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.portal.config import DEFAULT_API_URLS, load_config

    portal = services_["portal"]
    args = GunicornConfig().parser().parse_args(as_list(portal["command"])[1:])
    assert args.args == ["services.portal.app:create_app()"]
    assert args.bind == ["0.0.0.0:8080"] and host_ports(portal) == [(8080, 8080)]
    assert "127.0.0.1:8080/healthz" in " ".join(as_list(portal["healthcheck"]["test"]))
    env = container_env(portal)
    # Every API it calls (notify's inbox and badge too) is a container of this file, started
    # healthy before it.
    assert set(DEFAULT_API_URLS) == set(registry.SERVICES)
    assert env["NOTIFY_URL"] == "http://notify-api:8084"
    for api in DEFAULT_API_URLS:
        host, _, port = env[f"{api.upper()}_URL"].removeprefix("http://").partition(":")
        assert host == f"{api}-api" and host in services_, api
        assert [p for _, p in host_ports(services_[host])] == [int(port)], api
        assert portal["depends_on"][host]["condition"] == "service_healthy", api
    assert env["KAFKA_SASL_USERNAME"] == "portal"  # the live board's read-only login
    config = load_config(env)
    assert config.production and config.oidc_enabled
    assert config.secret_key == REQUIRED_ENV["PORTAL_SECRET_KEY"]
    # Without a session key or an identity provider, production refuses to start.
    for missing in ("PORTAL_SECRET_KEY", "OIDC_ISSUER"):
        with pytest.raises(ValueError, match=missing):
            load_config({k: v for k, v in env.items() if k != missing})
    use_container_env(monkeypatch, env)
    app = import_app(args.args[0])  # what gunicorn does: import the module, call the factory
    assert isinstance(app, Flask) and app.extensions["portal_config"].production
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json()["service"] == "portal"


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


def test_kafka_runs_single_node_kraft_from_the_committed_properties(
    services_: dict[str, dict[str, Any]],
) -> None:
    kafka = services_["kafka"]
    assert "./deploy/kafka:" + KAFKA_MOUNT + ":ro" in kafka["volumes"]
    assert as_list(kafka["entrypoint"]) == ["/bin/bash", f"{KAFKA_MOUNT}/start-broker.sh"]
    assert container_env(kafka)["CLUSTER_ID"]
    props = read_properties(BROKER_PROPERTIES)
    assert set(props["process.roles"].split(",")) == {"broker", "controller"}
    voters = props["controller.quorum.voters"].split(",")
    assert len(voters) == 1 and voters[0].startswith(f"{props['node.id']}@")
    listeners = dict(item.split("://", 1) for item in props["listeners"].split(","))
    controller = props["controller.listener.names"]
    assert listeners[controller].endswith(":" + voters[0].rpartition(":")[2])
    assert set(listeners) <= set(protocol_map(props))
    for name in ("offsets.topic", "transaction.state.log"):
        assert props[f"{name}.replication.factor"] == "1"
    assert props["auto.create.topics.enable"] == "false"
    assert props["log.dirs"] in {str(v).split(":")[1] for v in kafka["volumes"]}
    (advertised,) = props["advertised.listeners"].split(",")
    listener, address = advertised.split("://", 1)
    assert listener == props["inter.broker.listener.name"]
    assert address.split(":")[0] in ("kafka", kafka.get("hostname"))
    # Every container of ours reaches the broker at the address Kafka advertises.
    for name, definition in app_services(services_):
        assert container_env(definition)["KAFKA_BOOTSTRAP_SERVERS"] == address, name


def protocol_map(props: Mapping[str, str]) -> dict[str, str]:
    return dict(p.split(":") for p in props["listener.security.protocol.map"].split(","))


def test_every_broker_listener_wants_a_login(
    services_: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """No listener takes a connection without a SASL login; the services use SCRAM."""
    props = read_properties(BROKER_PROPERTIES)
    protocols = protocol_map(props)
    listeners = dict(item.split("://", 1) for item in props["listeners"].split(","))
    for listener in listeners:
        assert protocols[listener] in ("SASL_PLAINTEXT", "SASL_SSL"), listener

    def mechanisms(listener: str) -> set[str]:
        key = f"listener.name.{listener.lower()}.sasl.enabled.mechanisms"
        return set(props.get(key, props.get("sasl.enabled.mechanisms", "GSSAPI")).split(","))

    # The services' listener: SCRAM only (PLAIN would carry passwords in clear).
    (advertised,) = props["advertised.listeners"].split(",")
    clients = advertised.split("://")[0]
    assert mechanisms(clients) == {"SCRAM-SHA-512"}
    assert props["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    # The controller listener: this container's loopback only, with a login all the same.
    controller = props["controller.listener.names"]
    assert listeners[controller].rpartition(":")[0] == "127.0.0.1"
    assert mechanisms(controller) == {props["sasl.mechanism.controller.protocol"]}
    assert host_ports(services_["kafka"]) == [], "the broker is for the compose network only"
    # Every container that talks Kafka (all of ours but migrate and the portal, which only
    # calls the APIs) logs in as the listener wants; a service's API and worker as that service.
    for name, definition in app_services(services_):
        env = with_secrets(name, definition, tmp_path)
        settings = load_settings("catalog", env, require_database=False)
        security = settings.kafka_security
        if name == "migrate":
            continue
        assert security.protocol == protocols[clients], name
        assert security.sasl_mechanism in mechanisms(clients), name
        service = name.rpartition("-")[0]
        if service in registry.SERVICES:
            assert security.sasl_username == service, name


def test_nothing_is_allowed_without_an_acl_and_only_the_admin_is_super(
    services_: dict[str, dict[str, Any]],
) -> None:
    props = read_properties(BROKER_PROPERTIES)
    assert (
        props["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    )
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == f"User:{ADMIN}"
    # The admin's password reaches the broker and the one-shot jobs, nothing that stays up.
    holders = {n for n, d in services_.items() if f"kafka_{ADMIN}_password" in secret_names(d)}
    assert holders == {"kafka", "kafka-init", "topics"}
    for name, definition in services_.items():
        if container_env(definition).get("KAFKA_SASL_USERNAME") == ADMIN:
            assert name in ONE_SHOT_JOBS, name
    assert ADMIN not in read_acls(), "the super user needs no ACL"


def worker_settings(services_: dict[str, dict[str, Any]], service: str, folder: Path) -> Settings:
    name = f"{service}-worker"
    return load_settings(service, with_secrets(name, services_[name], folder))


def test_each_worker_login_may_write_its_topics_and_dlqs_and_read_what_it_consumes(
    services_: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """ACLs compared with the code: the topics a service owns (its outbox relay writes them),
    the topics its worker's consumers read, the DLQs they dead-letter to (``<topic>.dlq``, the
    consumed topic's), and their consumer groups. A consumer added without its ACL fails here;
    so does an ACL nothing needs."""
    acls = read_acls()
    principals: dict[str, str] = {}
    for service in registry.SERVICES:
        settings = worker_settings(services_, service, tmp_path)
        principal = settings.kafka_security.sasl_username
        assert principal is not None, service
        assert principal not in principals.values(), f"{service} shares a login"
        principals[service] = principal
        consumers, _ = registry.worker_builder(service)(settings, sessionmaker())
        assert len(consumers) == 1, f"{service}: one Kafka client serves all its topics"
        consumed = {topic for consumer in consumers for topic in consumer.topics}
        owned = {settings.topic(name) for name in TOPICS if topic_owner(name) == service}
        granted = acls.get(principal, set())
        topics = {(op, name) for op, resource, pattern, name in granted if resource == "topic"}
        assert topics == {("Write", t) for t in owned | {c + DLQ_SUFFIX for c in consumed}} | {
            ("Read", t) for t in consumed
        }, service
        assert {p for _, r, p, _ in granted if r == "topic"} == {"literal"}, service
        groups = {(op, p, name) for op, resource, p, name in granted if resource == "group"}
        ((operation, pattern, prefix),) = groups  # one group ACL per login, nothing else
        assert (operation, pattern) == ("Read", "prefixed"), service
        assert {r for _, r, _, _ in granted} <= {"topic", "group"}, service
        for consumer in consumers:  # one Kafka client (one group) per worker
            assert consumer.group_id.startswith(prefix), (service, consumer.name, consumer.group_id)
    # The portal's live board reads two topics by assignment: no group, no writes.
    portal = container_env(services_["portal"])["KAFKA_SASL_USERNAME"]
    assert portal not in principals.values()
    assert acls[portal] == {("Read", "topic", "literal", t) for t in live.TOPICS}
    principals["portal"] = portal
    assert set(acls) == set(principals.values()), "acls.txt names a login nothing uses"
    prefixes = [name for grants in acls.values() for _, r, _, name in grants if r == "group"]
    for prefix in prefixes:  # no login's groups fall under another's prefix
        assert [p for p in prefixes if prefix.startswith(p)] == [prefix], prefix


def test_no_password_is_written_in_the_deployment_files(
    compose: dict[str, Any], services_: dict[str, dict[str, Any]]
) -> None:
    lines = COMPOSE_FILE.read_text(encoding="utf-8").lower().splitlines()
    code = "\n".join(line.partition("#")[0] for line in lines)  # comments may name variables
    assert "jaas" not in code
    literal = re.search(r"(?:^|\s)[\w.-]*(?:password|secret)[\w.-]*[ \t]*[=:][ \t]*[^$\s/]", code)
    assert literal is None, f"a password written in the file: {literal}"
    for key, value in read_properties(BROKER_PROPERTIES).items():
        assert "jaas" not in key and "password" not in key + value.lower(), key
    for name, definition in services_.items():
        raw_env = definition.get("environment") or {}
        for var, value in raw_env.items():
            assert var != "KAFKA_SASL_PASSWORD", f"{name}: use KAFKA_SASL_PASSWORD_FILE"
            if var.endswith("_FILE"):
                assert str(value).startswith("/run/secrets/"), (name, var)
            elif "PASSWORD" in var or "SECRET" in var:
                # From the operator's environment, never a value written here.
                assert re.fullmatch(r"\$\{\w+:[?-][^}]*\}", str(value)), (name, var)
    # Every secret is a file the operator makes in deploy/secrets/, which git ignores.
    declared = compose["secrets"]
    for secret, source in declared.items():
        path = Path(source["file"])
        assert path.parent == Path("./deploy/secrets") and path.name == f"{secret}.txt", secret
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", str(path)], cwd=ROOT, check=False, timeout=30
        )
        assert ignored.returncode == 0, f"{path} is not git-ignored"
    used = set().union(*(secret_names(d) for d in services_.values()))
    assert used == set(declared)
    logins = set(read_acls()) | {ADMIN}
    assert set(declared) == {f"kafka_{login}_password" for login in logins}
    assert secret_names(services_["kafka-init"]) == set(declared)


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
    owner = env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]
    # Migrations run as the owner; everything else as the app role migrate creates with the
    # password it is given (shared.migrate: rows only, never the schema).
    app_role = APP_ROLE, container_env(services_["migrate"])["APP_DATABASE_PASSWORD"]
    assert app_role[1] == REQUIRED_ENV["POSTGRES_APP_PASSWORD"]
    for name, definition in app_services(services_):
        for var, url in container_env(definition).items():
            if not var.endswith("DATABASE_URL"):
                continue
            parts = urlsplit(url)
            assert parts.hostname == "postgres" and parts.port == 5432, (name, var)
            expected = owner if name == "migrate" else app_role
            assert (parts.username, parts.password) == expected, (name, var)
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


# -- the broker's scripts, run against stand-ins for Kafka's tools ----------------------------


@pytest.fixture
def kafka_tools(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """Kafka's command-line tools replaced by scripts that log their arguments, one line each,
    and a folder of made-up secrets for every login; returns the script environment and log."""
    tools, secrets, log = tmp_path / "bin", tmp_path / "secrets", tmp_path / "calls.log"
    tools.mkdir()
    secrets.mkdir()
    for tool in ("kafka-configs.sh", "kafka-acls.sh", "kafka-storage.sh", "kafka-server-start.sh"):
        script = tools / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{log}"\n', encoding="utf-8")
        script.chmod(0o755)
    for login in (*read_acls(), ADMIN):
        (secrets / f"kafka_{login}_password").write_text(f"pw-of-{login}-0123456789\n")
    env = {
        "PATH": os.environ["PATH"],
        "KAFKA_BIN": str(tools),
        "SECRETS_DIR": str(secrets),
        "RUNTIME_DIR": str(tmp_path / "runtime"),
        "CLUSTER_ID": "test-cluster-id",
    }
    return env, log


def run_script(script: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(KAFKA_DIR / script)],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def option(call: list[str], name: str) -> str:
    """The value after ``name`` in a logged command line."""
    return call[call.index(name) + 1]


def test_kafka_init_creates_each_login_and_exactly_the_listed_acls(
    services_: dict[str, dict[str, Any]], kafka_tools: tuple[dict[str, str], Path]
) -> None:
    kafka_init = services_["kafka-init"]
    assert kafka_init["image"] == services_["kafka"]["image"]  # the same tools as the broker
    assert as_list(kafka_init["entrypoint"]) == ["/bin/bash", f"{KAFKA_MOUNT}/kafka-init.sh"]
    assert "./deploy/kafka:" + KAFKA_MOUNT + ":ro" in kafka_init["volumes"]
    env, log = kafka_tools
    result = run_script("kafka-init.sh", env)
    assert result.returncode == 0, result.stderr
    calls = [line.split() for line in log.read_text().splitlines()]
    for call in calls:  # every call logs in as the admin, through a file
        assert call[1:5] == ["--bootstrap-server", "kafka:9092", "--command-config", call[4]]
    logins = {
        option(call, "--entity-name"): option(call, "--add-config")
        for call in calls
        if call[0] == "kafka-configs.sh"
    }
    assert logins == {
        login: f"SCRAM-SHA-512=[password=pw-of-{login}-0123456789]" for login in read_acls()
    }
    added = set()
    for call in calls:
        if call[0] == "kafka-acls.sh" and "--add" in call:
            resource = next(a.removeprefix("--") for a in call if a in ("--topic", "--group"))
            principal = option(call, "--allow-principal").removeprefix("User:")
            pattern = option(call, "--resource-pattern-type")
            grant = (option(call, "--operation"), resource, pattern, option(call, f"--{resource}"))
            added.add((principal, *grant))
    assert added == {(p, *grant) for p, grants in read_acls().items() for grant in grants}


def test_kafka_init_stops_on_a_missing_or_weak_secret(
    kafka_tools: tuple[dict[str, str], Path],
) -> None:
    env, log = kafka_tools
    secrets = Path(env["SECRETS_DIR"])
    (secrets / "kafka_booking_password").unlink()
    result = run_script("kafka-init.sh", env)
    assert result.returncode != 0
    assert "kafka_booking_password is missing" in result.stderr
    assert not log.exists(), "nothing is changed before every password is read"
    (secrets / "kafka_booking_password").write_text('short"quote\n')
    result = run_script("kafka-init.sh", env)
    assert result.returncode != 0 and "must be 16 or more of" in result.stderr


def test_the_broker_starts_with_the_admin_login_from_its_secret(
    services_: dict[str, dict[str, Any]], kafka_tools: tuple[dict[str, str], Path]
) -> None:
    env, log = kafka_tools
    result = run_script("start-broker.sh", env)
    assert result.returncode == 0, result.stderr
    runtime = Path(env["RUNTIME_DIR"])
    password = f"pw-of-{ADMIN}-0123456789"
    config = read_properties(runtime / "server.properties")
    # The committed settings, plus the broker's own logins: nothing else changes.
    extra = {k: v for k, v in config.items() if k not in read_properties(BROKER_PROPERTIES)}
    assert set(extra) == {
        "listener.name.internal.scram-sha-512.sasl.jaas.config",
        "listener.name.controller.plain.sasl.jaas.config",
    }
    assert all(f'password="{password}"' in value for value in extra.values())
    assert f'user_{ADMIN}="{password}"' in extra["listener.name.controller.plain.sasl.jaas.config"]
    for written in ("server.properties", "admin.properties"):
        assert (runtime / written).stat().st_mode & 0o077 == 0, f"{written} is not private"
    (format_call, start_call) = log.read_text().splitlines()
    assert format_call.split()[:3] == ["kafka-storage.sh", "format", "--ignore-formatted"]
    assert f"--add-scram SCRAM-SHA-512=[name={ADMIN},password={password}]" in format_call
    assert "--cluster-id test-cluster-id" in format_call
    assert start_call == f"kafka-server-start.sh {runtime / 'server.properties'}"
    # The healthcheck logs in with the client settings the script wrote, at their default place.
    health = as_list(services_["kafka"]["healthcheck"]["test"])
    command_config = Path(health[health.index("--command-config") + 1])
    assert (
        f"${{RUNTIME_DIR:-{command_config.parent}}}" in (KAFKA_DIR / "start-broker.sh").read_text()
    )
    admin = read_properties(runtime / command_config.name)
    assert admin["security.protocol"] == "SASL_PLAINTEXT"
    assert admin["sasl.mechanism"] == "SCRAM-SHA-512"
    assert f'username="{ADMIN}" password="{password}"' in admin["sasl.jaas.config"]
