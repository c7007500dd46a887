"""When the node's certificates and its directory end, and a warning before they do.

Usage::

    held = NodeCertificates(settings)          # read again whenever a file changes (rotation)
    for cert in held.read("tls"):              # HeldCertificate: role, subject, not_after ...
        print(cert.subject, cert.not_after)
    directory = held_directory(manager)        # the directory held, expired or not

    watch = ExpiryWatch(settings, manager)     # what Node.open starts
    watch.start()                              # a report now, then every check interval
    await watch.stop()

A report logs one WARNING line per certificate or directory that ends within
``[operations] expiry_warning_days`` (or has ended), and one INFO line when
nothing is near its end. The certificates are the node's own TLS and signing
certificates, the directory's trust anchor and the client CA, read from their
files at every report, so that a rotated certificate counts from the moment its
file is replaced.

A directory normally lives about a day and is re-published before it ends, so a
30-day window would flag every healthy one. It is flagged only once it ends
within ``directory_warning_seconds``: two refresh intervals (the gateway has
asked for a newer publication twice and got none), but never less than an hour,
so an operator still has time to act on a short refresh interval. Between the
daily reports the watch looks at the directory at every refresh interval and
warns once per publication as it enters that window, and once more when it ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path

from cryptography import x509

from gateway._crypto import fingerprint, load_certificates, now_utc, validity
from gateway.background import Background
from gateway.directory import Directory, format_timestamp
from gateway.directory_manager import DirectoryManager
from gateway.errors import CertValidationError, ConfigError, DirectoryError
from gateway.settings import Settings

__all__ = [
    "CLIENT_CA",
    "DIRECTORY_WARNING_FLOOR",
    "SIGNING",
    "TLS",
    "TRUST_ANCHOR",
    "ExpiryWatch",
    "HeldCertificate",
    "NodeCertificates",
    "directory_warning_seconds",
    "held_directory",
]

_logger = logging.getLogger(__name__)

TLS = "tls"
SIGNING = "signing"
TRUST_ANCHOR = "trust_anchor"
CLIENT_CA = "client_ca"
DIRECTORY_WARNING_FLOOR = 3600.0  # seconds: an operator needs time to act
_DAY = 86400.0
# current(now=...) checks expiry against "now": as of the earliest time, it never has.
_DAWN = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class HeldCertificate:
    """A certificate the node holds, in the role it holds it for."""

    role: str
    certificate: x509.Certificate

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @cached_property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)

    @property
    def not_before(self) -> datetime:
        return validity(self.certificate)[0]

    @property
    def not_after(self) -> datetime:
        return validity(self.certificate)[1]

    def problem(self, now: datetime) -> str | None:
        """Why it is not valid at ``now`` (not yet, or no longer); None when it is."""
        if now < self.not_before:
            return f"not valid before {format_timestamp(self.not_before)}"
        if now >= self.not_after:
            return f"expired at {format_timestamp(self.not_after)}"
        return None


@dataclass(frozen=True)
class _Source:
    role: str
    key: str  # the settings key, for messages
    path: Path
    first_only: bool  # the node uses the file's first certificate (its own, or the anchor)


class NodeCertificates:
    """The node's configured certificates, each file read again only when it changed."""

    def __init__(self, settings: Settings) -> None:
        sources = [
            _Source(TLS, "tls.certificate", settings.tls.certificate, True),
            _Source(SIGNING, "signing.certificate", settings.signing.certificate, True),
            _Source(TRUST_ANCHOR, "directory.trust_anchor", settings.directory.trust_anchor, True),
        ]
        if settings.security.client_ca is not None:  # a CA bundle: every certificate counts
            sources.append(
                _Source(CLIENT_CA, "security.client_ca", settings.security.client_ca, False)
            )
        self._sources = {source.role: source for source in sources}
        # path -> (mtime, size, inode) when read, and what it held then
        self._cache: dict[Path, tuple[tuple[int, int, int], tuple[x509.Certificate, ...]]] = {}

    def read(self, role: str) -> list[HeldCertificate]:
        """The certificates held for ``role``; ConfigError when its file cannot be read."""
        source = self._sources[role]
        certificates = self._load(source)
        if source.first_only:
            certificates = certificates[:1]
        return [HeldCertificate(role, cert) for cert in certificates]

    def read_all(self) -> tuple[list[HeldCertificate], dict[str, ConfigError]]:
        """Every certificate that can be read now, and the problem of each role that cannot."""
        held: list[HeldCertificate] = []
        problems: dict[str, ConfigError] = {}
        for role in self._sources:
            try:
                held += self.read(role)
            except ConfigError as exc:
                problems[role] = exc
        return held, problems

    def _load(self, source: _Source) -> tuple[x509.Certificate, ...]:
        try:
            stat = source.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            cached = self._cache.get(source.path)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            certificates = tuple(load_certificates(source.path.read_bytes()))
        except OSError as exc:
            raise ConfigError(
                source.key, f"cannot read {source.path}: {exc.strerror or exc}"
            ) from exc
        except CertValidationError as exc:
            raise ConfigError(source.key, f"{source.path}: {exc.message}") from exc
        if not certificates:
            raise ConfigError(source.key, f"{source.path} holds no certificate")
        self._cache[source.path] = (stamp, certificates)
        return certificates


def held_directory(manager: DirectoryManager) -> Directory | None:
    """The directory ``manager`` holds, expired or not; None when none was ever loaded."""
    try:
        return manager.current(now=_DAWN)
    except DirectoryError:
        return None


def directory_warning_seconds(settings: Settings) -> float:
    """How long before its end a directory is flagged (see the module docstring)."""
    refreshes = max(2 * settings.directory.refresh_interval, DIRECTORY_WARNING_FLOOR)
    return min(settings.operations.expiry_warning_days * _DAY, refreshes)


def _remaining(until: datetime, now: datetime) -> str:
    """``ends <time>, 10.0 days left`` or ``ended <time>, 2.0 days ago`` (within a day: h, min)."""
    seconds = (until - now).total_seconds()
    days = abs(seconds) / _DAY
    span = f"{days:.1f} days"
    if days < 1:  # a directory's last hours: hours and minutes say more
        hours, minutes = divmod(round(abs(seconds) / 60), 60)
        span = f"{days:.2f} days ({hours} h {minutes} min)"
    if seconds <= 0:
        return f"ended {format_timestamp(until)}, {span} ago"
    return f"ends {format_timestamp(until)}, {span} left"


class ExpiryWatch:
    """Logs what ends soon: a full report every check interval, the directory in between."""

    def __init__(
        self,
        settings: Settings,
        directory: DirectoryManager,
        *,
        certificates: NodeCertificates | None = None,
    ) -> None:
        operations = settings.operations
        self.window = timedelta(days=operations.expiry_warning_days)
        self.directory_window = timedelta(seconds=directory_warning_seconds(settings))
        self.interval = operations.expiry_check_interval
        # A directory can enter its window at any refresh: look again at that pace.
        self.directory_interval = min(self.interval, settings.directory.refresh_interval)
        self.directory = directory
        self.certificates = certificates or NodeCertificates(settings)
        self._warned: tuple[int, bool] | None = None  # (sequence, ended) warned last
        self._task = Background("xgw-expiry-watch", self._run)

    def start(self) -> None:
        self._task.start()

    async def stop(self) -> None:
        await self._task.stop()

    def report(self, now: datetime | None = None) -> int:
        """Log the full report now; the number of WARNING lines it wrote."""
        now = now or now_utc()
        held, problems = self.certificates.read_all()
        for role, problem in problems.items():
            _logger.warning(
                "expiry check: cannot read the %s certificate: %s", role, problem.message
            )
        warnings = len(problems)
        for cert in held:
            if cert.not_after - now <= self.window:
                warnings += 1
                _logger.warning(
                    "%s certificate %s (fingerprint %s) %s",
                    cert.role,
                    cert.subject,
                    cert.fingerprint[:16],
                    _remaining(cert.not_after, now),
                )
        directory = held_directory(self.directory)
        if directory is None:
            warnings += 1
            _logger.warning("expiry check: no directory is held; see the directory log lines")
        elif self._warn_directory(directory, now, again=True):
            warnings += 1
        if warnings == 0 and directory is not None:
            _logger.info(
                "expiry check: nothing ends within %g days (%d certificates; directory "
                "sequence %d until %s)",
                self.window.total_seconds() / _DAY,
                len(held),
                directory.sequence,
                format_timestamp(directory.expires),
            )
        return warnings

    def check_directory(self, now: datetime | None = None) -> bool:
        """Between reports: warn once per publication as it nears its end, once when it ends."""
        directory = held_directory(self.directory)
        return directory is not None and self._warn_directory(
            directory, now or now_utc(), again=False
        )

    def _warn_directory(self, directory: Directory, now: datetime, *, again: bool) -> bool:
        if directory.expires - now > self.directory_window:
            return False
        state = (directory.sequence, now >= directory.expires)
        if state == self._warned and not again:
            return False
        self._warned = state
        _logger.warning(
            "directory %s sequence %d %s and no newer publication has arrived from %s",
            directory.instance,
            directory.sequence,
            _remaining(directory.expires, now),
            self.directory.source,
        )
        return True

    async def _run(self) -> None:
        next_report = time.monotonic()
        while True:
            try:
                if time.monotonic() >= next_report:
                    next_report = time.monotonic() + self.interval
                    self.report()
                else:
                    self.check_directory()
            except Exception:  # the watch must never take the node down
                _logger.exception("expiry check failed; trying again at the next interval")
            await asyncio.sleep(
                max(0.0, min(self.directory_interval, next_report - time.monotonic()))
            )
