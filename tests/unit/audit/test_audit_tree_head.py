"""Signed tree heads: their bytes as documented, their checks, the schedule that signs them."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from jwt import api_jws

from gateway.audit import (
    AuditLog,
    TreeHeadError,
    TreeHeadSchedule,
    verify_sqlite,
)
from gateway.audit.tree_head import verify_tree_head
from gateway.errors import ConfigError
from gateway.pki import CertificateAuthority, Issued, Usage
from gateway.settings import Settings
from tests.unit.audit.audit_support import MEMBER, make_record, signer_of, signing

ROOT = bytes(range(32))


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create("xgw tree head CA")


@pytest.fixture(scope="module")
def issued(ca: CertificateAuthority) -> Issued:
    return signing(ca)


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def kid_of(issued: Issued) -> str:
    return b64url(hashlib.sha256(issued.cert.public_bytes(Encoding.DER)).digest())


def test_a_tree_head_is_exactly_the_documented_bytes(issued):
    """Checked as an outside verifier would: no xgw code, no JOSE library."""
    signed = signer_of(issued).sign(1042, ROOT, timestamp=1764295511123)
    header_b64, payload_b64, signature_b64 = signed.jws.split(".")
    assert b64url_decode(header_b64) == (
        b'{"alg":"ES256","kid":"' + kid_of(issued).encode() + b'","typ":"xgw-sth+jws"}'
    )
    assert b64url_decode(payload_b64) == (
        b'{"member":"DE/GOV/05974028","root_hash":"' + ROOT.hex().encode() + b'",'
        b'"timestamp":1764295511123,"tree_size":1042}'
    )
    raw = b64url_decode(signature_b64)  # ES256: r || s, 32 bytes each
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
    public_key = issued.cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(der, f"{header_b64}.{payload_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    assert signed.head.time == "2025-11-28T02:05:11.123Z"


def test_a_tree_head_verifies_with_its_certificate(issued):
    signed = signer_of(issued).sign(7, ROOT)
    head = verify_tree_head(signed.jws, {signed.kid: issued.cert})
    assert head == signed.head
    assert (head.tree_size, head.root_hash, head.member) == (7, ROOT, MEMBER)


@pytest.mark.parametrize("kind", ["ed25519", "rsa-3072"])
def test_other_key_types_sign_tree_heads_too(ca, kind):
    issued = ca.issue(MEMBER, usage=Usage.SIGNING, key_kind=kind)
    signed = signer_of(issued).sign(1, ROOT)
    assert verify_tree_head(signed.jws, {signed.kid: issued.cert}).tree_size == 1


def _tampered_payload(jws: str, payload: bytes) -> str:
    header, _, signature = jws.split(".")
    return f"{header}.{b64url(payload)}.{signature}"


def test_what_a_tree_head_check_refuses(issued, ca):
    signer = signer_of(issued)
    signed = signer.sign(7, ROOT)
    trusted = {signed.kid: issued.cert}
    other = signing(ca)

    def refused(token: str, match: str, certs: dict = trusted) -> None:  # type: ignore[type-arg]
        with pytest.raises(TreeHeadError, match=match):
            verify_tree_head(token, certs)

    refused(signed.jws, "unknown certificate", {signer_of(other).kid: other.cert})
    bigger = json.loads(signed.head.payload())
    bigger["tree_size"] = 8
    forged = json.dumps(bigger, sort_keys=True, separators=(",", ":")).encode()
    refused(_tampered_payload(signed.jws, forged), "signature does not verify")
    refused("not.a.jws", "not a JWS")
    refused(signed.jws.replace(".", "", 1), "not a JWS")

    # Signed by the right key but not a tree head, or not canonical: still refused.
    def signed_raw(payload: bytes, typ: str = "xgw-sth+jws") -> str:
        return api_jws.encode(
            payload, issued.key, algorithm="ES256", headers={"kid": signer.kid, "typ": typ}
        )

    refused(signed_raw(signed.head.payload(), typ="JWT"), "not an xgw tree head")
    spaced = json.dumps(json.loads(signed.head.payload()), sort_keys=True).encode()
    refused(signed_raw(spaced), "not in canonical form")
    refused(signed_raw(b'{"tree_size":1}'), "exactly the fields")
    negative = signed.head.payload().replace(b'"tree_size":7', b'"tree_size":-7')
    refused(signed_raw(negative), "non-negative")
    refused(signed_raw(b"[1"), "not JSON")
    late = signer.sign(
        7,
        ROOT,
        timestamp=int((issued.cert.not_valid_after_utc + timedelta(days=1)).timestamp() * 1000),
    )
    refused(late.jws, "outside its certificate's validity")


async def test_the_schedule_signs_when_the_log_grew_and_once_more_at_stop(tmp_path, issued):
    path = tmp_path / "audit.db"
    async with AuditLog.sqlite(path) as log:
        schedule = TreeHeadSchedule(log, signer_of(issued), interval=0.05)
        schedule.start()
        await log.append(make_record(0))
        await _until(lambda: schedule.signed_size == 1)
        await asyncio.sleep(0.2)  # nothing new: no new head
        assert (await log.latest_tree_head()).number == 1  # type: ignore[union-attr]
        await log.append(make_record(1))
        await _until(lambda: schedule.signed_size == 2)
        unchanged = await schedule.sign_now()  # on demand: signed even if nothing changed
        assert unchanged.head.tree_size == 2
        schedule.interval = 3600.0
        await log.append(make_record(2))
        await schedule.stop()
        assert (await log.latest_tree_head()).tree_size == 3  # type: ignore[union-attr]
    result = await verify_sqlite(path, certificates=[issued.cert])
    assert (result.ok, result.tree_heads) == (True, 4)


async def test_a_schedule_that_cannot_store_a_head_keeps_going(tmp_path, issued, caplog):
    path = tmp_path / "audit.db"
    log = AuditLog.sqlite(path)
    await log.open()
    await log.append(make_record(0))
    schedule = TreeHeadSchedule(log, signer_of(issued), interval=3600)
    await log.close()
    await schedule.stop()  # the log is closed: the last head cannot be stored, and says so
    assert "could not sign the audit tree head" in caplog.text


def test_the_interval_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="greater than 0"):
        TreeHeadSchedule(AuditLog.sqlite(tmp_path / "a.db"), None, interval=0)  # type: ignore[arg-type]


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def _config(audit: dict[str, object] | None) -> dict[str, object]:
    config: dict[str, object] = {
        "member": {"id": MEMBER},
        "listen": {"peer": "127.0.0.1:0", "client": "127.0.0.1:0", "client_tls": False},
        "tls": {"certificate": "tls.pem", "key": "tls.key"},
        "signing": {"certificate": "sign.pem", "key": "sign.key"},
        "directory": {"source": "directory.jws", "trust_anchor": "anchor.pem"},
        "security": {"allow_plain_loopback": True},
        "data": {"dir": "data"},
    }
    if audit is not None:
        config["audit"] = audit
    return config


def test_the_audit_section_sets_the_tree_head_interval(tmp_path: Path):
    def load(audit: dict[str, object] | None, env: dict[str, str] | None = None) -> Settings:
        return Settings.from_mapping(_config(audit), base_dir=tmp_path, env=env or {})

    assert load(None).audit.tree_head_interval == 60.0
    assert load({"tree_head_interval": 5}).audit.tree_head_interval == 5.0
    env = {"XGW_AUDIT_TREE_HEAD_INTERVAL": "2.5"}
    assert load(None, env).audit.tree_head_interval == 2.5
    for bad, match in ((0, "greater than 0"), (-1, "not be negative"), ("x", "number")):
        with pytest.raises(ConfigError, match=match) as refused:
            load({"tree_head_interval": bad})
        assert refused.value.key == "audit.tree_head_interval"
    with pytest.raises(ConfigError, match="unknown key"):
        load({"tree_head_intervall": 5})
