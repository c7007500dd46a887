"""The xgw chain in one process, for profiling: CPU per exchange of DE + EE + backend + client.

Usage::

    python -m bench.inprocess --requests 2000 --concurrency 16            # CPU us per exchange
    python -m bench.inprocess --requests 2000 --profile 40                 # plus cProfile's top 40
                                                    # (all of it in $TMPDIR/xgw-inprocess.prof)
    python -m bench.inprocess --payload opaque --profile 40 --sort cumulative

Both gateways (the demo federation of ``bench.chain``'s workload), the backend and the
load generator share one event loop, so a profile sees every function of the exchange
path at once, deterministically, and without the samples other processes on a busy
machine would steal. What it cannot show is the cost of crossing processes (four
processes on two cores in ``bench.chain``): use it to find and remove costs, and
``bench.chain`` to measure what that gained. The gateways log one line per exchange
to a file, as ``xgw serve`` does to stderr; the audit log commits to disk as usual.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import logging
import pstats
import ssl
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp
from aiohttp import web

from bench.backend import backend_app
from bench.load import Tally, closed_loop
from bench.workload import WORKLOADS
from gateway.app import Gateway, settle_collector
from gateway.demo.federation import build_federation
from gateway.logs import configure_logging
from gateway.settings import Settings

__all__ = ["PROFILE", "main"]

PROFILE = Path(tempfile.gettempdir()) / "xgw-inprocess.prof"  # with --profile: pstats data


async def _run(args: argparse.Namespace, state: Path) -> int:
    workload = WORKLOADS[args.payload](args.body_bytes)
    federation = build_federation(
        state / "federation", load_balancer=False, members=workload.members, access=workload.access
    )
    de, ee = federation.members["DE"], federation.members["EE"]
    assert de.client_sock and de.peer_sock and ee.client_sock and ee.peer_sock and ee.backend_sock
    runner = web.AppRunner(backend_app(workload.backend("xgw"), args.body_bytes), access_log=None)
    await runner.setup()
    await web.SockSite(runner, ee.backend_sock).start()
    settings = {key: Settings.from_toml(m.config, env={}) for key, m in (("DE", de), ("EE", ee))}
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(runner.cleanup)
        for key, member in (("EE", ee), ("DE", de)):
            await stack.enter_async_context(
                Gateway.running(
                    settings[key], peer_sock=member.peer_sock, client_sock=member.client_sock
                )
            )
        context = aiohttp.TCPConnector(
            ssl=_client_ssl(federation.ca_cert, de.client_cert, de.client_key),
            limit=args.concurrency,
        )
        url = f"https://127.0.0.1:{de.client_port}{workload.request_path}"
        async with aiohttp.ClientSession(connector=context) as session:
            tally, target = Tally(), [(session, url)]
            await closed_loop(target, workload, args.warmup, args.concurrency, tally)
            settle_collector()  # as xgw serve does once its node runs
            profiler = cProfile.Profile() if args.profile else None
            cpu, wall = time.process_time(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            await closed_loop(target, workload, args.requests, args.concurrency, tally)
            if profiler is not None:
                profiler.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    federation.close()
    print(
        f"{args.payload}: {args.requests} exchanges, concurrency {args.concurrency}: "
        f"{cpu * 1e6 / args.requests:.0f} us CPU per exchange (all of DE, EE, backend and "
        f"client), {args.requests / wall:.0f} exchanges/s in one process"
    )
    if profiler is not None:
        profiler.dump_stats(PROFILE)
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats(args.sort).print_stats(args.profile)
    for message, count in tally.errors.most_common(5):
        print(f"error x{count}: {message}", file=sys.stderr)
    return 1 if tally.errors else 0


def _client_ssl(ca: Path, cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    context.load_cert_chain(cert, key)
    return context


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__)
    parser.add_argument("--payload", choices=sorted(WORKLOADS), default="xoev")
    parser.add_argument("--body-bytes", type=int)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--profile", type=int, metavar="N", help="print cProfile's top N")
    parser.add_argument("--sort", default="tottime", help="cProfile sort key (tottime)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="xgw-inprocess-") as state:
        configure_logging(1)
        log = logging.FileHandler(Path(state) / "gateways.log")
        log.setFormatter(logging.getLogger().handlers[0].formatter)
        logging.getLogger().handlers[:] = [log]
        return asyncio.run(_run(args, Path(state)))


if __name__ == "__main__":
    sys.exit(main())
