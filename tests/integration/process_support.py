"""Real gateways as separate OS processes: TOML configs, start, readiness, SIGKILL, restart.

Usage::

    fleet = GatewayFleet(fed, tmp_path / "run")  # ports chosen, directory published, TOML
    try:
        await fleet.start("EE", "DE")  # ``python -m gateway.cli serve``; waits for /readyz
        fleet.kill("DE")  # SIGKILL, reaped: no shutdown code runs
        await fleet.start("DE")  # same config, same ports, same data dir
        code, report = await xgw_audit_verify(fleet.data_dir("DE"))
        logged = logged_messages(fleet.audit_db("DE"))
    finally:
        fleet.stop_all()

The certificates, keys and signed directory come from the in-process harness
(``tests.integration.federation.Harness``); each node's TOML is written from the
``Settings`` the harness builds, with fixed ports, so that a restarted gateway
listens where the directory says it does. Only the public entry points are used:
``xgw serve --config``, ``xgw audit verify`` and a read-only look at the audit file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import aiohttp

from gateway.app import bind
from gateway.node import AUDIT_DB
from gateway.settings import Settings
from tests.integration.federation import HOST, Harness

__all__ = [
    "GatewayFleet",
    "LoggedMessage",
    "logged_messages",
    "node_config",
    "to_toml",
    "xgw_audit_verify",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 20.0  # a cold start imports lxml, cryptography, aiohttp: ~1-2 s here
VERIFY_TIMEOUT = 30.0


# ---------------------------------------------------------------------- the audit file


@dataclass(frozen=True)
class LoggedMessage:
    direction: str  # outbound | inbound
    kind: str  # request | response
    status: int | None


def logged_messages(db: Path) -> dict[str, list[LoggedMessage]]:
    """Every message in a gateway's audit file, by exchange id, in log order.

    The one place that knows the table (docs/audit-log.md, "Storage"): adapt it here if
    the schema changes. Opened read-only; safe while the gateway runs (WAL) and after a
    crash (SQLite reads the WAL the dead writer left behind).
    """
    query = "SELECT exchange_id, direction, kind, record FROM audit_entries ORDER BY seq"
    with contextlib.closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as db_:
        rows = db_.execute(query).fetchall()
    found: dict[str, list[LoggedMessage]] = {}
    for exchange_id, direction, kind, record in rows:
        status = json.loads(record)["status"]
        found.setdefault(exchange_id, []).append(LoggedMessage(direction, kind, status))
    return found


async def xgw_audit_verify(data_dir: Path) -> tuple[int, dict[str, Any]]:
    """``xgw audit verify --json --data-dir DIR`` in its own process: exit code and report."""
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "audit",
            "verify",
            "--json",
            "--data-dir",
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=VERIFY_TIMEOUT,
        cwd=PROJECT_ROOT,
        env=_clean_env(),
        check=False,
    )
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        report = {"stdout": done.stdout, "stderr": done.stderr}
    return done.returncode, report


# ---------------------------------------------------------------------- configuration


def node_config(settings: Settings, *, peer_port: int, client_port: int) -> dict[str, Any]:
    """The TOML tables of a node, from the harness's settings, listening on fixed ports."""
    return {
        "member": {"id": settings.member.id},
        "listen": {"peer": f"{HOST}:{peer_port}", "client": f"{HOST}:{client_port}"},
        "tls": {"certificate": str(settings.tls.certificate), "key": str(settings.tls.key)},
        "signing": {
            "certificate": str(settings.signing.certificate),
            "key": str(settings.signing.key),
        },
        "directory": {
            "source": settings.directory.source,
            "trust_anchor": str(settings.directory.trust_anchor),
            "refresh_interval": settings.directory.refresh_interval,
        },
        "data": {"dir": str(settings.data_dir)},
        "security": {
            "client_ca": str(settings.security.client_ca),
            "max_body_bytes": settings.security.max_body_bytes,
        },
        "timeouts": {
            "connect": settings.timeouts.connect,
            "backend": settings.timeouts.backend,
            "peer": settings.timeouts.peer,
        },
        "clients": [
            {"subsystem": c.subsystem, "certificate": str(c.certificate), "format": c.format}
            for c in settings.clients
        ],
        "services": [
            {"subsystem": s.subsystem, "code": s.code, "backend": s.backend}
            for s in settings.services
        ],
    }


def to_toml(tables: Mapping[str, Any]) -> str:
    """TOML for what ``node_config`` makes: tables and arrays of tables of scalars.

    JSON string escapes are valid TOML basic-string escapes, so strings go through json.
    """
    lines: list[str] = []
    for name, value in tables.items():
        rows = value if isinstance(value, list) else [value]
        header = f"[[{name}]]" if isinstance(value, list) else f"[{name}]"
        for row in rows:
            lines.append(header)
            lines += [f"{key} = {_scalar(item)}" for key, item in row.items()]
            lines.append("")
    return "\n".join(lines)


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return json.dumps(value)
    raise TypeError(f"no TOML scalar for {value!r}")


def _clean_env() -> dict[str, str]:
    # XGW_* in the test runner's environment would override the written config.
    env = {k: v for k, v in os.environ.items() if not k.startswith("XGW_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _free_port() -> int:
    with contextlib.closing(bind(HOST, 0)) as sock:
        port: int = sock.getsockname()[1]
    return port


# ---------------------------------------------------------------------- processes


@dataclass
class _Node:
    key: str
    config: Path
    data_dir: Path
    client_url: str
    peer_url: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None
    starts: int = 0
    history: list[str] = field(default_factory=list)


class GatewayFleet:
    """The harness's members as ``xgw serve`` processes on fixed 127.0.0.1 ports."""

    def __init__(self, fed: Harness, root: Path) -> None:
        self.fed = fed
        root.mkdir(parents=True, exist_ok=True)
        ports = {key: (_free_port(), _free_port()) for key in fed.members}
        # The directory lists each peer URL: publish it with the ports the processes will use.
        sockets = []
        for key, member in fed.members.items():
            member.peer_sock = bind(HOST, ports[key][0])
            sockets.append(member.peer_sock)
        try:
            fed.publish()
        finally:
            for sock in sockets:
                sock.close()
        self.nodes: dict[str, _Node] = {}
        for key in fed.members:
            settings = fed.settings(key)  # also writes the member's certificates and keys
            peer_port, client_port = ports[key]
            config = root / f"{key.lower()}.toml"
            config.write_text(
                to_toml(node_config(settings, peer_port=peer_port, client_port=client_port)),
                encoding="utf-8",
            )
            self.nodes[key] = _Node(
                key,
                config,
                settings.data_dir,
                f"https://{HOST}:{client_port}",
                f"https://{HOST}:{peer_port}",
                root / f"{key.lower()}.log",
            )

    def client_url(self, key: str) -> str:
        return self.nodes[key].client_url

    def peer_url(self, key: str) -> str:
        return self.nodes[key].peer_url

    def data_dir(self, key: str) -> Path:
        return self.nodes[key].data_dir

    def audit_db(self, key: str) -> Path:
        return self.nodes[key].data_dir / AUDIT_DB

    async def start(self, *keys: str) -> None:
        """Start the gateways (in parallel) and wait until each answers ``/readyz``."""
        for key in keys:
            self._spawn(self.nodes[key])
        await asyncio.gather(*(self._wait_ready(self.nodes[key]) for key in keys))

    def kill(self, key: str) -> None:
        """SIGKILL: no signal handler, no drain, no close of the audit log."""
        node = self.nodes[key]
        assert node.process is not None and node.process.poll() is None, f"{key} is not running"
        os.kill(node.process.pid, signal.SIGKILL)
        code = node.process.wait(timeout=10)
        node.history.append(f"killed (exit {code})")
        self._release(node)

    def stop_all(self) -> None:
        """Kill whatever still runs and reap it; for ``finally``."""
        for node in self.nodes.values():
            if node.process is not None:
                if node.process.poll() is None:
                    node.process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    node.process.wait(timeout=10)
            self._release(node)

    def log_tail(self, key: str, lines: int = 40) -> str:
        """The end of a gateway's own output (all its runs), for assertion messages."""
        node = self.nodes[key]
        try:
            text = node.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return f"({key}: no log)"
        return f"--- {key} ({', '.join(node.history)}) ---\n" + "\n".join(
            text.splitlines()[-lines:]
        )

    def _spawn(self, node: _Node) -> None:
        assert node.process is None, f"{node.key} is already running"
        node.starts += 1
        node.log = node.log_path.open("ab")
        node.log.write(f"=== start {node.starts} ===\n".encode())
        node.log.flush()
        node.process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "serve", "--config", str(node.config)],
            stdin=subprocess.DEVNULL,
            stdout=node.log,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_ROOT,
            env=_clean_env(),
        )
        node.history.append(f"started pid {node.process.pid}")

    async def _wait_ready(self, node: _Node) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        timeout = aiohttp.ClientTimeout(total=2)
        async with self.fed.client(node.key) as http:
            while True:
                assert node.process is not None
                if node.process.poll() is not None:
                    raise AssertionError(
                        f"{node.key} exited with {node.process.returncode} before it was ready\n"
                        + self.log_tail(node.key)
                    )
                with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                    async with http.get(f"{node.client_url}/readyz", timeout=timeout) as resp:
                        if resp.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"{node.key} not ready after {READY_TIMEOUT:.0f}s\n"
                        + self.log_tail(node.key)
                    )
                await asyncio.sleep(0.05)

    @staticmethod
    def _release(node: _Node) -> None:
        node.process = None
        if node.log is not None:
            node.log.close()
            node.log = None
