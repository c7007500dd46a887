"""The node's own keys, live: a staged next key pair is adopted once the directory lists it.

Usage::

    keys = NodeKeys.load(settings, recover=True)  # ConfigError naming the key on any problem
    keys.signer.sign(payload)                     # the HopSigner in use (node.signer too)
    server_ssl = keys.track(peer_server_context(keys.tls.certificate, keys.tls.key, cas,
                                                password=keys.tls_password))
    await keys.attach(node)           # from now on: adopt on every directory change
    outcomes = await keys.reload()    # SIGHUP and the admin API: adopt what is due now

``xgw certs rotate`` writes the next pair beside the configured files
(``gateway/certs/staging.py``: ``de-tls.next.pem`` and ``de-tls.next.key``). It is looked
at on every directory change and every refresh interval. For each usage (``tls``,
``signing``) the pair is adopted when it belongs together, is valid now, and the directory
lists its certificate for this member in a publication this node has held for ``settle``
seconds (twice the refresh interval: by then every peer has fetched it, so nothing signed
or presented with the new key is refused). Adopting keeps the current pair as ``previous``,
moves ``next`` into the configured paths, and switches the running node: a new signer for
hops and tree heads; for TLS, the certificate in every tracked context and an empty cache
of pinned contexts, so new connections present the new certificate and pooled ones made
with the old one are never picked again (aiohttp pools by context).

All or nothing: the adoption holds the pair's rotation lock (gateway/certs/files.py: no
``xgw certs rotate`` or ``install-next`` writes meanwhile) and checks the staged files
still hold the bytes it verified. The current pair is hard-linked to ``previous``; for
TLS every tracked context then loads the staged pair; then the key and then the
certificate are replaced (``os.replace``, atomic per file). If a context cannot load the
pair or a file cannot be moved, the key in use is put back from ``previous``, the
contexts load ``previous`` again, and the staged pair, still staged, is refused with the
reason. The staged request (``*.next.csr``) is removed once its key is in use.

Crash safety: a crash between the two renames leaves the new key beside the old
certificate, with the staged certificate still there; ``NodeKeys.load(settings,
recover=True)`` (``xgw serve``) completes that move and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import ssl
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509

from gateway._crypto import (
    PrivateKey,
    check_key_pair,
    fingerprint,
    jws_algorithm,
    load_certificate,
    load_private_key,
    now_utc,
    read_passphrase,
)
from gateway.audit.admin_events import SYSTEM, admin_record
from gateway.audit.record import AuditRecord
from gateway.audit.tree_head import TreeHeadSigner
from gateway.certs.files import rotation_lock
from gateway.certs.rotate import next_request
from gateway.certs.staging import NEXT, PREVIOUS, staged
from gateway.directory import Directory, format_timestamp
from gateway.errors import (
    AuditError,
    CertValidationError,
    ConfigError,
    ConflictError,
    DirectoryError,
)
from gateway.files import sync_directory
from gateway.settings import KeyPairSettings, Settings
from gateway.signing import HopSigner
from gateway.trust import PinnedContexts

if TYPE_CHECKING:
    from gateway.node import Node

__all__ = [
    "ADOPTED",
    "NOTHING_STAGED",
    "REFUSED",
    "USAGES",
    "WAITING",
    "KeyFiles",
    "NodeKeys",
    "RotationOutcome",
]

_logger = logging.getLogger(__name__)
_UNCHANGED = "the pair in use stays, and the staged pair stays staged"

USAGES = ("tls", "signing")
# What a look at one usage's staged pair came to (RotationOutcome.state).
ADOPTED = "adopted"
NOTHING_STAGED = "nothing staged"
WAITING = "waiting"  # for the directory to list it, or for the peers to have fetched it
REFUSED = "refused"  # the staged pair is unusable as it is: the operator must act


@dataclass(frozen=True)
class KeyFiles:
    """Where one usage's pair lives: the configured files or a staged (next, previous) copy."""

    usage: str  # "tls" or "signing": the settings section, too
    certificate: Path
    key: Path
    passphrase_file: Path | None = None  # the key is encrypted with the passphrase in it

    @classmethod
    def of(cls, usage: str, pair: KeyPairSettings) -> KeyFiles:
        return cls(usage, pair.certificate, pair.key, pair.passphrase_file)

    def staged(self, stage: str) -> KeyFiles:
        """The ``next`` or ``previous`` pair; a staged key has the same passphrase."""
        return KeyFiles(
            self.usage,
            staged(self.certificate, stage),
            staged(self.key, stage),
            self.passphrase_file,
        )

    def exists(self) -> bool:
        return self.certificate.is_file() and self.key.is_file()

    def password(self) -> bytes | None:
        if self.passphrase_file is None:
            return None
        return read_passphrase(self.passphrase_file, key_name=f"{self.usage}.passphrase_file")

    def read(self) -> _Pair:
        """Both files, checked to belong together; ConfigError naming the setting."""
        cert_bytes, key_bytes, password = _read(self.certificate), _read(self.key), self.password()
        cert = load_certificate(self.certificate, key_name=f"{self.usage}.certificate")
        key = load_private_key(self.key, password, key_name=f"{self.usage}.key")
        if not _matches(cert, key):
            raise ConfigError(f"{self.usage}.key", self._mismatch(cert, key))
        return _Pair(cert, key, password, cert_bytes, key_bytes)

    def _mismatch(self, cert: x509.Certificate, key: PrivateKey) -> str:
        """What an operator needs to know about a key that does not fit its certificate."""
        problem = f"the key {self.key} does not belong to the certificate {self.certificate}"
        completion = _completion(self, cert, key)
        if completion is not None:
            return (
                f"{problem}: a key rotation was interrupted between the key and the "
                f"certificate, and {completion[0]} completes it; 'xgw serve' finishes "
                "it when it starts"
            )
        previous = self.staged(PREVIOUS)
        if previous.exists():
            problem += (
                f"; the pair in use before the last rotation is {previous.certificate}"
                f" / {previous.key}"
            )
        return problem


@dataclass(frozen=True)
class _Pair:
    certificate: x509.Certificate
    key: PrivateKey
    password: bytes | None  # the passphrase it was read with
    cert_bytes: bytes  # as read: the files must still hold these when they are moved
    key_bytes: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""  # the loaders name the missing file


@dataclass(frozen=True)
class RotationOutcome:
    """What became of one usage's staged pair; the admin API shows it as it is."""

    usage: str  # "tls" or "signing"
    state: str  # ADOPTED, NOTHING_STAGED, WAITING or REFUSED
    current: str  # SHA-256 (hex) of the certificate in use afterwards
    staged: str | None  # SHA-256 (hex) of the staged certificate, if one could be read
    detail: str  # one sentence for the operator


class NodeKeys:
    """The node's own TLS and signing credentials, switched in place when a rotation is due."""

    def __init__(
        self,
        member: str,
        tls: KeyFiles,
        signing: KeyFiles,
        *,
        settle: float = 0.0,
        look_every: float = 60.0,
    ) -> None:
        self.member = member
        self.tls, self.signing = tls, signing
        self.settle = settle  # seconds a publication listing the next certificate must be out
        self.look_every = look_every  # seconds between looks at the staged files, once attached
        tls_pair, signing_pair = tls.read(), signing.read()
        self.tls_certificate, self.tls_password = tls_pair.certificate, tls_pair.password
        self._tls_algorithm = jws_algorithm(tls_pair.key)
        self.signer = HopSigner(signing_pair.key, signing_pair.certificate)
        self.tree_head_signer = TreeHeadSigner(signing_pair.key, signing_pair.certificate, member)
        # Shared by the signed hop, partner routes and witnessing: one reset reaches all three.
        self.pinned = PinnedContexts(tls.certificate, tls.key, password=self.tls_password)
        self._contexts: list[ssl.SSLContext] = []
        self._node: Node | None = None
        self._lock = asyncio.Lock()
        self._first_seen: dict[int, float] = {}  # directory sequence -> when first seen
        self._said: dict[str, tuple[int, str]] = {}  # usage -> (sequence, what was logged)
        self._unsent: list[AuditRecord] = []  # adoptions before the audit log was there
        self._tasks: set[asyncio.Task[list[RotationOutcome]]] = set()
        self._watcher: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    def load(cls, settings: Settings, *, recover: bool = False) -> NodeKeys:
        """The configured pairs; ``recover`` first completes a rotation a crash interrupted."""
        files = [KeyFiles.of("tls", settings.tls), KeyFiles.of("signing", settings.signing)]
        recovered = [_complete_interrupted(f) for f in files] if recover else []
        keys = cls(
            settings.member.id,
            *files,
            settle=2 * settings.directory.refresh_interval,
            look_every=settings.directory.refresh_interval,
        )
        for usage, old, new in filter(None, recovered):
            details = {"usage": usage, "old": old, "new": new, "recovered": True}
            keys._unsent.append(
                admin_record(SYSTEM, "credentials.rotated", f"{usage}/{new}", details)
            )
        return keys

    # -- the running node ---------------------------------------------------

    def track(self, context: ssl.SSLContext) -> ssl.SSLContext:
        """``context`` presents our TLS certificate: it gets the new one on every rotation."""
        self._contexts.append(context)
        return context

    async def attach(self, node: Node) -> None:
        """Serve ``node``: its signers follow ours; every directory change is looked at."""
        self._node = node
        node.signer, node.tree_heads.signer = self.signer, self.tree_head_signer
        node.directory.on_change.append(self.schedule)
        unsent, self._unsent = self._unsent, []
        for record in unsent:
            await self._append(record)
        self.schedule()
        self._watcher = asyncio.get_running_loop().create_task(self._watch(), name="xgw-keys")

    async def _watch(self) -> None:
        """Look every interval: a pair staged after the directory listed it, or one whose
        publication has now been out long enough, needs no new publication."""
        while True:
            await asyncio.sleep(self.look_every)
            if not self._tasks:
                self.schedule()

    def schedule(self, directory: Directory | None = None) -> None:
        """Look at the staged pairs soon (a directory change, a timer); never blocks."""
        if not self._closed:
            self._spawn(self.adopt_staged(directory))

    def reload_soon(self) -> None:
        """SIGHUP: look at the staged pairs now and log what became of each."""
        _logger.info("SIGHUP: looking at the staged key pairs")
        if not self._closed:
            self._spawn(self._reload_and_report())

    async def reload(self) -> list[RotationOutcome]:
        """Adopt every staged pair the current directory vouches for now; what became of each."""
        return await self.adopt_staged()

    async def _reload_and_report(self) -> list[RotationOutcome]:
        outcomes = await self.reload()
        for outcome in outcomes:
            _logger.info("%s: %s: %s", outcome.usage, outcome.state, outcome.detail)
        return outcomes

    def _spawn(self, work: Coroutine[Any, Any, list[RotationOutcome]]) -> None:
        task = asyncio.get_running_loop().create_task(work, name="xgw-key-rotation")
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[list[RotationOutcome]]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _logger.error("looking at the staged keys failed", exc_info=task.exception())

    async def close(self) -> None:
        """Stop looking; let an adoption under way finish (it is quick)."""
        self._closed = True
        if self._node is not None and self.schedule in self._node.directory.on_change:
            self._node.directory.on_change.remove(self.schedule)
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- adoption -----------------------------------------------------------

    async def adopt_staged(self, directory: Directory | None = None) -> list[RotationOutcome]:
        """For each usage, adopt the staged next pair if it is due; ``directory`` defaults
        to the node's current one."""
        async with self._lock:
            directory = directory or self._current_directory()
            if directory is not None:
                self._note_seen(directory)
            return [await self._consider(usage, directory) for usage in USAGES]

    def _note_seen(self, directory: Directory) -> None:
        """When this node first held ``directory``: the first one since the start counts
        from its issue time (a restart finds one published long ago), a later one from now."""
        if directory.sequence not in self._first_seen:
            now = time.time()
            first = not self._first_seen
            self._first_seen[directory.sequence] = (
                min(now, directory.issued.timestamp()) if first else now
            )

    def _current_directory(self) -> Directory | None:
        if self._node is None:
            return None
        try:
            return self._node.directory.current()
        except DirectoryError:
            return None

    async def _consider(self, usage: str, directory: Directory | None) -> RotationOutcome:
        files = self._files(usage)
        next_files = files.staged(NEXT)
        if not next_files.exists():
            return self._outcome(usage, NOTHING_STAGED, None, "no next key pair is staged")
        try:
            pair = await asyncio.to_thread(_read_staged, next_files)
        except ConfigError as exc:
            return self._refused(usage, None, directory, exc.problem)
        problem = self._unfit(usage, pair)
        if problem:
            return self._refused(usage, pair, directory, problem)
        waiting = _not_listed(self.member, usage, pair.certificate, directory)
        if waiting:
            return self._waiting(usage, pair, directory, waiting)
        assert directory is not None
        # Every peer has fetched this publication once it has been out for the settle time.
        due = self._first_seen[directory.sequence] + self.settle
        if due > time.time():
            at = format_timestamp(datetime.fromtimestamp(due, UTC))
            detail = (
                f"directory sequence {directory.sequence} lists it; adopted at {at}, "
                "once every gateway has had time to fetch that directory"
            )
            return self._waiting(usage, pair, directory, detail)
        try:
            with rotation_lock(files.key, wait=0):
                if not self._still_staged(next_files, pair):
                    detail = "the staged files changed; next look"
                    return self._waiting(usage, pair, directory, detail)
                old = self._swap(files, next_files, pair)
        except ConflictError:
            detail = "xgw certs is writing the staged files; next look"
            return self._waiting(usage, pair, directory, detail)
        except ConfigError as exc:  # nothing changed: the pair in use is still in place
            return self._refused(usage, pair, directory, exc.problem)
        except OSError as exc:
            detail = f"cannot take the rotation lock beside {files.key}: {exc.strerror or exc}"
            return self._refused(usage, pair, directory, detail)
        await self._append(
            admin_record(
                SYSTEM,
                "credentials.rotated",
                f"{usage}/{pair.fingerprint}",
                {"usage": usage, "old": old, "new": pair.fingerprint},
            )
        )
        return self._outcome(usage, ADOPTED, pair.fingerprint, f"replaced {old}")

    def _files(self, usage: str) -> KeyFiles:
        return self.tls if usage == "tls" else self.signing

    def _current(self, usage: str) -> x509.Certificate:
        return self.tls_certificate if usage == "tls" else self.signer.cert

    def _unfit(self, usage: str, pair: _Pair) -> str:
        """Why the staged pair cannot replace the current one at all ('' if it can)."""
        now = now_utc()
        cert = pair.certificate
        if pair.fingerprint == fingerprint(self._current(usage)):
            return "the staged certificate is the one in use; remove the staged files"
        begins, ends = cert.not_valid_before_utc, cert.not_valid_after_utc
        if now < begins:
            return f"the staged certificate is not valid before {format_timestamp(begins)}"
        if now >= ends:
            return f"the staged certificate expired at {format_timestamp(ends)}"
        if usage == "tls" and self._contexts and jws_algorithm(pair.key) != self._tls_algorithm:
            # OpenSSL keeps one certificate per key type in a context and cannot drop one:
            # the old certificate would still be presented. A start builds new contexts.
            return (
                f"the staged TLS key is {jws_algorithm(pair.key)}, the current one "
                f"{self._tls_algorithm}: a running gateway cannot change its TLS key "
                "type; restart it to adopt the staged pair"
            )
        return ""

    def _swap(self, files: KeyFiles, next_files: KeyFiles, pair: _Pair) -> str:
        """Move the files and switch the node, all or nothing, without an await: no exchange
        sees half of it.

        Returns the fingerprint of the certificate it replaced. ConfigError if a TLS context
        cannot load the staged pair or a file cannot be moved: then the node and its
        configured files are as they were, and the staged pair is still staged.
        """
        old = fingerprint(self._current(files.usage))
        previous = files.staged(PREVIOUS)
        _keep_previous(files, previous)
        try:
            if files.usage == "tls":  # the staged files still hold the bytes checked
                self._present(next_files, pair.password)
            _move_in(files, next_files, previous)
        except ConfigError:
            if files.usage == "tls":
                self._present_again(previous)
            raise
        if files.usage == "signing":
            self._switch_signer(pair)
        else:
            self._switch_tls(pair)
        # The request asked for the certificate now in use (xgw certs rotate ignores one
        # left without its key, so a failure here harms nothing).
        with contextlib.suppress(OSError):
            next_request(files.key).unlink(missing_ok=True)
        _logger.warning(
            "%s: adopted the staged key pair: certificate sha256 %s replaces %s (kept as %s)",
            files.usage,
            pair.fingerprint,
            old,
            previous.certificate,
        )
        return old

    def _switch_signer(self, pair: _Pair) -> None:
        self.signer = HopSigner(pair.key, pair.certificate)
        self.tree_head_signer = TreeHeadSigner(pair.key, pair.certificate, self.member)
        if self._node is not None:
            self._node.signer = self.signer
            self._node.tree_heads.signer = self.tree_head_signer

    def _present(self, source: KeyFiles, password: bytes | None) -> None:
        """Every tracked context presents ``source``'s pair in new handshakes; ConfigError
        if one cannot load it."""
        try:
            for context in self._contexts:
                context.load_cert_chain(source.certificate, source.key, password)
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(
                f"{source.usage}.key",
                f"a TLS context cannot load {source.certificate} / {source.key}: {exc}",
            ) from exc

    def _present_again(self, previous: KeyFiles) -> None:
        """After a failed adoption: every tracked context presents the pair in use again,
        from its copy in ``previous`` (the configured files may be half moved)."""
        for context in self._contexts:
            try:
                context.load_cert_chain(previous.certificate, previous.key, self.tls_password)
            except (ssl.SSLError, OSError) as exc:
                _logger.error(
                    "tls: a TLS context cannot load the pair in use again from %s (%s);"
                    " restart the gateway",
                    previous.certificate,
                    exc,
                )

    def _switch_tls(self, pair: _Pair) -> None:
        """The tracked contexts present the new pair already (``_present``)."""
        self.tls_certificate, self.tls_password = pair.certificate, pair.password
        self._tls_algorithm = jws_algorithm(pair.key)
        self.pinned.password = pair.password
        self.pinned.clear()

    def _still_staged(self, next_files: KeyFiles, pair: _Pair) -> bool:
        return (
            _read(next_files.certificate) == pair.cert_bytes
            and _read(next_files.key) == pair.key_bytes
        )

    async def _append(self, record: AuditRecord) -> None:
        if self._node is None:
            self._unsent.append(record)
            return
        try:
            await self._node.audit.append(record)
        except AuditError as exc:  # the rotation stands; the log line says what is missing
            _logger.error(
                "the audit record of %s %s is missing: %s",
                record.method,
                record.service,
                exc.message,
            )

    # -- what to say --------------------------------------------------------

    def _outcome(
        self, usage: str, state: str, staged_fp: str | None, detail: str
    ) -> RotationOutcome:
        return RotationOutcome(usage, state, fingerprint(self._current(usage)), staged_fp, detail)

    def _waiting(
        self, usage: str, pair: _Pair, directory: Directory | None, detail: str
    ) -> RotationOutcome:
        self._say_once(
            usage, directory, logging.INFO, f"{usage}: the staged key pair waits: {detail}"
        )
        return self._outcome(usage, WAITING, pair.fingerprint, detail)

    def _refused(
        self, usage: str, pair: _Pair | None, directory: Directory | None, detail: str
    ) -> RotationOutcome:
        self._say_once(
            usage, directory, logging.ERROR, f"{usage}: the staged key pair is refused: {detail}"
        )
        return self._outcome(usage, REFUSED, pair.fingerprint if pair else None, detail)

    def _say_once(self, usage: str, directory: Directory | None, level: int, message: str) -> None:
        """One line per usage, directory sequence and state: refreshes do not repeat it."""
        said = (directory.sequence if directory is not None else -1, message)
        if self._said.get(usage) != said:
            self._said[usage] = said
            _logger.log(level, "%s", message)


def _read_staged(files: KeyFiles) -> _Pair:
    """The staged pair, read and checked the way the running node will load it."""
    pair = files.read()
    if files.usage == "tls":  # what OpenSSL reads must be what we checked
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
                files.certificate, files.key, files.password()
            )
        except ssl.SSLError as exc:
            raise ConfigError(f"{files.usage}.key", f"OpenSSL cannot load it: {exc}") from exc
    return pair


def _not_listed(
    member: str, usage: str, cert: x509.Certificate, directory: Directory | None
) -> str:
    """Why the directory does not vouch for ``cert`` as ``member``'s (empty when it does)."""
    if directory is None:
        return "no valid directory yet"
    found = next((m for m in directory.members if str(m.id) == member), None)
    listed = (
        ()
        if found is None
        else (found.tls_certificates if usage == "tls" else found.signing_certificates)
    )
    fp = fingerprint(cert)
    if all(fingerprint(c) != fp for c in listed):
        return (
            f"directory sequence {directory.sequence} does not list the staged certificate "
            f"(sha256 {fp}) among the {usage} certificates of {member}"
        )
    try:
        directory.check_certificate(cert, now_utc())
    except CertValidationError as exc:
        return f"directory sequence {directory.sequence}: {exc.message}"
    return ""


def _keep_previous(files: KeyFiles, previous: KeyFiles) -> None:
    """The pair in use, hard-linked (or copied) to ``previous``: kept, and the copy a
    failed adoption restores from. ConfigError if it cannot be."""
    try:
        _link_or_copy(files.key, previous.key)
        _link_or_copy(files.certificate, previous.certificate)
    except OSError as exc:
        raise ConfigError(
            f"{files.usage}.key",
            f"cannot keep the pair in use as {previous.certificate} / {previous.key}"
            f" ({exc.strerror or exc}); {_UNCHANGED}",
        ) from exc


def _move_in(files: KeyFiles, next_files: KeyFiles, previous: KeyFiles) -> None:
    """Rename the staged key, then the staged certificate, onto the configured paths (a
    crash between the two: ``load(recover=True)`` finishes).

    ConfigError if a rename fails; by then the key in use is back from ``previous`` and
    the staged pair is still staged.
    """
    try:
        os.replace(next_files.key, files.key)
    except OSError as exc:  # atomic: the configured files are untouched
        problem = f"{_cannot_move(files.key, exc)}; {_UNCHANGED}"
        raise ConfigError(f"{files.usage}.key", problem) from exc
    try:
        os.replace(next_files.certificate, files.certificate)
    except OSError as exc:
        problem = _cannot_move(files.certificate, exc)
        if _put_back(files, next_files, previous):
            problem += f"; {_UNCHANGED}"
        else:
            problem += (
                f", nor put the key in use back: {files.key} is the staged key now, beside"
                " the old certificate; 'xgw serve' completes the rotation when it starts"
            )
        raise ConfigError(f"{files.usage}.certificate", problem) from exc
    _sync_directories(files.key, files.certificate)


def _put_back(files: KeyFiles, next_files: KeyFiles, previous: KeyFiles) -> bool:
    """After the key moved and the certificate did not: the new key staged again, the key
    in use back from ``previous``. Each step leaves a pair a start can make whole."""
    try:
        _link_or_copy(files.key, next_files.key)
        _link_or_copy(previous.key, files.key)
    except OSError:
        _logger.exception(
            "%s: cannot put the key in use back from %s: %s does not fit %s; 'xgw serve'"
            " completes the rotation when it starts",
            files.usage,
            previous.key,
            files.key,
            files.certificate,
        )
        return False
    finally:
        _sync_directories(files.key, next_files.key)
    return True


def _cannot_move(target: Path, exc: OSError) -> str:
    return f"cannot move the staged pair into place ({target}: {exc.strerror or exc})"


def _link_or_copy(source: Path, target: Path) -> None:
    """``target`` becomes a copy of ``source`` at once, while ``source`` stays in place."""
    partial = target.with_name(target.name + ".partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    try:
        os.link(source, partial)
    except OSError:  # a file system without hard links: a copy keeps the mode (0600)
        shutil.copy2(source, partial)
    os.replace(partial, target)


def _sync_directories(*paths: Path) -> None:
    """The renames survive a power cut once their directories are synced."""
    for directory in {path.parent for path in paths}:
        sync_directory(directory)


# -- start-up -----------------------------------------------------------------


def _complete_interrupted(files: KeyFiles) -> tuple[str, str, str] | None:
    """Finish a rotation a crash left half done: ``(usage, old, new)`` fingerprints, or None."""
    cert, key = _try_cert(files.certificate), _try_key(files.key, files)
    if cert is None or key is None or _matches(cert, key):
        return None
    completion = _completion(files, cert, key)
    if completion is None:
        return None  # KeyFiles.read() explains the mismatch
    source, target, new = completion
    os.replace(source, target)
    with contextlib.suppress(OSError):
        next_request(files.key).unlink(missing_ok=True)  # its key is in use now
    _sync_directories(target)
    old_cert = _try_cert(files.staged(PREVIOUS).certificate)
    old = fingerprint(old_cert) if old_cert is not None else "unknown"
    _logger.warning(
        "%s: completed a key rotation that was interrupted between the key and the "
        "certificate: moved %s to %s (certificate sha256 %s)",
        files.usage,
        source,
        target,
        fingerprint(new),
    )
    return files.usage, old, fingerprint(new)


def _completion(
    files: KeyFiles, cert: x509.Certificate, key: PrivateKey
) -> tuple[Path, Path, x509.Certificate] | None:
    """The staged file that makes a mismatched pair whole: ``(source, target, certificate)``.

    The new key beside the old certificate (the order of ``_swap``), or the new
    certificate beside the old key (the other order); None when neither fits.
    """
    next_files = files.staged(NEXT)
    next_cert, next_key = _try_cert(next_files.certificate), _try_key(next_files.key, files)
    if next_cert is not None and _matches(next_cert, key):
        return next_files.certificate, files.certificate, next_cert
    if next_key is not None and _matches(cert, next_key):
        return next_files.key, files.key, cert
    return None


def _try_cert(path: Path) -> x509.Certificate | None:
    try:
        return load_certificate(path)
    except ConfigError:
        return None


def _try_key(path: Path, files: KeyFiles) -> PrivateKey | None:
    try:
        return load_private_key(path, files.password())
    except ConfigError:
        return None


def _matches(cert: x509.Certificate, key: PrivateKey) -> bool:
    try:
        check_key_pair(cert, key, "key")
    except ConfigError:
        return False
    return True
