"""Summarise py-spy's raw (collapsed stack) output: where a process spent its samples.

Usage::

    python -m bench.profile /tmp/prof/xgw-DE.txt [--top 20]

Each line of py-spy's ``--format raw`` is ``frame;frame;...;frame COUNT`` with
frames like ``function (path/file.py:line)``, outermost first. Printed, as
shares of all samples:

- waiting: samples whose innermost line only blocks (a queue ``get``, the event
  loop's ``poll``, a lock): py-spy cannot always tell an idle thread from a busy
  one, so these are set apart by their source line; every share below is one of
  the remaining, busy samples;
- by thread: the event loop (stacks from ``<module>``), worker threads
  (``Thread._bootstrap``: aiosqlite's), and stacks py-spy caught only in part;
- self time by package (the innermost frame's top-level module);
- self time by function and line (the innermost frame);
- total time of xgw's own functions (``gateway/`` anywhere on the stack): the stages.

A busy line can still wait in C (sqlite's ``fsync`` within ``COMMIT``).
"""

from __future__ import annotations

import argparse
import importlib.util
import linecache
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Frame", "main", "summarize"]

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
_PREFIXES = ("site-packages/", "lib/python3.11/", "/work/main/")
# Lines that only block: a queue's get(), the event loop's poll, a lock or an event.
_WAITING = re.compile(r"\.get\((block=True)?\)|\.poll\(|\.acquire\(|\.wait\(")


@dataclass(frozen=True)
class Frame:
    function: str
    path: str  # shortened: relative to site-packages, the stdlib or the repo
    line: str

    @property
    def package(self) -> str:
        head = self.path.split("/", 1)[0]
        return head.removesuffix(".py") or "?"

    def source(self) -> str:
        """The source line, found through the module's import path ('' if not found)."""
        if not self.line or not self.path.endswith(".py"):
            return ""
        module = self.path.removesuffix(".py").replace("/", ".")
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            return ""
        if spec is None or spec.origin is None:
            return ""
        return linecache.getline(spec.origin, int(self.line)).strip()

    def name(self, *, with_line: bool = False) -> str:
        where = f"{self.path}:{self.line}" if with_line and self.line else self.path
        return f"{self.function} ({where})"


def _frame(text: str) -> Frame:
    match = _FRAME.match(text.strip())
    if match is None:
        return Frame(text.strip(), "?", "")
    path = match["file"]
    for marker in _PREFIXES:
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return Frame(match["func"], path, match["line"] or "")


def summarize(raw: Path, top: int = 20) -> str:
    waiting: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    own: Counter[str] = Counter()
    samples = 0
    for text in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = text.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = [_frame(f) for f in stack.split(";") if f.strip()]
        frames = [f for f in frames if not f.function.startswith(("process ", "thread "))]
        if not frames:
            continue
        count = int(count_text)
        inner = frames[-1]
        if _WAITING.search(inner.source()):
            waiting[f"{inner.name(with_line=True)}: {inner.source()}"] += count
            continue
        samples += count
        outer = frames[0].function
        if outer in ("<module>", "_run_module_as_main"):
            threads["event loop"] += count
        elif outer == "Thread._bootstrap":
            threads["worker threads"] += count
        else:
            threads["partial stacks"] += count
        packages[inner.package] += count
        lines[inner.name(with_line=True)] += count
        for name in {
            f.name() for f in frames if f.path.startswith("gateway/") and f.path != "gateway/cli.py"
        }:
            own[name] += count
    if samples == 0:
        return f"{raw}: no busy samples"
    idle = sum(waiting.values())
    out = [
        f"{raw}: {samples + idle} samples, {idle} of them waiting; "
        f"shares below are of the {samples} busy ones"
    ]
    out += [f"    waiting {count:6d}  {name}" for name, count in waiting.most_common(5)]
    for title, counts, limit in (
        ("by thread", threads, top),
        ("self time by package", packages, top),
        ("self time by function and line", lines, top),
        ("total time of xgw's own functions (on the stack)", own, top),
    ):
        out.append(f"  {title}:")
        for name, count in counts.most_common(limit):
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
