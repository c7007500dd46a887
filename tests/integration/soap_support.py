"""Helpers for the SOAP WSDL and metaservice tests: a SOAP backend, zeep, the spec's vectors.

Usage::

    harness = SoapHarness(tmp_path, ca, soap_backend.url)
    harness.add_soap_service("exampleService", wsdl=shared(ANNEX_C))
    async with harness.start() as (de, ee):
        result = await asyncio.to_thread(call_with_zeep, harness, de.client_url, ...)

Everything reads ../shared only here and in the tests: the product never does.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import ssl
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from aiohttp import web
from lxml import etree
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from zeep.transports import Transport

from gateway.pki import CertificateAuthority
from gateway.settings import Settings
from tests.integration.federation import DE, EE, Harness, serve_app

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
ANNEX_C = "xroad/soap/pr-mess-examples/annexC-example.wsdl"
META = "xroad/soap/pr-meta-metaservices"
META_QUERIES = "xroad/testdata/src/addons/metaservice/src/test/queries"
_XSD = "xroad/xsd/src/addons/wsdlvalidator/src/test/resources/xsd"
_XML_XSD = "partners/eu/oots/edm-v1.0-package/xsd/xml/xml.xsd"

NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_XROAD = "http://x-road.eu/xsd/xroad.xsd"
NS_ID = "http://x-road.eu/xsd/identifiers"
NS_WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
NS_PRODUCER = "http://producer.x-road.eu"  # annex C's target namespace

PROVIDER = f"{EE}/ariregister"
CLIENT = f"{DE}/gewerbeamt"
OBJECT_TYPE = f"{{{NS_ID}}}objectType"


def shared(relative: str) -> Path:
    """A file of ../shared, or the test is skipped where the reference data is not."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


def soap_tag(name: str) -> str:
    return f"{{{NS_SOAP}}}{name}"


# ------------------------------------------------------------------------- the federation


class SoapHarness(Harness):
    """The test federation, with SOAP services in EE's ``ariregister`` and their WSDL files."""

    def __init__(self, root: Path, ca: CertificateAuthority, backend_url: str) -> None:
        super().__init__(root, ca, backend_url)
        self.wsdl_files: dict[str, Path] = {}

    def add_soap_service(
        self, code: str, *, wsdl: Path | None = None, granted: bool = True
    ) -> None:
        self.members["EE"].services.append(
            {"subsystem": "ariregister", "code": code, "type": "SOAP", "format": "opaque"}
        )
        if wsdl is not None:
            self.wsdl_files[code] = wsdl
        if granted:
            self.access.append({"client": CLIENT, "service": f"{PROVIDER}/{code}"})

    def plain_loopback(self, key: str = "DE") -> None:
        """The member's client port in development mode: plain HTTP on loopback."""
        overrides = self.members[key].settings_overrides
        overrides.setdefault("listen", {})["client_tls"] = False
        overrides.setdefault("security", {})["allow_plain_loopback"] = True

    def settings(self, key: str) -> Settings:
        settings = super().settings(key)
        services = tuple(
            dataclasses.replace(s, wsdl=self.wsdl_files.get(s.code))
            if key == "EE" and s.subsystem == "ariregister"
            else s
            for s in settings.services
        )
        return dataclasses.replace(settings, services=services)

    def requests_session(self, key: str = "DE") -> requests.Session:
        """A ``requests`` session with the member's client certificate (for zeep)."""
        member = self.members[key]
        cert, private = member.client.write(member.dir / "client")
        session = requests.Session()
        session.trust_env = False  # no proxy or certificate bundle from the environment
        session.cert = (str(cert), str(private))
        session.verify = str(self.ca_cert)
        return session

    def proxied_session(self, proxy_url: str, key: str = "DE") -> requests.Session:
        """A session that sends every http:// request through ``proxy_url`` (absolute form).

        To a TLS proxy (xgw's client port with client certificates) it presents the
        member's client certificate, which plain ``requests`` cannot be told to do.
        """
        session = self.requests_session(key)
        session.proxies = {"http": proxy_url}
        if proxy_url.startswith("https://"):
            session.mount("http://", _ProxyClientCertificate(self.client_ssl(key)))
        return session


def wsdl_url(client_url: str, code: str = "exampleService", **extra: str) -> str:
    instance, member_class, member_code, subsystem = PROVIDER.split("/")
    query = {
        "xRoadInstance": instance,
        "memberClass": member_class,
        "memberCode": member_code,
        "subsystemCode": subsystem,
        "serviceCode": code,
        **extra,
    }
    return f"{client_url}/wsdl?" + "&".join(f"{k}={v}" for k, v in query.items() if v)


class _ProxyClientCertificate(HTTPAdapter):
    """urllib3 takes a TLS context for the proxy connection; requests has no setting for it."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__()

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> PoolManager:
        kwargs["proxy_ssl_context"] = self.context
        manager: PoolManager = super().proxy_manager_for(proxy, **kwargs)
        return manager


# --------------------------------------------------------------------- the SOAP backend


@dataclass
class SoapBackend:
    """A SOAP service answering annex C's ``exampleService``, on 127.0.0.1."""

    url: str = ""
    seen: list[bytes] = field(default_factory=list)


def _answer(request_xml: bytes) -> tuple[int, bytes]:
    root = etree.fromstring(request_xml)
    header = root.find(soap_tag("Header"))
    body = root.find(soap_tag("Body"))
    assert body is not None
    operation = next(iter(body))
    envelope = etree.Element(soap_tag("Envelope"), nsmap={"SOAP-ENV": NS_SOAP, "ns1": NS_PRODUCER})
    if header is not None:  # an X-Road service echoes the request's header
        envelope.append(copy.deepcopy(header))
    answer_body = etree.SubElement(envelope, soap_tag("Body"))
    if etree.QName(operation) != etree.QName(NS_PRODUCER, "exampleService"):
        failure = etree.SubElement(answer_body, soap_tag("Fault"))
        etree.SubElement(failure, "faultcode").text = "SOAP-ENV:Client"
        etree.SubElement(failure, "faultstring").text = f"no operation {operation.tag}"
        return 500, etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
    name = operation.findtext("exampleInput") or ""
    response = etree.SubElement(answer_body, f"{{{NS_PRODUCER}}}exampleServiceResponse")
    etree.SubElement(response, "exampleOutput").text = f"Tere, {name}!"
    return 200, etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


@contextlib.asynccontextmanager
async def soap_backend() -> AsyncIterator[SoapBackend]:
    backend = SoapBackend()

    async def service(request: web.Request) -> web.Response:
        body = await request.read()
        backend.seen.append(body)
        status, answer = _answer(body)
        return web.Response(
            status=status, body=answer, headers={"Content-Type": "text/xml; charset=utf-8"}
        )

    app = web.Application()
    app.router.add_post("/{path:.*}", service)
    async with serve_app(app) as url:
        backend.url = url
        yield backend


# ------------------------------------------------------------------------------- zeep


def _local_schemas() -> dict[str, Callable[[], bytes]]:
    """The schemas annex C imports, as a client without internet access keeps them."""
    swaref = (
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"'
        b' targetNamespace="http://ws-i.org/profiles/basic/1.1/xsd">'
        b'<xs:simpleType name="swaRef"><xs:restriction base="xs:anyURI"/></xs:simpleType>'
        b"</xs:schema>"
    )
    xmlmime = (
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"'
        b' targetNamespace="http://www.w3.org/2005/05/xmlmime">'
        b'<xs:attribute name="contentType" type="xs:string"/>'
        b'<xs:attribute name="expectedContentTypes" type="xs:string"/>'
        b"</xs:schema>"
    )
    return {
        "http://x-road.eu/xsd/xroad.xsd": lambda: shared(f"{_XSD}/xroad.xsd").read_bytes(),
        "http://x-road.eu/xsd/identifiers.xsd": lambda: shared(
            f"{_XSD}/identifiers.xsd"
        ).read_bytes(),
        "http://x-road.eu/xsd/xml.xsd": lambda: shared(_XML_XSD).read_bytes(),
        "http://ws-i.org/profiles/basic/1.1/swaref.xsd": lambda: swaref,
        "http://www.w3.org/2005/05/xmlmime": lambda: xmlmime,
    }


class OfflineSchemas(Transport):
    """zeep's transport, with the public X-Road schemas at hand instead of fetched.

    Everything else (the WSDL from xgw, the SOAP calls) goes over the network as usual.
    """

    def __init__(self, session: requests.Session) -> None:
        super().__init__(session=session, timeout=10, operation_timeout=20)
        self.local = _local_schemas()
        self.loaded: list[str] = []

    def load(self, url: str) -> bytes:
        self.loaded.append(url)
        local = self.local.get(url)
        if local is not None:
            return local()
        content: bytes = super().load(url)
        return content


def identifier(ident: str, *, service_version: str | None = None) -> dict[str, str]:
    """An X-Road identifier as zeep takes it for ``xrd:client`` / ``xrd:service``."""
    parts = ident.split("/")
    keys = ["xRoadInstance", "memberClass", "memberCode", "subsystemCode", "serviceCode"]
    out = dict(zip(keys, parts, strict=False))
    if service_version is not None:
        out["serviceVersion"] = service_version
    out["objectType"] = "SERVICE" if len(parts) == 5 else "SUBSYSTEM"
    return out


def xroad_headers(service: str, *, message_id: str | None = None) -> dict[str, Any]:
    return {
        "client": identifier(CLIENT),
        "service": identifier(service, service_version="v1"),
        "id": message_id or str(uuid.uuid4()),
        "userId": "EE12345678901",
        "issue": "issue-4",
        "protocolVersion": "4.0",
    }


def zeep_client(wsdl: str, session: requests.Session) -> tuple[zeep.Client, OfflineSchemas]:
    transport = OfflineSchemas(session)
    return zeep.Client(wsdl, transport=transport), transport


# --------------------------------------------------------------------- the spec's vectors


def _set_identifier(element: etree._Element, ident: str, object_type: str) -> None:
    """Replace an identifier's parts, keeping the vector's service code and version."""
    kept = {
        etree.QName(c).localname: c.text
        for c in element
        if isinstance(c.tag, str) and etree.QName(c).localname in ("serviceCode", "serviceVersion")
    }
    for child in list(element):
        element.remove(child)
    element.text = "\n" + " " * 12
    parts = dict(
        zip(
            ("xRoadInstance", "memberClass", "memberCode", "subsystemCode"),
            ident.split("/"),
            strict=True,
        )
    )
    for name, value in [*parts.items(), *kept.items()]:
        child = etree.SubElement(element, f"{{{NS_ID}}}{name}")
        child.text = value
        child.tail = "\n" + " " * 12
    element.set(OBJECT_TYPE, object_type)


def adapted_vector(
    relative: str,
    *,
    client: str = CLIENT,
    provider: str | None = PROVIDER,
    replace: dict[bytes, bytes] | None = None,
) -> bytes:
    """A spec vector with the federation's client and provider in its header, shape kept.

    The spec's examples name members of their own instances (``Inst1``, ``EE/BUSINESS``)
    and one has the placeholder ``protocolVersion`` 4.x; everything else stays.
    ``provider=None`` keeps the vector's service; ``replace`` edits the bytes first.
    """
    data = shared(relative).read_bytes()
    for old, new in (replace or {}).items():
        data = data.replace(old, new)
    root = etree.fromstring(data)
    header = root.find(soap_tag("Header"))
    assert header is not None
    for element in header.iterchildren(tag=etree.Element):
        name = etree.QName(element)
        if name == etree.QName(NS_XROAD, "client"):
            _set_identifier(element, client, "SUBSYSTEM")
        elif name == etree.QName(NS_XROAD, "service") and provider is not None:
            _set_identifier(element, provider, "SERVICE")
        elif name == etree.QName(NS_XROAD, "protocolVersion"):
            element.text = "4.0"
        elif name == etree.QName(NS_XROAD, "id"):
            element.text = str(uuid.uuid4())
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


class _SharedSchemas(etree.Resolver):
    """Resolves the X-Road schemas PR-META's annex B includes to their copies in ../shared."""

    def resolve(  # type: ignore[override]  # lxml-stubs omit the context argument
        self, system_url: str, public_id: str, context: object
    ) -> object:
        local = _local_schemas().get(system_url) or _local_schemas().get(
            "http://x-road.eu/xsd/" + system_url.rsplit("/", 1)[-1]
        )
        if local is None:
            return None
        return self.resolve_string(local(), context)  # type: ignore[call-arg]


def metaservice_schema() -> etree.XMLSchema:
    """The schema of the metaservice bodies, from PR-META annex B's WSDL (``wsdl:types``)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_SharedSchemas())
    path = shared(f"{META}/annexB-metaservices.wsdl")
    document = etree.parse(str(path), parser)
    schema = document.find(".//{http://www.w3.org/2001/XMLSchema}schema")
    assert schema is not None
    # On its own, with the namespaces it inherits from wsdl:definitions declared on it.
    declared = {prefix: uri for prefix, uri in schema.nsmap.items() if prefix is not None}
    alone = etree.Element(schema.tag, dict(schema.attrib), nsmap=declared)
    alone.extend(copy.deepcopy(child) for child in schema)
    return etree.XMLSchema(etree.fromstring(etree.tostring(alone), parser))
