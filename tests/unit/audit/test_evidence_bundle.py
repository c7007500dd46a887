"""Evidence bundles from a real SQLite log with real signatures, checked offline.

Each test builds a provider's log of one signed exchange (DE calls EE; EE's log), proves
it with ``prove_exchange`` and changes one thing, as a forger would, then re-serialises
the bundle canonically so that only the change itself can be caught. The end-to-end
path through two gateways is in tests/integration/test_evidence_bundle.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway._crypto import b64url, b64url_decode, certificate_to_pem, kid
from gateway.audit import AuditLog, AuditRecord, TreeHeadSigner
from gateway.audit.bundle import BundleError, check_bundle, encode_bundle
from gateway.audit.hop_payload import check_payload, read_signing_input, rebuild_payload
from gateway.audit.prove import directory_candidates, prove_exchange
from gateway.audit.verify import verify_sqlite
from gateway.directory import format_timestamp, sign_directory
from gateway.directory_manager import HISTORY_DIR
from gateway.errors import AuditError
from gateway.pki import CertificateAuthority, Issued, Usage
from gateway.signing import HopSigner, body_digest, request_signing_input, response_signing_input

DE = "DE/GOV/05974028"
EE = "EE/GOV/70000310"
CLIENT = f"{DE}/gewerbeamt"
SERVICE = f"{EE}/ariregister/ettevotted"


@dataclass
class Federation:
    ca: CertificateAuthority
    operator: Issued
    signing: dict[str, Issued]

    @classmethod
    def create(cls) -> Federation:
        ca = CertificateAuthority.create("bundle test CA")
        return cls(
            ca,
            ca.issue("operator", usage=Usage.SIGNING),
            {m: ca.issue(m, usage=Usage.SIGNING) for m in (DE, EE)},
        )

    def directory(self, sequence: int = 1, **changes: Any) -> str:
        now = datetime.now(UTC).replace(microsecond=0)
        members = []
        for member, issued in self.signing.items():
            tls = self.ca.issue(member, usage=Usage.TLS, hosts=["127.0.0.1"])
            members.append(
                {
                    "id": member,
                    "name": member,
                    "gateway_url": "https://127.0.0.1:8443",
                    "tls_certificates": [certificate_to_pem(tls.cert)],
                    "signing_certificates": [certificate_to_pem(issued.cert)],
                }
            )
        document = {
            "format": "xgw-directory/1",
            "instance": "TEST",
            "sequence": sequence,
            "issued": format_timestamp(now - timedelta(minutes=1)),
            "expires": format_timestamp(now + timedelta(hours=1)),
            "cas": [certificate_to_pem(self.ca.cert)],
            "members": members,
            **changes,
        }
        return sign_directory(document, self.operator.key, self.operator.cert)


@dataclass
class Exchange:
    exchange_id: str
    request_payload: bytes
    response_payload: bytes


async def log_exchange(
    db: Path,
    fed: Federation,
    *,
    body: bytes = b"",
    request_signer: str = DE,
    signed: bool = False,
    status: int = 200,
) -> Exchange:
    """EE's log of one exchange DE signed (a request) and EE answered, and a tree head.

    ``signed``: the records keep the header lines their signatures cover (``signed_headers``),
    as the gateway writes them now; without, they are records of the older format.
    """
    exchange_id = str(uuid.uuid4())
    path = f"/r1/{SERVICE}/ettevotted/1"
    headers = [("x-road-client", CLIENT), ("x-road-id", exchange_id)]
    if signed:  # an optional header: only a record that keeps it rebuilds the payload
        headers.append(("x-road-userid", "EE:42"))
    if body:
        headers.append(("content-type", "application/json"))
    request_payload = request_signing_input(
        "POST" if body else "GET", path, headers, body_digest(body)
    )
    signer = fed.signing[request_signer]
    request_token = HopSigner(signer.key, signer.cert).sign(request_payload, nonce="n-1")
    answer = b'{"nimi": "P\xc3\xb5hjaranniku Puit O\xc3\x9c"}'
    answer_headers = [
        ("X-Road-Client", CLIENT),
        ("X-Road-Service", SERVICE),
        ("X-Road-Id", exchange_id),
        ("X-Road-Request-Id", str(uuid.uuid4())),
        ("X-Road-Request-Hash", "aGFzaA=="),
        ("Content-Type", "application/json"),
    ]
    if status >= 400:
        answer_headers.append(("X-Road-Error", "Server.ServerProxy.NetworkError"))
    response_payload = response_signing_input(status, answer_headers, body_digest(answer))
    ee = fed.signing[EE]
    response_token = HopSigner(ee.key, ee.cert).sign(response_payload)
    common: dict[str, Any] = {
        "exchange_id": exchange_id,
        "direction": "inbound",
        "client": CLIENT,
        "service": SERVICE,
        "method": "POST" if body else "GET",
        "path": "/ettevotted/1",
        "peer": DE,
    }
    async with AuditLog.sqlite(db) as log:
        other = {**common, "exchange_id": "another", "time": AuditRecord.now()}
        await log.append(AuditRecord(kind="request", digest=body_digest(b""), **other))
        await log.append(
            AuditRecord(
                kind="request",
                time=AuditRecord.now(),
                digest=body_digest(body),
                signature=request_token,
                nonce="n-1",
                signed_headers=_signed_headers(request_payload, signed),
                **common,
            )
        )
        await log.append(
            AuditRecord(
                kind="response",
                time=AuditRecord.now(),
                digest=body_digest(answer),
                signature=response_token,
                status=status,
                duration_ms=1.5,
                signed_headers=_signed_headers(response_payload, signed),
                **common,
            )
        )
        await log.sign_tree_head(TreeHeadSigner(ee.key, ee.cert, EE))
    return Exchange(exchange_id, request_payload, response_payload)


def _signed_headers(payload: bytes, signed: bool) -> tuple[tuple[str, str], ...] | None:
    read = read_signing_input(payload) if signed else None
    return read[1] if read is not None else None


@pytest.fixture(scope="module")
def fed() -> Federation:
    return Federation.create()


async def bundle_of(tmp_path: Path, fed: Federation, **kwargs: Any) -> tuple[bytes, Exchange]:
    db = tmp_path / "audit.sqlite"
    exchange = await log_exchange(db, fed, **kwargs)
    proven = await prove_exchange(
        db, exchange.exchange_id, [("test", fed.directory())], [fed.operator.cert]
    )
    return proven.data, exchange


def changed(data: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    document: dict[str, Any] = json.loads(data)
    change(document)
    return encode_bundle(document)


def fails(data: bytes, fed: Federation, check: str, reason: str) -> None:
    with pytest.raises(BundleError) as caught:
        check_bundle(data, [fed.operator.cert])
    assert (caught.value.check, reason in caught.value.reason) == (check, True), caught.value


async def test_a_bundle_proves_the_exchange_and_nothing_else(tmp_path: Path, fed: Federation):
    data, exchange = await bundle_of(tmp_path, fed)
    report = check_bundle(data, [fed.operator.cert])
    assert report.exchange_id == exchange.exchange_id and report.member == EE
    assert [m.leaf_index for m in report.messages] == [1, 2]  # record 0 is another exchange
    assert [(m.signer, m.signature) for m in report.messages] == [
        (DE, "verified"),
        (EE, "certificate checked, signature value not verified"),
    ]
    assert report.tree_head.tree_size == 3
    document = json.loads(data)
    assert document["records"][0]["signed_payload"] == exchange.request_payload.decode()
    assert set(document["certificates"]) == {kid(fed.signing[DE].cert), kid(fed.signing[EE].cert)}


async def test_a_signed_payload_the_record_does_not_rebuild_is_verified_when_given(
    tmp_path: Path, fed: Federation
):
    # A POST with a body: the record keeps no content type, so prove cannot rebuild it.
    data, exchange = await bundle_of(tmp_path, fed, body=b'{"q": 1}')
    document = json.loads(data)
    assert [r["signed_payload"] for r in document["records"]] == [None, None]

    # Given the exact payloads (the header values the record lacks), both verify.
    def give(document: dict[str, Any]) -> None:
        document["records"][0]["signed_payload"] = exchange.request_payload.decode()
        document["records"][1]["signed_payload"] = exchange.response_payload.decode()

    report = check_bundle(changed(data, give), [fed.operator.cert])
    assert [m.signature for m in report.messages] == ["verified", "verified"]

    # A payload that is not the record's message, or that the signature does not cover.
    def other_path(document: dict[str, Any]) -> None:
        give(document)
        payload = document["records"][0]["signed_payload"]
        document["records"][0]["signed_payload"] = payload.replace("/ettevotted/1", "/x/2")

    fails(changed(data, other_path), fed, "signatures", "is not the record's message")

    def other_request_id(document: dict[str, Any]) -> None:
        give(document)
        lines = document["records"][1]["signed_payload"].split("\n")
        lines = [f"x-road-request-id:{uuid.uuid4()}" if "request-id" in x else x for x in lines]
        document["records"][1]["signed_payload"] = "\n".join(lines)

    fails(changed(data, other_request_id), fed, "signatures", "signature does not verify")


@pytest.mark.parametrize("status", [200, 504])
async def test_records_with_signed_headers_verify_every_signature(
    tmp_path: Path, fed: Federation, status: int
):
    # A POST with a body and X-Road-UserId; an answer with X-Road-Request-Hash (and
    # X-Road-Error for the refusal): every signature value verified from the records alone.
    data, exchange = await bundle_of(tmp_path, fed, body=b'{"q": 1}', signed=True, status=status)
    report = check_bundle(data, [fed.operator.cert])
    assert [(m.signer, m.signature) for m in report.messages] == [
        (DE, "verified"),
        (EE, "verified"),
    ]
    document = json.loads(data)
    records = [json.loads(r["record"]) for r in document["records"]]
    assert ["x-road-userid", "EE:42"] in records[0]["signed_headers"]
    assert ["content-type", "application/json"] in records[0]["signed_headers"]
    assert any(n == "x-road-request-hash" for n, _ in records[1]["signed_headers"])
    error = ["x-road-error", "Server.ServerProxy.NetworkError"]
    assert (error in records[1]["signed_headers"]) == (status >= 400)
    assert [r["signed_payload"] for r in document["records"]] == [
        exchange.request_payload.decode(),
        exchange.response_payload.decode(),
    ]

    # An edited header line: the record is no longer the logged leaf.
    def edit(document: dict[str, Any]) -> None:
        record = json.loads(document["records"][0]["record"])
        record["signed_headers"] = [
            [n, "EE:43" if n == "x-road-userid" else v] for n, v in record["signed_headers"]
        ]
        document["records"][0]["record"] = AuditRecord(**record).canonical().decode()

    fails(changed(data, edit), fed, "inclusion", "")

    # A signed_payload that is not what the record rebuilds.
    def other_payload(document: dict[str, Any]) -> None:
        payload = document["records"][1]["signed_payload"]
        document["records"][1]["signed_payload"] = payload.replace("EE/GOV", "FI/GOV")

    fails(changed(data, other_payload), fed, "signatures", "not the payload its record rebuilds")


async def test_an_edited_signed_header_fails_the_signature(tmp_path: Path, fed: Federation):
    # Even a log whose record was edited before it was logged (so the leaf holds): the
    # signature over the rebuilt payload fails.
    db = tmp_path / "audit.sqlite"
    exchange = await log_exchange(db, fed, body=b"{}", signed=True)
    async with AuditLog.sqlite(db) as log:
        records = await log.records(exchange.exchange_id)
    request = records[0]
    assert request.signed_headers is not None
    edited = tuple((n, "EE:43" if n == "x-road-userid" else v) for n, v in request.signed_headers)
    other = tmp_path / "other.sqlite"
    async with AuditLog.sqlite(other) as log:
        await log.append(_replace_record(request, signed_headers=edited))
        await log.sign_tree_head(TreeHeadSigner(fed.signing[EE].key, fed.signing[EE].cert, EE))
    with pytest.raises(AuditError, match="signature does not verify"):
        await prove_exchange(
            other, exchange.exchange_id, [("test", fed.directory())], [fed.operator.cert]
        )


async def test_an_old_format_log_verifies_and_says_what_is_not_verifiable(
    tmp_path: Path, fed: Federation
):
    # Records written before signed_headers existed, next to new ones in the same log.
    db = tmp_path / "audit.sqlite"
    old = await log_exchange(db, fed, body=b"{}")
    new = await log_exchange(db, fed, body=b"{}", signed=True)
    async with AuditLog.sqlite(db) as log:
        old_records = await log.records(old.exchange_id)
    assert all(r.signed_headers is None for r in old_records)
    assert all(b"signed_headers" not in r.canonical() for r in old_records)
    result = await verify_sqlite(db)
    assert result.ok and result.count == 6, result
    directories = [("test", fed.directory())]
    for exchange, expected in (
        (old, ["certificate checked, signature value not verified"] * 2),
        (new, ["verified", "verified"]),
    ):
        proven = await prove_exchange(db, exchange.exchange_id, directories, [fed.operator.cert])
        assert [m.signature for m in proven.report.messages] == expected
    old_proven = await prove_exchange(db, old.exchange_id, directories, [fed.operator.cert])
    assert old_proven.report.summary().count("the record keeps no signed_headers") == 2


def test_signed_headers_are_written_only_when_present():
    record = AuditRecord(
        exchange_id="x-1",
        kind="request",
        direction="outbound",
        time="2026-11-28T02:05:11.123456Z",
        client=CLIENT,
        service=SERVICE,
        method="GET",
        path="/a",
        digest=body_digest(b""),
    )
    assert b"signed_headers" not in record.canonical()
    with_lines = _replace_record(record, signed_headers=(("x-road-id", "x-1"),))
    data = with_lines.canonical()
    assert b'"signed_headers":[["x-road-id","x-1"]]' in data
    assert AuditRecord.from_canonical(data) == with_lines
    assert AuditRecord.from_canonical(record.canonical()) == record
    explicit_null = record.canonical()[:-1] + b',"signed_headers":null}'
    with pytest.raises(ValueError, match="leave it out"):
        AuditRecord.from_canonical(explicit_null)
    assert _replace_record(record, signed_headers=(("a:b", "c"),)).problem() is not None


def _replace_record(record: AuditRecord, **changes: Any) -> AuditRecord:
    values = {name: getattr(record, name) for name in record.__dataclass_fields__}
    values.update(changes)
    return AuditRecord(**values)


def test_only_bodiless_requests_rebuild_from_the_record():
    record = AuditRecord(
        exchange_id="x-1",
        kind="request",
        direction="outbound",
        time=AuditRecord.now(),
        client=CLIENT,
        service=SERVICE,
        method="get",
        path="/a?b=1",
        digest=body_digest(b""),
    )
    payload = rebuild_payload(record)
    assert payload == (
        b"xgw-hop/1 request\nGET\n/r1/EE/GOV/70000310/ariregister/ettevotted/a?b=1\n"
        b"x-road-client:DE/GOV/05974028/gewerbeamt\nx-road-id:x-1\ncontent-type:\n"
        + body_digest(b"").encode()
    )
    check_payload(record, payload)
    with pytest.raises(ValueError, match="not the record's message"):
        check_payload(record, payload.replace(b"b=1", b"b=2"))
    without_id = payload.replace(b"x-road-id:x-1\n", b"")
    with pytest.raises(ValueError, match="no line x-road-id:x-1"):
        check_payload(record, without_id)
    with pytest.raises(ValueError, match="no header"):
        check_payload(record, payload.replace(b"content-type:", b"content-type"))
    assert rebuild_payload(_replace(record, digest=body_digest(b"x"))) is None
    assert rebuild_payload(_replace(record, kind="response", status=200)) is None


def _replace(record: AuditRecord, **changes: Any) -> AuditRecord:
    fields = json.loads(record.canonical())
    fields.update(changes)
    return AuditRecord(**fields)


async def test_a_request_signed_by_the_wrong_member_fails(tmp_path: Path, fed: Federation):
    # EE's key signed what DE's gateway should have: prove refuses, and so does check.
    db = tmp_path / "audit.sqlite"
    exchange = await log_exchange(db, fed, request_signer=EE)
    with pytest.raises(AuditError, match="not of DE/GOV/05974028"):
        await prove_exchange(
            db, exchange.exchange_id, [("test", fed.directory())], [fed.operator.cert]
        )


async def test_a_revoked_or_unlisted_signer_fails(tmp_path: Path, fed: Federation):
    data, _ = await bundle_of(tmp_path, fed)
    serial = format(fed.signing[DE].cert.serial_number, "x")
    revoked = fed.directory(revoked=[{"serial": serial, "reason": "keyCompromise"}])

    def with_directory(token: str) -> Callable[[dict[str, Any]], None]:
        return lambda document: document.__setitem__("directory", token)

    fails(changed(data, with_directory(revoked)), fed, "signatures", "is revoked")
    stranger = Federation.create()  # the same members, other keys, the same operator
    stranger.operator, stranger.ca = fed.operator, fed.ca
    unlisted = stranger.directory()
    fails(changed(data, with_directory(unlisted)), fed, "certificates", "is not a signing")
    expired = fed.directory(
        issued=format_timestamp(datetime.now(UTC) - timedelta(days=2)),
        expires=format_timestamp(datetime.now(UTC) - timedelta(days=1)),
    )
    fails(changed(data, with_directory(expired)), fed, "directory", "expired")


async def test_certificates_must_be_exactly_those_signatures_name(tmp_path: Path, fed: Federation):
    data, _ = await bundle_of(tmp_path, fed)
    de_kid = kid(fed.signing[DE].cert)
    fails(changed(data, lambda d: d["certificates"].pop(de_kid)), fed, "certificates", "no cert")
    operator = certificate_to_pem(fed.operator.cert)
    fails(
        changed(data, lambda d: d["certificates"].__setitem__(kid(fed.operator.cert), operator)),
        fed,
        "certificates",
        "signed nothing in the bundle",
    )


async def test_spare_bits_in_base64_do_not_pass(tmp_path: Path, fed: Federation):
    data, _ = await bundle_of(tmp_path, fed)
    document = json.loads(data)
    head, payload, signature = document["tree_head"].split(".")
    # 64 signature bytes are 86 characters: the last one carries 4 bits nobody reads.
    last = b64url(b64url_decode(signature))[-1]
    alias = next(
        c
        for c in "AEIMQUYcgkosw048"
        if c != last and b64url_decode(signature[:-1] + c) == b64url_decode(signature)
    )

    def spare(document: dict[str, Any]) -> None:
        document["tree_head"] = f"{head}.{payload}.{signature[:-1]}{alias}"

    fails(changed(data, spare), fed, "tree head", "not canonical base64url")


async def test_prove_refuses_what_it_cannot_prove(tmp_path: Path, fed: Federation):
    db = tmp_path / "audit.sqlite"
    exchange = await log_exchange(db, fed)
    anchors = [fed.operator.cert]
    with pytest.raises(AuditError, match="no records of exchange 'nobody'"):
        await prove_exchange(db, "nobody", [("test", fed.directory())], anchors)
    with pytest.raises(AuditError, match=r"no kept directory .* tried: none kept"):
        await prove_exchange(db, exchange.exchange_id, [], anchors)
    # A record appended after the last tree head: without a signer, prove says what to do.
    async with AuditLog.sqlite(db) as log:
        late = AuditRecord(
            exchange_id="late",
            kind="request",
            direction="inbound",
            time=AuditRecord.now(),
            client=CLIENT,
            service=SERVICE,
            method="GET",
            path="/",
            digest=body_digest(b""),
        )
        await log.append(late)
    with pytest.raises(AuditError, match="record 3 is not covered by a signed tree head"):
        await prove_exchange(db, "late", [("test", fed.directory())], anchors)
    ee = fed.signing[EE]
    proven = await prove_exchange(
        db, "late", [("test", fed.directory())], anchors, signer=TreeHeadSigner(ee.key, ee.cert, EE)
    )
    assert proven.notes == ("signed tree head #2 of 4 records",)
    assert check_bundle(proven.data, anchors).messages[0].signature == "unsigned"


async def test_prove_takes_the_highest_kept_directory_in_force(tmp_path: Path, fed: Federation):
    db = tmp_path / "audit.sqlite"
    exchange = await log_exchange(db, fed)
    history = tmp_path / HISTORY_DIR
    history.mkdir()
    for sequence in (3, 5, 4):
        (history / f"{sequence}.jws").write_text(fed.directory(sequence) + "\n")
    later = datetime.now(UTC) + timedelta(hours=2)
    issued, expires = format_timestamp(later), format_timestamp(later + timedelta(hours=1))
    (history / "9.jws").write_text(fed.directory(9, issued=issued, expires=expires))
    (history / "notes.txt").write_text("not a directory")
    candidates = directory_candidates(history)
    assert [Path(where).name for where, _ in candidates] == ["3.jws", "4.jws", "5.jws", "9.jws"]
    proven = await prove_exchange(db, exchange.exchange_id, candidates, [fed.operator.cert])
    assert proven.report.directory.sequence == 5  # 9 was issued after the exchange
