"""Settings: TOML in, a frozen tree out; every bad value names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.settings import Settings

PROXY_A = "ab" * 32
PROXY_B = ":".join(["CD"] * 32)  # as openssl x509 -fingerprint prints it
PROXIES = 'trusted_proxies = ["PROXY_A", "PROXY_B"]'

GOOD = """
[member]
id = "DE/GOV/05974028"

[listen]
peer = "127.0.0.1:8443"
client = "127.0.0.1:8080"

[tls]
certificate = "certs/tls.pem"
key = "certs/tls.key"

[signing]
certificate = "certs/sign.pem"
key = "certs/sign.key"

[directory]
source = "directory.jws"
trust_anchor = "certs/operator.pem"

[data]
dir = "data"

[security]
client_ca = "certs/ca.pem"
trusted_proxies = ["PROXY_A", "PROXY_B"]

[[clients]]
subsystem = "DE/GOV/05974028/gewerbeamt"
certificate = "certs/client.pem"

[[services]]
subsystem = "meldeamt"
code = "personen"
backend = "http://127.0.0.1:9001/"
""".replace("PROXY_A", PROXY_A).replace("PROXY_B", PROXY_B)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gw.toml"
    path.write_text(text)
    return path


def test_good_config_is_read_with_paths_relative_to_the_file(tmp_path):
    settings = Settings.from_toml(write(tmp_path, GOOD), env={})
    assert settings.listen.peer == ("127.0.0.1", 8443)
    assert settings.tls.certificate == tmp_path / "certs/tls.pem"
    assert settings.data_dir == tmp_path / "data"
    assert settings.directory.source == str(tmp_path / "directory.jws")
    assert settings.security.trusted_proxies == (
        "abababababababababababababababababababababababababababababababab",
        "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
    )  # openssl's colon form too
    assert settings.security.replay_window == 300.0
    assert settings.services[0].backend == "http://127.0.0.1:9001/"
    assert str(settings.member_id) == "DE/GOV/05974028"


def test_environment_overrides_scalars(tmp_path):
    env = {
        "XGW_LISTEN_PEER": "127.0.0.1:9443",
        "XGW_DATA_DIR": "/var/lib/xgw",
        "XGW_SECURITY_REPLAY_WINDOW": "60",
        "XGW_SECURITY_TRUSTED_PROXIES": f"{'01' * 32}, {'02' * 32}",
    }
    settings = Settings.from_toml(write(tmp_path, GOOD), env=env)
    assert settings.listen.peer == ("127.0.0.1", 9443)
    assert settings.data_dir == Path("/var/lib/xgw")
    assert settings.security.replay_window == 60.0
    assert settings.security.trusted_proxies == (
        "0101010101010101010101010101010101010101010101010101010101010101",
        "0202020202020202020202020202020202020202020202020202020202020202",
    )


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (('peer = "127.0.0.1:8443"', 'peer = "nope"'), "listen.peer"),
        (('peer = "127.0.0.1:8443"', 'peer = "127.0.0.1:99999"'), "listen.peer"),
        (('id = "DE/GOV/05974028"', 'id = "DE/GOV"'), "member.id"),
        (('id = "DE/GOV/05974028"', 'id = "DE/GOV/05974028/sub"'), "member.id"),
        (('[data]\ndir = "data"', '[data]\ndir = "data"\ncolour = "blue"'), "data.colour"),
        ((PROXIES, 'trusted_proxies = "ab"'), "security.trusted_proxies"),
        ((PROXIES, "replay_window = -1"), "security.replay_window"),
        ((PROXIES, "replay_window = 0"), "security.replay_window"),
        ((PROXIES, 'trusted_proxies = ["ab"]'), "security.trusted_proxies[0]"),
        (('backend = "http://127.0.0.1:9001/"', 'backend = "ftp://x"'), "services[0].backend"),
        (
            ('subsystem = "DE/GOV/05974028/gewerbeamt"', 'subsystem = "EE/GOV/1/x"'),
            "clients[0].subsystem",
        ),
        (('[member]\nid = "DE/GOV/05974028"\n', ""), "member"),
        (('certificate = "certs/client.pem"\n', ""), "clients[0].certificate"),
    ],
)
def test_bad_values_name_the_key(tmp_path, change, key):
    old, new = change
    old = old.replace("PROXY_A", PROXY_A).replace("PROXY_B", PROXY_B)
    assert old in GOOD
    with pytest.raises(ConfigError) as info:
        Settings.from_toml(write(tmp_path, GOOD.replace(old, new)), env={})
    assert info.value.key == key


def test_bad_environment_value_names_the_key(tmp_path):
    with pytest.raises(ConfigError) as info:
        Settings.from_toml(write(tmp_path, GOOD), env={"XGW_SECURITY_MAX_BODY_BYTES": "lots"})
    assert info.value.key == "security.max_body_bytes"


def test_unknown_section_is_refused(tmp_path):
    with pytest.raises(ConfigError) as info:
        Settings.from_toml(write(tmp_path, GOOD + "\n[tsl]\nx = 1\n"), env={})
    assert info.value.key == "tsl"


def test_plain_client_port_must_be_loopback(tmp_path):
    text = GOOD.replace('client = "127.0.0.1:8080"', 'client = "0.0.0.0:8080"\nclient_tls = false')
    text = text.replace('client_ca = "certs/ca.pem"', "allow_plain_loopback = true")
    with pytest.raises(ConfigError) as info:
        Settings.from_toml(write(tmp_path, text), env={})
    assert info.value.key == "listen.client"


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ConfigError):
        Settings.from_toml(tmp_path / "absent.toml", env={})
    with pytest.raises(ConfigError, match="not valid TOML"):
        Settings.from_toml(write(tmp_path, "[member\n"), env={})


def test_a_directory_url_is_kept_as_it_is(tmp_path):
    text = GOOD.replace('source = "directory.jws"', 'source = "https://operator.example/dir.jws"')
    settings = Settings.from_toml(write(tmp_path, text), env={})
    assert settings.directory.source == "https://operator.example/dir.jws"
