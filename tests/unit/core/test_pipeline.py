"""The stage chain: order, early answers, refusals, contained surprises."""

from __future__ import annotations

from gateway.errors import AccessDeniedError, GatewayError
from gateway.pipeline import Exchange, Pipeline, Reply


class Record:
    def __init__(self, name: str, calls: list[str], action=None) -> None:
        self.name, self.calls, self.action = name, calls, action

    async def __call__(self, exchange: Exchange, /) -> None:
        self.calls.append(self.name)
        if self.action is not None:
            self.action(exchange)


def render(exchange: Exchange, error: GatewayError) -> Reply:
    return Reply(error.http_status, [("X-Road-Error", error.type)], error.message.encode())


def exchange() -> Exchange:
    return Exchange(
        direction="outbound", method="GET", raw_path="/r1/x", headers=[], body=b"", transport=None
    )


def answer(ex: Exchange) -> None:
    ex.response = Reply(200, [], b"ok")


async def test_stages_run_in_order_and_finish_always_runs():
    calls: list[str] = []
    pipeline = Pipeline(
        [Record("a", calls), Record("b", calls, answer)], [Record("audit", calls)], render
    )
    reply = await pipeline.run(exchange())
    assert calls == ["a", "b", "audit"]
    assert reply.status == 200


async def test_an_early_answer_skips_the_remaining_stages():
    calls: list[str] = []
    pipeline = Pipeline(
        [Record("a", calls, answer), Record("b", calls)], [Record("f", calls)], render
    )
    await pipeline.run(exchange())
    assert calls == ["a", "f"]


async def test_a_refusal_is_rendered_and_audited():
    calls: list[str] = []

    def refuse(ex: Exchange) -> None:
        raise AccessDeniedError("no grant")

    pipeline = Pipeline(
        [Record("a", calls, refuse), Record("b", calls)], [Record("f", calls)], render
    )
    ex = exchange()
    reply = await pipeline.run(ex)
    assert calls == ["a", "f"]
    assert reply.status == 500
    assert ex.error_type == "Server.ClientProxy.AccessDenied"


async def test_an_unexpected_exception_becomes_a_generic_internal_error(caplog):
    def crash(ex: Exchange) -> None:
        raise RuntimeError("secret detail in a traceback")

    pipeline = Pipeline([Record("a", [], crash)], [], render)
    ex = exchange()
    reply = await pipeline.run(ex)
    assert reply.status == 500
    assert ex.error is not None and ex.error.type == "Server.ClientProxy.InternalError"
    assert b"secret" not in reply.body and b"Traceback" not in reply.body
    assert ex.error.detail in caplog.text  # the operator finds it by its id
    assert "secret detail" in caplog.text


async def test_a_failing_finish_stage_replaces_the_answer():
    def audit_fails(ex: Exchange) -> None:
        raise GatewayError("database is gone", code="DatabaseError")

    pipeline = Pipeline([Record("a", [], answer)], [Record("audit", [], audit_fails)], render)
    reply = await pipeline.run(exchange())
    assert reply.status == 500
    assert ("X-Road-Error", "Server.ClientProxy.DatabaseError") in reply.headers


async def test_a_refusal_from_the_frontend_skips_every_stage():
    calls: list[str] = []
    pipeline = Pipeline([Record("a", calls)], [Record("f", calls)], render)
    reply = await pipeline.run(exchange(), refused=AccessDeniedError("too big"))
    assert calls == ["f"]
    assert reply.status == 500
