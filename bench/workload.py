"""What the benchmark sends through both chains, and how it tells a right answer.

Usage::

    workload = WORKLOADS["xoev"](None)     # or WORKLOADS["opaque"](3072)
    workload.request_path, workload.body, workload.headers
    workload.answer_ok(answer)             # byte for byte, less what an encoder makes up
    workload.members, workload.access      # the federation the xgw chain runs in
    workload.backend("xgw")                # what the chain's backend plays: "register"

- ``xoev`` (the default): the demo federation's first story as one fixed exchange
  (:mod:`bench.xoev`). DE's client system speaks XGewerbeanzeige
  (``[[clients]] format``), EE's service ``arireg/detailandmed_v2`` is X-Road SOAP
  (``ee.ariregister``): DE decodes, asks the register about the business, signs;
  EE verifies, encodes SOAP for its backend, decodes the answer, signs; DE verifies,
  folds the answer in and encodes XGewerbeanzeige. The plain chain forwards the same
  XÖV request untranslated to a backend that answers what xgw's client gets.
- ``opaque``: a JSON body of ``--body-bytes`` each way, passed through untouched
  (``format = "opaque"`` on both sides): xgw's cost without translation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.payload import request_body, response_body
from bench.xoev import masked, xoev_documents
from gateway.demo.federation import DemoMember

__all__ = ["CLIENT", "WORKLOADS", "Workload"]

CLIENT = "DE/GOV/05974028/gewerbeamt"


@dataclass(frozen=True)
class Workload:
    name: str
    service: str  # the X-Road service id the client calls
    endpoint: str  # what follows the service id in the request path ("" for SOAP)
    body: bytes
    content_type: str
    expected: bytes  # the answer as :meth:`answer_ok` compares it
    members: list[DemoMember]
    access: list[dict[str, Any]]
    backends: dict[str, str]  # chain -> what its backend plays (bench.backend --serves)
    masks: bool = False  # answers carry a message id and time of their own

    @property
    def service_path(self) -> str:
        return f"/r1/{self.service}"

    @property
    def request_path(self) -> str:
        return self.service_path + self.endpoint

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Road-Client": CLIENT, "Content-Type": self.content_type}

    def backend(self, chain: str) -> str:
        return self.backends[chain]

    def answer_ok(self, answer: bytes) -> bool:
        return (masked(answer) if self.masks else answer) == self.expected


def _client(format_name: str) -> DemoMember:
    return DemoMember(
        "DE", "DE/GOV/05974028", "Stadt Musterstadt", CLIENT,
        [("gewerbeamt", "Gewerbeamt")], [], client_format=format_name,
    )  # fmt: skip


def _provider(service: dict[str, Any]) -> DemoMember:
    subsystem = service["subsystem"]
    return DemoMember(
        "EE", "EE/GOV/70000310", "RIK", "EE/GOV/70000310/klient",
        [(subsystem, "Äriregister"), ("klient", "RIK klient")], [service],
    )  # fmt: skip


def xoev(body_bytes: int | None) -> Workload:
    """An XGewerbeanzeige Anmeldung checked in Estonia's Business Register (translated)."""
    docs = xoev_documents(body_bytes)
    service = "EE/GOV/70000310/arireg/detailandmed_v2"
    register = {
        "subsystem": "arireg",
        "code": "detailandmed_v2",
        "type": "SOAP",
        "version": "v1",
        "format": "ee.ariregister",
    }
    return Workload(
        "xoev",
        service,
        "",
        docs.request,
        "application/xml",
        docs.masked_answer,
        [_client("xoev.xgewerbeanzeige"), _provider(register)],
        [{"client": CLIENT, "service": service}],
        {"xgw": "register", "plain": "xoev"},
        masks=True,
    )


def opaque(body_bytes: int | None) -> Workload:
    """A JSON search passed through untranslated, ``body_bytes`` each way."""
    size = body_bytes or 3072
    service = "EE/GOV/70000310/ariregister/ettevotted"
    search = {
        "subsystem": "ariregister",
        "code": "ettevotted",
        "type": "REST",
        "format": "opaque",
        "endpoints": [{"method": "POST", "path": "/ettevotted/otsing"}],
    }
    return Workload(
        "opaque",
        service,
        "/ettevotted/otsing",
        request_body(size),
        "application/json",
        response_body(size),
        [_client("opaque"), _provider(search)],
        [{"client": CLIENT, "service": service}],
        {"xgw": "opaque", "plain": "opaque"},
    )


WORKLOADS: dict[str, Callable[[int | None], Workload]] = {"xoev": xoev, "opaque": opaque}
