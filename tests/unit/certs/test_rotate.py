"""rotate and install_next: the staged next pair, with a local CA or an external one."""

from __future__ import annotations

import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509

from gateway._crypto import check_key_pair, load_certificate, load_private_key, now_utc
from gateway.certs.files import rotation_lock
from gateway.certs.inspect import hosts_of, usage_of
from gateway.certs.keys import public_key_sha256
from gateway.certs.rotate import StagedPaths, install_next, rotate
from gateway.certs.staging import NEXT, staged
from gateway.errors import AdminError, ConfigError, ConflictError, NotFoundError
from gateway.pki import Usage
from tests.unit.certs.conftest import DE, EE, node_settings, pem


def test_rotate_with_a_local_ca_stages_key_and_certificate(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    staged_result = rotate(settings, "tls", ca=ca, config_path=Path("de.toml"))
    key_path = staged(settings.tls.key, NEXT)
    cert_path = staged(settings.tls.certificate, NEXT)
    assert staged_result.key_path == key_path
    assert staged_result.certificate_path == cert_path
    assert staged_result.csr_path is None
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    cert, key = load_certificate(cert_path), load_private_key(key_path)
    check_key_pair(cert, key, "next")
    current_key = load_private_key(settings.tls.key)
    with pytest.raises(ConfigError):
        check_key_pair(cert, current_key, "a new key, not the old one")
    assert hosts_of(cert.extensions) == ("gw.example", "127.0.0.1")  # as the current one
    assert staged_result.certificate is not None
    assert staged_result.certificate.role == "tls-next"
    assert any("xgw directory cert add" in step for step in staged_result.next_steps)
    assert any("docs/rotation.md" in step for step in staged_result.next_steps)
    assert not any("install-next" in step for step in staged_result.next_steps)


def test_rotate_without_a_ca_writes_a_csr(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    result = rotate(settings, "signing", key_type_name="ed25519", config_path=Path("de.toml"))
    assert result.csr_path == tmp_path / "certs" / "de-sign.next.csr"
    assert result.certificate_path is None
    assert not staged(settings.signing.certificate, NEXT).exists()
    assert result.csr_path is not None
    csr = x509.load_pem_x509_csr(result.csr_path.read_bytes())
    assert csr.is_signature_valid
    assert usage_of(csr.extensions) == "signing"
    assert result.key_type == "ed25519"
    assert any(
        "xgw certs install-next CERT --config de.toml --usage signing" in step
        for step in result.next_steps
    )


def test_a_staged_rotation_is_not_replaced_without_force(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    first = rotate(settings, "tls", ca=ca)
    key_before = first.key_path.read_bytes()
    with pytest.raises(ConflictError, match="staged already"):
        rotate(settings, "tls")
    assert first.key_path.read_bytes() == key_before
    again = rotate(settings, "tls", force=True)
    assert again.key_path.read_bytes() != key_before
    # the old next certificate belonged to the replaced key: it is gone
    assert not staged(settings.tls.certificate, NEXT).exists()
    assert again.csr_path is not None and again.csr_path.exists()


def test_rotate_only_the_node_pairs(ca, tmp_path: Path):
    with pytest.raises(AdminError, match="tls or signing"):
        rotate(node_settings(tmp_path, ca), "client")


def test_the_configured_passphrase_encrypts_the_next_key(ca, tmp_path: Path):
    passphrase_file = tmp_path / "tls.pass"
    passphrase_file.write_text("tls secret\n")
    settings = node_settings(tmp_path, ca, tls={"passphrase_file": str(passphrase_file)})
    result = rotate(settings, "tls")
    assert result.key_encrypted
    with pytest.raises(ConfigError):
        load_private_key(result.key_path)
    load_private_key(result.key_path, b"tls secret")
    # install_next reads it with the same configured passphrase
    assert result.csr_path is not None
    csr = x509.load_pem_x509_csr(result.csr_path.read_bytes())
    cert = ca.certify(csr.public_key(), DE, usage=Usage.TLS)
    installed = install_next(settings, "tls", pem(cert), anchors=[ca.cert])
    assert installed.certificate_path == staged(settings.tls.certificate, NEXT)


def external_certificate(ca, settings, usage: Usage = Usage.SIGNING, **kwargs) -> bytes:
    csr_path = staged(settings.signing.key, NEXT).with_suffix(".csr")
    csr = x509.load_pem_x509_csr(csr_path.read_bytes())
    return pem(ca.certify(csr.public_key(), kwargs.pop("subject", DE), usage=usage, **kwargs))


def test_install_next_stages_the_external_certificate(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    rotate(settings, "signing")
    installed = install_next(
        settings, "signing", external_certificate(ca, settings), anchors=[ca.cert]
    )
    target = staged(settings.signing.certificate, NEXT)
    assert installed.certificate_path == target
    check_key_pair(
        load_certificate(target), load_private_key(staged(settings.signing.key, NEXT)), "k"
    )
    assert installed.checked_against == ca.cert.subject.rfc4514_string()
    assert installed.certificate.role == "signing-next"
    with pytest.raises(ConflictError, match="--force"):
        install_next(settings, "signing", external_certificate(ca, settings), anchors=[ca.cert])
    install_next(
        settings, "signing", external_certificate(ca, settings), anchors=[ca.cert], force=True
    )


def test_install_next_refusals(ca, other_ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    good = external_certificate  # shorthand
    with pytest.raises(NotFoundError, match="run xgw certs rotate"):
        install_next(settings, "signing", pem(ca.cert), anchors=[ca.cert])
    rotate(settings, "signing")
    stranger = pem(ca.issue(DE, usage=Usage.SIGNING).cert)
    cases = [
        (stranger, "the key check failed"),
        (good(ca, settings, subject=EE), "the subject check failed"),
        (good(other_ca, settings), "the chain check failed"),
        (good(ca, settings, usage=Usage.TLS), "the usage check failed"),
        (
            good(ca, settings, not_before=now_utc() - timedelta(days=40), days=30),
            "the validity check failed",
        ),
    ]
    for certificate, problem in cases:
        with pytest.raises(AdminError, match=problem):
            install_next(settings, "signing", certificate, anchors=[ca.cert])
    assert not staged(settings.signing.certificate, NEXT).exists()


def test_a_next_tls_certificate_needs_both_purposes(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    result = rotate(settings, "tls")
    assert result.csr_path is not None
    csr = x509.load_pem_x509_csr(result.csr_path.read_bytes())
    client_only = ca.certify(csr.public_key(), DE, usage=Usage.CLIENT)
    with pytest.raises(AdminError, match="needs serverAuth and clientAuth"):
        install_next(settings, "tls", pem(client_only), anchors=[ca.cert])


# -- a request left behind, concurrent calls, whole files, days -------------------------


def test_a_request_without_a_staged_key_is_no_rotation_under_way(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    first = rotate(settings, "signing")
    assert first.csr_path is not None
    first.key_path.unlink()  # as after an adoption that left the request behind
    again = rotate(settings, "signing")  # no --force needed
    assert again.csr_path == first.csr_path
    check_key_pair_of_request(again.csr_path, again.key_path)


def test_a_staged_key_with_its_request_is_named_in_the_refusal(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    first = rotate(settings, "signing")
    with pytest.raises(ConflictError) as refused:
        rotate(settings, "signing")
    assert str(first.key_path) in refused.value.message
    assert str(first.csr_path) in refused.value.message


def check_key_pair_of_request(csr_path: Path, key_path: Path) -> None:
    csr = x509.load_pem_x509_csr(csr_path.read_bytes())
    assert csr.public_key() == load_private_key(key_path).public_key()


def test_concurrent_rotations_leave_a_key_beside_its_own_request(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    rotate(settings, "tls", key_type_name="ed25519")

    def again(_: int) -> str:
        return rotate(settings, "tls", key_type_name="ed25519", force=True).public_key_sha256

    with ThreadPoolExecutor(max_workers=6) as pool:
        made = list(pool.map(again, range(12)))
    paths = StagedPaths.of(settings.tls)
    check_key_pair_of_request(paths.csr, paths.key)
    assert public_key_sha256(load_private_key(paths.key).public_key()) in made
    assert stat.S_IMODE(paths.key.stat().st_mode) == 0o600
    assert not list(paths.key.parent.glob(".*.tmp"))  # every file written whole


def test_concurrent_rotations_without_force_stage_one(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)

    def once(_: int) -> str:
        try:
            return rotate(settings, "signing", key_type_name="ed25519").public_key_sha256
        except ConflictError:
            return "refused"

    with ThreadPoolExecutor(max_workers=4) as pool:
        made = list(pool.map(once, range(4)))
    assert made.count("refused") == 3
    paths = StagedPaths.of(settings.signing)
    check_key_pair_of_request(paths.csr, paths.key)


def test_rotate_waits_for_the_lock_of_its_pair(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with rotation_lock(settings.tls.key):
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    rotate(settings, "signing", key_type_name="ed25519")  # another pair's lock: no wait
    assert not release.is_set()
    started = time.monotonic()
    threading.Timer(0.2, release.set).start()
    rotate(settings, "tls", key_type_name="ed25519")  # waits for the holder to let go
    assert release.is_set() and time.monotonic() - started >= 0.2
    holder.join()


def test_install_next_writes_the_certificate_whole(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    rotate(settings, "signing")
    installed = install_next(
        settings, "signing", external_certificate(ca, settings), anchors=[ca.cert]
    )
    assert stat.S_IMODE(installed.certificate_path.stat().st_mode) == 0o644
    assert not list(installed.certificate_path.parent.glob(".*.tmp"))


@pytest.mark.parametrize("days", [0, -1, 3651, 10**9])
def test_rotate_refuses_a_validity_outside_ten_years(ca, tmp_path: Path, days: int):
    settings = node_settings(tmp_path, ca)
    for authority in (ca, None):
        with pytest.raises(AdminError, match="from 1 to 3650"):
            rotate(settings, "tls", ca=authority, days=days)
    assert not staged(settings.tls.key, NEXT).exists()


def test_ten_years_is_the_longest_validity(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    result = rotate(settings, "signing", ca=ca, days=3650)
    assert result.certificate is not None
    cert = load_certificate(staged(settings.signing.certificate, NEXT))
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=3650)


def test_with_a_request_the_result_says_the_ca_decides_the_validity(ca, tmp_path: Path):
    result = rotate(node_settings(tmp_path, ca), "tls", days=30)
    assert any("the CA decides its validity" in step for step in result.next_steps)
