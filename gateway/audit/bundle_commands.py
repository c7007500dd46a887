"""``xgw audit prove`` and ``xgw audit check``: write an evidence bundle, check one offline.

Usage::

    code = prove(Path("data"), "4a575b58-...", Path("ex.json"), [operator_cert], signer=None)
    code = check(Path("ex.json"), [operator_cert], as_json=False)   # 0: all holds, 1: not

``prove`` reads the gateway's data directory (the audit database, read-only unless it
must sign a tree head, and the kept directories); ``check`` reads the bundle file and
nothing else.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509

from gateway.audit.bundle import MAX_BUNDLE_BYTES, BundleError, check_bundle
from gateway.audit.prove import Proven, directory_candidates, prove_exchange
from gateway.audit.tree_head import TreeHeadSigner
from gateway.directory_manager import HISTORY_DIR
from gateway.errors import AuditError
from gateway.files import write_atomic
from gateway.node import AUDIT_DB, DIRECTORY_CACHE
from gateway.settings import Settings
from gateway.storage.factory import AuditSource, audit_source, kept_directories

__all__ = ["check", "prove"]


def prove(
    data_dir: Path,
    exchange_id: str,
    out: Path,
    trust_anchors: Sequence[x509.Certificate],
    *,
    signer: TreeHeadSigner | None,
    directories: Sequence[Path] = (),
    as_json: bool = False,
    settings: Settings | None = None,
) -> int:
    """Write the bundle of ``exchange_id`` to ``out`` (atomically); AuditError when refused.

    With ``settings`` the log is the one they name (PostgreSQL too), and the directories
    the nodes kept in the database are candidates as well.
    """
    candidates = directory_candidates(
        data_dir / HISTORY_DIR, data_dir / DIRECTORY_CACHE, directories
    )
    proven = asyncio.run(
        _prove(data_dir, exchange_id, candidates, trust_anchors, signer=signer, settings=settings)
    )
    try:
        write_atomic(out, proven.data)
    except OSError as exc:
        raise AuditError(f"cannot write {out}: {exc.strerror or exc}") from exc
    if as_json:
        print(
            json.dumps({"file": str(out), "notes": list(proven.notes), **proven.report.to_json()})
        )
    else:
        for note in proven.notes:
            print(f"note: {note}")
        print(f"{out}: evidence bundle written, and it checks out:")
        print(proven.report.summary())
    return 0


async def _prove(
    data_dir: Path,
    exchange_id: str,
    candidates: list[tuple[str, str]],
    trust_anchors: Sequence[x509.Certificate],
    *,
    signer: TreeHeadSigner | None,
    settings: Settings | None,
) -> Proven:
    if settings is None:
        db: AuditSource = data_dir / AUDIT_DB
    else:
        db, candidates = audit_source(settings), candidates + await kept_directories(settings)
    return await prove_exchange(db, exchange_id, candidates, trust_anchors, signer=signer)


def check(path: Path, trust_anchors: Sequence[x509.Certificate], *, as_json: bool) -> int:
    """Check a bundle offline; 0 with a summary when all holds, 1 naming the failed check."""
    try:
        report = check_bundle(_read(path), trust_anchors)
    except BundleError as exc:
        if as_json:
            print(
                json.dumps(
                    {"file": str(path), "ok": False, "check": exc.check, "reason": exc.reason}
                )
            )
        else:
            print(f"{path}: FAILED: {exc.check}: {exc.reason}")
        return 1
    if as_json:
        print(json.dumps({"file": str(path), **report.to_json()}))
    else:
        print(f"{path}: OK, every check holds")
        print(report.summary())
    return 0


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_BUNDLE_BYTES:
            raise BundleError("file", f"larger than {MAX_BUNDLE_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise BundleError("file", f"cannot read {path}: {exc.strerror or exc}") from exc
