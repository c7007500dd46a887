"""Which message bodies the audit log keeps, and for how long: per service, node default.

Usage::

    rules = BodyRules.from_settings(settings)
    rule = rules.for_service("EE/GOV/70000310/ariregister/ettevotted")
    rule.metadata_only, rule.retention_days          # (False, 30.0) by default

Rules come from three places, the most specific first:

1. ``[[services]] body_retention_days`` / ``metadata_only``: a service this member
   provides (its id is the member, the subsystem and the code);
2. ``[[audit.services]] service = "..."``: any service, the caller's side included,
   named by its service id, or by a subsystem or member id to cover all of its services
   (a service id beats its subsystem, a subsystem its member);
3. ``[audit] body_retention_days`` (30) and ``metadata_only`` (false): everything else.

A key a rule leaves out falls back to the next level. The rules decide at write
time whether a body is stored at all (metadata-only: never), and at every purge
which stored bodies have expired, so a shorter retention or a service turned
metadata-only also removes bodies stored before the change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gateway.settings import Settings

__all__ = ["BodyRule", "BodyRules"]

SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True, slots=True)
class BodyRule:
    retention_days: float
    metadata_only: bool = False

    @property
    def retention_seconds(self) -> float:
        return self.retention_days * SECONDS_PER_DAY


@dataclass(frozen=True, slots=True)
class _Override:
    retention_days: float | None = None
    metadata_only: bool | None = None


class BodyRules:
    """Each service's rule: its own, else its subsystem's, else its member's, else the default."""

    def __init__(
        self,
        default: BodyRule,
        overrides: Mapping[str, tuple[float | None, bool | None]] | None = None,
    ) -> None:
        self.default = default
        self._rules: dict[str, BodyRule] = {}
        raw = {key: _Override(*value) for key, value in (overrides or {}).items()}
        for key in raw:
            self._rules[key] = self._resolve(key, raw)

    def _resolve(self, key: str, raw: Mapping[str, _Override]) -> BodyRule:
        """An override's missing keys come from the next less specific rule."""
        retention, metadata_only = None, None
        for candidate in _widening(key):
            found = raw.get(candidate)
            if found is None:
                continue
            retention = retention if retention is not None else found.retention_days
            metadata_only = metadata_only if metadata_only is not None else found.metadata_only
        return BodyRule(
            self.default.retention_days if retention is None else retention,
            self.default.metadata_only if metadata_only is None else metadata_only,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyRules:
        audit = settings.audit
        overrides: dict[str, tuple[float | None, bool | None]] = {}
        for rule in audit.services:
            overrides[rule.service] = (rule.body_retention_days, rule.metadata_only)
        for service in settings.services:
            if service.body_retention_days is None and service.metadata_only is None:
                continue
            service_id = f"{settings.member.id}/{service.subsystem}/{service.code}"
            overrides[service_id] = (service.body_retention_days, service.metadata_only)
        return cls(BodyRule(audit.body_retention_days, audit.metadata_only), overrides)

    def for_service(self, service: str) -> BodyRule:
        """The rule for a record's ``service`` (any string: a refused request's may be junk)."""
        rules = self._rules
        if rules:
            for candidate in _widening(service):
                rule = rules.get(candidate)
                if rule is not None:
                    return rule
        return self.default

    def keeps_any(self) -> bool:
        """Whether any service's bodies are stored (else no key is needed)."""
        return not self.default.metadata_only or any(
            not rule.metadata_only for rule in self._rules.values()
        )


def _widening(service: str) -> tuple[str, ...]:
    """``service``, its subsystem, its member: from the most specific to the least."""
    parts = service.split("/", 4)  # a service code may itself contain '/'
    candidates = [service]
    for width in (4, 3):
        if len(parts) > width:
            candidates.append("/".join(parts[:width]))
    return tuple(candidates)
