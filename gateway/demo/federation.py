"""Lay out a three-member demo federation: CA, keys, directory, one config per gateway.

Usage::

    fed = build_federation(state_dir)        # sockets bound, files written
    fed.members["DE"].config                  # path of DE's gateway TOML

Everything is generated on the spot in the state directory; nothing comes from
outside the installed package. The private keys written here are throwaway
demo keys (DESIGN.md, "Keys").
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway._crypto import fingerprint, kid
from gateway.app import bind
from gateway.demo.backends import MAGDA_ADDRESS
from gateway.directory import sign_directory
from gateway.directory_cli import build_directory
from gateway.pki import CertificateAuthority, Usage

__all__ = [
    "DEMO_ACCESS",
    "DemoMember",
    "Federation",
    "build_federation",
    "demo_members",
    "member_tables",
]

HOST = "127.0.0.1"
INSTANCE_NAME = "xgw-demo"


@dataclass
class DemoMember:
    key: str  # DE, EE, NL
    id: str  # X-Road member id
    name: str
    client_subsystem: str  # the one local client system the demo uses
    subsystems: list[tuple[str, str]]
    services: list[dict[str, Any]]
    dir: Path = Path()
    peer_sock: socket.socket | None = None
    client_sock: socket.socket | None = None
    backend_sock: socket.socket | None = None
    relay_sock: socket.socket | None = None  # a TLS-terminating load balancer in front
    config: Path = Path()
    client_cert: Path = Path()
    client_key: Path = Path()
    client_format: str = "opaque"
    partner: bool = False  # no xgw: reached in its own protocol, its server listed and pinned

    @property
    def peer_port(self) -> int:
        assert self.peer_sock is not None
        return int(self.peer_sock.getsockname()[1])

    @property
    def client_port(self) -> int:
        assert self.client_sock is not None
        return int(self.client_sock.getsockname()[1])

    @property
    def backend_url(self) -> str:
        """Where its backend listens: plain HTTP on loopback, or a partner's own TLS server."""
        if self.backend_sock is None:
            return ""
        scheme = "https" if self.partner else "http"
        return f"{scheme}://{HOST}:{self.backend_sock.getsockname()[1]}"

    @property
    def gateway_url(self) -> str:
        """What the directory lists: the load balancer where there is one."""
        sock = self.relay_sock or self.peer_sock
        assert sock is not None
        return f"https://{HOST}:{sock.getsockname()[1]}"


@dataclass
class Federation:
    state_dir: Path
    ca_cert: Path
    operator_cert: Path
    directory: Path
    members: dict[str, DemoMember] = field(default_factory=dict)

    def close(self) -> None:
        """Close every socket bound for the federation (servers that used one are stopped)."""
        for member in self.members.values():
            for sock in (
                member.peer_sock,
                member.client_sock,
                member.backend_sock,
                member.relay_sock,
            ):
                if sock is not None:
                    sock.close()


def demo_members() -> list[DemoMember]:
    de = DemoMember(
        "DE",
        "DE/GOV/05974028",
        "Stadt Musterstadt (NRW)",
        "DE/GOV/05974028/gewerbeamt",
        [("gewerbeamt", "Gewerbeamt"), ("meldeamt", "Bürgeramt / Melderegister")],
        [
            {
                "subsystem": "meldeamt",
                "code": "personen",
                "type": "REST",
                "format": "xoev.xmeld",
                "endpoints": [{"method": "POST", "path": "/personen"}],
            }
        ],
        client_format="xoev.xgewerbeanzeige",  # the trade office's software speaks XÖV
    )
    ee = DemoMember(
        "EE",
        "EE/GOV/70000310",
        "Registrite ja Infosüsteemide Keskus",
        "EE/GOV/70000310/klient",
        [("arireg", "Äriregister"), ("klient", "RIK klient")],
        [
            {
                "subsystem": "arireg",
                "code": "detailandmed_v2",
                "type": "SOAP",
                "version": "v1",
                "format": "ee.ariregister",
            }
        ],
    )
    nl = DemoMember(
        "NL",
        "NL/GOV/0363",
        "Gemeente Amsterdam",
        "NL/GOV/0363/brp-bevragen",
        [("brp-bevragen", "BRP bevragen")],
        [],
    )
    # Flanders runs no xgw: MAGDA is called in its own SOAP protocol (docs/partner-routes.md).
    be = DemoMember(
        "BE",
        MAGDA,
        "Digitaal Vlaanderen (MAGDA)",
        "",
        [("magda", "MAGDA")],
        [
            {
                "subsystem": "magda",
                "code": "GeefOnderneming",
                "type": "SOAP",
                "format": "be.magda",
                "address": MAGDA_ADDRESS,
            }
        ],
        partner=True,
    )
    return [de, ee, nl, be]


MAGDA = "BE/GOV/0316380841"
RESIDENTS = "DE/GOV/05974028/meldeamt/personen"
BUSINESS_REGISTER = "EE/GOV/70000310/arireg/detailandmed_v2"
GEEF_ONDERNEMING = f"{MAGDA}/magda/GeefOnderneming"

# Who may call what: deny by default, these grants only.
DEMO_ACCESS = [
    {"client": "DE/GOV/05974028/gewerbeamt", "service": BUSINESS_REGISTER},
    {"client": "DE/GOV/05974028/gewerbeamt", "service": GEEF_ONDERNEMING},
    {
        "client": "NL/GOV/0363/brp-bevragen",
        "service": RESIDENTS,
        "endpoints": [{"method": "POST", "path": "/personen"}],
    },
]


def build_federation(
    state_dir: Path,
    *,
    load_balancer: bool = True,
    members: list[DemoMember] | None = None,
    access: list[dict[str, Any]] | None = None,
) -> Federation:
    """Generate everything; ``load_balancer`` puts the tampering relay in front of EE.

    ``members`` and ``access`` replace the demo's own (the benchmark lays out its chain so).
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    ca = CertificateAuthority.create("xgw demo federation CA")
    ca_cert, _ = ca.write(state_dir / "ca")
    operator = ca.issue("xgw demo federation operator", usage=Usage.SIGNING)
    operator_cert, operator_key = operator.write(state_dir / "operator")
    federation = Federation(state_dir, ca_cert, operator_cert, state_dir / "directory.jws")
    for member in demo_members() if members is None else members:
        member.dir = state_dir / member.key.lower()
        if not member.partner:
            member.peer_sock, member.client_sock = bind(HOST, 0), bind(HOST, 0)
        if member.services:
            member.backend_sock = bind(HOST, 0)
        if member.key == "EE" and load_balancer:
            member.relay_sock = bind(HOST, 0)
        federation.members[member.key] = member
    spec_members = [_issue_member(ca, m) for m in federation.members.values()]
    spec = {
        "instance": INSTANCE_NAME,
        "cas": [ca_cert.name],
        "members": spec_members,
        "access": DEMO_ACCESS if access is None else access,
        "revoked": [],
    }
    (state_dir / "directory-spec.json").write_text(json.dumps(spec, indent=2))
    document = build_directory(spec, state_dir, valid_hours=24.0, sequence=1)
    (state_dir / "directory.json").write_text(json.dumps(document, indent=2))
    federation.directory.write_text(sign_directory(document, operator.key, operator.cert))
    for member in federation.members.values():
        if not member.partner:
            _write_config(federation, member)
    del operator_key  # the operator's key stays in the state dir only
    return federation


def _issue_member(ca: CertificateAuthority, member: DemoMember) -> dict[str, Any]:
    tls_cert, _ = ca.issue(member.id, usage=Usage.TLS, hosts=[HOST, "localhost"]).write(
        member.dir / "tls"
    )
    if member.partner:  # its server's certificate, pinned by every gateway that calls it
        return {
            "id": member.id,
            "name": member.name,
            "partner": {"protocol": "native", "url": member.backend_url},
            "tls_certificates": [str(tls_cert.relative_to(member.dir.parent))],
            "subsystems": [{"code": c, "name": n} for c, n in member.subsystems],
            "services": member.services,
        }
    sign_cert, _ = ca.issue(member.id, usage=Usage.SIGNING).write(member.dir / "sign")
    member.client_cert, member.client_key = ca.issue(
        member.client_subsystem, usage=Usage.CLIENT
    ).write(member.dir / "client")
    if member.relay_sock is not None:
        ca.issue(f"{member.id} load balancer", usage=Usage.TLS, hosts=[HOST, "localhost"]).write(
            member.dir / "relay"
        )
    return {
        "id": member.id,
        "name": member.name,
        "gateway_url": member.gateway_url,
        "tls_certificates": [str(tls_cert.relative_to(member.dir.parent))],
        "signing_certificates": [str(sign_cert.relative_to(member.dir.parent))],
        "subsystems": [{"code": c, "name": n} for c, n in member.subsystems],
        "services": member.services,
    }


def relay_fingerprint(member: DemoMember) -> str:
    from gateway._crypto import load_certificate

    return fingerprint(load_certificate(member.dir / "relay.pem"))


def _write_config(federation: Federation, member: DemoMember) -> None:
    lines = [
        "# Generated by `xgw demo`: one gateway of the demo federation.",
        *node_tables(
            member,
            peer=f"{HOST}:{member.peer_port}",
            client=f"{HOST}:{member.client_port}",
            directory=str(federation.directory),
            trust_anchor=str(federation.operator_cert),
            client_ca=str(federation.ca_cert),
            admin=f"{HOST}:0",
        ),
    ]
    if member.relay_sock is not None:
        lines.append(f'trusted_proxies = ["{relay_fingerprint(member)}"]')
    lines += member_tables(member, member.backend_url)
    member.config = member.dir / "config.toml"
    member.config.write_text("\n".join(lines) + "\n", encoding="utf-8")


def node_tables(
    member: DemoMember,
    *,
    peer: str,
    client: str,
    directory: str,
    trust_anchor: str,
    client_ca: str,
    admin: str,
) -> list[str]:
    """The node tables of a demo gateway's TOML, [member] to [security] (its last
    table, so a caller may add keys to it); ``xgw demo init`` writes them too."""
    return [
        "[member]",
        f'id = "{member.id}"',
        f'name = "{member.name}"',
        "",
        "[listen]",
        f'peer = "{peer}"',
        f'client = "{client}"',
        "client_tls = true",
        "",
        "[tls]",
        'certificate = "tls.pem"',
        'key = "tls.key"',
        "",
        "[signing]",
        'certificate = "sign.pem"',
        'key = "sign.key"',
        "",
        "[directory]",
        f'source = "{directory}"',
        f'trust_anchor = "{trust_anchor}"',
        "refresh_interval = 30",
        "",
        "[data]",
        'dir = "data"',
        "",
        "[admin]  # the admin API: `xgw admin token --config config.toml --role auditor ...`",
        f'listen = "{admin}"',
        "",
        "[security]",
        f'client_ca = "{client_ca}"',
        "replay_window = 300",
        "max_body_bytes = 1048576",
    ]


def member_tables(member: DemoMember, backend: str) -> list[str]:
    """The member's own tables of its gateway's TOML: its client system, its front door,
    its services (whose backend is ``backend``); ``xgw demo init`` writes them too."""
    lines = [
        "",
        "[[clients]]",
        f'subsystem = "{member.client_subsystem}"',
        'certificate = "client.pem"',
        f'format = "{member.client_format}"',
    ]
    if member.key == "NL":  # the Haal Centraal front door, towards Musterstadt's register
        lines += [
            "",
            "[haalcentraal]",
            "enabled = true",
            f'service = "{RESIDENTS}"',
            'purpose = "Prüfung des Wohnsitzes (Anfrage der Gemeente Amsterdam)"',
            'search_area = ["05974028"]',
        ]
    for service in member.services:
        lines += [
            "",
            "[[services]]",
            f'subsystem = "{service["subsystem"]}"',
            f'code = "{service["code"]}"',
            f'backend = "{backend}"',
        ]
    return lines


def signing_kid(path: Path) -> str:
    from gateway._crypto import load_certificate

    return kid(load_certificate(path))
