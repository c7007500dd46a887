"""The JSON Schemas of the ``isikud`` request and response, compiled once.

Usage::

    schemas = IsikudSchemas.load()
    schemas.check_request(document)     # ConnectorError("isikud request: $.isikukoodid[0]: ...")
    schemas.check_response(document)

The Population Register publishes no schema: these are xgw's own
(``schemas/ee/rahvastikuregister/isikud-*.v1.json``), derived from the samples.
Messages name the JSON path and the broken rule, never the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

import jsonschema_rs

from connectors.canonical.validate import first_violation, json_path
from gateway import shipped
from gateway.errors import ConnectorError

__all__ = ["REQUEST_SCHEMA", "RESPONSE_SCHEMA", "IsikudSchemas"]

REQUEST_SCHEMA = "ee/rahvastikuregister/isikud-request.v1.json"
RESPONSE_SCHEMA = "ee/rahvastikuregister/isikud-response.v1.json"


@dataclass(frozen=True)
class IsikudSchemas:
    request: jsonschema_rs.Draft202012Validator
    response: jsonschema_rs.Draft202012Validator

    @classmethod
    def load(cls) -> IsikudSchemas:
        return cls(_compile(REQUEST_SCHEMA), _compile(RESPONSE_SCHEMA))

    def check_request(self, document: Any) -> None:
        _check(self.request, document, "isikud request")

    def check_response(self, document: Any) -> None:
        _check(self.response, document, "isikud response")


def _refuse(uri: str) -> NoReturn:
    raise ValueError(f"the isikud schemas refer only to themselves, not to {uri}")


def _compile(name: str) -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(shipped.load_json(name), retriever=_refuse)


def _check(validator: jsonschema_rs.Draft202012Validator, document: Any, what: str) -> None:
    if validator.is_valid(document):
        return
    violations = []
    for error in validator.iter_errors(document):
        kind: Any = error.kind
        violations.append((tuple(error.instance_path), kind.name, getattr(kind, "value", None)))
    path, keyword, detail = first_violation(document, violations)
    raise ConnectorError(f"{what}: {json_path(path)}: {_reason(keyword, detail)}")


def _reason(keyword: str, detail: Any) -> str:
    """The broken rule, worded without the instance's value."""
    if keyword == "required":
        return f"missing required property {detail!r}"
    if keyword == "additionalProperties":
        return "unknown property " + ", ".join(repr(p) for p in sorted(detail))
    if keyword == "type":
        return "is not of type " + " or ".join(detail if isinstance(detail, list) else [detail])
    if keyword == "pattern":
        return f"does not match pattern {detail}"
    if keyword == "minItems":
        return f"has fewer than {detail} items"
    return f"fails rule {keyword}"
