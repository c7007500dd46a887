"""Witnessing: gateways keep each other's signed tree heads and check that every new one
extends the last, so that no member can rewrite its audit log unnoticed.

Usage::

    witness = Witness(SQLiteWitnessStore(data_dir / WITNESS_DB), member="DE/GOV/05974028",
                      settings=WitnessSettings(), directory=manager.current, audit=log,
                      proofs=PeerProofs(peer_session, keys.pinned))  # the node's one cache
    await witness.start()
    headers.append((TREE_HEAD_HEADER, witness.own_head()))   # our latest head, on every hop
    witness.guard("EE/GOV/70000310", origin, ex.notes)  # InconsistentTreeHeadError (refuse)
    witness.observe(directory, peer, last_header(headers, TREE_HEAD_HEADER))  # checked later
    await witness.close()

The hot path costs two dictionary lookups and a string comparison: ``observe`` only
starts a background check when a peer shows a head it has not shown before (once per
peer per signing interval). The check verifies the head with the peer's signing
certificate as the directory lists it and compares it with the head held for that
peer (:func:`compare`): a fork (same size, another root) or a rollback (a head of
fewer records signed after one of more) contradicts it at once; a head of another
size needs an RFC 9162 consistency proof, which the peer serves on its peer port
(``GET /xgw/v1/consistency?first=M&second=N``, :class:`PeerProofs`). A contradiction
is logged at ERROR, kept as evidence (``gateway.audit.witness_store``), and the peer
is refused in both directions (``[witness] on_inconsistency = "refuse"``) or only
reported, until an administrator clears it. docs/audit-log.md, "Witnessing".
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import orjson
from cryptography import x509
from jwt import api_jws

from gateway._crypto import certificate_to_pem, kid
from gateway.audit.log import AuditLog
from gateway.audit.merkle import EMPTY_ROOT, verify_consistency
from gateway.audit.tree import StoredTree
from gateway.audit.tree_head import TreeHead, TreeHeadError, verify_tree_head
from gateway.audit.witness_store import Evidence, SeenHead, Unchecked, WitnessStore
from gateway.bodies import read_bounded
from gateway.directory import Directory, Member
from gateway.errors import (
    CLIENT_PROXY,
    AuditError,
    BadRequestError,
    GatewayError,
    InconsistentTreeHeadError,
    NetworkError,
    PartnerError,
)
from gateway.identifiers import ClientId
from gateway.settings import WitnessSettings
from gateway.trust import PinnedContexts

__all__ = [
    "CONSISTENCY_PATH",
    "MAX_HEAD_LENGTH",
    "TREE_HEAD_HEADER",
    "WITNESS_DB",
    "Adopt",
    "Contradiction",
    "Keep",
    "PeerProofs",
    "ProofSource",
    "Prove",
    "ServedProof",
    "Verdict",
    "Witness",
    "compare",
    "consistency_answer",
    "parse_proof",
]

_logger = logging.getLogger("gateway.witness")

TREE_HEAD_HEADER = "X-Xgw-Tree-Head"
CONSISTENCY_PATH = "/xgw/v1/consistency"
WITNESS_DB = "witness.sqlite"
MAX_HEAD_LENGTH = 4096  # a head is ~450 characters; anything far longer is not one
_MAX_PROOF_BYTES = 64 * 1024  # a proof has at most ~2 log2(n) hashes
_HEX_HASH = re.compile("[0-9a-f]{64}")
_DONE_KEPT = 32  # heads per peer remembered as already handled (ignored or older)


# ---------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Adopt:
    """The new head becomes the peer's baseline: the first one seen, or the same tree later."""


@dataclass(frozen=True)
class Keep:
    """Nothing new: the same tree as the one held, signed no later."""


@dataclass(frozen=True)
class Prove:
    """Consistent only if the tree of ``second`` extends that of ``first``; ``adopt``:
    the new head is ``second`` and becomes the baseline once proven."""

    first: TreeHead
    second: TreeHead
    adopt: bool


@dataclass(frozen=True)
class Contradiction:
    kind: str  # "fork", "rollback" or "inconsistent"
    reason: str


Verdict = Adopt | Keep | Prove | Contradiction


def compare(held: TreeHead | None, new: TreeHead) -> Verdict:
    """What a peer's new head means next to the one held for it (both already verified).

    Heads of one log grow with time: a head of fewer records signed after one of more
    is a rollback, whichever of the two arrived first. An older head arriving late (two
    exchanges crossing) is no contradiction, but must still be consistent with the
    held one.
    """
    if held is None:
        return Adopt()
    if new.tree_size == held.tree_size:
        if new.root_hash != held.root_hash:
            return Contradiction(
                "fork",
                f"two heads of {new.tree_size} records with different roots: the log was"
                " changed and every hash after the change recomputed",
            )
        return Adopt() if new.timestamp > held.timestamp else Keep()
    smaller, larger = (held, new) if new.tree_size > held.tree_size else (new, held)
    if smaller.timestamp > larger.timestamp:
        return Contradiction(
            "rollback",
            f"the head of {smaller.tree_size} records was signed at {smaller.time}, after the"
            f" head of {larger.tree_size} records signed at {larger.time}: records were removed",
        )
    return Prove(smaller, larger, adopt=larger is new)


def _failed_proof(first: TreeHead, second: TreeHead) -> Contradiction:
    return Contradiction(
        "inconsistent",
        f"the consistency proof the peer served does not show that its tree of"
        f" {second.tree_size} records extends its signed tree of {first.tree_size} records:"
        f" records before {first.tree_size} were changed, inserted or removed",
    )


# ---------------------------------------------------------------------------- proofs


@dataclass(frozen=True)
class ServedProof:
    path: list[bytes]
    text: str  # the answer as served: kept as evidence when it does not verify


class ProofSource(Protocol):
    """Fetches PROOF(first, D[second]) of ``peer``'s log; a ``GatewayError`` if it cannot."""

    async def __call__(
        self, directory: Directory, peer: Member, first: int, second: int
    ) -> ServedProof: ...


class PeerProofs:
    """Consistency proofs from a peer's ``/xgw/v1/consistency``, over pinned mutual TLS."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        contexts: PinnedContexts,
        limit: int = _MAX_PROOF_BYTES,
    ) -> None:
        self.session = session
        self.contexts = contexts
        self.limit = limit

    async def __call__(
        self, directory: Directory, peer: Member, first: int, second: int
    ) -> ServedProof:
        if peer.gateway_url is None:
            raise PartnerError(f"{peer.id} is a partner without xgw: it has no tree heads")
        context = self.contexts.context(directory, peer)
        url = f"{peer.gateway_url.rstrip('/')}{CONSISTENCY_PATH}?first={first}&second={second}"
        what = f"the consistency proof of {peer.id}"
        try:
            async with self.session.get(url, ssl=context, allow_redirects=False) as response:
                body = await read_bounded(
                    response.content, response.content_length, self.limit, what, PartnerError
                )
                status, error = response.status, response.headers.get("X-Road-Error")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise NetworkError(
                f"cannot fetch {what}: {type(exc).__name__}: {exc}".rstrip(": "),
                origin=CLIENT_PROXY,
            ) from exc
        if status != 200:
            said = body[:300].decode("utf-8", "replace")
            raise PartnerError(
                f"{peer.id} answered {status} {error or ''} to a proof request: {said}"
            )
        text = body.decode("utf-8", "replace")
        return ServedProof(parse_proof(body, first, second), text)


def parse_proof(body: bytes, first: int, second: int) -> list[bytes]:
    """The path of a ``/xgw/v1/consistency`` answer; ``PartnerError`` if it is none."""
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PartnerError(f"the proof is not JSON: {exc}") from exc
    if not isinstance(answer, dict) or answer.get("type") != "consistency":
        raise PartnerError("the answer is not a consistency proof")
    if (answer.get("first_size"), answer.get("second_size")) != (first, second):
        raise PartnerError(f"the proof is not one from {first} to {second} records")
    path = answer.get("path")
    if not isinstance(path, list) or len(path) > 128:
        raise PartnerError("the proof's path is not a list of hashes")
    if not all(isinstance(h, str) and _HEX_HASH.fullmatch(h) for h in path):
        raise PartnerError("the proof's path holds something other than SHA-256 hashes in hex")
    return [bytes.fromhex(h) for h in path]


async def consistency_answer(audit: AuditLog, first: int, second: int) -> dict[str, Any]:
    """What ``/xgw/v1/consistency`` serves: PROOF(first, D[second]) of our own log.

    The roots are the ones the log gives now; whoever asks checks the path against
    the roots of the heads we signed, never against these.
    """
    size = audit.size
    if not 0 <= first <= second:
        raise BadRequestError(f"no consistency proof from {first} to {second} records")
    if second > size:
        raise BadRequestError(f"the audit log has {size} records, not {second}")
    tree = StoredTree(audit.store)
    try:
        path = await tree.consistency_proof(first, second)
        roots = [await tree.root(first), await tree.root(second)]
    except AuditError as exc:
        raise AuditError(exc.message, origin=exc.origin) from exc
    return {
        "type": "consistency",
        "first_size": first,
        "second_size": second,
        "first_root": roots[0].hex(),
        "second_root": roots[1].hex(),
        "path": [h.hex() for h in path],
    }


# ---------------------------------------------------------------------------- the witness


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _tree_head(seen: SeenHead) -> TreeHead:
    return TreeHead(seen.tree_size, seen.root_hash, seen.timestamp, seen.peer)


def _describe(head: TreeHead) -> str:
    return f"{head.tree_size} records, root {head.root_hash.hex()}, signed {head.time}"


@dataclass
class _Peer:
    """What this gateway holds for one peer, in memory (the store has the same)."""

    latest: SeenHead | None = None
    open: Evidence | None = None  # an inconsistency no administrator has cleared yet
    unchecked: str | None = None  # a head whose check could not be completed
    retry_at: float = 0.0  # monotonic: when ``unchecked`` may be tried again
    done: dict[str, None] = field(default_factory=dict)  # heads handled: ignored or older
    task: asyncio.Task[None] | None = None
    pending: tuple[Directory, Member, str] | None = None  # the newest head seen meanwhile
    generation: int = 0  # bumped by every check: a reload must not undo a newer result

    def remember(self, jws: str) -> None:
        self.done[jws] = None
        while len(self.done) > _DONE_KEPT:
            del self.done[next(iter(self.done))]


class Witness:
    """Keeps the peers' tree heads, checks every new one, refuses or reports contradictions."""

    def __init__(
        self,
        store: WitnessStore,
        *,
        member: str,
        settings: WitnessSettings,
        directory: Callable[[], Directory],
        audit: AuditLog | None,
        proofs: ProofSource,
    ) -> None:
        self.store = store
        self.member = member
        self.refuse = settings.on_inconsistency == "refuse"
        self.refresh_interval = settings.refresh_interval
        self.directory = directory
        self.audit = audit
        self.proofs = proofs
        self.proofs_checked = 0  # consistency proofs that verified: witnessing at work
        self._own: str | None = None
        self._peers: dict[str, _Peer] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None
        self._closing = False

    # -- lifetime ----------------------------------------------------------

    async def start(self) -> None:
        await self.store.open()
        try:
            await self._reload()
            for unchecked in await self.store.unchecked():
                self._peer(unchecked.peer).unchecked = unchecked.jws
            await self._refresh_own()
        except BaseException:
            await self.store.close()
            raise
        self._loop = asyncio.create_task(self._run(), name="xgw-witness")

    async def close(self) -> None:
        self._closing = True
        tasks = [t for t in (self._loop, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loop = None
        await self.store.close()

    @property
    def checking(self) -> int:
        """How many checks are under way (each peer has at most one)."""
        return len(self._tasks)

    async def settle(self) -> None:
        """Wait until every check started so far (and what queued behind it) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- the hot path ------------------------------------------------------

    def own_head(self) -> str | None:
        """Our latest signed tree head (refreshed every ``refresh_interval``), to send along."""
        return self._own

    def guard(self, peer: str, origin: str, notes: list[str]) -> None:
        """An exchange with a peer whose heads contradicted each other: a note for its
        audit record, and in refuse mode ``InconsistentTreeHeadError``."""
        state = self._peers.get(peer)
        if state is None or state.open is None:
            return
        evidence = state.open
        what = (
            f"the audit log of {peer} contradicts a tree head it signed before"
            f" ({evidence.kind}, witness evidence #{evidence.number})"
        )
        if not self.refuse:
            notes.append(f"witness: {what}; reported, not refused")
            return
        notes.append(f"witness: {what}; refused")
        raise InconsistentTreeHeadError(
            f"{what}: exchanges with it are refused until an administrator clears it"
            f" (xgw witness clear {peer})",
            origin=origin,
        )

    def observe(self, directory: Directory, peer: Member, jws: str | None) -> None:
        """A head ``peer`` sent along; checked in the background if it is new."""
        if jws is None or self._closing:
            return
        name = str(peer.id)
        state = self._peers.get(name)
        if state is None:
            state = self._peers[name] = _Peer()
        elif (
            state.open is not None  # witnessing of this peer waits for an administrator
            or (state.latest is not None and jws == state.latest.jws)
            or jws in state.done
            or (jws == state.unchecked and time.monotonic() < state.retry_at)
        ):
            return
        if state.task is not None:
            state.pending = (directory, peer, jws)
            return
        self._start(name, state, directory, peer, jws)

    # -- what is held ------------------------------------------------------

    def latest(self, peer: str) -> SeenHead | None:
        state = self._peers.get(peer)
        return None if state is None else state.latest

    def inconsistency(self, peer: str) -> Evidence | None:
        """The open inconsistency of ``peer``, if any."""
        state = self._peers.get(peer)
        return None if state is None else state.open

    # -- checking ----------------------------------------------------------

    def _peer(self, name: str) -> _Peer:
        state = self._peers.get(name)
        if state is None:
            state = self._peers[name] = _Peer()
        return state

    def _start(self, name: str, state: _Peer, directory: Directory, peer: Member, jws: str) -> None:
        task = asyncio.create_task(self._check(name, state, directory, peer, jws))
        state.task = task
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._finished(name, state, t))

    def _finished(self, name: str, state: _Peer, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        state.task = None
        if not task.cancelled() and task.exception() is not None:
            _logger.error("witness check of %s failed", name, exc_info=task.exception())
        pending, state.pending = state.pending, None
        if pending is not None and not self._closing:
            self.observe(*pending)

    async def _check(
        self, name: str, state: _Peer, directory: Directory, peer: Member, jws: str
    ) -> None:
        state.generation += 1
        try:
            head, cert = self._verify(directory, peer, jws)
        except TreeHeadError as exc:
            # Not the peer's word (the header is not covered by the hop signature): ignored,
            # and never a reason to refuse anyone.
            state.remember(jws)
            _logger.warning("ignored a tree head sent by %s's gateway: %s", name, exc)
            return
        held = state.latest
        verdict: Verdict = compare(None if held is None else _tree_head(held), head)
        proof: str | None = None
        if isinstance(verdict, Prove):
            proven = await self._prove(name, state, directory, peer, jws, verdict)
            if proven is None:
                return  # could not be checked now; retried later
            verdict, proof = proven
        if isinstance(verdict, Contradiction):
            assert held is not None
            await self._contradiction(directory, peer, held, jws, head, cert, verdict, proof)
        elif isinstance(verdict, Adopt):
            await self._adopt(state, SeenHead(name, *_fields(head), kid(cert), jws, _now_ms()))
        else:
            state.remember(jws)
            if state.unchecked == jws:
                await self._forget_unchecked(name, state)

    async def _prove(
        self,
        name: str,
        state: _Peer,
        directory: Directory,
        peer: Member,
        jws: str,
        verdict: Prove,
    ) -> tuple[Verdict, str | None] | None:
        """The verdict once the proof is in, with the proof as served; None: no proof now."""
        first, second = verdict.first, verdict.second
        if first.tree_size == 0:  # every tree extends the empty one
            consistent, text = first.root_hash == EMPTY_ROOT, None
        else:
            try:
                served = await self.proofs(directory, peer, first.tree_size, second.tree_size)
            except GatewayError as exc:
                await self._unchecked(name, state, jws, exc.message)
                return None
            consistent, text = (
                verify_consistency(
                    first.tree_size,
                    second.tree_size,
                    first.root_hash,
                    second.root_hash,
                    served.path,
                ),
                served.text,
            )
        if not consistent:
            return _failed_proof(first, second), text
        self.proofs_checked += 1
        return (Adopt() if verdict.adopt else Keep()), text

    def _verify(
        self, directory: Directory, peer: Member, jws: str
    ) -> tuple[TreeHead, x509.Certificate]:
        if len(jws) > MAX_HEAD_LENGTH:
            raise TreeHeadError(f"{len(jws)} characters long: not a tree head")
        certificates = {
            kid(cert): cert for cert in peer.signing_certificates if not directory.is_revoked(cert)
        }
        head = verify_tree_head(jws, certificates)
        if head.member != str(peer.id):
            raise TreeHeadError(f"it is a tree head of {head.member!r}, not of {peer.id}")
        return head, certificates[api_jws.get_unverified_header(jws)["kid"]]

    async def _adopt(self, state: _Peer, seen: SeenHead) -> None:
        try:
            await self.store.adopt(seen)
        except AuditError as exc:  # held in memory all the same; the next head stores again
            _logger.error("could not keep %s's tree head: %s", seen.peer, exc.message)
        state.latest = seen
        state.unchecked = None

    async def _unchecked(self, name: str, state: _Peer, jws: str, reason: str) -> None:
        first_time = state.unchecked != jws
        state.unchecked = jws
        state.retry_at = time.monotonic() + self.refresh_interval
        log = _logger.warning if first_time else _logger.debug
        log("could not check %s's new tree head yet (retrying): %s", name, reason)
        if first_time:
            with contextlib.suppress(AuditError):
                await self.store.set_unchecked(Unchecked(name, jws, _now_ms(), reason), name)

    async def _forget_unchecked(self, name: str, state: _Peer) -> None:
        state.unchecked = None
        with contextlib.suppress(AuditError):
            await self.store.set_unchecked(None, name)

    async def _contradiction(
        self,
        directory: Directory,
        peer: Member,
        held: SeenHead,
        jws: str,
        head: TreeHead,
        cert: x509.Certificate,
        verdict: Contradiction,
        proof: str | None,
    ) -> None:
        name = str(peer.id)
        held_cert = next(
            (c for c in peer.signing_certificates if kid(c) == held.kid and c != cert), None
        )
        evidence = Evidence(
            peer=name,
            kind=verdict.kind,
            reason=verdict.reason,
            detected_at=_now_ms(),
            action="refuse" if self.refuse else "report",
            held_jws=held.jws,
            new_jws=jws,
            proof=proof,
            certificates=tuple(certificate_to_pem(c) for c in (cert, held_cert) if c is not None),
            directory=directory.token,
        )
        number = 0
        try:
            number = await self.store.add_inconsistency(evidence)
        except AuditError as exc:  # refused all the same: the log line is the evidence then
            _logger.error("could not keep the witness evidence against %s: %s", name, exc.message)
        evidence = dataclasses.replace(evidence, number=number)
        state = self._peer(name)
        state.open = evidence
        state.unchecked = None
        consequence = (
            f"exchanges with {name} are refused in both directions until an administrator"
            f" clears it (xgw witness clear {name})"
            if self.refuse
            else f'[witness] on_inconsistency = "report": exchanges with {name} go on'
        )
        _logger.error(
            "WITNESS: the audit log of %s was rewritten (%s): it signed a tree head of %s"
            " and now one of %s: %s. Evidence #%d kept (xgw witness show %d); %s",
            name,
            verdict.kind,
            _describe(_tree_head(held)),
            _describe(head),
            verdict.reason,
            number,
            number,
            consequence,
        )

    # -- the schedule ------------------------------------------------------

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_interval)
            try:
                await self.refresh()
            except GatewayError as exc:  # the store or the directory: the next round retries
                _logger.error("witness refresh failed: %s", exc.message)
            except Exception:  # the schedule must outlive any one failure
                _logger.exception("witness refresh failed")

    async def refresh(self) -> None:
        """Re-read the store (an administrator may have cleared a peer), our own latest
        head, and retry the heads that could not be checked."""
        await self._reload()
        await self._refresh_own()
        due = [
            (name, state)
            for name, state in self._peers.items()
            if state.unchecked is not None
            and state.task is None
            and state.open is None
            and time.monotonic() >= state.retry_at
        ]
        if not due:
            return
        directory = self.directory()
        for name, state in due:
            peer = directory.member(ClientId.parse(name))
            if peer is not None and state.unchecked is not None:
                self._start(name, state, directory, peer, state.unchecked)

    async def _reload(self) -> None:
        generations = {name: state.generation for name, state in self._peers.items()}
        latest = await self.store.latest()
        open_: dict[str, Evidence] = {}
        for evidence in await self.store.inconsistencies(open_only=True):
            open_.setdefault(evidence.peer, evidence)
        for name in {*latest, *open_, *self._peers}:
            state = self._peer(name)
            if state.task is not None or state.generation != generations.get(name, 0):
                continue  # a check is under way or finished meanwhile: its result stands
            if state.open is not None and state.open.number == 0:
                continue  # found, but its evidence could not be stored: refused all the same
            state.latest = latest.get(name)
            state.open = open_.get(name)

    async def _refresh_own(self) -> None:
        if self.audit is None:
            return
        stored = await self.audit.latest_tree_head()
        self._own = None if stored is None else stored.jws


def _fields(head: TreeHead) -> tuple[int, bytes, int]:
    return head.tree_size, head.root_hash, head.timestamp
