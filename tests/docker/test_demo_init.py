"""``xgw demo init``: the demo federation laid out for host names (gateway.demo.deployment)."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from gateway._crypto import fingerprint, load_certificate
from gateway.cli import main
from gateway.demo.deployment import ADMIN_LISTEN, CLIENT_PORT, init_deployment
from gateway.directory import inspect_token, verify_directory
from gateway.errors import ConfigError
from gateway.settings import Settings

GATEWAYS = {"DE": ("de", 8443), "EE": ("ee", 8443), "NL": ("nl", 9443)}
REGISTERS = {
    "DE": "http://register-de:9001",
    "EE": "http://register-ee:9002",
    "BE": "https://magda:9443",
}
SQLITE = {"XGW_STORAGE_ENGINE": "sqlite"}


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    state = tmp_path_factory.mktemp("state")
    init_deployment(state, GATEWAYS, REGISTERS, storage="postgresql")
    return state


def _directory(state: Path) -> dict[str, Any]:
    """The published directory, verified as a gateway verifies it, as JSON."""
    token = (state / "public" / "directory.jws").read_text()
    verify_directory(token, [load_certificate(state / "public" / "operator.pem")])
    return inspect_token(token)[1]


def _hosts(cert: Path) -> list[str]:
    names = load_certificate(cert).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return [str(getattr(n, "value", n)) for n in names.value]


def test_each_role_gets_its_own_directory(laid_out) -> None:
    files = {str(p.relative_to(laid_out)) for p in laid_out.rglob("*") if p.is_file()}
    assert {
        "operator/ca.key",
        "operator/operator.key",
        "operator/draft.json",
        "public/ca.pem",
        "public/operator.pem",
        "public/directory.jws",
        "public/directories/1.jws",
        "be/tls.pem",
        "be/tls.key",
    } <= files
    for member in ("de", "ee", "nl"):
        for name in ("tls", "sign", "client"):
            assert {f"{member}/{name}.pem", f"{member}/{name}.key"} <= files
        assert f"{member}/config.toml" in files
    assert not [f for f in files if f.startswith("public/") and f.endswith(".key")]
    assert not [f for f in files if f.startswith("be/") and f not in ("be/tls.pem", "be/tls.key")]
    for key in laid_out.rglob("*.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key


def test_the_directory_names_the_hosts_and_their_certificates_name_them_too(laid_out) -> None:
    directory = _directory(laid_out)
    members = {m["id"]: m for m in directory["members"]}
    assert members["DE/GOV/05974028"]["gateway_url"] == "https://de:8443"
    assert members["EE/GOV/70000310"]["gateway_url"] == "https://ee:8443"
    assert members["NL/GOV/0363"]["gateway_url"] == "https://nl:9443"
    assert members["BE/GOV/0316380841"]["partner"]["url"] == "https://magda:9443"
    assert directory["sequence"] == 1
    for member, host in (("de", "de"), ("ee", "ee"), ("nl", "nl"), ("be", "magda")):
        assert _hosts(laid_out / member / "tls.pem") == [host, "localhost", "127.0.0.1"]
    # The directory pins MAGDA's certificate, the one its server presents.
    pinned = members["BE/GOV/0316380841"]["tls_certificates"][0]
    assert load_certificate(laid_out / "be" / "tls.pem") == x509.load_pem_x509_certificate(
        pinned.encode()
    )
    # The demo's access rights, deny by default.
    assert len(directory["access"]) == 3


def test_each_config_is_a_container_gateway_of_its_member(laid_out) -> None:
    for member, port, backend in (
        ("de", 8443, "http://register-de:9001"),
        ("ee", 8443, "http://register-ee:9002"),
        ("nl", 9443, None),
    ):
        settings = Settings.from_toml(laid_out / member / "config.toml", env=SQLITE)
        assert settings.listen.peer == ("0.0.0.0", port)
        assert settings.listen.client == ("0.0.0.0", CLIENT_PORT)
        admin_host, admin_port = ADMIN_LISTEN.rsplit(":", 1)
        assert settings.admin.listen == (admin_host, int(admin_port))
        public = laid_out / "public"
        assert settings.directory.source == str(public / "directory.jws")
        assert settings.directory.trust_anchor.resolve() == public / "operator.pem"
        assert settings.security.client_ca is not None
        assert settings.security.client_ca.resolve() == public / "ca.pem"
        assert settings.data_dir == laid_out / member / "data"
        assert [s.backend for s in settings.services] == ([backend] if backend else [])
    nl = Settings.from_toml(laid_out / "nl" / "config.toml", env=SQLITE)
    assert nl.haalcentraal.enabled  # Amsterdam's front door, as in `xgw demo`


def test_postgresql_takes_the_dsn_from_the_environment_only(laid_out) -> None:
    config = laid_out / "de" / "config.toml"
    assert tomllib.loads(config.read_text())["storage"] == {"engine": "postgresql"}
    with pytest.raises(ConfigError) as refused:
        Settings.from_toml(config, env={})
    assert refused.value.key == "storage.dsn"
    dsn = "postgresql://xgw:secret@postgres:5432/xgw_de"
    settings = Settings.from_toml(config, env={"XGW_STORAGE_DSN": dsn})
    assert (settings.storage.engine, settings.storage.dsn) == ("postgresql", dsn)


def test_a_second_run_keeps_the_keys_and_publishes_the_next_sequence(tmp_path) -> None:
    first = init_deployment(tmp_path, GATEWAYS, REGISTERS)
    tls = fingerprint(load_certificate(tmp_path / "de" / "tls.pem"))
    config = (tmp_path / "de" / "config.toml").read_text()
    second = init_deployment(tmp_path, GATEWAYS, REGISTERS, valid_hours=48)
    assert (first.created, second.created) == (True, False)
    assert (first.publication.sequence, second.publication.sequence) == (1, 2)
    validity = second.publication.expires - second.publication.issued
    assert validity.total_seconds() == 48 * 3600
    assert fingerprint(load_certificate(tmp_path / "de" / "tls.pem")) == tls
    assert (tmp_path / "de" / "config.toml").read_text() == config
    assert _directory(tmp_path)["sequence"] == 2
    assert (tmp_path / "public" / "directories" / "2.jws").is_file()
    # SQLite by default: no [storage] table, the config loads as it is.
    assert Settings.from_toml(tmp_path / "de" / "config.toml", env={}).storage.engine == "sqlite"


def test_a_kept_federation_must_be_the_one_asked_for(tmp_path) -> None:
    init_deployment(tmp_path, GATEWAYS, REGISTERS)
    published = (tmp_path / "public" / "directory.jws").read_text()
    with pytest.raises(ConfigError) as moved:
        init_deployment(tmp_path, {**GATEWAYS, "EE": ("ee.example", 8443)}, REGISTERS)
    assert moved.value.key == "--gateway"
    assert "lists EE at https://ee:8443, not https://ee.example:8443" in moved.value.problem
    with pytest.raises(ConfigError) as magda:
        init_deployment(tmp_path, GATEWAYS, {**REGISTERS, "BE": "https://magda.example:9443"})
    assert magda.value.key == "--register"
    assert (tmp_path / "public" / "directory.jws").read_text() == published  # nothing published


@pytest.mark.parametrize(
    ("gateways", "registers", "option", "problem"),
    [
        ({"DE": ("de", 1), "EE": ("ee", 1)}, REGISTERS, "--gateway", "missing NL"),
        ({**GATEWAYS, "BE": ("be", 1)}, REGISTERS, "--gateway", "unknown BE"),
        (GATEWAYS, {"DE": "http://d:1", "EE": "http://e:1"}, "--register", "missing BE"),
        (GATEWAYS, {**REGISTERS, "NL": "http://n:1"}, "--register", "unknown NL"),
        (GATEWAYS, {**REGISTERS, "BE": "http://magda:9443"}, "--register", "https://"),
        (GATEWAYS, {**REGISTERS, "DE": "https://register-de:1"}, "--register", "http://"),
        (GATEWAYS, {**REGISTERS, "EE": "http:///no-host"}, "--register", "with a host"),
    ],
)
def test_init_refuses_what_does_not_make_the_demo(
    tmp_path, gateways, registers, option, problem
) -> None:
    with pytest.raises(ConfigError) as refused:
        init_deployment(tmp_path, gateways, registers)
    assert refused.value.key == option and problem in refused.value.problem
    assert not any(tmp_path.iterdir())  # refused before anything was written


def test_the_command_line(tmp_path, capsys) -> None:
    argv = ["demo", "init", f"--state-dir={tmp_path}"]
    argv += [f"--gateway={k}={h}:{p}" for k, (h, p) in GATEWAYS.items()]
    argv += [f"--register={k}={u}" for k, u in REGISTERS.items()]
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["created"] is True and report["directory"]["sequence"] == 1
    assert report["gateways"]["NL"]["gateway_url"] == "https://nl:9443"
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "kept (laid out before)" in out and "published directory sequence 2" in out
    # A member named twice is refused (exit 2), whatever the order.
    assert main([*argv, "--gateway=nl=other:1"]) == 2
    assert "names a member twice" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["demo", "init", f"--state-dir={tmp_path}", "--gateway=DE-de:8443"])
