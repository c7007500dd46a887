"""The X-Road proxy vectors as a conformance suite through running gateways (issue 4).

Every case of tests/unit/xroad_soap/vectors.py (the table in docs/xroad-soap-conformance.md)
is sent by a client system over mTLS to the consumer's gateway, crosses the signed hop to
the provider's gateway and, if it gets that far, reaches a real SOAP backend on 127.0.0.1
that records it and replies with the vector's answer. One federation serves the module.

- A well-formed request reaches the backend byte for byte with its Content-Type and
  SOAPAction; the answer comes back byte for byte except the X-Road header edits
  ``check_answer_intact`` allows (echoed headers, ``requestHash``).
- A malformed request gets a SOAP Fault with its X-Road code and never reaches the backend.
- An unusable answer gets a SOAP Fault; a SOAP Fault answer comes back untouched.

Well-formed vectors that name a member as client or provider are sent with subsystem
codes (``with_subsystems``): xgw's clients and services are subsystems (DESIGN.md).
Malformed vectors are sent exactly as they are.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
import pytest_asyncio

from gateway.pki import CertificateAuthority
from tests.integration.federation import closed_port_url, serve_app
from tests.integration.soap_vectors_support import (
    BOM,
    CONSUMER,
    SoapBackend,
    VectorFederation,
    check_answer_intact,
    check_metaservice_answer,
    fault_code,
    plain_answer,
    send,
    soap_part_of,
    with_subsystems,
)
from tests.unit.xroad_soap.vectors import CASES, QUERIES_DIR, Case, with_query_id

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Running:
    fed: VectorFederation
    backend: SoapBackend
    sessions: dict[str, aiohttp.ClientSession]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def running(
    tmp_path_factory: pytest.TempPathFactory, ca: CertificateAuthority
) -> AsyncIterator[Running]:
    backend = SoapBackend()
    async with serve_app(backend.app()) as backend_url:
        root = tmp_path_factory.mktemp("soap-vectors")
        fed = VectorFederation(root, ca, backend_url, closed_port_url())
        async with fed.start(edit=fed.edit_directory), fed.sessions() as sessions:
            yield Running(fed, backend, sessions)


def _read(name: str) -> bytes:
    return (QUERIES_DIR / name).read_bytes()


def _first(pattern: bytes, message: bytes) -> str:
    found = re.search(pattern, message)
    assert found is not None, pattern
    return found.group(1).decode()


def _answer(case: Case, query: bytes) -> tuple[bytes, str]:
    """What the backend replies: the case's answer with the query's id, or a plain answer."""
    if case.answer is None:
        code = _first(rb"serviceCode>([^<]*)<", query)
        return plain_answer(code), "text/xml; charset=UTF-8"
    answer = with_subsystems(_read(case.answer), case.client_subsystem)
    query_id = _first(rb"<(?:[\w.-]+:)?id>([^<]*)</", query)
    return with_query_id(answer, query_id), case.answer_content_type


async def _exchange(running: Running, case: Case, with_bom: bool) -> None:
    query = _read(case.query)
    if case.error is None:
        query = with_subsystems(query, case.client_subsystem)
    if with_bom:
        query = BOM + query
    answer, answer_type = _answer(case, query) if case.error is None else (b"", "text/xml")
    # SOAP 1.1 over HTTP: a Fault comes with status 500.
    running.backend.answer_with(answer, answer_type, status=500 if case.passthrough else 200)
    client = f"{CONSUMER}/{case.client_subsystem}"
    before = len(running.backend.received)
    out = await send(running.sessions[client], running.fed.client_url, query, case.content_type)
    reached = running.backend.received[before:]

    refusal = case.gateway_fault or case.error
    if refusal is not None:
        assert fault_code(out) == refusal
        assert reached == [], "a refused request reached the backend"
        return
    if case.answered_by_gateway:
        assert reached == [], "a metaservice reached the backend"
        check_metaservice_answer(out, soap_part_of(query, case.content_type))
        return
    # The request reached the backend as the client sent it.
    assert len(reached) == 1, (out.status, out.body[:600])
    got = reached[0]
    assert (got.method, got.path) == ("POST", "/")
    assert got.body == query
    assert got.content_type == case.content_type
    assert got.soap_action == '""'
    if case.answer_error is not None:
        assert fault_code(out) == case.answer_error
        return
    assert out.headers.get("Content-Type") == answer_type, (out.status, out.body[:600])
    if case.passthrough:
        assert (out.status, out.body) == (500, answer)
        return
    assert out.status == 200, out.body[:600]
    check_answer_intact(answer, out.body, answer_type, soap_part_of(query, case.content_type))


def _ids(cases: tuple[Case, ...]) -> list[str]:
    return [c.name for c in cases]


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
async def test_vector_through_running_gateways(running: Running, case: Case):
    await _exchange(running, case, with_bom=False)


BOM_CASES = tuple(c for c in CASES if c.bom_variant)


@pytest.mark.parametrize("case", BOM_CASES, ids=_ids(BOM_CASES))
async def test_vector_with_a_utf8_bom_in_front(running: Running, case: Case):
    """Upstream runs every case once more with a UTF-8 BOM in front of the body."""
    await _exchange(running, case, with_bom=True)


async def test_a_member_level_service_is_refused_before_anything_is_sent(running: Running):
    """getstate.query as it is: it calls EE/BUSINESS/producer's getState, of no subsystem."""
    before = len(running.backend.received)
    out = await send(
        running.sessions[f"{CONSUMER}/subsys1"],
        running.fed.client_url,
        _read("getstate.query"),
        "text/xml; charset=UTF-8",
    )
    assert fault_code(out) == "Client.UnknownService"
    assert running.backend.received[before:] == []


async def test_a_member_level_client_is_refused_as_no_subsystem_of_the_certificate(
    running: Running,
):
    """getstate.query with a subsystem for the service only: the client is still the member."""
    before = len(running.backend.received)
    out = await send(
        running.sessions[f"{CONSUMER}/subsys1"],
        running.fed.client_url,
        with_subsystems(_read("getstate.query"), client_subsystem=None),
        "text/xml; charset=UTF-8",
    )
    assert fault_code(out) == "Client.InvalidClientIdentifier"
    assert running.backend.received[before:] == []
