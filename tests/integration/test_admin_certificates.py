"""Certificates through the admin API of a real gateway: list, show, import, stage a rotation.

The same service layer as ``xgw certs`` (tests/unit/certs cover its every refusal);
here: the HTTP side, the roles, the audit records, and that no answer holds a key.
"""

from __future__ import annotations

import json

import pytest

from gateway._crypto import (
    certificate_to_pem,
    fingerprint,
    kid,
    load_certificate,
    write_certificate,
    write_private_key,
)
from gateway.admin.tokens import Role
from gateway.certs.authority import issue_certificate
from gateway.certs.staging import NEXT, staged
from gateway.pki import CertificateAuthority, Usage
from tests.integration.admin_support import Running, admin_records, running

__all__ = ["running"]  # the fixture


def assert_no_key_material(body: bytes) -> None:
    assert b"PRIVATE KEY" not in body


async def test_the_inventory_lists_the_node_certificates_with_their_status(
    running: Running,
) -> None:
    de, api = running.de, running.api
    answer = await api.call("GET", "/admin/v1/certificates", role=Role.AUDITOR)
    assert answer.status == 200
    assert_no_key_material(answer.body)
    by_role = {c["role"]: c for c in answer.json()["certificates"] if c["role"]}
    tls = load_certificate(de.node.settings.tls.certificate)
    assert by_role["tls"]["fingerprint"] == fingerprint(tls)
    assert by_role["tls"]["status"] == "valid"
    assert {"tls", "signing"} <= set(by_role)

    shown = await api.call(
        "GET", f"/admin/v1/certificates/{fingerprint(tls)[:12]}", role=Role.SECURITY_OFFICER
    )
    assert shown.status == 200
    assert shown.json()["fingerprint"] == fingerprint(tls)
    missing = await api.call("GET", "/admin/v1/certificates/00000000deadbeef")
    assert missing.status == 404
    bad = await api.call("GET", "/admin/v1/certificates/xyz", check=False)
    assert bad.status == 400


async def test_a_partner_certificate_is_imported_only_when_it_chains_and_fits(
    running: Running,
) -> None:
    fed, de, api = running.fed, running.de, running.api
    partner = fed.ca.issue("NL/GOV/00000001", usage=Usage.TLS, hosts=["127.0.0.1"])
    pem = certificate_to_pem(partner.cert)
    answer = await api.call(
        "POST", "/admin/v1/certificates", json_body={"pem": pem, "usage": "tls"}
    )
    assert answer.status == 201, answer.body
    assert answer.json()["certificate"]["fingerprint"] == fingerprint(partner.cert)
    again = await api.call("POST", "/admin/v1/certificates", json_body={"pem": pem, "usage": "tls"})
    assert again.status == 409

    stranger = CertificateAuthority.create("someone else's CA").issue(
        "NL/GOV/00000002", usage=Usage.TLS
    )
    refused = await api.call(
        "POST",
        "/admin/v1/certificates",
        json_body={"pem": certificate_to_pem(stranger.cert), "usage": "tls"},
    )
    assert refused.status == 400
    assert "chain" in refused.json()["detail"]
    wrong_usage = await api.call(
        "POST", "/admin/v1/certificates", json_body={"pem": pem, "usage": "signing"}
    )
    assert wrong_usage.status == 400
    auditor = await api.call(
        "POST", "/admin/v1/certificates", role=Role.AUDITOR, json_body={"pem": pem, "usage": "tls"}
    )
    assert auditor.status == 403

    imports = [r for r in admin_records(de) if r["method"] == "certs.import"]
    assert [r["status"] for r in imports] == [201, 409, 400, 400, 403]
    assert imports[0]["service"] == f"certificate/{fingerprint(partner.cert)}"
    assert json.loads(imports[0]["notes"])["fingerprint"] == fingerprint(partner.cert)


async def test_a_rotation_is_staged_through_the_api_with_a_csr_for_the_federation_ca(
    running: Running,
) -> None:
    fed, de, api = running.fed, running.de, running.api
    settings = de.node.settings
    staged_key = staged(settings.signing.key, NEXT)
    answer = await api.call("POST", "/admin/v1/certificates/rotate", json_body={"usage": "signing"})
    assert answer.status == 201, answer.body
    assert_no_key_material(answer.body)
    assert staged_key.exists() and staged_key.stat().st_mode & 0o077 == 0
    csr = answer.json()["csr"].encode()
    again = await api.call("POST", "/admin/v1/certificates/rotate", json_body={"usage": "signing"})
    assert again.status == 409

    wrong = fed.ca.issue(settings.member.id, usage=Usage.SIGNING)  # another key's certificate
    mismatch = await api.call(
        "PUT",
        "/admin/v1/certificates/next/signing",
        data=certificate_to_pem(wrong.cert).encode(),
        content_type="application/x-pem-file",
    )
    assert mismatch.status == 400
    issued = issue_certificate(fed.ca, csr, usage="signing")
    installed = await api.call(
        "PUT",
        "/admin/v1/certificates/next/signing",
        data=issued.pem.encode(),
        content_type="application/x-pem-file",
    )
    assert installed.status == 200, installed.body
    assert load_certificate(staged(settings.signing.certificate, NEXT)) == issued.certificate
    # Staged, not adopted: the directory does not list it yet.
    assert de.node.signer.kid != kid(issued.certificate)

    acts = [r["method"] for r in admin_records(de) if r["method"].startswith("certs.")]
    assert acts == ["certs.rotate", "certs.rotate", "certs.install-next", "certs.install-next"]


async def test_reload_says_why_a_staged_pair_is_not_adopted_yet(running: Running) -> None:
    fed, de, api = running.fed, running.de, running.api
    settings = de.node.settings
    nothing = await api.call("POST", "/admin/v1/reload", role=Role.SECURITY_OFFICER)
    assert nothing.status == 200, nothing.body
    assert {c["usage"]: c["state"] for c in nothing.json()["credentials"]} == {
        "tls": "nothing staged",
        "signing": "nothing staged",
    }
    staged_pair = fed.ca.issue(settings.member.id, usage=Usage.SIGNING)
    write_certificate(staged(settings.signing.certificate, NEXT), staged_pair.cert)
    write_private_key(staged(settings.signing.key, NEXT), staged_pair.key)
    waiting = await api.call("POST", "/admin/v1/reload")
    signing = next(c for c in waiting.json()["credentials"] if c["usage"] == "signing")
    assert signing["state"] == "waiting", signing  # the directory does not list it
    assert signing["staged"] == fingerprint(staged_pair.cert)
    assert de.node.signer.kid != kid(staged_pair.cert)
    auditor = await api.call("POST", "/admin/v1/reload", role=Role.AUDITOR)
    assert auditor.status == 403
    reloads = [r for r in admin_records(de) if r["method"] == "credentials.reload"]
    assert [r["status"] for r in reloads] == [200, 200, 403]


async def test_a_ca_is_trusted_over_the_api_only_by_an_admin_who_says_so(
    running: Running,
) -> None:
    api = running.api
    rogue = CertificateAuthority.create("Rogue CA")
    pem = certificate_to_pem(rogue.cert)
    officer = await api.call(
        "POST",
        "/admin/v1/certificates",
        role=Role.SECURITY_OFFICER,
        json_body={"pem": pem, "usage": "ca", "trust": True},
    )
    assert officer.status == 403
    unsaid = await api.call("POST", "/admin/v1/certificates", json_body={"pem": pem, "usage": "ca"})
    assert unsaid.status == 403
    # Nor does a certificate the rogue CA issued get in meanwhile.
    issued = rogue.issue("NL/GOV/00000003", usage=Usage.TLS)
    refused = await api.call(
        "POST",
        "/admin/v1/certificates",
        json_body={"pem": certificate_to_pem(issued.cert), "usage": "tls"},
    )
    assert refused.status == 400


async def test_no_answer_names_where_the_node_keeps_its_files(running: Running) -> None:
    de, api = running.de, running.api
    listing = await api.call("GET", "/admin/v1/certificates")
    rotated = await api.call("POST", "/admin/v1/certificates/rotate", json_body={"usage": "tls"})
    assert rotated.status == 201
    secret_dir = str(de.node.settings.tls.certificate.parent).encode()
    for answer in (listing, rotated):
        assert secret_dir not in answer.body
    assert rotated.json()["key_path"] == staged(de.node.settings.tls.key, NEXT).name


@pytest.mark.parametrize("name", ["tls.next", "sign.previous.pem", "client", "a\x00b", "../x"])
async def test_an_import_never_lands_on_the_node_own_files(running: Running, name: str) -> None:
    fed, api = running.fed, running.api
    partner = fed.ca.issue("NL/GOV/00000004", usage=Usage.CLIENT)
    answer = await api.call(
        "POST",
        "/admin/v1/certificates",
        json_body={"pem": certificate_to_pem(partner.cert), "usage": "client", "name": name},
    )
    assert answer.status in (400, 409), answer.body
