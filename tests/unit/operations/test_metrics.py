"""Metrics: exchanges counted with bounded labels, latency, audit commits, expiry at scrape time."""

from __future__ import annotations

import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from gateway._crypto import fingerprint
from gateway.audit.log import AuditLog
from gateway.directory_manager import DirectoryManager
from gateway.errors import AccessDeniedError
from gateway.expiry import held_directory
from gateway.identifiers import ServiceId
from gateway.metrics import MAX_ERROR_TYPES, OTHER, UNKNOWN, Metrics
from gateway.pipeline import Exchange, Reply
from gateway.pki import Usage
from tests.unit.audit.audit_support import make_record
from tests.unit.operations.support import MEMBER, SERVICE, NodeFiles

LISTED = f"{MEMBER}/gewerbeamt/listed"  # in the directory, not configured here


def samples(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the rendered text, by name and labels."""
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body.decode("utf-8"))
        for s in family.samples
    }


def exchange(
    service: str | None,
    *,
    direction: str = "inbound",
    status: int = 200,
    error: Exception | None = None,
    header_error: str | None = None,
    seconds: float = 0.0,
    directory=None,
) -> Exchange:
    ex = Exchange(direction, "GET", "/r1/x", [], b"", None)  # type: ignore[arg-type]
    ex.started = time.perf_counter() - seconds
    ex.service = ServiceId.parse(service) if service else None
    ex.directory = directory
    headers = [("X-Road-Error", header_error)] if header_error else []
    ex.response = Reply(status, headers, b"")
    ex.error = error  # type: ignore[assignment]
    return ex


def counted(metrics: Metrics, **labels: str) -> float:
    key = ("xgw_exchanges_total", frozenset(labels.items()))
    return samples(metrics).get(key, 0.0)


async def test_exchanges_are_counted_by_direction_service_status_and_code(files: NodeFiles):
    files.publish()
    settings = files.settings()
    async with files.manager(settings) as manager:
        metrics = Metrics(settings, manager)
        directory = manager.current()
        for _ in range(3):
            metrics.observe_exchange(exchange(SERVICE))  # configured on this node
        metrics.observe_exchange(exchange(LISTED, direction="outbound", directory=directory))
        denied = AccessDeniedError("no")
        metrics.observe_exchange(exchange(SERVICE, status=500, error=denied))
    assert counted(metrics, direction="inbound", service=SERVICE, status="200", code="ok") == 3
    assert counted(metrics, direction="outbound", service=LISTED, status="200", code="ok") == 1
    assert (
        counted(
            metrics,
            direction="inbound",
            service=SERVICE,
            status="500",
            code="Server.ClientProxy.AccessDenied",
        )
        == 1
    )


async def test_services_nobody_lists_share_one_label(files: NodeFiles):
    files.publish()
    settings = files.settings()
    async with files.manager(settings) as manager:
        metrics = Metrics(settings, manager)
        directory = manager.current()
        for i in range(50):
            metrics.observe_exchange(exchange(f"XX/GOV/{i}/sub/random{i}", directory=directory))
        # A listed provider's metaservice is named; a made-up provider's is not.
        metrics.observe_exchange(exchange(f"{MEMBER}/gewerbeamt/listMethods", directory=directory))
        metrics.observe_exchange(exchange("XX/GOV/1/sub/listMethods", directory=directory))
        metrics.observe_exchange(exchange(None))
    series = [k for k in samples(metrics) if k[0] == "xgw_exchanges_total"]
    services = {dict(labels)["service"] for _, labels in series}
    assert services == {UNKNOWN, f"{MEMBER}/gewerbeamt/listMethods"}
    assert counted(metrics, direction="inbound", service=UNKNOWN, status="200", code="ok") == 52


async def test_error_types_are_named_in_one_spelling_and_made_up_ones_are_other(
    files: NodeFiles,
):
    files.publish()
    settings = files.settings()
    async with files.manager(settings) as manager:
        metrics = Metrics(settings, manager)
        # A peer's error passed through in X-Road 7.8 spelling counts as the CamelCase one.
        snake = "server.serverproxy.access_denied"
        metrics.observe_exchange(exchange(SERVICE, status=500, header_error=snake))
        metrics.observe_exchange(
            exchange(SERVICE, status=500, header_error="Server.ServerProxy.AccessDenied")
        )
        # A peer answering made-up types cannot add a series, nor crowd out real ones.
        for i in range(MAX_ERROR_TYPES + 20):
            metrics.observe_exchange(
                exchange(SERVICE, status=500, header_error=f"Server.ServerProxy.Made{i}")
            )
        metrics.observe_exchange(
            exchange(SERVICE, status=500, header_error="Server.ServerProxy.NetworkError")
        )
    codes = {
        dict(labels)["code"] for name, labels in samples(metrics) if name == "xgw_exchanges_total"
    }
    assert codes == {"Server.ServerProxy.AccessDenied", "Server.ServerProxy.NetworkError", OTHER}
    assert snake not in codes
    labels = {"direction": "inbound", "service": SERVICE, "status": "500"}
    assert counted(metrics, **labels, code="Server.ServerProxy.AccessDenied") == 2
    assert counted(metrics, **labels, code=OTHER) == MAX_ERROR_TYPES + 20


async def test_duration_histogram_counts_every_exchange_in_its_bucket(files: NodeFiles):
    files.publish()
    settings = files.settings()
    async with files.manager(settings) as manager:
        metrics = Metrics(settings, manager)
        metrics.observe_exchange(exchange(SERVICE, seconds=0.003))
        metrics.observe_exchange(exchange(SERVICE, seconds=0.2))
        metrics.observe_exchange(exchange(SERVICE, direction="outbound", seconds=2.0))
    found = samples(metrics)

    def bucket(direction: str, le: str) -> float:
        labels = frozenset({"direction": direction, "le": le}.items())
        return found[("xgw_exchange_duration_seconds_bucket", labels)]

    inbound = frozenset({"direction": "inbound"}.items())
    assert found[("xgw_exchange_duration_seconds_count", inbound)] == 2
    assert bucket("inbound", "0.001") == 0
    assert bucket("inbound", "0.005") == 1
    assert bucket("inbound", "0.25") == 2
    assert bucket("outbound", "1.0") == 0
    assert bucket("outbound", "2.5") == 1
    assert bucket("inbound", "60.0") == 2
    assert found[("xgw_exchange_duration_seconds_sum", inbound)] >= 0.203


async def test_audit_commits_are_observed_by_a_real_log(files: NodeFiles, tmp_path: Path):
    files.publish()
    settings = files.settings()
    async with files.manager(settings) as manager:
        metrics = Metrics(settings, manager)
        async with AuditLog.sqlite(tmp_path / "audit.sqlite") as log:
            log.on_commit = metrics.observe_audit_commit
            for i in range(3):
                await log.append(make_record(i))
            commits = log.commits
    found = samples(metrics)
    assert found[("xgw_audit_records_total", frozenset())] == 3
    assert found[("xgw_audit_commit_seconds_count", frozenset())] == commits >= 1
    assert found[("xgw_audit_commit_seconds_sum", frozenset())] > 0


async def test_a_failing_commit_observer_does_not_stop_the_audit_log(tmp_path: Path):
    def broken(seconds: float, records: int) -> None:
        raise RuntimeError("observer bug")

    async with AuditLog.sqlite(tmp_path / "audit.sqlite") as log:
        log.on_commit = broken
        first = await log.append(make_record(0))
        second = await log.append(make_record(1))
    assert (first, second) == (0, 1)


async def test_every_node_has_its_own_registry(files: NodeFiles):
    files.publish()
    settings = files.settings()
    async with files.manager(settings) as manager:
        first, second = Metrics(settings, manager), Metrics(settings, manager)
        first.observe_exchange(exchange(SERVICE))
    assert counted(first, direction="inbound", service=SERVICE, status="200", code="ok") == 1
    assert counted(second, direction="inbound", service=SERVICE, status="200", code="ok") == 0


def _expiry(found, role: str, fingerprint: str, subject: str) -> tuple[float, float]:
    labels = frozenset({"role": role, "fingerprint": fingerprint, "subject": subject}.items())
    return (
        found[("xgw_certificate_expiry_timestamp_seconds", labels)],
        found[("xgw_certificate_expiring", labels)],
    )


async def test_expiry_figures_show_certificates_near_their_end_and_ended(files: NodeFiles):
    files.tls = files.issue(Usage.TLS, days=10)
    files.signing = files.expired(Usage.SIGNING)
    files.publish(valid_hours=0.5)  # ends within the directory's window (an hour)
    settings = files.settings(expiry_warning_days=30)
    async with files.manager(settings) as manager:
        found = samples(Metrics(settings, manager))
        directory = manager.current()
    for issued, role in ((files.tls, "tls"), (files.signing, "signing")):
        cert = issued.cert
        when, expiring = _expiry(found, role, fingerprint(cert), cert.subject.rfc4514_string())
        assert when == cert.not_valid_after_utc.timestamp()
        assert expiring == 1
    anchor = files.operator.cert
    when, expiring = _expiry(
        found, "trust_anchor", fingerprint(anchor), anchor.subject.rfc4514_string()
    )
    assert (when, expiring) == (anchor.not_valid_after_utc.timestamp(), 0)
    ca = files.ca.cert
    assert _expiry(found, "client_ca", fingerprint(ca), ca.subject.rfc4514_string())[1] == 0
    assert found[("xgw_directory_expiry_timestamp_seconds", frozenset())] == (
        directory.expires.timestamp()
    )
    assert found[("xgw_directory_sequence", frozenset())] == directory.sequence
    assert found[("xgw_directory_expiring", frozenset())] == 1


async def test_a_certificate_far_from_its_end_is_not_expiring_and_rotation_shows(files: NodeFiles):
    files.publish()
    settings = files.settings(expiry_warning_days=30)
    async with files.manager(settings) as manager:
        metrics = Metrics(settings, manager)
        before = samples(metrics)
        old = files.tls.cert
        files.tls = files.issue(Usage.TLS, days=200)  # rotated: the file is replaced
        files.write_certificates()
        after = samples(metrics)
    subject = old.subject.rfc4514_string()
    assert _expiry(before, "tls", fingerprint(old), subject)[1] == 0
    assert before[("xgw_directory_expiring", frozenset())] == 0
    new = files.tls.cert
    assert _expiry(after, "tls", fingerprint(new), subject)[0] == (
        new.not_valid_after_utc.timestamp()
    )
    assert not any(fingerprint(old) in str(labels) for _, labels in after)


async def test_an_unreadable_certificate_file_shows_and_the_scrape_still_works(files: NodeFiles):
    files.publish()
    settings = files.settings()
    async with files.manager(settings) as manager:
        metrics = Metrics(settings, manager)
        settings.signing.certificate.write_text("not a certificate")
        found = samples(metrics)
    assert found[("xgw_certificate_unreadable", frozenset({("role", "signing")}))] == 1
    assert ("xgw_directory_sequence", frozenset()) in found


async def test_without_a_directory_there_are_no_directory_samples(files: NodeFiles):
    settings = files.settings()  # nothing published
    async with files.manager(settings) as manager:
        assert held_directory(manager) is None
        found = samples(Metrics(settings, manager))
    assert ("xgw_directory_sequence", frozenset()) not in found
    assert any(name == "xgw_certificate_expiry_timestamp_seconds" for name, _ in found)


def test_held_directory_is_none_for_a_manager_never_started(files: NodeFiles):
    manager = DirectoryManager(str(files.directory_path), [files.operator.cert])
    assert held_directory(manager) is None
