"""``xgw certs ...`` end to end through ``gateway.cli.main``: real files, keys and a node config.

Every test runs in its own directory (``certs/`` is the default inventory) and
checks, besides what each command does, that no output ever carries private key
material.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway._crypto import check_key_pair, load_certificate, load_private_key
from gateway.certs.staging import NEXT, staged
from gateway.cli import EXIT_CONFIG, main
from tests.integration.federation import kept_logging

DE = "DE/GOV/05974028"
EE = "EE/GOV/70000310"
PASSPHRASE = "correct horse battery staple"


class Cli:
    """Runs ``xgw`` in-process and keeps everything it printed, to search for keys later."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.printed: list[str] = []

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        self.printed += [out, err]
        return code, out, err

    def ok(self, *argv: str) -> str:
        code, out, err = self(*argv)
        assert code == 0, err
        return out

    def json(self, *argv: str) -> Any:
        return json.loads(self.ok(*argv, "--json"))

    def assert_no_private_key_printed(self, root: Path) -> None:
        everything = "\n".join(self.printed)
        assert "PRIVATE KEY" not in everything
        for key_file in root.rglob("*.key"):
            for line in key_file.read_text().splitlines()[1:-1]:
                assert line not in everything, f"a line of {key_file} was printed"


@pytest.fixture
def xgw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> Iterator[Cli]:
    for name in list(os.environ):
        if name.startswith("XGW_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ca.pass").write_text(PASSPHRASE + "\n")
    cli = Cli(capsys)
    with kept_logging():
        yield cli
    cli.assert_no_private_key_printed(tmp_path)


CA_ARGS = ("--ca", "certs/ca", "--ca-passphrase-file", "ca.pass")


def make_node(xgw: Cli, root: Path) -> Path:
    """A member's CA, TLS and signing pairs made with xgw certs, and a node config using them."""
    xgw.ok("certs", "init-ca", "--name", "Musterstadt CA", "--passphrase-file", "ca.pass")
    for usage, stem in (("tls", "certs/de-tls"), ("signing", "certs/de-sign")):
        hosts = ("--host", "127.0.0.1", "--host", "localhost") if usage == "tls" else ()
        xgw.ok("certs", "csr", DE, "--usage", usage, "--out", stem, *hosts)
        xgw.ok("certs", "issue", f"{stem}.csr", *CA_ARGS)
    config = root / "de.toml"
    config.write_text(
        f"""
[member]
id = "{DE}"
[listen]
peer = "127.0.0.1:0"
client = "127.0.0.1:0"
[tls]
certificate = "certs/de-tls.pem"
key = "certs/de-tls.key"
[signing]
certificate = "certs/de-sign.pem"
key = "certs/de-sign.key"
[directory]
source = "directory.jws"
trust_anchor = "certs/ca/ca.pem"
[data]
dir = "data"
[security]
client_ca = "certs/ca/ca.pem"
"""
    )
    return config


def test_full_flow_init_ca_csr_issue_import_list_show(xgw: Cli, tmp_path: Path):
    made = xgw.json("certs", "init-ca", "--name", "Musterstadt CA", "--passphrase-file", "ca.pass")
    assert made["key_encrypted"] is True
    assert made["certificate"]["usage"] == "ca"
    assert stat.S_IMODE((tmp_path / "certs/ca/ca.key").stat().st_mode) == 0o600

    csr = xgw.json(
        "certs", "csr", DE, "--usage", "tls", "--out", "certs/de-tls", "--host", "127.0.0.1"
    )
    assert csr["csr_path"] == "certs/de-tls.csr"
    assert csr["hosts"] == ["127.0.0.1"]
    assert stat.S_IMODE((tmp_path / "certs/de-tls.key").stat().st_mode) == 0o600

    # the CA key is encrypted: without its passphrase file this is a bad configuration
    code, _, err = xgw("certs", "issue", "certs/de-tls.csr", "--ca", "certs/ca")
    assert code == EXIT_CONFIG
    assert "ca.key" in err
    issued = xgw.json("certs", "issue", "certs/de-tls.csr", *CA_ARGS)
    assert issued["path"] == "certs/de-tls.pem"
    assert issued["certificate"]["usage"] == "tls"
    assert issued["certificate"]["hosts"] == ["127.0.0.1"]

    # a partner with its own CA: its certificate is refused until its CA is imported
    xgw.ok("certs", "init-ca", "--out", "partner/ca", "--name", "EE CA")
    xgw.ok("certs", "csr", EE, "--usage", "tls", "--out", "partner/ee-tls")
    xgw.ok("certs", "issue", "partner/ee-tls.csr", "--ca", "partner/ca")
    code, _, err = xgw("certs", "import", "partner/ee-tls.pem", "--usage", "tls")
    assert code == 1
    assert "the chain check failed" in err
    out = xgw.ok("certs", "import", "partner/ca/ca.pem", "--usage", "ca")
    assert "certs/EE-CA-ca.pem" in out
    imported = xgw.json("certs", "import", "partner/ee-tls.pem", "--usage", "tls")
    assert imported["path"] == "certs/EE-GOV-70000310-tls.pem"
    assert imported["checked_against"] == "O=xgw federation,CN=EE CA"

    listing = xgw.json("certs", "list")
    by_path = {entry["path"]: entry for entry in listing["certificates"]}
    assert set(by_path) == {
        "certs/ca/ca.pem",
        "certs/de-tls.pem",
        "certs/EE-CA-ca.pem",
        "certs/EE-GOV-70000310-tls.pem",
    }
    assert {entry["status"] for entry in by_path.values()} == {"valid"}
    assert by_path["certs/ca/ca.pem"]["usage"] == "ca"
    assert listing["warnings"] == []

    table = xgw.ok("certs", "list")
    assert "STATUS" in table.splitlines()[0]
    assert "CN=EE/GOV/70000310" in table

    fingerprint = by_path["certs/de-tls.pem"]["fingerprint"]
    shown = xgw.ok("certs", "show", fingerprint[:10])
    assert fingerprint in shown
    assert "serverAuth, clientAuth" in shown
    assert xgw.json("certs", "show", "certs/de-tls.pem")["fingerprint"] == fingerprint
    code, _, err = xgw("certs", "show", "0123")
    assert code == 1
    assert "at least 8 hex digits" in err


def test_import_refusals_exit_1_naming_the_check(xgw: Cli, tmp_path: Path):
    xgw.ok("certs", "init-ca")
    xgw.ok("certs", "csr", DE, "--usage", "signing", "--out", "certs/de-sign")
    xgw.ok("certs", "issue", "certs/de-sign.csr", "--ca", "certs/ca")
    for usage, problem in (("tls", "usage check"), ("ca", "ca check")):
        code, _, err = xgw("certs", "import", "certs/de-sign.pem", "--usage", usage)
        assert code == 1
        assert problem in err
    code, _, err = xgw("certs", "import", "certs/ca/ca.pem", "--usage", "tls")
    assert code == 1 and "it is a CA certificate" in err
    # the one certificate is in the inventory already
    code, _, err = xgw("certs", "import", "certs/de-sign.pem", "--usage", "signing")
    assert code == 1 and "already in the inventory" in err


def test_list_with_the_node_config_shows_roles_and_warnings(xgw: Cli, tmp_path: Path):
    config = make_node(xgw, tmp_path)
    (tmp_path / "certs/readme.pem").write_text("see docs/certificates.md")
    listing = xgw.json("certs", "list", "--config", str(config), "--warn-days", "400")
    roles = {entry["role"]: entry for entry in listing["certificates"] if entry["role"]}
    assert set(roles) == {"tls", "signing", "ca", "trust-anchor"}
    assert roles["tls"]["status"] == "expiring"  # a year's validity, warned 400 days ahead
    assert roles["tls"]["config_key"] == "tls.certificate"
    assert listing["warnings"] == ["skipped certs/readme.pem: not a PEM certificate"]
    code, _, err = xgw("certs", "list", "--config", str(config))
    assert code == 0
    assert "xgw: warning: skipped certs/readme.pem" in err


def test_rotate_with_the_local_ca(xgw: Cli, tmp_path: Path):
    config = make_node(xgw, tmp_path)
    assert xgw("serve", "--config", str(config), "--check")[0] == 0

    out = xgw.ok("certs", "rotate", "--config", str(config), "--usage", "tls", *CA_ARGS)
    assert "next steps:" in out
    assert f"xgw directory cert add certs/de-tls.next.pem --member {DE} --usage tls" in out.replace(
        str(tmp_path) + "/", ""
    )
    next_key, next_cert = tmp_path / "certs/de-tls.next.key", tmp_path / "certs/de-tls.next.pem"
    assert stat.S_IMODE(next_key.stat().st_mode) == 0o600
    check_key_pair(load_certificate(next_cert), load_private_key(next_key), "next")

    listing = xgw.json("certs", "list", "--config", str(config))
    roles = {entry["role"]: entry for entry in listing["certificates"] if entry["role"]}
    assert roles["tls-next"]["path"] == str(next_cert)
    assert roles["tls-next"]["fingerprint"] != roles["tls"]["fingerprint"]
    assert roles["tls-next"]["hosts"] == ["localhost", "127.0.0.1"]

    # the staged pair is one a node starts with
    swapped = tmp_path / "next.toml"
    swapped.write_text(
        config.read_text()
        .replace("de-tls.pem", "de-tls.next.pem")
        .replace("de-tls.key", "de-tls.next.key")
    )
    assert xgw("serve", "--config", str(swapped), "--check")[0] == 0

    code, _, err = xgw("certs", "rotate", "--config", str(config), "--usage", "tls", *CA_ARGS)
    assert code == 1
    assert "staged already" in err
    assert (
        xgw.json("certs", "rotate", "--config", str(config), "--usage", "tls", "--force", *CA_ARGS)[
            "key_type"
        ]
        == "ec-p256"
    )


def test_rotate_with_a_csr_and_install_next(xgw: Cli, tmp_path: Path):
    config = make_node(xgw, tmp_path)
    rotated = xgw.json(
        "certs", "rotate", "--config", str(config), "--usage", "signing", "--key-type", "ed25519"
    )
    csr = tmp_path / "certs/de-sign.next.csr"
    assert rotated["csr_path"] == str(csr)
    assert rotated["certificate_path"] is None
    assert any("xgw certs install-next CERT" in step for step in rotated["next_steps"])

    # the external CA (here: our own, by hand) signs the request
    xgw.ok("certs", "issue", str(csr), *CA_ARGS, "-o", "from-the-ca.pem")

    code, _, err = xgw(
        "certs", "install-next", "certs/de-sign.pem", "--config", str(config), "--usage", "signing"
    )
    assert code == 1
    assert "the key check failed" in err

    out = xgw.ok(
        "certs", "install-next", "from-the-ca.pem", "--config", str(config), "--usage", "signing"
    )
    assert "staged from-the-ca.pem as the next signing certificate" in out
    assert "docs/rotation.md" in out
    settings_next = staged(tmp_path / "certs/de-sign.pem", NEXT)
    assert settings_next.read_bytes() == (tmp_path / "from-the-ca.pem").read_bytes()
    check_key_pair(
        load_certificate(settings_next),
        load_private_key(tmp_path / "certs/de-sign.next.key"),
        "next",
    )
    code, _, err = xgw(
        "certs", "install-next", "from-the-ca.pem", "--config", str(config), "--usage", "signing"
    )
    assert code == 1 and "--force" in err


def test_csr_refuses_the_signing_key_for_tls(xgw: Cli, tmp_path: Path):
    config = make_node(xgw, tmp_path)
    code, _, err = xgw(
        "certs",
        "csr",
        DE,
        "--usage",
        "tls",
        "--out",
        "certs/de-tls-2",
        "--key",
        "certs/de-sign.key",
        "--config",
        str(config),
    )
    assert code == 1
    assert "needs its own key pair" in err
    assert not (tmp_path / "certs/de-tls-2.csr").exists()


def test_the_certs_group_has_every_command_and_revoke(xgw: Cli):
    with pytest.raises(SystemExit) as exited:
        main(["certs", "--help"])
    assert exited.value.code == 0
    listed = xgw.capsys.readouterr().out
    for command in (
        "init-ca",
        "csr",
        "issue",
        "import",
        "list",
        "show",
        "rotate",
        "install-next",
        "revoke",
    ):
        assert f"    {command} " in listed or f"    {command}\n" in listed, command


def test_import_never_writes_where_the_node_keeps_its_files(xgw: Cli, tmp_path: Path):
    config = make_node(xgw, tmp_path)
    gewerbeamt = tmp_path / "certs/gewerbeamt.pem"  # configured, not issued yet
    config.write_text(
        config.read_text()
        + f'[[clients]]\nsubsystem = "{DE}/gewerbeamt"\ncertificate = "{gewerbeamt}"\n'
    )
    xgw.ok("certs", "csr", EE, "--usage", "tls", "--out", "partner/ee-tls")
    xgw.ok("certs", "issue", "partner/ee-tls.csr", *CA_ARGS)
    partner = ("certs", "import", "partner/ee-tls.pem", "--usage", "tls")

    for name, problem in (
        ("de-tls.next", "a rotation's staged file name"),
        ("de-sign.previous.pem", "a rotation's staged file name"),
        ("ee\x1b[2J", "file name of printable characters"),
    ):
        code, _, err = xgw(*partner, "--name", name)
        assert (code, problem in err) == (1, True), err
    code, _, err = xgw(*partner, "--name", "gewerbeamt", "--config", str(config))
    assert code == 1 and "configured or staged files" in err
    assert not gewerbeamt.exists()
    assert not staged(tmp_path / "certs/de-tls.pem", NEXT).exists()
    kept = xgw.json(*partner, "--config", str(config))
    assert kept["path"] == "certs/EE-GOV-70000310-tls.pem"


def test_rotate_days_count_with_a_local_ca_only_and_up_to_ten_years(xgw: Cli, tmp_path: Path):
    config = make_node(xgw, tmp_path)
    rotate_tls = ("certs", "rotate", "--config", str(config), "--usage", "tls")
    for extra in (CA_ARGS, ()):
        code, _, err = xgw(*rotate_tls, *extra, "--days", "3651")
        assert code == 1 and "from 1 to 3650" in err
    assert not (tmp_path / "certs/de-tls.next.key").exists()
    out = xgw.ok(*rotate_tls, "--days", "30")
    assert "the CA decides its validity" in out
