"""Evidence bundles of real exchanges through two gateways, checked offline.

``xgw audit prove`` and ``xgw audit check`` run in-process (``gateway.cli.main``); the
check gets the bundle file and the operator's certificate and nothing else. Bundles
are changed here the way someone who wants to deceive would: one byte anywhere, a
directory that never listed the signer, a record edited in the database after its
tree head was signed.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from gateway._crypto import certificate_to_pem, kid
from gateway.audit.bundle import BundleError, check_bundle, encode_bundle
from gateway.directory import inspect_token, sign_directory
from gateway.directory_manager import HISTORY_DIR
from gateway.node import DIRECTORY_CACHE
from gateway.pki import CertificateAuthority, Usage
from tests.integration.federation import SERVICE, Harness, call
from tests.integration.test_audit_tamper import db_of, xgw
from tests.integration.test_audit_tree import write_config
from tests.unit.audit.audit_support import records_of, rewrite_from

GET_ID = "evidence-get"
POST_ID = "evidence-post"


async def exchanges(fed: Harness) -> None:
    """A GET (its request signature rebuilds from the record) and a POST with a body."""
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        client = fed.client_id("DE")
        got = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/ettevotted/12345678",
            headers={"X-Road-Client": client, "X-Road-Id": GET_ID},
        )
        posted = await call(
            http,
            "POST",
            f"{de.client_url}/r1/{SERVICE}/echo/meldung",
            headers={
                "X-Road-Client": client,
                "X-Road-Id": POST_ID,
                "Content-Type": "application/json",
            },
            data=b'{"betrieb": "Schreinerei"}',
        )
    assert (got.status, posted.status) == (200, 200)


def data_dir(fed: Harness, key: str) -> Path:
    return db_of(fed, key).parent


async def prove(fed: Harness, key: str, exchange_id: str, out: Path, *extra: str) -> int:
    return await xgw(
        "audit",
        "prove",
        exchange_id,
        "-o",
        str(out),
        "--config",
        str(write_config(fed, key)),
        *extra,
    )


async def check(fed: Harness, bundle: Path, anchor: Path | None = None) -> int:
    return await xgw(
        "audit", "check", str(bundle), "--trust-anchor", str(anchor or fed.operator_cert)
    )


def load(bundle: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(bundle.read_bytes())
    return document


def records_in(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(entry["record"]) for entry in document["records"]]


async def test_bundles_from_both_gateways_check_offline(
    fed: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    await exchanges(fed)
    de, ee = fed.members["DE"], fed.members["EE"]
    for key, direction in (("DE", "outbound"), ("EE", "inbound")):
        for exchange_id in (GET_ID, POST_ID):
            bundle = tmp_path / f"{key}-{exchange_id}.json"
            assert await prove(fed, key, exchange_id, bundle) == 0, capsys.readouterr()
            assert "checks out" in capsys.readouterr().out

            document = load(bundle)
            records = records_in(document)
            assert [(r["kind"], r["direction"]) for r in records] == [
                ("request", direction),
                ("response", direction),
            ]
            assert {r["exchange_id"] for r in records} == {exchange_id}
            # The certificates are the tree head's signer and the two hop signers, each
            # exactly as the operator's directory lists it.
            signer = fed.members[key].signing.cert
            assert set(document["certificates"]) == {kid(de.signing.cert), kid(ee.signing.cert)}
            assert kid(signer) in document["certificates"]
            assert document["directory"] == fed.directory_path.read_text().strip()
            # An outside checker can rebuild the exact bytes with the standard library.
            rebuilt = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            assert rebuilt.encode("utf-8") == bundle.read_bytes()

            assert await check(fed, bundle) == 0
            out = capsys.readouterr().out
            assert f"{bundle}: OK, every check holds" in out
            assert f"log        {fed.members[key].id}: tree head of" in out
            # Every record keeps the header lines its signature covers: both signature
            # values verified on both logs, the POST's content type included.
            assert out.count("signature verified") == 2, out
            assert "NOT verified" not in out, out
            assert [r["signed_headers"][-1][0] for r in records] == ["content-type"] * 2
            assert f"signed by {de.id}" in out and f"signed by {ee.id}" in out


async def test_optional_headers_and_refusals_verify_offline(
    fed: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    # A POST with a body and X-Road-UserId, and a provider's refusal (its backend timed
    # out): the X-Road-Error, X-Road-Request-Hash and content type lines are signed too.
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        client = fed.client_id("DE")
        posted = await call(
            http,
            "POST",
            f"{de.client_url}/r1/{SERVICE}/echo/antrag",
            headers={
                "X-Road-Client": client,
                "X-Road-Id": "evidence-userid",
                "X-Road-UserId": "DE:beamtin-7",
                "X-Road-Issue": "Antrag 2026/17",
                "Content-Type": "application/json",
            },
            data=b'{"antrag": 17}',
        )
        refused = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/slow",
            headers={"X-Road-Client": client, "X-Road-Id": "evidence-refused"},
        )
    assert posted.status == 200 and refused.status >= 500
    for key in ("DE", "EE"):
        for exchange_id in ("evidence-userid", "evidence-refused"):
            bundle = tmp_path / f"{key}-{exchange_id}.json"
            assert await prove(fed, key, exchange_id, bundle) == 0, capsys.readouterr()
            capsys.readouterr()
            request, response = records_in(load(bundle))
            report = check_bundle(bundle.read_bytes(), [fed.operator.cert])
            assert [m.signature for m in report.messages] == ["verified", "verified"]
            names = [name for name, _ in response["signed_headers"]]
            assert "x-road-request-hash" in names and "x-road-request-id" in names
            if exchange_id == "evidence-userid":
                assert ["x-road-userid", "DE:beamtin-7"] in request["signed_headers"]
                assert ["x-road-issue", "Antrag 2026/17"] in request["signed_headers"]
                assert ["content-type", "application/json"] in request["signed_headers"]
            else:
                assert ("x-road-error" in names) and response["status"] == refused.status
            assert await check(fed, bundle) == 0
            assert capsys.readouterr().out.count("signature verified") == 2


async def test_every_changed_byte_fails_the_check(fed: Harness, tmp_path: Path):
    await exchanges(fed)
    bundle = tmp_path / "get.json"
    assert await prove(fed, "EE", GET_ID, bundle) == 0
    data = bundle.read_bytes()
    anchors = [fed.operator.cert]
    report = check_bundle(data, anchors)  # the original holds
    assert [m.signature for m in report.messages] == ["verified", "verified"]
    # Every byte outside the PEM and JWS bodies, and every 7th within them (base64 runs
    # behave alike; the ends of each JWS segment, where spare bits hide, are all taken).
    # Each position gets one change: a neighbouring character or a flipped low bit.
    failed_checks: set[str] = set()
    for n, position in enumerate(_dense_positions(data.decode("ascii"), load(bundle))):
        changed = bytearray(data)
        changed[position] = _neighbour(data[position]) if n % 2 else data[position] ^ 0x01
        with pytest.raises(BundleError) as caught:
            check_bundle(bytes(changed), anchors)
        failed_checks.add(caught.value.check)
    # Whitespace between tokens is caught as well: one more space, one tab for a space.
    with pytest.raises(BundleError, match="canonical form"):
        check_bundle(data.replace(b'": ', b'":  ', 1), anchors)
    with pytest.raises(BundleError, match="canonical form"):
        check_bundle(data.replace(b"\n  ", b"\n\t ", 1), anchors)
    assert failed_checks >= {"file", "records", "directory", "certificates", "tree head"}
    assert failed_checks >= {"inclusion", "signatures"}


def _dense_positions(text: str, document: dict[str, Any]) -> list[int]:
    """Every position, but inside long base64 runs (the directory, the tree head, the
    PEM certificates) only every 7th, and always the six characters at either end of a
    value and two either side of each ``.`` between JWS segments."""
    skipped: set[int] = set()
    for value in [document["directory"], document["tree_head"], *document["certificates"].values()]:
        encoded = json.dumps(value, ensure_ascii=False)[1:-1]
        start = text.index(encoded)
        kept = {start + i + d for i, c in enumerate(encoded) if c == "." for d in range(-2, 3)}
        skipped |= {
            p
            for p in range(start + 6, start + len(encoded) - 6)
            if (p - start) % 7 and p not in kept
        }
    return [p for p in range(len(text)) if p not in skipped]


def _neighbour(byte: int) -> int:
    """The next character of the same kind (a letter stays a letter), else the one before."""
    return byte + 1 if chr(byte).isalnum() and chr(byte + 1).isalnum() else byte - 1


async def test_a_wrong_trust_anchor_fails(
    fed: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    await exchanges(fed)
    bundle = tmp_path / "get.json"
    assert await prove(fed, "DE", GET_ID, bundle) == 0
    capsys.readouterr()
    other = CertificateAuthority.create("another federation").issue(
        "another operator", usage=Usage.SIGNING
    )
    other_path, _ = other.write(tmp_path / "other-operator")
    assert await check(fed, bundle, other_path) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{bundle}: FAILED: directory: ") and "signed by an unknown key" in out
    # The gateway's own signing certificate is no trust anchor either.
    sign_path = fed.members["DE"].dir / "sign.pem"
    assert await check(fed, bundle, sign_path) == 1
    assert "FAILED: directory: " in capsys.readouterr().out


def _directory_without(fed: Harness, key: str) -> str:
    """A valid directory, signed by the operator, listing another signing certificate for
    member ``key`` (as if the exchange's signer had never been listed)."""
    stranger = fed.ca.issue(fed.members[key].id, usage=Usage.SIGNING)
    _, document = inspect_token(fed.directory_path.read_text())
    for member in document["members"]:
        if member["id"] == fed.members[key].id:
            member["signing_certificates"] = [certificate_to_pem(stranger.cert)]
    document["sequence"] = fed.sequence + 10
    return sign_directory(document, fed.operator.key, fed.operator.cert)


async def test_a_directory_that_did_not_list_the_signer_fails(
    fed: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    await exchanges(fed)
    bundle = tmp_path / "get.json"
    assert await prove(fed, "DE", GET_ID, bundle) == 0
    capsys.readouterr()
    document = load(bundle)
    document["directory"] = _directory_without(fed, "EE")
    forged = tmp_path / "forged.json"
    forged.write_bytes(encode_bundle(document))  # canonical again: only the directory differs
    assert await check(fed, forged) == 1
    out = capsys.readouterr().out
    ee_kid = kid(fed.members["EE"].signing.cert)
    assert f"FAILED: certificates: certificate {ee_kid}" in out
    assert "is not a signing certificate listed in directory sequence" in out

    # prove itself finds no directory that listed EE's certificate, and says so.
    for kept in (data_dir(fed, "DE") / HISTORY_DIR).iterdir():
        kept.unlink()
    (data_dir(fed, "DE") / DIRECTORY_CACHE).unlink()
    only = tmp_path / "only.jws"
    only.write_text(_directory_without(fed, "EE"))
    assert await prove(fed, "DE", GET_ID, tmp_path / "none.json", "--directory", str(only)) == 1
    err = capsys.readouterr().err
    assert "no kept directory was valid at the exchange's time and lists" in err
    assert not (tmp_path / "none.json").exists()


async def test_a_record_edited_after_the_tree_head_is_refused(
    fed: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    await exchanges(fed)
    db = db_of(fed, "DE")
    records = records_of(db)
    index = next(i for i, r in enumerate(records) if json.loads(r)["exchange_id"] == GET_ID)
    edited = json.loads(records[index])
    edited["path"] = "/ettevotted/87654321"
    data = json.dumps(edited, sort_keys=True, separators=(",", ":")).encode()

    # Only the record changed: its leaf no longer gives the signed root.
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE audit_entries SET record = ? WHERE seq = ?", (data, index))
    assert await prove(fed, "DE", GET_ID, tmp_path / "a.json") == 1
    err = capsys.readouterr().err
    assert "the log does not prove this exchange" in err and "run xgw audit verify" in err
    assert not (tmp_path / "a.json").exists()

    # Every hash after it recomputed, as an intruder who knows the format would: the
    # signed tree head still holds the old root.
    rewrite_from(db, [*records[:index], data, *records[index + 1 :]], index)
    assert await prove(fed, "DE", GET_ID, tmp_path / "b.json") == 1
    assert "the log does not prove this exchange" in capsys.readouterr().err

    # And a bundle whose record was changed after proving fails its check.
    good = tmp_path / "ee.json"
    assert await prove(fed, "EE", GET_ID, good) == 0
    capsys.readouterr()
    document = load(good)
    document["records"][0]["record"] = document["records"][0]["record"].replace(
        "/ettevotted/12345678", "/ettevotted/87654321"
    )
    forged = tmp_path / "forged.json"
    forged.write_bytes(encode_bundle(document))
    assert await check(fed, forged) == 1
    assert "FAILED: inclusion: record" in capsys.readouterr().out


async def test_prove_signs_a_tree_head_when_none_covers_the_exchange(
    fed: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    # While the gateways run (their interval is a minute), nothing covers the exchange.
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/ettevotted/1",
            headers={"X-Road-Client": fed.client_id("DE"), "X-Road-Id": GET_ID},
        )
        assert answer.status == 200
        bundle = tmp_path / "get.json"
        argv = ("audit", "prove", GET_ID, "-o", str(bundle))
        anchor = ("--trust-anchor", str(fed.operator_cert))
        assert await xgw(*argv, "--data-dir", str(data_dir(fed, "DE")), *anchor) == 1
        err = capsys.readouterr().err
        assert "is not covered by a signed tree head" in err and "--config" in err
        assert await xgw(*argv, "--data-dir", str(data_dir(fed, "DE"))) == 2
        assert "--trust-anchor" in capsys.readouterr().err

        assert await prove(fed, "DE", GET_ID, bundle) == 0
        assert "note: signed tree head #1 of 2 records" in capsys.readouterr().out
    assert await check(fed, bundle) == 0
    assert "tree head of 2 records" in capsys.readouterr().out


async def test_the_gateways_keep_every_directory_they_adopted(fed: Harness):
    await exchanges(fed)
    published = fed.directory_path.read_text().strip()
    for key in ("DE", "EE"):
        kept = data_dir(fed, key) / HISTORY_DIR / f"{fed.sequence - 1}.jws"
        assert kept.read_text().strip() == published
