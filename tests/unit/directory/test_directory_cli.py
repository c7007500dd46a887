"""``xgw directory create|sign|show`` as functions: real files, exit codes, output."""

from __future__ import annotations

import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from gateway._crypto import fingerprint, kid, load_certificate
from gateway.directory import Directory, verify_directory
from gateway.directory_cli import build_directory, create, show, sign
from gateway.errors import ConfigError
from gateway.pki import CertificateAuthority, Usage

DE = "DE/GOV/05974028"
EE = "EE/GOV/70000310"
GEWERBEANZEIGE = f"{DE}/gewerbeamt/gewerbeanzeige"

SPEC = f"""
instance = "XGW-TEST"
cas = ["ca.pem"]

[[members]]
id = "{DE}"
name = "Stadt Musterstadt"
gateway_url = "https://127.0.0.1:8443"
tls_certificates = ["de-tls.pem"]
signing_certificates = ["de-sign.pem"]

  [[members.subsystems]]
  code = "gewerbeamt"
  name = "Gewerbeamt"

  [[members.services]]
  subsystem = "gewerbeamt"
  code = "gewerbeanzeige"
  type = "REST"
  format = "opaque"
  endpoints = [
    {{ method = "POST", path = "/meldungen" }},
    {{ method = "GET", path = "/meldungen/*" }},
  ]
  openapi = "openapi: 3.1.0"

[[members]]
id = "{EE}"
name = "RIK"
gateway_url = "https://127.0.0.1:9443"
tls_certificates = ["ee-tls.pem"]
signing_certificates = ["ee-sign.pem"]
subsystems = [{{ code = "ariregister", name = "Äriregister" }}]

[[access]]
client = "{EE}/ariregister"
service = "{GEWERBEANZEIGE}"
endpoints = [{{ method = "GET", path = "/meldungen/**" }}]

[[revoked]]
certificate = "old-tls.pem"
reason = "superseded"

[[revoked]]
serial = "0A:1B:2C"
"""


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    """A federation on disk: CA, operator, members' certificates and the spec."""
    ca = CertificateAuthority.create("CLI Test CA")
    ca.write(tmp_path / "ca")
    ca.issue("XGW-TEST/operator", usage=Usage.SIGNING).write(tmp_path / "operator")
    ca.issue(DE, usage=Usage.TLS, hosts=["127.0.0.1"]).write(tmp_path / "de-tls")
    ca.issue(DE, usage=Usage.SIGNING).write(tmp_path / "de-sign")
    ca.issue(EE, usage=Usage.TLS, hosts=["127.0.0.1"]).write(tmp_path / "ee-tls")
    ca.issue(EE, usage=Usage.SIGNING).write(tmp_path / "ee-sign")
    ca.issue(EE, usage=Usage.TLS).write(tmp_path / "old-tls")
    path = tmp_path / "federation.toml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def operator_files(spec: Path) -> tuple[Path, Path]:
    return spec.parent / "operator.key", spec.parent / "operator.pem"


def test_create_sign_show_round_trip(spec, tmp_path, capsys):
    unsigned, signed = tmp_path / "directory.json", tmp_path / "directory.jws"
    assert create(spec, unsigned, valid_hours=12, sequence=7) == 0
    assert "wrote unsigned directory XGW-TEST sequence 7" in capsys.readouterr().out

    key, cert = operator_files(spec)
    assert sign(unsigned, key, cert, signed) == 0
    assert f"with kid {kid(load_certificate(cert))}" in capsys.readouterr().out
    directory = verify_directory(signed.read_text(), [load_certificate(cert)])
    assert directory.sequence == 7
    assert directory.expires - directory.issued == timedelta(hours=12)

    assert show(signed, cert, as_json=False) == 0
    out = capsys.readouterr().out
    assert "status    VALID" in out
    assert "directory XGW-TEST sequence 7" in out
    assert f"{DE}  Stadt Musterstadt  https://127.0.0.1:8443" in out
    assert fingerprint(load_certificate(spec.parent / "de-tls.pem")) in out
    assert f"service {GEWERBEANZEIGE}  REST  format opaque" in out
    assert "GET /meldungen/*" in out
    assert "openapi: inline (14 characters)" in out
    assert f"{EE}/ariregister -> {GEWERBEANZEIGE}: GET /meldungen/**" in out
    old_serial = format(load_certificate(spec.parent / "old-tls.pem").serial_number, "x")
    assert f"serial {old_serial} (superseded)" in out
    assert "serial 0a1b2c (unspecified)" in out


def test_build_directory_is_the_pure_part(spec):
    now = datetime(2026, 11, 28, 2, 0, 0, 123456, tzinfo=UTC)

    doc = build_directory(
        tomllib.loads(spec.read_text()), spec.parent, valid_hours=24, sequence=3, now=now
    )
    assert (doc["issued"], doc["expires"]) == ("2026-11-28T02:00:00Z", "2026-11-29T02:00:00Z")
    assert doc["format"] == "xgw-directory/1"
    assert doc["cas"][0].startswith("-----BEGIN CERTIFICATE-----")
    assert doc["revoked"][1] == {"serial": "0a1b2c"}
    assert Directory.from_json(doc).sequence == 3


def test_default_sequence_increases(spec, tmp_path, capsys):
    out = tmp_path / "directory.json"
    before = int(time.time())
    assert create(spec, out) == 0
    first = orjson.loads(out.read_bytes())["sequence"]
    assert first >= before
    assert create(spec, out) == 0
    assert orjson.loads(out.read_bytes())["sequence"] > first


def test_show_with_the_wrong_anchor_is_invalid(spec, tmp_path, capsys):
    unsigned, signed = tmp_path / "d.json", tmp_path / "d.jws"
    create(spec, unsigned, sequence=1)
    sign(unsigned, *operator_files(spec), signed)
    capsys.readouterr()
    assert show(signed, spec.parent / "de-sign.pem", as_json=False) == 1
    out = capsys.readouterr().out
    assert "status    INVALID (signed by an unknown key" in out
    assert "directory XGW-TEST sequence 1" in out  # still shows what it is


def test_show_json(spec, tmp_path, capsys):
    unsigned, signed = tmp_path / "d.json", tmp_path / "d.jws"
    create(spec, unsigned, sequence=2)
    sign(unsigned, *operator_files(spec), signed)
    capsys.readouterr()
    assert show(signed, operator_files(spec)[1], as_json=True) == 0
    report = orjson.loads(capsys.readouterr().out)
    assert report["status"] == "VALID" and report["signed"] is True
    assert report["alg"] == "ES256"
    assert report["directory"]["sequence"] == 2
    members = report["directory"]["members"]
    assert [m["id"] for m in members] == [DE, EE]
    assert members[0]["tls_certificates"][0]["status"] == "valid"
    assert report["directory"]["access"][0]["endpoints"] == ["GET /meldungen/**"]


def test_show_unsigned(spec, tmp_path, capsys):
    unsigned = tmp_path / "d.json"
    create(spec, unsigned, sequence=2)
    capsys.readouterr()
    assert show(unsigned, None, as_json=False) == 0
    out = capsys.readouterr().out
    assert "unsigned JSON" in out and "NOT VERIFIED (no trust anchor given)" in out
    assert show(unsigned, operator_files(spec)[1], as_json=False) == 1
    assert "INVALID (not signed" in capsys.readouterr().out


def test_show_garbage_is_invalid(tmp_path, capsys):
    path = tmp_path / "d.jws"
    path.write_text("garbage")
    assert show(path, None, as_json=False) == 1
    assert "INVALID (malformed directory JWS" in capsys.readouterr().out


def test_show_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        show(tmp_path / "missing.jws", None, as_json=False)


def test_create_missing_certificate_file(spec, tmp_path):
    spec.write_text(SPEC.replace("de-tls.pem", "nope.pem"))
    with pytest.raises(ConfigError) as info:
        create(spec, tmp_path / "d.json")
    assert info.value.key == "members[0].tls_certificates"
    assert "nope.pem does not exist" in info.value.problem


def test_create_spec_problems(spec, tmp_path):
    spec.write_text(SPEC.replace("https://127.0.0.1:9443", "127.0.0.1:9443"))
    with pytest.raises(ConfigError, match=r"schema: members\[1\]\.gateway_url: "):
        create(spec, tmp_path / "d.json")
    spec.write_text("sequence = 3\n" + SPEC)
    with pytest.raises(ConfigError, match="unknown keys sequence"):
        create(spec, tmp_path / "d.json")
    spec.write_text("instance = [")
    with pytest.raises(ConfigError, match=r"federation\.toml"):
        create(spec, tmp_path / "d.json")
    with pytest.raises(ConfigError, match="does not exist"):
        create(tmp_path / "none.toml", tmp_path / "d.json")


def test_create_refuses_a_certificate_from_an_unlisted_ca(spec, tmp_path):
    CertificateAuthority.create("Rogue CA").issue(EE, usage=Usage.TLS).write(spec.parent / "rogue")
    spec.write_text(SPEC.replace("ee-tls.pem", "rogue.pem"))
    with pytest.raises(ConfigError, match=f"member {EE}: certificate .* is not issued by a CA"):
        create(spec, tmp_path / "d.json")


def test_create_refuses_non_positive_validity(spec, tmp_path):
    with pytest.raises(ConfigError, match="valid_hours"):
        create(spec, tmp_path / "d.json", valid_hours=0)


def test_sign_refuses_an_expired_directory(spec, tmp_path):

    doc = build_directory(
        tomllib.loads(spec.read_text()),
        spec.parent,
        valid_hours=1,
        sequence=1,
        now=datetime.now(UTC) - timedelta(hours=2),
    )

    unsigned = tmp_path / "old.json"
    unsigned.write_bytes(orjson.dumps(doc))
    with pytest.raises(ConfigError, match="expired at"):
        sign(unsigned, *operator_files(spec), tmp_path / "old.jws")
    assert not (tmp_path / "old.jws").exists()


def test_sign_refuses_a_foreign_key(spec, tmp_path):
    unsigned = tmp_path / "d.json"
    create(spec, unsigned, sequence=1)
    with pytest.raises(ConfigError, match="does not belong to the certificate"):
        sign(unsigned, spec.parent / "de-sign.key", operator_files(spec)[1], tmp_path / "d.jws")


def test_sign_bad_input(spec, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    with pytest.raises(ConfigError, match="not a JSON object"):
        sign(bad, *operator_files(spec), tmp_path / "d.jws")
    with pytest.raises(ConfigError, match="does not exist"):
        sign(tmp_path / "none.json", *operator_files(spec), tmp_path / "d.jws")
