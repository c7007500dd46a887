"""SQL that both engines run word for word (no parameters, so no placeholder style)."""

from __future__ import annotations

__all__ = ["BODY_SELECT", "BODY_SERVICES"]

BODY_SELECT = "SELECT seq, service, time, status, size, key_id, nonce, ciphertext FROM audit_bodies"
# Each service once, by walking the (service, time) index: O(services x log n), not a scan.
BODY_SERVICES = """WITH RECURSIVE s(service) AS (
    SELECT min(service) FROM audit_bodies
    UNION ALL
    SELECT (SELECT min(service) FROM audit_bodies WHERE service > s.service) FROM s
    WHERE s.service IS NOT NULL
) SELECT service FROM s WHERE service IS NOT NULL"""
