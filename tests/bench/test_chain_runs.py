"""The benchmark keeps working as the gateway changes (its figures are measured by hand, not here:
docs/performance.md). A few requests through both chains must all be answered correctly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_chain_benchmark_answers_every_request() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.chain", "--requests", "40", "--concurrency", "4",
         "--rounds", "1", "--warmup", "8", "--timeout", "60", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["params"]["payload"] == "xoev"  # translated, signed, verified, audited
    median = report["median"]
    assert median["xgw"]["ok"] and median["plain"]["ok"]
    assert median["xgw"]["requests"] == median["plain"]["requests"] == 40
    # Then both chains at the same offered load: half of xgw's peak.
    open_loop = report["open_loop"]
    assert open_loop["median"]["xgw"]["ok"] and open_loop["median"]["plain"]["ok"]
    offered = open_loop["offered_per_s"]
    assert offered == pytest.approx(0.5 * median["xgw"]["exchanges_per_s"], rel=0.01)
    assert len(open_loop["p99_difference_ms"]["per_round"]) == 1
