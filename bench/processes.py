"""The benchmark's child processes: started in their own session, always stopped.

Usage::

    with Processes(log_dir) as procs:
        backend = procs.start("backend", [sys.executable, "-m", "bench.backend", ...],
                              pass_fds=[sock.fileno()])
        procs.check_alive()              # BenchError with the log tail of a dead one
        cpu_seconds(backend.pid)         # utime + stime from /proc/<pid>/stat
    # every process terminated (SIGTERM), killed after a grace period if need be

Each child writes stdout and stderr to its own log file (a pipe nobody reads
would fill and block it). On Linux each child also gets SIGTERM when the
benchmark dies without cleaning up (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TypeVar

__all__ = [
    "HOST",
    "REPO",
    "BenchError",
    "Proc",
    "Processes",
    "SystemCpu",
    "child_env",
    "cpu_seconds",
    "reserve_socket",
    "rss_mib",
    "system_cpu",
    "watched",
    "xgw_command",
]

HOST = "127.0.0.1"  # the benchmarks bind nothing else
REPO = Path(__file__).resolve().parent.parent
_T = TypeVar("_T")

_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PR_SET_PDEATHSIG = 1
_EXCHANGE_LINE = " INFO gateway.exchange: exchange "


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), in seconds."""
    text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / _CLK_TCK


def rss_mib(pid: int) -> float:
    """Resident memory of a process, in MiB (``VmRSS`` of ``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


@dataclass(frozen=True)
class SystemCpu:
    """The machine's CPU time counters (all CPUs), in clock ticks, from ``/proc/stat``."""

    busy: int
    idle: int  # idle + iowait
    steal: int  # taken by the hypervisor for other guests

    def since(self, before: SystemCpu) -> tuple[float, float]:
        """(busy share, steal share) of all CPUs' time between ``before`` and now."""
        busy, idle = self.busy - before.busy, self.idle - before.idle
        steal = self.steal - before.steal
        total = busy + idle + steal
        return (busy / total, steal / total) if total > 0 else (0.0, 0.0)


def system_cpu() -> SystemCpu:
    line = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0]
    # cpu user nice system idle iowait irq softirq steal guest guest_nice
    values = [int(v) for v in line.split()[1:]]
    user, nice, system, idle, iowait, irq, softirq = values[:7]
    steal = values[7] if len(values) > 7 else 0
    return SystemCpu(user + nice + system + irq + softirq, idle + iowait, steal)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tail(self, lines: int = 25) -> str:
        """The log's last lines, less xgw's one line per exchange (they would hide the cause)."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"    (no log: {exc})"
        kept = [line for line in text.rstrip().splitlines() if _EXCHANGE_LINE not in line]
        return "\n".join(f"    {line}" for line in kept[-lines:]) or "    (nothing logged)"


class Processes:
    def __init__(self, log_dir: Path, *, grace: float = 10.0) -> None:
        self.log_dir = log_dir
        self.grace = grace
        self.procs: list[Proc] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        pass_fds: Sequence[int] = (),
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Proc:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                pass_fds=tuple(pass_fds),
                env=env,
                cwd=cwd,
                start_new_session=True,  # Ctrl-C reaches the benchmark only; it stops them
                preexec_fn=_die_with_parent,
            )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def release(self, proc: Proc) -> None:
        """Forget a process that has ended as it should (no longer watched or stopped)."""
        self.procs.remove(proc)

    def check_alive(self) -> None:
        for proc in self.procs:
            code = proc.popen.poll()
            if code is not None:
                raise BenchError(
                    f"{proc.name} (pid {proc.pid}) exited with code {code}; "
                    f"its output ends with:\n{proc.tail()}"
                )

    def stop_all(self) -> None:
        """SIGTERM to all, in reverse order of start; SIGKILL to those still there later."""
        running = [p for p in reversed(self.procs) if p.popen.poll() is None]
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                proc.popen.terminate()
        deadline = time.monotonic() + self.grace
        for proc in running:
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(
                    f"bench: {proc.name} (pid {proc.pid}) ignored SIGTERM; killing it",
                    file=sys.stderr,
                )
                proc.popen.kill()
                proc.popen.wait()
        self.procs.clear()


def reserve_socket() -> socket.socket:
    """A listening socket on an ephemeral port of ``HOST``: a child that inherits it (or
    binds its port once it is closed) cannot lose the port to another process meanwhile."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(512)
    return sock


def child_env(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Our environment less XGW_* (the generated configs must hold), bench importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XGW_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env | (overrides or {})


def xgw_command() -> str:
    """The ``xgw`` of this venv, else the one on PATH."""
    beside = Path(sys.executable).parent / "xgw"
    found = str(beside) if beside.exists() else shutil.which("xgw")
    if found is None:
        raise BenchError("the xgw command is not installed (pip install -e . in the repo)")
    return found


async def watched(procs: Processes, work: Awaitable[_T]) -> _T:
    """``work``'s result; BenchError as soon as one of ``procs`` has died (a phase would
    only count errors)."""

    async def watch() -> None:
        while True:
            procs.check_alive()
            await asyncio.sleep(0.25)

    task, watchdog = asyncio.ensure_future(work), asyncio.ensure_future(watch())
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
