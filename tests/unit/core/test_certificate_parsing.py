"""Certificates from peers, directories and bundles are well-formed or refused: what
cryptography still parses with only a warning is a typed error here, not a log line."""

from __future__ import annotations

import base64
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gateway._crypto import certificate_from_der, certificate_to_pem, load_certificates
from gateway.errors import CertValidationError
from gateway.pki import CertificateAuthority


def _with_serial(cert: x509.Certificate, serial: bytes) -> bytes:
    """The certificate's DER with its serial number's content octets replaced (same length)."""
    der = cert.public_bytes(serialization.Encoding.DER)
    own = cert.serial_number.to_bytes((cert.serial_number.bit_length() + 8) // 8, "big")
    encoded = bytes([0x02, len(own)]) + own
    assert der.count(encoded) == 1, "the serial's encoding must be unique in the DER"
    assert len(serial) == len(own)
    return der.replace(encoded, bytes([0x02, len(own)]) + serial)


@pytest.fixture(scope="module")
def cert() -> x509.Certificate:
    return CertificateAuthority.create("Test Root").cert


def test_a_well_formed_certificate_reads_back_the_same(cert: x509.Certificate) -> None:
    der = cert.public_bytes(serialization.Encoding.DER)
    assert certificate_from_der(der) == cert
    assert load_certificates(certificate_to_pem(cert)) == [cert]


@pytest.mark.parametrize("first", [0x80, 0xFF])
def test_a_negative_serial_is_refused_in_der_and_pem(cert: x509.Certificate, first: int) -> None:
    length = (cert.serial_number.bit_length() + 8) // 8
    der = _with_serial(cert, bytes([first]) + b"\x01" * (length - 1))
    with pytest.raises(CertValidationError, match=r"unreadable certificate: .*serial"):
        certificate_from_der(der)
    pem = (
        b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
    )
    with pytest.raises(CertValidationError, match=r"unreadable PEM certificate: .*serial"):
        load_certificates(pem)


def test_a_zero_serial_is_refused(cert: x509.Certificate) -> None:
    length = (cert.serial_number.bit_length() + 8) // 8
    with pytest.raises(CertValidationError, match="unreadable certificate"):
        certificate_from_der(_with_serial(cert, bytes(length)))


def test_a_negative_serial_is_refused_where_warnings_are_not_errors(
    cert: x509.Certificate,
) -> None:
    """A node runs with Python's default warning filters: there the parse succeeds with
    a warning, and the serial check refuses the certificate."""
    length = (cert.serial_number.bit_length() + 8) // 8
    der = _with_serial(cert, b"\xff" + b"\x01" * (length - 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(CertValidationError, match=r"serial number -\d+ is not positive"):
            certificate_from_der(der)
