"""The MAGDA message frame: SOAP envelope, ``Context``, ``Vragen`` / ``Antwoorden``.

Usage::

    payload = parse(body)                       # the SOAP Body's child (or a bare message)
    content = answer_content(payload, tr)       # Repliek/Antwoorden/Antwoord/Inhoud/<content>
    root, inhoud = new_answer(NAMESPACES["GeefPersoonResponse"], "GeefPersoon", "02.02.0000")
    body = serialise(root)                      # wrapped in a SOAP 1.1 envelope

The frame carries no canonical data: its header (sender, receiver, references, time) is noted
once, never copied. Answers xgw writes get a fresh ``Referte`` (the connector does not see the
question it answers) and ``xgw`` as sender, both documented in docs/connectors/be-magda.md.
"""

from __future__ import annotations

import datetime
import uuid

from lxml import etree

from connectors.be.magda.values import Translation, sub, text
from gateway.errors import ConnectorError

__all__ = [
    "MEDIA_TYPE",
    "NAMESPACES",
    "SENDER",
    "answer_content",
    "new_answer",
    "new_question",
    "parse",
    "question_content",
    "serialise",
]

MEDIA_TYPE = "text/xml; charset=utf-8"  # SOAP 1.1, as MAGDA speaks it
SENDER = "xgw"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
_PERSOON = "http://magda.vlaanderen.be/persoon/soap/geefpersoon/v02_02"
_ONDERNEMING = "http://webservice.geefondernemingdienst-02_00.onderneming-02_00.vip.vlaanderen.be"
_VKBO = "http://webservice.geefondernemingvkbodienst-02_00.onderneming-02_00.vip.vlaanderen.be"
NAMESPACES = {
    "GeefPersoon": _PERSOON,
    "GeefPersoonResponse": _PERSOON,
    "GeefOnderneming": _ONDERNEMING,
    "GeefOndernemingResponse": _ONDERNEMING,
    "GeefOndernemingVKBOResponse": _VKBO,
}
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True,
    collect_ids=False,
)  # fmt: skip


def parse(body: bytes) -> etree._Element:
    """The MAGDA message in ``body``: a SOAP 1.1 / 1.2 Body's child, or the bare message."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ConnectorError(f"not well-formed XML: {exc.msg}") from None
    if getattr(root.getroottree().docinfo, "doctype", None):
        raise ConnectorError("a DOCTYPE is not allowed in a MAGDA message")
    if root.tag not in (f"{{{SOAP11}}}Envelope", f"{{{_SOAP12}}}Envelope"):
        return root
    soap = root.tag[1:].split("}")[0]
    for part in root:
        if part.tag == f"{{{soap}}}Body":
            payload: etree._Element | None = next(iter(part), None)
            if payload is None:
                raise ConnectorError("the SOAP Body is empty")
            if payload.tag == f"{{{soap}}}Fault":
                raise ConnectorError("the MAGDA message is a SOAP Fault")
            return payload
    raise ConnectorError("the SOAP Envelope has no Body")


def message_name(payload: etree._Element) -> str:
    """``GeefPersoonResponse``, ... for a payload of a namespace this connector knows."""
    namespace, _, name = payload.tag[1:].partition("}")
    if NAMESPACES.get(name) != namespace:
        raise ConnectorError(f"not a MAGDA message be.magda handles: {payload.tag}")
    return name


def answer_content(payload: etree._Element, tr: Translation) -> etree._Element:
    """The one element in Repliek/Antwoorden/Antwoord/Inhoud; MAGDA's exceptions if none."""
    name = payload.tag.partition("}")[2]
    for repliek in payload:
        for part in repliek:
            if part.tag == "Antwoorden":
                for answer in part:  # one Antwoord
                    content = _answer(answer, name, tr)
                    if content is not None:
                        return content
            elif part.tag == "Context":
                tr.notes.not_carried("Repliek/Context", "message header")
            else:
                tr.notes.not_carried(f"Repliek/{part.tag}")
    raise ConnectorError(f"{name} carries no answer: {_exceptions(payload)}")


def _answer(answer: etree._Element, name: str, tr: Translation) -> etree._Element | None:
    content = None
    for part in answer:
        if part.tag == "Inhoud":
            content = next(iter(part), None)
        elif part.tag == "Uitzonderingen":
            tr.notes.not_carried("Antwoord/Uitzonderingen", "MAGDA warnings with the answer")
        else:
            tr.notes.not_carried(f"Antwoord/{part.tag}", "message header")
    return content


def _exceptions(payload: etree._Element) -> str:
    """MAGDA's own reasons (Uitzondering Identificatie, Type, Diagnose), or a plain statement."""
    reasons = [
        " ".join(
            text(part) for part in exception if part.tag in ("Identificatie", "Type", "Diagnose")
        )
        for exception in payload.iter("Uitzondering")
    ]
    return "; ".join(reasons) or "no Inhoud and no Uitzondering"


def question_content(
    payload: etree._Element, tr: Translation
) -> tuple[etree._Element, dict[str, str]]:
    """Verzoek/Vragen/Vraag/Inhoud, and the header fields a query carries (Afzender, Referte)."""
    header: dict[str, str] = {}
    inhoud = None
    for verzoek in payload:
        for part in verzoek:
            if part.tag == "Context":
                _question_header(part, header, tr)
            else:  # Vragen/Vraag
                for child in part[0]:
                    if child.tag == "Referte":
                        header["Referte"] = text(child)
                    else:
                        inhoud = child
    assert inhoud is not None  # the schema requires it
    return inhoud, header


def _question_header(context: etree._Element, header: dict[str, str], tr: Translation) -> None:
    for afzender in context.iter("Afzender"):
        for child in afzender:
            if child.tag in ("Identificatie", "Hoedanigheid"):
                header[child.tag] = text(child)
            else:
                tr.notes.not_carried(f"Context/Bericht/Afzender/{child.tag}", "message header")
    tr.notes.not_carried("Context", "message header: name, version, time, receiver")


def _context(
    parent: etree._Element, service: str, version: str, kind: str, sender: str, purpose: str | None
) -> None:
    now = datetime.datetime.now()  # local time: MAGDA writes no zone
    context = sub(parent, "Context")
    sub(context, "Naam", service)
    sub(context, "Versie", version)
    message = sub(context, "Bericht")
    sub(message, "Type", kind)
    moment = sub(message, "Tijdstip")
    sub(moment, "Datum", now.date().isoformat())
    sub(moment, "Tijd", now.time().isoformat("milliseconds"))
    afzender = sub(message, "Afzender")
    sub(afzender, "Identificatie", sender)
    sub(afzender, "Referte", str(uuid.uuid4()))
    if purpose:
        sub(afzender, "Hoedanigheid", purpose)


def new_answer(message: str, service: str, version: str) -> tuple[etree._Element, etree._Element]:
    """An empty answer of ``message`` and its ``Inhoud`` element."""
    root = etree.Element(f"{{{NAMESPACES[message]}}}{message}", nsmap={"web": NAMESPACES[message]})
    repliek = sub(root, "Repliek")
    _context(repliek, service, version, "ANTWOORD", SENDER, None)
    answer = sub(sub(repliek, "Antwoorden"), "Antwoord")
    sub(answer, "Referte", str(uuid.uuid4()))
    return root, sub(answer, "Inhoud")


def new_question(
    message: str, version: str, sender: str, purpose: str | None, reference: str
) -> tuple[etree._Element, etree._Element]:
    """An empty question of ``message`` and its ``Inhoud`` element."""
    root = etree.Element(f"{{{NAMESPACES[message]}}}{message}", nsmap={"web": NAMESPACES[message]})
    verzoek = sub(root, "Verzoek")
    _context(verzoek, message, version, "VRAAG", sender, purpose)
    question = sub(sub(verzoek, "Vragen"), "Vraag")
    sub(question, "Referte", reference)
    return root, sub(question, "Inhoud")


def serialise(payload: etree._Element) -> bytes:
    """``payload`` in a SOAP 1.1 envelope, UTF-8 with an XML declaration."""
    envelope = etree.Element(f"{{{SOAP11}}}Envelope", nsmap={"soapenv": SOAP11})
    etree.SubElement(envelope, f"{{{SOAP11}}}Header")
    etree.SubElement(envelope, f"{{{SOAP11}}}Body").append(payload)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
