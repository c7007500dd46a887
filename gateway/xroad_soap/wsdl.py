"""WSDL documents of SOAP services: checked when loaded, endpoint addresses replaced.

Usage::

    published = published_wsdl(path.read_bytes())          # ValueError if it is no WSDL
    # ... getWsdl carries ``published``: every soap:address is HIDDEN_ENDPOINT ...
    served = with_endpoint(published, "https://xgw.example:8443/")   # GET /wsdl

The provider's gateway publishes a service's WSDL with every endpoint address
replaced by ``http://example.org/xroad-endpoint``, as PR-META section 4 requires
of a security server: a backend's address stays private. The client's gateway,
serving ``/wsdl``, points every address at its own client port, so that a SOAP
client library built from the document calls through xgw. Both SOAP 1.1 and
SOAP 1.2 bindings (``soap:address``, ``soap12:address``) are rewritten; nothing
else in the document changes (comments, imports, extensions stay).
"""

from __future__ import annotations

from lxml import etree

__all__ = ["HIDDEN_ENDPOINT", "NS_WSDL", "published_wsdl", "with_endpoint"]

NS_WSDL = "http://schemas.xmlsoap.org/wsdl/"
HIDDEN_ENDPOINT = "http://example.org/xroad-endpoint"
_ADDRESSES = (
    "{http://schemas.xmlsoap.org/wsdl/soap/}address",
    "{http://schemas.xmlsoap.org/wsdl/soap12/}address",
)
# No network, no entities, no DTD: a WSDL is data, never instructions to fetch anything.
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=False,
    remove_pis=False,
    strip_cdata=False,
)


def _definitions(wsdl: bytes) -> etree._Element:
    """The ``wsdl:definitions`` root; ValueError naming what is wrong."""
    try:
        root = etree.fromstring(wsdl, parser=_PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise ValueError(f"not well-formed XML: {exc}") from exc
    if getattr(root.getroottree().docinfo, "doctype", ""):
        raise ValueError("a WSDL may not contain a document type declaration")
    if root.tag != f"{{{NS_WSDL}}}definitions":
        raise ValueError(f"not a WSDL 1.1 document: the root element is {root.tag}")
    return root


def _with_addresses(wsdl: bytes, location: str) -> bytes:
    root = _definitions(wsdl)
    for address in root.iter(*_ADDRESSES):
        address.set("location", location)
    tree = root.getroottree()
    out = etree.tostring(tree, xml_declaration=True, encoding=tree.docinfo.encoding or "UTF-8")
    assert isinstance(out, bytes)  # an encoding was named, so never str
    return out


def published_wsdl(wsdl: bytes) -> bytes:
    """The WSDL as the provider's gateway hands it out: endpoints hidden (PR-META 4)."""
    return _with_addresses(wsdl, HIDDEN_ENDPOINT)


def with_endpoint(wsdl: bytes, location: str) -> bytes:
    """The WSDL with every SOAP endpoint address set to ``location`` (xgw's client port)."""
    return _with_addresses(wsdl, location)
