"""docker/compose.yaml, checked statically (no Docker engine and no ``docker compose`` here).

Its structure is checked against what the services need: images and builds, the order of
start (depends_on conditions), health checks, every ``xgw`` command line parsed by
xgw's own parser, volumes, ports bound to loopback, the database each gateway names.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from gateway.cli import _parser
from gateway.demo.deployment import CLIENT_PORT
from tests.docker.compose_support import (
    COMPOSE_FILE,
    DOCKER_DIR,
    DOCKERFILE,
    PROJECT_ROOT,
    Image,
    gateway_services,
    load_compose,
    xgw_commands,
)

GATEWAYS = {"de": "DE", "ee": "EE", "nl": "NL"}
REGISTERS = {"register-de": "DE", "register-ee": "EE", "magda": "BE"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


@pytest.fixture(scope="module")
def image() -> Image:
    return Image.parse(DOCKERFILE)


def _xgw_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if "build" in s}


def _option(command: list[str], name: str) -> list[str]:
    """The values of ``--name=value`` (and ``--name value``) in a command line."""
    values = [part.split("=", 1)[1] for part in command if part.startswith(f"{name}=")]
    values += [command[i + 1] for i, part in enumerate(command[:-1]) if part == name]
    return values


def test_the_federation_has_its_services(services) -> None:
    assert set(services) == {"postgres", "init", *REGISTERS, *GATEWAYS}
    assert gateway_services({"services": services}) == {
        name: Path(f"/state/{name}/config.toml") for name in GATEWAYS
    }
    for name, service in services.items():
        assert service.get("image"), f"{name} names no image"


def test_every_xgw_service_builds_the_one_image_from_the_project(services) -> None:
    xgw = _xgw_services(services)
    assert set(xgw) == {"init", *REGISTERS, *GATEWAYS}
    assert len({s["image"] for s in xgw.values()}) == 1
    for name, service in xgw.items():
        build = service["build"]
        context = (COMPOSE_FILE.parent / build["context"]).resolve()
        assert context == PROJECT_ROOT, name  # the project alone: ../shared is outside
        assert (context / build["dockerfile"]).resolve() == DOCKERFILE, name
    assert services["postgres"]["image"].startswith("postgres:")


def test_the_start_order(services) -> None:
    init = services["init"]
    assert init["restart"] == "no"  # a one-shot step: it must not be restarted when done
    for name in GATEWAYS:
        assert services[name]["depends_on"] == {
            "init": {"condition": "service_completed_successfully"},
            "postgres": {"condition": "service_healthy"},
        }, name
    assert services["magda"]["depends_on"] == {
        "init": {"condition": "service_completed_successfully"}
    }  # its TLS certificate comes from init
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, (name, dependency)
            if condition["condition"] == "service_healthy":
                assert "test" in services[dependency].get("healthcheck", {}), dependency
            if condition["condition"] == "service_completed_successfully":
                assert services[dependency].get("restart") == "no", dependency


def test_health_checks(services, image) -> None:
    assert services["init"]["healthcheck"] == {"disable": True}
    assert image.healthcheck[0] in image.installed_programs
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert "--host=127.0.0.1" in services["postgres"]["healthcheck"]["test"]
    for name in GATEWAYS:  # the image's own: /readyz on the admin listener
        assert "healthcheck" not in services[name], name
    for name in REGISTERS:
        test = services[name]["healthcheck"]["test"]
        assert test[0] == "CMD" and test[1] in image.installed_programs, name
        listen = _option(services[name]["command"], "--listen")[0]
        probed = urlsplit(test[2])
        assert (probed.hostname, probed.port, probed.path) == (
            "127.0.0.1",
            int(listen.rsplit(":", 1)[1]),
            "/healthz",
        ), name
        assert probed.scheme == (
            "https" if _option(services[name]["command"], "--tls-cert") else "http"
        )


def test_every_xgw_command_line_parses_with_xgws_own_parser(compose, image) -> None:
    commands = xgw_commands(compose, image)
    assert set(commands) == {
        "Dockerfile CMD",
        *(f"{n}: command" for n in ("init", *REGISTERS, *GATEWAYS)),
    }
    parser = _parser()
    for where, command in commands.items():
        try:
            args = parser.parse_args(command[1:])
        except SystemExit:
            pytest.fail(f"{where}: xgw refuses {command}")
        assert callable(args.func), where
    # The parser is strict: a misspelt option is refused, so the check above means something.
    with pytest.raises(SystemExit):
        parser.parse_args(["demo", "init", "--state-dir=/s", "--gatway=DE=de:8443"])


def test_the_init_step_names_the_services_the_others_are(services) -> None:
    command = services["init"]["command"]
    assert command[:3] == ["xgw", "demo", "init"]
    assert _option(command, "--state-dir") == ["/state"]
    assert _option(command, "--storage") == ["postgresql"]
    gateways = dict(spec.split("=", 1) for spec in _option(command, "--gateway"))
    assert gateways == {key: f"{name}:8443" for name, key in GATEWAYS.items()}
    registers = dict(spec.split("=", 1) for spec in _option(command, "--register"))
    assert set(registers) == set(REGISTERS.values())
    for name, key in REGISTERS.items():
        url = urlsplit(registers[key])
        listen = _option(services[name]["command"], "--listen")[0]
        assert url.hostname == name and str(url.port) == listen.rsplit(":", 1)[1], key
        assert services[name]["command"][:4] == ["xgw", "demo", "register", key]
        tls = bool(_option(services[name]["command"], "--tls-cert"))
        assert url.scheme == ("https" if tls else "http"), key


def test_volumes_give_each_service_what_it_needs_and_no_more(compose, services) -> None:
    declared = set(compose["volumes"])
    members = {"de", "ee", "nl", "be"}
    assert declared == {"postgres", "operator", "public", *members}

    def mounts(name: str) -> dict[str, str]:
        found = {}
        for volume in services[name].get("volumes", []):
            source, target, *options = volume.split(":")
            if not source.startswith("."):
                assert source in declared, (name, source)
            found[target] = f"{source}:{':'.join(options) or 'rw'}"
        return found

    assert mounts("init") == {
        "/state/operator": "operator:rw",
        "/state/public": "public:rw",
        **{f"/state/{m}": f"{m}:rw" for m in members},
    }
    for name in GATEWAYS:  # its own keys and data; what every member may read; nothing else
        assert mounts(name) == {"/state/public": "public:ro", f"/state/{name}": f"{name}:rw"}
    assert mounts("magda") == {"/state/be": "be:ro", "/state/public": "public:ro"}
    assert mounts("register-de") == mounts("register-ee") == {}
    postgres = mounts("postgres")
    assert postgres["/var/lib/postgresql/data"] == "postgres:rw"
    init_sql = postgres["/docker-entrypoint-initdb.d/10-xgw-databases.sql"]
    assert init_sql == "./postgres-init.sql:ro" and (DOCKER_DIR / "postgres-init.sql").is_file()
    assert not any(name != "init" and "/state/operator" in mounts(name) for name in services)


def test_only_loopback_ports_reach_the_host(services) -> None:
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert set(published) == set(GATEWAYS)
    host_ports = set()
    for name, ports in published.items():
        for port in ports:
            assert isinstance(port, str), (name, port)  # YAML 1.1 reads some, unquoted, as numbers
            address, host_port, container_port = port.split(":")
            assert address == "127.0.0.1", (name, port)
            assert int(container_port) == CLIENT_PORT, (name, port)
            host_ports.add(host_port)
    assert len(host_ports) == len(published)


def test_each_gateway_has_its_own_database_with_the_servers_credentials(services) -> None:
    postgres = services["postgres"]["environment"]
    created = set(
        re.findall(
            r"CREATE DATABASE (\w+) OWNER (\w+);",
            (DOCKER_DIR / "postgres-init.sql").read_text(encoding="utf-8"),
        )
    )
    databases = set()
    for name in GATEWAYS:
        dsn = urlsplit(services[name]["environment"]["XGW_STORAGE_DSN"])
        assert dsn.scheme == "postgresql" and (dsn.hostname, dsn.port) == ("postgres", 5432)
        assert (dsn.username, dsn.password) == (
            postgres["POSTGRES_USER"],
            postgres["POSTGRES_PASSWORD"],
        ), name
        database = dsn.path.removeprefix("/")
        assert (database, postgres["POSTGRES_USER"]) in created, name
        databases.add(database)
    assert len(databases) == len(GATEWAYS)
    # The password can be set from the shell; the default is for the demo only.
    overridden = load_compose({"XGW_DB_PASSWORD": "s3cret"})["services"]
    assert overridden["postgres"]["environment"]["POSTGRES_PASSWORD"] == "s3cret"
    assert urlsplit(overridden["de"]["environment"]["XGW_STORAGE_DSN"]).password == "s3cret"


def test_xgw_containers_are_locked_down(services) -> None:
    for name, service in _xgw_services(services).items():
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert "user" not in service, name  # the image's non-root user
        assert not service.get("privileged"), name
