"""Rotation without downtime: DE rotates its TLS and signing keys while traffic runs.

The next pair is staged beside the configured files (what ``xgw certs rotate`` writes),
the operator lists old and new certificates, the running gateway adopts the new pair by
itself, the operator removes the old ones: no exchange fails in either direction, and the
old certificates are refused afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import logging
import os
import signal
import sqlite3
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography import x509

from gateway._crypto import (
    PrivateKey,
    certificate_to_pem,
    fingerprint,
    kid,
    load_private_key,
    now_utc,
    write_certificate,
    write_private_key,
)
from gateway.app import Gateway
from gateway.certs.keys import check_key_type
from gateway.certs.rotate import install_next, rotate
from gateway.certs.staging import NEXT, PREVIOUS, staged
from gateway.directory import Directory, Member, format_timestamp
from gateway.node import AUDIT_DB
from gateway.pki import Issued, Usage
from gateway.rotation import REFUSED, WAITING
from gateway.signing import unverified_header
from gateway.trust import PeerIdentifier, peer_client_context
from tests.integration.federation import (
    DE,
    HOST,
    SERVICE,
    Harness,
    assert_xroad_error,
    call,
    send_hop,
    signed_hop,
)
from tests.integration.process_support import GatewayFleet

REFRESH = 0.2  # every gateway's directory refresh interval here
DE_SERVICE = f"{DE}/register/firmen"
DE_TO_EE = f"/r1/{SERVICE}/echo/rotation"
EE_TO_DE = f"/r1/{DE_SERVICE}/echo/rotation"
MAX_PER_CLIENT = 3000  # a bound on every traffic loop, whatever happens


def fast_federation(fed: Harness, ee_refresh: float = REFRESH) -> None:
    """Refresh every 0.2 s; DE also offers a service to EE, so traffic runs both ways."""
    for member in fed.members.values():
        member.settings_overrides["directory"] = {"refresh_interval": REFRESH}
    fed.members["EE"].settings_overrides["directory"] = {"refresh_interval": ee_refresh}
    fed.members["DE"].services.append(
        {
            "subsystem": "register",
            "code": "firmen",
            "type": "REST",
            "format": "opaque",
            "endpoints": [{"method": "*", "path": "/echo/**"}],
        }
    )
    fed.access.append(
        {
            "client": fed.client_id("EE"),
            "service": DE_SERVICE,
            "endpoints": [{"method": "*", "path": "/echo/**"}],
        }
    )


# -- the rotation's steps, as an admin and the operator do them ---------------------------


@dataclass(frozen=True)
class NextPair:
    tls: Issued
    signing: Issued


def new_pairs(fed: Harness, key_kind: str = "ec-p256") -> NextPair:
    return NextPair(
        tls=fed.ca.issue(DE, usage=Usage.TLS, hosts=[HOST, "localhost"], key_kind=key_kind),
        signing=fed.ca.issue(DE, usage=Usage.SIGNING, key_kind=key_kind),
    )


def stage(
    cert_path: Path,
    key_path: Path,
    issued: Issued,
    *,
    passphrase: bytes | None = None,
    key: PrivateKey | None = None,
) -> None:
    """Write the next pair where ``xgw certs rotate`` does (``key`` replaces the right one)."""
    write_certificate(staged(cert_path, NEXT), issued.cert)
    write_private_key(staged(key_path, NEXT), key or issued.key, passphrase)


def stage_both(gateway: Gateway, pairs: NextPair, passphrase: bytes | None = None) -> None:
    settings = gateway.node.settings
    stage(settings.tls.certificate, settings.tls.key, pairs.tls, passphrase=passphrase)
    stage(settings.signing.certificate, settings.signing.key, pairs.signing, passphrase=passphrase)


def listing(
    fed: Harness, tls: list[Issued], signing: list[Issued], member_id: str = DE
) -> dict[str, Any]:
    """The published directory with ``member_id``'s certificates replaced."""
    document = fed.published_document()
    for member in document["members"]:
        if member["id"] == member_id:
            member["tls_certificates"] = [certificate_to_pem(i.cert) for i in tls]
            member["signing_certificates"] = [certificate_to_pem(i.cert) for i in signing]
    return document


async def until(predicate: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.02)


def on_sequence(sequence: int, *gateways: Gateway) -> Callable[[], bool]:
    return lambda: all(g.node.directory.current().sequence >= sequence for g in gateways)


def admin_events(gateway: Gateway, action: str) -> list[dict[str, Any]]:
    db = gateway.node.settings.data_dir / AUDIT_DB
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT record FROM audit_entries ORDER BY seq").fetchall()
    records = [json.loads(row[0]) for row in rows]
    return [r for r in records if r["kind"] == "admin" and r["method"] == action]


async def presented_certificate(gateway: Gateway, fed: Harness) -> str:
    """SHA-256 of the certificate a gateway's peer port presents in a new handshake."""
    return await presented_certificate_at(gateway.peer_port, fed)


async def presented_certificate_at(port: int, fed: Harness) -> str:
    cert, key = fed.members["EE"].tls.write(fed.root / "probe")
    context = peer_client_context(cert, key, [fed.ca.cert])
    _reader, writer = await asyncio.open_connection(HOST, port, ssl=context)
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der: bytes = ssl_object.getpeercert(binary_form=True)
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
    return hashlib.sha256(der).hexdigest()


class SeenPeers(PeerIdentifier):
    """EE's real peer check, noting the SHA-256 of every TLS certificate it is shown."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def identify(self, directory: Directory, der: bytes, now: datetime | None = None) -> Member:
        self.seen.append(hashlib.sha256(der).hexdigest())
        return super().identify(directory, der, now)


# -- steady traffic -------------------------------------------------------------------------


@dataclass
class Result:
    direction: str
    exchange_id: str
    started: float
    ended: float
    status: int
    error: str | None


@dataclass
class Traffic:
    """A few clients calling in a loop until stopped; every answer is kept."""

    results: list[Result] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, http: aiohttp.ClientSession, url: str, client: str, direction: str) -> None:
        for _ in range(MAX_PER_CLIENT):
            if self.stop.is_set():
                return
            await self.one(http, url, client, direction)

    async def one(
        self, http: aiohttp.ClientSession, url: str, client: str, direction: str
    ) -> Result:
        exchange_id, started = str(uuid.uuid4()), time.monotonic()
        try:
            answer = await call(
                http, "GET", url, headers={"X-Road-Client": client, "X-Road-Id": exchange_id}
            )
            status, error = answer.status, answer.headers.get("X-Road-Error")
        except (aiohttp.ClientError, OSError) as exc:
            status, error = 0, f"{type(exc).__name__}: {exc}"
        result = Result(direction, exchange_id, started, time.monotonic(), status, error)
        self.results.append(result)
        return result

    def failures(self) -> list[Result]:
        return [r for r in self.results if r.status != 200]

    def count(self, direction: str, after: float = 0.0) -> int:
        return sum(1 for r in self.results if r.direction == direction and r.started > after)


@contextlib.asynccontextmanager
async def steady_traffic(fed: Harness, de: Gateway, ee: Gateway, clients: int = 3):
    traffic = Traffic()
    async with fed.client("DE") as de_http, fed.client("EE") as ee_http:
        loops = [
            traffic.run(de_http, de.client_url + DE_TO_EE, fed.client_id("DE"), "DE->EE")
            for _ in range(clients)
        ] + [
            traffic.run(ee_http, ee.client_url + EE_TO_DE, fed.client_id("EE"), "EE->DE")
            for _ in range(clients - 1)
        ]
        tasks = [asyncio.create_task(loop) for loop in loops]
        try:
            yield traffic, de_http, ee_http
        finally:
            traffic.stop.set()
            await asyncio.gather(*tasks)


async def signature_kid(gateway: Gateway, exchange_id: str, kind: str) -> str:
    records = [r for r in await gateway.node.audit.records(exchange_id) if r.kind == kind]
    assert records and records[0].signature, records
    found: str = unverified_header(records[0].signature)["kid"]
    return found


# -- the tests ------------------------------------------------------------------------------


async def test_rotating_both_keys_under_traffic_fails_no_exchange(fed: Harness):
    # EE refreshes on another beat than DE: DE must not use its new keys before EE has
    # the directory that lists them (DE waits twice its own refresh interval).
    fast_federation(fed, ee_refresh=1.5 * REFRESH)
    old = NextPair(fed.members["DE"].tls, fed.members["DE"].signing)
    new = new_pairs(fed)
    async with fed.start() as (de, ee), steady_traffic(fed, de, ee) as (traffic, de_http, ee_http):
        ee.node.peers = seen = SeenPeers()
        # Traffic both ways before anything changes (a first call may be slow on a busy machine).
        await until(
            lambda: traffic.count("DE->EE") > 0 and traffic.count("EE->DE") > 0,
            "traffic flows both ways",
        )
        assert traffic.count("DE->EE") > 0 and traffic.count("EE->DE") > 0

        stage_both(de, new)
        overlap = fed.sequence
        fed.publish_atomically(listing(fed, [old.tls, new.tls], [old.signing, new.signing]))
        await until(
            lambda: (
                de.node.signer.kid == kid(new.signing.cert)
                and de.node.keys.tls_certificate == new.tls.cert
            ),
            "DE adopted the staged pairs",
        )
        adopted_at = time.monotonic()
        # Adopted only once both gateways had the directory that lists the new certificates.
        assert on_sequence(overlap, de, ee)()
        await until(lambda: len(admin_events(de, "credentials.rotated")) == 2, "audited")

        # New exchanges: signed with the new key, over connections with the new certificate.
        outbound = await traffic.one(
            de_http, de.client_url + DE_TO_EE, fed.client_id("DE"), "DE->EE"
        )
        assert outbound.status == 200
        assert await signature_kid(ee, outbound.exchange_id, "request") == kid(new.signing.cert)
        assert seen.seen[-1] == fingerprint(new.tls.cert)
        inbound = await traffic.one(
            ee_http, ee.client_url + EE_TO_DE, fed.client_id("EE"), "EE->DE"
        )
        assert inbound.status == 200
        assert await signature_kid(ee, inbound.exchange_id, "response") == kid(new.signing.cert)
        assert await presented_certificate(de, fed) == fingerprint(new.tls.cert)

        final = fed.sequence
        fed.publish_atomically(listing(fed, [new.tls], [new.signing]))
        await until(on_sequence(final, de, ee), "both gateways have the final directory")
        final_at = time.monotonic()
        await asyncio.sleep(0.4)  # traffic goes on without the old certificates

    assert traffic.failures() == []
    for direction in ("DE->EE", "EE->DE"):
        assert traffic.count(direction, after=adopted_at) > 0, direction
        assert traffic.count(direction, after=final_at) > 0, direction
    assert fingerprint(old.tls.cert) not in seen.seen[-traffic.count("DE->EE", after=final_at) :]

    events = admin_events(de, "credentials.rotated")
    assert sorted(json.loads(e["notes"])["usage"] for e in events) == ["signing", "tls"]
    assert {e["client"] for e in events} == {"node:xgw"}
    tls_event = next(e for e in events if e["service"].startswith("tls/"))
    assert json.loads(tls_event["notes"])["old"] == fingerprint(old.tls.cert)
    assert tls_event["service"] == f"tls/{fingerprint(new.tls.cert)}"


async def test_old_certificates_are_refused_once_the_operator_removed_them(fed: Harness):
    fast_federation(fed)
    old = NextPair(fed.members["DE"].tls, fed.members["DE"].signing)
    new = new_pairs(fed)
    async with fed.start() as (de, ee):
        stage_both(de, new)
        fed.publish_atomically(listing(fed, [old.tls, new.tls], [old.signing, new.signing]))
        await until(lambda: de.node.signer.kid == kid(new.signing.cert), "DE adopted")
        final = fed.sequence
        fed.publish_atomically(listing(fed, [new.tls], [new.signing]))
        await until(on_sequence(final, ee), "EE has the final directory")

        old_key_hop = signed_hop("GET", DE_TO_EE, client=fed.client_id("DE"), signing=old.signing)
        new_key_hop = signed_hop("GET", DE_TO_EE, client=fed.client_id("DE"), signing=new.signing)
        async with fed.peer_session(new.tls, "de-new") as http:
            refused_signature = await send_hop(http, ee.peer_url, old_key_hop)
            accepted = await send_hop(http, ee.peer_url, new_key_hop)
        async with fed.peer_session(old.tls, "de-old") as http:
            refused_tls = await send_hop(
                http,
                ee.peer_url,
                signed_hop("GET", DE_TO_EE, client=fed.client_id("DE"), signing=new.signing),
            )

    assert accepted.status == 200
    assert_xroad_error(refused_signature, "Server.ServerProxy.InvalidSignatureValue")
    assert_xroad_error(refused_tls, "Server.ServerProxy.CertValidation")
    # The pair in use before is kept beside the configured files.
    settings = de.node.settings
    assert staged(settings.tls.certificate, PREVIOUS).read_text() == certificate_to_pem(
        old.tls.cert
    )
    assert not staged(settings.tls.certificate, NEXT).exists()


async def test_a_staged_pair_the_directory_does_not_list_waits(
    fed: Harness, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="gateway.rotation")
    fast_federation(fed)
    old = NextPair(fed.members["DE"].tls, fed.members["DE"].signing)
    async with fed.start() as (de, _ee):
        stage_both(de, new_pairs(fed))
        for _ in range(2):  # two publications, neither listing the staged certificates
            sequence = fed.sequence
            fed.publish_atomically(fed.published_document())
            await until(on_sequence(sequence, de), f"DE has sequence {sequence}")
        await asyncio.sleep(3 * REFRESH)  # longer than the settle time
        outcomes = await de.node.keys.reload()
        kid_in_use = de.node.signer.kid
        tls_in_use = de.node.keys.tls_certificate

    assert kid_in_use == kid(old.signing.cert) and tls_in_use == old.tls.cert
    assert [o.state for o in outcomes] == [WAITING, WAITING]
    assert "does not list the staged certificate" in outcomes[0].detail
    waits = [r.getMessage() for r in caplog.records if "waits" in r.getMessage()]
    # Once per usage and directory sequence; the reload on the same sequence adds none.
    assert sum(m.startswith("tls:") for m in waits) == 2, waits
    assert sum(m.startswith("signing:") for m in waits) == 2, waits
    assert staged(de.node.settings.tls.certificate, NEXT).exists()


async def test_a_staged_key_that_does_not_match_its_certificate_is_refused(
    fed: Harness, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="gateway.rotation")
    fast_federation(fed)
    old = NextPair(fed.members["DE"].tls, fed.members["DE"].signing)
    new = new_pairs(fed)
    stranger = fed.ca.issue(DE, usage=Usage.TLS, hosts=[HOST])
    async with fed.start() as (de, _ee):
        settings = de.node.settings
        stage(settings.tls.certificate, settings.tls.key, new.tls, key=stranger.key)
        stage(settings.signing.certificate, settings.signing.key, new.signing)
        fed.publish_atomically(listing(fed, [old.tls, new.tls], [old.signing, new.signing]))
        await until(lambda: de.node.signer.kid == kid(new.signing.cert), "signing adopted")
        outcomes = await de.node.keys.reload()
        tls_in_use = de.node.keys.tls_certificate
        async with fed.client("DE") as http:  # still serving, with the old TLS pair
            answer = await call(
                http,
                "GET",
                de.client_url + DE_TO_EE,
                headers={"X-Road-Client": fed.client_id("DE")},
            )

    assert answer.status == 200
    assert tls_in_use == old.tls.cert
    assert outcomes[0].usage == "tls" and outcomes[0].state == REFUSED
    refusals = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    # Once per directory sequence: the node may have looked before the publication too.
    assert 1 <= len(refusals) <= 2, refusals
    assert set(refusals) == {
        f"tls: the staged key pair is refused: the key {staged(settings.tls.key, NEXT)} "
        f"does not belong to the certificate {staged(settings.tls.certificate, NEXT)}"
    }
    assert staged(settings.tls.key, NEXT).exists()  # left for the admin to fix


async def test_a_pair_staged_after_the_directory_listed_it_is_adopted_without_a_new_one(
    fed: Harness,
):
    fast_federation(fed)
    old, new = NextPair(fed.members["DE"].tls, fed.members["DE"].signing), new_pairs(fed)
    async with fed.start() as (de, _ee):
        sequence = fed.sequence
        fed.publish_atomically(listing(fed, [old.tls], [old.signing, new.signing]))
        await until(on_sequence(sequence, de), "DE has the listing")
        stage(de.node.settings.signing.certificate, de.node.settings.signing.key, new.signing)
        await until(lambda: de.node.signer.kid == kid(new.signing.cert), "DE adopted")
        assert de.node.directory.current().sequence == sequence  # no publication since


async def test_an_external_ca_rotation_adopted_leaves_the_next_rotation_free(fed: Harness):
    """rotate (a CSR), install-next, adoption: the request goes with its key, and the
    next ``rotate`` is not refused as if a rotation were still staged."""
    fast_federation(fed)
    async with fed.start() as (de, _ee):
        settings = de.node.settings
        staged_request = rotate(settings, "signing")
        assert staged_request.csr_path is not None
        csr = x509.load_pem_x509_csr(staged_request.csr_path.read_bytes())
        public_key = check_key_type(csr.public_key(), "the CSR")
        cert = fed.ca.certify(public_key, DE, usage=Usage.SIGNING)
        install_next(settings, "signing", certificate_to_pem(cert).encode(), anchors=[fed.ca.cert])
        issued = Issued(load_private_key(staged_request.key_path), cert)
        old = fed.members["DE"]
        fed.publish_atomically(listing(fed, [old.tls], [old.signing, issued]))
        await until(lambda: de.node.signer.kid == kid(cert), "DE adopted the CA's certificate")
        assert not staged_request.csr_path.exists()
        again = rotate(settings, "signing")
    assert again.csr_path == staged_request.csr_path


async def test_encrypted_keys_with_a_passphrase_file_serve_and_rotate(fed: Harness):
    fast_federation(fed)
    passphrase = b"correct horse battery staple"
    member = fed.members["DE"]
    secret = fed.root / "de-passphrase"
    secret.write_bytes(passphrase + b"\n")
    for usage, issued in (("tls", member.tls), ("signing", member.signing)):
        key_path = member.dir / f"{usage}-encrypted.key"
        write_private_key(key_path, issued.key, passphrase)
        assert b"ENCRYPTED" in key_path.read_bytes()
        member.settings_overrides[usage] = {"key": str(key_path), "passphrase_file": str(secret)}
    old = NextPair(member.tls, member.signing)
    new = new_pairs(fed)
    async with fed.start() as (de, ee), fed.client("DE") as http:
        url, headers = de.client_url + DE_TO_EE, {"X-Road-Client": fed.client_id("DE")}
        before = await call(http, "GET", url, headers=headers)
        stage_both(de, new, passphrase=passphrase)
        fed.publish_atomically(listing(fed, [old.tls, new.tls], [old.signing, new.signing]))
        await until(
            lambda: (
                de.node.keys.tls_certificate == new.tls.cert
                and de.node.signer.kid == kid(new.signing.cert)
            ),
            "DE adopted the encrypted pairs",
        )
        final = fed.sequence
        fed.publish_atomically(listing(fed, [new.tls], [new.signing]))
        await until(on_sequence(final, de, ee), "both have the final directory")
        after = await call(http, "GET", url, headers=headers)
        presented = await presented_certificate(de, fed)

    assert before.status == 200, before.body
    assert after.status == 200, after.body
    assert presented == fingerprint(new.tls.cert)
    assert b"ENCRYPTED" in de.node.settings.tls.key.read_bytes()


async def test_a_start_adopts_a_pair_listed_long_ago_and_completes_an_interrupted_one(
    fed: Harness,
):
    """DE was down during the overlap: its TLS pair is still staged, and its signing
    rotation was cut off between the key and the certificate. A start sets both right."""
    fast_federation(fed)
    new = new_pairs(fed, key_kind="rsa-3072")  # another key type: fine before TLS contexts exist
    member = fed.members["DE"]

    def listed_an_hour_ago(document: dict[str, Any]) -> dict[str, Any]:
        document = copy.deepcopy(document)
        document["issued"] = format_timestamp(now_utc() - timedelta(hours=1))
        for entry in document["members"]:
            if entry["id"] == DE:
                entry["tls_certificates"].append(certificate_to_pem(new.tls.cert))
                entry["signing_certificates"].append(certificate_to_pem(new.signing.cert))
        return document

    # Beside the TLS files the harness writes at start (tls.pem, tls.key).
    stage(member.dir / "tls.pem", member.dir / "tls.key", new.tls)
    # The signing pair in files of its own, left as a crash between the two renames leaves it.
    signing_cert, signing_key = member.signing.write(member.dir / "signing-live")
    write_certificate(staged(signing_cert, PREVIOUS), member.signing.cert)
    write_private_key(staged(signing_key, PREVIOUS), member.signing.key)
    stage(signing_cert, signing_key, new.signing)
    os.replace(staged(signing_key, NEXT), signing_key)
    member.settings_overrides["signing"] = {
        "certificate": str(signing_cert),
        "key": str(signing_key),
    }
    async with fed.start(edit=listed_an_hour_ago) as (de, _ee):
        adopted = de.node.keys.tls_certificate, de.node.signer.kid
        presented = await presented_certificate(de, fed)
        await until(lambda: len(admin_events(de, "credentials.rotated")) == 2, "audited")
        events = {
            e["service"]: json.loads(e["notes"]) for e in admin_events(de, "credentials.rotated")
        }

    assert adopted == (new.tls.cert, kid(new.signing.cert))
    assert presented == fingerprint(new.tls.cert)
    assert signing_cert.read_text() == certificate_to_pem(new.signing.cert)
    assert events[f"signing/{fingerprint(new.signing.cert)}"] == {
        "usage": "signing",
        "old": fingerprint(member.signing.cert),
        "new": fingerprint(new.signing.cert),
        "recovered": True,
        "role": "system",
    }
    assert "recovered" not in events[f"tls/{fingerprint(new.tls.cert)}"]


async def test_sighup_makes_xgw_serve_adopt_a_pair_staged_after_the_directory_listed_it(
    fed: Harness, tmp_path: Path
):
    """``xgw serve`` as a process: the directory already lists the next pair, the admin
    stages it afterwards and sends SIGHUP instead of waiting for the next publication."""
    fed.members["DE"].settings_overrides["directory"] = {"refresh_interval": 60}
    new = new_pairs(fed)
    fleet = GatewayFleet(fed, tmp_path / "run")  # publishes; writes DE's configured files
    document = listing(fed, [fed.members["DE"].tls, new.tls], [fed.members["DE"].signing])
    document["issued"] = format_timestamp(now_utc() - timedelta(hours=1))
    fed.publish_atomically(document)
    member = fed.members["DE"]
    try:
        await fleet.start("DE")
        stage(member.dir / "tls.pem", member.dir / "tls.key", new.tls)
        process = fleet.nodes["DE"].process
        assert process is not None
        os.kill(process.pid, signal.SIGHUP)
        next_cert = staged(member.dir / "tls.pem", NEXT)
        await until(lambda: not next_cert.exists(), "DE adopted the staged TLS pair", 10.0)
        port = int(fleet.peer_url("DE").rsplit(":", 1)[1])
        presented = await presented_certificate_at(port, fed)
        log = fleet.log_tail("DE", lines=200)
    finally:
        fleet.stop_all()

    assert presented == fingerprint(new.tls.cert), log
    assert "SIGHUP: looking at the staged key pairs" in log
    assert "tls: adopted the staged key pair" in log
    assert (member.dir / "tls.pem").read_text() == certificate_to_pem(new.tls.cert)
