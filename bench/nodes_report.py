"""What bench.nodes found, and its report: a table for people, one JSON document for tools.

Usage::

    outcome = Outcome("postgresql")
    outcome.rounds.append(NodesRound(2, result, os.getloadavg()))   # result.chain: label(2)
    outcome.verify["DE"], outcome.footprint["DE"] = answer, sizes
    print_report(args, outcome)      # or
    json.dumps(report_json(args, outcome))
    sys.exit(0 if outcome.ok else 1)

Per node count, the round with the median throughput stands for it (bench/report.py's
``median_round``); the table also shows every round, the ratio of two nodes to one, and
what ``xgw audit verify`` said of each log and what each log takes on disk.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from typing import Any

from bench.report import ChainResult, machine, median_round

__all__ = ["NodesRound", "Outcome", "label", "print_report", "report_json"]


@dataclass
class NodesRound:
    """One round: how many DE nodes took its load, and what it came to."""

    nodes: int
    result: ChainResult
    load_average: tuple[float, float, float]  # at the end of the round


@dataclass
class Outcome:
    """The whole run: its rounds, then what ``xgw audit verify`` said and what the logs take."""

    engine: str
    rounds: list[NodesRound] = field(default_factory=list)
    verify: dict[str, dict[str, Any]] = field(default_factory=dict)
    footprint: dict[str, dict[str, float]] = field(default_factory=dict)
    answered: int = 0  # every exchange answered correctly, probes and warm-ups included
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Rounds ran, every request of each was answered correctly, and no problem."""
        return bool(self.rounds) and all(r.result.ok for r in self.rounds) and not self.problems


def label(nodes: int) -> str:
    """A round's name (its ChainResult's ``chain``): ``1 DE node``, ``2 DE nodes``."""
    return f"{nodes} DE node{'s' if nodes > 1 else ''}"


def _medians(outcome: Outcome) -> dict[int, ChainResult]:
    results = [r.result for r in outcome.rounds]
    found = {}
    for nodes in sorted({r.nodes for r in outcome.rounds}):
        median = median_round(results, label(nodes))
        if median is not None:
            found[nodes] = median
    return found


def _verify_json(answer: dict[str, Any]) -> dict[str, Any]:
    keep = ("ok", "records", "tree_heads", "root", "first_bad", "reason", "exit_code")
    return {k: answer[k] for k in keep if k in answer}


def report_json(args: argparse.Namespace, outcome: Outcome) -> dict[str, Any]:
    medians = _medians(outcome)
    rounds = []
    for r in outcome.rounds:
        rounds.append({"nodes": r.nodes, "load_average": r.load_average, **r.result.as_json()})
    return {
        "machine": machine() | {"load_average_end": os.getloadavg()},
        "params": {
            "engine": outcome.engine,
            "nodes": args.nodes,
            "requests": args.requests,
            "concurrency": args.concurrency,
            "warmup": args.warmup,
            "rounds": args.rounds,
            "payload": "xoev",
        },
        "median": {str(n): m.as_json() for n, m in medians.items()},
        "rounds": rounds,
        "verify": {k: _verify_json(v) for k, v in outcome.verify.items()},
        "footprint": outcome.footprint,
        "answered": outcome.answered,
        "problems": outcome.problems,
        "ok": outcome.ok,
    }


def print_report(args: argparse.Namespace, outcome: Outcome) -> None:
    info = machine()
    print(
        f"bench.nodes  {info['date']}  {info['nproc']} CPUs ({info['cpu_model']}), "
        f"Python {info['python']}, load average now {os.getloadavg()[0]:.2f}"
    )
    print(
        f"engine {outcome.engine}; xoev exchange, {args.requests} measured requests per round "
        f"at concurrency {args.concurrency}, {args.warmup} warm-up; {args.rounds} rounds"
    )
    print()
    header = f"{'round':>5} {'nodes':>5} {'exch/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
    print(header + "  CPU µs/exchange per process; machine busy; load avg")
    for r in outcome.rounds:
        res = r.result
        cpu = ", ".join(f"{c.name} {c.us_per_exchange:.0f}" for c in res.cpu)
        print(
            f"{res.round:>5} {r.nodes:>5} {res.throughput:>8.1f} {res.percentile(0.5):>8.1f} "
            f"{res.percentile(0.99):>8.1f} {sum(res.errors.values()):>6}  {cpu}; "
            f"{100 * res.machine_busy:.0f} %; {r.load_average[0]:.2f}"
        )
    medians = _medians(outcome)
    print()
    for nodes, res in medians.items():
        rounds = [r.result.throughput for r in outcome.rounds if r.nodes == nodes]
        gateways = sum(c.us_per_exchange for c in res.cpu if c.role in ("first hop",))
        print(
            f"median of {len(rounds)} rounds, {label(nodes)}: {res.throughput:.0f} exchanges/s "
            f"(rounds {', '.join(f'{t:.0f}' for t in rounds)}), p50 {res.percentile(0.5):.1f} ms, "
            f"p99 {res.percentile(0.99):.1f} ms"
        )
        print(
            "  CPU µs per exchange of the round (CPU seconds x 10^6 / all exchanges); "
            f"DE nodes together {gateways:.0f}"
        )
        for c in res.cpu:
            print(
                f"    {c.role:<15} {c.name:<38} {c.us_per_exchange:>7.0f}  "
                f"({100 * c.utilisation:.0f} % of a core, {c.rss_mib:.0f} MiB)"
            )
        print(f"  cores busy outside these processes: {res.outside_cores():.2f}")
    if 1 in medians and 2 in medians and medians[1].throughput > 0:
        print(f"\n2 nodes / 1 node: {medians[2].throughput / medians[1].throughput:.2f}x")
    for key, answer in outcome.verify.items():
        verdict = "verifies" if answer.get("ok") else "does NOT verify"
        print(
            f"{key}'s log: {answer.get('records')} records, {verdict} (xgw audit verify --config)"
        )
    for key, size in outcome.footprint.items():
        print(
            f"{key}'s log on disk: {size['bytes_on_disk'] / 2**20:.1f} MiB; per record "
            f"{size['entries_bytes_per_record']:.0f} bytes with its indexes (the record itself "
            f"{size['record_bytes_mean']:.0f}), per sealed body {size['bodies_bytes_per_body']:.0f}"
            f" (ciphertext {size['body_ciphertext_bytes_mean']:.0f}, {size['bodies']:.0f} bodies)"
        )
    for problem in outcome.problems:
        print(f"problem: {problem}")
    for r in outcome.rounds:
        for message, n in r.result.errors.most_common(5):
            print(f"round {r.result.round}: {n} x {message}")
