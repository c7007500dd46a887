"""The audit log's per-record work, as trimmed for speed, gives what the plain ways give.

A record's canonical bytes and time, the signing input read in a loop, and the body kept
when the fallback is looked at first.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from gateway.audit.bodies import BodyVault
from gateway.audit.body_policy import BodyRule, BodyRules
from gateway.audit.hop_payload import read_signing_input
from gateway.audit.record import AuditRecord
from gateway.signing import body_digest, request_signing_input, response_signing_input
from gateway.storage.base import BODY_KEPT, BODY_OVER_LIMIT, BODY_UNAVAILABLE
from tests.unit.audit.audit_support import make_record

HEADERS = (("x-road-client", "DE/GOV/05974028/gewerbeamt"), ("content-type", "text/plain"))


@pytest.mark.parametrize("signed_headers", [None, HEADERS, ()])
@pytest.mark.parametrize("i", [0, 1])
def test_canonical_bytes_are_those_of_the_sorted_keys(i, signed_headers):
    record = make_record(i, signed_headers=signed_headers, notes="a\nb", duration_ms=1.5)
    values = {name: getattr(record, name) for name in record.__slots__}
    if signed_headers is None:
        del values["signed_headers"]
    assert record.canonical() == orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
    assert AuditRecord.from_canonical(record.canonical()) == record


def test_now_is_the_current_utc_time_with_microseconds():
    before = datetime.now(UTC).replace(microsecond=0)
    times = [AuditRecord.now() for _ in range(1000)]
    after = datetime.now(UTC)
    pattern = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
    assert all(pattern.fullmatch(t) for t in times)
    parsed = [datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) for t in times]
    assert all(before <= p <= after + timedelta(milliseconds=1) for p in parsed)


def test_read_signing_input_splits_each_line_at_its_first_colon():
    lines = (("x-road-id", "a:b"), ("x-road-client", "DE/GOV/1/x"), ("Content-Type", "x/y"))
    digest = body_digest(b"body")
    request = request_signing_input("get", "/r1/EE/GOV/1/s/c/p", lines, digest)
    assert read_signing_input(request) == (
        None,
        (("x-road-client", "DE/GOV/1/x"), ("x-road-id", "a:b"), ("content-type", "x/y")),
    )
    response = response_signing_input(404, lines, digest)
    assert read_signing_input(response) == (
        404,
        (("x-road-client", "DE/GOV/1/x"), ("x-road-id", "a:b"), ("content-type", "x/y")),
    )
    assert read_signing_input(b"xgw-hop/1 response\n200\n\xff\nd") is None


def vault(max_bytes: int = 1 << 20) -> BodyVault:
    return BodyVault(object(), BodyRules(BodyRule(30.0)), max_bytes)  # type: ignore[arg-type]


def test_the_body_whose_digest_is_the_records_is_kept_whichever_it_is():
    signed, rendered = b"signed", b"re-rendered"
    record = make_record(1, digest=body_digest(signed))
    for body, fallback in ((rendered, signed), (signed, rendered), (signed, None)):
        kept = vault().take(record, body, fallback)
        assert kept is not None and kept.status == BODY_KEPT and kept.plaintext == signed
    missing = vault().take(record, rendered)
    assert missing is not None and missing.status == BODY_UNAVAILABLE
    empty = body_digest(b"")
    assert vault().take(make_record(0, digest=empty), b"", b"other") is None


def test_over_the_limit_the_marker_names_the_bodys_size_first():
    record = make_record(1, digest=body_digest(b"neither"))
    both = vault(max_bytes=4).take(record, b"123456", b"12345")
    assert both is not None and (both.status, both.size) == (BODY_OVER_LIMIT, 6)
    fallback_only = vault(max_bytes=4).take(record, b"123", b"12345")
    assert fallback_only is not None and (fallback_only.status, fallback_only.size) == (
        BODY_OVER_LIMIT,
        5,
    )
    signed = b"ok"
    record = make_record(1, digest=body_digest(signed))
    kept = vault(max_bytes=4).take(record, b"123456", signed)
    assert kept is not None and kept.status == BODY_KEPT and kept.plaintext == signed
