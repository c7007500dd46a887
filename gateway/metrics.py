"""The node's Prometheus metrics: exchanges, latency, audit commits, what expires when.

Usage::

    metrics = Metrics(settings, directory_manager)   # one per node, with its own registry
    audit_log.on_commit = metrics.observe_audit_commit
    metrics.observe_exchange(exchange)                # the pipeline, once per finished exchange
    body, content_type = metrics.render()             # GET /metrics (Prometheus text format)

Every node has its own ``CollectorRegistry`` (tests run several nodes in one
process). Label values come from bounded sets only: a service is named when the
directory or this node's configuration lists it, else ``unknown``; an error type
is named when its origin and code are X-Road's or xgw's own (``KNOWN_CODES``),
else ``other``. So neither a client sending made-up service ids nor a peer
answering made-up error types can grow the set of time series. Expiry
figures are computed at scrape time from the certificate files and the directory
held then (docs/operations.md lists every metric).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import get_args

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway._crypto import now_utc
from gateway.directory import Directory
from gateway.directory_manager import DirectoryManager
from gateway.errors import GatewayError, parse_error_type
from gateway.expiry import NodeCertificates, directory_warning_seconds, held_directory
from gateway.identifiers import ClientId, ServiceId
from gateway.pipeline import Direction, Exchange
from gateway.settings import Settings
from gateway.xroad_rest import METASERVICES

__all__ = [
    "AUDIT_COMMIT_BUCKETS",
    "EXCHANGE_BUCKETS",
    "MAX_ERROR_TYPES",
    "OK",
    "OTHER",
    "UNKNOWN",
    "Metrics",
]

OK = "ok"  # the code label of an exchange without an X-Road error
UNKNOWN = "unknown"  # the service label of a service no directory or setting lists


def _all_subclasses(cls: type[GatewayError]) -> set[type[GatewayError]]:
    found = {cls}
    for sub in cls.__subclasses__():
        found |= _all_subclasses(sub)
    return found


OTHER = "other"  # the code label of an error type that is neither X-Road's nor ours
MAX_ERROR_TYPES = 256  # spellings remembered (origins x known codes stay below it)
# The codes a label may name: xgw's own and those of the X-Road message protocols.
KNOWN_CODES = frozenset(
    {cls.code for cls in _all_subclasses(GatewayError)}
    | {
        "InternalError",
        "ServiceFailed",
        "NetworkError",
        "Timeout",
        "AccessDenied",
        "UnknownService",
        "UnknownMember",
        "InvalidMessage",
        "InvalidRequest",
        "InvalidSoap",
        "InvalidSignatureValue",
        "SignatureVerification",
        "CertValidation",
        "SslAuthenticationFailed",
        "OutdatedGlobalConf",
        "DatabaseError",
        "InconsistentResponse",
        "InconsistentHeaders",
        "MissingHeaderField",
        "InvalidClientIdentifier",
        "InvalidServiceIdentifier",
        "InvalidBody",
        "BadRequest",
        "MalformedServerConf",
    }
)
# 1 ms .. 60 s: a local answer takes milliseconds, the peer timeout is a minute.
EXCHANGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
# An fsync'ed SQLite commit: a fraction of a millisecond on fast disks, seconds on a sick one.
AUDIT_COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
_MAX_LABEL = 120  # characters of an error type kept in a label


class Metrics:
    """Counts exchanges and audit commits; renders them with the expiry figures."""

    def __init__(self, settings: Settings, directory: DirectoryManager) -> None:
        self.registry = CollectorRegistry()
        self.exchanges = Counter(
            "xgw_exchanges",
            "Finished exchanges by direction, service, HTTP status and X-Road error type.",
            ("direction", "service", "status", "code"),
            registry=self.registry,
        )
        self.exchange_duration = Histogram(
            "xgw_exchange_duration_seconds",
            "Time from receiving a request to having its answer ready (audit included).",
            ("direction",),
            buckets=EXCHANGE_BUCKETS,
            registry=self.registry,
        )
        self.audit_commit = Histogram(
            "xgw_audit_commit_seconds",
            "Time one grouped audit commit took, until durable.",
            buckets=AUDIT_COMMIT_BUCKETS,
            registry=self.registry,
        )
        self.audit_records = Counter(
            "xgw_audit_records", "Audit records committed durably.", registry=self.registry
        )
        self.registry.register(_ExpiryCollector(settings, directory))
        member = settings.member_id
        self._configured = frozenset(
            ServiceId(
                ClientId(member.instance, member.member_class, member.member_code, s.subsystem),
                s.code,
            )
            for s in settings.services
        )
        self._configured_providers = frozenset(s.provider for s in self._configured)
        # Caches of admitted label values and children: bounded because only listed
        # services and the first MAX_ERROR_TYPES error types are admitted.
        self._services: dict[ServiceId, str] = {}
        self._codes: dict[str, str] = {}
        self._exchange_children: dict[tuple[str, str, int, str], Counter] = {}
        # Both directions from the start: a quiet node shows zeros, not an absent series.
        self._durations = {d: self.exchange_duration.labels(d) for d in get_args(Direction)}

    def observe_exchange(self, exchange: Exchange) -> None:
        """Count one finished exchange and its duration (the hot path: a few dict lookups)."""
        response = exchange.response
        key = (
            exchange.direction,
            self._service_label(exchange.service, exchange.directory),
            response.status if response is not None else 0,
            self._code_label(exchange.error_type),
        )
        counter = self._exchange_children.get(key)
        if counter is None:
            counter = self._exchange_children[key] = self.exchanges.labels(*key)
        counter.inc()
        self._durations[exchange.direction].observe(exchange.duration_ms / 1000.0)

    def observe_audit_commit(self, seconds: float, records: int) -> None:
        """The audit log's commit observer: one durable commit of ``records`` records."""
        self.audit_commit.observe(seconds)
        self.audit_records.inc(records)

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def _service_label(self, service: ServiceId | None, directory: Directory | None) -> str:
        if service is None:
            return UNKNOWN
        label = self._services.get(service)
        if label is None:
            if not self._is_listed(service, directory):
                return UNKNOWN
            label = self._services[service] = str(service)
        return label

    def _is_listed(self, service: ServiceId, directory: Directory | None) -> bool:
        if service in self._configured:
            return True
        if service.code in METASERVICES:  # of a provider that has services
            if service.provider in self._configured_providers:
                return True
            return directory is not None and bool(directory.services_of(service.provider))
        return directory is not None and directory.service(service) is not None

    def _code_label(self, error_type: str | None) -> str:
        if error_type is None:
            return OK
        label = self._codes.get(error_type)
        if label is None:
            origin, code = parse_error_type(error_type)  # one spelling: CamelCase
            if code.split(".", 1)[0] not in KNOWN_CODES or len(self._codes) >= MAX_ERROR_TYPES:
                return OTHER  # a peer's made-up type: counted, never a new series
            label = self._codes[error_type] = f"{origin}.{code}"[:_MAX_LABEL]
        return label


class _ExpiryCollector(Collector):
    """Certificate and directory expiry, computed at scrape time from what is held then."""

    def __init__(self, settings: Settings, directory: DirectoryManager) -> None:
        self.certificates = NodeCertificates(settings)
        self.directory = directory
        self.window = timedelta(days=settings.operations.expiry_warning_days)
        self.directory_window = timedelta(seconds=directory_warning_seconds(settings))

    def describe(self) -> Iterable[Metric]:
        return []  # nothing to check at registration: names are fixed, values come at scrape

    def collect(self) -> Iterator[Metric]:
        now = now_utc()
        labels = ("role", "fingerprint", "subject")
        expiry = GaugeMetricFamily(
            "xgw_certificate_expiry_timestamp_seconds",
            "When a certificate the node holds ends (not_after, Unix time).",
            labels=labels,
        )
        expiring = GaugeMetricFamily(
            "xgw_certificate_expiring",
            "1 when the certificate ends within expiry_warning_days or has ended.",
            labels=labels,
        )
        unreadable = GaugeMetricFamily(
            "xgw_certificate_unreadable",
            "1 when a configured certificate file cannot be read now.",
            labels=("role",),
        )
        held, problems = self.certificates.read_all()
        for cert in held:
            values = (cert.role, cert.fingerprint, cert.subject)
            expiry.add_metric(values, cert.not_after.timestamp())
            expiring.add_metric(values, float(cert.not_after - now <= self.window))
        for role in problems:
            unreadable.add_metric((role,), 1.0)
        yield from (expiry, expiring, unreadable)
        yield from self._directory(now)

    def _directory(self, now: datetime) -> Iterator[Metric]:
        directory = held_directory(self.directory)
        families = (
            GaugeMetricFamily(
                "xgw_directory_expiry_timestamp_seconds",
                "When the directory held ends (Unix time).",
            ),
            GaugeMetricFamily("xgw_directory_sequence", "The sequence of the directory held."),
            GaugeMetricFamily(
                "xgw_directory_expiring",
                "1 when the directory held ends within its warning window or has ended.",
            ),
        )
        if directory is not None:
            families[0].add_metric((), directory.expires.timestamp())
            families[1].add_metric((), float(directory.sequence))
            families[2].add_metric((), float(directory.expires - now <= self.directory_window))
        yield from families
