"""The ``xgw`` command line.

Usage::

    xgw serve --config de.toml
    xgw demo [--serve --state-dir DIR]
    xgw directory create|sign|show ...
    xgw audit verify --data-dir DIR
    xgw audit tree-head --config de.toml [--sign]
    xgw audit proof --data-dir DIR --inclusion INDEX [--size N] | --consistency M N
    xgw audit body EXCHANGE_ID --kind request|response --config de.toml [-o FILE]
    xgw audit purge-bodies --config de.toml
    xgw audit body-key new FILE | list --config de.toml
    xgw witness list|show N [-o FILE]|clear MEMBER --data-dir DIR | --config de.toml
    xgw audit prove EXCHANGE_ID -o FILE --config de.toml | --data-dir DIR --trust-anchor PEM
    xgw audit check FILE --trust-anchor OPERATOR_CERT

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
from typing import TYPE_CHECKING, Any

from gateway import __version__
from gateway.admin import cli as admin_cli
from gateway.certs import cli as certs_cli
from gateway.demo import cli as demo_cli
from gateway.errors import ConfigError, GatewayError
from gateway.federation import cli as federation_cli
from gateway.logs import configure_logging
from gateway.storage import cli as db_cli

if TYPE_CHECKING:
    from gateway.audit.body_keys import BodyKeyring
    from gateway.audit.tree_head import TreeHeadSigner
    from gateway.settings import Settings
    from gateway.storage.factory import AuditSource

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
    demo_cli.add_commands(demo, common)  # xgw demo init | register (docs/docker.md)

    _add_directory(sub, common)
    _add_audit(sub, common)
    _add_witness(sub, common)
    certs_cli.add_commands(sub, common)
    admin_cli.add_commands(sub, common)
    db_cli.add_commands(sub, common)
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
    federation_cli.add_directory_commands(dsub, common)


def _add_audit(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    audit = sub.add_parser("audit", parents=[common], help="the audit log")
    asub = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = asub.add_parser(
        "verify",
        parents=[common],
        help="re-check the whole log, its tree and signed tree heads; exit 1 naming the first"
        " bad record",
    )
    _add_where(verify)
    verify.add_argument(
        "--signing-cert",
        type=Path,
        action="append",
        default=[],
        metavar="PEM",
        help="a certificate trusted to sign tree heads (repeat after a key rotation);"
        " --config adds the gateway's own",
    )
    verify.set_defaults(func=_audit_verify)

    tree_head = asub.add_parser(
        "tree-head", parents=[common], help="print the tree and its latest signed head (JSON)"
    )
    _add_where(tree_head)
    tree_head.add_argument(
        "--sign",
        action="store_true",
        help="sign the current tree head first, with the gateway's signing key (needs --config)",
    )
    tree_head.set_defaults(func=_audit_tree_head)

    proof = asub.add_parser(
        "proof", parents=[common], help="print an RFC 9162 inclusion or consistency proof (JSON)"
    )
    _add_where(proof)
    kind = proof.add_mutually_exclusive_group(required=True)
    kind.add_argument(
        "--inclusion", type=_count, metavar="INDEX", help="prove that record INDEX is in the tree"
    )
    kind.add_argument(
        "--consistency",
        type=_count,
        nargs=2,
        metavar=("M", "N"),
        help="prove that the tree of N records extends the tree of M records",
    )
    proof.add_argument(
        "--size",
        type=_count,
        metavar="N",
        help="with --inclusion: the tree of N records (default: the latest signed tree head)",
    )
    proof.set_defaults(func=_audit_proof)
    _add_audit_bodies(asub, common)
    _add_audit_bundles(asub, common)


def _add_audit_bundles(
    asub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """``audit prove`` and ``audit check``: evidence bundles (docs/audit-log.md)."""
    prove = asub.add_parser(
        "prove",
        parents=[common],
        help="write one exchange's evidence bundle: records, proofs, signed tree head,"
        " certificates and the signed directory, in one JSON file",
    )
    prove.add_argument("exchange_id", metavar="EXCHANGE_ID", help="the exchange's X-Road-Id")
    prove.add_argument("-o", "--out", type=Path, required=True, help="the bundle file to write")
    where = prove.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--config", type=Path, help="the gateway's TOML file (signs a tree head if needed)"
    )
    where.add_argument("--data-dir", type=Path, help="the gateway's data directory")
    prove.add_argument(
        "--trust-anchor",
        type=Path,
        action="append",
        default=[],
        metavar="PEM",
        help="the federation operator's certificate (default with --config: the configured one)",
    )
    prove.add_argument(
        "--directory",
        type=Path,
        action="append",
        default=[],
        metavar="JWS",
        help="a signed directory to consider besides the ones the gateway kept",
    )
    prove.set_defaults(func=_audit_prove)

    check = asub.add_parser(
        "check",
        parents=[common],
        help="check an evidence bundle offline; exit 1 naming the first failing check",
    )
    check.add_argument("file", type=Path, metavar="FILE", help="the bundle")
    check.add_argument(
        "--trust-anchor",
        type=Path,
        action="append",
        required=True,
        metavar="OPERATOR_CERT",
        help="the federation operator's certificate (repeat after an operator key rotation)",
    )
    check.set_defaults(func=_audit_check)


def _add_witness(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    witness = sub.add_parser(
        "witness", parents=[common], help="the peers' tree heads this gateway has witnessed"
    )
    wsub = witness.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = wsub.add_parser(
        "list",
        parents=[common],
        help="every peer's latest tree head and state, and every inconsistency found",
    )
    _add_witness_where(listing)
    listing.set_defaults(func=_witness_list)
    show = wsub.add_parser(
        "show", parents=[common], help="export the evidence of an inconsistency (JSON)"
    )
    show.add_argument("number", type=_count, help="the inconsistency's number (see list)")
    show.add_argument("-o", "--out", type=Path, help="write it to this file")
    _add_witness_where(show)
    show.set_defaults(func=_witness_show)
    clear = wsub.add_parser(
        "clear",
        parents=[common],
        help="exchange with a refused member again; its next tree head is the new baseline",
    )
    clear.add_argument("member", help="the member, INSTANCE/CLASS/CODE")
    _add_witness_where(clear)
    clear.set_defaults(func=_witness_clear)


def _add_witness_where(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--data-dir", type=Path, help="the gateway's data directory")
    where.add_argument("--db", type=Path, help="the witness database file")
    where.add_argument("--config", type=Path, help="the gateway's TOML file")


def _witness_db(args: argparse.Namespace) -> Path:
    from gateway.audit.witness import WITNESS_DB
    from gateway.settings import Settings

    if args.config is not None:
        return Settings.from_toml(args.config).data_dir / WITNESS_DB
    return Path(args.db or args.data_dir / WITNESS_DB)


def _witness_list(args: argparse.Namespace) -> int:
    from gateway.audit.witness_commands import list_witnessed

    return list_witnessed(_witness_db(args), as_json=args.json)


def _witness_show(args: argparse.Namespace) -> int:
    from gateway.audit.witness_commands import show_evidence

    return show_evidence(_witness_db(args), number=args.number, out=args.out)


def _witness_clear(args: argparse.Namespace) -> int:
    from gateway.audit.witness_commands import clear_peer

    return clear_peer(_witness_db(args), args.member)


def _add_where(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--data-dir", type=Path, help="the gateway's data directory")
    where.add_argument("--db", type=Path, help="the audit database file")
    where.add_argument("--config", type=Path, help="the gateway's TOML file")


def _count(text: str) -> int:
    """A record index or tree size: a non-negative integer."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


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


def _audit_db(args: argparse.Namespace) -> tuple[AuditSource, Settings | None]:
    """The audit database the arguments name, and the settings when --config gave it
    (whose [storage] may name PostgreSQL)."""
    from gateway.node import AUDIT_DB
    from gateway.settings import Settings
    from gateway.storage.factory import audit_source

    if args.config is not None:
        settings = Settings.from_toml(args.config)
        return audit_source(settings), settings
    return (args.db or args.data_dir / AUDIT_DB), None


def _audit_verify(args: argparse.Namespace) -> int:
    from gateway._crypto import load_certificate
    from gateway.audit.commands import verify

    db, settings = _audit_db(args)
    certificates = [load_certificate(p, key_name="--signing-cert") for p in args.signing_cert]
    if settings is not None:
        key = "signing.certificate"
        certificates.append(load_certificate(settings.signing.certificate, key_name=key))
    return verify(
        db,
        certificates=certificates or None,  # none given: the log's own, and it says so
        member=None if settings is None else settings.member.id,
        as_json=args.json,
    )


def _audit_tree_head(args: argparse.Namespace) -> int:
    from gateway.audit.commands import print_tree_head

    db, settings = _audit_db(args)
    signer = None
    if args.sign:
        if settings is None:
            raise ConfigError("--sign", "needs --config: the gateway's signing key signs the head")
        signer = _tree_head_signer(settings)
    return print_tree_head(db, signer=signer)


def _tree_head_signer(settings: Settings) -> TreeHeadSigner:
    from gateway.audit.tree_head import TreeHeadSigner
    from gateway.key_files import KeyFiles

    pair = KeyFiles.of("signing", settings.signing).read()  # with its passphrase, if any
    return TreeHeadSigner(pair.key, pair.certificate, settings.member.id)


def _audit_proof(args: argparse.Namespace) -> int:
    from gateway.audit.commands import print_consistency, print_inclusion

    db, _ = _audit_db(args)
    if args.consistency is not None:
        if args.size is not None:
            raise ConfigError("--size", "goes with --inclusion; --consistency names both sizes")
        first, second = args.consistency
        return print_consistency(db, first, second)
    return print_inclusion(db, index=args.inclusion, size=args.size)


def _audit_prove(args: argparse.Namespace) -> int:
    from gateway._crypto import load_certificate
    from gateway.audit.bundle_commands import prove
    from gateway.settings import Settings

    anchors = [load_certificate(p, key_name="--trust-anchor") for p in args.trust_anchor]
    signer, settings = None, None
    if args.config is not None:
        settings = Settings.from_toml(args.config)
        data_dir = settings.data_dir
        signer = _tree_head_signer(settings)
        if not anchors:
            key = "directory.trust_anchor"
            anchors.append(load_certificate(settings.directory.trust_anchor, key_name=key))
    else:
        data_dir = args.data_dir
        if not anchors:
            raise ConfigError(
                "--trust-anchor", "needed with --data-dir: prove writes only a bundle that checks"
            )
    return prove(
        data_dir,
        args.exchange_id,
        args.out,
        anchors,
        signer=signer,
        directories=args.directory,
        as_json=args.json,
        settings=settings,
    )


def _audit_check(args: argparse.Namespace) -> int:
    from gateway._crypto import load_certificate
    from gateway.audit.bundle_commands import check

    anchors = [load_certificate(p, key_name="--trust-anchor") for p in args.trust_anchor]
    return check(args.file, anchors, as_json=args.json)


def _add_audit_bodies(
    asub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """``audit body``, ``purge-bodies`` and ``body-key``: the sealed message bodies."""
    body = asub.add_parser(
        "body",
        parents=[common],
        help="decrypt one record's message body, check it against the record's digest, write it",
    )
    body.add_argument("exchange_id", metavar="EXCHANGE_ID", help="the exchange's X-Road-Id")
    body.add_argument("--kind", choices=("request", "response"), required=True)
    body.add_argument(
        "--direction",
        choices=("outbound", "inbound"),
        help="when the log has both (a gateway that called itself)",
    )
    body.add_argument("--seq", type=_count, help="the record's number, when an id was reused")
    body.add_argument("-o", "--out", type=Path, help="write it here (default: stdout)")
    _add_where(body)
    _add_body_keys(body)
    body.set_defaults(func=_audit_body)

    purge = asub.add_parser(
        "purge-bodies",
        parents=[common],
        help="delete the message bodies past their retention now (the gateway does it hourly)",
    )
    purge.add_argument("--config", type=Path, required=True, help="the gateway's TOML file")
    purge.set_defaults(func=_audit_purge_bodies)

    key = asub.add_parser("body-key", parents=[common], help="the keys that seal message bodies")
    ksub = key.add_subparsers(dest="key_action", required=True, metavar="ACTION")
    new = ksub.add_parser(
        "new", parents=[common], help="create a key file: 32 random bytes, mode 0600"
    )
    new.add_argument("file", type=Path, metavar="FILE")
    new.set_defaults(func=_audit_body_key_new)
    listing = ksub.add_parser(
        "list", parents=[common], help="the keys and how many stored bodies each one sealed"
    )
    _add_where(listing)
    _add_body_keys(listing)
    listing.set_defaults(func=_audit_body_key_list)


def _add_body_keys(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a body key file (repeat for old keys); default: the configured keys, or the"
        " data directory's audit-body.key",
    )


def _body_keyring(args: argparse.Namespace, settings: Settings | None) -> BodyKeyring | None:
    from gateway.audit.body_commands import keyring_of
    from gateway.node import BODY_KEY_FILE

    paths = list(args.key)
    if settings is not None:
        paths += [p for p in settings.audit.body_keys if p not in paths]
    data_dir = settings.data_dir if settings is not None else args.data_dir
    default = data_dir / BODY_KEY_FILE if data_dir is not None else None
    return keyring_of(paths, default, key_name="--key" if args.key else "audit.body_keys")


def _audit_body(args: argparse.Namespace) -> int:
    from gateway.audit.body_commands import print_body

    db, settings = _audit_db(args)
    return print_body(
        db,
        _body_keyring(args, settings),
        args.exchange_id,
        kind=args.kind,
        direction=args.direction,
        seq=args.seq,
        out=args.out,
        as_json=args.json,
    )


def _audit_purge_bodies(args: argparse.Namespace) -> int:
    from gateway.audit.body_commands import purge
    from gateway.audit.body_policy import BodyRules
    from gateway.settings import Settings
    from gateway.storage.factory import audit_source

    settings = Settings.from_toml(args.config)
    return purge(audit_source(settings), BodyRules.from_settings(settings), as_json=args.json)


def _audit_body_key_new(args: argparse.Namespace) -> int:
    from gateway.audit.body_commands import new_key

    return new_key(args.file, as_json=args.json)


def _audit_body_key_list(args: argparse.Namespace) -> int:
    from gateway.audit.body_commands import list_keys

    db, settings = _audit_db(args)
    return list_keys(db, _body_keyring(args, settings), as_json=args.json)


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
