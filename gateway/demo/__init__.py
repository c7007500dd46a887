"""``xgw demo``: three gateways in three countries exchange signed, audited requests.

Usage::

    xgw demo                             # scripted exchanges; exit 0 if all went as expected
    xgw demo --serve --state-dir ./demo  # keep running; ./demo/federation.json says how

A German municipality (DE), an Estonian register (EE) and a Dutch municipality
(NL), each with its gateway, certificates generated on the spot, one signed
directory and small demo backends, all on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from gateway.app import Gateway
from gateway.audit.verify import verify_sqlite
from gateway.demo.backends import (
    estonian_business_register,
    german_resident_register,
    serve_app,
    tampering_relay,
)
from gateway.demo.federation import HOST, DemoMember, Federation, build_federation
from gateway.node import AUDIT_DB
from gateway.settings import Settings
from gateway.trust import peer_client_context

__all__ = ["Scenario", "run_demo"]


@dataclass(frozen=True)
class Scenario:
    title: str
    caller: str  # DE, EE, NL: whose client system calls, through its own gateway
    method: str
    service: str
    path: str
    body: dict[str, object] | None = None
    tamper: bool = False
    expect_status: int = 200
    expect_error: str | None = None


SCENARIOS = (
    Scenario(
        "Gewerbeamt checks an Estonian company",
        "DE",
        "GET",
        "EE/GOV/70000310/ariregister/ettevotted",
        "/ettevotted/12345678",
    ),
    Scenario(
        "Gewerbeamt searches the Estonian register",
        "DE",
        "POST",
        "EE/GOV/70000310/ariregister/ettevotted",
        "/ettevotted/otsing",
        body={"nimi": "puit"},
    ),
    Scenario(
        "Amsterdam asks the German resident register",
        "NL",
        "POST",
        "DE/GOV/05974028/meldeamt/personen",
        "/personen",
        body={
            "type": "ZoekMetGeslachtsnaamEnGeboortedatum",
            "geslachtsnaam": "Müller",
            "geboortedatum": "1984-03",
        },
    ),
    Scenario(
        "Amsterdam calls the Estonian register without a grant",
        "NL",
        "GET",
        "EE/GOV/70000310/ariregister/ettevotted",
        "/ettevotted/12345678",
        expect_status=500,
        expect_error="Server.ClientProxy.AccessDenied",
    ),
    Scenario(
        "A load balancer alters a search on its way to EE",
        "DE",
        "POST",
        "EE/GOV/70000310/ariregister/ettevotted",
        "/ettevotted/otsing",
        body={"nimi": "Musterfirma"},
        tamper=True,
        expect_status=500,
        expect_error="Server.ClientProxy.InconsistentResponse",
    ),
)


@dataclass
class Outcome:
    scenario: Scenario
    status: int
    error: str | None
    message: str
    duration_ms: float

    @property
    def as_expected(self) -> bool:
        return (
            self.status == self.scenario.expect_status and self.error == self.scenario.expect_error
        )


async def run_demo(state_dir: Path | None = None, keep_serving: bool = False) -> int:
    with contextlib.ExitStack() as cleanup:
        if state_dir is None:
            state_dir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="xgw-demo-")))
        federation = build_federation(state_dir)
        cleanup.callback(federation.close)
        async with _running(federation) as gateways:
            outcomes = [await _call(federation, s) for s in SCENARIOS]
            _print_table(outcomes)
            audits_ok = await _verify_audits(federation)
            if keep_serving:
                document = _write_federation_json(federation, gateways)
                print(
                    f"\nThe federation keeps running; {state_dir / 'federation.json'} says "
                    f"how to call it, for example:\n\n  {document['example']}\n\nCtrl-C stops it."
                )
                await _wait_forever()
        ok = all(o.as_expected for o in outcomes) and audits_ok
        print("\nall exchanges went as expected" if ok else "\nSOMETHING WENT WRONG (see above)")
        return 0 if ok else 1


@contextlib.asynccontextmanager
async def _running(federation: Federation):  # type: ignore[no-untyped-def]
    async with contextlib.AsyncExitStack() as stack:
        gateways: dict[str, Gateway] = {}
        backends = {"DE": german_resident_register(), "EE": estonian_business_register()}
        for key, member in federation.members.items():
            if key in backends:
                assert member.backend_sock is not None
                await stack.enter_async_context(serve_app(backends[key], member.backend_sock))
            settings = Settings.from_toml(member.config)
            gateways[key] = await stack.enter_async_context(
                Gateway.running(
                    settings, peer_sock=member.peer_sock, client_sock=member.client_sock
                )
            )
            if member.relay_sock is not None:
                await stack.enter_async_context(_relay(member, gateways[key]))
        yield gateways


def _relay(member: DemoMember, gateway: Gateway):  # type: ignore[no-untyped-def]
    settings = gateway.node.settings
    ca = settings.security.client_ca
    assert ca is not None and member.relay_sock is not None
    # The load balancer holds the member's TLS certificate towards callers, its own towards
    # the gateway.
    inbound = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca))
    inbound.load_cert_chain(settings.tls.certificate, settings.tls.key)
    inbound.verify_mode = ssl.CERT_REQUIRED
    outbound = peer_client_context(member.dir / "relay.pem", member.dir / "relay.key", [])
    outbound.load_verify_locations(cafile=str(ca))
    return serve_app(tampering_relay(gateway.peer_url, outbound), member.relay_sock, inbound)


def client_ssl(federation: Federation, member: DemoMember) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(federation.ca_cert))
    context.load_cert_chain(member.client_cert, member.client_key)
    return context


async def _call(federation: Federation, scenario: Scenario) -> Outcome:
    member = federation.members[scenario.caller]
    url = f"https://{HOST}:{member.client_port}/r1/{scenario.service}{scenario.path}"
    headers = {"X-Road-Client": member.client_subsystem, "Accept": "application/json"}
    if scenario.tamper:
        headers["X-Demo-Tamper"] = "yes"
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with (
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=client_ssl(federation, member))
        ) as session,
        session.request(scenario.method, url, headers=headers, json=scenario.body) as resp,
    ):
        body = await resp.read()
        error = resp.headers.get("X-Road-Error")
    message = ""
    if error:
        with contextlib.suppress(ValueError):
            message = str(json.loads(body).get("message", ""))
    return Outcome(scenario, resp.status, error, message, (loop.time() - started) * 1000)


def _print_table(outcomes: list[Outcome]) -> None:
    rows = [("", "client", "service", "request", "status", "ms", "result")]
    for o in outcomes:
        s = o.scenario
        mark = "ok" if o.as_expected else "UNEXPECTED"
        result = "answered" if o.error is None else f"refused: {o.error}"
        rows.append(
            (
                mark,
                federation_client(s),
                s.service,
                f"{s.method} {s.path}",
                str(o.status),
                f"{o.duration_ms:.0f}",
                result,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print()
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))
    print()
    for o in outcomes:
        if o.error:
            print(f"- {o.scenario.title}: {o.error}\n    why: {o.message}")
        else:
            print(f"- {o.scenario.title}: answered {o.status}")


def federation_client(scenario: Scenario) -> str:
    return {
        "DE": "DE/GOV/05974028/gewerbeamt",
        "EE": "EE/GOV/70000310/klient",
        "NL": "NL/GOV/0363/brp-bevragen",
    }[scenario.caller]


async def _verify_audits(federation: Federation) -> bool:
    ok = True
    print("\naudit verify:")
    for key, member in federation.members.items():
        result = await verify_sqlite(member.dir / "data" / AUDIT_DB)
        state = "OK" if result.ok else f"FAILED at record {result.first_bad}: {result.reason}"
        print(f"  {key} {member.id}: {result.count} records, {state}")
        ok = ok and result.ok and result.count > 0
    return ok


def _write_federation_json(federation: Federation, gateways: dict[str, Gateway]) -> dict[str, Any]:
    members = {}
    for key, member in federation.members.items():
        gw = gateways[key]
        members[key] = {
            "member": member.id,
            "name": member.name,
            "client_url": gw.client_url,
            "peer_url": member.gateway_url,
            "client": {
                "subsystem": member.client_subsystem,
                "certificate": str(member.client_cert),
                "key": str(member.client_key),
            },
            "services": [f"{member.id}/{s['subsystem']}/{s['code']}" for s in member.services],
            "config": str(member.config),
            "data_dir": str(member.dir / "data"),
        }
    de = federation.members["DE"]
    document = {
        "ca_certificate": str(federation.ca_cert),
        "directory": str(federation.directory),
        "operator_certificate": str(federation.operator_cert),
        "members": members,
        "example": (
            f"curl --cacert {federation.ca_cert} --cert {de.client_cert} "
            f"--key {de.client_key} -H 'X-Road-Client: {de.client_subsystem}' "
            f"{gateways['DE'].client_url}/r1/EE/GOV/70000310/ariregister/ettevotted"
            "/ettevotted/12345678"
        ),
    }
    path = federation.state_dir / "federation.json"
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    return document


async def _wait_forever() -> None:
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.Event().wait()


if __name__ == "__main__":
    sys.exit(asyncio.run(run_demo()))
