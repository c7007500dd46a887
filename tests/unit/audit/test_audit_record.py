"""The audit record and its canonical form."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.audit import AuditRecord
from gateway.audit.record import FIELD_NAMES, OPTIONAL_FIELDS, check_fields


def make_record(**overrides: Any) -> AuditRecord:
    values: dict[str, Any] = {
        "exchange_id": str(uuid.uuid4()),
        "kind": "request",
        "direction": "outbound",
        "time": "2026-11-28T02:05:11.123456Z",
        "client": "DE/GOV/05974028/gewerbeamt",
        "service": "EE/GOV/70000310/ariregister/detailandmed_v2",
        "method": "GET",
        "path": "/companies/12345678?lang=et",
        "digest": "sha-256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
    }
    values.update(overrides)
    return AuditRecord(**values)


def test_canonical_is_compact_sorted_json_with_every_field():
    record = make_record(status=200, duration_ms=12.5)
    data = record.canonical()
    parsed = json.loads(data)
    assert list(parsed) == sorted(FIELD_NAMES - OPTIONAL_FIELDS)  # signed_headers: when present
    assert parsed["signature"] is None
    assert parsed["status"] == 200
    assert parsed["duration_ms"] == 12.5
    assert b" " not in data.replace(b"DE/GOV", b"")  # no whitespace between tokens
    assert data.startswith(b'{"client":"DE/GOV/05974028/gewerbeamt","digest":')


@pytest.mark.parametrize(
    "path",
    [
        "/plain",
        '/quote"back\\slash',
        "/ctl\x00\x01\x1f\t\n\r\b\f",
        "/Ümlaut/ö/€/😀",
        "/del\x7f/\u2028/",
    ],
)
def test_canonical_equals_the_documented_stdlib_recipe(path):
    # docs/audit-log.md tells outsiders to rebuild the bytes exactly like this.
    for signed in (None, (("x-road-userid", path), ("content-type", "text/plain"))):
        record = make_record(
            path=path,
            nonce="n",
            status=404,
            duration_ms=1234.567,
            error_type="X",
            signed_headers=signed,
        )
        values = dataclasses.asdict(record)
        if values["signed_headers"] is None:  # written only when present
            del values["signed_headers"]
        recipe = json.dumps(
            values, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
        assert record.canonical() == recipe


def test_from_canonical_round_trips():
    record = make_record(kind="response", status=500, duration_ms=3.25, error_type="Server.X")
    assert AuditRecord.from_canonical(record.canonical()) == record


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"client": "x"}', "missing"),
    ],
)
def test_from_canonical_rejects_what_is_not_a_record(data, message):
    with pytest.raises(ValueError, match=message):
        AuditRecord.from_canonical(data)


def test_check_fields_names_an_unexpected_field():
    parsed = json.loads(make_record().canonical())
    parsed["extra"] = 1
    with pytest.raises(ValueError, match="unexpected \\['extra'\\]"):
        check_fields(parsed)


def test_now_is_utc_with_microseconds():
    text = AuditRecord.now()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", text)
    parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - parsed) < timedelta(seconds=5)


def test_a_good_record_has_no_problem():
    assert make_record().problem() is None
    assert make_record(status=200, duration_ms=3, nonce="n", peer="p").problem() is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"time": "2026-11-28T02:05:11Z"}, "time"),
        ({"time": "2026-11-28 02:05:11.123456+00:00"}, "time"),
        ({"kind": "event"}, "kind"),
        ({"direction": "sideways"}, "direction"),
        ({"duration_ms": float("nan")}, "finite"),
        ({"status": True}, "'status' has type bool"),
        ({"exchange_id": uuid.uuid4()}, "'exchange_id' has type UUID"),
        ({"nonce": b"bytes"}, "'nonce' has type bytes"),
    ],
)
def test_problem_names_what_is_wrong(overrides, message):
    problem = make_record(**overrides).problem()
    assert problem is not None
    assert message in problem
