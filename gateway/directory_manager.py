"""Keep a verified directory current: load at start, refresh from a file or URL, refuse rollbacks.

Usage::

    manager = DirectoryManager("/etc/xgw/directory.jws", [operator_cert], refresh_interval=60)
    await manager.start()              # a bad first load leaves no valid directory, not a crash
    manager.current()                  # the Directory, or DirectoryError (OutdatedGlobalConf)
    await manager.close()

    # With a cache file, every directory it adopts is also kept, for evidence bundles:
    load_directory_history(Path("data/directories"))   # [(path, token), ...], oldest first

The history (``<data dir>/directories/<sequence>.jws``) is written when a new
publication is adopted and never pruned: directories are small, and an evidence
bundle of an old exchange needs the one that listed its certificates then.

With a ``store`` (``gateway.storage.base.DirectoryStore``: PostgreSQL, several nodes of
one member) every adopted publication is also kept there: its highest sequence is every
node's floor and serves when the source is down, each refresh also looks there (a
directory pushed to one node reaches the others), and the history is shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from ssl import SSLContext
from types import TracebackType

import aiohttp
from cryptography import x509

from gateway.directory import Directory, format_timestamp, inspect_token, verify_directory
from gateway.errors import AuditError, ConfigError, ConflictError, DirectoryError
from gateway.files import write_atomic
from gateway.storage.base import DirectoryStore

__all__ = [
    "FETCH_TIMEOUT",
    "HISTORY_DIR",
    "MAX_DOCUMENT_BYTES",
    "DirectoryManager",
    "load_directory_history",
    "load_directory_token",
]

_logger = logging.getLogger("gateway.directory")

FETCH_TIMEOUT = 30.0
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
_URL = re.compile(r"^https?://", re.IGNORECASE)
# Beside the cache file: every publication adopted, as ``<sequence>.jws``.
HISTORY_DIR = "directories"
_HISTORY_NAME = re.compile(r"(\d+)(?:-[0-9a-f]{16})?\.jws")


def _token_text(data: bytes, where: str) -> str:
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise DirectoryError(f"{where} is not a compact JWS (not ASCII)") from exc
    if text.startswith("{"):
        raise DirectoryError(
            f"{where} holds an unsigned directory (JSON); gateways load "
            "the signed JWS that 'xgw directory sign' writes"
        )
    if not text:
        raise DirectoryError(f"{where} is empty")
    return text


def load_directory_token(source: str) -> str:
    """The compact JWS in the file ``source``; DirectoryError when it cannot be read."""
    path = Path(source)
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise DirectoryError(f"{source} is larger than {MAX_DOCUMENT_BYTES} bytes")
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise DirectoryError(f"{source} does not exist") from exc
    except OSError as exc:
        raise DirectoryError(f"cannot read {source}: {exc.strerror or exc}") from exc
    return _token_text(data, source)


def load_directory_history(history: Path) -> list[tuple[Path, str]]:
    """Every kept publication in ``history`` as ``(path, token)``, by sequence; unverified.

    A file that cannot be read is left out (and logged): whoever uses one verifies it.
    """
    if not history.is_dir():
        return []
    found: list[tuple[int, str, Path]] = []
    for path in history.iterdir():
        match = _HISTORY_NAME.fullmatch(path.name)
        if match is not None:
            found.append((int(match.group(1)), path.name, path))
    kept: list[tuple[Path, str]] = []
    for _, _, path in sorted(found):
        try:
            kept.append((path, load_directory_token(str(path))))
        except DirectoryError as exc:
            _logger.warning("kept directory %s unreadable: %s", path, exc.message)
    return kept


def _verify_as_issued(token: str, anchors: Sequence[x509.Certificate]) -> Directory:
    """A kept publication, checked as of its own issue time: an expired copy still
    proves its sequence (the rollback floor)."""
    issued = datetime.fromisoformat(str(inspect_token(token)[1]["issued"]).replace("Z", "+00:00"))
    return verify_directory(token, anchors, now=issued)


async def _read_limited(response: aiohttp.ClientResponse, url: str) -> bytes:
    body = bytearray()
    async for chunk in response.content.iter_chunked(65536):
        body += chunk
        if len(body) > MAX_DOCUMENT_BYTES:
            raise DirectoryError(f"GET {url}: larger than {MAX_DOCUMENT_BYTES} bytes")
    return bytes(body)


async def _download(url: str, ssl: SSLContext | None) -> str:
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, ssl=ssl if ssl is not None else True) as response,
        ):
            if response.status != 200:
                raise DirectoryError(f"GET {url}: HTTP {response.status} {response.reason}")
            body = await _read_limited(response, url)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DirectoryError(f"GET {url} failed: {str(exc) or type(exc).__name__}") from exc
    return _token_text(body, url)


class DirectoryManager:
    """Holds the current directory; refreshes from a file path or http(s) URL periodically.

    A refused publication (bad signature, schema, expired, lower sequence) never
    replaces the current one, which stays in use until it expires.
    """

    def __init__(
        self,
        source: str,
        trust_anchors: Sequence[x509.Certificate],
        *,
        refresh_interval: float = 60.0,
        ssl: SSLContext | None = None,
        cache: Path | None = None,
        history: Path | None = None,
        store: DirectoryStore | None = None,
    ) -> None:
        if not trust_anchors:
            raise ConfigError("directory.trust_anchors", "at least one certificate is needed")
        self.source = source
        self._anchors = tuple(trust_anchors)
        self._interval = refresh_interval
        self._ssl = ssl
        self._current: Directory | None = None
        self._problem = "not started"
        self._task: asyncio.Task[None] | None = None
        # The last accepted publication, kept in the data directory: it serves when the
        # source is down at start, and its sequence is the floor after a restart.
        self._cache = cache
        # Every publication adopted, kept for evidence bundles (beside the cache by default).
        self._history = history or (cache.parent / HISTORY_DIR if cache is not None else None)
        self._floor = -1
        self._store = store  # shared with the member's other nodes
        self._keeping: set[asyncio.Task[None]] = set()  # writes to the store under way
        self.on_change: list[Callable[[Directory], None]] = []

    async def __aenter__(self) -> DirectoryManager:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """First load (a failure is logged, not raised) and the periodic refresh task."""
        if self._task is not None:
            return
        await asyncio.to_thread(self._load_cache)
        await self._load_shared()
        await self.refresh()
        self._task = asyncio.create_task(self._refresh_loop(), name="xgw-directory-refresh")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._kept()

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.refresh()  # never raises: a dead refresh task would end in an outage

    async def refresh(self) -> bool:
        """One refresh; True when a valid directory (this or the same publication) is current.

        Never raises: ``start()`` and the refresh loop rely on it.
        """
        try:
            await self._adopt_shared()
            token = await self._fetch()
            self._accept(token)
            await self._kept()
        except DirectoryError as exc:
            self._refused(exc)
            return False
        except Exception as exc:
            # A bug, not a bad publication: keep the traceback, keep the current directory.
            _logger.exception("directory refresh from %s failed unexpectedly", self.source)
            self._refused(DirectoryError(f"internal error: {type(exc).__name__}: {exc}"))
            return False
        return True

    async def _fetch(self) -> str:
        if _URL.match(self.source):
            return await _download(self.source, self._ssl)
        return await asyncio.to_thread(load_directory_token, self.source)

    def install(self, token: str) -> Directory:
        """Verify ``token`` and make it current (an admin push); DirectoryError when refused."""
        try:
            return self._accept(token)
        except DirectoryError as exc:
            self._refused(exc)
            raise

    @property
    def problem(self) -> str:
        """Why the last refresh or push was refused; empty when it was not."""
        return self._problem

    def current(self, now: datetime | None = None) -> Directory:
        """The current directory; DirectoryError (OutdatedGlobalConf) when none is valid."""
        directory = self._current
        if directory is None:
            raise DirectoryError(f"no valid directory: never loaded: {self._problem}")
        if (now or datetime.now(UTC)) >= directory.expires:
            raise DirectoryError(self._expired_message(directory))
        return directory

    def _expired_message(self, directory: Directory) -> str:
        message = (
            f"no valid directory: sequence {directory.sequence} expired at "
            f"{format_timestamp(directory.expires)}"
        )
        return f"{message}; last refresh: {self._problem}" if self._problem else message

    def _load_cache(self) -> None:
        if self._cache is None or not self._cache.exists():
            return
        try:
            cached = _verify_as_issued(load_directory_token(str(self._cache)), self._anchors)
        except (DirectoryError, KeyError, ValueError) as exc:
            _logger.warning("cached directory %s ignored: %s", self._cache, exc)
            return
        self._floor = cached.sequence
        self._keep_in_history(cached)  # a cache older than the history starts it
        if datetime.now(UTC) < cached.expires:
            self._current, self._problem = cached, ""
            _logger.info("directory sequence %d restored from %s", cached.sequence, self._cache)
            self._notify(cached)

    async def _load_shared(self) -> None:
        """The store's latest publication, as the file cache: the floor, and current if valid."""
        token = await self._shared_latest()
        if token is None:
            return
        try:
            shared = _verify_as_issued(token, self._anchors)
        except (DirectoryError, KeyError, ValueError) as exc:
            _logger.warning("shared directory ignored: %s", exc)
            return
        if shared.sequence <= self._floor:
            return
        self._floor = shared.sequence
        self._save_cache(token)
        self._keep_in_history(shared)
        current = self._current
        if datetime.now(UTC) < shared.expires and (
            current is None or shared.sequence > current.sequence
        ):
            self._current, self._problem = shared, ""
            _logger.info("directory sequence %d restored from the database", shared.sequence)
            self._notify(shared)

    async def _adopt_shared(self) -> None:
        """Adopt a newer publication another node kept (an admin push to that node)."""
        token = await self._shared_latest()
        current = self._current
        if token is not None and (current is None or token != current.token):
            try:
                self._accept(token)
            except DirectoryError as exc:  # older, expired, or the same: the source decides
                _logger.debug("shared directory not adopted: %s", exc.message)

    async def _shared_latest(self) -> str | None:
        if self._store is None:
            return None
        try:
            return await self._store.latest()
        except AuditError as exc:
            _logger.warning("cannot read the shared directory: %s", exc.message)
            return None

    def _keep_shared(self, directory: Directory) -> None:
        """Keep an adopted publication in the store; refresh and close wait for it."""
        if self._store is None:
            return
        task = asyncio.get_running_loop().create_task(
            self._store_publication(self._store, directory), name="xgw-directory-keep"
        )
        self._keeping.add(task)
        task.add_done_callback(self._keeping.discard)

    async def _store_publication(self, store: DirectoryStore, directory: Directory) -> None:
        try:
            await store.keep(directory.sequence, directory.token)
        except AuditError as exc:  # the node works on; the next adoption keeps again
            _logger.warning(
                "cannot keep directory sequence %d in the database: %s",
                directory.sequence,
                exc.message,
            )

    async def _kept(self) -> None:
        if self._keeping:
            await asyncio.gather(*list(self._keeping))

    def _save_cache(self, token: str) -> None:
        if self._cache is None:
            return
        try:
            write_atomic(self._cache, token.encode("ascii"))
        except OSError as exc:
            _logger.warning("cannot keep the directory in %s: %s", self._cache, exc)

    def _keep_in_history(self, directory: Directory) -> None:
        """Keep the publication as ``<sequence>.jws`` (synced: it is evidence) unless kept."""
        if self._history is None:
            return
        token = directory.token
        path = self._history / f"{directory.sequence}.jws"
        try:
            self._history.mkdir(parents=True, exist_ok=True)
            if path.exists() and path.read_text(encoding="ascii").strip() != token:
                # The same sequence with other content (possible only after an expired
                # cache was restored): keep both, never overwrite evidence.
                suffix = hashlib.sha256(token.encode("ascii")).hexdigest()[:16]
                path = self._history / f"{directory.sequence}-{suffix}.jws"
            if not path.exists():
                write_atomic(path, token.encode("ascii") + b"\n", exclusive=True)
        except ConflictError:
            pass  # kept meanwhile (another node of the member): evidence is never replaced
        except (OSError, UnicodeError) as exc:
            _logger.warning(
                "cannot keep directory sequence %d in %s: %s",
                directory.sequence,
                self._history,
                exc,
            )

    def _accept(self, token: str) -> Directory:
        directory = verify_directory(token, self._anchors)
        current = self._current
        if current is not None and directory.sequence <= current.sequence:
            return self._same_or_rollback(current, directory)
        if directory.sequence < self._floor:
            raise DirectoryError(
                f"sequence {directory.sequence} is lower than {self._floor}, "
                "seen before the last restart (rollback refused)"
            )
        self._current, self._problem = directory, ""
        self._floor = directory.sequence
        self._save_cache(token)
        self._keep_in_history(directory)
        self._keep_shared(directory)
        _logger.info(
            "directory accepted: %s sequence %d, issued %s, expires %s (from %s)",
            directory.instance,
            directory.sequence,
            format_timestamp(directory.issued),
            format_timestamp(directory.expires),
            self.source,
        )
        self._notify(directory)
        return directory

    def _same_or_rollback(self, current: Directory, directory: Directory) -> Directory:
        if directory.sequence < current.sequence:
            raise DirectoryError(
                f"sequence {directory.sequence} is lower than the current "
                f"{current.sequence} (rollback refused)"
            )
        if directory.raw != current.raw:
            raise DirectoryError(
                f"sequence {directory.sequence} is already current with other "
                "content; a new publication needs a higher sequence"
            )
        self._problem = ""
        _logger.debug("directory sequence %d unchanged", current.sequence)
        return current

    def _refused(self, exc: DirectoryError) -> None:
        self._problem = exc.message
        current = self._current
        keeping = (
            "no valid directory"
            if current is None
            else f"keeping sequence {current.sequence} (expires "
            f"{format_timestamp(current.expires)})"
        )
        _logger.warning("directory from %s refused: %s; %s", self.source, exc.message, keeping)

    def _notify(self, directory: Directory) -> None:
        for callback in list(self.on_change):
            try:
                callback(directory)
            except Exception:
                # One failing subscriber must not keep the others on the old directory.
                _logger.exception("directory on_change callback %r failed", callback)
