"""``xgw serve --check``: a good config passes; a bad one exits 2 naming the key.

``gateway.cli.main`` runs in-process; stdout and stderr are captured. ``XGW_*``
variables override the file (DESIGN.md, "Operating it").
"""

from __future__ import annotations

import gc
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.app import Gateway, bind
from gateway.cli import EXIT_CONFIG, main
from gateway.errors import ConfigError
from gateway.pki import CertificateAuthority, Usage
from gateway.settings import Settings
from tests.integration.federation import HOST, kept_logging

MEMBER = "DE/GOV/05974028"


@pytest.fixture(autouse=True)
def no_xgw_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import os

    for name in list(os.environ):
        if name.startswith("XGW_"):
            monkeypatch.delenv(name)
    with kept_logging():
        yield


def config(root: Path, ca: CertificateAuthority) -> dict[str, Any]:
    """A complete node config whose certificate and key files exist."""
    paths = {}
    for name, usage in (
        ("tls", Usage.TLS),
        ("sign", Usage.SIGNING),
        ("client", Usage.CLIENT),
        ("operator", Usage.SIGNING),
    ):
        cert, key = ca.issue(MEMBER, usage=usage).write(root / "certs" / name)
        paths[name] = (cert.relative_to(root).as_posix(), key.relative_to(root).as_posix())
    ca_cert, _ = ca.write(root / "certs" / "ca")
    return {
        "member": {"id": MEMBER, "name": "Musterstadt"},
        "listen": {"peer": "127.0.0.1:8443", "client": "127.0.0.1:8080"},
        "tls": {"certificate": paths["tls"][0], "key": paths["tls"][1]},
        "signing": {"certificate": paths["sign"][0], "key": paths["sign"][1]},
        "directory": {"source": "directory.jws", "trust_anchor": paths["operator"][0]},
        "data": {"dir": "data"},
        "security": {"client_ca": ca_cert.relative_to(root).as_posix(), "max_body_bytes": 65536},
        "clients": [{"subsystem": f"{MEMBER}/gewerbeamt", "certificate": paths["client"][0]}],
        "services": [
            {"subsystem": "gewerbeamt", "code": "meldungen", "backend": "http://127.0.0.1:9001/"}
        ],
    }


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(value)


def to_toml(document: dict[str, Any]) -> str:
    lines: list[str] = []
    for section, table in document.items():
        tables = table if isinstance(table, list) else [table]
        for item in tables:
            lines.append(f"[[{section}]]" if isinstance(table, list) else f"[{section}]")
            lines += [f"{key} = {toml_value(value)}" for key, value in item.items()]
            lines.append("")
    return "\n".join(lines)


def write(root: Path, document: dict[str, Any] | str) -> Path:
    path = root / "node.toml"
    path.write_text(document if isinstance(document, str) else to_toml(document))
    return path


def check(path: Path) -> int:
    return main(["serve", "--config", str(path), "--check"])


def test_good_config_passes_the_check(
    tmp_path: Path, ca: CertificateAuthority, capsys: pytest.CaptureFixture[str]
):
    assert check(write(tmp_path, config(tmp_path, ca))) == 0
    captured = capsys.readouterr()
    assert f"is valid: member {MEMBER}" in captured.out
    assert captured.err == ""


def set_key(document: dict[str, Any], dotted: str, value: object) -> None:
    section, _, key = dotted.partition(".")
    match = re.fullmatch(r"(\w+)\[(\d+)\]", section)
    table = document[match[1]][int(match[2])] if match else document.setdefault(section, {})
    table[key] = value


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("listen.peer", "nope"),
        ("listen.peer", "127.0.0.1:70000"),
        ("listen.client", 8080),
        ("listen.client_tls", "maybe"),
        ("security.max_body", 1024),  # a typo of max_body_bytes: unknown key
        ("security.max_body_bytes", -1),
        ("security.max_body_bytes", "a lot"),
        ("security.replay_window", True),
        ("timeouts.backend", "slow"),
        ("member.id", "DE/GOV"),
        ("member.id", f"{MEMBER}/gewerbeamt"),  # a subsystem, not a member
        ("xroad.error_spelling", "kebab-case"),
        ("clients[0].subsystem", "EE/GOV/70000310/klient"),  # another member's subsystem
        ("services[0].backend", "ftp://127.0.0.1/"),
        ("directory.refresh_interval", "hourly"),
        ("directory.refresh_interval", 0),
        ("clients[0].format", "xoev.xgewerbeanzeigen"),  # no such connector
        ("services[0].format", "nl"),
        ("translation.schema_dir", "/no/such/dir"),
        ("translation.lenient_identifiers", "sometimes"),
    ],
)
def test_bad_value_exits_2_naming_the_key(
    tmp_path: Path,
    ca: CertificateAuthority,
    capsys: pytest.CaptureFixture[str],
    key: str,
    value: object,
):
    document = config(tmp_path, ca)
    set_key(document, key, value)
    assert check(write(tmp_path, document)) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert f"'{key}'" in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ("member", "member"),
        ("listen", "listen"),
        ("tls", "tls"),
        ("directory", "directory"),
        ("data", "data.dir"),
    ],
)
def test_missing_section_exits_2_naming_it(
    tmp_path: Path,
    ca: CertificateAuthority,
    capsys: pytest.CaptureFixture[str],
    section: str,
    named: str,
):
    document = config(tmp_path, ca)
    del document[section]
    assert check(write(tmp_path, document)) == EXIT_CONFIG
    assert f"'{named}'" in capsys.readouterr().err


def test_unknown_section_exits_2_naming_it(
    tmp_path: Path, ca: CertificateAuthority, capsys: pytest.CaptureFixture[str]
):
    document = config(tmp_path, ca)
    document["securty"] = {"max_body_bytes": 1}
    assert check(write(tmp_path, document)) == EXIT_CONFIG
    assert "'securty'" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["[member\nid = 1", "\xff\xfe not text"])
def test_unreadable_toml_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str):
    path = tmp_path / "node.toml"
    path.write_bytes(text.encode("latin-1"))
    assert check(path) == EXIT_CONFIG
    assert "--config" in capsys.readouterr().err


def test_missing_config_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert check(tmp_path / "nowhere.toml") == EXIT_CONFIG
    assert "does not exist" in capsys.readouterr().err


def test_check_refuses_a_config_whose_key_file_is_missing(
    tmp_path: Path, ca: CertificateAuthority, capsys: pytest.CaptureFixture[str]
):
    document = config(tmp_path, ca)
    document["tls"]["key"] = "certs/missing.key"
    assert check(write(tmp_path, document)) == EXIT_CONFIG
    assert "'tls.key'" in capsys.readouterr().err


async def test_start_with_a_missing_key_file_is_a_config_error_naming_it(
    tmp_path: Path, ca: CertificateAuthority
):
    document = config(tmp_path, ca)
    document["tls"]["key"] = "certs/missing.key"
    settings = Settings.from_toml(write(tmp_path, document), env={})
    peer, client = bind(HOST, 0), bind(HOST, 0)
    try:
        with pytest.raises(ConfigError) as refused:
            async with Gateway.running(settings, peer_sock=peer, client_sock=client):
                pass
    finally:
        peer.close()
        client.close()
    assert refused.value.key == "tls.key"


def test_failed_start_closes_its_listening_sockets(tmp_path: Path, ca: CertificateAuthority):
    document = config(tmp_path, ca)
    document["listen"] = {"peer": f"{HOST}:0", "client": f"{HOST}:0"}
    document["directory"]["trust_anchor"] = "certs/missing.pem"  # fails in Node.open
    path = write(tmp_path, document)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["serve", "--config", str(path)]) == EXIT_CONFIG
        gc.collect()
    leaked = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaked == []


def test_environment_overrides_the_file(tmp_path: Path, ca: CertificateAuthority):
    path = write(tmp_path, config(tmp_path, ca))
    settings = Settings.from_toml(
        path,
        env={
            "XGW_LISTEN_PEER": "127.0.0.1:9443",
            "XGW_SECURITY_MAX_BODY_BYTES": "1024",
            "XGW_SECURITY_ALLOW_PLAIN_LOOPBACK": "yes",
            "XGW_DATA_DIR": "/var/lib/xgw",
        },
    )
    assert settings.listen.peer == ("127.0.0.1", 9443)
    assert settings.listen.client == ("127.0.0.1", 8080)  # not overridden: the file's
    assert settings.security.max_body_bytes == 1024
    assert settings.security.allow_plain_loopback is True
    assert settings.data_dir == Path("/var/lib/xgw")
    assert Settings.from_toml(path, env={}).listen.peer == ("127.0.0.1", 8443)


def test_environment_override_reaches_the_command_line(
    tmp_path: Path,
    ca: CertificateAuthority,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
):
    path = write(tmp_path, config(tmp_path, ca))
    monkeypatch.setenv("XGW_LISTEN_PEER", "nope")
    assert check(path) == EXIT_CONFIG
    assert "'listen.peer'" in capsys.readouterr().err
    monkeypatch.setenv("XGW_LISTEN_PEER", "127.0.0.1:9443")
    assert check(path) == 0


def test_environment_can_supply_a_whole_section(tmp_path: Path, ca: CertificateAuthority):
    document = config(tmp_path, ca)
    del document["listen"]
    settings = Settings.from_toml(
        write(tmp_path, document),
        env={"XGW_LISTEN_PEER": "127.0.0.1:9443", "XGW_LISTEN_CLIENT": "127.0.0.1:9080"},
    )
    assert settings.listen.peer == ("127.0.0.1", 9443)
    assert settings.listen.client == ("127.0.0.1", 9080)
