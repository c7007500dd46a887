"""The benchmark: xgw's two-gateway chain against a plain aiohttp proxy chain, in one run.

Usage::

    python -m bench.chain --requests 3000 --concurrency 16 [--body-bytes 3072] [--json]
    python -m bench.chain --requests 3000 --concurrency 16 --py-spy /tmp/prof   # and profile

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
(``/proc/<pid>/stat``), divided by the number of exchanges. The chains take
turns for ``--rounds`` rounds (all processes keep running); the report shows
each chain's median round and the median of the per-round xgw/plain ratios,
since a shared 2-vCPU machine varies by a third from one run to the next.

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
import datetime
import json
import math
import os
import platform
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import aiohttp

from bench.payload import MIN_BODY_BYTES, request_body, response_body
from bench.processes import BenchError, Proc, Processes, cpu_seconds, rss_mib, system_cpu
from gateway.demo.federation import DemoMember, Federation, build_federation

__all__ = ["ChainResult", "main"]

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
SERVICE = "EE/GOV/70000310/ariregister/ettevotted"
SERVICE_PATH = f"/r1/{SERVICE}"
REQUEST_PATH = SERVICE_PATH + "/ettevotted/otsing"
READY_TIMEOUT = 60.0
_T = TypeVar("_T")


# --- results ------------------------------------------------------------------------


@dataclass
class ProcessCpu:
    role: str  # first hop, second hop, backend, load generator
    name: str
    pid: int
    cpu_seconds: float
    us_per_exchange: float
    utilisation: float  # share of one core over the measured phase
    rss_mib: float  # resident memory at the end of the measured phase


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
    machine_busy: float  # share of all CPUs' time busy during the measured phase
    machine_steal: float  # share taken by the hypervisor
    round: int = 1

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

    def outside_cores(self) -> float:
        """CPU busy on the machine but not in these processes (kernel, anything else running)."""
        cpus = len(os.sched_getaffinity(0))
        return max(0.0, self.machine_busy * cpus - sum(c.utilisation for c in self.cpu))

    def hop_cpu_us(self) -> float:
        """CPU per exchange of the two proxies or gateways together."""
        return sum(c.us_per_exchange for c in self.cpu if c.role in ("first hop", "second hop"))

    def as_json(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "round": self.round,
            "ok": self.ok,
            "requests": self.requests,
            "concurrency": self.concurrency,
            "warmup": self.warmup,
            "seconds": round(self.seconds, 3),
            "exchanges_per_s": round(self.throughput, 1),
            "latency_ms": {
                "p50": _number(self.percentile(0.50)),
                "p90": _number(self.percentile(0.90)),
                "p99": _number(self.percentile(0.99)),
                "max": _number(max(self.latencies_ms, default=math.nan)),
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
                    "rss_mib": round(c.rss_mib, 1),
                }
                for c in self.cpu
            ],
            "cpu_us_per_exchange_hops": round(self.hop_cpu_us(), 1),
            "cpu_us_per_exchange_total": round(sum(c.us_per_exchange for c in self.cpu), 1),
            "machine_cpu_busy": round(self.machine_busy, 3),
            "machine_cpu_steal": round(self.machine_steal, 3),
            "cpu_cores_outside_bench": round(self.outside_cores(), 2),
        }


def _number(value: float) -> float | None:
    """Rounded for JSON; NaN (no latency measured) as null."""
    return None if math.isnan(value) else round(value, 2)


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


Ready = list[tuple[str, ssl.SSLContext | None]]  # URLs that answer 200 once a chain is up


def _chain_members() -> list[DemoMember]:
    """DE's client system calls EE's opaque search service: the chain without translation."""
    client = DemoMember(
        "DE", "DE/GOV/05974028", "Stadt Musterstadt", "DE/GOV/05974028/gewerbeamt",
        [("gewerbeamt", "Gewerbeamt")], [],
    )  # fmt: skip
    service = {
        "subsystem": "ariregister",
        "code": "ettevotted",
        "type": "REST",
        "format": "opaque",
        "endpoints": [{"method": "POST", "path": "/ettevotted/otsing"}],
    }
    provider = DemoMember(
        "EE", "EE/GOV/70000310", "RIK", "EE/GOV/70000310/klient",
        [("ariregister", "Äriregister"), ("klient", "RIK klient")], [service],
    )  # fmt: skip
    return [client, provider]


_ACCESS = [{"client": "DE/GOV/05974028/gewerbeamt", "service": SERVICE}]


def _release_ports(federation: Federation, keep: socket.socket | None = None) -> None:
    """``build_federation`` only reserved the ports: close the sockets, the gateways bind them."""
    for member in federation.members.values():
        for sock in (member.peer_sock, member.client_sock, member.relay_sock, member.backend_sock):
            if sock is not None and sock is not keep:
                sock.close()


def start_xgw_chain(
    procs: Processes, federation: Federation, body_bytes: int
) -> tuple[Chain, Ready]:
    """The demo federation's DE and EE gateways and EE's backend (NL is not started)."""
    de, ee = federation.members["DE"], federation.members["EE"]
    backend_sock = ee.backend_sock
    assert backend_sock is not None
    backend_port, de_port, ee_port = _port(backend_sock), de.client_port, ee.client_port
    _release_ports(federation, keep=backend_sock)  # EE's backend inherits its socket
    backend = _start_backend(procs, "xgw-backend", backend_sock, body_bytes)
    xgw, env = _xgw_command(), _child_env()
    ee_proc = procs.start("xgw-EE", [xgw, "serve", "--config", str(ee.config)], env=env)
    de_proc = procs.start("xgw-DE", [xgw, "serve", "--config", str(de.config)], env=env)
    de_ssl = _client_context(federation.ca_cert, de.client_cert, de.client_key)
    ee_ssl = _client_context(federation.ca_cert, ee.client_cert, ee.client_key)
    chain = Chain(
        "xgw",
        f"https://{HOST}:{de_port}{REQUEST_PATH}",
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
    procs: Processes, federation: Federation, body_bytes: int
) -> tuple[Chain, Ready]:
    """Proxy A (DE's certificates) -> proxy B (EE's) -> backend: the federation's certificates."""
    ca = federation.ca_cert
    de, ee = federation.members["DE"].dir, federation.members["EE"].dir
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
    client_ssl = _client_context(ca, de / "client.pem", de / "client.key")
    chain = Chain(
        "plain",
        f"https://{HOST}:{a_port}{REQUEST_PATH}",
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


async def _watch(procs: Processes) -> None:
    """Raise BenchError as soon as a process has died (a phase would only count errors)."""
    while True:
        procs.check_alive()
        await asyncio.sleep(0.25)


async def _watched(procs: Processes, work: Coroutine[Any, Any, _T]) -> _T:
    task, watchdog = asyncio.ensure_future(work), asyncio.ensure_future(_watch(procs))
    try:
        await asyncio.wait({task, watchdog}, return_when=asyncio.FIRST_COMPLETED)
        if watchdog.done():
            watchdog.result()  # raises the BenchError
        return await task
    finally:
        for pending in (task, watchdog):
            if not pending.done():
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pending


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
    latencies: list[float] = []
    errors: Counter[str] = Counter()
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
            first: Counter[str] = Counter()
            await _phase(session, chain.url, body, expected, 1, 1, [], first)
            if first:
                raise BenchError(
                    f"the {chain.name} chain's first exchange failed: {next(iter(first))}"
                )
            warm: Counter[str] = Counter()
            await _phase(session, chain.url, body, expected, warmup, concurrency, [], warm)
            errors.update({f"(warm-up) {message}": n for message, n in warm.items()})
            if profiler is not None:
                await profiler.start()
            machine_before = system_cpu()
            before, started = _cpu_snapshot(pids), time.perf_counter()
            await _phase(
                session, chain.url, body, expected, requests, concurrency, latencies, errors
            )
            seconds = time.perf_counter() - started
            after = _cpu_snapshot(pids)
            machine = system_cpu().since(machine_before)
            if profiler is not None:
                profiler.stop()
            return seconds, before, after, machine

    try:
        async with asyncio.timeout(timeout):
            seconds, before, after, (busy, steal) = await _watched(procs, measure())
    except TimeoutError:
        raise BenchError(
            f"the {chain.name} chain did not finish {warmup} warm-up and {requests} "
            f"measured requests within {timeout:.0f} s ({len(latencies)} measured done); "
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
        chain.name, requests, concurrency, warmup, seconds, latencies, errors, cpu, busy, steal
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


def median_round(results: Sequence[ChainResult], chain: str) -> ChainResult | None:
    """The round of ``chain`` with the median throughput (the lower one of two middles)."""
    runs = sorted((r for r in results if r.chain == chain), key=lambda r: r.throughput)
    return runs[(len(runs) - 1) // 2] if runs else None


def ratios(results: Sequence[ChainResult]) -> list[float]:
    """xgw/plain throughput per round in which both ran."""
    out = []
    for number in sorted({r.round for r in results}):
        by_name = {r.chain: r for r in results if r.round == number}
        if "xgw" in by_name and "plain" in by_name and by_name["plain"].throughput > 0:
            out.append(by_name["xgw"].throughput / by_name["plain"].throughput)
    return out


def _median(values: Sequence[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def report_json(
    info: dict[str, Any], args: argparse.Namespace, results: list[ChainResult]
) -> dict[str, Any]:
    names = list(dict.fromkeys(r.chain for r in results))
    per_round = ratios(results)
    median = _median(per_round)
    return {
        "machine": info,
        "params": {
            "requests": args.requests,
            "concurrency": args.concurrency,
            "warmup": args.warmup,
            "body_bytes": args.body_bytes,
            "rounds": args.rounds,
        },
        "median": {
            name: found.as_json()
            for name in names
            if (found := median_round(results, name)) is not None
        },
        "rounds": [r.as_json() for r in results],
        "throughput_ratio_xgw_plain": {
            "median": round(median, 3) if median is not None else None,
            "per_round": [round(r, 3) for r in per_round],
        },
        "ok": all(r.ok for r in results),
    }


def print_report(
    info: dict[str, Any], args: argparse.Namespace, results: list[ChainResult]
) -> None:
    print(
        f"xgw benchmark, {info['date']}: {info['nproc']} CPUs ({info['cpu_model']}), "
        f"Python {info['python']}, aiohttp {info['aiohttp']}, {info['openssl']}"
    )
    print(
        f"{args.requests} requests measured per round (+{args.warmup} warm-up), concurrency "
        f"{args.concurrency}, {args.body_bytes}-byte JSON body each way, {args.rounds} round(s); "
        "the median round of each chain:\n"
    )
    medians = [
        found
        for name in dict.fromkeys(r.chain for r in results)
        if (found := median_round(results, name)) is not None
    ]
    rows: list[tuple[str, ...]] = [("", *(r.chain for r in medians))]
    rows.append(("exchanges/s", *(f"{r.throughput:.0f}" for r in medians)))
    rows.append(("latency p50 ms", *(f"{r.percentile(0.5):.1f}" for r in medians)))
    rows.append(("latency p99 ms", *(f"{r.percentile(0.99):.1f}" for r in medians)))
    rows.append(("errors (all rounds)", *(_errors(results, r.chain) for r in medians)))
    rows.append(("CPU us/exchange (share of a core):", *("" for _ in medians)))
    for index, role in enumerate(c.role for c in medians[0].cpu):
        rows.append(
            (
                f"  {role}",
                *(
                    f"{r.cpu[index].name} {r.cpu[index].us_per_exchange:.0f} "
                    f"({100 * r.cpu[index].utilisation:.0f}%)"
                    for r in medians
                ),
            )
        )
    rows.append(
        ("  all processes", *(f"{sum(c.us_per_exchange for c in r.cpu):.0f}" for r in medians))
    )
    rows.append(
        (
            "resident memory MiB, hops",
            *(
                " / ".join(f"{c.rss_mib:.0f}" for c in r.cpu if c.role.endswith("hop"))
                for r in medians
            ),
        )
    )
    rows.append(
        (
            "machine CPU busy (steal)",
            *(f"{100 * r.machine_busy:.0f}% ({100 * r.machine_steal:.0f}%)" for r in medians),
        )
    )
    rows.append(
        (
            "cores busy outside these processes",
            *(f"{r.outside_cores():.2f}" for r in medians),
        )
    )
    rows.append(
        (
            "exchanges/s per round",
            *(
                " ".join(f"{x.throughput:.0f}" for x in results if x.chain == r.chain)
                for r in medians
            ),
        )
    )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    per_round = ratios(results)
    median = _median(per_round)
    if median is not None:
        rounds = ", ".join(f"{r:.2f}" for r in per_round)
        print(f"\nthroughput xgw/plain: {median:.2f}x (median; per round: {rounds})")
    by_name = {r.chain: r for r in medians}
    if "xgw" in by_name and "plain" in by_name and by_name["plain"].hop_cpu_us() > 0:
        xgw_cpu, plain_cpu = by_name["xgw"].hop_cpu_us(), by_name["plain"].hop_cpu_us()
        print(
            f"CPU per exchange of the two hops: xgw {xgw_cpu:.0f} us, plain {plain_cpu:.0f} us "
            f"({xgw_cpu / plain_cpu:.1f}x)"
        )
    for result in results:
        if result.errors:
            print(
                f"\n{result.chain}, round {result.round}: {sum(result.errors.values())} errors; "
                "the kinds:"
            )
            for message, count in result.errors.most_common(10):
                print(f"  {count:6d}  {message}")
    failed = sorted({r.chain for r in results if not r.ok})
    print("\nFAILED: " + ", ".join(failed) if failed else "\nall exchanges answered correctly")


def _errors(results: Sequence[ChainResult], chain: str) -> str:
    return str(sum(sum(r.errors.values()) for r in results if r.chain == chain))


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
        "--rounds", type=int, default=3, help="run the chains in turn this often (default 3)"
    )
    parser.add_argument(
        "--warmup", type=int, help="warm-up requests per chain, not counted (default 4 x C, >= 200)"
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


async def _run(args: argparse.Namespace, state: Path, procs: Processes) -> list[ChainResult]:
    wanted = [c.strip() for c in args.chains.split(",") if c.strip()]
    # Both chains use the federation's CA and certificates.
    federation = build_federation(
        state / "federation", load_balancer=False, members=_chain_members(), access=_ACCESS
    )
    chains: list[Chain] = []
    ready: Ready = []
    for name in wanted:
        if name == "xgw":
            chain, urls = start_xgw_chain(procs, federation, args.body_bytes)
        else:
            chain, urls = start_plain_chain(procs, federation, args.body_bytes)
        chains.append(chain)
        ready += urls
    _release_ports(federation)  # all of them, if the xgw chain was not wanted
    await wait_ready(procs, ready)
    results = []
    for number in range(1, args.rounds + 1):
        for chain in chains:
            profiler = None
            if args.py_spy is not None and number == 1:
                targets = [p for role, p in chain.roles if role != "backend"]
                profiler = Profiler(procs, args.py_spy, targets)
            if not args.json:
                print(f"round {number}: the {chain.name} chain ...", file=sys.stderr)
            result = await run_load(
                chain,
                procs,
                requests=args.requests,
                concurrency=args.concurrency,
                warmup=args.warmup,
                body_bytes=args.body_bytes,
                timeout=args.timeout,
                profiler=profiler,
            )
            result.round = number
            results.append(result)
            if profiler is not None and not args.json:
                from bench.profile import summarize

                for output in profiler.outputs:
                    print(summarize(output, top=15), file=sys.stderr)
    return results


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.rounds < 1:
        _parser().error("--requests, --concurrency and --rounds must be at least 1")
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
        print(json.dumps(report_json(info, args, results), indent=2, ensure_ascii=False))
    else:
        print_report(info, args, results)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
