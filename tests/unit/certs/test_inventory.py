"""The inventory: directory files and configured certificates, roles, statuses, show REF."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

import pytest

from gateway._crypto import fingerprint, now_utc, write_certificate
from gateway.certs.inventory import find_certificate, load_inventory
from gateway.certs.staging import NEXT, PREVIOUS, staged
from gateway.errors import AdminError, NotFoundError
from gateway.pki import Usage
from tests.unit.certs.conftest import DE, EE, node_settings


def test_statuses_of_the_directory(ca, tmp_path: Path):
    now = now_utc()
    certs = tmp_path / "certs"
    made = {
        "valid": ca.issue(EE, usage=Usage.TLS),
        "expiring": ca.issue(EE, usage=Usage.TLS, not_before=now - timedelta(days=355)),
        "expired": ca.issue(EE, usage=Usage.TLS, not_before=now - timedelta(days=400)),
        "not-yet-valid": ca.issue(EE, usage=Usage.TLS, not_before=now + timedelta(days=3)),
    }
    for name, issued in made.items():
        write_certificate(certs / "partners" / f"{name}.pem", issued.cert)
    inventory = load_inventory(certs, now=now)
    by_name = {info.path.stem: info for info in inventory.certificates if info.path}
    assert {name: info.status for name, info in by_name.items()} == {name: name for name in made}
    assert inventory.warnings == ()
    assert inventory.warn_days == 30
    assert load_inventory(certs, warn_days=5, now=now).certificates[1].status == "valid"


def test_files_that_are_not_certificates_are_skipped_with_a_warning(ca, tmp_path: Path):
    certs = tmp_path / "certs"
    issued = ca.issue(DE, usage=Usage.TLS)
    issued.write(certs / "de-tls")  # de-tls.pem and de-tls.key: the .key is never opened
    key_text = (certs / "de-tls.key").read_text()
    (certs / "key-in-disguise.pem").write_text(key_text)
    (certs / "notes.pem").write_text("not a certificate")
    inventory = load_inventory(certs)
    assert [i.path for i in inventory.certificates] == [certs / "de-tls.pem"]
    assert any("key-in-disguise.pem" in w and "private key" in w for w in inventory.warnings)
    assert any("notes.pem" in w for w in inventory.warnings)
    document = json.dumps(inventory.to_json())
    assert "PRIVATE KEY" not in document
    assert key_text.splitlines()[1] not in document


def test_the_node_configuration_gives_roles(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca, operations={"expiry_warning_days": 400})
    next_tls = ca.issue(DE, usage=Usage.TLS)
    write_certificate(staged(settings.tls.certificate, NEXT), next_tls.cert)
    write_certificate(
        staged(settings.signing.certificate, PREVIOUS), ca.issue(DE, usage=Usage.SIGNING).cert
    )
    inventory = load_inventory(tmp_path / "certs", settings)
    roles = {info.role: info for info in inventory.certificates if info.role}
    assert set(roles) == {
        "tls",
        "tls-next",
        "signing",
        "signing-previous",
        "client",
        "ca",
        "trust-anchor",
    }
    assert roles["tls-next"].fingerprint == fingerprint(next_tls.cert)
    assert roles["tls-next"].config_key == "tls.certificate (next)"
    assert roles["client"].config_key == "clients[0].certificate"
    assert roles["ca"].config_key == "security.client_ca"
    # operations.expiry_warning_days = 400: every 365-day certificate is near its end
    assert roles["tls"].status == "expiring"
    assert inventory.warn_days == 400
    # a configured file inside the directory is listed once, with its role
    paths = [info.path for info in inventory.certificates]
    assert len(paths) == len(set(paths))
    assert inventory.warnings == ()


def test_a_missing_configured_file_is_a_warning(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    client = settings.clients[0].certificate
    assert client is not None
    client.unlink()
    inventory = load_inventory(None, settings)
    assert inventory.warnings == (
        f"clients[0].certificate: {settings.clients[0].certificate} does not exist",
    )


def test_show_by_path_or_fingerprint_prefix(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    inventory = load_inventory(tmp_path / "certs", settings)
    tls = next(i for i in inventory.certificates if i.role == "tls")
    assert find_certificate(inventory, tls.fingerprint[:8]) == tls
    assert find_certificate(inventory, tls.fingerprint[:10].upper()) == tls
    assert find_certificate(inventory, str(settings.tls.certificate)) == tls
    outside = tmp_path / "elsewhere.pem"
    write_certificate(outside, ca.issue(EE, usage=Usage.SIGNING).cert)
    assert find_certificate(inventory, str(outside)).usage == "signing"


def test_show_refusals(ca, other_ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    inventory = load_inventory(tmp_path / "certs", settings)
    with pytest.raises(AdminError, match="at least 8 hex digits"):
        find_certificate(inventory, "abc")
    with pytest.raises(NotFoundError):
        find_certificate(inventory, fingerprint(other_ca.cert)[:12])
    with pytest.raises(AdminError, match="private key"):
        find_certificate(inventory, str(settings.tls.key))


def test_an_ambiguous_prefix_names_the_candidates(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    inventory = load_inventory(None, settings)
    first, second = inventory.certificates[:2]
    twins = dataclasses.replace(
        inventory,
        certificates=(
            dataclasses.replace(first, fingerprint="abcdef01" + "1" * 56),
            dataclasses.replace(second, fingerprint="abcdef01" + "2" * 56),
        ),
    )
    with pytest.raises(AdminError, match="ambiguous") as caught:
        find_certificate(twins, "abcdef01")
    assert "abcdef0111111111" in caught.value.message
    assert "abcdef0122222222" in caught.value.message
    assert find_certificate(twins, "abcdef012").fingerprint.endswith("2")
