"""NodeKeys: a staged next pair is adopted when it is sound and the directory lists it."""

from __future__ import annotations

import logging
import os
import shutil
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway._crypto import fingerprint, kid, write_certificate, write_private_key
from gateway.certs.staging import NEXT, PREVIOUS, staged
from gateway.errors import ConfigError
from gateway.pki import CertificateAuthority
from gateway.rotation import ADOPTED, NOTHING_STAGED, REFUSED, WAITING, NodeKeys
from gateway.trust import peer_server_context
from tests.unit.rotation.rotation_support import KeyedMember, issue, listing, serve_once


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create("rotation test CA")


@pytest.fixture
def member(tmp_path: Path, ca: CertificateAuthority) -> KeyedMember:
    return KeyedMember.create(tmp_path, ca)


def by_usage(outcomes):
    return {o.usage: o for o in outcomes}


async def test_a_listed_staged_pair_is_adopted_and_the_old_one_kept_as_previous(member, ca):
    keys = member.keys()
    old_tls_bytes = member.files("tls").certificate.read_bytes()
    new_tls, new_signing = member.stage("tls"), member.stage("signing")
    directory = listing(
        ca, tls=[member.tls, new_tls], signing=[member.signing, new_signing], sequence=2
    )

    outcomes = by_usage(await keys.adopt_staged(directory))

    assert outcomes["tls"].state == outcomes["signing"].state == ADOPTED
    assert outcomes["tls"].current == fingerprint(new_tls.cert)
    assert outcomes["tls"].detail == f"replaced {fingerprint(member.tls.cert)}"
    assert keys.signer.kid == kid(new_signing.cert)
    assert keys.tree_head_signer.kid == kid(new_signing.cert)
    assert keys.tls_certificate == new_tls.cert
    for usage, issued in (("tls", new_tls), ("signing", new_signing)):
        files = member.files(usage)
        assert files.read().certificate == issued.cert
        assert not staged(files.certificate, NEXT).exists()
        assert not staged(files.key, NEXT).exists()
        assert os.stat(files.key).st_mode & 0o777 == 0o600
        assert os.stat(staged(files.key, PREVIOUS)).st_mode & 0o777 == 0o600
    assert staged(member.files("tls").certificate, PREVIOUS).read_bytes() == old_tls_bytes
    assert member.files("signing").staged(PREVIOUS).read().certificate == member.signing.cert


async def test_nothing_staged_changes_nothing(member, ca):
    keys = member.keys()
    outcomes = await keys.adopt_staged(listing(ca, tls=[member.tls], signing=[member.signing]))
    assert [o.state for o in outcomes] == [NOTHING_STAGED, NOTHING_STAGED]
    assert keys.signer.kid == kid(member.signing.cert)


async def test_a_pair_the_directory_does_not_list_waits_and_says_so_once_per_sequence(
    member, ca, caplog
):
    caplog.set_level(logging.INFO, logger="gateway.rotation")
    keys = member.keys()
    member.stage("signing")
    for sequence in (1, 1, 2):
        directory = listing(ca, tls=[member.tls], signing=[member.signing], sequence=sequence)
        outcome = by_usage(await keys.adopt_staged(directory))["signing"]
        assert outcome.state == WAITING
    assert "does not list the staged certificate" in outcome.detail
    assert keys.signer.kid == kid(member.signing.cert)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("signing:")]
    assert len(lines) == 2, lines
    assert "directory sequence 1 does not list" in lines[0]
    assert "directory sequence 2 does not list" in lines[1]


async def test_without_a_directory_a_staged_pair_waits(member):
    member.stage("tls")
    outcome = by_usage(await member.keys().adopt_staged(None))["tls"]
    assert (outcome.state, outcome.detail) == (WAITING, "no valid directory yet")


async def test_a_listed_but_revoked_certificate_is_not_adopted(member, ca):
    keys = member.keys()
    nxt = member.stage("signing")
    directory = listing(ca, tls=[member.tls], signing=[member.signing, nxt], revoked=[nxt])
    outcome = by_usage(await keys.adopt_staged(directory))["signing"]
    assert outcome.state == WAITING and "revoked" in outcome.detail
    assert keys.signer.kid == kid(member.signing.cert)


async def test_a_staged_key_of_another_certificate_is_refused_and_left_in_place(member, ca, caplog):
    keys = member.keys()
    nxt = member.stage("tls", key=issue(ca, "tls").key)
    directory = listing(ca, tls=[member.tls, nxt], signing=[member.signing])
    outcome = by_usage(await keys.adopt_staged(directory))["tls"]
    files = member.files("tls")
    assert outcome.state == REFUSED
    assert outcome.detail == (
        f"the key {staged(files.key, NEXT)} does not belong to the certificate "
        f"{staged(files.certificate, NEXT)}"
    )
    assert [r.levelno for r in caplog.records if r.name == "gateway.rotation"] == [logging.ERROR]
    assert keys.tls_certificate == member.tls.cert
    assert staged(files.key, NEXT).exists() and not staged(files.key, PREVIOUS).exists()


@pytest.mark.parametrize(
    ("start", "days", "problem"),
    [
        (timedelta(days=1), 30, "is not valid before"),
        (timedelta(days=-10), 5, "expired at"),
    ],
)
async def test_a_staged_certificate_outside_its_validity_is_refused(
    member, ca, start, days, problem
):
    nxt = issue(ca, "signing", not_before=datetime.now(UTC) + start, days=days)
    member.stage("signing", nxt)
    directory = listing(ca, tls=[member.tls], signing=[member.signing, nxt])
    outcome = by_usage(await member.keys().adopt_staged(directory))["signing"]
    assert outcome.state == REFUSED and problem in outcome.detail


async def test_the_peers_get_time_to_fetch_the_directory_before_adoption(member, ca):
    keys = member.keys(settle=60.0)
    await keys.adopt_staged(listing(ca, tls=[member.tls], signing=[member.signing]))
    nxt = member.stage("signing")
    directory = listing(ca, tls=[member.tls], signing=[member.signing, nxt], sequence=2)
    try:
        outcome = by_usage(await keys.adopt_staged(directory))["signing"]
    finally:
        await keys.close()
    assert outcome.state == WAITING
    assert "directory sequence 2 lists it; adopted at" in outcome.detail
    assert keys.signer.kid == kid(member.signing.cert)


async def test_a_directory_listing_it_long_before_the_start_is_adopted_at_once(member, ca):
    keys = member.keys(settle=60.0)
    nxt = member.stage("signing")
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    directory = listing(ca, tls=[member.tls], signing=[member.signing, nxt], issued=an_hour_ago)
    outcome = by_usage(await keys.adopt_staged(directory))["signing"]
    assert outcome.state == ADOPTED


async def test_tracked_contexts_present_the_new_certificate_and_pins_are_rebuilt(
    member, ca, tmp_path
):
    keys = member.keys()
    files = member.files("tls")
    server = keys.track(peer_server_context(files.certificate, files.key, [ca.cert]))
    client_cert, client_key = issue(ca, "tls").write(tmp_path / "client")
    ca_cert, _ = ca.write(tmp_path / "ca")
    client = ssl.create_default_context(cafile=str(ca_cert))
    client.check_hostname = False
    client.load_cert_chain(client_cert, client_key)
    assert await serve_once(server, client) == fingerprint(member.tls.cert)
    member_dir = listing(ca, tls=[member.tls], signing=[member.signing])
    pinned_before = keys.pinned.context(member_dir, member_dir.members[0])

    nxt = member.stage("tls")
    await keys.adopt_staged(listing(ca, tls=[member.tls, nxt], signing=[member.signing]))

    assert await serve_once(server, client) == fingerprint(nxt.cert)
    assert keys.pinned.context(member_dir, member_dir.members[0]) is not pinned_before


async def test_a_running_node_does_not_change_its_tls_key_type(member, ca):
    keys = member.keys()
    files = member.files("tls")
    keys.track(peer_server_context(files.certificate, files.key, [ca.cert]))
    nxt = member.stage("tls", issue(ca, "tls", key_kind="ed25519"))
    directory = listing(ca, tls=[member.tls, nxt], signing=[member.signing])
    outcome = by_usage(await keys.adopt_staged(directory))["tls"]
    assert outcome.state == REFUSED
    assert "cannot change its TLS key type; restart it" in outcome.detail
    # Before any TLS context exists (a start), the same pair is adopted.
    assert by_usage(await member.keys().adopt_staged(directory))["tls"].state == ADOPTED


# -- start-up: passphrases and an interrupted rotation -----------------------------------


def test_encrypted_keys_are_read_with_the_passphrase_file(tmp_path, ca):
    member = KeyedMember.create(tmp_path, ca, passphrase=b"s3cret passphrase")
    keys = NodeKeys.load(member.settings())
    assert keys.tls_password == b"s3cret passphrase"  # one trailing line break dropped
    assert keys.signer.kid == kid(member.signing.cert)


def test_a_wrong_or_missing_passphrase_names_the_setting(tmp_path, ca):
    member = KeyedMember.create(tmp_path, ca, passphrase=b"right")
    member.passphrase_file.write_bytes(b"wrong\n")
    with pytest.raises(ConfigError) as wrong:
        NodeKeys.load(member.settings())
    assert wrong.value.key == "tls.key"
    member.passphrase_file.write_bytes(b"\n")
    with pytest.raises(ConfigError) as empty:
        NodeKeys.load(member.settings())
    assert empty.value.key == "tls.passphrase_file"


def interrupt_after_the_key(member: KeyedMember, usage: str):
    """What a crash between the two renames of an adoption leaves behind."""
    files = member.files(usage)
    nxt = member.stage(usage)
    previous = files.staged(PREVIOUS)
    shutil.copy2(files.key, previous.key)
    shutil.copy2(files.certificate, previous.certificate)
    os.replace(staged(files.key, NEXT), files.key)
    return nxt


def test_a_rotation_interrupted_between_key_and_certificate_is_explained(member):
    interrupt_after_the_key(member, "tls")
    with pytest.raises(ConfigError) as raised:
        NodeKeys.load(member.settings())  # xgw serve --check: says what happened, moves nothing
    assert raised.value.key == "tls.key"
    assert "a key rotation was interrupted between the key and the certificate" in (
        raised.value.problem
    )
    assert staged(member.files("tls").certificate, NEXT).exists()


def test_a_start_completes_a_rotation_interrupted_between_key_and_certificate(member, caplog):
    nxt = interrupt_after_the_key(member, "tls")
    keys = NodeKeys.load(member.settings(), recover=True)
    files = member.files("tls")
    assert keys.tls_certificate == nxt.cert
    assert files.read().certificate == nxt.cert
    assert not staged(files.certificate, NEXT).exists()
    assert staged(files.certificate, PREVIOUS).exists()
    assert any(
        "completed a key rotation that was interrupted" in r.getMessage() for r in caplog.records
    )


def test_a_start_completes_the_other_order_too(member):
    files = member.files("signing")
    nxt = member.stage("signing")
    os.replace(staged(files.certificate, NEXT), files.certificate)  # certificate first, then crash
    keys = NodeKeys.load(member.settings(), recover=True)
    assert keys.signer.kid == kid(nxt.cert)
    assert not staged(files.key, NEXT).exists()


def test_a_key_that_fits_nothing_staged_is_refused_and_the_previous_pair_named(member, ca):
    files = member.files("signing")
    write_private_key(files.key, issue(ca, "signing").key)  # someone else's key
    with pytest.raises(ConfigError) as without_previous:
        NodeKeys.load(member.settings(), recover=True)
    previous = files.staged(PREVIOUS)
    write_certificate(previous.certificate, member.signing.cert)
    write_private_key(previous.key, member.signing.key)
    with pytest.raises(ConfigError) as with_previous:
        NodeKeys.load(member.settings(), recover=True)

    assert without_previous.value.key == "signing.key"
    mismatch = f"the key {files.key} does not belong to the certificate {files.certificate}"
    assert without_previous.value.problem == mismatch
    assert with_previous.value.problem == (
        f"{mismatch}; the pair in use before the last rotation is "
        f"{previous.certificate} / {previous.key}"
    )
