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

The pair's files (reading and checking a pair, moving it in, putting it back, and
completing at start a move a crash interrupted) are gateway/key_files.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cryptography import x509

from gateway._crypto import fingerprint, jws_algorithm, now_utc
from gateway.audit.admin_events import SYSTEM, admin_record
from gateway.audit.record import AuditRecord
from gateway.audit.tree_head import TreeHeadSigner
from gateway.certs.files import rotation_lock
from gateway.certs.rotate import next_request
from gateway.certs.staging import NEXT, PREVIOUS
from gateway.directory import Directory, format_timestamp
from gateway.errors import (
    AuditError,
    CertValidationError,
    ConfigError,
    ConflictError,
    DirectoryError,
)
from gateway.key_files import (
    KeyFiles,
    Pair,
    complete_interrupted,
    keep_previous,
    move_in,
    read_staged,
)
from gateway.settings import Settings
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
    "NodeKeys",
    "RotationOutcome",
]

_logger = logging.getLogger(__name__)

USAGES = ("tls", "signing")
# What a look at one usage's staged pair came to (RotationOutcome.state).
ADOPTED = "adopted"
NOTHING_STAGED = "nothing staged"
WAITING = "waiting"  # for the directory to list it, or for the peers to have fetched it
REFUSED = "refused"  # the staged pair is unusable as it is: the operator must act


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
        recovered = [complete_interrupted(f) for f in files] if recover else []
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
            pair = await asyncio.to_thread(read_staged, next_files)
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
                if not next_files.holds(pair):
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

    def _unfit(self, usage: str, pair: Pair) -> str:
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

    def _swap(self, files: KeyFiles, next_files: KeyFiles, pair: Pair) -> str:
        """Move the files and switch the node, all or nothing, without an await: no exchange
        sees half of it.

        Returns the fingerprint of the certificate it replaced. ConfigError if a TLS context
        cannot load the staged pair or a file cannot be moved: then the node and its
        configured files are as they were, and the staged pair is still staged.
        """
        old = fingerprint(self._current(files.usage))
        previous = files.staged(PREVIOUS)
        keep_previous(files, previous)
        try:
            if files.usage == "tls":  # the staged files still hold the bytes checked
                self._present(next_files, pair.password)
            move_in(files, next_files, previous)
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

    def _switch_signer(self, pair: Pair) -> None:
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

    def _switch_tls(self, pair: Pair) -> None:
        """The tracked contexts present the new pair already (``_present``)."""
        self.tls_certificate, self.tls_password = pair.certificate, pair.password
        self._tls_algorithm = jws_algorithm(pair.key)
        self.pinned.password = pair.password
        self.pinned.clear()

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
        self, usage: str, pair: Pair, directory: Directory | None, detail: str
    ) -> RotationOutcome:
        self._say_once(
            usage, directory, logging.INFO, f"{usage}: the staged key pair waits: {detail}"
        )
        return self._outcome(usage, WAITING, pair.fingerprint, detail)

    def _refused(
        self, usage: str, pair: Pair | None, directory: Directory | None, detail: str
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
