"""Fixtures for the federation operator's tests: real certificates, a draft on disk.

Usage (in a test)::

    def test_x(draft, pki):
        draft.grant(CLIENT, OFFEN)
        directory = Directory.from_json(draft.document)

    disk_full(monkeypatch, draft_path)   # saving the draft fails with ENOSPC from now on
"""

from __future__ import annotations

import errno
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway._crypto import certificate_to_pem, now_utc
from gateway.directory_cli import build_directory
from gateway.federation.draft import Draft
from gateway.files import write_atomic
from gateway.pki import CertificateAuthority, Issued, Usage

DE = "DE/GOV/05974028"
EE = "EE/GOV/70000310"
NL = "NL/GOV/00000001"
BE = "BE/GOV/0316380841"
CLIENT = f"{DE}/gewerbeamt"  # granted ETTEVOTTED (GET only) in the draft
EE_CLIENT = f"{EE}/klient"  # granted every endpoint of GEWERBEANZEIGE
ETTEVOTTED = f"{EE}/ariregister/ettevotted"
OFFEN = f"{EE}/ariregister/offen"  # lists no endpoints: any method and path
GEWERBEANZEIGE = f"{DE}/gewerbeamt/gewerbeanzeige"


class Pki:
    """Every key and certificate the tests need, made once per session."""

    def __init__(self) -> None:
        self.ca = CertificateAuthority.create("Federation CA")
        self.other_ca = CertificateAuthority.create("Partner CA")
        self.operator = self.ca.issue("XGW-TEST operator", usage=Usage.SIGNING)
        self.de_tls = self.ca.issue(DE, usage=Usage.TLS, hosts=["127.0.0.1"])
        self.de_tls_next = self.ca.issue(DE, usage=Usage.TLS, hosts=["127.0.0.1"])
        self.de_tls_third = self.ca.issue(DE, usage=Usage.TLS, hosts=["127.0.0.1"])
        self.de_sign = self.ca.issue(DE, usage=Usage.SIGNING)
        self.ee_tls = self.ca.issue(EE, usage=Usage.TLS, hosts=["127.0.0.1"])
        self.ee_sign = self.ca.issue(EE, usage=Usage.SIGNING)
        self.nl_tls = self.ca.issue(NL, usage=Usage.TLS, hosts=["127.0.0.1"])
        self.nl_sign = self.ca.issue(NL, usage=Usage.SIGNING)
        self.foreign_tls = self.other_ca.issue(NL, usage=Usage.TLS, hosts=["127.0.0.1"])
        self.partner_tls = self.other_ca.issue(BE, usage=Usage.TLS, hosts=["magda.example"])
        self.expired_tls = self.ca.issue(
            NL, usage=Usage.TLS, days=1, not_before=now_utc() - timedelta(days=3)
        )


def pem(issued: Issued | CertificateAuthority) -> str:
    return certificate_to_pem(issued.cert)


def disk_full(monkeypatch: pytest.MonkeyPatch, draft_path: Path) -> None:
    """Saving the draft fails as on a full disk (which cannot be had here: tests run as
    root on a filesystem without quotas); the publication files are written as usual."""

    def no_space(path: Path, data: bytes, **kwargs: Any) -> None:
        if path == draft_path:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        write_atomic(path, data, **kwargs)

    monkeypatch.setattr("gateway.federation.draft.write_atomic", no_space)


@pytest.fixture(scope="session")
def pki() -> Pki:
    return Pki()


def _gateway(member: str, tls: Issued, sign: Issued, subsystems: list[str]) -> dict[str, Any]:
    return {
        "id": member,
        "name": member.split("/")[0],
        "gateway_url": "https://127.0.0.1:8443",
        "tls_certificates": [pem(tls)],
        "signing_certificates": [pem(sign)],
        "subsystems": [{"code": code, "name": code.title()} for code in subsystems],
    }


@pytest.fixture
def document(pki: Pki) -> dict[str, Any]:
    """Two gateways, DE and EE, with three services and two access rights."""
    de = _gateway(DE, pki.de_tls, pki.de_sign, ["gewerbeamt"])
    de["services"] = [
        {
            "subsystem": "gewerbeamt",
            "code": "gewerbeanzeige",
            "type": "REST",
            "endpoints": [
                {"method": "POST", "path": "/meldungen"},
                {"method": "GET", "path": "/meldungen/*"},
            ],
        }
    ]
    ee = _gateway(EE, pki.ee_tls, pki.ee_sign, ["ariregister", "klient"])
    ee["services"] = [
        {
            "subsystem": "ariregister",
            "code": "ettevotted",
            "type": "REST",
            "endpoints": [
                {"method": "GET", "path": "/ettevotted/**"},
                {"method": "POST", "path": "/ettevotted/**"},
            ],
        },
        {"subsystem": "ariregister", "code": "offen", "type": "REST"},
    ]
    spec = {
        "instance": "XGW-TEST",
        "cas": [pem(pki.ca)],
        "members": [de, ee],
        "access": [
            {
                "client": CLIENT,
                "service": ETTEVOTTED,
                "endpoints": [{"method": "GET", "path": "/ettevotted/**"}],
            },
            {"client": EE_CLIENT, "service": GEWERBEANZEIGE},
        ],
        "revoked": [],
    }
    return build_directory(spec, Path(), valid_hours=24, sequence=10)


@pytest.fixture
def draft_path(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "draft.json"
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    return path


@pytest.fixture
def draft(draft_path: Path) -> Draft:
    return Draft.load(draft_path)
