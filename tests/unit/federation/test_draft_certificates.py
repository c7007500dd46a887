"""Members' certificates (the rotation overlap), revocations and the trusted CAs."""

from __future__ import annotations

import pytest

from gateway._crypto import fingerprint, now_utc
from gateway.directory import Directory
from gateway.errors import AdminError, CertValidationError, ConflictError, NotFoundError
from gateway.identifiers import ClientId
from tests.unit.federation.conftest import BE, DE, EE, NL, pem


def member(draft, member_id):
    found = Directory.from_json(draft.document).member(ClientId.parse(member_id))
    assert found is not None
    return found


def test_rotation_overlap_then_removal_of_the_old_certificate(draft, pki):
    change = draft.add_certificate(DE, "tls", pem(pki.de_tls_next))
    assert change.action == "certificate.add"
    assert change.target == fingerprint(pki.de_tls_next.cert)
    assert "both certificates are accepted" in change.notes[0]
    assert member(draft, DE).tls_certificates == (pki.de_tls.cert, pki.de_tls_next.cert)

    with pytest.raises(ConflictError, match="remove the old one first"):
        draft.add_certificate(DE, "tls", pki.de_tls_third.cert)

    old = fingerprint(pki.de_tls.cert)
    change = draft.remove_certificate(DE, old.upper())  # any case, colons or not
    assert change.summary == f"removed tls certificate {old} from {DE}"
    assert member(draft, DE).tls_certificates == (pki.de_tls_next.cert,)


def test_a_members_last_certificate_stays(draft, pki):
    for cert in (pki.de_tls.cert, pki.de_sign.cert):
        spelled = ":".join(f"{b:02X}" for b in bytes.fromhex(fingerprint(cert)))
        with pytest.raises(ConflictError, match="add its successor first"):
            draft.remove_certificate(DE, spelled)
    with pytest.raises(NotFoundError, match="lists no certificate"):
        draft.remove_certificate(DE, fingerprint(pki.ee_tls.cert))
    with pytest.raises(AdminError, match="is not a hex SHA-256"):
        draft.remove_certificate(DE, "abc")


@pytest.mark.parametrize(
    ("member_id", "usage", "cert", "error", "message"),
    [
        (DE, "tls", "de_tls", ConflictError, "lists .* already"),
        (DE, "tls", "ee_tls", ConflictError, f"is listed for member {EE}"),
        (DE, "tls", "foreign_tls", AdminError, "is not issued by a CA in 'cas'"),
        (DE, "tls", "expired_tls", AdminError, "expired at"),
        (DE, "auth", "de_tls_next", AdminError, "neither 'tls' nor 'signing'"),
        (NL, "tls", "nl_tls", NotFoundError, f"no member {NL}"),
    ],
)
def test_add_certificate_refusals(draft, pki, member_id, usage, cert, error, message):
    before = draft.document
    with pytest.raises(error, match=message):
        draft.add_certificate(member_id, usage, getattr(pki, cert).cert)
    assert draft.document == before


def test_a_partner_gets_no_signing_certificate(draft, pki):
    partner = {"protocol": "x-road", "url": "https://ss.example"}
    draft.add_member(BE, "MAGDA", tls_certificates=[pki.partner_tls.cert], partner=partner)
    with pytest.raises(AdminError, match="signs no xgw messages"):
        draft.add_certificate(BE, "signing", pki.nl_sign.cert)


def test_a_revoked_certificate_is_not_added(draft, pki):
    draft.revoke(pki.de_tls_next.cert, "superseded")
    with pytest.raises(ConflictError, match="is revoked"):
        draft.add_certificate(DE, "tls", pki.de_tls_next.cert)


def test_revoke_a_listed_certificate_names_who_lists_it(draft, pki):
    change = draft.revoke(pem(pki.de_tls), "keyCompromise")
    serial = format(pki.de_tls.cert.serial_number, "x")
    assert change.action == "certificate.revoke"
    assert change.target == serial
    assert change.summary == f"revoked serial {serial} (keyCompromise)"
    assert change.listed_by == (f"{DE} (tls)",)
    assert "still listed by" in change.notes[0]
    directory = Directory.from_json(draft.document)
    with pytest.raises(CertValidationError, match=r"is revoked \(keyCompromise\)"):
        directory.check_certificate(pki.de_tls.cert, now_utc())
    assert draft.member_json(DE)["tls_certificates"][0]["revoked"] is True


def test_revoke_by_serial(draft, pki):
    serial = format(pki.ee_sign.cert.serial_number, "x")
    # 20 bytes in upper-case hex pairs with colons, leading zeros and all
    spelled = ":".join(f"{b:02X}" for b in pki.ee_sign.cert.serial_number.to_bytes(20, "big"))
    change = draft.revoke(spelled)
    assert change.summary == f"revoked serial {serial} (unspecified)"
    assert change.listed_by == (f"{EE} (signing)",)
    assert Directory.from_json(draft.document).is_revoked(pki.ee_sign.cert)
    unlisted = draft.revoke(0x1C7F)
    assert unlisted.listed_by == () and unlisted.notes == ()


def test_revoke_refusals(draft, pki):
    draft.revoke(pki.de_tls_next.cert, "superseded")
    with pytest.raises(ConflictError, match=r"is revoked already \(superseded\)"):
        draft.revoke(format(pki.de_tls_next.cert.serial_number, "X"))
    with pytest.raises(AdminError, match="is not an RFC 5280 reason"):
        draft.revoke(pki.de_tls.cert, "lost")
    with pytest.raises(AdminError, match="is not a hex serial number"):
        draft.revoke("xyz")
    with pytest.raises(AdminError, match="is not a hex serial number"):
        draft.revoke("1" * 41)


def test_add_and_remove_a_ca(draft, pki):
    change = draft.add_ca(pem(pki.other_ca))
    assert change.action == "ca.add"
    assert Directory.from_json(draft.document).ca_certificates == (pki.ca.cert, pki.other_ca.cert)
    # Now a certificate of the other CA may be listed; while it is, that CA stays.
    draft.add_certificate(DE, "tls", pki.foreign_tls.cert)
    with pytest.raises(ConflictError, match=f"issued certificates members list: {DE} \\(tls"):
        draft.remove_ca(fingerprint(pki.other_ca.cert))
    draft.remove_certificate(DE, fingerprint(pki.foreign_tls.cert))
    change = draft.remove_ca(fingerprint(pki.other_ca.cert))
    assert change.summary.startswith("removed CA O=xgw federation,CN=Partner CA")
    assert Directory.from_json(draft.document).ca_certificates == (pki.ca.cert,)


def test_ca_refusals(draft, pki):
    with pytest.raises(ConflictError, match="is listed already"):
        draft.add_ca(pki.ca.cert)
    with pytest.raises(AdminError, match="is not a CA certificate"):
        draft.add_ca(pki.nl_tls.cert)
    with pytest.raises(ConflictError, match="the only CA"):
        draft.remove_ca(fingerprint(pki.ca.cert))
    with pytest.raises(NotFoundError, match="no CA"):
        draft.remove_ca(fingerprint(pki.other_ca.cert))
    draft.add_ca(pki.other_ca.cert)
    with pytest.raises(ConflictError, match=f"issued certificates members list: {DE}"):
        draft.remove_ca(fingerprint(pki.ca.cert))
