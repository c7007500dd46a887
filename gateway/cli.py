"""The ``xgw`` command line.

Usage::

    xgw serve --config de.toml
    xgw demo [--serve --state-dir DIR]
    xgw directory create|sign|show ...
    xgw audit verify --data-dir DIR

``main`` catches :class:`~gateway.errors.GatewayError` once, prints its
diagnostics and exits non-zero; a bad config exits 2 naming the key.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from gateway import __version__
from gateway.errors import ConfigError, GatewayError
from gateway.logs import configure_logging

__all__ = ["main"]

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (repeat for debug)"
    )
    common.add_argument("--json", action="store_true", help="machine-readable output and logs")
    parser = argparse.ArgumentParser(
        prog="xgw",
        parents=[common],
        description=(
            "xgw: a federated data-exchange gateway (X-Road message protocol, signed hops, "
            "audit log)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"xgw {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", parents=[common], help="run one gateway node")
    serve.add_argument("--config", type=Path, required=True, help="the node's TOML file")
    serve.add_argument(
        "--check", action="store_true", help="only load and check the configuration, then exit"
    )
    serve.set_defaults(func=_serve)

    demo = sub.add_parser(
        "demo", parents=[common], help="run a three-member federation (DE, EE, NL) on 127.0.0.1"
    )
    demo.add_argument(
        "--serve",
        action="store_true",
        help="keep the federation running after the scripted exchanges",
    )
    demo.add_argument(
        "--state-dir",
        type=Path,
        help="where certificates, configs and data go (default: a temp dir)",
    )
    demo.set_defaults(func=_demo)

    _add_directory(sub, common)
    _add_audit(sub, common)
    translate = sub.add_parser(
        "translate", parents=[common], help="translate a message offline between two formats"
    )
    translate.add_argument("file", type=Path, help="the message to translate ('-': stdin)")
    translate.add_argument("--from", dest="source", required=True, help="its format (connector)")
    translate.add_argument(
        "--to", dest="target", required=True, help="the format to produce, or 'canonical'"
    )
    translate.add_argument(
        "--media-type",
        default="application/xml",
        help="the input's media type (connectors that read several)",
    )
    translate.add_argument("--schema-dir", type=Path, help="official schema sets to validate with")
    translate.add_argument(
        "--lenient-identifiers",
        action="store_true",
        help="accept test identifiers that fail their checksums",
    )
    translate.set_defaults(func=_translate)

    connectors = sub.add_parser("connectors", parents=[common], help="format connectors")
    csub = connectors.add_subparsers(dest="action", required=True, metavar="ACTION")
    csub.add_parser("list", parents=[common], help="list the registered connectors").set_defaults(
        func=_connectors_list
    )
    return parser


def _add_directory(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    directory = sub.add_parser("directory", parents=[common], help="the federation directory")
    dsub = directory.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = dsub.add_parser(
        "create", parents=[common], help="build an unsigned directory from a federation TOML spec"
    )
    create.add_argument("spec", type=Path)
    create.add_argument("-o", "--out", type=Path, required=True)
    create.add_argument("--valid-hours", type=float, default=24.0)
    create.add_argument("--sequence", type=int)
    create.set_defaults(func=_directory_create)
    sign = dsub.add_parser("sign", parents=[common], help="sign a directory as the operator")
    sign.add_argument("directory", type=Path)
    sign.add_argument("--key", type=Path, required=True, help="the operator's private key")
    sign.add_argument("--cert", type=Path, required=True, help="the operator's certificate")
    sign.add_argument("-o", "--out", type=Path, required=True)
    sign.set_defaults(func=_directory_sign)
    show = dsub.add_parser("show", parents=[common], help="print a directory, verify it")
    show.add_argument("directory", type=Path)
    show.add_argument(
        "--trust-anchor",
        type=Path,
        help="the operator's certificate: verify signature and freshness",
    )
    show.set_defaults(func=_directory_show)


def _add_audit(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    audit = sub.add_parser("audit", parents=[common], help="the audit log")
    asub = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = asub.add_parser(
        "verify",
        parents=[common],
        help="re-check the whole log; exit 1 naming the first bad record",
    )
    where = verify.add_mutually_exclusive_group(required=True)
    where.add_argument("--data-dir", type=Path, help="the gateway's data directory")
    where.add_argument("--db", type=Path, help="the audit database file")
    where.add_argument("--config", type=Path, help="the gateway's TOML file")
    verify.set_defaults(func=_audit_verify)


def _serve(args: argparse.Namespace) -> int:
    from gateway.app import serve
    from gateway.settings import Settings

    settings = Settings.from_toml(args.config)
    if args.check:
        from gateway.node import build_connectors, load_credentials

        load_credentials(settings)
        build_connectors(settings)
        print(
            f"config {args.config} is valid: member {settings.member.id}, "
            f"{len(settings.services)} services, {len(settings.clients)} clients"
        )
        return 0
    return _run(serve(settings))


def _demo(args: argparse.Namespace) -> int:
    from gateway.demo import run_demo

    return _run(run_demo(state_dir=args.state_dir, keep_serving=args.serve))


def _directory_create(args: argparse.Namespace) -> int:
    from gateway import directory_cli

    return directory_cli.create(
        args.spec, args.out, valid_hours=args.valid_hours, sequence=args.sequence
    )


def _directory_sign(args: argparse.Namespace) -> int:
    from gateway import directory_cli

    return directory_cli.sign(args.directory, args.key, args.cert, args.out)


def _directory_show(args: argparse.Namespace) -> int:
    from gateway import directory_cli

    return directory_cli.show(args.directory, args.trust_anchor, args.json)


def _audit_verify(args: argparse.Namespace) -> int:
    from gateway.audit.verify import verify_sqlite
    from gateway.node import AUDIT_DB
    from gateway.settings import Settings

    if args.config is not None:
        db = Settings.from_toml(args.config).data_dir / AUDIT_DB
    else:
        db = args.db or args.data_dir / AUDIT_DB
    result = asyncio.run(verify_sqlite(db))
    if args.json:
        print(
            json.dumps(
                {
                    "database": str(db),
                    "ok": result.ok,
                    "records": result.count,
                    "head": result.head,
                    "first_bad": result.first_bad,
                    "reason": result.reason,
                }
            )
        )
    elif result.ok:
        print(f"{db}: OK, {result.count} records, chain intact, head {result.head}")
    elif result.first_bad is None:
        print(f"{db}: FAILED: {result.reason}")
    else:
        print(f"{db}: FAILED at record {result.first_bad}: {result.reason}")
    return 0 if result.ok else 1


def _translate(args: argparse.Namespace) -> int:
    from gateway.translation import translate_file

    return translate_file(
        args.file,
        args.source,
        args.target,
        media_type=args.media_type,
        schema_dir=args.schema_dir,
        lenient=args.lenient_identifiers,
        as_json=args.json,
    )


def _connectors_list(args: argparse.Namespace) -> int:
    from connectors.registry import ConnectorRegistry

    registry = ConnectorRegistry.default()
    if args.json:
        print(json.dumps(registry.names()))
    else:
        for name in registry.names():
            print(name)
    return 0


def _run(coro: Coroutine[Any, Any, int | None]) -> int:
    try:
        return asyncio.run(coro) or 0
    except KeyboardInterrupt:
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # A server logs one line per exchange by default; one-shot commands only warnings.
    verbosity = max(args.verbose, 1) if args.command == "serve" else args.verbose
    configure_logging(verbosity, as_json=args.json)
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(f"xgw: bad configuration: {exc.message}", file=sys.stderr)
        return EXIT_CONFIG
    except GatewayError as exc:
        logging.getLogger("gateway").debug("command failed", exc_info=True)
        print(f"xgw: {exc.diagnostics()}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
