"""``xgw directory member|subsystem|service|access|cert|ca|publish`` and ``xgw certs revoke``
through ``gateway.cli.main``: real files, exit codes, human and JSON output."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from gateway._crypto import fingerprint, write_certificate
from gateway.cli import main
from gateway.directory import verify_directory
from gateway.federation.draft import Draft
from gateway.pki import Issued
from tests.unit.federation.admin_api import BEARER, AdminApi, closed_port, serving
from tests.unit.federation.conftest import CLIENT, DE, EE, NL, OFFEN, disk_full


@contextlib.contextmanager
def kept_logging() -> Iterator[None]:
    """``main`` reconfigures the root logger; put pytest's handlers back after it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def xgw(*argv: str | Path) -> int:
    with kept_logging():
        return main([str(a) for a in argv])


def cert_file(tmp_path: Path, name: str, issued: Issued) -> Path:
    path = tmp_path / f"{name}.pem"
    write_certificate(path, issued.cert)
    return path


def nl_files(tmp_path: Path, pki) -> tuple[Path, Path]:
    return cert_file(tmp_path, "nl-tls", pki.nl_tls), cert_file(tmp_path, "nl-sign", pki.nl_sign)


def test_member_add_show_remove(draft_path, pki, tmp_path, capsys):
    tls, sign = (
        cert_file(tmp_path, "nl-tls", pki.nl_tls),
        cert_file(tmp_path, "nl-sign", pki.nl_sign),
    )
    code = xgw(
        "directory",
        "member",
        "add",
        NL,
        "--name",
        "Gemeente",
        "--gateway-url",
        "https://gw.nl.example:8443",
        "--tls-cert",
        tls,
        "--signing-cert",
        sign,
        "--subsystem",
        "brp=Basisregistratie",
        "--draft",
        draft_path,
    )
    out = capsys.readouterr().out
    assert code == 0
    assert f"added gateway member {NL} (Gemeente)" in out
    assert f"added subsystem {NL}/brp" in out
    assert "'xgw directory publish' makes it effective" in out

    assert xgw("directory", "member", "show", NL, "--draft", draft_path) == 0
    out = capsys.readouterr().out
    assert f"member {NL}  Gemeente  (gateway at https://gw.nl.example:8443)" in out
    assert f"tls      sha256 {fingerprint(pki.nl_tls.cert)}" in out
    assert "subsystem brp (Basisregistratie)" in out

    assert xgw("directory", "member", "show", "--draft", draft_path) == 0
    assert f"  {NL}  Gemeente  (gateway at https://gw.nl.example:8443)" in capsys.readouterr().out
    assert xgw("directory", "member", "show", "--draft", draft_path, "--json") == 0
    summary = orjson.loads(capsys.readouterr().out)
    assert [m["id"] for m in summary["members"]] == [DE, EE, NL]

    assert xgw("directory", "member", "remove", EE, "--draft", draft_path, "--json") == 0
    (change,) = orjson.loads(capsys.readouterr().out)["changes"]
    assert change["action"] == "member.remove"
    assert [r["client"] for r in change["removed_access"]] == [CLIENT, f"{EE}/klient"]
    assert [m["id"] for m in Draft.load(draft_path).document["members"]] == [DE, NL]


def test_member_add_is_all_or_nothing(draft_path, pki, tmp_path, capsys):
    before = draft_path.read_bytes()
    tls, sign = (
        cert_file(tmp_path, "nl-tls", pki.nl_tls),
        cert_file(tmp_path, "nl-sign", pki.nl_sign),
    )
    code = xgw(
        "directory",
        "member",
        "add",
        NL,
        "--name",
        "x",
        "--gateway-url",
        "https://gw",
        "--tls-cert",
        tls,
        "--signing-cert",
        sign,
        "--subsystem",
        "a=A",
        "--subsystem",
        "a=again",
        "--draft",
        draft_path,
    )
    assert code == 1
    assert "Client.Conflict: member NL/GOV/00000001 has a subsystem 'a' already" in (
        capsys.readouterr().err
    )
    assert draft_path.read_bytes() == before


def test_service_and_access(draft_path, capsys):
    service = f"{EE}/klient/paring"
    assert (
        xgw(
            "directory",
            "service",
            "add",
            service,
            "--type",
            "REST",
            "--endpoint",
            "GET /paring/*",
            "--endpoint",
            "POST /paring",
            "--draft",
            draft_path,
        )
        == 0
    )
    assert (
        xgw(
            "directory",
            "access",
            "grant",
            CLIENT,
            service,
            "--endpoint",
            "GET /paring/*",
            "--draft",
            draft_path,
        )
        == 0
    )
    out = capsys.readouterr().out
    assert f"added service {service}" in out
    assert f"granted {CLIENT} -> {service}: GET /paring/*" in out

    assert xgw("directory", "access", "withdraw", CLIENT, service, "--draft", draft_path) == 0
    assert f"withdrew {CLIENT} -> {service}: GET /paring/*" in capsys.readouterr().out
    assert xgw("directory", "access", "withdraw", CLIENT, service, "--draft", draft_path) == 1
    assert "Client.NotFound" in capsys.readouterr().err

    assert xgw("directory", "access", "grant", CLIENT, service, "--draft", draft_path) == 0
    assert xgw("directory", "service", "remove", service, "--draft", draft_path) == 0
    out = capsys.readouterr().out
    assert f"removed service {service}" in out
    assert f"also withdrew {CLIENT} -> {service}: every endpoint" in out


def test_subsystem_add_and_remove(draft_path, capsys):
    assert (
        xgw(
            "directory",
            "subsystem",
            "add",
            DE,
            "buergeramt",
            "--name",
            "Bürgeramt",
            "--draft",
            draft_path,
        )
        == 0
    )
    assert xgw("directory", "subsystem", "remove", DE, "buergeramt", "--draft", draft_path) == 0
    out = capsys.readouterr().out
    assert f"added subsystem {DE}/buergeramt" in out
    assert f"removed subsystem {DE}/buergeramt" in out


def test_certificate_rotation_and_cas(draft_path, pki, tmp_path, capsys):
    next_tls = cert_file(tmp_path, "de-next", pki.de_tls_next)
    args = ("--draft", draft_path, "--json")
    assert xgw("directory", "cert", "add", next_tls, "--member", DE, "--usage", "tls", *args) == 0
    (added,) = orjson.loads(capsys.readouterr().out)["changes"]
    assert added["target"] == fingerprint(pki.de_tls_next.cert)
    assert "both certificates are accepted" in added["notes"][0]
    old = fingerprint(pki.de_tls.cert)
    assert xgw("directory", "cert", "remove", "--member", DE, "--fingerprint", old, *args) == 0
    assert orjson.loads(capsys.readouterr().out)["changes"][0]["action"] == "certificate.remove"
    tls = Draft.load(draft_path).member_json(DE)["tls_certificates"]
    assert [c["sha256"] for c in tls] == [fingerprint(pki.de_tls_next.cert)]

    other = cert_file(tmp_path, "other-ca", Issued(pki.other_ca.key, pki.other_ca.cert))
    assert xgw("directory", "ca", "add", other, "--draft", draft_path) == 0
    assert xgw("directory", "ca", "add", other, "--draft", draft_path) == 1
    assert "is listed already" in capsys.readouterr().err
    ca = fingerprint(pki.other_ca.cert)
    assert xgw("directory", "ca", "remove", "--fingerprint", ca, "--draft", draft_path) == 0
    assert f"removed CA O=xgw federation,CN=Partner CA ({ca})" in capsys.readouterr().out


def test_certs_revoke_a_file_or_a_serial(draft_path, pki, tmp_path, capsys):
    path = cert_file(tmp_path, "de-tls", pki.de_tls)
    assert xgw("certs", "revoke", path, "--reason", "keyCompromise", "--draft", draft_path) == 0
    out = capsys.readouterr().out
    assert f"revoked serial {pki.de_tls.cert.serial_number:x} (keyCompromise)" in out
    assert f"note: still listed by {DE} (tls)" in out
    serial = format(pki.ee_sign.cert.serial_number, "X")
    assert xgw("certs", "revoke", serial, "--draft", draft_path, "--json") == 0
    (change,) = orjson.loads(capsys.readouterr().out)["changes"]
    assert change["listed_by"] == [f"{EE} (signing)"]
    revoked = Draft.load(draft_path).to_json()["revoked"]
    assert revoked == [
        {"serial": f"{pki.de_tls.cert.serial_number:x}", "reason": "keyCompromise"},
        {"serial": f"{pki.ee_sign.cert.serial_number:x}", "reason": "unspecified"},
    ]


def test_certs_revoke_refuses_what_is_neither(draft_path, capsys):
    assert xgw("certs", "revoke", "missing.pem", "--draft", draft_path) == 2
    assert "neither a certificate file nor a hex serial" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        xgw("certs", "revoke", "abc", "--reason", "lost", "--draft", draft_path)


def test_a_missing_draft_is_a_configuration_error(tmp_path, capsys):
    assert xgw("directory", "access", "grant", CLIENT, OFFEN, "--draft", tmp_path / "no") == 2
    assert "xgw directory create" in capsys.readouterr().err


def test_publish_with_a_passphrase_protected_key(draft_path, pki, tmp_path, capsys):
    cert, key = pki.operator.write(tmp_path / "operator", passphrase=b"s3cret")
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("s3cret\n")
    out = tmp_path / "www" / "directory.jws"
    code = xgw(
        "directory",
        "publish",
        "--draft",
        draft_path,
        "--key",
        key,
        "--cert",
        cert,
        "--key-passphrase-file",
        passphrase,
        "-o",
        out,
        "--valid-hours",
        "2",
    )
    text = capsys.readouterr().out
    assert code == 0
    assert "published directory XGW-TEST sequence 11 (expires" in text
    assert f"kept {tmp_path / 'www' / 'directories' / '11.jws'}" in text
    assert "gateways adopt it at their next refresh" in text
    assert verify_directory(out.read_text(), [pki.operator.cert]).sequence == 11
    assert (
        xgw("directory", "publish", "--draft", draft_path, "--key", key, "--cert", cert, "-o", out)
        == 2
    )
    assert "--key" in capsys.readouterr().err  # encrypted, and no passphrase given


async def test_publish_and_push(draft_path, pki, tmp_path, capsys):
    cert, key = pki.operator.write(tmp_path / "operator")
    token_file = tmp_path / "admin.token"
    token_file.write_text(BEARER + "\n")
    out = tmp_path / "directory.jws"
    api = AdminApi()
    async with serving(api.app()) as url:
        down = closed_port()
        code = await asyncio.to_thread(
            xgw,
            "directory",
            "publish",
            "--draft",
            draft_path,
            "--key",
            key,
            "--cert",
            cert,
            "-o",
            out,
            "--push",
            url,
            down,
            "--token-file",
            token_file,
            "--json",
        )
    assert code == 0  # a gateway that is down is reported, not fatal
    report = orjson.loads(capsys.readouterr().out)
    assert api.received == [out.read_text().strip()]
    assert report["publication"]["sequence"] == 11
    assert [p["adopted"] for p in report["pushed"]] == [True, False]
    assert report["pushed"][1]["problem"].startswith("unreachable")
    assert BEARER not in str(report)


def test_push_settings_are_checked_before_publishing(draft_path, pki, tmp_path, capsys):
    cert, key = pki.operator.write(tmp_path / "operator")
    out = tmp_path / "directory.jws"
    base = ("directory", "publish", "--draft", draft_path, "--key", key, "--cert", cert, "-o", out)
    assert xgw(*base, "--push", "http://127.0.0.1:1") == 2
    assert "--token-file" in capsys.readouterr().err
    assert xgw(*base, "--token-file", tmp_path / "t") == 2
    assert "go with --push URL" in capsys.readouterr().err
    two_urls = ("--push", "http://127.0.0.1:1", "http://127.0.0.1:2")
    files = ("--token-file", tmp_path / "a", "--token-file", tmp_path / "b", "--token-file", "c")
    assert xgw(*base, *two_urls, *files) == 2
    assert "once per URL (2); got 3" in capsys.readouterr().err
    assert xgw(*base, *two_urls, *files[:4]) == 2  # the right number, but no such files
    assert f"file {tmp_path / 'a'} does not exist" in capsys.readouterr().err
    assert not out.exists()
    assert Draft.load(draft_path).sequence == 10


async def test_publish_pushes_even_when_the_draft_cannot_be_saved(
    draft_path, pki, tmp_path, capsys, monkeypatch
):
    cert, key = pki.operator.write(tmp_path / "operator")
    token_file = tmp_path / "admin.token"
    token_file.write_text(BEARER + "\n")
    out = tmp_path / "directory.jws"
    disk_full(monkeypatch, draft_path)
    api = AdminApi()
    async with serving(api.app()) as url:
        code = await asyncio.to_thread(
            xgw,
            *("directory", "publish", "--draft", draft_path, "--key", key, "--cert", cert),
            *("-o", out, "--push", url, "--token-file", token_file, "--json"),
        )
    captured = capsys.readouterr()
    assert code == 0  # sequence 11 is live: not a refusal
    assert api.received == [out.read_text().strip()]
    report = orjson.loads(captured.out)
    (warning,) = report["publication"]["warnings"]
    assert "sequence 11 is published, but the draft draft.json was not saved" in warning
    assert f"warning: {warning}" in captured.err
    assert report["pushed"][0]["adopted"] is True
    assert Draft.load(draft_path).sequence == 10


def test_publish_refuses_a_validity_over_seven_days(draft_path, pki, tmp_path, capsys):
    cert, key = pki.operator.write(tmp_path / "operator")
    out = tmp_path / "directory.jws"
    base = ("directory", "publish", "--draft", draft_path, "--key", key, "--cert", cert, "-o", out)
    assert xgw(*base, "--valid-hours", "169") == 1
    assert "the validity is at most 168 hours (7 days), got 169" in capsys.readouterr().err
    assert xgw(*base, "--valid-hours", "inf") == 1
    assert "positive number of hours, got inf" in capsys.readouterr().err
    assert not out.exists()
    assert xgw(*base, "--valid-hours", "168") == 0
