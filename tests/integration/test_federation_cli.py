"""The federation operator's CLI end to end: edit the draft, publish, real gateways adopt it.

DE and EE run as real gateways reading the publication file at a 0.2 s refresh interval.
The operator builds a draft from a TOML spec (``xgw directory create``), edits it with
``xgw directory member|service|access ...`` and ``xgw certs revoke``, and publishes it
with ``xgw directory publish`` to the file the gateways read: what the directory says
takes effect within a refresh interval, on both sides of the exchange.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import orjson

from gateway.app import Gateway
from gateway.cli import main
from gateway.identifiers import ClientId
from gateway.pki import Usage
from tests.integration.federation import (
    DE,
    HOST,
    SERVICE,
    Answer,
    Harness,
    assert_xroad_error,
    call,
    kept_logging,
)

DENIED = "Server.ClientProxy.AccessDenied"
NL = "NL/GOV/00000001"
REFRESH = 0.2
ADOPTION_TIMEOUT = 5.0


def xgw(capsys: Any, *argv: str | Path) -> str:
    """Run ``xgw`` in-process; it must succeed. Returns what it printed."""
    with kept_logging():
        code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return str(captured.out)


def toml(value: object) -> str:
    """A TOML value: JSON's spelling of strings, arrays and inline tables fits TOML too."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return json.dumps(value)


def write_spec(fed: Harness, path: Path) -> Path:
    """The running federation as an operator's spec, without services or access rights."""
    lines = [f"instance = {toml('TEST')}", f"cas = {toml([str(fed.ca_cert)])}"]
    subsystems = {"DE": ["gewerbeamt"], "EE": ["klient", "ariregister"]}
    for key, member in fed.members.items():
        lines += [
            "[[members]]",
            f"id = {toml(member.id)}",
            f"name = {toml(key)}",
            f"gateway_url = {toml(member.peer_url)}",
            f"tls_certificates = {toml([str(member.dir / 'tls.pem')])}",
            f"signing_certificates = {toml([str(member.dir / 'sign.pem')])}",
            f"subsystems = {toml([{'code': c, 'name': c} for c in subsystems[key]])}",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


class Operator:
    """The operator's files and the commands of the workflow (docs/federation-admin.md)."""

    def __init__(self, fed: Harness, root: Path, capsys: Any) -> None:
        root.mkdir()
        self.fed, self.capsys = fed, capsys
        self.draft = root / "draft.json"
        self.key = fed.root / "operator.key"  # the harness wrote the operator's key pair
        xgw(
            capsys,
            "directory",
            "create",
            write_spec(fed, root / "federation.toml"),
            "-o",
            self.draft,
        )

    def run(self, *argv: str | Path) -> str:
        return xgw(self.capsys, *argv, "--draft", self.draft)

    def publish(self) -> int:
        out = self.run(
            "directory",
            "publish",
            "--key",
            self.key,
            "--cert",
            self.fed.operator_cert,
            "-o",
            self.fed.directory_path,
            "--json",
        )
        sequence: int = orjson.loads(out)["publication"]["sequence"]
        return sequence


async def adopted(sequence: int, *gateways: Gateway) -> None:
    """Wait until every gateway holds ``sequence`` (at most a few refresh intervals)."""
    deadline = asyncio.get_running_loop().time() + ADOPTION_TIMEOUT
    while any(gw.node.directory.current().sequence != sequence for gw in gateways):
        assert asyncio.get_running_loop().time() < deadline, f"sequence {sequence} not adopted"
        await asyncio.sleep(REFRESH / 4)


async def exchange(fed: Harness, de: Gateway, method: str = "GET") -> Answer:
    async with fed.client("DE") as http:
        return await call(
            http,
            method,
            f"{de.client_url}/r1/{SERVICE}/echo/x",
            headers={"X-Road-Client": fed.client_id("DE")},
        )


def quick_refresh(fed: Harness) -> None:
    for member in fed.members.values():
        member.settings_overrides["directory"] = {"refresh_interval": REFRESH}


async def test_grant_publish_withdraw_publish(fed: Harness, tmp_path: Path, capsys):
    fed.access = []  # the first publication lists EE's service but grants nothing
    quick_refresh(fed)
    nl_tls, _ = fed.ca.issue(NL, usage=Usage.TLS, hosts=[HOST]).write(tmp_path / "nl-tls")
    nl_sign, _ = fed.ca.issue(NL, usage=Usage.SIGNING).write(tmp_path / "nl-sign")
    async with fed.start() as (de, ee):
        before = await exchange(fed, de)

        operator = Operator(fed, tmp_path / "operator", capsys)
        operator.run(
            "directory",
            "member",
            "add",
            NL,
            "--name",
            "NL",
            "--gateway-url",
            f"https://{HOST}:9",
            "--tls-cert",
            nl_tls,
            "--signing-cert",
            nl_sign,
        )
        operator.run(
            "directory",
            "service",
            "add",
            SERVICE,
            "--type",
            "REST",
            "--endpoint",
            "GET /ettevotted/**",
            "--endpoint",
            "* /echo/**",
        )
        granted = operator.run(
            "directory",
            "access",
            "grant",
            fed.client_id("DE"),
            SERVICE,
            "--endpoint",
            "GET /echo/**",
        )
        await adopted(operator.publish(), de, ee)
        allowed = await exchange(fed, de)
        not_granted = await exchange(fed, de, "POST")  # the grant is for GET only

        operator.run("directory", "access", "withdraw", fed.client_id("DE"), SERVICE)
        await adopted(operator.publish(), de, ee)
        after = await exchange(fed, de)
        nl = de.node.directory.current().member(ClientId.parse(NL))

    assert_xroad_error(before, DENIED)
    assert f"granted {fed.client_id('DE')} -> {SERVICE}: GET /echo/**" in granted
    assert allowed.status == 200, allowed.body
    assert allowed.json()["method"] == "GET"
    assert_xroad_error(not_granted, DENIED)
    assert_xroad_error(after, DENIED)
    assert nl is not None and nl.gateway_url == f"https://{HOST}:9"  # added on the way


async def test_a_revoked_signing_certificate_is_refused_after_publication(
    fed: Harness, tmp_path: Path, capsys
):
    quick_refresh(fed)
    async with fed.start() as (de, ee):
        operator = Operator(fed, tmp_path / "operator", capsys)
        operator.run(
            "directory", "service", "add", SERVICE, "--type", "REST", "--endpoint", "* /echo/**"
        )
        operator.run("directory", "access", "grant", fed.client_id("DE"), SERVICE)
        await adopted(operator.publish(), de, ee)
        before = await exchange(fed, de)

        sign_cert = fed.members["DE"].dir / "sign.pem"
        revoked = operator.run("certs", "revoke", sign_cert, "--reason", "keyCompromise")
        await adopted(operator.publish(), de, ee)
        after = await exchange(fed, de)

    assert before.status == 200, before.body
    assert f"note: still listed by {DE} (signing)" in revoked
    # EE refuses DE's signed hop: the signing certificate is revoked.
    error = assert_xroad_error(after, "Server.ServerProxy.CertValidation")
    assert error["message"].endswith("is revoked (keyCompromise)")
