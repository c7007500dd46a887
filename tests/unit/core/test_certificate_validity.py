"""Directory.check_certificate reads each certificate's validity once: the verdict is still
taken on every call, for the time and the certificate it is given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.directory import Directory
from gateway.errors import CertValidationError
from gateway.pki import Usage
from tests.unit.directory.conftest import DE, Federation


@pytest.fixture(scope="module")
def fed() -> Federation:
    return Federation()


def test_a_certificate_checked_once_is_refused_when_it_has_expired(fed: Federation) -> None:
    directory = Directory.from_json(fed.doc())
    cert = fed.de_tls.cert
    directory.check_certificate(cert, datetime.now(UTC))
    with pytest.raises(CertValidationError, match="expired at"):
        directory.check_certificate(cert, cert.not_valid_after_utc)
    with pytest.raises(CertValidationError, match="is not valid before"):
        directory.check_certificate(cert, cert.not_valid_before_utc - timedelta(seconds=1))


def test_each_certificate_is_judged_by_its_own_validity(fed: Federation) -> None:
    directory = Directory.from_json(fed.doc())
    now = datetime.now(UTC)
    expired = fed.ca.issue(DE, usage=Usage.TLS, days=1, not_before=now - timedelta(days=2)).cert
    for _ in range(2):  # in turn, as concurrent exchanges would
        directory.check_certificate(fed.de_tls.cert, now)
        with pytest.raises(CertValidationError, match="expired at"):
            directory.check_certificate(expired, now)


def test_a_revoked_certificate_is_refused_by_the_directory_that_revokes_it(
    fed: Federation,
) -> None:
    cert = fed.ee_tls.cert
    listing = Directory.from_json(fed.doc())
    doc = fed.doc()
    doc["revoked"] = [{"serial": format(cert.serial_number, "X"), "reason": "keyCompromise"}]
    revoking = Directory.from_json(doc)
    now = datetime.now(UTC)
    listing.check_certificate(cert, now)
    with pytest.raises(CertValidationError, match=r"revoked \(keyCompromise\)"):
        revoking.check_certificate(cert, now)
    listing.check_certificate(cert, now)
