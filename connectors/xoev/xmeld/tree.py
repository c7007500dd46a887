"""One pass over an lxml tree into light nodes; small helpers to write XMeld elements.

Usage::

    node = read(root)                       # one walk over every element, nothing else
    node.get("datenAbrufendeStelle").text_of("aktenzeichen")
    element = qualified(parent, "suchprofil"); unqualified(element, "code", "1332")

Reading indexes each element's children by local name, so the mapping looks them up in
dictionaries and never asks lxml again (one pass per tree, issue 3 item 10). Writing
distinguishes XMeld-namespace elements from the
unqualified ones the XÖV header and XInneres building blocks use.
"""

from __future__ import annotations

from lxml import etree

from connectors.canonical import Code
from connectors.xoev.xmeld.schema import NAMESPACE

__all__ = ["Node", "code_node", "code_value", "qualified", "read", "unqualified"]

_NS = "{" + NAMESPACE + "}"


class Node:
    """An element: local name, attributes, stripped text and children by local name."""

    __slots__ = ("attrib", "children", "items", "name", "text")

    def __init__(self, name: str, attrib: dict[str, str], text: str | None) -> None:
        self.name = name
        self.attrib = attrib
        self.text = text
        self.children: dict[str, list[Node]] = {}
        self.items: list[Node] = []  # the children in document order

    def get(self, name: str) -> Node | None:
        found = self.children.get(name)
        return found[0] if found else None

    def all(self, name: str) -> list[Node]:
        return self.children.get(name, [])

    def text_of(self, name: str) -> str | None:
        child = self.get(name)
        return None if child is None else child.text

    def path(self, *names: str) -> Node | None:
        node: Node | None = self
        for name in names:
            if node is None:
                return None
            node = node.get(name)
        return node


def read(element: etree._Element) -> Node:
    """The node tree of ``element``: one recursive pass, comments and PIs skipped."""
    tag = element.tag
    text = element.text
    attrib = {str(k): str(v) for k, v in element.items()} if element.keys() else {}
    node = Node(tag[tag.find("}") + 1 :], attrib, text.strip() if text else None)
    children, items = node.children, node.items
    for child in element:
        if type(child.tag) is str:
            sub = read(child)
            children.setdefault(sub.name, []).append(sub)
            items.append(sub)
    return node


def qualified(
    parent: etree._Element, name: str, text: str | None = None, **attrib: str
) -> etree._Element:
    element = etree.SubElement(parent, _NS + name, attrib)
    if text is not None:
        element.text = text
    return element


def unqualified(
    parent: etree._Element, name: str, text: str | None = None, **attrib: str
) -> etree._Element:
    element = etree.SubElement(parent, name, attrib)
    if text is not None:
        element.text = text
    return element


def code_value(node: Node) -> Code:
    """An XÖV Code element as a canonical Code (code, name, listURI, listVersionID)."""
    code: Code = {"code": node.text_of("code") or ""}
    if "listURI" in node.attrib:
        code["listURI"] = node.attrib["listURI"]
    if "listVersionID" in node.attrib:
        code["listVersionID"] = node.attrib["listVersionID"]
    name = node.text_of("name")
    if name:
        code["name"] = name
    return code


def code_node(parent: etree._Element, name: str, code: Code, *, is_qualified: bool) -> None:
    attrib = {k: code[k] for k in ("listURI", "listVersionID") if k in code}
    element = (qualified if is_qualified else unqualified)(parent, name, **attrib)
    unqualified(element, "code", code["code"])
    if "name" in code:
        unqualified(element, "name", code["name"])
