"""Operations on real gateways: /metrics after real exchanges, /readyz, expiry warnings, log lines.

The admin listener (which serves /metrics in production) is another module's; here
/metrics is served by an app built with ``operations.add_routes(app, node, metrics=True)``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from gateway._crypto import fingerprint
from gateway.app import Gateway
from gateway.directory import format_timestamp
from gateway.frontends import operations
from gateway.logs import JsonFormatter
from gateway.pki import Usage
from tests.integration.federation import (
    DE,
    EE,
    SERVICE,
    Answer,
    Harness,
    call,
    expired_issue,
    serve_app,
)

NO_CHECK_TIME = 0x200000  # OpenSSL's X509_V_FLAG_NO_CHECK_TIME: the client port's cert expired
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(gateway: Gateway) -> tuple[Samples, str]:
    """The node's /metrics, served as the admin listener will serve it."""
    app = web.Application()
    operations.add_routes(app, gateway.node, metrics=True)
    async with serve_app(app) as url, aiohttp.ClientSession() as http:
        answer = await call(http, "GET", f"{url}/metrics")
    assert answer.status == 200, answer.body
    found = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.body.decode("utf-8"))
        for s in family.samples
    }
    return found, answer.headers["Content-Type"]


def series(found: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: value for (n, labels), value in found.items() if n == name}


def labels(**values: str) -> frozenset[tuple[str, str]]:
    return frozenset(values.items())


async def exchange(
    fed: Harness, de: Gateway, path: str, *, method: str = "GET", **kwargs: Any
) -> Answer:
    headers = {"X-Road-Client": fed.client_id("DE"), **kwargs.pop("headers", {})}
    async with fed.client("DE") as http:
        return await call(http, method, f"{de.client_url}/r1/{path}", headers=headers, **kwargs)


async def readyz(fed: Harness, gateway: Gateway) -> Answer:
    context = fed.client_ssl("DE")
    context.verify_flags = ssl.VerifyFlags(context.verify_flags | NO_CHECK_TIME)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as http:
        return await call(http, "GET", f"{gateway.client_url}/readyz")


def failing(answer: Answer) -> set[str]:
    checks: dict[str, dict[str, Any]] = answer.json()["checks"]
    assert set(checks) == {"directory", "tls_certificate", "signing_certificate", "storage"}
    assert all(isinstance(c["ok"], bool) and isinstance(c["detail"], str) for c in checks.values())
    return {name for name, check in checks.items() if not check["ok"]}


def expired_directory(document: dict[str, Any]) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    document["issued"] = format_timestamp(now - timedelta(hours=2))
    document["expires"] = format_timestamp(now - timedelta(hours=1))
    return document


async def test_metrics_count_the_exchanges_on_both_gateways(fed: Harness):
    async with fed.start() as (de, ee):
        answers = [await exchange(fed, de, f"{SERVICE}/echo/{i}") for i in range(3)]
        # Made-up services: counted, but under one "unknown" label.
        strays = [
            await exchange(fed, de, f"{EE}/ariregister/nosuch/x"),
            await exchange(fed, de, "XX/GOV/1/made/up/x"),
        ]
        de_found, content_type = await scrape(de)
        ee_found, _ = await scrape(ee)
        de_audit = (de.node.audit.size, de.node.audit.commits)
        ee_audit = (ee.node.audit.size, ee.node.audit.commits)
    assert [a.status for a in answers] == [200, 200, 200]
    assert content_type.startswith("text/plain; version=")  # Prometheus text format
    refused = Counter((str(a.status), a.headers["X-Road-Error"]) for a in strays)
    expected_de = {labels(direction="outbound", service=SERVICE, status="200", code="ok"): 3.0}
    for (status, code), count in refused.items():
        key = labels(direction="outbound", service="unknown", status=status, code=code)
        expected_de[key] = float(count)
    assert series(de_found, "xgw_exchanges_total") == expected_de
    assert series(ee_found, "xgw_exchanges_total") == {
        labels(direction="inbound", service=SERVICE, status="200", code="ok"): 3.0
    }
    # The latency histogram counts every exchange.
    assert series(de_found, "xgw_exchange_duration_seconds_count") == {
        labels(direction="outbound"): 5.0,
        labels(direction="inbound"): 0.0,
    }
    assert series(ee_found, "xgw_exchange_duration_seconds_count") == {
        labels(direction="outbound"): 0.0,
        labels(direction="inbound"): 3.0,
    }
    # Every audit record and every commit, as the audit log counts them itself.
    for found, (records, commits) in ((de_found, de_audit), (ee_found, ee_audit)):
        assert records >= 6
        assert found[("xgw_audit_records_total", frozenset())] == records
        assert found[("xgw_audit_commit_seconds_count", frozenset())] == commits >= 1


async def test_metrics_show_when_the_certificates_and_the_directory_end(fed: Harness):
    async with fed.start() as (de, _ee):
        found, _ = await scrape(de)
        directory = de.node.directory.current()
    expiry = series(found, "xgw_certificate_expiry_timestamp_seconds")
    member = fed.members["DE"]
    for role, cert in (
        ("tls", member.tls.cert),
        ("signing", member.signing.cert),
        ("trust_anchor", fed.operator.cert),
        ("client_ca", fed.ca.cert),
    ):
        key = labels(
            role=role,
            fingerprint=fingerprint(cert),
            subject=cert.subject.rfc4514_string(),
        )
        assert expiry[key] == cert.not_valid_after_utc.timestamp(), role
    assert len(expiry) == 4
    assert set(series(found, "xgw_certificate_expiring").values()) == {0.0}
    assert found[("xgw_directory_expiry_timestamp_seconds", frozenset())] == (
        directory.expires.timestamp()
    )
    assert found[("xgw_directory_sequence", frozenset())] == directory.sequence


async def test_metrics_are_not_served_on_the_client_port(fed: Harness):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(http, "GET", f"{de.client_url}/metrics")
    assert answer.status == 405  # only the SOAP front door's "POST to any path" matches
    assert b"xgw_" not in answer.body


async def test_a_node_in_order_is_ready_with_every_check(fed: Harness):
    async with fed.start() as (de, _ee):
        answer = await readyz(fed, de)
        sequence = de.node.directory.current().sequence
    assert answer.status == 200
    assert answer.json()["status"] == "ready"
    assert failing(answer) == set()
    assert answer.json()["directory_sequence"] == sequence
    assert "directory_expires" in answer.json()


async def test_an_expired_own_tls_certificate_makes_the_node_unready(fed: Harness):
    fed.members["DE"].tls = expired_issue(fed.ca, DE, Usage.TLS)
    async with fed.start() as (de, ee):
        unready, ready = await readyz(fed, de), await readyz(fed, ee)
    assert unready.status == 503
    assert unready.json()["status"] == "unready"
    assert failing(unready) == {"tls_certificate"}
    assert "expired at" in unready.json()["checks"]["tls_certificate"]["detail"]
    assert ready.status == 200  # EE's own certificates are in order


async def test_an_expired_directory_makes_the_node_unready(fed: Harness):
    async with fed.start(edit=expired_directory) as (de, _ee):
        answer = await readyz(fed, de)
    assert answer.status == 503
    assert failing(answer) == {"directory"}
    assert "directory_sequence" not in answer.json()


async def test_the_expiry_watch_warns_at_start_about_a_directory_near_its_end(
    fed: Harness, caplog: pytest.LogCaptureFixture
):
    fed.valid_hours = 0.5  # with a refresh interval of an hour: within its window
    caplog.set_level(logging.INFO, logger="gateway.expiry")
    async with fed.start() as (_de, _ee):
        for _ in range(50):
            warnings = [
                r.getMessage()
                for r in caplog.records
                if r.name == "gateway.expiry" and r.levelno == logging.WARNING
            ]
            if len(warnings) >= 2:
                break
            await asyncio.sleep(0.01)
    assert len(warnings) == 2  # one per gateway, nothing about the certificates
    assert all(w.startswith("directory TEST sequence 1 ends ") for w in warnings)


async def test_the_exchange_log_line_carries_no_payload_key_or_token(
    fed: Harness, caplog: pytest.LogCaptureFixture
):
    marker = "PAYLOAD-MARKER-5f1c2d"
    token = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig-7d3e"
    caplog.set_level(logging.DEBUG)
    async with fed.start() as (de, _ee):
        answer = await exchange(
            fed,
            de,
            f"{SERVICE}/echo/logged",
            method="POST",
            data=json.dumps({"name": marker}).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        # The private keys the gateways read: a line of each PEM body must not be logged.
        keys = [
            (m.dir / f"{stem}.key").read_text()
            for m in fed.members.values()
            for stem in ("tls", "sign")
        ]
    assert answer.status == 200 and marker.encode() in answer.body  # it did travel
    plain = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    json_lines = JsonFormatter()
    secrets = [marker, token, *(pem.splitlines()[2] for pem in keys)]
    for record in caplog.records:
        rendered = plain.format(record) + json_lines.format(record) + repr(vars(record))
        for secret in secrets:
            assert secret not in rendered, (record.name, record.getMessage())
    lines = [
        json.loads(json_lines.format(r)) for r in caplog.records if r.name == "gateway.exchange"
    ]
    assert sorted(line["direction"] for line in lines) == ["inbound", "outbound"]
    for line in lines:
        assert set(line) == {
            "time",
            "level",
            "logger",
            "message",
            "exchange_id",
            "direction",
            "client",
            "service",
            "status",
            "code",
            "error_id",
            "duration_ms",
        }
        assert line["level"] == "INFO"
        assert (line["service"], line["status"], line["code"]) == (SERVICE, 200, None)
        assert line["client"] == fed.client_id("DE")
    assert lines[0]["exchange_id"] == lines[1]["exchange_id"]
