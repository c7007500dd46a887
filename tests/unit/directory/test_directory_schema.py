"""The directory schema: valid and invalid documents, error paths, the packaged copy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator

from gateway.directory import Directory, directory_schema, validate_document
from gateway.errors import DirectoryError

DE = "DE/GOV/05974028"
GEWERBEANZEIGE = f"{DE}/gewerbeamt/gewerbeanzeige"
ROOT = Path(__file__).resolve().parents[3]


def test_the_installed_schema_is_the_repository_one():
    repo = ROOT / "schemas" / "directory.v1.json"
    assert directory_schema() == orjson.loads(repo.read_bytes())


def test_schema_is_valid_draft_2020_12():
    Draft202012Validator.check_schema(directory_schema())
    assert directory_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_full_document_is_valid(fed):
    validate_document(fed.doc())


def test_minimal_document_is_valid(fed):
    doc = fed.doc()
    del doc["access"], doc["revoked"]
    for member in doc["members"]:
        del member["subsystems"], member["services"]
    directory = Directory.from_json(doc)
    assert directory.clients()[0][1] == "Stadt Musterstadt"


def _broken(fed: Any, change: Any) -> dict[str, Any]:
    doc: dict[str, Any] = fed.doc()
    change(doc)
    return doc


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(format="xgw-directory/2"), "schema: format: "),
        (lambda d: d.pop("sequence"), "schema: (document): 'sequence' is a required property"),
        (lambda d: d.update(sequence=-1), "schema: sequence: -1 is less than the minimum"),
        (lambda d: d.update(sequence="7"), "schema: sequence: '7' is not of type 'integer'"),
        (lambda d: d.update(issued="28.11.2026"), "schema: issued: '28.11.2026' does not match"),
        (lambda d: d.update(expires="2026-11-29T02:00:00"), "schema: expires: "),
        (lambda d: d.update(cas=[]), "schema: cas: [] should be non-empty"),
        (lambda d: d.update(extra=1), "schema: (document): Additional properties"),
        (
            lambda d: d["members"][0].update(gateway_url="ftp://x"),
            "schema: members[0].gateway_url: 'ftp://x' does not match",
        ),
        (
            lambda d: d["members"][0].update(gateway_url="http://127.0.0.1:8080"),
            "schema: members[0].gateway_url: ",
        ),
        (lambda d: d["members"][1].update(id="EE/GOV"), "schema: members[1].id: 'EE/GOV'"),
        (
            lambda d: d["members"][0]["tls_certificates"].append(d["cas"][0]),
            "schema: members[0].tls_certificates: ",
        ),
        (
            lambda d: d["members"][0].update(signing_certificates=["not a pem"]),
            "schema: members[0].signing_certificates[0]: 'not a pem' does not match",
        ),
        (
            lambda d: d["members"][0]["services"][0].update(type="GRAPHQL"),
            "schema: members[0].services[0].type: 'GRAPHQL' is not one of",
        ),
        (
            lambda d: d["members"][0]["services"][0]["endpoints"].append(
                {"method": "get", "path": "/x"}
            ),
            "schema: members[0].services[0].endpoints[2].method: 'get' is not one of",
        ),
        (
            lambda d: d["members"][0]["services"][0]["endpoints"].append(
                {"method": "GET", "path": "x"}
            ),
            "schema: members[0].services[0].endpoints[2].path: 'x' does not match",
        ),
        (
            lambda d: d["access"][0].update(client=DE),
            f"schema: access[0].client: '{DE}' does not match",
        ),
        (lambda d: d.update(revoked=[{"serial": "xyz"}]), "schema: revoked[0].serial: 'xyz'"),
        (
            lambda d: d.update(revoked=[{"serial": "1a", "reason": "oops"}]),
            "schema: revoked[0].reason: 'oops' is not one of",
        ),
    ],
)
def test_invalid_documents_name_the_json_path(fed, change, expected):
    with pytest.raises(DirectoryError) as info:
        Directory.from_json(_broken(fed, change))
    assert info.value.message.startswith(expected), info.value.message
    assert info.value.code == "OutdatedGlobalConf"


def test_long_values_are_shortened_in_messages(fed):
    doc = fed.doc()
    doc["members"][0]["gateway_url"] = "ftp://" + "x" * 5000
    with pytest.raises(DirectoryError) as info:
        Directory.from_json(doc)
    assert len(info.value.message) < 200
    assert "...' does not match '^https://" in info.value.message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["members"][0]["services"][0].update(subsystem="nope"),
            "members[0].services[0].subsystem: 'nope' is not a subsystem of DE/GOV/05974028",
        ),
        (
            lambda d: d["members"].append(d["members"][0]),
            "members: member DE/GOV/05974028 is listed twice",
        ),
        (
            lambda d: d["members"][0]["services"].append(d["members"][0]["services"][0]),
            f"members[0].services: service {GEWERBEANZEIGE} is listed twice",
        ),
        (
            lambda d: d["members"][0]["subsystems"].append({"code": "gewerbeamt", "name": "x"}),
            "members[0].subsystems: subsystem gewerbeamt is listed twice",
        ),
        (
            lambda d: d["access"][0].update(service=f"{DE}/gewerbeamt/unknown"),
            f"access[0].service: {DE}/gewerbeamt/unknown is not a service of any member",
        ),
        (
            lambda d: d["access"][0]["endpoints"].append({"method": "GET", "path": "/a**"}),
            "access[0].endpoints: path pattern '/a**': '**' must be a whole segment",
        ),
        (
            lambda d: d["members"][0]["services"][0]["endpoints"].append(
                {"method": "GET", "path": "/**x/y"}
            ),
            "members[0].services[0].endpoints: path pattern '/**x/y'",
        ),
        (
            lambda d: d["members"][1]["tls_certificates"].append(
                d["members"][0]["tls_certificates"][0]
            ),
            "members[1].tls_certificates: ",
        ),
        (
            lambda d: d["members"][1].update(
                signing_certificates=d["members"][0]["signing_certificates"]
            ),
            "members[1].signing_certificates: kid ",
        ),
        (lambda d: d.update(expires=d["issued"]), "expires: "),
        (
            lambda d: d.update(issued="2026-13-01T00:00:00Z"),
            "issued: '2026-13-01T00:00:00Z' is not a valid date and time",
        ),
    ],
)
def test_inconsistent_documents_are_refused(fed, change, expected):
    with pytest.raises(DirectoryError) as info:
        Directory.from_json(_broken(fed, change))
    assert info.value.message.startswith(expected), info.value.message


def test_unreadable_certificate_names_its_path(fed):
    doc = fed.doc()
    doc["cas"] = ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]
    with pytest.raises(DirectoryError, match=r"^cas\[0\]: unreadable PEM certificate"):
        Directory.from_json(doc)


def test_two_certificates_in_one_entry_are_refused(fed):
    doc = fed.doc()
    doc["cas"] = [doc["cas"][0] + doc["members"][0]["tls_certificates"][0]]
    with pytest.raises(DirectoryError) as info:
        Directory.from_json(doc)
    assert info.value.message.startswith("schema: cas[0]: '-----BEGIN CERTIFICATE-----")
    assert "...' does not match" in info.value.message
