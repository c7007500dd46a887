"""The tamper-evident audit log of exchanges: a hash chain and an RFC 9162 Merkle tree.

Usage::

    from gateway.audit import AuditLog, AuditRecord, TreeHeadSigner, verify_sqlite

    async with AuditLog.sqlite(Path("data/audit.db")) as log:
        seq = await log.append(record)
        signed = await log.sign_tree_head(TreeHeadSigner(key, cert, member))
        path = await log.inclusion_proof(seq)
    result = await verify_sqlite(Path("data/audit.db"), certificates=[cert])

``docs/audit-log.md`` describes the record, its canonical form, the chain, the tree,
the signed tree heads and the proofs.
"""

from gateway.audit.log import AuditLog
from gateway.audit.record import AuditRecord
from gateway.audit.schedule import TreeHeadSchedule
from gateway.audit.tree import StoredTree, build_missing_tree
from gateway.audit.tree_head import SignedTreeHead, TreeHead, TreeHeadError, TreeHeadSigner
from gateway.audit.verify import GENESIS, VerifyResult, chain_hash, verify_entries, verify_sqlite

__all__ = [
    "GENESIS",
    "AuditLog",
    "AuditRecord",
    "SignedTreeHead",
    "StoredTree",
    "TreeHead",
    "TreeHeadError",
    "TreeHeadSchedule",
    "TreeHeadSigner",
    "VerifyResult",
    "build_missing_tree",
    "chain_hash",
    "verify_entries",
    "verify_sqlite",
]
