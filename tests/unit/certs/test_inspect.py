"""CertificateInfo: usage from the extensions, statuses from the validity."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from gateway._crypto import fingerprint, now_utc
from gateway.certs.inspect import (
    EXPIRED,
    EXPIRING,
    NOT_YET_VALID,
    VALID,
    describe,
    status_of,
)
from gateway.pki import Usage
from tests.unit.certs.conftest import CLIENT, DE


@pytest.mark.parametrize(
    ("subject", "usage", "expected"),
    [(DE, Usage.TLS, "tls"), (DE, Usage.SIGNING, "signing"), (CLIENT, Usage.CLIENT, "client")],
)
def test_usage_is_read_from_the_extensions(ca, subject, usage, expected):
    info = describe(ca.issue(subject, usage=usage, hosts=["gw.example"]).cert)
    assert info.usage == expected
    assert info.common_name == subject
    assert not info.is_ca


def test_a_ca_is_described_as_such(ca):
    info = describe(ca.cert)
    assert info.usage == "ca"
    assert info.is_ca and info.self_signed
    assert "keyCertSign" in info.key_usage


def test_fields_of_a_tls_certificate(ca):
    cert = ca.issue(DE, usage=Usage.TLS, hosts=["gw.example", "127.0.0.1"]).cert
    info = describe(cert, role="tls")
    assert info.fingerprint == fingerprint(cert)
    assert info.serial == format(cert.serial_number, "x")
    assert info.subject == "O=DE,CN=DE/GOV/05974028"
    assert info.issuer == ca.cert.subject.rfc4514_string()
    assert info.key_type == "ec-p256"
    assert info.hosts == ("gw.example", "127.0.0.1")
    assert info.extended_key_usage == ("serverAuth", "clientAuth")
    assert info.key_usage == ("digitalSignature",)
    document = json.loads(json.dumps(info.to_json()))
    assert document["role"] == "tls"
    assert document["status"] == VALID
    assert document["not_after"] == cert.not_valid_after_utc.isoformat()


def test_a_certificate_expiring_in_10_days_is_expiring_with_the_default_30(ca):
    now = now_utc()
    cert = ca.issue(DE, usage=Usage.TLS, not_before=now - timedelta(days=355), days=365).cert
    info = describe(cert, now=now)
    assert info.status == EXPIRING
    assert info.days_left in (9, 10)
    assert status_of(cert, warn_days=5, now=now) == VALID


def test_expired_and_not_yet_valid(ca):
    now = now_utc()
    old = ca.issue(DE, usage=Usage.TLS, not_before=now - timedelta(days=400), days=365).cert
    future = ca.issue(DE, usage=Usage.TLS, not_before=now + timedelta(days=2)).cert
    assert describe(old, now=now).status == EXPIRED
    assert describe(old, now=now).days_left < 0
    assert describe(future, now=now).status == NOT_YET_VALID
    assert describe(ca.issue(DE, usage=Usage.TLS).cert, now=now).status == VALID
