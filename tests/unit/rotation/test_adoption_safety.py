"""An adoption is all or nothing, excludes xgw certs, and leaves no staged request behind."""

from __future__ import annotations

import errno
import logging
import os
import ssl
from pathlib import Path

import pytest

from gateway._crypto import fingerprint, kid
from gateway.certs.files import rotation_lock
from gateway.certs.rotate import next_request, rotate
from gateway.certs.staging import NEXT, PREVIOUS
from gateway.pki import CertificateAuthority
from gateway.rotation import ADOPTED, REFUSED, WAITING, NodeKeys
from gateway.trust import peer_server_context
from tests.unit.rotation.rotation_support import KeyedMember, issue, listing, serve_once


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create("adoption test CA")


@pytest.fixture
def member(tmp_path: Path, ca: CertificateAuthority) -> KeyedMember:
    return KeyedMember.create(tmp_path / "node", ca)


@pytest.fixture
def client(tmp_path: Path, ca: CertificateAuthority) -> ssl.SSLContext:
    """A peer that connects to the member's server context and reads its certificate."""
    cert, key = issue(ca, "tls").write(tmp_path / "client")
    ca_cert, _ = ca.write(tmp_path / "ca")
    context = ssl.create_default_context(cafile=str(ca_cert))
    context.check_hostname = False
    context.load_cert_chain(cert, key)
    return context


def by_usage(outcomes):
    return {o.usage: o for o in outcomes}


def fail_replace_onto(monkeypatch, *targets: Path) -> None:
    """A disk that refuses renames onto ``targets`` (EIO), as no test can make a real one."""
    real_replace = os.replace

    def replace(source, target, **kwargs):
        if Path(target) in targets:
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(target))
        return real_replace(source, target, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def assert_in_use(member: KeyedMember, usage: str, issued) -> None:
    assert member.files(usage).read().certificate == issued.cert  # the pair fits, too


async def test_the_staged_request_is_gone_once_its_key_is_in_use(member, ca):
    settings = member.settings()
    rotate(settings, "signing")  # a next key and its request, as for an external CA
    files = member.files("signing")
    request = next_request(files.key)
    assert request.exists()
    nxt = member.stage("signing", issue(ca, "signing"))  # the CA's answer, installed
    keys = member.keys()
    directory = listing(ca, tls=[member.tls], signing=[member.signing, nxt])

    assert by_usage(await keys.adopt_staged(directory))["signing"].state == ADOPTED
    assert not request.exists()
    again = rotate(settings, "signing")  # the next rotation is not refused
    assert again.csr_path == request and request.exists()


async def test_an_adoption_waits_while_xgw_certs_writes_the_staged_files(member, ca):
    keys = member.keys()
    nxt = member.stage("signing")
    directory = listing(ca, tls=[member.tls], signing=[member.signing, nxt])
    with rotation_lock(member.files("signing").key):
        outcome = by_usage(await keys.adopt_staged(directory))["signing"]
    assert (outcome.state, outcome.detail) == (
        WAITING,
        "xgw certs is writing the staged files; next look",
    )
    assert keys.signer.kid == kid(member.signing.cert)
    assert by_usage(await keys.adopt_staged(directory))["signing"].state == ADOPTED


async def test_a_certificate_that_cannot_be_moved_puts_the_pair_in_use_back(
    member, ca, client, monkeypatch
):
    keys = member.keys()
    files = member.files("tls")
    server = keys.track(peer_server_context(files.certificate, files.key, [ca.cert]))
    nxt = member.stage("tls")
    directory = listing(ca, tls=[member.tls, nxt], signing=[member.signing])
    fail_replace_onto(monkeypatch, files.certificate)

    outcome = by_usage(await keys.adopt_staged(directory))["tls"]

    assert outcome.state == REFUSED
    assert outcome.detail == (
        f"cannot move the staged pair into place ({files.certificate}: Input/output error);"
        " the pair in use stays, and the staged pair stays staged"
    )
    assert outcome.current == fingerprint(member.tls.cert)
    assert_in_use(member, "tls", member.tls)  # the old key is back beside the old certificate
    assert files.staged(NEXT).read().certificate == nxt.cert  # still staged, whole
    assert keys.tls_certificate == member.tls.cert
    assert await serve_once(server, client) == fingerprint(member.tls.cert)
    monkeypatch.undo()  # the disk recovers: the next look adopts it
    assert by_usage(await keys.adopt_staged(directory))["tls"].state == ADOPTED
    assert await serve_once(server, client) == fingerprint(nxt.cert)


@pytest.mark.parametrize(
    ("stuck", "problem"),
    [("key", "cannot move the staged pair"), ("previous", "cannot keep the pair in use")],
)
async def test_a_key_that_cannot_be_moved_or_kept_changes_nothing(
    member, ca, monkeypatch, stuck, problem
):
    keys = member.keys()
    files = member.files("signing")
    nxt = member.stage("signing")
    fail_replace_onto(monkeypatch, files.key if stuck == "key" else files.staged(PREVIOUS).key)
    directory = listing(ca, tls=[member.tls], signing=[member.signing, nxt])
    outcome = by_usage(await keys.adopt_staged(directory))["signing"]
    assert outcome.state == REFUSED and problem in outcome.detail
    assert outcome.detail.endswith("the pair in use stays, and the staged pair stays staged")
    assert keys.signer.kid == kid(member.signing.cert)
    assert_in_use(member, "signing", member.signing)
    assert files.staged(NEXT).read().certificate == nxt.cert


async def test_when_putting_back_fails_too_a_start_completes_the_rotation(
    member, ca, monkeypatch, caplog
):
    keys = member.keys()
    files = member.files("signing")
    nxt = member.stage("signing")
    # Neither the certificate nor the way back: the new key stays beside the old certificate.
    fail_replace_onto(monkeypatch, files.certificate, files.staged(NEXT).key)
    directory = listing(ca, tls=[member.tls], signing=[member.signing, nxt])
    outcome = by_usage(await keys.adopt_staged(directory))["signing"]
    monkeypatch.undo()
    assert outcome.state == REFUSED
    assert "nor put the key in use back" in outcome.detail
    assert "'xgw serve' completes the rotation when it starts" in outcome.detail
    assert keys.signer.kid == kid(member.signing.cert)  # the running node never switched
    assert any(
        r.levelno == logging.ERROR and "completes the rotation when it starts" in r.getMessage()
        for r in caplog.records
    )
    recovered = NodeKeys.load(member.settings(), recover=True)
    assert recovered.signer.kid == kid(nxt.cert)
    assert_in_use(member, "signing", nxt)


async def test_a_context_that_cannot_load_the_staged_pair_changes_nothing(
    member, ca, client, caplog
):
    keys = member.keys()
    files = member.files("tls")
    strict = peer_server_context(files.certificate, files.key, [ca.cert])
    strict.set_ciphers("DEFAULT:@SECLEVEL=5")  # from now on it refuses any P-256 certificate
    lenient = peer_server_context(files.certificate, files.key, [ca.cert])
    for context in (lenient, strict, peer_server_context(files.certificate, files.key, [ca.cert])):
        keys.track(context)  # the last one never gets the staged pair
    nxt = member.stage("tls")
    directory = listing(ca, tls=[member.tls, nxt], signing=[member.signing])

    outcome = by_usage(await keys.adopt_staged(directory))["tls"]

    assert outcome.state == REFUSED
    assert "a TLS context cannot load" in outcome.detail and "key too small" in outcome.detail
    assert keys.tls_certificate == member.tls.cert
    assert await serve_once(lenient, client) == fingerprint(member.tls.cert)  # loaded back
    assert_in_use(member, "tls", member.tls)  # no configured file was touched
    assert files.staged(PREVIOUS).read().certificate == member.tls.cert
    assert files.staged(NEXT).read().certificate == nxt.cert
