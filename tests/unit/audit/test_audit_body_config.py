"""Bodies from the configuration and the command line: [audit] keys, per-service rules,
``xgw audit body``, ``purge-bodies`` and ``body-key``."""

from __future__ import annotations

import asyncio
import json
import stat
import time
from pathlib import Path

import pytest

from gateway.audit import AuditLog, verify_sqlite
from gateway.audit.bodies import BodyVault
from gateway.audit.body_keys import BodyKeyring, create_body_key
from gateway.audit.body_policy import BodyRule, BodyRules
from gateway.audit.body_purge import record_time
from gateway.cli import main
from gateway.errors import ConfigError
from gateway.settings import Settings
from gateway.signing import body_digest
from tests.unit.audit.audit_support import connect, make_record
from tests.unit.core.test_settings import GOOD, write

SERVICE = "EE/GOV/70000310/ariregister/ettevotted"
OWN = "DE/GOV/05974028/meldeamt/personen"  # GOOD's [[services]] entry

BODY_RULES = """
[audit]
body_keys = ["keys/k2.key", "keys/k1.key"]
body_retention_days = 90
max_body_bytes = 4096
body_purge_interval = 600

[[audit.services]]
service = "EE/GOV/70000310/ariregister/ettevotted"
body_retention_days = 7

[[audit.services]]
service = "EE/GOV/70000310"
metadata_only = true
"""


def config(tmp_path: Path, extra: str = BODY_RULES, service_keys: str = "") -> Path:
    text = GOOD.replace(
        'backend = "http://127.0.0.1:9001/"\n',
        'backend = "http://127.0.0.1:9001/"\n' + service_keys,
    )
    return write(tmp_path, text + extra)


def test_the_audit_body_keys_are_read_with_paths_relative_to_the_file(tmp_path):
    path = config(tmp_path, service_keys="metadata_only = true\n")
    settings = Settings.from_toml(path, env={})
    audit = settings.audit
    assert audit.body_keys == (tmp_path / "keys/k2.key", tmp_path / "keys/k1.key")
    assert (audit.body_retention_days, audit.max_body_bytes) == (90.0, 4096)
    assert audit.body_purge_interval == 600.0
    assert [(s.service, s.body_retention_days, s.metadata_only) for s in audit.services] == [
        (SERVICE, 7.0, None),
        ("EE/GOV/70000310", None, True),
    ]
    assert settings.services[0].metadata_only is True
    rules = BodyRules.from_settings(settings)
    assert rules.for_service(SERVICE) == BodyRule(7.0, True)  # metadata-only from its member
    assert rules.for_service("EE/GOV/70000310/rahvastik/isik") == BodyRule(90.0, True)
    assert rules.for_service(OWN) == BodyRule(90.0, True)
    assert rules.for_service("NL/GOV/00000001/brp/personen") == BodyRule(90.0, False)


def test_the_defaults_keep_bodies_30_days_up_to_a_mebibyte(tmp_path):
    settings = Settings.from_toml(config(tmp_path, extra=""), env={})
    audit = settings.audit
    assert (audit.body_keys, audit.body_retention_days, audit.metadata_only) == ((), 30.0, False)
    assert (audit.max_body_bytes, audit.body_purge_interval, audit.services) == (
        1 << 20,
        3600.0,
        (),
    )
    assert BodyRules.from_settings(settings).for_service(SERVICE) == BodyRule(30.0, False)


def test_body_keys_can_come_from_the_environment(tmp_path):
    env = {"XGW_AUDIT_BODY_KEYS": "new.key, /etc/xgw/old.key", "XGW_AUDIT_METADATA_ONLY": "true"}
    settings = Settings.from_toml(config(tmp_path, extra=""), env=env)
    assert settings.audit.body_keys == (tmp_path / "new.key", Path("/etc/xgw/old.key"))
    assert settings.audit.metadata_only is True
    with pytest.raises(ConfigError, match=r"audit\.services.*environment"):
        Settings.from_toml(config(tmp_path, extra=""), env={"XGW_AUDIT_SERVICES": "x"})


@pytest.mark.parametrize(
    ("extra", "service_keys", "key"),
    [
        ("[audit]\nbody_retention_days = 0\n", "", "audit.body_retention_days"),
        ("[audit]\nbody_purge_interval = 0\n", "", "audit.body_purge_interval"),
        ("[audit]\nmax_body_bytes = -1\n", "", "audit.max_body_bytes"),
        ('[audit]\nbody_keys = "k.key"\n', "", "audit.body_keys"),
        ('[[audit.services]]\nservice = "not an id"\n', "", "audit.services[0].service"),
        ('[[audit.services]]\nservice = "EE/GOV/1"\nbogus = 1\n', "", "audit.services[0].bogus"),
        (
            '[[audit.services]]\nservice = "EE/GOV/1"\n[[audit.services]]\nservice = "EE/GOV/1"\n',
            "",
            "audit.services[1].service",
        ),
        (
            '[[audit.services]]\nservice = "EE/GOV/1/a/b"\nbody_retention_days = -3\n',
            "",
            "audit.services[0].body_retention_days",
        ),
        ("", "body_retention_days = 0\n", "services[0].body_retention_days"),
        (
            f'[[audit.services]]\nservice = "{OWN}"\nmetadata_only = true\n',
            "body_retention_days = 5\n",
            "services[0]",
        ),
    ],
)
def test_a_bad_body_setting_names_its_key(tmp_path, extra, service_keys, key):
    with pytest.raises(ConfigError) as caught:
        Settings.from_toml(config(tmp_path, extra=extra, service_keys=service_keys), env={})
    assert caught.value.key == key, caught.value.message


# -- the command line ---------------------------------------------------------------------

BODY = b'{"query": "10000356"}'
EXCHANGE = "00000000-0000-4000-8000-000000000001"


def _log_with_bodies(tmp_path: Path, keys: list[Path], *, days_old: float = 0.0) -> Path:
    db = tmp_path / "data" / "audit.sqlite"
    db.parent.mkdir(exist_ok=True)
    ring = BodyKeyring.load(keys)
    vault = BodyVault(
        ring, BodyRules(BodyRule(30.0), {"EE/GOV/70000310/rahvastik": (None, True)}), 1 << 20
    )
    when = record_time(time.time() - days_old * 86400)

    async def write_log() -> None:
        async with AuditLog.sqlite(db, bodies=vault) as log:
            for i, service in enumerate((SERVICE, SERVICE, "EE/GOV/70000310/rahvastik/isik")):
                digest = body_digest(BODY)
                record = make_record(
                    i,
                    exchange_id=EXCHANGE if i < 2 else f"x-{i}",
                    service=service,
                    digest=digest,
                    time=when,
                )
                await log.append(record, BODY)

    asyncio.run(write_log())
    return db


def test_body_key_new_makes_an_owner_only_key_and_never_overwrites(tmp_path, capsys):
    path = tmp_path / "body.key"
    assert main(["audit", "body-key", "new", str(path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(path.read_bytes()) == 32
    assert shown["key_id"] == BodyKeyring.load([path]).current.id
    assert path.read_bytes().hex() not in json.dumps(shown)
    before = path.read_bytes()
    assert main(["audit", "body-key", "new", str(path)]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_audit_body_writes_the_checked_body_for_an_auditor(tmp_path, capsysbinary):
    k1 = tmp_path / "k1.key"
    create_body_key(k1)
    db = _log_with_bodies(tmp_path, [k1])
    assert (
        main(["audit", "body", EXCHANGE, "--kind", "request", "--db", str(db), "--key", str(k1)])
        == 0
    )
    out = capsysbinary.readouterr()
    assert out.out == BODY
    assert b"record 0" in out.err and body_digest(BODY).encode() in out.err
    target = tmp_path / "response.bin"
    argv = ["audit", "body", EXCHANGE, "--kind", "response", "--data-dir", str(db.parent)]
    assert main([*argv, "--key", str(k1), "-o", str(target)]) == 0
    assert target.read_bytes() == BODY
    # --json: the body in base64, with what the record says.
    assert main([*argv, "--key", str(k1), "--json"]) == 0
    document = json.loads(capsysbinary.readouterr().out)
    assert (document["seq"], document["kind"], document["size"]) == (1, "response", len(BODY))


def test_audit_body_says_why_it_cannot_give_a_body(tmp_path, capsysbinary):
    k1, k2 = tmp_path / "k1.key", tmp_path / "k2.key"
    create_body_key(k1)
    create_body_key(k2)
    db = _log_with_bodies(tmp_path, [k1])
    base = ["audit", "body", "--db", str(db)]
    cases = [
        ([EXCHANGE, "--kind", "request", "--key", str(k2)], "sealed with key"),
        ([EXCHANGE, "--kind", "request"], "give its key"),
        (["x-2", "--kind", "request", "--key", str(k1)], "no body is stored for record 2"),
        (["nope", "--kind", "request", "--key", str(k1)], "no request record of exchange nope"),
    ]
    for argv, reason in cases:
        assert main([*base, *argv]) == 1, argv
        captured = capsysbinary.readouterr()
        assert captured.out == b""
        assert reason.encode() in captured.err, (argv, captured.err)


def test_body_key_list_counts_bodies_per_key_and_names_missing_ones(tmp_path, capsys):
    k1, k2 = tmp_path / "k1.key", tmp_path / "k2.key"
    create_body_key(k1)
    create_body_key(k2)
    db = _log_with_bodies(tmp_path, [k1])
    argv = ["audit", "body-key", "list", "--db", str(db), "--json"]
    assert main([*argv, "--key", str(k2), "--key", str(k1)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [(k["key_id"], k["bodies"], k["role"]) for k in shown["keys"]] == [
        (BodyKeyring.load([k2]).current.id, 0, "seals and opens"),
        (BodyKeyring.load([k1]).current.id, 2, "opens"),
    ]
    assert main([*argv, "--key", str(k2)]) == 1  # k1's bodies could not be opened
    assert json.loads(capsys.readouterr().out)["unknown_keys"] == {
        BodyKeyring.load([k1]).current.id: 2
    }


def test_purge_bodies_deletes_what_the_config_no_longer_keeps(tmp_path, capsys):
    keys = tmp_path / "keys"
    keys.mkdir()
    create_body_key(keys / "k1.key")
    create_body_key(keys / "k2.key")
    db = _log_with_bodies(tmp_path, [keys / "k1.key"], days_old=10)
    path = config(tmp_path)  # ettevotted: 7 days
    assert main(["audit", "purge-bodies", "--config", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["purged"] == 2
    with connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM audit_bodies").fetchone()[0] == 0
    assert asyncio.run(verify_sqlite(db)).ok
    assert main(["audit", "body", EXCHANGE, "--kind", "request", "--config", str(path)]) == 1
    assert "purged at the end of its retention" in capsys.readouterr().err
