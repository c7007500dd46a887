"""Turn the draft into a publication: sequence, validity, the operator's signature, history.

Usage::

    publication = publish_draft(Path("operator/draft.json"), operator_key, operator_cert,
                                Path("www/directory.jws"), valid_hours=24)
    publication.sequence        # max(draft's, last published) + 1
    publication.history_path    # www/directories/<sequence>.jws, never overwritten
    publication.warnings        # e.g. the draft could not be saved: published all the same
    publication.public_json()   # file names, not this machine's paths (the admin API)

The publication file is what gateways fetch (``[directory] source``, a path or an
http(s) URL that serves it); it is replaced atomically, so a gateway never reads half
of it. Each publication is also kept as ``<sequence>.jws`` in a history directory beside
it (``directories/``, as gateways name theirs), and the draft remembers the sequence it
got: the next publication goes one higher even if the draft was edited elsewhere.

Publishing holds the draft's lock (gateway.federation.draft.edit_draft) from reading
the draft to saving it, so no edit lands in between. Once the publication is written
it is live: a draft that cannot be saved then is a warning in the result, not a refusal.
The validity is at most ``MAX_VALID_HOURS``: the directory is how revocations reach the
gateways, and a gateway that cannot fetch a newer one keeps trusting the one it holds,
revoked certificates included, until it expires.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509

from gateway._crypto import PrivateKey, kid, now_utc
from gateway.directory import format_timestamp, inspect_token, sign_directory, verify_directory
from gateway.directory_manager import HISTORY_DIR
from gateway.errors import AdminError, DirectoryError
from gateway.federation.draft import LOCK_TIMEOUT, Draft, edit_draft
from gateway.files import write_atomic

__all__ = [
    "DEFAULT_VALID_HOURS",
    "MAX_VALID_HOURS",
    "Publication",
    "check_valid_hours",
    "default_history",
    "last_published_sequence",
    "publish",
    "publish_draft",
]

DEFAULT_VALID_HOURS = 24.0
MAX_VALID_HOURS = 168.0  # 7 days: how long a revocation may take to reach a cut-off gateway
_HISTORY_NAME = re.compile(r"(\d+)(?:-[0-9a-f]{16})?\.jws")


@dataclass(frozen=True)
class Publication:
    """One signed publication of the directory and where it was written."""

    instance: str
    sequence: int
    issued: datetime
    expires: datetime
    kid: str  # the operator certificate's, in the JWS header
    path: Path
    history_path: Path
    token: str = field(repr=False)
    warnings: tuple[str, ...] = ()  # published all the same; e.g. the draft was not saved

    def to_json(self) -> dict[str, Any]:
        """The result for the operator on this machine: full paths (the CLI)."""
        return {
            "instance": self.instance,
            "sequence": self.sequence,
            "issued": format_timestamp(self.issued),
            "expires": format_timestamp(self.expires),
            "kid": self.kid,
            "path": str(self.path),
            "history_path": str(self.history_path),
            "warnings": list(self.warnings),
        }

    def public_json(self) -> dict[str, Any]:
        """``to_json`` with file names instead of paths: for the admin API, whose callers
        need not learn the server's directory layout."""
        return {
            **self.to_json(),
            "path": self.path.name,
            "history_path": self.history_path.name,
        }


def default_history(out: Path) -> Path:
    return out.parent / HISTORY_DIR


def last_published_sequence(out: Path, history: Path) -> int:
    """The highest sequence published to ``out`` or kept in ``history``; -1 for none."""
    found = [-1]
    if history.is_dir():
        found += [
            int(match.group(1))
            for match in map(_HISTORY_NAME.fullmatch, (p.name for p in history.iterdir()))
            if match is not None
        ]
    try:
        found.append(int(inspect_token(out.read_text("ascii"))[1]["sequence"]))
    except (OSError, UnicodeDecodeError, DirectoryError, KeyError, TypeError, ValueError):
        pass  # nothing (readable) published there yet: the history and the draft decide
    return max(found)


def check_valid_hours(valid_hours: float) -> None:
    """AdminError unless ``valid_hours`` is a finite number in (0, MAX_VALID_HOURS]."""
    if not math.isfinite(valid_hours) or not valid_hours > 0:
        raise AdminError(f"the validity must be a positive number of hours, got {valid_hours}")
    if valid_hours > MAX_VALID_HOURS:
        raise AdminError(
            f"the validity is at most {MAX_VALID_HOURS:g} hours (7 days), got {valid_hours:g}: "
            "the directory is how revocations reach the gateways, and one that cannot fetch "
            "a newer directory trusts a revoked certificate until its directory expires"
        )


def publish_draft(
    draft_path: Path,
    key: PrivateKey,
    cert: x509.Certificate,
    out: Path,
    *,
    valid_hours: float = DEFAULT_VALID_HOURS,
    history: Path | None = None,
    now: datetime | None = None,
    timeout: float = LOCK_TIMEOUT,
) -> Publication:
    """Publish the draft at ``draft_path`` as it is once its lock is free (``publish``
    under ``edit_draft``): waits for an edit in progress rather than refusing."""
    check_valid_hours(valid_hours)
    with edit_draft(draft_path, timeout=timeout) as draft:
        return publish(draft, key, cert, out, valid_hours=valid_hours, history=history, now=now)


def publish(
    draft: Draft,
    key: PrivateKey,
    cert: x509.Certificate,
    out: Path,
    *,
    valid_hours: float = DEFAULT_VALID_HOURS,
    history: Path | None = None,
    now: datetime | None = None,
) -> Publication:
    """Sign the draft as the next publication, write it and its history copy, save the draft.

    Holds the draft's lock throughout (``Draft.locked``). Refused, with nothing written:
    AdminError for a validity outside (0, MAX_VALID_HOURS] or a result gateways would
    refuse (e.g. the operator certificate has expired); ConfigError when ``key`` does
    not belong to ``cert``; ConflictError when the draft's file changed since ``draft``
    was read. A draft that cannot be saved afterwards is a warning in the result.
    """
    check_valid_hours(valid_hours)
    with draft.locked():
        history = history or default_history(out)
        sequence = max(draft.sequence, last_published_sequence(out, history)) + 1
        issued = (now or now_utc()).replace(microsecond=0)
        expires = issued + timedelta(hours=valid_hours)
        doc = draft.document
        doc.update(
            sequence=sequence, issued=format_timestamp(issued), expires=format_timestamp(expires)
        )
        token = _signed(doc, key, cert, issued)
        history_path = history / f"{sequence}.jws"
        data = token.encode("ascii") + b"\n"
        write_atomic(history_path, data, exclusive=True)  # kept first: the evidence of it
        write_atomic(out, data)
        # Live from here on: whatever happens to the draft now is a warning, not a refusal.
        warnings = draft.record_publication(sequence, doc["issued"], doc["expires"])
        return Publication(
            draft.instance, sequence, issued, expires, kid(cert), out, history_path, token, warnings
        )


def _signed(doc: dict[str, Any], key: PrivateKey, cert: x509.Certificate, now: datetime) -> str:
    """The JWS, verified as every gateway will verify it before anyone sees it."""
    try:
        token = sign_directory(doc, key, cert)
        verify_directory(token, [cert], now=now)
    except DirectoryError as exc:
        raise AdminError(f"gateways would refuse this publication: {exc.message}") from exc
    return token
