"""Per connector and sample message: µs of decode, canonical validation, encode, and in total.

Usage::

    python -m bench.connectors                          # every built-in connector, a table
    python -m bench.connectors --iterations 500 --json  # one JSON document
    python -m bench.connectors --connectors nl.brp,be.magda --profile 15   # plus cProfile

Run it from the repository root (the samples the tests use are read from ``../shared``,
and where ``../shared`` has none, the tests' hand-written messages are imported from
``tests/connectors``). Each connector is built once, as a gateway node builds it, with
the schemas xgw ships (no ``schema_dir``); connectors whose published samples carry test
identifiers that fail their own check digits are built with ``lenient_identifiers``, as
their tests build them.

For every sample the bench measures, through the gateway's own calls (the async
``decode`` and ``encode``, driven without an event loop since they never wait):

- **decode**: native bytes -> canonical envelope, native schema validation included;
- **validate**: ``connectors.canonical.validate(kind, document)`` of what decode gave;
- **encode**: that envelope -> native bytes, native schema validation of the output
  included (a round trip: the encoder gets what the decoder produced);
- **total**: the three in one loop.

Each phase first runs ``--warmup`` times, then ``--repeats`` times ``--iterations``
calls timed with ``time.perf_counter_ns``; the figure is the median of the repeats'
per-call means, in µs. The garbage collector stays on, as in the gateway. The machine's
load average is printed before and after: on a shared machine a busy neighbour shows
there.

``--profile N`` runs each selected sample's full cycle again under cProfile and prints
the N functions with the most self time, per cycle (cProfile slows every Python call:
compare shares, not absolute figures).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

from connectors.base import Connector, ConnectorOptions, Envelope
from connectors.canonical import validate
from connectors.registry import BUILT_IN, ConnectorRegistry

__all__ = ["LENIENT", "SAMPLES", "Result", "Sample", "main", "measure", "samples_for"]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

T = TypeVar("T")


@dataclass(frozen=True)
class Sample:
    label: str  # a file name under ../shared, or "tests: <what>" for a hand-written one
    body: bytes
    media_type: str


@dataclass(frozen=True)
class Result:
    connector: str
    sample: str
    kind: str
    bytes_in: int
    bytes_out: int
    decode_us: float
    validate_us: float
    encode_us: float
    total_us: float


# --- the samples the connector tests use ------------------------------------------------------


def _files(folder: Path, pattern: str, media_type: str) -> list[Sample]:
    paths = sorted(folder.glob(pattern))
    if not paths:
        raise FileNotFoundError(f"no {pattern} in {folder} (the reference data in ../shared)")
    return [Sample(p.name, p.read_bytes(), media_type) for p in paths]


def _xgewerbeanzeige() -> list[Sample]:
    folder = SHARED / "xoev" / "xgewerbeanzeige" / "samples"
    return _files(folder, "xgwa2.*-valid.xml", "application/xml")


def _xmeld() -> list[Sample]:
    from tests.connectors.xoev.test_xmeld_support import SAMPLE, TWO_PERSONS

    return [
        Sample(SAMPLE.name, SAMPLE.read_bytes(), "application/xml"),
        Sample("tests: TWO_PERSONS answer", TWO_PERSONS, "application/xml"),
    ]


def _xpersonenstand() -> list[Sample]:
    folder = SHARED / "xoev" / "xpersonenstand" / "26.11" / "samples"
    return _files(folder, "Portal2StASterbefall084020.xml", "application/xml")


def _ariregister() -> list[Sample]:
    # The published sample breaks the official XSD; the tests repair it in memory.
    from tests.connectors.ee.samples import ARIREGISTER, schema_valid_detailandmed

    path = ARIREGISTER / "examples" / "detailandmed_v2_response.xml"
    body = schema_valid_detailandmed(path.read_bytes())
    return [Sample(f"{path.name} (made schema-valid)", body, "text/xml")]


def _rahvastikuregister() -> list[Sample]:
    import orjson

    folder = SHARED / "partners" / "estonia" / "rahvastikuregister" / "examples"
    out = []
    for sample in _files(folder, "*.json", "application/json"):
        document = orjson.loads(sample.body)
        if isinstance(document, dict):  # as the tests do: the DERIVED request says to drop it
            document.pop("_comment", None)
        out.append(Sample(sample.label, orjson.dumps(document), sample.media_type))
    return out


def _brp() -> list[Sample]:
    import orjson

    from tests.connectors.nl import samples

    folder = SHARED / "partners" / "netherlands" / "haal-centraal-brp-bevragen" / "examples"
    built = {
        "tests: ZOEK_REQUEST": samples.ZOEK_REQUEST,
        "tests: raadpleeg_response(PERSOON)": samples.raadpleeg_response(samples.PERSOON),
        "tests: zoek_response(BEPERKT)": samples.zoek_response(samples.BEPERKT),
    }
    return _files(folder, "*.json", "application/json") + [
        Sample(label, orjson.dumps(document), "application/json")
        for label, document in built.items()
    ]


def _kvk() -> list[Sample]:
    import orjson

    from tests.connectors.nl import samples

    request = b"GET /basisprofielen/68750110 HTTP/1.1\r\nAccept: application/json\r\n\r\n"
    return [
        Sample("tests: BASISPROFIEL", orjson.dumps(samples.BASISPROFIEL), "application/hal+json"),
        Sample("tests: GET /basisprofielen/{kvkNummer}", request, "message/http; msgtype=request"),
    ]


def _magda() -> list[Sample]:
    return _files(SHARED / "partners" / "belgium" / "magda" / "examples", "*.xml", "text/xml")


# connector name -> its samples; "opaque" carries bytes untouched and has nothing to measure.
SAMPLES: dict[str, Callable[[], list[Sample]]] = {
    "be.magda": _magda,
    "ee.ariregister": _ariregister,
    "ee.rahvastikuregister": _rahvastikuregister,
    "nl.brp": _brp,
    "nl.kvk": _kvk,
    "xoev.xgewerbeanzeige": _xgewerbeanzeige,
    "xoev.xmeld": _xmeld,
    "xoev.xpersonenstand": _xpersonenstand,
}
# Whose test samples carry the partners' test identifiers (failing check digits).
LENIENT = frozenset({"be.magda", "ee.ariregister", "ee.rahvastikuregister"})


def samples_for(name: str) -> list[Sample]:
    return SAMPLES[name]()


# --- measuring --------------------------------------------------------------------------------


def _now(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never waits (a connector's decode or encode) to its end."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("the connector waited for something: this bench assumes it never does")


def _per_call_us(call: Callable[[], object], iterations: int, repeats: int) -> float:
    means = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(iterations):
            call()
        means.append((time.perf_counter_ns() - start) / iterations / 1000)
    return statistics.median(means)


def _phases(
    connector: Connector, sample: Sample
) -> tuple[Envelope, bytes, dict[str, Callable[[], object]]]:
    envelope = _now(connector.decode(sample.body, sample.media_type))
    if envelope.kind is None or envelope.document is None:
        raise RuntimeError(f"{connector.name}: {sample.label} decoded to no canonical document")
    kind, document = envelope.kind, envelope.document
    encoded, _ = _now(connector.encode(envelope))

    def decode() -> object:
        return _now(connector.decode(sample.body, sample.media_type))

    def check() -> object:
        validate(kind, document)
        return None

    def encode() -> object:
        return _now(connector.encode(envelope))

    def total() -> object:
        decoded = _now(connector.decode(sample.body, sample.media_type))
        validate(kind, decoded.document)
        return _now(connector.encode(decoded))

    return (
        envelope,
        encoded,
        {"decode": decode, "validate": check, "encode": encode, "total": total},
    )


def measure(
    connector: Connector, sample: Sample, *, iterations: int, repeats: int, warmup: int
) -> Result:
    envelope, encoded, phases = _phases(connector, sample)
    figures = {}
    for phase, call in phases.items():
        for _ in range(warmup):
            call()
        figures[phase] = _per_call_us(call, iterations, repeats)
    return Result(
        connector=connector.name,
        sample=sample.label,
        kind=str(envelope.kind),
        bytes_in=len(sample.body),
        bytes_out=len(encoded),
        decode_us=figures["decode"],
        validate_us=figures["validate"],
        encode_us=figures["encode"],
        total_us=figures["total"],
    )


def profile(connector: Connector, sample: Sample, *, iterations: int, top: int) -> str:
    """The ``top`` functions by self time over ``iterations`` full cycles (cProfile)."""
    _, _, phases = _phases(connector, sample)
    cycle = phases["total"]
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(iterations):
        cycle()
    profiler.disable()
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, object]]
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    whole = sum(row[2] for row in stats.values()) or 1.0
    rows = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    lines = [f"{'self %':>7} {'self µs':>8} {'cum µs':>8} {'calls':>7}  function"]
    for (filename, line, function), (_, calls, own, cumulative, _) in rows:
        lines.append(
            f"{100 * own / whole:6.1f}% {own / iterations * 1e6:8.1f} "
            f"{cumulative / iterations * 1e6:8.1f} {calls / iterations:7.1f}  "
            f"{_where(filename)}:{line} {function}"
        )
    return "\n".join(lines)


def _where(filename: str) -> str:
    """A file name relative to the repository or to site-packages, as the docs cite it."""
    path = Path(filename)
    for base in (ROOT, *(Path(p) for p in sys.path if p.endswith("site-packages"))):
        if path.is_relative_to(base):
            return str(path.relative_to(base))
    return filename  # "~" (built-ins) and the standard library stay as cProfile names them


# --- reporting --------------------------------------------------------------------------------


def _machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    packages = {}
    for package in ("lxml", "jsonschema_rs", "orjson"):
        try:
            packages[package] = version(package)
        except Exception:
            packages[package] = "?"
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "packages": packages,
        "load_average_before": list(os.getloadavg()),
    }


def _table(results: Sequence[Result]) -> str:
    header = (
        "| connector | sample | kind | in B | out B | decode µs | validate µs | encode µs "
        "| total µs |"
    )
    lines = [header, "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(
            f"| {r.connector} | {r.sample} | {r.kind} | {r.bytes_in} | {r.bytes_out} "
            f"| {r.decode_us:.0f} | {r.validate_us:.1f} | {r.encode_us:.0f} | {r.total_us:.0f} |"
        )
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.connectors",
        description="Per connector and sample: decode + canonical validation + encode, in µs.",
    )
    parser.add_argument("--iterations", type=int, default=200, help="timed calls per repeat")
    parser.add_argument("--repeats", type=int, default=5, help="repeats; the median is shown")
    parser.add_argument("--warmup", type=int, default=50, help="untimed calls before each phase")
    parser.add_argument(
        "--connectors",
        default="",
        help="comma-separated names (default: every built-in connector that has samples)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="print cProfile's top N per sample"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if min(args.iterations, args.repeats) < 1 or args.warmup < 0:
        print("--iterations and --repeats must be at least 1", file=sys.stderr)
        return 2
    wanted = [n for n in args.connectors.split(",") if n] or [n for n in BUILT_IN if n in SAMPLES]
    unknown = [n for n in wanted if n not in SAMPLES or n not in BUILT_IN]
    if unknown:
        print(
            f"no samples or no built-in connector for: {', '.join(unknown)}; "
            f"measurable: {', '.join(n for n in BUILT_IN if n in SAMPLES)}",
            file=sys.stderr,
        )
        return 2
    info = _machine()
    strict = ConnectorRegistry.default(ConnectorOptions())
    lenient = ConnectorRegistry.default(ConnectorOptions(lenient_identifiers=True))
    results: list[Result] = []
    profiles: list[str] = []
    for name in sorted(wanted):
        connector = (lenient if name in LENIENT else strict).get(name)
        for sample in samples_for(name):
            results.append(
                measure(
                    connector,
                    sample,
                    iterations=args.iterations,
                    repeats=args.repeats,
                    warmup=args.warmup,
                )
            )
            if args.profile:
                text = profile(connector, sample, iterations=args.iterations, top=args.profile)
                profiles.append(f"== {name}: {sample.label}\n{text}")
            if not args.json:
                print(f"measured {name}: {sample.label}", file=sys.stderr)
    info["load_average_after"] = list(os.getloadavg())
    info["iterations"], info["repeats"], info["warmup"] = args.iterations, args.repeats, args.warmup
    if args.json:
        print(json.dumps({"machine": info, "results": [asdict(r) for r in results]}, indent=2))
        return 0
    print(
        f"Python {info['python']}, {info['cpus']} CPUs ({info['cpu_model']}); "
        + ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    )
    print(
        f"load average before {_load(info['load_average_before'])}, "
        f"after {_load(info['load_average_after'])}; "
        f"median of {args.repeats} x {args.iterations} calls after {args.warmup} warm-up calls\n"
    )
    print(_table(results))
    for text in profiles:
        print("\n" + text)
    return 0


def _load(figures: Sequence[float]) -> str:
    return " / ".join(f"{f:.2f}" for f in figures)


if __name__ == "__main__":
    sys.exit(main())
