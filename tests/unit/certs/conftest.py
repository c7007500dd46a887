"""Fixtures for the certificate service tests: real CAs, keys and a node's files.

Usage (in a test)::

    def test_x(ca, tmp_path):
        settings = node_settings(tmp_path, ca)       # real files, a real Settings
        cert = ca.issue(DE, usage=Usage.TLS).cert
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gateway.pki import CertificateAuthority, Usage
from gateway.settings import Settings

DE = "DE/GOV/05974028"
EE = "EE/GOV/70000310"
CLIENT = f"{DE}/gewerbeamt"


@pytest.fixture(scope="session")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create("certs test CA")


@pytest.fixture(scope="session")
def other_ca() -> CertificateAuthority:
    return CertificateAuthority.create("another CA")


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def node_settings(
    root: Path, ca: CertificateAuthority, *, operations: dict[str, Any] | None = None, **pairs: Any
) -> Settings:
    """A node's configuration whose certificate and key files exist under ``root/certs``."""
    certs = root / "certs"
    tls = ca.issue(DE, usage=Usage.TLS, hosts=["gw.example", "127.0.0.1"]).write(certs / "de-tls")
    sign = ca.issue(DE, usage=Usage.SIGNING).write(certs / "de-sign")
    client, _ = ca.issue(CLIENT, usage=Usage.CLIENT).write(certs / "client")
    ca_cert, _ = ca.write(certs / "ca")
    operator, _ = ca.issue("operator", usage=Usage.SIGNING).write(root / "operator")
    raw: dict[str, Any] = {
        "member": {"id": DE},
        "listen": {"peer": "127.0.0.1:0", "client": "127.0.0.1:0"},
        "tls": {"certificate": str(tls[0]), "key": str(tls[1]), **pairs.get("tls", {})},
        "signing": {"certificate": str(sign[0]), "key": str(sign[1]), **pairs.get("signing", {})},
        "directory": {"source": "directory.jws", "trust_anchor": str(operator)},
        "data": {"dir": "data"},
        "security": {"client_ca": str(ca_cert)},
        "clients": [{"subsystem": CLIENT, "certificate": str(client)}],
        "operations": operations or {},
    }
    return Settings.from_mapping(raw, base_dir=root, env={})
