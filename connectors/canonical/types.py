"""Python types of the canonical documents: TypedDicts that mirror ``schemas/canonical/*.v1.json``.

Usage::

    from connectors.canonical import Person, validate
    person: Person = {"name": {"familyName": "Maasikas"}, "birthDate": "1985-03"}
    validate("Person", person)

Optional properties are ``NotRequired`` (``total=False`` classes with ``Required``
for the few mandatory ones). The schemas are the contract; a test checks that
every TypedDict has exactly the properties of its schema. Strings that the schema
restricts (dates, countries, schemes) are plain ``str`` here; ``validate`` checks them.
"""

from typing import Literal, Required, TypedDict

__all__ = [
    "Activity",
    "Address",
    "Authority",
    "CivilStatusEvent",
    "Code",
    "ContactPoint",
    "Country",
    "DateTime",
    "FormerName",
    "Gender",
    "Identifier",
    "Informant",
    "LangText",
    "LegalEntity",
    "LegalEntityQuery",
    "LocatorDesignator",
    "PartialDate",
    "Participant",
    "Period",
    "Permit",
    "Person",
    "PersonList",
    "PersonName",
    "PersonQuery",
    "Place",
    "RelatedPerson",
    "RepresentationRule",
    "Representative",
    "RoleAddress",
    "TradeNotification",
]

PartialDate = str  # "YYYY", "YYYY-MM" or "YYYY-MM-DD"
DateTime = str  # RFC 3339, offset kept when the source has one
Country = str  # ISO 3166-1 alpha-2
Gender = Literal["male", "female", "diverse", "unspecified", "unknown"]
ContactChannel = Literal["email", "telephone", "mobile", "fax", "web", "other"]
RelatedRole = Literal[
    "mother", "father", "parent", "child", "spouse", "partner", "guardian",
    "legalRepresentative", "other",
]  # fmt: skip
LocatorDesignatorType = Literal[
    "addressIdentifierGeneral", "addressNumber", "addressNumberExtension",
    "addressNumber2ndExtension", "addressNumberTo", "buildingIdentifier",
    "buildingIdentifierPrefix", "entranceDoorIdentifier", "floorIdentifier", "unitIdentifier",
    "staircaseIdentifier", "postalDeliveryIdentifier", "kilometrePoint",
    "cornerAddress1stIdentifier", "cornerAddress2ndIdentifier",
]  # fmt: skip
AddressRole = Literal["registered", "establishment", "headOffice", "postal", "other"]
Sector = Literal["industry", "craft", "trade", "other"]
NotificationType = Literal["registration", "change", "deregistration"]


# --- common.v1.json ---------------------------------------------------------------------------


class Code(TypedDict, total=False):
    code: Required[str]
    listURI: str
    listVersionID: str
    name: str


class Identifier(TypedDict, total=False):
    notation: Required[str]
    scheme: Required[str]
    issuer: Country
    schemeAgency: str
    schemeAgencyCode: Code


class LangText(TypedDict):
    lang: str
    text: str


class Period(TypedDict, total=False):
    start: PartialDate
    end: PartialDate


class ContactPoint(TypedDict, total=False):
    channel: Required[ContactChannel]
    value: Required[str]
    code: Code


class Place(TypedDict, total=False):
    name: str
    names: list[LangText]
    code: Code
    country: Country
    countryName: str
    address: "Address"


class Authority(TypedDict, total=False):
    prefix: Code
    code: Code
    name: str
    address: "Address"
    contactPoints: list[ContactPoint]


class Activity(TypedDict, total=False):
    codes: list[Code]
    description: str
    primary: bool
    newlyPerformed: bool
    period: Period


# --- address.v1.json --------------------------------------------------------------------------


class LocatorDesignator(TypedDict):
    designator: str
    type: LocatorDesignatorType


class Address(TypedDict, total=False):
    fullAddress: str
    thoroughfare: str
    thoroughfareNames: list[LangText]
    thoroughfareCode: Code
    locatorDesignator: str
    locatorDesignators: list[LocatorDesignator]
    locatorName: str
    addressArea: str
    postCode: str
    postName: str
    postNames: list[LangText]
    municipalityCode: Code
    adminUnitL2: str
    adminUnitL1: Country
    poBox: str
    addressId: str


# --- person.v1.json ---------------------------------------------------------------------------


class FormerName(TypedDict, total=False):
    familyName: str
    namePrefix: str
    givenNames: list[str]
    period: Period


class PersonName(TypedDict, total=False):
    givenNames: list[str]
    familyName: str
    namePrefix: str
    fullName: str
    birthName: str
    birthNamePrefix: str
    formerNames: list[FormerName]
    alternativeNames: list[str]
    title: str
    nobleTitle: Code


class RelatedPerson(TypedDict, total=False):
    role: Required[RelatedRole]
    roleCode: Code
    person: Required["Person"]
    period: Period


class Informant(TypedDict, total=False):
    person: "Person"
    organisationName: str
    contactPoints: list[ContactPoint]


class CivilStatusEvent(TypedDict, total=False):
    type: Required[Literal["birth", "death"]]
    date: PartialDate
    time: str
    timeExact: bool
    place: Place
    facility: str
    informant: Informant


class Person(TypedDict, total=False):
    identifiers: list[Identifier]
    name: PersonName
    gender: Gender
    birthDate: PartialDate
    birthPlace: Place
    deceased: bool
    deathDate: PartialDate
    deathPlace: Place
    nationalities: list[Country]
    maritalStatus: Code
    residenceAddress: Address
    postalAddress: Address
    contactPoints: list[ContactPoint]
    relatedPersons: list[RelatedPerson]
    event: CivilStatusEvent


# --- legal-entity.v1.json ---------------------------------------------------------------------


class RoleAddress(TypedDict, total=False):
    role: Required[AddressRole]
    roleCode: Code
    address: Required[Address]
    period: Period


class Representative(TypedDict, total=False):
    role: Required[Code]
    person: Person  # person or organisation (at least one)
    organisation: "LegalEntity"
    period: Period


class RepresentationRule(TypedDict, total=False):
    code: Code
    text: str
    period: Period


class LegalEntity(TypedDict, total=False):
    identifiers: list[Identifier]
    personType: Literal["legal", "natural"]
    legalNames: list[LangText]
    alternativeNames: list[LangText]
    legalForm: Code
    status: Code
    statusDate: PartialDate
    registrationDate: PartialDate
    foundingDate: PartialDate
    dissolutionDate: PartialDate
    addresses: list[RoleAddress]
    activities: list[Activity]
    representatives: list[Representative]
    representationRules: list[RepresentationRule]
    contactPoints: list[ContactPoint]


# --- trade-notification.v1.json ---------------------------------------------------------------


class Permit(TypedDict, total=False):
    status: Code
    issued: PartialDate
    issuerName: str
    issuerCode: Code
    issuerPostCode: str
    issuerPostName: str


class Participant(TypedDict, total=False):
    role: Code
    person: Required[Person]
    residencePermit: Permit


class TradeNotification(TypedDict, total=False):
    notificationType: Required[NotificationType]
    id: str
    isCorrection: bool
    created: DateTime
    eventTime: DateTime
    notificationDate: PartialDate
    effectiveDate: PartialDate
    author: Authority
    recipient: Authority
    municipalityCode: Code
    municipalityReference: str
    tradeId: str
    business: LegalEntity
    persons: list[Participant]
    establishmentAddress: Address
    establishmentType: Code
    headOfficeAddress: Address
    contactPoints: list[ContactPoint]
    sectors: list[Sector]
    fullTimeEmployees: int
    partTimeEmployees: int
    itinerant: bool
    sideline: bool
    publicSectorShare: Code
    craftCard: Permit
    activities: list[Activity]
    activitiesSummary: str
    reasons: list[Code]
    successor: LegalEntity


# --- person-query.v1.json, legal-entity-query.v1.json -----------------------------------------


class PersonList(TypedDict):
    """The answer to a search when it is not exactly one person (``person-list.v1.json``)."""

    persons: list[Person]


class PersonQuery(TypedDict, total=False):
    """Needs ``identifiers`` or ``familyName``."""

    identifiers: list[Identifier]
    familyName: str
    namePrefix: str
    givenNames: list[str]
    birthDate: PartialDate
    gender: Gender
    address: Address
    municipalityCode: Code
    searchArea: list[Code]
    includeDeceased: bool
    fields: list[str]
    purpose: str
    reference: str
    requester: Authority


class LegalEntityQuery(TypedDict, total=False):
    """Needs ``identifiers`` or ``name``."""

    identifiers: list[Identifier]
    name: str
    country: Country
    postCode: str
    postName: str
    includeInactive: bool
    period: Period
    language: str
    fields: list[str]
    purpose: str
