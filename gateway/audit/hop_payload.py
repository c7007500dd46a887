"""The signed hop's payloads seen from an audit record: what a record rebuilds, what must agree.

Usage::

    status, lines = read_signing_input(payload)   # what a record keeps of a signed message
    payload = rebuild_payload(record)    # bytes, or None when the record lacks header values
    check_payload(record, payload)       # ValueError unless the payload is this record's message

A hop signature (docs/protocol.md) is a detached JWS over a payload of lines: the
protocol line, the method and raw path (requests) or the status (responses), every
``x-road-*`` header, the content type and the body digest. A record keeps the method,
the path, the client, the service, the exchange id, the status and the digest, and in
``signed_headers`` the header lines in between, as ``(name, value)`` pairs: from them
the payload is rebuilt byte for byte. Records written before ``signed_headers`` existed
lack a request's content type and optional ``X-Road-UserId``, ``X-Road-Issue`` and
``X-Road-Represented-Party``, and a response's ``X-Road-Request-Id``,
``X-Road-Request-Hash``, ``X-Road-Error`` and content type: of those only a request
without a body and without the optional headers is rebuilt from the record alone.
``check_payload`` makes sure a payload is the recorded message (every line the record
determines is the record's) before the signature over it counts.
"""

from __future__ import annotations

from gateway.audit.record import AuditRecord
from gateway.errors import GatewayError
from gateway.identifiers import ServiceId
from gateway.signing import body_digest, request_signing_input, response_signing_input

__all__ = ["check_payload", "hop_path", "read_signing_input", "rebuild_payload"]

SignedHeaders = tuple[tuple[str, str], ...]

_EMPTY_DIGEST = body_digest(b"")


def hop_path(record: AuditRecord) -> str:
    """The raw path the request went to on the signed hop: ``/r1/`` + service + path."""
    try:
        service = ServiceId.parse(record.service)
    except GatewayError as exc:
        raise ValueError(f"the record's service {record.service!r} is no service id") from exc
    return f"/r1/{service.wire()}{record.path}"


def read_signing_input(payload: bytes) -> tuple[int | None, SignedHeaders] | None:
    """A signing input's status (responses; None for requests) and header lines.

    What a record keeps to rebuild the payload: the lines between the method and path
    (or the status) and the digest, split at their first ``:``. None when the payload
    is not UTF-8 (a header value of other bytes): the record could not hold it as JSON.
    """
    try:
        lines = payload.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None
    if lines[0].endswith(" request"):
        status, headers = None, lines[3:-1]
    else:
        status, headers = int(lines[1]), lines[2:-1]
    # A plain loop: it runs for every record, and is a third faster than a generator.
    pairs = []
    for line in headers:
        name, _, value = line.partition(":")
        pairs.append((name, value))
    return status, tuple(pairs)


def rebuild_payload(record: AuditRecord) -> bytes | None:
    """The payload of the record's hop signature if the record alone determines it.

    Every record with ``signed_headers`` does. Of an older record, only a request
    without a body (its content type line is then empty), sent with no X-Road header
    but ``X-Road-Client`` and ``X-Road-Id``: a caller must still check the signature
    over it, as a request that did carry another X-Road header fails there.
    """
    if record.signed_headers is not None:
        if record.kind == "request":
            try:
                path = hop_path(record)
            except ValueError:
                return None
            return request_signing_input(record.method, path, record.signed_headers, record.digest)
        if record.status is None:
            return None
        return response_signing_input(record.status, record.signed_headers, record.digest)
    if record.kind != "request" or record.digest != _EMPTY_DIGEST:
        return None
    try:
        path = hop_path(record)
    except ValueError:
        return None
    headers = [("x-road-client", record.client), ("x-road-id", record.exchange_id)]
    return request_signing_input(record.method, path, headers, record.digest)


def _header_lines(lines: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"line {line[:60]!r} of the signed payload is no header")
        pairs.append((name, value))
    return pairs


def check_payload(record: AuditRecord, payload: bytes) -> None:
    """``ValueError`` unless ``payload`` is a hop payload of exactly this record's message.

    The payload must be what ``gateway.signing`` builds from the record's method, path
    (requests), status (responses) and digest together with the header lines the
    payload itself holds, and those must include the record's client, exchange id and
    (responses) service.
    """
    try:
        lines = payload.decode("utf-8").split("\n")
    except UnicodeDecodeError as exc:
        raise ValueError("the signed payload is not UTF-8") from exc
    required = [("x-road-id", record.exchange_id)]
    if record.kind == "request":
        headers = _header_lines(lines[3:-1])
        rebuilt = request_signing_input(record.method, hop_path(record), headers, record.digest)
        required.append(("x-road-client", record.client))
    else:
        if record.status is None:
            raise ValueError("a response record without a status cannot have been signed")
        headers = _header_lines(lines[2:-1])
        rebuilt = response_signing_input(record.status, headers, record.digest)
        required += [
            (name, value)
            for name, value in (
                ("x-road-client", record.client),
                ("x-road-service", record.service),
            )
            if value
        ]
    if rebuilt != payload:
        what = "method, path" if record.kind == "request" else "status"
        raise ValueError(
            f"the signed payload is not the record's message: its {what} or digest differ"
            " from the record's, or it is not in the protocol's form"
        )
    for name, value in required:
        if (name, value.strip()) not in headers:
            raise ValueError(f"the signed payload has no line {name}:{value}")
