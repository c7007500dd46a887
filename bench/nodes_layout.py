"""Where bench.nodes runs: ``xgw demo init``'s federation with DE as one or two nodes.

Usage::

    layout = lay_out(state, 2, {"DE": scoped(dsn, "de"), "EE": scoped(dsn, "ee")})  # None: SQLite
    layout.de[1].env                     # node 2's ports, admin port and data directory
    procs.start(node.name, [xgw_command(), "serve", "--config", str(node.config)],
                env=child_env(node.env))
    xgw_json(layout.ee, "audit", "verify", refusal_ok=True)   # its JSON answer and exit_code

Every node is one ``xgw serve`` of its member's config; what differs between the DE nodes
(ports, data directory) comes from ``XGW_*`` variables in its environment. The DE nodes
share DE's config, keys, body key and storage: one member behind a load balancer.
"""

from __future__ import annotations

import json
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bench.processes import HOST, BenchError, child_env, reserve_socket, xgw_command
from gateway.audit.body_keys import create_body_key
from gateway.demo.deployment import Deployment, init_deployment

__all__ = ["HOST", "Layout", "Node", "lay_out", "scoped", "xgw_json"]

COMMAND_TIMEOUT = 300.0  # xgw db upgrade, xgw audit verify


@dataclass(frozen=True)
class Node:
    """One ``xgw serve``: its member's config, and what its environment overrides."""

    name: str
    config: Path
    env: dict[str, str]
    client_port: int


@dataclass(frozen=True)
class Layout:
    """The federation on disk, its nodes, and the socket EE's backend is to serve on."""

    deployment: Deployment
    de: list[Node]
    ee: Node
    backend_sock: socket.socket  # EE's backend inherits it


def _free_ports(count: int) -> list[int]:
    """Ephemeral ports for the gateways to bind (they bind themselves, from their config)."""
    socks = [reserve_socket() for _ in range(count)]
    ports = [int(s.getsockname()[1]) for s in socks]
    for sock in socks:
        sock.close()
    return ports


def scoped(dsn: str, schema: str) -> str:
    """``dsn`` whose connections work in ``schema`` (asyncpg passes it as a server setting)."""
    parts = urlsplit(dsn)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("search_path", schema)])))


def lay_out(state: Path, nodes: int, dsns: dict[str, str] | None) -> Layout:
    """``xgw demo init``'s federation; DE as ``nodes`` nodes, EE as one; ``dsns``: per
    member (None: SQLite in each node's data directory)."""
    backend_sock = reserve_socket()
    backend_port = int(backend_sock.getsockname()[1])
    # DE's peer and client port per node, EE's two; NL and the unused registers only appear
    # as URLs in the directory (nothing calls them here).
    ports = _free_ports(2 * nodes + 2 + 3)
    de_ports = [(ports[2 * i], ports[2 * i + 1]) for i in range(nodes)]
    ee_peer, ee_client, nl_peer, de_register, magda = ports[2 * nodes :]
    deployment = init_deployment(
        state / "federation",
        gateways={"DE": (HOST, de_ports[0][0]), "EE": (HOST, ee_peer), "NL": (HOST, nl_peer)},
        registers={
            "DE": f"http://{HOST}:{de_register}",
            "EE": f"http://{HOST}:{backend_port}",
            "BE": f"https://{HOST}:{magda}",
        },
        storage="sqlite" if dsns is None else "postgresql",
    )

    def env(member: str, peer: int, client: int) -> dict[str, str]:
        found = {
            "XGW_LISTEN_PEER": f"{HOST}:{peer}",  # the demo layout listens on every interface
            "XGW_LISTEN_CLIENT": f"{HOST}:{client}",
            "XGW_ADMIN_LISTEN": f"{HOST}:0",  # one fixed port per member there: clashes here
        }
        if dsns is not None:
            found["XGW_STORAGE_DSN"] = dsns[member]
        return found

    de_config = deployment.configs["DE"]
    body_key = de_config.parent / "audit-body.key"  # one for every DE node: any opens any body
    create_body_key(body_key)
    de = []
    for index, (peer, client) in enumerate(de_ports):
        overrides = env("DE", peer, client) | {"XGW_AUDIT_BODY_KEYS": str(body_key)}
        if index > 0:  # node 1 keeps the config's data directory (xgw audit verify reads it)
            overrides["XGW_DATA_DIR"] = str(de_config.parent / f"data-{index + 1}")
        de.append(Node(f"xgw-DE-{index + 1}", de_config, overrides, client))
    ee = Node("xgw-EE", deployment.configs["EE"], env("EE", ee_peer, ee_client), ee_client)
    return Layout(deployment, de, ee, backend_sock)


def xgw_json(node: Node, *command: str, refusal_ok: bool = False) -> dict[str, Any]:
    """Run ``xgw COMMAND --json --config`` with ``node``'s environment; its JSON answer
    and ``exit_code``. BenchError when it fails, unless ``refusal_ok`` and it answered."""
    argv = [xgw_command(), *command, "--json", "--config", str(node.config)]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=child_env(node.env),
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"`xgw {' '.join(command)}` took over {COMMAND_TIMEOUT:.0f} s") from None
    try:
        answer: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        answer = {}
    if done.returncode != 0 and not (refusal_ok and answer):
        tail = (done.stderr or done.stdout).strip()[-1500:]
        raise BenchError(f"`xgw {' '.join(command)}` for {node.name} failed:\n{tail}")
    return answer | {"exit_code": done.returncode}
