"""Summarise py-spy's raw (collapsed stack) output: where a process spent its samples.

Usage::

    python -m bench.profile /tmp/xgw-de.txt [--top 20]

Each line of py-spy's ``--format raw`` is ``frame;frame;...;frame COUNT`` with
frames like ``function (path/file.py:line)``. Printed: the share of samples per
function (self: the innermost frame; total: anywhere on the stack) and per
source file (self).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "summarize"]

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def _function(frame: str) -> tuple[str, str]:
    """(``function (short/file.py)``, ``short/file.py``) of one frame, without the line."""
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip(), frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "lib/python3.11/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})", path


def summarize(raw: Path, top: int = 20) -> str:
    self_counts: Counter[str] = Counter()
    total_counts: Counter[str] = Counter()
    file_counts: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_function(f) for f in stack.split(";") if f.strip()]
        # py-spy puts the thread (and process) first; real frames follow.
        frames = [f for f in frames if not f[0].startswith(("process ", "thread "))]
        if not frames:
            continue
        samples += count
        self_counts[frames[-1][0]] += count
        file_counts[frames[-1][1]] += count
        for name in {f[0] for f in frames}:
            total_counts[name] += count
    if samples == 0:
        return f"{raw}: no samples"
    out = [f"{raw}: {samples} samples"]
    for title, counts in (
        ("self time by function", self_counts),
        ("total time by function (on the stack)", total_counts),
        ("self time by source file", file_counts),
    ):
        out.append(f"  {title}:")
        for name, count in counts.most_common(top):
            out.append(f"    {100.0 * count / samples:5.1f}%  {name}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("raw", type=Path, nargs="+", help="py-spy --format raw output")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    for raw in args.raw:
        print(summarize(raw, args.top))


if __name__ == "__main__":
    main()
