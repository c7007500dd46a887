"""The resources of one running gateway node, opened together and closed together.

Usage::

    async with Node.open(settings) as node:
        node.directory.current()          # the verified directory
        await node.audit.append(record)
        await node.tree_heads.sign_now()  # a signed tree head, now (else every interval)
        node.witness.guard("EE/GOV/70000310", origin, notes)  # refused: its log was rewritten

A ``Node`` is what every stage is built with; ``gateway.app`` puts it under an
``AppKey`` and serves it on two listeners.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from cryptography import x509

from connectors.base import ConnectorOptions
from connectors.registry import ConnectorRegistry
from gateway._crypto import fingerprint, load_certificate
from gateway.audit.admin_events import directory_adoption, record_soon
from gateway.audit.bodies import BodyVault
from gateway.audit.body_keys import BodyKeyring, create_body_key, load_body_key
from gateway.audit.body_policy import BodyRules
from gateway.audit.body_purge import BodyPurgeSchedule
from gateway.audit.log import AuditLog
from gateway.audit.schedule import TreeHeadSchedule
from gateway.audit.witness import WITNESS_DB, PeerProofs, Witness
from gateway.audit.witness_store import SQLiteWitnessStore
from gateway.directory import Directory
from gateway.directory_manager import DirectoryManager
from gateway.errors import ConfigError, DirectoryError
from gateway.expiry import ExpiryWatch
from gateway.identifiers import ClientId
from gateway.metrics import Metrics
from gateway.replay import ReplayCache
from gateway.rotation import NodeKeys
from gateway.settings import Settings
from gateway.signing import HopSigner
from gateway.storage.factory import NodeStorage
from gateway.trust import (
    PeerIdentifier,
    add_cas,
    peer_client_context,
    peer_server_context,
)
from gateway.xroad_soap.wsdl import published_wsdl

__all__ = [
    "AUDIT_DB",
    "BODY_KEY_FILE",
    "DIRECTORY_CACHE",
    "Credentials",
    "Node",
    "build_connectors",
    "load_credentials",
    "load_wsdls",
]

_logger = logging.getLogger(__name__)

AUDIT_DB = "audit.sqlite"
BODY_KEY_FILE = "audit-body.key"  # the body key when [audit] body_keys names none
DIRECTORY_CACHE = "directory.jws"


@dataclass
class Node:
    settings: Settings
    member: ClientId
    directory: DirectoryManager
    signer: HopSigner
    replay: ReplayCache
    audit: AuditLog
    peers: PeerIdentifier
    peer_server_ssl: ssl.SSLContext
    peer_session: aiohttp.ClientSession
    backend_session: aiohttp.ClientSession
    client_bindings: dict[str, ClientId]  # client cert SHA-256 -> subsystem
    connectors: ConnectorRegistry
    backends: dict[tuple[str, str], str]  # (subsystem, service code) -> backend URL
    # (subsystem, service code) -> the SOAP service's WSDL as getWsdl hands it out
    wsdls: dict[tuple[str, str], bytes]
    tree_heads: TreeHeadSchedule  # signs the audit log's tree head every interval and on demand
    body_purge: BodyPurgeSchedule  # deletes message bodies past their retention, hourly
    witness: Witness  # keeps the peers' tree heads and checks each new one against the last
    keys: NodeKeys  # our own keys; a rotation switches signer, TLS contexts (gateway.rotation)
    metrics: Metrics  # Prometheus: exchanges, audit commits, expiry (gateway.metrics)

    @property
    def snake_errors(self) -> bool:
        return self.settings.xroad.error_spelling == "snake_case"

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, settings: Settings) -> AsyncIterator[Node]:
        async with contextlib.AsyncExitStack() as stack:
            node = await cls._build(settings, stack)
            yield node

    @classmethod
    async def _build(cls, settings: Settings, stack: contextlib.AsyncExitStack) -> Node:
        credentials = load_credentials(settings, recover=True)
        keys = credentials.keys
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # SQLite files, or the PostgreSQL database the member's nodes share (schema checked).
        storage = await stack.enter_async_context(NodeStorage.open(settings))
        directory = DirectoryManager(
            settings.directory.source,
            [credentials.trust_anchor],
            refresh_interval=settings.directory.refresh_interval,
            cache=settings.data_dir / DIRECTORY_CACHE,
            store=storage.directories,
        )
        await directory.start()
        stack.push_async_callback(directory.close)
        with contextlib.suppress(DirectoryError):  # before any TLS context: any key type
            await keys.adopt_staged(directory.current())
        cas = _federation_cas(directory)
        tls, password = settings.tls, keys.tls_password
        server_ssl = peer_server_context(tls.certificate, tls.key, cas, password=password)
        client_ssl = peer_client_context(tls.certificate, tls.key, cas, password=password)
        keys.track(server_ssl), keys.track(client_ssl)  # a TLS rotation reloads both
        directory.on_change.append(lambda d: _trust_new_cas(d, server_ssl, client_ssl))

        rules = BodyRules.from_settings(settings)
        keyring = credentials.body_keys or _data_dir_body_key(settings, rules)
        vault = BodyVault(keyring, rules, settings.audit.max_body_bytes)
        audit = AuditLog(storage.audit, bodies=vault)
        await audit.open()
        stack.push_async_callback(audit.close)
        # Every directory adopted from now on is an admin event (the first load came before).
        directory.on_change.append(lambda d: record_soon(audit, directory_adoption(d)))
        metrics = Metrics(settings, directory)
        audit.on_commit = metrics.observe_audit_commit
        expiry = ExpiryWatch(settings, directory)
        expiry.start()
        stack.push_async_callback(expiry.stop)
        tree_heads = TreeHeadSchedule(
            audit, keys.tree_head_signer, settings.audit.tree_head_interval
        )
        tree_heads.start()
        stack.push_async_callback(tree_heads.stop)  # before the log closes: a last head
        body_purge = BodyPurgeSchedule(audit, rules, settings.audit.body_purge_interval)
        body_purge.start()
        stack.push_async_callback(body_purge.stop)
        replay = ReplayCache(settings.security.replay_window, claims=storage.nonces)
        await _reload_nonces(replay, audit)

        timeouts = settings.timeouts
        peer_session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=client_ssl, limit=256, limit_per_host=128),
            timeout=aiohttp.ClientTimeout(total=timeouts.peer, sock_connect=timeouts.connect),
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept-Encoding"),
        )
        stack.push_async_callback(peer_session.close)
        backend_session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=256),
            timeout=aiohttp.ClientTimeout(total=timeouts.backend, sock_connect=timeouts.connect),
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept-Encoding"),
        )
        stack.push_async_callback(backend_session.close)
        witness = Witness(
            SQLiteWitnessStore(settings.data_dir / WITNESS_DB),
            member=settings.member.id,
            settings=settings.witness,
            directory=directory.current,
            audit=audit,
            proofs=PeerProofs(peer_session, keys.pinned),  # one cache, reset by a rotation
        )
        await witness.start()
        stack.push_async_callback(witness.close)  # before the sessions and the log close

        node = cls(
            settings=settings,
            member=settings.member_id,
            directory=directory,
            signer=keys.signer,
            replay=replay,
            audit=audit,
            peers=PeerIdentifier(),
            peer_server_ssl=server_ssl,
            peer_session=peer_session,
            backend_session=backend_session,
            client_bindings=credentials.client_bindings,
            connectors=build_connectors(settings),
            backends={(s.subsystem, s.code): s.backend for s in settings.services},
            wsdls=credentials.wsdls,
            tree_heads=tree_heads,
            body_purge=body_purge,
            witness=witness,
            metrics=metrics,
            keys=keys,
        )
        await keys.attach(node)  # adopts staged keys on every directory change from now on
        stack.push_async_callback(keys.close)
        return node


def _data_dir_body_key(settings: Settings, rules: BodyRules) -> BodyKeyring | None:
    """Without ``[audit] body_keys``: the data directory's key, created on first start.

    None when no service keeps bodies (no key is needed then).
    """
    path = settings.data_dir / BODY_KEY_FILE
    if path.exists():
        return BodyKeyring([load_body_key(path, key_name="audit.body_keys")])
    if not rules.keeps_any():
        return None
    key = create_body_key(path, key_name="audit.body_keys")
    _logger.warning(
        "created the audit body key %s (key id %s): message bodies in the audit log are"
        " sealed with it; keep a copy, or name keys kept elsewhere in [audit] body_keys",
        path,
        key.id,
    )
    return BodyKeyring([key])


def _federation_cas(directory: DirectoryManager) -> list[x509.Certificate]:
    try:
        return list(directory.current().ca_certificates)
    except DirectoryError:  # none valid yet: the TLS stores fill when one arrives
        return []


def _trust_new_cas(directory: Directory, *contexts: ssl.SSLContext) -> None:
    for context in contexts:
        add_cas(context, directory.ca_certificates)


async def _reload_nonces(replay: ReplayCache, audit: AuditLog) -> None:
    since = datetime.fromtimestamp(_now() - 2 * replay.window, UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )
    seen = await audit.recent_nonces(since)
    replay.load((nonce, _parse_time(at)) for nonce, at in seen)
    if seen:
        _logger.info("replay cache reloaded with %d nonces from the audit log", len(seen))


def _now() -> float:
    return time.time()


def _parse_time(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class Credentials:
    """Every key, certificate and service description a node reads, checked before it starts."""

    trust_anchor: x509.Certificate
    keys: NodeKeys  # the TLS and signing pairs, live (gateway.rotation)
    body_keys: BodyKeyring | None  # [audit] body_keys; None: the data directory's key
    client_bindings: dict[str, ClientId]
    wsdls: dict[tuple[str, str], bytes]


def load_credentials(settings: Settings, *, recover: bool = False) -> Credentials:
    """Read and cross-check the configured files; ConfigError naming the key on any problem.

    ``recover`` completes a key rotation a crash interrupted (``xgw serve``; never a check).
    """
    keys = NodeKeys.load(settings, recover=recover)
    if settings.security.client_ca is not None:
        load_certificate(settings.security.client_ca, key_name="security.client_ca")
    for index, service in enumerate(settings.services):
        if service.openapi is not None and not service.openapi.is_file():
            raise ConfigError(
                f"services[{index}].openapi", f"file {service.openapi} does not exist"
            )
    return Credentials(
        trust_anchor=load_certificate(
            settings.directory.trust_anchor, key_name="directory.trust_anchor"
        ),
        keys=keys,
        body_keys=BodyKeyring.load(settings.audit.body_keys) if settings.audit.body_keys else None,
        client_bindings=_client_bindings(settings),
        wsdls=load_wsdls(settings),
    )


def load_wsdls(settings: Settings) -> dict[tuple[str, str], bytes]:
    """Each SOAP service's WSDL (``[[services]] wsdl``), read once and published.

    Published means with the backend's endpoint addresses hidden (PR-META 4); a file
    that cannot be read or is no WSDL 1.1 document stops the start with a ConfigError.
    """
    wsdls: dict[tuple[str, str], bytes] = {}
    for index, service in enumerate(settings.services):
        if service.wsdl is None:
            continue
        key = f"services[{index}].wsdl"
        try:
            document = service.wsdl.read_bytes()
        except OSError as exc:
            raise ConfigError(key, f"cannot read {service.wsdl}: {exc.strerror or exc}") from exc
        try:
            wsdls[(service.subsystem, service.code)] = published_wsdl(document)
        except ValueError as exc:
            raise ConfigError(key, f"{service.wsdl} is not a usable WSDL: {exc}") from exc
    return wsdls


def build_connectors(settings: Settings) -> ConnectorRegistry:
    """The node's connectors, built once; every configured format must be one of them."""
    translation = settings.translation
    if translation.schema_dir is not None and not translation.schema_dir.is_dir():
        raise ConfigError("translation.schema_dir", f"{translation.schema_dir} is not a directory")
    registry = ConnectorRegistry.default(
        ConnectorOptions(
            schema_dir=translation.schema_dir, lenient_identifiers=translation.lenient_identifiers
        )
    )
    known = set(registry.names())
    formats = [(f"clients[{i}].format", c.format) for i, c in enumerate(settings.clients)]
    formats += [
        (f"services[{i}].format", s.format)
        for i, s in enumerate(settings.services)
        if s.format is not None
    ]
    for key, name in formats:
        if name not in known:
            raise ConfigError(key, f"no connector {name!r}; known: {', '.join(sorted(known))}")
    return registry


def _client_bindings(settings: Settings) -> dict[str, ClientId]:
    bindings: dict[str, ClientId] = {}
    for index, client in enumerate(settings.clients):
        if client.certificate is None:
            continue
        cert = load_certificate(client.certificate, key_name=f"clients[{index}].certificate")
        fp = fingerprint(cert)
        if fp in bindings:
            raise ConfigError(
                f"clients[{index}].certificate", "the same certificate is bound to two subsystems"
            )
        bindings[fp] = ClientId.parse(client.subsystem)
    return bindings
