"""``xgw demo``: the mission's three stories, through real gateways on 127.0.0.1.

Usage::

    xgw demo                             # the stories and two refusals; exit 0 if all as expected
    xgw demo --serve --state-dir ./demo  # keep running; ./demo/federation.json says how

A German municipality (DE), the Estonian registers' centre (EE) and a Dutch
municipality (NL) each run a gateway; Flanders' MAGDA (BE) runs none and is
called in its own protocol. Certificates are generated on the spot, one directory
is signed by a demo operator, and small registers answer in the partners' real
formats (``gateway.demo.backends``). Each story prints what crossed each edge, in
that edge's native format; at the end ``audit verify`` runs on every gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from gateway._crypto import load_certificate
from gateway.admin.tokens import Role, issue_token, token_key
from gateway.app import Gateway
from gateway.audit.bundle import BundleError, check_bundle
from gateway.audit.verify import verify_sqlite
from gateway.demo.backends import (
    Register,
    estonian_business_register,
    flemish_magda,
    german_resident_register,
    serve_app,
    tampering_relay,
)
from gateway.demo.federation import HOST, DemoMember, Federation, build_federation
from gateway.demo.payloads import payload
from gateway.demo.stories import CHECKS, STORIES, Check, Story, extract
from gateway.node import AUDIT_DB
from gateway.settings import Settings
from gateway.stages.translate import TRANSLATION_NOTES_HEADER, parse_notes_field
from gateway.trust import peer_client_context

__all__ = ["Demo", "Told", "run_demo", "running_demo", "tell"]

_WIDTH = 26  # of one edge's column


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]
    duration_ms: float

    @property
    def error(self) -> str | None:
        return self.headers.get("X-Road-Error")


@dataclass
class Demo:
    """A running demo federation: its files, its registers, its gateways."""

    federation: Federation
    registers: dict[str, Register]
    gateways: dict[str, Gateway]


@dataclass
class Told:
    """What crossed each edge of one story."""

    story: Story
    sent: bytes
    asked: bytes
    answered: bytes
    answer: Answer

    @property
    def ok(self) -> bool:
        return self.answer.status == 200 and self.answer.error is None and bool(self.asked)


@contextlib.asynccontextmanager
async def running_demo(state_dir: Path) -> AsyncIterator[Demo]:
    """Generate the federation in ``state_dir`` and run its gateways and registers."""
    federation = build_federation(state_dir)
    try:
        registers = {
            "DE": german_resident_register(),
            "EE": estonian_business_register(),
            "BE": flemish_magda(),
        }
        async with _running(federation, registers) as gateways:
            yield Demo(federation, registers, gateways)
    finally:
        federation.close()


async def run_demo(state_dir: Path | None = None, keep_serving: bool = False) -> int:
    with contextlib.ExitStack() as cleanup:
        if state_dir is None:
            state_dir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="xgw-demo-")))
        async with running_demo(state_dir) as demo:
            ok = True
            told = []
            for number, story in enumerate(STORIES, 1):
                told.append(await tell(demo, story))
                _print_story(number, told[-1])
                ok = ok and told[-1].ok
            print("\nThe federation refuses what it must:")
            for check in CHECKS:
                ok = await _refused(demo.federation, check) and ok
            ok = await _prove(demo, told[0]) and ok
            ok = await _verify_audits(demo.federation) and ok
            if keep_serving:
                document = _write_federation_json(demo.federation, demo.gateways)
                print(
                    f"\nThe federation keeps running; {state_dir / 'federation.json'} says "
                    f"how to call it, for example:\n\n  {document['example']}\n\nCtrl-C stops it."
                )
                await _wait_forever()
        print("\nall exchanges went as expected" if ok else "\nSOMETHING WENT WRONG (see above)")
        return 0 if ok else 1


@contextlib.asynccontextmanager
async def _running(
    federation: Federation, registers: dict[str, Register]
) -> AsyncIterator[dict[str, Gateway]]:
    async with contextlib.AsyncExitStack() as stack:
        gateways: dict[str, Gateway] = {}
        for key, member in federation.members.items():
            if key in registers:
                assert member.backend_sock is not None
                # A partner serves its own TLS; behind a gateway a register is plain loopback.
                tls = _partner_server_ssl(member) if member.partner else None
                await stack.enter_async_context(
                    serve_app(registers[key].app, member.backend_sock, tls)
                )
            if member.partner:
                continue
            settings = Settings.from_toml(member.config)
            gateways[key] = await stack.enter_async_context(
                Gateway.running(
                    settings, peer_sock=member.peer_sock, client_sock=member.client_sock
                )
            )
            if member.relay_sock is not None:
                await stack.enter_async_context(_relay(member, gateways[key]))
        yield gateways


def _partner_server_ssl(member: DemoMember) -> ssl.SSLContext:
    """A partner's own HTTPS server; the gateways calling it pin its certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(member.dir / "tls.pem", member.dir / "tls.key")
    return context


def _relay(member: DemoMember, gateway: Gateway) -> contextlib.AbstractAsyncContextManager[None]:
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


async def _post(
    federation: Federation, caller: str, path: str, body: bytes, content_type: str, tamper: bool
) -> Answer:
    member = federation.members[caller]
    headers = {"X-Road-Client": member.client_subsystem, "Content-Type": content_type}
    if tamper:
        headers["X-Demo-Tamper"] = "yes"
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with (
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=client_ssl(federation, member))
        ) as session,
        session.post(
            f"https://{HOST}:{member.client_port}{path}", headers=headers, data=body
        ) as resp,
    ):
        answer_body = await resp.read()
        return Answer(resp.status, answer_body, dict(resp.headers), (loop.time() - started) * 1000)


async def tell(demo: Demo, story: Story) -> Told:
    """Run one story: the client's request, and what its register was asked and answered."""
    register = demo.registers[story.register]
    before = len(register.seen)
    sent = payload(story.payload)
    answer = await _post(demo.federation, story.caller, story.path, sent, story.content_type, False)
    asked, answered = register.seen[before] if len(register.seen) > before else (b"", b"")
    return Told(story, sent, asked, answered, answer)


def _print_story(number: int, told: Told) -> None:
    story, answer = told.story, told.answer
    print(f"\n{number}. {story.title}\n   {story.route}\n")
    edges = ("client sent", "register was asked", "register answered", "client got")
    _row("", edges)
    _row("", story.formats)
    for fact in story.facts:
        _row(
            fact.label,
            (
                extract(told.sent, fact.sent),
                extract(told.asked, fact.asked),
                extract(told.answered, fact.answered),
                extract(answer.body, fact.got),
            ),
        )
    outcome = "answered" if told.ok else f"UNEXPECTED: status {answer.status} {answer.error or ''}"
    print(f"\n   {outcome} in {answer.duration_ms:.0f} ms")
    notes = parse_notes_field(answer.headers.get(TRANSLATION_NOTES_HEADER, ""))
    for note in notes[:12]:
        print(f"   note: {note}")
    if len(notes) > 12:
        print(f"   ... {len(notes) - 12} more notes (all are in the audit log)")


def _row(label: str, cells: tuple[str, ...]) -> None:
    print(("   " + label.ljust(18) + "".join(_cell(c) for c in cells)).rstrip())


def _cell(text: str) -> str:
    text = text or "-"
    return (text if len(text) < _WIDTH - 1 else text[: _WIDTH - 3] + "…").ljust(_WIDTH)


async def _refused(federation: Federation, check: Check) -> bool:
    answer = await _post(
        federation,
        check.caller,
        check.path,
        payload(check.payload),
        check.content_type,
        check.tamper,
    )
    ok = answer.error == check.expect_error
    message = ""
    with contextlib.suppress(ValueError, AttributeError):
        message = str(json.loads(answer.body).get("message", ""))
    mark = "ok" if ok else "UNEXPECTED"
    print(f"- {mark}: {check.title}: {answer.error or answer.status}\n    why: {message}")
    return ok


async def _prove(demo: Demo, told: Told) -> bool:
    """An auditor of the caller's member fetches the story's evidence bundle through the admin
    API and checks it offline, with nothing but the operator's certificate."""
    gateway = demo.gateways[told.story.caller]
    exchange_id = told.answer.headers.get("X-Road-Id", "")
    settings = gateway.node.settings
    token = issue_token(
        token_key(settings, create=True),
        settings.member.id,
        subject="demo-auditor",
        role=Role.AUDITOR,
        ttl=300,
    )
    url = f"{gateway.admin_url}/admin/v1/audit/exchanges/{exchange_id}/evidence"
    print(f"\nAn auditor of {settings.member.id} proves story 1 (GET {url}):")
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        bundle = await response.read()
    if response.status != 200:
        print(f"  UNEXPECTED: status {response.status}: {bundle[:300]!r}")
        return False
    try:
        report = check_bundle(bundle, [load_certificate(demo.federation.operator_cert)])
    except BundleError as exc:
        print(f"  UNEXPECTED: the bundle does not check out: {exc}")
        return False
    print(f"  a {len(bundle)}-byte evidence bundle; checked offline, it proves:")
    for line in report.summary().splitlines():
        print(f"    {line}")
    return True


async def _verify_audits(federation: Federation) -> bool:
    ok = True
    print("\naudit verify:")
    for key, member in federation.members.items():
        if member.partner:
            continue
        result = await verify_sqlite(member.dir / "data" / AUDIT_DB)
        state = "OK" if result.ok else f"FAILED at record {result.first_bad}: {result.reason}"
        print(f"  {key} {member.id}: {result.count} records, {state}")
        ok = ok and result.ok and result.count > 0
    return ok


def _write_federation_json(federation: Federation, gateways: dict[str, Gateway]) -> dict[str, Any]:
    members = {}
    for key, member in federation.members.items():
        if member.partner:
            continue
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
            "admin_url": gw.admin_url,
        }
    nl = federation.members["NL"]
    document = {
        "ca_certificate": str(federation.ca_cert),
        "directory": str(federation.directory),
        "operator_certificate": str(federation.operator_cert),
        "members": members,
        "example": (
            f"curl --cacert {federation.ca_cert} --cert {nl.client_cert} "
            f"--key {nl.client_key} -H 'Content-Type: application/json' "
            '-d \'{"type": "ZoekMetGeslachtsnaamEnGeboortedatum", "geslachtsnaam": '
            '"Müller", "geboortedatum": "1984-03-12", "fields": ["naam"]}\' '
            f"{gateways['NL'].client_url}/haalcentraal/api/brp/personen"
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
