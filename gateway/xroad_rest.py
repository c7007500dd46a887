"""The X-Road message protocol for REST (PR-REST r1, PR-MREST), as pure functions.

Usage::

    headers = forwardable_headers(request.headers.items())
    client = last_header(headers, "X-Road-Client")          # the last one wins
    digest = request_hash("GET", "/r1/EE/GOV/1/sub/svc/x?a=1", [("x-road-id", xid)], None)

    body, content_type = error_body(err, accept=request.headers.get("Accept"))
    response_headers = error_headers(err)                    # {"X-Road-Error": err.type}

    parse_error_response(body, content_type, response.headers.get("X-Road-Error"))
    # -> ("Server.ServerProxy.NetworkError", "Connect to ... timed out", "9bc95b6e-...")

No I/O and no aiohttp here: the frontends hand in what arrived and send what
comes back.

``X-Road-Request-Hash`` (DESIGN.md, "Protocols"), exactly::

    header part = METHOD SP raw-path-and-query CRLF
                  *( name ":" value CRLF )        one line per header passed in
    hash        = base64( SHA-512( SHA-512(header part) || SHA-512(body) ) )
                  or base64( SHA-512(header part) ) when the body is None or empty

- ``METHOD`` and the path with its query are used exactly as given: the raw,
  still percent-encoded request target as it arrived (no normalisation).
- Header names are lowercased here, because HTTP names are
  case-insensitive and HTTP/2 and many proxies lowercase them anyway; xgw's
  callers already pass lowercase names, so for them this changes nothing.
  Values are used as given: no trimming, no folding.
- Headers are taken in the order given, duplicates included: the caller
  chooses which headers are "passed on" and in which order.
- The header part is encoded as UTF-8 with ``surrogateescape``, so a value that
  aiohttp decoded from non-UTF-8 bytes hashes as the bytes that were on the wire.
- base64 is the standard alphabet with padding (RFC 4648 section 4).
- A CR, LF or NUL in the method, path, a name or a value, a ``:`` in a name, or
  a space in the method or path would make two different requests hash alike;
  such input raises :class:`~gateway.errors.BadRequestError`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence
from urllib.parse import unquote

import orjson
from lxml import etree

from gateway.errors import BadRequestError, GatewayError, parse_error_type
from gateway.identifiers import ClientId, ServiceId, split_service_path

__all__ = [
    "HOP_BY_HOP",
    "JSON_CONTENT_TYPE",
    "METASERVICES",
    "XML_CONTENT_TYPE",
    "XROAD_CLIENT_HEADERS",
    "error_body",
    "error_headers",
    "forwardable_headers",
    "last_header",
    "list_clients_json",
    "list_clients_xml",
    "parse_error_response",
    "parse_metaservice_path",
    "request_hash",
    "rest_service_list_json",
    "wants_xml",
]

JSON_CONTENT_TYPE = "application/json;charset=utf-8"
XML_CONTENT_TYPE = "application/xml;charset=utf-8"

# RFC 9110 section 7.6.1 plus the RFC 2616 leftovers proxies still strip
# ("trailers", "proxy-connection"); content-length is recomputed on each hop.
HOP_BY_HOP: frozenset[str] = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)

XROAD_CLIENT_HEADERS: tuple[str, ...] = (
    "X-Road-Client",
    "X-Road-Id",
    "X-Road-UserId",
    "X-Road-Issue",
    "X-Road-Represented-Party",
)

# PR-MREST's three, and PR-META's SOAP getWsdl (listMethods and allowedMethods are both).
METASERVICES: frozenset[str] = frozenset({"listMethods", "allowedMethods", "getOpenAPI", "getWsdl"})

_NS_IDENTIFIERS = "http://x-road.eu/xsd/identifiers"
_NS_XROAD = "http://x-road.eu/xsd/xroad.xsd"
# Characters XML 1.0 cannot carry at all (not even as character references).
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_UNSAFE_IN_HASH = re.compile("[\r\n\x00]")


# --- headers ---------------------------------------------------------------


def _connection_tokens(headers: Sequence[tuple[str, str]]) -> set[str]:
    """Header names listed in any ``Connection`` header (RFC 9110 section 7.6.1)."""
    tokens: set[str] = set()
    for name, value in headers:
        if name.lower() == "connection":
            tokens.update(t.strip().lower() for t in value.split(",") if t.strip())
    return tokens


def forwardable_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop hop-by-hop headers, and those named in ``Connection``; keep order and duplicates.

    ``X-Road-*`` headers are kept: which of them travel on is the caller's call.
    """
    items = list(headers)
    drop = HOP_BY_HOP | _connection_tokens(items)
    return [(name, value) for name, value in items if name.lower() not in drop]


def last_header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    """The value of the last header called ``name`` (any case), or None.

    X-Road takes the last ``X-Road-Client`` when a client sends several.
    """
    wanted = name.lower()
    for key, value in reversed(headers):  # from the end: the last one wins, and is found first
        if len(key) == len(wanted) and key.lower() == wanted:
            return value
    return None


# --- X-Road-Request-Hash ---------------------------------------------------


def _header_part(method: str, target: str, headers: Sequence[tuple[str, str]]) -> bytes:
    if _UNSAFE_IN_HASH.search(method + target) or " " in method + target:
        raise BadRequestError("request line may not contain spaces, CR, LF or NUL")
    lines = [f"{method} {target}\r\n"]
    for name, value in headers:
        if _UNSAFE_IN_HASH.search(name + value) or ":" in name:
            raise BadRequestError(f"header {name!r} cannot be hashed unambiguously")
        lines.append(f"{name.lower()}:{value}\r\n")
    return "".join(lines).encode("utf-8", "surrogateescape")


def request_hash(
    method: str,
    raw_path_and_query: str,
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
) -> str:
    """``X-Road-Request-Hash`` of a request; see the module docstring for the exact input."""
    digest = hashlib.sha512(_header_part(method, raw_path_and_query, headers)).digest()
    if body:
        digest = hashlib.sha512(digest + hashlib.sha512(body).digest()).digest()
    return base64.b64encode(digest).decode("ascii")


# --- content negotiation ---------------------------------------------------


def _parse_accept(accept: str) -> list[tuple[str, str, float]]:
    """``(type, subtype, q)`` per media range; malformed ranges and q-values are skipped."""
    ranges = []
    for element in accept.split(","):
        media, *params = element.split(";")
        type_, slash, subtype = media.strip().lower().partition("/")
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                q = _qvalue(value)
        if slash and type_ and subtype and 0.0 <= q <= 1.0:
            ranges.append((type_, subtype, q))
    return ranges


def _qvalue(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        return -1.0  # out of range: the caller drops the element


def _quality(ranges: Sequence[tuple[str, str, float]], media_type: str) -> float:
    """RFC 9110 section 12.5.1: the most specific matching range decides the q."""
    type_, subtype = media_type.split("/")
    by_specificity: dict[int, float] = {}
    for range_type, range_subtype, q in ranges:
        if (range_type, range_subtype) == (type_, subtype):
            specificity = 2
        elif (range_type, range_subtype) in ((type_, "*"), ("*", "*")):
            specificity = 1 if range_type == type_ else 0
        else:
            continue
        by_specificity[specificity] = max(q, by_specificity.get(specificity, 0.0))
    return by_specificity[max(by_specificity)] if by_specificity else 0.0


def _preferred_xml(accept: str | None) -> str | None:
    """``application/xml`` or ``text/xml`` when the client prefers it to JSON, else None."""
    ranges = _parse_accept(accept or "")
    json_q = _quality(ranges, "application/json") if ranges else 1.0
    best: tuple[float, str] | None = None
    for media_type in ("application/xml", "text/xml"):  # on a tie the first wins
        q = _quality(ranges, media_type)
        if q > json_q and (best is None or q > best[0]):
            best = (q, media_type)
    return best[1] if best else None


def wants_xml(accept: str | None) -> bool:
    """True when ``Accept`` ranks ``application/xml`` or ``text/xml`` above JSON.

    JSON is the default: no header, ``*/*``, ``application/*`` or a tie all give JSON.
    """
    return _preferred_xml(accept) is not None


# --- X-Road REST errors ----------------------------------------------------


def _json_safe(text: str) -> str:
    # Lone surrogates (from surrogateescape-decoded input) are not valid UTF-8.
    return text.encode("utf-8", "replace").decode("utf-8")


def _xml_safe(text: str) -> str:
    return _NOT_XML_CHAR.sub("\ufffd", _json_safe(text))


def _error_fields(error: GatewayError, snake_case: bool) -> dict[str, str]:
    # Key order as in PR-REST's examples (4.6 Example 2-4).
    return {
        "type": error.snake_type if snake_case else error.type,
        "message": _json_safe(error.message),
        "detail": _json_safe(error.detail),
    }


def _xml_document(root: etree._Element, *, standalone: bool = False) -> bytes:
    if standalone:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def error_body(
    error: GatewayError, *, accept: str | None, snake_case: bool = False
) -> tuple[bytes, str]:
    """The X-Road REST error body and its content type, in the format ``accept`` prefers.

    JSON ``{"type", "message", "detail"}`` by default; ``<error><type/><message/>
    <detail/></error>`` for a client that prefers XML, served as the XML type it
    asked for (``application/xml`` or ``text/xml``), as X-Road's client proxy does.
    """
    fields = _error_fields(error, snake_case)
    xml_type = _preferred_xml(accept)
    if xml_type is None:
        return orjson.dumps(fields), JSON_CONTENT_TYPE
    root = etree.Element("error")
    for name, value in fields.items():
        etree.SubElement(root, name).text = _xml_safe(value)
    return _xml_document(root), f"{xml_type};charset=utf-8"


def error_headers(error: GatewayError, *, snake_case: bool = False) -> dict[str, str]:
    """``{"X-Road-Error": type}``; the status is ``error.http_status`` (400 or 500)."""
    return {"X-Road-Error": error.snake_type if snake_case else error.type}


def _camel_type(error_type: str) -> str:
    """Either spelling of an X-Road error type -> CamelCase, prefix included."""
    origin, code = parse_error_type(error_type)
    if error_type.lower().startswith(origin.lower() + "."):
        return f"{origin}.{code}"
    return code  # no known prefix: parse_error_type only normalised the spelling


def _error_text(body: bytes, content_type: str | None) -> tuple[str, str]:
    """``(message, detail)`` from an X-Road error body; the raw text if it is neither format."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    try:
        if "xml" in media_type:
            return _xml_error_text(body)
        return _json_error_text(body)
    except (orjson.JSONDecodeError, etree.XMLSyntaxError, TypeError):
        return body.decode("utf-8", "replace").strip()[:1000], ""


def _json_error_text(body: bytes) -> tuple[str, str]:
    document = orjson.loads(body)
    if not isinstance(document, dict):
        raise TypeError("an X-Road error body is a JSON object")
    message, detail = document.get("message"), document.get("detail")
    return (message if isinstance(message, str) else "", detail if isinstance(detail, str) else "")


_SAFE_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _xml_error_text(body: bytes) -> tuple[str, str]:
    root = etree.fromstring(body, parser=_SAFE_XML_PARSER)
    return root.findtext("message") or "", root.findtext("detail") or ""


def parse_error_response(
    body: bytes, content_type: str | None, x_road_error: str | None
) -> tuple[str, str, str] | None:
    """``(CamelCase type, message, detail)`` when a response is an X-Road error, else None.

    The ``X-Road-Error`` header is what makes a response an X-Road error (without it,
    a 4xx/5xx is the provider's own answer, passed through) and its value is the type;
    the body only contributes message and detail. Both spellings are read.
    """
    if x_road_error is None or not x_road_error.strip():
        return None
    message, detail = _error_text(body, content_type)
    return _camel_type(x_road_error.strip()), message, detail


# --- metaservices (PR-MREST, PR-META) --------------------------------------


def _client_entries(
    clients: Sequence[tuple[ClientId, str]], xroad_instance: str | None
) -> list[tuple[ClientId, str, str]]:
    """``(id, member name, subsystem name or "")`` in the order given.

    A member's string is its name; a subsystem's is the subsystem's own name, and
    its ``name`` is its member's, looked up in the same list (X-Road lists both).
    """
    member_names = {client: name for client, name in clients if client.subsystem is None}
    entries = []
    for client, name in clients:
        if xroad_instance is not None and client.instance != xroad_instance:
            continue
        if client.subsystem is None:
            entries.append((client, name, ""))
        elif client.member in member_names:
            entries.append((client, member_names[client.member], name))
        else:
            raise ValueError(f"subsystem {client} is listed without its member {client.member}")
    return entries


def list_clients_json(
    clients: Sequence[tuple[ClientId, str]], *, xroad_instance: str | None = None
) -> bytes:
    """PR-META ``listClients`` as JSON (C1): ``{"member": [{"id", "name", "subsystem_name"?}]}``.

    ``xroad_instance`` keeps only clients whose identifier starts with that instance
    (X-Road's ``xRoadInstance`` query parameter); it is not the directory's name.
    """
    members = []
    for client, name, subsystem_name in _client_entries(clients, xroad_instance):
        entry: dict[str, object] = {"id": client.as_json(), "name": name}
        if subsystem_name:
            entry["subsystem_name"] = subsystem_name
        members.append(entry)
    return orjson.dumps({"member": members})


def _identifier_xml(parent: etree._Element, client: ClientId) -> None:
    identifiers = f"{{{_NS_IDENTIFIERS}}}"
    node = etree.SubElement(
        parent, f"{{{_NS_XROAD}}}id", {f"{identifiers}objectType": client.object_type}
    )
    parts = [
        ("xRoadInstance", client.instance),
        ("memberClass", client.member_class),
        ("memberCode", client.member_code),
        ("subsystemCode", client.subsystem),
    ]
    for tag, value in parts:
        if value is not None:
            etree.SubElement(node, identifiers + tag).text = value


def list_clients_xml(
    clients: Sequence[tuple[ClientId, str]], *, xroad_instance: str | None = None
) -> bytes:
    """PR-META ``listClients`` as XML (C1): ``ns2:clientList`` of ``ns2:member`` elements.

    Namespaces and their prefixes (``ns1`` identifiers, ``ns2`` xroad.xsd) as in C1;
    ``xroad_instance`` filters as for :func:`list_clients_json`.
    """
    xroad = f"{{{_NS_XROAD}}}"
    root = etree.Element(xroad + "clientList", nsmap={"ns1": _NS_IDENTIFIERS, "ns2": _NS_XROAD})
    for client, name, subsystem_name in _client_entries(clients, xroad_instance):
        member = etree.SubElement(root, xroad + "member")
        _identifier_xml(member, client)
        etree.SubElement(member, xroad + "name").text = _xml_safe(name)
        if subsystem_name:
            etree.SubElement(member, xroad + "subsystemName").text = _xml_safe(subsystem_name)
    return _xml_document(root, standalone=True)


def _service_entry(
    service: ServiceId, service_type: str, endpoints: Sequence[tuple[str, str]]
) -> dict[str, object]:
    # B1/B2 list the identifier's keys and service_type alphabetically, then endpoint_list.
    entry: dict[str, object] = dict(
        sorted({**service.as_json(), "service_type": service_type}.items())
    )
    entry["endpoint_list"] = [{"method": method, "path": path} for method, path in endpoints]
    return entry


def rest_service_list_json(
    services: Sequence[tuple[ServiceId, str, Sequence[tuple[str, str]]]],
) -> bytes:
    """PR-MREST ``listMethods`` / ``allowedMethods`` (B1, B2): ``{"service": [...]}``.

    Each service is ``(id, service type such as "REST" or "OPENAPI", [(method, path)])``.
    """
    return orjson.dumps({"service": [_service_entry(*service) for service in services]})


def parse_metaservice_path(raw: str) -> tuple[ClientId, str] | None:
    """``INSTANCE/CLASS/MEMBER/SUBSYSTEM/listMethods`` -> (provider subsystem, metaservice).

    ``raw`` is what follows ``/r1/``, still percent-encoded and without the query,
    as for :func:`~gateway.identifiers.split_service_path`. Anything else (another
    service code, more path after the name, a trailing ``/``) gives None; a
    metaservice call with a malformed provider raises ``BadRequestError``.
    """
    segments = raw.split("/")
    if len(segments) != 5 or unquote(segments[4], errors="replace") not in METASERVICES:
        return None
    service, _ = split_service_path(raw)
    return service.provider, service.code
