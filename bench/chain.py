"""The benchmark: xgw's two-gateway chain against a plain aiohttp proxy chain, in one run.

Usage::

    python -m bench.chain --requests 3000 --concurrency 16 [--json]
    python -m bench.chain --requests 3000 --concurrency 16 --payload opaque   # untranslated
    python -m bench.chain --requests 3000 --concurrency 16 --py-spy /tmp/prof   # and profile

Both chains run on 127.0.0.1, every component in its own process:

- **xgw**: client -> DE gateway (client port, TLS, client certificate) -> EE
  gateway (peer port, mutual TLS 1.3, signed hop) -> backend (plain HTTP);
  ``xgw serve --config`` of the workload's federation, built in a temp dir.
- **plain**: client -> proxy A (TLS, client certificate, DE's certificates) ->
  proxy B (mutual TLS 1.3, EE's certificates) -> backend; ``bench.plain_proxy``.

What is sent is ``--payload`` (:mod:`bench.workload`): by default an XGewerbeanzeige
Anmeldung that xgw translates for Estonia's Business Register and back, and the plain
chain passes on untranslated; ``opaque`` is a JSON body of ``--body-bytes`` passed
through. Every answer must be 200 and the expected one (:mod:`bench.xoev`). CPU per
exchange is utime + stime of each process over the measured phase (``/proc/<pid>/stat``),
divided by the number of exchanges.

The chains take turns for ``--rounds`` closed-loop rounds (``--concurrency`` workers over
one keep-alive session; all processes keep running): each chain's peak, and the median of
the per-round xgw/plain ratios, since a shared 2-vCPU machine varies by a third from one
run to the next. Then as many open-loop rounds at ``--latency-at`` times xgw's median peak
(or ``--rate``), the same offered load for both: their latencies, and p99 xgw - p99 plain.

``--py-spy DIR`` samples the two gateways or proxies of each chain during its
first round (py-spy costs CPU itself: that round's figures are lower) and
prints a summary (``bench.profile``); the raw stacks stay in DIR.

Exit status: 0 if both chains answered every request correctly, 1 otherwise,
130 on Ctrl-C. Every process started is stopped and the temp dir removed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import aiohttp

from bench.load import Tally, closed_loop, open_loop
from bench.payload import MIN_BODY_BYTES
from bench.processes import (
    HOST,
    REPO,
    BenchError,
    Proc,
    Processes,
    child_env,
    cpu_seconds,
    reserve_socket,
    rss_mib,
    system_cpu,
    watched,
    xgw_command,
)
from bench.report import ChainResult, ProcessCpu, machine, median_round, print_report, report_json
from bench.workload import WORKLOADS, Workload
from bench.xoev import compact_request
from gateway.demo.federation import Federation, build_federation

__all__ = ["ChainResult", "main"]

READY_TIMEOUT = 60.0


# --- the topology -------------------------------------------------------------------


@dataclass
class Chain:
    """A started chain: where to send, with which TLS context, which processes to watch."""

    name: str
    url: str
    client_ssl: ssl.SSLContext
    roles: list[tuple[str, Proc]]  # (role, process) whose CPU is measured


def _port(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


def _client_context(ca: Path, cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    context.load_cert_chain(cert, key)
    return context


def _start_backend(
    procs: Processes, name: str, sock: socket.socket, serves: str, body_bytes: int | None
) -> Proc:
    size = () if body_bytes is None else ("--body-bytes", str(body_bytes))
    try:
        return procs.start(
            name,
            [
                sys.executable,
                *("-m", "bench.backend", "--fd", str(sock.fileno()), "--serves", serves),
                *size,
            ],
            pass_fds=[sock.fileno()],
            env=child_env(),
            cwd=REPO,
        )
    finally:
        sock.close()


Ready = list[tuple[str, ssl.SSLContext | None]]  # URLs that answer 200 once a chain is up


def _release_ports(federation: Federation, keep: socket.socket | None = None) -> None:
    """``build_federation`` only reserved the ports: close the sockets, the gateways bind them."""
    for member in federation.members.values():
        for sock in (member.peer_sock, member.client_sock, member.relay_sock, member.backend_sock):
            if sock is not None and sock is not keep:
                sock.close()


def start_xgw_chain(
    procs: Processes, federation: Federation, workload: Workload, body_bytes: int | None
) -> tuple[Chain, Ready]:
    """The demo federation's DE and EE gateways and EE's backend (NL is not started)."""
    de, ee = federation.members["DE"], federation.members["EE"]
    backend_sock = ee.backend_sock
    assert backend_sock is not None
    backend_port, de_port, ee_port = _port(backend_sock), de.client_port, ee.client_port
    _release_ports(federation, keep=backend_sock)  # EE's backend inherits its socket
    serves = workload.backend("xgw")
    backend = _start_backend(procs, "xgw-backend", backend_sock, serves, body_bytes)
    xgw, env = xgw_command(), child_env()
    ee_proc = procs.start("xgw-EE", [xgw, "serve", "--config", str(ee.config)], env=env)
    de_proc = procs.start("xgw-DE", [xgw, "serve", "--config", str(de.config)], env=env)
    de_ssl = _client_context(federation.ca_cert, de.client_cert, de.client_key)
    ee_ssl = _client_context(federation.ca_cert, ee.client_cert, ee.client_key)
    chain = Chain(
        "xgw",
        f"https://{HOST}:{de_port}{workload.request_path}",
        de_ssl,
        [("first hop", de_proc), ("second hop", ee_proc), ("backend", backend)],
    )
    # /readyz answers 200 once the gateway serves and holds a valid directory.
    ready: Ready = [
        (f"http://{HOST}:{backend_port}/healthz", None),
        (f"https://{HOST}:{ee_port}/readyz", ee_ssl),
        (f"https://{HOST}:{de_port}/readyz", de_ssl),
    ]
    return chain, ready


def start_plain_chain(
    procs: Processes, federation: Federation, workload: Workload, body_bytes: int | None
) -> tuple[Chain, Ready]:
    """Proxy A (DE's certificates) -> proxy B (EE's) -> backend: the federation's certificates."""
    ca = federation.ca_cert
    de, ee = federation.members["DE"].dir, federation.members["EE"].dir
    backend_sock, b_sock, a_sock = reserve_socket(), reserve_socket(), reserve_socket()
    backend_port, b_port, a_port = _port(backend_sock), _port(b_sock), _port(a_sock)
    serves = workload.backend("plain")
    backend = _start_backend(procs, "plain-backend", backend_sock, serves, body_bytes)
    env, proxy = child_env(), [sys.executable, "-m", "bench.plain_proxy"]
    try:
        proc_b = procs.start(
            "plain-B",
            [
                *proxy,
                *("--fd", str(b_sock.fileno()), "--upstream", f"http://{HOST}:{backend_port}"),
                *("--strip-prefix", workload.service_path, "--tls-min", "1.3"),
                *("--client-ca", str(ca)),
                *("--cert", str(ee / "tls.pem"), "--key", str(ee / "tls.key")),
            ],
            pass_fds=[b_sock.fileno()],
            env=env,
            cwd=REPO,
        )
    finally:
        b_sock.close()
    try:
        proc_a = procs.start(
            "plain-A",
            [
                *proxy,
                *("--fd", str(a_sock.fileno()), "--upstream", f"https://{HOST}:{b_port}"),
                *("--tls-min", "1.2", "--client-ca", str(ca)),
                *("--cert", str(de / "tls.pem"), "--key", str(de / "tls.key")),
                *("--upstream-cert", str(de / "tls.pem"), "--upstream-key", str(de / "tls.key")),
                *("--upstream-ca", str(ca)),
            ],
            pass_fds=[a_sock.fileno()],
            env=env,
            cwd=REPO,
        )
    finally:
        a_sock.close()
    client_ssl = _client_context(ca, de / "client.pem", de / "client.key")
    chain = Chain(
        "plain",
        f"https://{HOST}:{a_port}{workload.request_path}",
        client_ssl,
        [("first hop", proc_a), ("second hop", proc_b), ("backend", backend)],
    )
    # /healthz through A and B reaches the backend: the whole chain answers.
    return chain, [(f"https://{HOST}:{a_port}/healthz", client_ssl)]


async def wait_ready(procs: Processes, ready: Ready) -> None:
    """Poll each URL until it answers 200; a dead process or the deadline stops the wait."""
    deadline = time.monotonic() + READY_TIMEOUT
    for url, context in ready:
        last = "no answer yet"
        connector = aiohttp.TCPConnector(ssl=context if context is not None else False)
        async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=5)
        ) as session:
            while True:
                procs.check_alive()
                try:
                    async with session.get(url) as response:
                        if response.status == 200:
                            break
                        last = f"HTTP {response.status}: {(await response.text())[:300]}"
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    last = f"{type(exc).__name__}: {exc}"
                if time.monotonic() > deadline:
                    raise BenchError(f"{url} not ready after {READY_TIMEOUT:.0f} s: {last}")
                await asyncio.sleep(0.1)


# --- load ---------------------------------------------------------------------------


def _cpu_snapshot(pids: Sequence[int]) -> dict[int, float]:
    return {pid: cpu_seconds(pid) for pid in pids}


async def run_load(
    chain: Chain,
    procs: Processes,
    workload: Workload,
    *,
    requests: int,
    concurrency: int,
    warmup: int,
    timeout: float,
    rate: float | None = None,
    profiler: Profiler | None = None,
) -> ChainResult:
    """A warm-up, then ``requests`` measured: closed loop, or open loop at ``rate`` per second."""
    tally = Tally()
    roles: list[tuple[str, Proc | None]] = [*chain.roles, ("load generator", None)]
    pids = [p.pid if p is not None else os.getpid() for _, p in roles]

    async def measure() -> tuple[float, dict[int, float], dict[int, float], tuple[float, float]]:
        """Seconds of the measured phase, CPU seconds before and after, machine busy, steal."""
        connector = aiohttp.TCPConnector(
            ssl=chain.client_ssl, limit=concurrency, limit_per_host=concurrency
        )
        async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=30)
        ) as session:
            # One exchange first: a chain that does not work fails here, with its reason.
            first, warm, target = Tally(), Tally(), [(session, chain.url)]
            await closed_loop(target, workload, 1, 1, first)
            if first.errors:
                raise BenchError(
                    f"the {chain.name} chain's first exchange failed: {next(iter(first.errors))}"
                )
            await closed_loop(target, workload, warmup, concurrency, warm)
            tally.errors.update({f"(warm-up) {message}": n for message, n in warm.errors.items()})
            if profiler is not None:
                await profiler.start()
            machine_before = system_cpu()
            before, started = _cpu_snapshot(pids), time.perf_counter()
            if rate is None:
                await closed_loop(target, workload, requests, concurrency, tally)
            else:
                await open_loop(session, chain.url, workload, requests, rate, tally)
            seconds = time.perf_counter() - started
            after = _cpu_snapshot(pids)
            machine = system_cpu().since(machine_before)
            if profiler is not None:
                profiler.stop()
            return seconds, before, after, machine

    try:
        async with asyncio.timeout(timeout):
            seconds, before, after, (busy, steal) = await watched(procs, measure())
    except TimeoutError:
        raise BenchError(
            f"the {chain.name} chain did not finish {warmup} warm-up and {requests} "
            f"measured requests within {timeout:.0f} s ({len(tally.latencies_ms)} measured done); "
            "raise --timeout or lower --requests"
        ) from None
    cpu = []
    for (role, proc), pid in zip(roles, pids, strict=True):
        used = after[pid] - before[pid]
        cpu.append(
            ProcessCpu(
                role,
                proc.name if proc is not None else "bench.chain",
                pid,
                used,
                used * 1e6 / requests,
                used / seconds if seconds > 0 else 0.0,
                rss_mib(pid),
            )
        )
    return ChainResult(
        chain.name,
        requests,
        concurrency,
        warmup,
        seconds,
        tally.latencies_ms,
        tally.errors,
        cpu,
        busy,
        steal,
        offered_rate=rate,
    )


# --- profiling ----------------------------------------------------------------------


class Profiler:
    """py-spy record of some processes during a measured phase (raw collapsed stacks)."""

    def __init__(self, procs: Processes, out_dir: Path, targets: Sequence[Proc]) -> None:
        beside = Path(sys.executable).parent / "py-spy"
        command = str(beside) if beside.exists() else shutil.which("py-spy")
        if command is None:
            raise BenchError("--py-spy needs py-spy (pip install py-spy)")
        self.command = command
        self.procs = procs
        self.out_dir = out_dir
        self.targets = list(targets)
        self.running: list[Proc] = []
        self.outputs: list[Path] = []

    async def start(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for target in self.targets:
            out = self.out_dir / f"{target.name}.txt"
            self.outputs.append(out)
            self.running.append(
                self.procs.start(
                    f"py-spy-{target.name}",
                    [
                        self.command,
                        *("record", "--pid", str(target.pid), "--rate", "100", "--nonblocking"),
                        *("--format", "raw", "--output", str(out)),
                    ],
                )
            )
        await asyncio.sleep(1.0)  # let py-spy attach before the measured phase starts

    def stop(self) -> None:
        for proc in self.running:
            with contextlib.suppress(ProcessLookupError):
                proc.popen.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for proc in self.running:
            try:
                code = proc.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                raise BenchError(f"{proc.name} did not stop:\n{proc.tail()}") from None
            if code != 0:
                raise BenchError(f"{proc.name} failed with code {code}:\n{proc.tail()}")
            self.procs.release(proc)
        self.running.clear()


# --- main ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.chain",
        description="xgw's gateway chain against a plain aiohttp proxy chain (docs/performance.md)",
    )
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per chain")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent workers")
    parser.add_argument(
        "--payload",
        choices=sorted(WORKLOADS),
        default="xoev",
        help="xoev: an XGewerbeanzeige translated for Estonia's register (default); "
        "opaque: JSON passed through",
    )
    parser.add_argument(
        "--body-bytes",
        type=int,
        help="request size (opaque: each way, default 3072; xoev: padded, default unpadded)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="run the chains in turn this often (default 3)"
    )
    parser.add_argument(
        "--warmup", type=int, help="warm-up requests per chain, not counted (default 4 x C, >= 200)"
    )
    parser.add_argument(
        "--latency-at",
        type=float,
        default=0.5,
        metavar="FRACTION",
        help="then, rounds of open loop at this fraction of xgw's median peak (default 0.5; "
        "0: none)",
    )
    parser.add_argument(
        "--rate", type=float, help="open loop at this many requests/s instead (no closed loop)"
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds one chain's round may take"
    )
    parser.add_argument(
        "--chains", default="xgw,plain", help="which chains, in order (default xgw,plain)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--state-dir", type=Path, help="parent of the temp dir (default: the system's)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, configs)")
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        help="record each chain's two hops with py-spy during its first round, into DIR",
    )
    return parser


@dataclass
class Outcome:
    closed: list[ChainResult] = field(default_factory=list)
    open_loop: list[ChainResult] = field(default_factory=list)


async def _rounds(
    args: argparse.Namespace,
    procs: Processes,
    chains: list[Chain],
    workload: Workload,
    rate: float | None,
    out: list[ChainResult],
) -> None:
    """``--rounds`` rounds, the chains in turn: closed loop, or open loop at ``rate``."""
    loop = "closed loop" if rate is None else f"open loop at {rate:.0f}/s"
    for number in range(1, args.rounds + 1):
        for chain in chains:
            profiler = None
            if args.py_spy is not None and number == 1 and not out:
                targets = [p for role, p in chain.roles if role != "backend"]
                profiler = Profiler(procs, args.py_spy, targets)
            if not args.json:
                print(f"round {number}, {loop}: the {chain.name} chain ...", file=sys.stderr)
            result = await run_load(
                chain,
                procs,
                workload,
                requests=args.requests,
                concurrency=args.concurrency,
                warmup=args.warmup,
                timeout=args.timeout,
                rate=rate,
                profiler=profiler,
            )
            result.round = number
            out.append(result)
            if profiler is not None and not args.json:
                from bench.profile import summarize

                for output in profiler.outputs:
                    print(summarize(output, top=15), file=sys.stderr)


async def _run(args: argparse.Namespace, state: Path, procs: Processes, outcome: Outcome) -> None:
    wanted = [c.strip() for c in args.chains.split(",") if c.strip()]
    workload: Workload = WORKLOADS[args.payload](args.body_bytes)
    # Both chains use the federation's CA and certificates.
    federation = build_federation(
        state / "federation",
        load_balancer=False,
        members=workload.members,
        access=workload.access,
    )
    chains: list[Chain] = []
    ready: Ready = []
    for name in wanted:
        if name == "xgw":
            chain, urls = start_xgw_chain(procs, federation, workload, args.body_bytes)
        else:
            chain, urls = start_plain_chain(procs, federation, workload, args.body_bytes)
        chains.append(chain)
        ready += urls
    _release_ports(federation)  # all of them, if the xgw chain was not wanted
    await wait_ready(procs, ready)
    rate = args.rate
    if rate is None:
        await _rounds(args, procs, chains, workload, None, outcome.closed)
        peak = median_round(outcome.closed, "xgw" if "xgw" in wanted else wanted[0])
        if args.latency_at > 0 and peak is not None:
            rate = args.latency_at * peak.throughput
    if rate is not None and rate > 0:
        await _rounds(args, procs, chains, workload, rate, outcome.open_loop)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.rounds < 1:
        _parser().error("--requests, --concurrency and --rounds must be at least 1")
    if args.rate is not None and args.rate <= 0:
        _parser().error("--rate must be positive")
    if args.payload == "opaque" and args.body_bytes is not None:
        if args.body_bytes < MIN_BODY_BYTES:
            _parser().error(f"--body-bytes must be at least {MIN_BODY_BYTES}")
    if args.payload == "xoev" and args.body_bytes is not None:
        if args.body_bytes < len(compact_request()):
            _parser().error(f"--body-bytes must be at least {len(compact_request())} for xoev")
    unknown = {c.strip() for c in args.chains.split(",")} - {"xgw", "plain"}
    if unknown:
        _parser().error(f"unknown chain(s) {sorted(unknown)}; use xgw and/or plain")
    if args.warmup is None:
        args.warmup = max(200, 4 * args.concurrency)
    body_bytes = len(WORKLOADS[args.payload](args.body_bytes).body)
    # Ctrl-C and SIGTERM both stop the run and every process it started (even when the shell
    # that started us in the background made us ignore SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_sigterm)
    if args.state_dir is not None:
        args.state_dir.mkdir(parents=True, exist_ok=True)
    state = Path(tempfile.mkdtemp(prefix="xgw-bench-", dir=args.state_dir))
    outcome = Outcome()
    try:
        with Processes(state / "logs") as procs:
            asyncio.run(_run(args, state, procs, outcome))
    except KeyboardInterrupt:
        print("bench: interrupted; stopped every process it started", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"bench: kept {state}", file=sys.stderr)
        else:
            shutil.rmtree(state, ignore_errors=True)
    info = machine()
    if args.json:
        document = report_json(info, args, body_bytes, outcome.closed, outcome.open_loop)
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print_report(info, args, body_bytes, outcome.closed, outcome.open_loop)
    return 0 if all(r.ok for r in [*outcome.closed, *outcome.open_loop]) else 1


if __name__ == "__main__":
    sys.exit(main())
