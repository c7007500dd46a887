"""The benchmark: xgw's two-gateway chain against a plain aiohttp proxy chain, in one run.

Usage::

    python -m bench.chain --requests 3000 --concurrency 16 [--body-bytes 3072] [--json]
    python -m bench.chain --requests 3000 --concurrency 16 --py-spy /tmp/prof   # profile xgw

Both chains run on 127.0.0.1, every component in its own process:

- **xgw**: client -> DE gateway (client port, TLS, client certificate) -> EE
  gateway (peer port, mutual TLS 1.3, signed hop) -> backend (plain HTTP);
  ``xgw serve --config`` of a demo federation built in a temp dir.
- **plain**: client -> proxy A (TLS, client certificate, DE's certificates) ->
  proxy B (mutual TLS 1.3, EE's certificates) -> backend; ``bench.plain_proxy``.

The load generator (this process) sends ``POST .../ettevotted/otsing`` with a
JSON body of ``--body-bytes`` and ``X-Road-Client``, from ``--concurrency``
workers over one keep-alive session, first a warm-up, then ``--requests``
measured exchanges. Every answer must be 200 and byte for byte the backend's.
CPU per exchange is utime + stime of each process over the measured phase
(``/proc/<pid>/stat``), divided by the number of exchanges.

Exit status: 0 if both chains answered every request correctly, 1 otherwise,
130 on Ctrl-C. Every process started is stopped and the temp dir removed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import math
import os
import platform
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import aiohttp

from bench.payload import MIN_BODY_BYTES, request_body, response_body
from bench.processes import BenchError, Proc, Processes, cpu_seconds

__all__ = ["ChainResult", "main"]

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
SERVICE_PATH = "/r1/EE/GOV/70000310/ariregister/ettevotted"
REQUEST_PATH = SERVICE_PATH + "/ettevotted/otsing"
READY_TIMEOUT = 60.0


# --- results ------------------------------------------------------------------------


@dataclass
class ProcessCpu:
    role: str  # first hop, second hop, backend, load generator
    name: str
    pid: int
    cpu_seconds: float
    us_per_exchange: float
    utilisation: float  # share of one core over the measured phase


@dataclass
class ChainResult:
    chain: str
    requests: int
    concurrency: int
    warmup: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    errors: Counter[str]
    cpu: list[ProcessCpu]

    @property
    def ok(self) -> bool:
        return not self.errors and len(self.latencies_ms) == self.requests

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the latencies, in ms."""
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    def as_json(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "ok": self.ok,
            "requests": self.requests,
            "concurrency": self.concurrency,
            "warmup": self.warmup,
            "seconds": round(self.seconds, 3),
            "exchanges_per_s": round(self.throughput, 1),
            "latency_ms": {
                "p50": round(self.percentile(0.50), 2),
                "p90": round(self.percentile(0.90), 2),
                "p99": round(self.percentile(0.99), 2),
                "max": round(max(self.latencies_ms, default=math.nan), 2),
            },
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors.most_common(10)),
            "cpu": [
                {
                    "role": c.role,
                    "process": c.name,
                    "cpu_seconds": round(c.cpu_seconds, 3),
                    "cpu_us_per_exchange": round(c.us_per_exchange, 1),
                    "cpu_utilisation": round(c.utilisation, 3),
                }
                for c in self.cpu
            ],
            "cpu_us_per_exchange_total": round(sum(c.us_per_exchange for c in self.cpu), 1),
        }


# --- the topology -------------------------------------------------------------------


@dataclass
class Chain:
    """A started chain: where to send, with which TLS context, which processes to watch."""

    name: str
    url: str
    client_ssl: ssl.SSLContext
    roles: list[tuple[str, Proc]]  # (role, process) whose CPU is measured


def _bind() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(512)
    return sock


def _port(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


def _child_env() -> dict[str, str]:
    """Our environment, less XGW_* overrides (the generated configs must hold), bench importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XGW_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _xgw_command() -> str:
    beside = Path(sys.executable).parent / "xgw"
    if beside.exists():
        return str(beside)
    found = shutil.which("xgw")
    if found is None:
        raise BenchError("the xgw command is not installed (pip install -e . in the repo)")
    return found


def _client_context(ca: Path, cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    context.load_cert_chain(cert, key)
    return context


def _start_backend(procs: Processes, name: str, sock: socket.socket, body_bytes: int) -> Proc:
    try:
        return procs.start(
            name,
            [
                sys.executable,
                *("-m", "bench.backend", "--fd", str(sock.fileno())),
                *("--body-bytes", str(body_bytes)),
            ],
            pass_fds=[sock.fileno()],
            env=_child_env(),
            cwd=REPO,
        )
    finally:
        sock.close()


def start_xgw_chain(procs: Processes, state: Path, body_bytes: int) -> tuple[Chain, list[str]]:
    """The demo federation's DE and EE gateways and EE's backend; returns the readiness URLs."""
    from gateway.demo.federation import build_federation

    federation = build_federation(state, load_balancer=False)
    de, ee = federation.members["DE"], federation.members["EE"]
    backend_sock = ee.backend_sock
    assert backend_sock is not None
    backend_port, de_port, ee_port = _port(backend_sock), de.client_port, ee.client_port
    for member in federation.members.values():
        # Only reserved the ports: the gateways bind them themselves.
        for sock in (member.peer_sock, member.client_sock, member.relay_sock):
            if sock is not None:
                sock.close()
        if member.backend_sock is not None and member is not ee:
            member.backend_sock.close()
    backend = _start_backend(procs, "xgw-backend", backend_sock, body_bytes)
    xgw, env = _xgw_command(), _child_env()
    ee_proc = procs.start("xgw-EE", [xgw, "serve", "--config", str(ee.config)], env=env)
    de_proc = procs.start("xgw-DE", [xgw, "serve", "--config", str(de.config)], env=env)
    de_ssl = _client_context(federation.ca_cert, de.client_cert, de.client_key)
    chain = Chain(
        "xgw",
        f"https://{HOST}:{de_port}{REQUEST_PATH}",
        de_ssl,
        [
            ("first hop", de_proc),
            ("second hop", ee_proc),
            ("backend", backend),
        ],
    )
    ready = [
        f"http://{HOST}:{backend_port}/healthz",
        f"https://{HOST}:{ee_port}/readyz",
        f"https://{HOST}:{de_port}/readyz",
    ]
    return chain, ready


def start_plain_chain(procs: Processes, state: Path, body_bytes: int) -> tuple[Chain, list[str]]:
    """Proxy A (DE's certificates) -> proxy B (EE's) -> backend, the same certificates."""
    ca, de, ee = state / "ca.pem", state / "de", state / "ee"
    backend_sock, b_sock, a_sock = _bind(), _bind(), _bind()
    backend_port, b_port, a_port = _port(backend_sock), _port(b_sock), _port(a_sock)
    backend = _start_backend(procs, "plain-backend", backend_sock, body_bytes)
    env, proxy = _child_env(), [sys.executable, "-m", "bench.plain_proxy"]
    try:
        proc_b = procs.start(
            "plain-B",
            [
                *proxy,
                *("--fd", str(b_sock.fileno()), "--upstream", f"http://{HOST}:{backend_port}"),
                *("--strip-prefix", SERVICE_PATH, "--tls-min", "1.3", "--client-ca", str(ca)),
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
    chain = Chain(
        "plain",
        f"https://{HOST}:{a_port}{REQUEST_PATH}",
        _client_context(ca, de / "client.pem", de / "client.key"),
        [("first hop", proc_a), ("second hop", proc_b), ("backend", backend)],
    )
    # /healthz through A and B reaches the backend: the whole chain answers.
    return chain, [f"https://{HOST}:{a_port}/healthz"]


async def wait_ready(
    procs: Processes, urls: Sequence[str], contexts: dict[str, ssl.SSLContext]
) -> None:
    """Poll each URL until it answers 200; a dead process or the deadline stops the wait."""
    deadline = time.monotonic() + READY_TIMEOUT
    for url in urls:
        context = contexts.get(url)
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


def _headers() -> dict[str, str]:
    return {
        "X-Road-Client": "DE/GOV/05974028/gewerbeamt",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


async def _phase(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    expected: bytes,
    count: int,
    concurrency: int,
    latencies: list[float],
    errors: Counter[str],
) -> None:
    headers = _headers()
    issued = 0

    async def worker() -> None:
        nonlocal issued
        while issued < count:
            issued += 1
            started = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    answer = await response.read()
                    status = response.status
                    xroad_error = response.headers.get("X-Road-Error")
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                errors[f"{type(exc).__name__}: {exc}"[:300]] += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000.0)
            if status != 200:
                detail = f" {xroad_error}" if xroad_error else ""
                errors[f"HTTP {status}{detail}: {answer[:200]!r}"] += 1
            elif answer != expected:
                errors[f"200 but not the backend's body ({len(answer)} bytes)"] += 1

    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))


def _cpu_snapshot(pids: Sequence[int]) -> dict[int, float]:
    return {pid: cpu_seconds(pid) for pid in pids}


async def run_load(
    chain: Chain,
    procs: Processes,
    *,
    requests: int,
    concurrency: int,
    warmup: int,
    body_bytes: int,
    timeout: float,
    profiler: Profiler | None = None,
) -> ChainResult:
    body, expected = request_body(body_bytes), response_body(body_bytes)
    connector = aiohttp.TCPConnector(
        ssl=chain.client_ssl, limit=concurrency, limit_per_host=concurrency
    )
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    roles = [*chain.roles]
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        try:
            async with asyncio.timeout(timeout):
                # One exchange first: a chain that does not work fails here, with its reason.
                await _phase(session, chain.url, body, expected, 1, 1, [], errors)
                if errors:
                    procs.check_alive()
                    raise BenchError(
                        f"the {chain.name} chain's first exchange failed: {next(iter(errors))}"
                    )
                await _phase(session, chain.url, body, expected, warmup, concurrency, [], errors)
                pids = [p.pid for _, p in roles] + [os.getpid()]
                if profiler is not None:
                    profiler.start()
                before, started = _cpu_snapshot(pids), time.perf_counter()
                await _phase(
                    session, chain.url, body, expected, requests, concurrency, latencies, errors
                )
                seconds = time.perf_counter() - started
                after = _cpu_snapshot(pids)
                if profiler is not None:
                    profiler.stop()
        except TimeoutError:
            raise BenchError(
                f"the {chain.name} chain did not finish {warmup} warm-up and {requests} "
                f"measured requests within {timeout:.0f} s ({len(latencies)} measured done); "
                "raise --timeout or lower --requests"
            ) from None
    procs.check_alive()
    cpu = []
    for (role, proc), pid in zip([*roles, ("load generator", None)], pids, strict=True):
        used = after[pid] - before[pid]
        cpu.append(
            ProcessCpu(
                role,
                proc.name if proc is not None else "bench.chain",
                pid,
                used,
                used * 1e6 / requests,
                used / seconds if seconds > 0 else 0.0,
            )
        )
    return ChainResult(chain.name, requests, concurrency, warmup, seconds, latencies, errors, cpu)


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

    def start(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for target in self.targets:
            out = self.out_dir / f"{target.name}.txt"
            self.outputs.append(out)
            self.running.append(
                self.procs.start(
                    f"py-spy-{target.name}",
                    [
                        self.command,
                        *("record", "--pid", str(target.pid), "--rate", "200", "--nonblocking"),
                        *("--format", "raw", "--output", str(out)),
                    ],
                )
            )
        time.sleep(1.0)  # let py-spy attach before the measured phase starts

    def stop(self) -> None:
        for proc in self.running:
            with contextlib.suppress(ProcessLookupError):
                proc.popen.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for proc in self.running:
            try:
                proc.popen.wait(timeout=30)
            except Exception:
                proc.popen.kill()
                raise


# --- reporting ----------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "openssl": ssl.OPENSSL_VERSION,
        "kernel": platform.release(),
    }


def print_report(
    info: dict[str, Any], args: argparse.Namespace, results: list[ChainResult]
) -> None:
    print(
        f"xgw benchmark, {info['date']}: {info['nproc']} CPUs ({info['cpu_model']}), "
        f"Python {info['python']}, aiohttp {info['aiohttp']}, {info['openssl']}"
    )
    print(
        f"{args.requests} requests measured (+{args.warmup} warm-up), concurrency "
        f"{args.concurrency}, {args.body_bytes}-byte JSON body each way\n"
    )
    names = [r.chain for r in results]
    rows: list[tuple[str, ...]] = [("", *names)]
    rows.append(("exchanges/s", *(f"{r.throughput:.0f}" for r in results)))
    rows.append(("latency p50 ms", *(f"{r.percentile(0.5):.1f}" for r in results)))
    rows.append(("latency p99 ms", *(f"{r.percentile(0.99):.1f}" for r in results)))
    rows.append(("errors", *(str(sum(r.errors.values())) for r in results)))
    rows.append(("CPU us/exchange (share of a core):", *("" for _ in results)))
    for index, (role, _) in enumerate([*[(c.role, c) for c in results[0].cpu]]):
        rows.append(
            (
                f"  {role}",
                *(
                    f"{r.cpu[index].name} {r.cpu[index].us_per_exchange:.0f} "
                    f"({100 * r.cpu[index].utilisation:.0f}%)"
                    for r in results
                ),
            )
        )
    rows.append(
        ("  all processes", *(f"{sum(c.us_per_exchange for c in r.cpu):.0f}" for r in results))
    )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    by_name = {r.chain: r for r in results}
    if "xgw" in by_name and "plain" in by_name and by_name["plain"].throughput > 0:
        ratio = by_name["xgw"].throughput / by_name["plain"].throughput
        print(f"\nthroughput xgw/plain: {ratio:.2f}x")
    for result in results:
        if result.errors:
            print(f"\n{result.chain}: {sum(result.errors.values())} errors; the kinds:")
            for message, count in result.errors.most_common(10):
                print(f"  {count:6d}  {message}")
    failed = [r.chain for r in results if not r.ok]
    print("\nFAILED: " + ", ".join(failed) if failed else "\nall exchanges answered correctly")


# --- main ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.chain",
        description="xgw's gateway chain against a plain aiohttp proxy chain (docs/performance.md)",
    )
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per chain")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent workers")
    parser.add_argument("--body-bytes", type=int, default=3072, help="request and response size")
    parser.add_argument(
        "--warmup", type=int, help="warm-up requests per chain, not counted (default 4 x C, >= 200)"
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds one chain's run may take"
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
        help="record the xgw gateways with py-spy during their measured phase into DIR",
    )
    return parser


async def _run(args: argparse.Namespace, state: Path, procs: Processes) -> list[ChainResult]:
    chains: list[Chain] = []
    ready: list[str] = []
    contexts: dict[str, ssl.SSLContext] = {}
    wanted = [c.strip() for c in args.chains.split(",") if c.strip()]
    # The plain chain uses the federation's certificates: build it in any case.
    xgw_chain, xgw_ready = start_xgw_chain(procs, state / "federation", args.body_bytes)
    if "xgw" in wanted:
        chains.append(xgw_chain)
        ready += xgw_ready
        ee_dir = state / "federation" / "ee"
        ee_ssl = _client_context(
            state / "federation" / "ca.pem", ee_dir / "client.pem", ee_dir / "client.key"
        )
        contexts[xgw_ready[1]] = ee_ssl
        contexts[xgw_ready[2]] = xgw_chain.client_ssl
    if "plain" in wanted:
        plain_chain, plain_ready = start_plain_chain(procs, state / "federation", args.body_bytes)
        chains.append(plain_chain)
        ready += plain_ready
        contexts[plain_ready[0]] = plain_chain.client_ssl
    chains.sort(key=lambda c: wanted.index(c.name))
    await wait_ready(procs, ready, contexts)
    results = []
    for chain in chains:
        profiler = None
        if args.py_spy is not None and chain.name == "xgw":
            targets = [p for role, p in chain.roles if role != "backend"]
            profiler = Profiler(procs, args.py_spy, targets)
        if not args.json:
            print(f"running the {chain.name} chain ...", file=sys.stderr)
        results.append(
            await run_load(
                chain,
                procs,
                requests=args.requests,
                concurrency=args.concurrency,
                warmup=args.warmup,
                body_bytes=args.body_bytes,
                timeout=args.timeout,
                profiler=profiler,
            )
        )
        if profiler is not None and not args.json:
            from bench.profile import summarize

            for output in profiler.outputs:
                print(summarize(output, top=15), file=sys.stderr)
    return results


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.requests < 1 or args.concurrency < 1:
        _parser().error("--requests and --concurrency must be at least 1")
    if args.body_bytes < MIN_BODY_BYTES:
        _parser().error(f"--body-bytes must be at least {MIN_BODY_BYTES}")
    unknown = {c.strip() for c in args.chains.split(",")} - {"xgw", "plain"}
    if unknown:
        _parser().error(f"unknown chain(s) {sorted(unknown)}; use xgw and/or plain")
    if args.warmup is None:
        args.warmup = max(200, 4 * args.concurrency)
    # Ctrl-C and SIGTERM both stop the run and every process it started (even when the shell
    # that started us in the background made us ignore SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_sigterm)
    if args.state_dir is not None:
        args.state_dir.mkdir(parents=True, exist_ok=True)
    state = Path(tempfile.mkdtemp(prefix="xgw-bench-", dir=args.state_dir))
    results: list[ChainResult] = []
    try:
        with Processes(state / "logs") as procs:
            results = asyncio.run(_run(args, state, procs))
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
        by_name = {r.chain: r for r in results}
        ratio = None
        if "xgw" in by_name and "plain" in by_name and by_name["plain"].throughput > 0:
            ratio = round(by_name["xgw"].throughput / by_name["plain"].throughput, 3)
        document = {
            "machine": info,
            "params": {
                "requests": args.requests,
                "concurrency": args.concurrency,
                "warmup": args.warmup,
                "body_bytes": args.body_bytes,
            },
            "chains": [r.as_json() for r in results],
            "throughput_ratio_xgw_plain": ratio,
            "ok": all(r.ok for r in results),
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print_report(info, args, results)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
