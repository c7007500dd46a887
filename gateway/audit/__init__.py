"""The tamper-evident audit log of exchanges.

Usage::

    from gateway.audit import AuditLog, AuditRecord, verify_sqlite

    async with AuditLog.sqlite(Path("data/audit.db")) as log:
        seq = await log.append(record)
    result = await verify_sqlite(Path("data/audit.db"))   # VerifyResult(ok=True, ...)

``docs/audit-log.md`` describes the record, its canonical form and the chain.
"""

from gateway.audit.log import AuditLog
from gateway.audit.record import AuditRecord
from gateway.audit.verify import GENESIS, VerifyResult, chain_hash, verify_entries, verify_sqlite

__all__ = [
    "GENESIS",
    "AuditLog",
    "AuditRecord",
    "VerifyResult",
    "chain_hash",
    "verify_entries",
    "verify_sqlite",
]
