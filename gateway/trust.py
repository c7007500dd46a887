"""Who is on the other end: TLS contexts and the directory check of a peer's certificate.

Usage::

    server_ctx = peer_server_context(tls_cert, tls_key, directory.ca_certificates)
    cert = peer_certificate(request.transport, trusted_proxies, request.headers)
    member = PeerIdentifier().identify(directory, cert)   # CertValidationError if refused
    context = PinnedContexts(tls_cert, tls_key).context(directory, member)  # calling a member

A peer certificate that does not chain to a federation CA fails the TLS
handshake. One that chains but is unknown, revoked or expired is refused after
the handshake with a typed X-Road error, so operators can see why: the
handshake therefore skips OpenSSL's time check (``X509_V_FLAG_NO_CHECK_TIME``)
and :meth:`PeerIdentifier.identify` checks validity itself, against the
directory, on every request. A partner member's certificate (a member without
xgw, docs/partner-routes.md) is never accepted on the peer port.
"""

from __future__ import annotations

import hashlib
import logging
import ssl
from asyncio import BaseTransport
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

from cryptography import x509

from gateway._crypto import certificate_from_der, certificate_to_pem, fingerprint, now_utc
from gateway.directory import Directory, Member
from gateway.errors import CLIENT_PROXY, CertValidationError

__all__ = [
    "FORWARDED_CERT_HEADER",
    "PeerIdentifier",
    "PinnedContexts",
    "add_cas",
    "client_port_context",
    "peer_certificate",
    "peer_client_context",
    "peer_server_context",
    "pinned_partner_context",
    "pinned_peer_context",
]

_logger = logging.getLogger(__name__)

# Set by a trusted TLS terminator (load balancer): the client's certificate, URL-encoded PEM
# (nginx's $ssl_client_escaped_cert).
FORWARDED_CERT_HEADER = "X-Forwarded-Client-Cert"
_NO_CHECK_TIME = 0x200000  # OpenSSL X509_V_FLAG_NO_CHECK_TIME; Python's ssl does not name it


def _ca_pem(cas: Iterable[x509.Certificate]) -> str:
    return "".join(certificate_to_pem(ca) for ca in cas)


def _peer_context(
    protocol: ssl._SSLMethod,
    cert: Path,
    key: Path,
    trusted: Iterable[x509.Certificate],
    password: bytes | None = None,
) -> ssl.SSLContext:
    # Built by hand, not with create_default_context: only what we name is trusted,
    # never the system's CA store.
    context = ssl.SSLContext(protocol)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(cert, key, password)
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= _NO_CHECK_TIME
    add_cas(context, trusted)
    return context


def peer_server_context(
    cert: Path, key: Path, cas: Iterable[x509.Certificate], *, password: bytes | None = None
) -> ssl.SSLContext:
    """The peer port: TLS 1.3, a client certificate from a federation CA required.

    ``password`` decrypts ``key`` (``[tls] passphrase_file``), as for every builder here.
    """
    return _peer_context(ssl.PROTOCOL_TLS_SERVER, cert, key, cas, password)


def peer_client_context(
    cert: Path, key: Path, cas: Iterable[x509.Certificate], *, password: bytes | None = None
) -> ssl.SSLContext:
    """Calling a server whose certificate comes from one of ``cas`` (e.g. a trusted proxy)."""
    context = _peer_context(ssl.PROTOCOL_TLS_CLIENT, cert, key, cas, password)
    context.check_hostname = False  # pinned by fingerprint or CA, and URLs may be plain IPs
    return context


def pinned_peer_context(
    cert: Path, key: Path, pinned: Iterable[x509.Certificate], *, password: bytes | None = None
) -> ssl.SSLContext:
    """Calling a peer gateway: only its own listed TLS certificates pass the handshake.

    The pinned end-entity certificates are the trust store (``VERIFY_X509_PARTIAL_CHAIN``),
    so nothing is sent to a server that is not the member the directory names, even one
    with a certificate from a federation CA.
    """
    context = peer_client_context(cert, key, pinned, password=password)
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


def pinned_partner_context(
    cert: Path, key: Path, pinned: Iterable[x509.Certificate], *, password: bytes | None = None
) -> ssl.SSLContext:
    """Calling a partner without xgw: only its listed server certificates pass the handshake.

    As for a peer gateway, but TLS 1.2 is accepted: X-Road security servers and
    partners' own services are not ours to upgrade. Our TLS certificate is the client
    certificate.
    """
    context = pinned_peer_context(cert, key, pinned, password=password)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class PinnedContexts:
    """TLS contexts that trust only a member's listed, currently valid TLS certificates.

    One context per set of pinned certificates, built once and reused, so connections
    to a member are pooled across exchanges. ``clear()`` after our own TLS key changed:
    aiohttp pools connections by context, so the old ones are never picked again.
    """

    _MAX_ENTRIES = 1024

    def __init__(self, cert: Path, key: Path, *, password: bytes | None = None) -> None:
        self.cert = cert
        self.key = key
        self.password = password
        self._contexts: dict[tuple[frozenset[str], bool], ssl.SSLContext] = {}

    def clear(self) -> None:
        self._contexts.clear()

    def context(self, directory: Directory, member: Member) -> ssl.SSLContext:
        """CertValidationError (ours) when the member has no valid TLS certificate listed."""
        now = now_utc()
        valid = []
        for cert in member.tls_certificates:
            try:
                directory.check_certificate(cert, now)
            except CertValidationError:
                continue
            valid.append(cert)
        if not valid:
            raise CertValidationError(
                f"{member.id} has no valid TLS certificate in the directory", origin=CLIENT_PROXY
            )
        # The directory already holds the fingerprints; recompute only during a rotation.
        pins = (
            member.tls_fingerprints
            if len(valid) == len(member.tls_certificates)
            else frozenset(fingerprint(cert) for cert in valid)
        )
        key = (pins, member.is_partner)
        context = self._contexts.get(key)
        if context is None:
            if len(self._contexts) > self._MAX_ENTRIES:  # certificates of past directories
                self._contexts.clear()
            build = pinned_partner_context if member.is_partner else pinned_peer_context
            context = self._contexts[key] = build(
                self.cert, self.key, valid, password=self.password
            )
        return context


def add_cas(context: ssl.SSLContext, cas: Iterable[x509.Certificate]) -> None:
    """A new directory may list new CAs: OpenSSL can add to a store, never remove."""
    pem = _ca_pem(cas)
    if pem:
        context.load_verify_locations(cadata=pem)


def client_port_context(
    cert: Path,
    key: Path,
    client_ca: Path,
    *,
    certificate_optional: bool = False,
    password: bytes | None = None,
) -> ssl.SSLContext:
    """The local client port: a client certificate from the member's own CA.

    Required in the handshake, unless ``certificate_optional``: a front door whose
    protocol authenticates callers by bearer token (Haal Centraal) is served on this
    port, so a caller without a certificate may finish the handshake. Every other
    route then refuses it in its own convention (``AuthenticateClient``), and a
    certificate that is presented must still chain to ``client_ca``.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(client_ca))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key, password)
    context.verify_mode = ssl.CERT_OPTIONAL if certificate_optional else ssl.CERT_REQUIRED
    return context


def _der_of(transport: BaseTransport | None) -> bytes | None:
    if transport is None:
        return None
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der: bytes | None = ssl_object.getpeercert(binary_form=True)
    return der


def peer_certificate(
    transport: BaseTransport | None, trusted_proxies: Iterable[str], headers: Mapping[str, str]
) -> bytes:
    """The DER certificate of the party that sent this request.

    Normally the TLS peer's. When the TLS peer is a configured TLS terminator
    (a load balancer in front of this gateway), the certificate it forwarded.
    """
    der = _der_of(transport)
    if der is None:
        raise CertValidationError("no client certificate presented")
    if hashlib.sha256(der).hexdigest() in trusted_proxies:
        forwarded = headers.get(FORWARDED_CERT_HEADER)
        if not forwarded:
            raise CertValidationError("trusted proxy forwarded no client certificate")
        try:
            return ssl.PEM_cert_to_DER_cert(unquote(forwarded).strip())
        except ValueError as exc:
            raise CertValidationError(f"forwarded client certificate is unreadable: {exc}") from exc
    return der


class PeerIdentifier:
    """Maps a peer certificate to its member; remembers the answer per directory.

    Keyed by the DER bytes, so a keep-alive connection's certificate is parsed once
    per directory; validity and revocation are still checked on every request.
    """

    _MAX_ENTRIES = 4096

    def __init__(self) -> None:
        self._cache: dict[bytes, tuple[Member, x509.Certificate]] = {}
        self._sequence = -1

    def identify(self, directory: Directory, der: bytes, now: datetime | None = None) -> Member:
        if directory.sequence != self._sequence or len(self._cache) > self._MAX_ENTRIES:
            self._cache.clear()
            self._sequence = directory.sequence
        entry = self._cache.get(der)
        if entry is None:
            cert = certificate_from_der(der)
            fp = fingerprint(cert)
            found = directory.member_by_tls_fingerprint(fp)
            partners = directory.partners_by_tls_fingerprint(fp) if found is None else ()
            if partners:
                # A partner is reached in its own protocol; it never calls a gateway's peer
                # port, and signs nothing a gateway could check.
                raise CertValidationError(
                    f"certificate {cert.subject.rfc4514_string()} (sha256 {fp[:16]}...) "
                    f"belongs to {', '.join(str(p.id) for p in partners)}, a partner without "
                    "xgw: it is not accepted on the peer port"
                )
            if found is None:
                raise CertValidationError(
                    f"certificate {cert.subject.rfc4514_string()} (sha256 {fp[:16]}...) "
                    "is not listed for any member in the directory"
                )
            entry = (found, cert)
        member, cert = entry
        directory.check_certificate(cert, now or now_utc())
        self._cache[der] = entry
        return member
