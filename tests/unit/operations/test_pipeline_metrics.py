"""The pipeline hands every finished exchange to its observer (the node's metrics)."""

from __future__ import annotations

import logging

from gateway.errors import AccessDeniedError
from gateway.pipeline import Exchange, Pipeline, Reply


class Observed:
    def __init__(self, fail: bool = False) -> None:
        self.seen: list[tuple[str, int, str | None]] = []
        self.fail = fail

    def observe_exchange(self, exchange: Exchange) -> None:
        assert exchange.response is not None
        self.seen.append((exchange.id, exchange.response.status, exchange.error_type))
        if self.fail:
            raise RuntimeError("metrics bug")


class Stage:
    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse

    async def __call__(self, exchange: Exchange, /) -> None:
        exchange.new_id()
        if self.refuse:
            raise AccessDeniedError("no grant")
        exchange.response = Reply(200, [], b"ok")


def render(exchange: Exchange, error) -> Reply:
    return Reply(error.http_status, [("X-Road-Error", error.type)], b"")


def exchange() -> Exchange:
    return Exchange("outbound", "GET", "/r1/x", [], b"", None)


async def test_answers_and_refusals_are_both_counted_once():
    metrics = Observed()
    answered, refused = exchange(), exchange()
    await Pipeline([Stage()], [], render, metrics.observe_exchange).run(answered)
    await Pipeline([Stage(refuse=True)], [], render, metrics.observe_exchange).run(refused)
    assert metrics.seen == [
        (answered.id, 200, None),
        (refused.id, 500, "Server.ClientProxy.AccessDenied"),
    ]


async def test_a_failing_observer_costs_the_caller_nothing(caplog):
    metrics = Observed(fail=True)
    ex = exchange()
    with caplog.at_level(logging.ERROR, logger="gateway.exchange"):
        reply = await Pipeline([Stage()], [], render, metrics.observe_exchange).run(ex)
    assert reply.status == 200
    assert len(metrics.seen) == 1
    assert f"metrics of exchange {ex.id} failed" in caplog.text


async def test_a_pipeline_without_an_observer_runs_the_same():
    pipeline = Pipeline([Stage()], [], render)
    assert pipeline.observe is None
    assert (await pipeline.run(exchange())).status == 200
