"""Fixtures for the directory tests: a test federation with real certificates.

Usage (in a test)::

    def test_x(fed):
        doc = fed.doc(sequence=3)           # a fresh copy, change it freely
        directory = verify_directory(fed.token(doc), [fed.operator.cert])

The test modules spell out the identifiers they use (DE, EE, ...); the values here
must stay the same as theirs.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509

from gateway._crypto import certificate_to_pem
from gateway.directory import format_timestamp, sign_directory
from gateway.pki import CertificateAuthority, Issued, Usage

DE = "DE/GOV/05974028"
EE = "EE/GOV/70000310"
GEWERBEANZEIGE = f"{DE}/gewerbeamt/gewerbeanzeige"
OFFEN = f"{DE}/gewerbeamt/offen"
AUSKUNFT = f"{DE}/buergeramt/auskunft"
DETAILANDMED = f"{EE}/ariregister/detailandmed_v2"


class Federation:
    """Real certificates from a dev CA; every doc() is a fresh copy to modify freely."""

    def __init__(self) -> None:
        self.ca = CertificateAuthority.create("Test Federation CA")
        self.operator = self.ca.issue("XGW-TEST/operator", usage=Usage.SIGNING)
        self.de_tls = self.ca.issue(DE, usage=Usage.TLS, hosts=["127.0.0.1"])
        self.de_tls_next = self.ca.issue(DE, usage=Usage.TLS, hosts=["127.0.0.1"])
        self.de_sign = self.ca.issue(DE, usage=Usage.SIGNING)
        self.ee_tls = self.ca.issue(EE, usage=Usage.TLS, hosts=["127.0.0.1"])
        self.ee_sign = self.ca.issue(EE, usage=Usage.SIGNING)
        self._doc = self._build()

    def _build(self) -> dict[str, Any]:
        return {
            "format": "xgw-directory/1",
            "instance": "XGW-TEST",
            "sequence": 1,
            "issued": "",
            "expires": "",
            "cas": [pem(self.ca.cert)],
            "members": [self._de(), self._ee()],
            "access": [
                {
                    "client": f"{EE}/ariregister",
                    "service": GEWERBEANZEIGE,
                    "endpoints": [{"method": "GET", "path": "/meldungen/**"}],
                },
                {"client": f"{EE}/rahvastikuregister", "service": GEWERBEANZEIGE},
                {"client": f"{EE}/ariregister", "service": OFFEN},
                {
                    "client": f"{DE}/gewerbeamt",
                    "service": DETAILANDMED,
                    "endpoints": [{"method": "*", "path": "/*/details"}],
                },
            ],
            "revoked": [],
        }

    def _de(self) -> dict[str, Any]:
        return {
            "id": DE,
            "name": "Stadt Musterstadt",
            "gateway_url": "https://127.0.0.1:8443",
            "tls_certificates": [pem(self.de_tls.cert), pem(self.de_tls_next.cert)],
            "signing_certificates": [pem(self.de_sign.cert)],
            "subsystems": [
                {"code": "gewerbeamt", "name": "Gewerbeamt"},
                {"code": "buergeramt", "name": "Bürgeramt"},
            ],
            "services": [
                {
                    "subsystem": "gewerbeamt",
                    "code": "gewerbeanzeige",
                    "type": "REST",
                    "format": "xoev.xgewerbeanzeige",
                    "endpoints": [
                        {"method": "POST", "path": "/meldungen"},
                        {"method": "GET", "path": "/meldungen/*"},
                    ],
                    "openapi": "https://example.org/gewerbeanzeige.yaml",
                },
                {"subsystem": "gewerbeamt", "code": "offen", "type": "REST"},
                {"subsystem": "buergeramt", "code": "auskunft", "type": "SOAP", "format": "opaque"},
            ],
        }

    def _ee(self) -> dict[str, Any]:
        return {
            "id": EE,
            "name": "Registrite ja Infosüsteemide Keskus",
            "gateway_url": "https://127.0.0.1:9443",
            "tls_certificates": [pem(self.ee_tls.cert)],
            "signing_certificates": [pem(self.ee_sign.cert)],
            "subsystems": [
                {"code": "ariregister", "name": "Äriregister"},
                {"code": "rahvastikuregister", "name": "Rahvastikuregister"},
            ],
            "services": [
                {
                    "subsystem": "ariregister",
                    "code": "detailandmed_v2",
                    "type": "SOAP",
                    "format": "ee.ariregister",
                }
            ],
        }

    def doc(
        self,
        *,
        sequence: int = 1,
        issued: datetime | None = None,
        valid: timedelta = timedelta(hours=24),
    ) -> dict[str, Any]:
        issued = issued or datetime.now(UTC) - timedelta(minutes=1)
        doc = copy.deepcopy(self._doc)
        doc.update(
            sequence=sequence,
            issued=format_timestamp(issued),
            expires=format_timestamp(issued + valid),
        )
        return doc

    def token(self, doc: dict[str, Any] | None = None, signer: Issued | None = None) -> str:
        signer = signer or self.operator
        return sign_directory(doc if doc is not None else self.doc(), signer.key, signer.cert)


def pem(cert: x509.Certificate) -> str:
    return certificate_to_pem(cert)


@pytest.fixture(scope="module")
def fed() -> Federation:
    """One federation per test module: issuing certificates is the slow part."""
    return Federation()
