"""docker/compose.yaml and docker/Dockerfile as data, and their services run on 127.0.0.1.

Usage::

    compose = load_compose()                      # parsed, ${VAR:-default} interpolated
    image = Image.parse(DOCKERFILE)               # instructions, ENV, HEALTHCHECK, COPY ...
    with LocalServices(compose, image, tmp_path) as local:
        local.run_once("init")                    # the service's own command line
        local.start("register-de", "de")          # entrypoint + command, as the image runs it
        await local.wait_healthy("de")            # the service's (or the image's) health check
        local.client_port("nl")                   # where NL's client port 8080 is here

No Docker engine runs here, so the containers' commands run as processes, taken from the
compose file and the Dockerfile as they are, with three substitutions only:

- a service name with a port (``de:8443``, ``http://register-de:9001``) becomes
  127.0.0.1 and an ephemeral port chosen for that service and container port; an
  address of the container itself (``0.0.0.0:9001``, ``127.0.0.1:8444``) becomes the
  same for the service that names it;
- ``/state`` (where the named volumes are mounted) becomes a temporary directory;
- ``xgw``, ``xgw-entrypoint`` and ``xgw-healthcheck`` are what the image installs: the
  files the Dockerfile COPYs to /usr/local/bin, and ``xgw`` of this checkout.

The gateways' listen addresses, written by ``xgw demo init`` for a container's network
(all interfaces, fixed ports), are overridden with ``XGW_LISTEN_*`` and
``XGW_ADMIN_LISTEN`` by the same substitution: three containers share none of their
ports, three processes on one host must.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shlex
import subprocess
import sys
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from gateway.app import bind

__all__ = [
    "COMPOSE_FILE",
    "DOCKERFILE",
    "DOCKER_DIR",
    "PROJECT_ROOT",
    "Image",
    "Instruction",
    "LocalServices",
    "gateway_services",
    "load_compose",
    "xgw_commands",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DOCKER_DIR = PROJECT_ROOT / "docker"
COMPOSE_FILE = DOCKER_DIR / "compose.yaml"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
STATE = "/state"
HOST = "127.0.0.1"
_OWN_ADDRESSES = ("0.0.0.0", "127.0.0.1", "localhost")
_ADDRESS = re.compile(r"(?<![\w.-])(?P<host>[A-Za-z0-9][\w.-]*):(?P<port>\d{1,5})(?!\d)")
_STATE_PATH = re.compile(r"(?<![\w/.-])/state(?=/|$)")
_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>\w+)(?::-(?P<default>[^}]*))?\}")
READY_TIMEOUT = 40.0  # six cold starts (lxml, cryptography, aiohttp) share two cores


# ---------------------------------------------------------------------- the files


def load_compose(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """compose.yaml, parsed (YAML merge keys resolved) and interpolated as Compose does."""
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    interpolated: dict[str, Any] = _interpolate(document, {} if env is None else env)
    return interpolated


def _interpolate(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            name, default = match.group("name"), match.group("default")
            return env.get(name) or (default if default is not None else "")

        return _VARIABLE.sub(substitute, value)
    if isinstance(value, list):
        return [_interpolate(item, env) for item in value]
    if isinstance(value, dict):
        return {key: _interpolate(item, env) for key, item in value.items()}
    return value


def gateway_services(compose: Mapping[str, Any]) -> dict[str, Path]:
    """The services that run ``xgw serve``, and the config each serves (in the container)."""
    found = {}
    for name, service in compose["services"].items():
        command = service.get("command")
        if isinstance(command, list) and command[:2] == ["xgw", "serve"]:
            found[name] = Path(command[command.index("--config") + 1])
    return found


def xgw_commands(compose: Mapping[str, Any], image: Image) -> dict[str, list[str]]:
    """Every ``xgw ...`` command line of the compose file and of the image, by where it is."""
    found: dict[str, list[str]] = {}
    if image.cmd[:1] == ["xgw"]:
        found["Dockerfile CMD"] = image.cmd
    for name, service in compose["services"].items():
        command = service.get("command")
        if isinstance(command, str):
            command = shlex.split(command)
        if command and command[0] == "xgw":
            found[f"{name}: command"] = command
    return found


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY ...
    arguments: str  # everything after the keyword, continuation lines joined
    line: int

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form CMD / ENTRYPOINT / HEALTHCHECK CMD."""
        text = self.arguments
        if self.keyword == "HEALTHCHECK":
            text = text[text.index("CMD") + len("CMD") :]
        value = json.loads(text)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), self
        return value


@dataclass
class Image:
    """The Dockerfile's instructions, and what the final stage makes of them."""

    instructions: list[Instruction]
    stages: list[list[Instruction]] = field(default_factory=list)

    @classmethod
    def parse(cls, path: Path) -> Image:
        instructions: list[Instruction] = []
        pending: list[str] = []
        start = 0
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not pending and (not line or line.startswith("#")):
                continue
            if pending and line.startswith("#"):
                continue  # a comment inside a continued instruction
            if not pending:
                start = number
            pending.append(line.removesuffix("\\").strip())
            if not line.endswith("\\"):
                keyword, _, arguments = " ".join(pending).partition(" ")
                instructions.append(Instruction(keyword.upper(), arguments.strip(), start))
                pending = []
        assert not pending, "the Dockerfile ends inside a continued instruction"
        image = cls(instructions)
        for instruction in instructions:
            if instruction.keyword == "FROM":
                image.stages.append([])
            if image.stages:
                image.stages[-1].append(instruction)
        return image

    @property
    def final(self) -> list[Instruction]:
        return self.stages[-1]

    def last(self, keyword: str) -> Instruction | None:
        found = [i for i in self.final if i.keyword == keyword]
        return found[-1] if found else None

    @property
    def cmd(self) -> list[str]:
        instruction = self.last("CMD")
        return [] if instruction is None else instruction.exec_form()

    @property
    def entrypoint(self) -> list[str]:
        instruction = self.last("ENTRYPOINT")
        return [] if instruction is None else instruction.exec_form()

    @property
    def healthcheck(self) -> list[str]:
        instruction = self.last("HEALTHCHECK")
        return [] if instruction is None else instruction.exec_form()

    @property
    def env(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for instruction in self.final:
            if instruction.keyword == "ENV":
                for name, value in re.findall(r"(\w+)=(\S+)", instruction.arguments):
                    found[name] = value
        return found

    @property
    def installed_programs(self) -> dict[str, Path]:
        """What the final stage COPYs into /usr/local/bin, by program name: its source file."""
        found = {}
        for instruction in self.final:
            if instruction.keyword == "COPY" and "--from" not in instruction.arguments:
                source, target = instruction.arguments.split()[-2:]
                if target.startswith("/usr/local/bin/"):
                    found[Path(target).name] = PROJECT_ROOT / source
        return found


# ---------------------------------------------------------------------- on 127.0.0.1


def _free_port() -> int:
    with contextlib.closing(bind(HOST, 0)) as sock:
        port: int = sock.getsockname()[1]
    return port


@dataclass
class _Process:
    service: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]


class LocalServices:
    """The compose services as processes on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        compose: Mapping[str, Any],
        image: Image,
        root: Path,
        *,
        storage_env: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        """``storage_env`` replaces, per service, the environment's XGW_STORAGE_* (the
        database of this machine instead of the compose file's)."""
        self.compose = compose
        self.image = image
        self.state_dir = root / "state"
        self.state_dir.mkdir(parents=True)
        self.logs = root / "logs"
        self.logs.mkdir()
        self.bin_dir = root / "bin"
        self.xgw_log = self.logs / "xgw-calls.log"
        self._install_programs()
        self.storage_env = storage_env or {}
        self.ports: dict[tuple[str, int], int] = {}
        self.processes: dict[str, _Process] = {}

    def __enter__(self) -> LocalServices:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    # -------------------------------------------------------------- substitution

    def port(self, service: str, container_port: int) -> int:
        """The port here of ``service``'s ``container_port`` (one port for each pair)."""
        if container_port in {p for (s, _), p in self.ports.items() if s == service}:
            return container_port  # localized already (e.g. in a config init wrote)
        key = (service, container_port)
        if key not in self.ports:
            self.ports[key] = _free_port()
        return self.ports[key]

    def localize(self, service: str, text: str) -> str:
        """``text`` of ``service``'s definition, for this host (see the module docstring)."""

        def address(match: re.Match[str]) -> str:
            host = match.group("host")
            if host in _OWN_ADDRESSES:
                target = service
            elif host in self.compose["services"]:
                target = host
            else:
                return match.group(0)
            return f"{HOST}:{self.port(target, int(match.group('port')))}"

        text = _ADDRESS.sub(address, text)
        return _STATE_PATH.sub(str(self.state_dir), text)

    def command(self, service: str) -> list[str]:
        """What the service's container runs: the image's entrypoint, then its command."""
        definition = self.compose["services"][service]
        command = definition.get("command", self.image.cmd)
        entrypoint = definition.get("entrypoint", self.image.entrypoint)
        return [self.localize(service, part) for part in [*entrypoint, *command]]

    def environment(self, service: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("XGW_")}
        env["PATH"] = f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONUNBUFFERED"] = "1"
        for name, value in {**self.image.env, **self.compose_env(service)}.items():
            env[name] = self.localize(service, str(value))
        if service in self.storage_env:
            env = {k: v for k, v in env.items() if not k.startswith("XGW_STORAGE_")}
            env.update(self.storage_env[service])
        if service in gateway_services(self.compose):
            env.update(self._listen_overrides(service))
        return env

    def compose_env(self, service: str) -> dict[str, str]:
        environment = self.compose["services"][service].get("environment", {})
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        return {str(k): str(v) for k, v in environment.items()}

    def mounts(self, service: str) -> dict[Path, bool]:
        """The service's volumes, here: where each is mounted, and whether read-only."""
        found = {}
        for volume in self.compose["services"][service].get("volumes", []):
            _, target, *options = volume.split(":")
            found[Path(self.localize(service, target))] = "ro" in options
        return found

    def config_of(self, service: str) -> Path:
        """The config a gateway service serves, here."""
        return Path(self.localize(service, str(gateway_services(self.compose)[service])))

    def _listen_overrides(self, service: str) -> dict[str, str]:
        config = tomllib.loads(self.config_of(service).read_text(encoding="utf-8"))
        return {
            "XGW_LISTEN_PEER": self.localize(service, config["listen"]["peer"]),
            "XGW_LISTEN_CLIENT": self.localize(service, config["listen"]["client"]),
            "XGW_ADMIN_LISTEN": self.localize(service, config["admin"]["listen"]),
        }

    def client_port(self, service: str) -> int:
        config = tomllib.loads(self.config_of(service).read_text(encoding="utf-8"))
        return int(self.localize(service, config["listen"]["client"]).rsplit(":", 1)[1])

    def healthcheck(self, service: str) -> list[str]:
        """The service's health check command (its own, else the image's), for this host."""
        test = self.compose["services"][service].get("healthcheck", {}).get("test")
        if test is None:
            command = self.image.healthcheck
        else:
            assert test[0] == "CMD", f"{service}: only exec-form health checks run here"
            command = test[1:]
        return [self.localize(service, part) for part in command]

    # -------------------------------------------------------------- processes

    def _install_programs(self) -> None:
        """/usr/local/bin of the image: the files the Dockerfile installs, and ``xgw``."""
        self.bin_dir.mkdir()
        for name, source in self.image.installed_programs.items():
            (self.bin_dir / name).symlink_to(source)
        xgw = self.bin_dir / "xgw"
        xgw.write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" "$*" >> {shlex.quote(str(self.xgw_log))}\n'
            f'exec {shlex.quote(sys.executable)} -m gateway.cli "$@"\n'
        )
        xgw.chmod(0o755)

    def xgw_calls(self) -> list[str]:
        """Every ``xgw`` command line run so far, in order (the entrypoint's too)."""
        return self.xgw_log.read_text(encoding="utf-8").splitlines()

    def run_once(self, service: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run a one-shot service (an init step) to its end."""
        return subprocess.run(
            self.command(service),
            env=self.environment(service),
            cwd=self.state_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, *services: str) -> None:
        for service in services:
            log_path = self.logs / f"{service}.log"
            log = log_path.open("wb")
            process = subprocess.Popen(
                self.command(service),
                env=self.environment(service),
                cwd=self.state_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            self.processes[service] = _Process(service, process, log_path, log)

    async def wait_healthy(self, *services: str) -> None:
        """Wait until each service's health check passes; fail naming the one that did not."""
        await asyncio.gather(*(self._wait_healthy(service) for service in services))

    async def _wait_healthy(self, service: str) -> None:
        check = self.healthcheck(service)
        env = self.environment(service)
        deadline = time.monotonic() + READY_TIMEOUT
        outcome = ""
        # Each probe is a Python process: wait for the probed port to listen first, cheaply.
        probed = _ADDRESS.search(" ".join(check) or env.get("XGW_HEALTHCHECK_URL", ""))
        while probed is not None and time.monotonic() < deadline:
            self._check_running(service)
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection(HOST, int(probed.group("port")))
                writer.close()
                break
            await asyncio.sleep(0.05)
        while time.monotonic() < deadline:
            self._check_running(service)
            probe = await asyncio.create_subprocess_exec(
                *check,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await probe.communicate()
            outcome = out.decode(errors="replace").strip()
            if probe.returncode == 0:
                return
            await asyncio.sleep(0.2)
        raise AssertionError(
            f"{service} not healthy after {READY_TIMEOUT:.0f}s: {outcome}\n{self.log_tail(service)}"
        )

    def _check_running(self, service: str) -> None:
        process = self.processes[service].process
        if process.poll() is not None:
            raise AssertionError(
                f"{service} exited with {process.returncode}\n{self.log_tail(service)}"
            )

    def log_tail(self, service: str, lines: int = 30) -> str:
        running = self.processes.get(service)
        if running is None:
            return f"({service} was not started)"
        running.log.flush()
        text = running.log_path.read_text(encoding="utf-8", errors="replace")
        return f"--- {service} ---\n" + "\n".join(text.splitlines()[-lines:])

    def stop_all(self) -> None:
        """SIGTERM each process (as ``docker compose stop`` does), then reap it."""
        for running in self.processes.values():
            if running.process.poll() is None:
                running.process.terminate()
        for running in self.processes.values():
            try:
                running.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                running.process.kill()
                running.process.wait(timeout=10)
            running.log.close()
