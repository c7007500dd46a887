"""XML in and out: a safe parser, the SOAP 1.1 envelope, one-pass reading and writing by shape.

Usage::

    operation = parse_message(body)               # the producer element, SOAP envelope or not
    native = read(operation, REQUEST, "detailandmed_v2", notes)
    element = write("detailandmed_v2", native, REQUEST)
    soap_envelope(element)                        # bytes, an empty SOAP Header for the transport

The reader visits every element once (no ``find``): it dispatches on the
child's name in the parent's :class:`~connectors.ee.ariregister.native.Shape`;
children the shape does not carry become translation notes when they hold
anything.
"""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree

from connectors.ee._common import Notes
from connectors.ee.ariregister.native import NS, Shape
from gateway.errors import ConnectorError, PartnerError

__all__ = ["SOAP_ENV", "parse_message", "read", "soap_envelope", "write"]

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_NS_PREFIX = f"{{{NS}}}"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_BODY = f"{{{SOAP_ENV}}}Body"
_FAULT = f"{{{SOAP_ENV}}}Fault"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_NSMAP = {"SOAP-ENV": SOAP_ENV, "ar": NS, "xsi": _XSI}

# No network, no entities, no DTD: a SOAP message must not have one (SOAP 1.1, section 3).
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def parse_message(body: bytes) -> etree._Element:
    """The producer's element (``ar:detailandmed_v2`` ...), from a SOAP envelope or bare."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ConnectorError(f"not well-formed XML: {exc}") from None
    if getattr(root.getroottree().docinfo, "doctype", ""):
        raise ConnectorError("a SOAP message must not contain a document type declaration")
    if root.tag != _ENVELOPE:
        return root
    for part in root:
        if part.tag == _BODY:
            return _operation(part)
    raise ConnectorError("SOAP-ENV:Envelope: no SOAP-ENV:Body")


def _operation(body: etree._Element) -> etree._Element:
    elements = [child for child in body if isinstance(child.tag, str)]
    if len(elements) != 1:
        raise ConnectorError(f"SOAP-ENV:Body: {len(elements)} elements, expected one")
    if elements[0].tag == _FAULT:
        raise PartnerError(f"the register answered with a SOAP fault: {_fault_text(elements[0])}")
    return elements[0]


def _fault_text(fault: etree._Element) -> str:
    texts = {child.tag: (child.text or "").strip() for child in fault}
    return f"{texts.get('faultcode', '?')}: {texts.get('faultstring', '')}"[:300]


def read(element: etree._Element, shape: Shape, path: str, notes: Notes) -> dict[str, Any]:
    """The native dict of ``element`` by ``shape``; what the shape does not carry -> notes.

    ``element`` has passed the XSD: an ``xsi:nil="true"`` element is empty, so only an
    empty leaf is asked for the attribute.
    """
    native: dict[str, Any] = {}
    by_tag = shape.by_tag
    for child in element:  # only elements: the parser drops comments and processing instructions
        entry = by_tag.get(child.tag)
        if entry is None:
            _skip(child, path, notes)
            continue
        name, child_shape, many = entry
        value: Any
        if child_shape is not None:
            value = read(child, child_shape, f"{path}/{name}", notes)
        else:
            value = child.text
            if value is None:
                if child.get(_XSI_NIL) in ("true", "1"):
                    continue
                value = ""
        if many:
            native.setdefault(name, []).append(value)
        else:
            native[name] = value
    return native


def _skip(child: etree._Element, path: str, notes: Notes) -> None:
    if len(child) or (child.text and child.text.strip()):
        notes.not_carried(f"{path}/{etree.QName(child).localname}")


def write(name: str, native: dict[str, Any], shape: Shape) -> etree._Element:
    """The element ``ar:<name>`` holding ``native``, children in the shape's (the XSD's) order.

    It is written straight into the Body of a new SOAP envelope (:func:`soap_envelope`):
    moving it there afterwards would make lxml reconcile its namespaces once more.
    """
    envelope = copy.deepcopy(_EMPTY_ENVELOPE)
    element = etree.SubElement(envelope[1], _NS_PREFIX + name)
    _write_children(element, native, shape)
    return element


def _write_children(parent: etree._Element, native: dict[str, Any], shape: Shape) -> None:
    sub = etree.SubElement
    for name, tag, spec in shape.ordered:
        if spec.fill is not None:
            if native:  # a required element: written whenever its parent is
                filler = sub(parent, tag)
                if spec.fill == "nil":
                    filler.set(_XSI_NIL, "true")
            continue
        value = native.get(name)
        if value is None:
            continue
        for item in value if spec.many else (value,):
            if spec.shape is not None:
                _write_children(sub(parent, tag), item, spec.shape)
                continue
            try:
                sub(parent, tag).text = item
            except ValueError:  # lxml refuses control characters XML 1.0 cannot carry
                raise ConnectorError(f"{name}: a character XML 1.0 cannot carry") from None


def _empty_envelope() -> etree._Element:
    envelope = etree.Element(_ENVELOPE, nsmap=_NSMAP)
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
    etree.SubElement(envelope, _BODY)
    return envelope


# Copied for each message: cheaper than building the envelope and its namespace map anew.
_EMPTY_ENVELOPE = _empty_envelope()


def soap_envelope(operation: etree._Element) -> bytes:
    """The SOAP 1.1 envelope :func:`write` put ``operation`` in; its Header is the transport's."""
    return etree.tostring(operation.getroottree(), xml_declaration=True, encoding="UTF-8")
