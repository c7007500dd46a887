"""A Dutch member with the Haal Centraal front door, a German one with an XMeld resident register.

Usage::

    fed = BrpFederation(tmp_path, ca, register.url)
    async with fed.start() as (nl, de), fed.client("NL") as http:
        answer = await ask(http, nl.client_url, {"type": "ZoekMet...", ...})
        assert response_errors(answer) == []      # the official OpenAPI, by the answer's type

The register is a real aiohttp app on 127.0.0.1 that speaks XMeld only: it decodes
each Datenabruf with the ``xoev.xmeld`` connector (so a query that is not valid
XMeld fails loudly), searches its residents by family name and birth date, and
answers with an XMeld answer written by the same connector from canonical persons.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import sqlite3
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from connectors.base import Envelope
from connectors.xoev.xmeld import XMeldConnector
from gateway.pki import CertificateAuthority, Issued, Usage
from gateway.settings import ClientSettings, Settings
from tests.connectors.nl.reference import brp_openapi, brp_response_errors, official_brp
from tests.integration.federation import DE, Answer, Harness, call, serve_app

NL = "NL/GOV/00000001"
NL_CLIENT = f"{NL}/burgerzaken"  # bound to the harness's client certificate; granted
NL_OTHER = f"{NL}/wmo"  # a second client system of the municipality; granted nothing
SERVICE = f"{DE}/meldewesen/personen"
PATH = "/haalcentraal/api/brp/personen"
NAMES = {"NL": "Gemeente Amsterdam", "DE": "Stadt Musterstadt"}
PURPOSE = "Prüfung des Wohnsitzes (Haal Centraal)"
SEARCH_AREA = "05974028"
AGS = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:ags"
XMELD = XMeldConnector()

# The German register's residents (canonical, written to XMeld by the connector).
ANNA = {
    "identifiers": [{"notation": "65929970489", "scheme": "de.steuer-idnr"}],
    "name": {"givenNames": ["Anna", "Maria"], "familyName": "Müller"},
    "birthDate": "1984-03-12",
    "gender": "female",
    "birthPlace": {"name": "Braunschweig", "country": "DE"},
    "nationalities": ["DE", "NL"],
    "residenceAddress": {
        "municipalityCode": {"code": "05974028", "listURI": AGS},
        "thoroughfare": "Hauptstraße",
        "locatorDesignator": "12a",
        "postCode": "59494",
        "postName": "Soest",
        "adminUnitL1": "DE",
    },
    "deceased": False,
}
JAN = {  # the same name and birth date, but deceased
    "name": {"givenNames": ["Jan"], "familyName": "Müller"},
    "birthDate": "1984-03-12",
    "gender": "male",
    "deceased": True,
}
RESIDENTS = [ANNA, JAN]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class BrpFederation(Harness):
    """NL (client systems, the front door) and DE (the service meldewesen/personen, XMeld)."""

    def __init__(self, root: Path, ca: CertificateAuthority, backend_url: str) -> None:
        super().__init__(root, ca, backend_url)
        service = {
            "subsystem": "meldewesen",
            "code": "personen",
            "type": "REST",
            "format": "xoev.xmeld",
            "endpoints": [{"method": "POST", "path": "/personen"}],
        }
        self.members = {
            "NL": self._member("NL", NL, NL_CLIENT, []),
            "DE": self._member("DE", DE, f"{DE}/klient", [service]),
        }
        self.access = [
            {
                "client": NL_CLIENT,
                "service": SERVICE,
                "endpoints": [{"method": "POST", "path": "/personen"}],
            }
        ]
        self.tokens: dict[str, str] = {
            NL_CLIENT: "token-burgerzaken-0f3c9a",
            NL_OTHER: "token-wmo-77d1e2",
        }
        self.other_client: Issued = ca.issue(NL_OTHER, usage=Usage.CLIENT)
        self.members["NL"].settings_overrides["haalcentraal"] = {
            "enabled": True,
            "service": SERVICE,
            "purpose": PURPOSE,
            "search_area": [SEARCH_AREA],
        }

    def directory_document(self) -> dict[str, Any]:
        document = super().directory_document()
        for member in document["members"]:
            key = "NL" if member["id"] == NL else "DE"
            member["name"] = NAMES[key]
            if key == "NL":
                member["subsystems"].append({"code": "wmo", "name": "Wmo-loket"})
        return document

    def settings(self, key: str) -> Settings:
        settings = super().settings(key)
        if key != "NL":
            return settings
        cert, _ = self.other_client.write(self.members["NL"].dir / "other-client")
        first = dataclasses.replace(
            settings.clients[0], token_sha256=token_hash(self.tokens[NL_CLIENT])
        )
        other = ClientSettings(
            NL_OTHER, certificate=cert, token_sha256=token_hash(self.tokens[NL_OTHER])
        )
        return dataclasses.replace(settings, clients=(first, other))

    def other_session(self) -> aiohttp.ClientSession:
        """A session presenting the certificate of NL's second client system (NL_OTHER)."""
        m = self.members["NL"]
        cert, key = self.other_client.write(m.dir / "other-client")
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        context.load_cert_chain(cert, key)
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))

    def session_without_certificate(self) -> aiohttp.ClientSession:
        """A BRP client's TLS: it checks the gateway's certificate and presents none."""
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))

    def unbound_session(self) -> aiohttp.ClientSession:
        """A session presenting a certificate of the client CA that no ``[[clients]]`` binds."""
        m = self.members["NL"]
        cert, key = self.ca.issue(f"{NL}/unknown", usage=Usage.CLIENT).write(m.dir / "unbound")
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        context.load_cert_chain(cert, key)
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))

    def audit(self, key: str) -> list[dict[str, Any]]:
        path = self.members[key].dir / "data" / "audit.sqlite"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT record FROM audit_entries ORDER BY seq").fetchall()
        return [json.loads(row[0]) for row in rows]


@dataclasses.dataclass
class Register:
    """The German resident register behind DE's gateway: XMeld in, XMeld out."""

    url: str = ""
    queries: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # canonical, decoded
    media_types: list[str] = dataclasses.field(default_factory=list)
    delay: float = 0.0  # seconds before answering (a slow register)
    fail_with: int | None = None  # answer this HTTP status instead


def _matches(person: dict[str, Any], query: dict[str, Any]) -> bool:
    family = query.get("familyName", "")
    name = person["name"]["familyName"].lower()
    found = name.startswith(family[:-1].lower()) if family.endswith("*") else name == family.lower()
    return found and person.get("birthDate") == query.get("birthDate")


def register_app(register: Register) -> web.Application:
    async def personen(request: web.Request) -> web.Response:
        body = await request.read()
        register.media_types.append(request.headers.get("Content-Type", ""))
        query = XMELD.decode_message(body, request.headers.get("Content-Type", ""))
        assert query.kind == "PersonQuery" and query.document is not None
        register.queries.append(query.document)
        if register.delay:
            await asyncio.sleep(register.delay)
        if register.fail_with is not None:
            return web.Response(status=register.fail_with, text="register failure")
        found = [p for p in RESIDENTS if _matches(p, query.document)]
        answer, media_type, _ = XMELD.encode_with_notes(
            Envelope("x", document={"persons": found}, kind="PersonList")
        )
        return web.Response(body=answer, content_type=media_type)

    app = web.Application()
    app.router.add_post("/personen", personen)
    return app


@contextlib.asynccontextmanager
async def running_register() -> AsyncIterator[Register]:
    register = Register()
    async with serve_app(register_app(register)) as url:
        register.url = url
        yield register


async def ask(
    http: aiohttp.ClientSession,
    client_url: str,
    body: Any,
    *,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    method: str = "POST",
) -> Answer:
    """One Haal Centraal call: JSON body, the API's content types unless ``headers`` say else."""
    sent = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
    sent.update(headers or {})
    data = raw if raw is not None else json.dumps(body).encode()
    return await call(http, method, client_url + PATH, headers=sent, data=data)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---------------------------------------------------------------- the official OpenAPI


def request_errors(body: dict[str, Any]) -> list[str]:
    """A request against its own type's schema (the discriminator is not oneOf: check both)."""
    return official_brp(str(body["type"]), body) + official_brp("PersonenQuery", body)


def _absolute_uri(value: object) -> bool:
    parts = urlsplit(str(value))
    return bool(parts.scheme and parts.netloc)


def response_errors(answer: Answer) -> list[str]:
    """What in ``answer`` the official OpenAPI does not allow: status, media type, body."""
    operation = brp_openapi()["paths"]["/personen"]["post"]["responses"]
    spec = operation.get(str(answer.status), operation["default"])
    if "$ref" in spec:
        spec = brp_openapi()["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
    media_type = answer.headers.get("Content-Type", "").split(";")[0].strip()
    declared = {m.split(";")[0].strip(): m for m in spec["content"]}
    if media_type not in declared:
        return [f"media type {media_type!r} not among {sorted(declared)} for {answer.status}"]
    document = answer.json()
    if answer.status == 200:
        return brp_response_errors(document)
    schema = spec["content"][declared[media_type]]["schema"]["$ref"].rsplit("/", 1)[1]
    errors = official_brp(schema, document)
    if document.get("status") != answer.status:
        errors.append(f"status {document.get('status')} is not the HTTP status {answer.status}")
    for where, value in [("type", document.get("type")), ("instance", document.get("instance"))]:
        if not _absolute_uri(value):
            errors.append(f"{where}: {value!r} is not an absolute URI (format: uri)")
    for i, param in enumerate(document.get("invalidParams", [])):
        if "type" in param and not _absolute_uri(param["type"]):
            errors.append(f"invalidParams[{i}].type is not an absolute URI")
    return errors
