"""The benchmark's results and its report: a table for people, one JSON document for tools.

Usage::

    result = ChainResult("xgw", 3000, 16, 200, seconds, latencies, errors, cpu, busy, steal)
    print_report(machine(), args, closed, open_loop)     # or
    json.dumps(report_json(machine(), args, closed, open_loop))

Closed-loop rounds give each chain's peak throughput and the xgw/plain ratio (the
median of the per-round ratios). Open-loop rounds (both chains at the same offered
rate) give the latencies to compare: p99 of xgw minus p99 of plain, per round and
its median.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import math
import os
import platform
import ssl
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

__all__ = [
    "ChainResult",
    "ProcessCpu",
    "machine",
    "median_round",
    "p99_differences",
    "print_report",
    "ratios",
    "report_json",
]


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
    offered_rate: float | None = None  # open loop: requests sent per second; None: closed loop

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
            "offered_per_s": None if self.offered_rate is None else round(self.offered_rate, 1),
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


def median_round(
    results: Sequence[ChainResult],
    chain: str,
    key: Callable[[ChainResult], float] = lambda r: r.throughput,
) -> ChainResult | None:
    """The round of ``chain`` with the median ``key`` (throughput; the lower of two middles)."""
    runs = sorted((r for r in results if r.chain == chain), key=key)
    return runs[(len(runs) - 1) // 2] if runs else None


def _p99(result: ChainResult) -> float:
    return result.percentile(0.99)


def p99_differences(results: Sequence[ChainResult]) -> list[float]:
    """p99 of xgw minus p99 of plain, in ms, per round in which both ran."""
    out = []
    for number in sorted({r.round for r in results}):
        by_name = {r.chain: r for r in results if r.round == number}
        if "xgw" in by_name and "plain" in by_name:
            out.append(_p99(by_name["xgw"]) - _p99(by_name["plain"]))
    return out


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


def _params(args: argparse.Namespace, body_bytes: int) -> dict[str, Any]:
    return {
        "payload": args.payload,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "warmup": args.warmup,
        "body_bytes": body_bytes,
        "rounds": args.rounds,
        "latency_at": args.latency_at,
        "rate": args.rate,
    }


def _open_loop_json(results: Sequence[ChainResult]) -> dict[str, Any] | None:
    if not results:
        return None
    differences = p99_differences(results)
    median = _median(differences)
    return {
        "offered_per_s": round(results[0].offered_rate or 0.0, 1),
        "median": {
            name: found.as_json()
            for name in dict.fromkeys(r.chain for r in results)
            if (found := median_round(results, name, _p99)) is not None
        },
        "rounds": [r.as_json() for r in results],
        "p99_difference_ms": {
            "median": round(median, 2) if median is not None else None,
            "per_round": [round(d, 2) for d in differences],
        },
    }


def report_json(
    info: dict[str, Any],
    args: argparse.Namespace,
    body_bytes: int,
    results: list[ChainResult],
    open_loop: Sequence[ChainResult] = (),
) -> dict[str, Any]:
    names = list(dict.fromkeys(r.chain for r in results))
    per_round = ratios(results)
    median = _median(per_round)
    return {
        "machine": info,
        "params": _params(args, body_bytes),
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
        "open_loop": _open_loop_json(open_loop),
        "ok": all(r.ok for r in [*results, *open_loop]),
    }


def _print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )


_PAYLOADS = {
    "xoev": "an XGewerbeanzeige Anmeldung of {size} bytes, translated (xgw) or passed on (plain)",
    "opaque": "a {size}-byte JSON body each way, untranslated",
}


def print_report(
    info: dict[str, Any],
    args: argparse.Namespace,
    body_bytes: int,
    results: list[ChainResult],
    open_loop: Sequence[ChainResult] = (),
) -> None:
    print(
        f"xgw benchmark, {info['date']}: {info['nproc']} CPUs ({info['cpu_model']}), "
        f"Python {info['python']}, aiohttp {info['aiohttp']}, {info['openssl']}"
    )
    payload = _PAYLOADS[args.payload].format(size=body_bytes)
    if results:
        print(
            f"closed loop: {args.requests} requests measured per round (+{args.warmup} "
            f"warm-up), concurrency {args.concurrency}, {payload}, {args.rounds} round(s); "
            "the median round of each chain:\n"
        )
        _print_closed(results)
    if open_loop:
        _print_open(open_loop, args)
    every = [*results, *open_loop]
    for result in every:
        if result.errors:
            loop = "closed" if result.offered_rate is None else "open"
            print(
                f"\n{result.chain}, {loop} loop, round {result.round}: "
                f"{sum(result.errors.values())} errors; the kinds:"
            )
            for message, count in result.errors.most_common(10):
                print(f"  {count:6d}  {message}")
    failed = sorted({r.chain for r in every if not r.ok})
    print("\nFAILED: " + ", ".join(failed) if failed else "\nall exchanges answered correctly")


def _print_closed(results: list[ChainResult]) -> None:
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
    _print_table(rows)
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


def _print_open(results: Sequence[ChainResult], args: argparse.Namespace) -> None:
    rate = results[0].offered_rate or 0.0
    names = [r.chain for r in results]
    paced_by = "xgw" if "xgw" in names else names[0]  # as bench.chain picks it
    how = f"{args.latency_at:g} x {paced_by}'s median peak"
    if args.rate:
        how = f"--rate {args.rate:g}"
    print(
        f"\nopen loop: {rate:.0f} requests/s offered to each chain ({how}), "
        f"{results[0].requests} per round; the round with the median p99 of each chain:\n"
    )
    medians = [
        found
        for name in dict.fromkeys(r.chain for r in results)
        if (found := median_round(results, name, _p99)) is not None
    ]
    rows: list[tuple[str, ...]] = [("", *(r.chain for r in medians))]
    rows.append(("exchanges/s answered", *(f"{r.throughput:.0f}" for r in medians)))
    for label, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
        rows.append((f"latency {label} ms", *(f"{r.percentile(q):.1f}" for r in medians)))
    rows.append(
        (
            "p99 ms per round",
            *(" ".join(f"{_p99(x):.1f}" for x in results if x.chain == r.chain) for r in medians),
        )
    )
    rows.append(("CPU us/exchange, hops", *(f"{r.hop_cpu_us():.0f}" for r in medians)))
    rows.append(
        ("cores busy outside these processes", *(f"{r.outside_cores():.2f}" for r in medians))
    )
    _print_table(rows)
    differences = p99_differences(results)
    median = _median(differences)
    if median is not None:
        rounds = ", ".join(f"{d:+.1f}" for d in differences)
        print(f"\np99 xgw - plain: {median:+.1f} ms (median; per round: {rounds})")


def _errors(results: Sequence[ChainResult], chain: str) -> str:
    return str(sum(sum(r.errors.values()) for r in results if r.chain == chain))
