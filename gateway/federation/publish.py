"""Turn the draft into a publication: sequence, validity, the operator's signature, history.

Usage::

    draft = Draft.load(Path("operator/draft.json"))
    publication = publish(draft, operator_key, operator_cert, Path("www/directory.jws"),
                          valid_hours=24)
    publication.sequence        # max(draft's, last published) + 1
    publication.history_path    # www/directories/<sequence>.jws, never overwritten

The publication file is what gateways fetch (``[directory] source``, a path or an
http(s) URL that serves it); it is replaced atomically, so a gateway never reads half
of it. Each publication is also kept as ``<sequence>.jws`` in a history directory beside
it (``directories/``, as gateways name theirs), and the draft remembers the sequence it
got: the next publication goes one higher even if the draft was edited elsewhere.
"""

from __future__ import annotations

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
from gateway.federation._files import write_atomic
from gateway.federation.draft import Draft

__all__ = [
    "DEFAULT_VALID_HOURS",
    "Publication",
    "default_history",
    "last_published_sequence",
    "publish",
]

DEFAULT_VALID_HOURS = 24.0
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

    def to_json(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "sequence": self.sequence,
            "issued": format_timestamp(self.issued),
            "expires": format_timestamp(self.expires),
            "kid": self.kid,
            "path": str(self.path),
            "history_path": str(self.history_path),
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

    AdminError when gateways would refuse the result (e.g. the operator certificate has
    expired); ConfigError when ``key`` does not belong to ``cert``.
    """
    if not valid_hours > 0:
        raise AdminError(f"the validity must be positive, got {valid_hours} hours")
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
    draft.record_publication(sequence, doc["issued"], doc["expires"])
    if draft.path is not None:
        draft.save()
    return Publication(
        draft.instance, sequence, issued, expires, kid(cert), out, history_path, token
    )


def _signed(doc: dict[str, Any], key: PrivateKey, cert: x509.Certificate, now: datetime) -> str:
    """The JWS, verified as every gateway will verify it before anyone sees it."""
    try:
        token = sign_directory(doc, key, cert)
        verify_directory(token, [cert], now=now)
    except DirectoryError as exc:
        raise AdminError(f"gateways would refuse this publication: {exc.message}") from exc
    return token
