"""What the XPersonenstand 26.11 portal messages are made of: names, code lists, the header.

Usage::

    MESSAGES["084020"].root            # "{http://xpsw.domap.de/xpsw2611}portal2StA.Sterbefall.084020"
    q("verstorbener")                  # a qualified XPersonenstand tag
    GENDER_FROM_XOEV["w"]              # "female"
    PortalHeader.placeholder()         # the header xgw writes when none is configured

Elements declared by XPersonenstand itself are qualified (``NS``); elements of the
XInneres and XÖV framework types it reuses (header, addresses, codes, name parts,
contact channels) are unqualified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from connectors.xoev import din91379
from gateway.errors import ConfigError

__all__ = [
    "CHANNEL_FROM_XOEV",
    "CHANNEL_TO_XOEV",
    "DESTATIS_TABLE",
    "GENDER_FROM_XOEV",
    "GENDER_TO_XOEV",
    "LIST_ERREICHBARKEIT",
    "LIST_GESCHLECHT",
    "LIST_NACHRICHTENTYP",
    "LIST_VERZEICHNISDIENST",
    "MEDIA_TYPE",
    "MESSAGES",
    "NS",
    "STANDARD",
    "STANDARD_VERSION",
    "MessageType",
    "Party",
    "PortalHeader",
    "PostalAddress",
    "q",
]

NS = "http://xpsw.domap.de/xpsw2611"
STANDARD = "XPersonenstand"
STANDARD_VERSION = "26.11"
MEDIA_TYPE = "application/xml; charset=utf-8"
DESTATIS_TABLE = "de-destatis-staaten"  # schemas/codes/de-destatis-staaten.v1.json


def q(local: str) -> str:
    """The qualified (Clark) tag of an element XPersonenstand declares."""
    return f"{{{NS}}}{local}"


@dataclass(frozen=True)
class MessageType:
    code: str  # nachrichtentyp code
    name: str  # the root element's local name
    event: str  # the canonical event type

    @property
    def root(self) -> str:
        return q(self.name)


MESSAGES: dict[str, MessageType] = {
    "081020": MessageType("081020", "portal2StA.Geburt.081020", "birth"),
    "084020": MessageType("084020", "portal2StA.Sterbefall.084020", "death"),
}


@dataclass(frozen=True)
class CodeList:
    uri: str
    version: str  # what xgw writes when the canonical document does not say


LIST_NACHRICHTENTYP = CodeList("urn:xoev-de:xpersonenstand:codelist:nachrichtentyp", "26.11")
LIST_GESCHLECHT = CodeList("urn:xoev-de:xinneres:codeliste:geschlecht", "1")
LIST_ERREICHBARKEIT = CodeList("urn:de:xoev:codeliste:erreichbarkeit", "1")
LIST_VERZEICHNISDIENST = CodeList("urn:xoev-de:kosit:codeliste:verzeichnisdienst", "3")

# XInneres Geschlecht (§§ 22, 45b PStG) <-> canonical gender (urn:xgw:codelist:gender:1).
GENDER_FROM_XOEV: dict[str, str] = {"m": "male", "w": "female", "d": "diverse", "x": "unspecified"}
GENDER_TO_XOEV: dict[str, str] = {v: k for k, v in GENDER_FROM_XOEV.items()}

# XÖV Erreichbarkeit codes whose meaning is certain (01, 02, 09 from the KoSIT samples'
# e-mail addresses, telephone numbers and URLs; 03 mobile, 04 fax from the code list).
# Other codes decode as channel "other" with the code kept; "other" encodes only with
# its code.
CHANNEL_FROM_XOEV: dict[str, str] = {
    "01": "email",
    "02": "telephone",
    "03": "mobile",
    "04": "fax",
    "09": "web",
}
CHANNEL_TO_XOEV: dict[str, str] = {v: k for k, v in CHANNEL_FROM_XOEV.items()}


@dataclass(frozen=True)
class Party:
    """A header party (``leser`` / ``autor``): its key in a directory service and its name."""

    kennung: str  # e.g. "psw:11007007" (prefix:key in the DVDV)
    name: str
    directory: str = "DVDV"


@dataclass(frozen=True)
class PostalAddress:
    """A German postal address of a header party (XInneres PostalischeInlandsanschrift)."""

    street: str
    post_code: str
    city: str
    house_number: str = ""


_POST_CODE = re.compile(r"[0-9 ]{1,5}")
_HOUSE_NUMBER = re.compile(r"[0-9 ]{0,4}")


@dataclass(frozen=True)
class PortalHeader:
    """What xgw writes into the header of a message it encodes (regenerated, never carried).

    A real deployment sets the registry office that reads the message (``reader``, its
    DVDV key) and the sender (``author``: the portal or gateway that delivers, with a
    required contact channel and postal address). :meth:`placeholder` is what xgw writes
    when nothing is configured; every message encoded with it carries a note saying so.
    """

    reader: Party
    author: Party
    author_contact: tuple[str, str]  # (Erreichbarkeit code, address or number)
    author_address: PostalAddress
    reader_address: PostalAddress | None = None
    product: str = "xgw"
    manufacturer: str = "xgw"
    product_version: str = ""
    test: bool = False  # write test="test": the message is a test message
    configured: bool = True

    def __post_init__(self) -> None:
        for field, value in self._texts():
            if not din91379.is_carried(value):
                raise ConfigError("xpersonenstand.header", f"{field}: not DIN 91379 text")
        for address in (self.author_address, self.reader_address):
            if address is None:
                continue
            if not _POST_CODE.fullmatch(address.post_code):
                raise ConfigError("xpersonenstand.header", "post code: 1 to 5 digits")
            if not _HOUSE_NUMBER.fullmatch(address.house_number):
                raise ConfigError("xpersonenstand.header", "house number: up to 4 digits")

    @classmethod
    def placeholder(cls) -> PortalHeader:
        return cls(
            reader=Party("xgw:nicht-konfiguriert", "Standesamt (in xgw nicht konfiguriert)"),
            author=Party("xgw:gateway", "xgw Gateway"),
            author_contact=("01", "xgw-gateway@invalid"),
            author_address=PostalAddress("nicht konfiguriert", "00000", "nicht konfiguriert"),
            product_version=_package_version(),
            configured=False,
        )

    def _texts(self) -> list[tuple[str, str]]:
        texts = [
            ("reader.kennung", self.reader.kennung),
            ("reader.name", self.reader.name),
            ("author.kennung", self.author.kennung),
            ("author.name", self.author.name),
            ("author_contact", self.author_contact[1]),
            ("product", self.product),
            ("manufacturer", self.manufacturer),
        ]
        for label, address in (
            ("author_address", self.author_address),
            ("reader_address", self.reader_address),
        ):
            if address is not None:
                texts += [(f"{label}.street", address.street), (f"{label}.city", address.city)]
        return texts


def _package_version() -> str:
    try:
        return version("xgw")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"
