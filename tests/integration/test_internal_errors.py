"""An unexpected exception in a stage: a generic X-Road InternalError, no stack trace, audited.

The pipeline is a running gateway's own (its stages, its X-Road renderer, its audit
log), with one stage added that fails the way a bug would.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import uuid

import pytest

from gateway.node import AUDIT_DB
from gateway.pipeline import Exchange, Pipeline, Reply
from gateway.stages import client_side_pipeline
from tests.integration.federation import SERVICE, Harness

SECRET = "password=hunter2 at /srv/xgw/secret.py line 42"


class Explode:
    async def __call__(self, exchange: Exchange, /) -> None:
        raise RuntimeError(SECRET)


class Answer:
    async def __call__(self, exchange: Exchange, /) -> None:
        exchange.response = Reply(200, [("Content-Type", "text/plain")], b"fine")


def an_exchange(fed: Harness, xroad_id: str, accept: str | None = None) -> Exchange:
    headers = [("X-Road-Client", fed.client_id("DE")), ("X-Road-Id", xroad_id)]
    if accept:
        headers.append(("Accept", accept))
    return Exchange(
        direction="outbound",
        method="GET",
        raw_path=f"/r1/{SERVICE}/echo/x",
        headers=headers,
        body=b"",
        transport=None,
    )


def header(reply: Reply, name: str) -> str | None:
    return next((v for n, v in reply.headers if n.lower() == name.lower()), None)


async def test_unexpected_exception_is_a_generic_internal_error(
    fed: Harness, caplog: pytest.LogCaptureFixture
):
    async with fed.start() as (de, _ee):
        real = client_side_pipeline(de.node)
        pipeline = Pipeline([real.stages[0], Explode()], real.finish, real.render)
        with caplog.at_level(logging.ERROR, logger="gateway.exchange"):
            reply = await pipeline.run(an_exchange(fed, "x-boom"))
    assert reply.status == 500
    assert header(reply, "X-Road-Error") == "Server.ClientProxy.InternalError"
    assert header(reply, "X-Road-Id") == "x-boom"
    document = json.loads(reply.body)
    assert document["type"] == "Server.ClientProxy.InternalError"
    detail = str(uuid.UUID(document["detail"]))
    for leak in (b"hunter2", b"RuntimeError", b"Traceback", b"secret.py"):
        assert leak not in reply.body
    # The operator finds the cause in the log by the id the caller got.
    failure = next(r for r in caplog.records if detail in r.getMessage())
    assert failure.exc_info is not None and SECRET in str(failure.exc_info[1])


async def test_unexpected_exception_is_xml_for_a_client_that_prefers_it(fed: Harness):
    async with fed.start() as (de, _ee):
        real = client_side_pipeline(de.node)
        pipeline = Pipeline([real.stages[0], Explode()], real.finish, real.render)
        reply = await pipeline.run(an_exchange(fed, "x-boom-xml", accept="application/xml"))
    assert reply.status == 500
    assert b"<type>Server.ClientProxy.InternalError</type>" in reply.body
    assert b"hunter2" not in reply.body


async def test_unexpected_exception_is_audited(fed: Harness):
    async with fed.start() as (de, _ee):
        real = client_side_pipeline(de.node)
        pipeline = Pipeline([real.stages[0], Explode()], real.finish, real.render)
        await pipeline.run(an_exchange(fed, "x-audited"))
    db = fed.members["DE"].dir / "data" / AUDIT_DB
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT kind, record FROM audit_entries WHERE exchange_id = ? ORDER BY seq",
            ("x-audited",),
        ).fetchall()
    assert [kind for kind, _ in rows] == ["request", "response"]
    response = json.loads(rows[1][1])
    assert (response["status"], response["error_type"]) == (500, "Server.ClientProxy.InternalError")


async def test_failing_finish_stage_replaces_an_answer_with_an_internal_error(fed: Harness):
    """A client never gets an answer whose finishing work (the audit record) failed."""
    async with fed.start() as (de, _ee):
        real = client_side_pipeline(de.node)
        pipeline = Pipeline([real.stages[0], Answer()], [Explode()], real.render)
        reply = await pipeline.run(an_exchange(fed, "x-finish"))
    assert reply.status == 500
    assert header(reply, "X-Road-Error") == "Server.ClientProxy.InternalError"
    assert b"fine" not in reply.body and b"hunter2" not in reply.body


async def test_gateway_keeps_serving_after_an_internal_error(fed: Harness):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        real = client_side_pipeline(de.node)
        await Pipeline([real.stages[0], Explode()], real.finish, real.render).run(
            an_exchange(fed, "x-before")
        )
        async with http.get(
            f"{de.client_url}/r1/{SERVICE}/ettevotted/7",
            headers={"X-Road-Client": fed.client_id("DE")},
        ) as resp:
            assert resp.status == 200
            assert (await resp.json())["registrikood"] == "7"
