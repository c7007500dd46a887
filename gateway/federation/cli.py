"""``xgw directory member|subsystem|service|access|cert|ca|publish ...`` and ``xgw certs revoke``.

Usage::

    xgw directory member add NL/GOV/00000001 --name "Gemeente" --gateway-url https://gw:8443 \\
        --tls-cert nl-tls.pem --signing-cert nl-sign.pem --draft draft.json
    xgw directory service add NL/GOV/00000001/brp/personen --type REST \\
        --endpoint "GET /personen/*" --draft draft.json
    xgw directory access grant DE/GOV/05974028/gewerbeamt NL/GOV/00000001/brp/personen \\
        --draft draft.json
    xgw directory publish --draft draft.json --key operator.key --cert operator.pem \\
        -o www/directory.jws [--push https://gw:9444 --token-file admin.token]
    xgw certs revoke old-tls.pem --reason keyCompromise --draft draft.json

Every editing command loads the draft (the unsigned JSON ``xgw directory create``
wrote), makes one change through gateway.federation.draft.Draft, and saves it, holding
the draft's lock throughout (``edit_draft``: concurrent commands and the admin API take
turns); a refused change raises, and ``xgw``'s ``main`` prints why. ``publish`` holds
the lock too, and pushes only after releasing it. ``--json`` prints the result as JSON.
docs/federation-admin.md describes the workflow.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import orjson

from gateway._crypto import load_certificate, load_private_key, read_passphrase
from gateway.errors import AdminError, ConfigError
from gateway.federation._document import revocation_reasons, service_id
from gateway.federation.changes import AccessRight, Change
from gateway.federation.draft import Draft, edit_draft
from gateway.federation.publish import (
    DEFAULT_VALID_HOURS,
    MAX_VALID_HOURS,
    Publication,
    publish_draft,
)
from gateway.federation.push import (
    PushResult,
    admin_directory_url,
    push_directory,
    push_ssl_context,
    read_bearer_token,
)

__all__ = ["add_directory_commands", "add_revoke_command"]

if TYPE_CHECKING:  # argparse's class is not subscriptable at run time
    Parsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF:")


# ---------------------------------------------------------------------------- parsers


def add_directory_commands(dsub: Parsers, common: argparse.ArgumentParser) -> None:
    """Add the operator's editing commands and ``publish`` to the ``directory`` group."""
    editing = [common, _draft_option()]
    _add_member(dsub, editing)
    _add_subsystem(dsub, editing)
    _add_service(dsub, editing)
    _add_access(dsub, editing)
    _add_cert(dsub, editing)
    _add_ca(dsub, editing)
    _add_publish(dsub, editing)


def add_revoke_command(csub: Parsers, common: argparse.ArgumentParser) -> None:
    """Add ``revoke`` to the ``certs`` group: a revocation in the directory draft."""
    revoke = csub.add_parser(
        "revoke",
        parents=[common, _draft_option()],
        help="revoke a certificate in the directory draft (refused from the next publication)",
    )
    revoke.add_argument("certificate", metavar="CERT.pem|SERIAL", help="a file or a hex serial")
    revoke.add_argument(
        "--reason",
        choices=revocation_reasons(),
        default="unspecified",
        metavar="REASON",
        help=f"an RFC 5280 reason (default: unspecified): {', '.join(revocation_reasons())}",
    )
    revoke.set_defaults(func=_certs_revoke)


def _draft_option() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "--draft",
        type=Path,
        required=True,
        metavar="PATH",
        help="the unsigned directory JSON being edited (from 'xgw directory create')",
    )
    return parser


def _group(dsub: Parsers, name: str, parents: list[argparse.ArgumentParser], text: str) -> Parsers:
    group = dsub.add_parser(name, parents=parents[:1], help=text)
    return group.add_subparsers(dest=f"{name}_action", required=True, metavar="ACTION")


def _add_member(dsub: Parsers, parents: list[argparse.ArgumentParser]) -> None:
    msub = _group(dsub, "member", parents, "add, remove or show a member of the draft")
    add = msub.add_parser("add", parents=parents, help="add a gateway or a partner without xgw")
    add.add_argument("member", metavar="ID", help="INSTANCE/CLASS/CODE")
    add.add_argument("--name", required=True)
    add.add_argument("--gateway-url", help="a gateway's https URL for other gateways")
    add.add_argument("--tls-cert", type=Path, action="append", default=[], metavar="PEM")
    add.add_argument("--signing-cert", type=Path, action="append", default=[], metavar="PEM")
    add.add_argument("--partner", choices=("x-road", "native"), help="a partner's protocol")
    add.add_argument("--partner-url", help="where a partner is reached (https)")
    add.add_argument("--request-hash", choices=("xgw", "opaque"), help="x-road partners only")
    add.add_argument(
        "--subsystem", action="append", default=[], metavar="CODE=NAME", help="repeatable"
    )
    add.set_defaults(func=_member_add)
    remove = msub.add_parser(
        "remove", parents=parents, help="remove a member and the access rights naming it"
    )
    remove.add_argument("member", metavar="ID")
    remove.set_defaults(func=_member_remove)
    show = msub.add_parser("show", parents=parents, help="one member in full, or all in brief")
    show.add_argument("member", metavar="ID", nargs="?")
    show.set_defaults(func=_member_show)


def _add_subsystem(dsub: Parsers, parents: list[argparse.ArgumentParser]) -> None:
    ssub = _group(dsub, "subsystem", parents, "add or remove a member's subsystem")
    add = ssub.add_parser("add", parents=parents, help="add a subsystem to a member")
    add.add_argument("member", metavar="ID")
    add.add_argument("code", metavar="CODE")
    add.add_argument("--name", required=True)
    add.set_defaults(func=_subsystem_add)
    remove = ssub.add_parser(
        "remove", parents=parents, help="remove a subsystem without services, with its access"
    )
    remove.add_argument("member", metavar="ID")
    remove.add_argument("code", metavar="CODE")
    remove.set_defaults(func=_subsystem_remove)


def _add_service(dsub: Parsers, parents: list[argparse.ArgumentParser]) -> None:
    ssub = _group(dsub, "service", parents, "add or remove a service")
    add = ssub.add_parser("add", parents=parents, help="add a service of a member's subsystem")
    add.add_argument("service", metavar="SERVICE_ID", help="INSTANCE/CLASS/CODE/SUBSYSTEM/CODE")
    add.add_argument("--type", required=True, choices=("REST", "SOAP"))
    add.add_argument("--format", help="the connector reading its payloads (default: opaque)")
    _endpoint_option(add, "the service's endpoints (none: any method and path)")
    add.add_argument("--version", dest="service_version", help="a SOAP service's serviceVersion")
    add.add_argument("--address", help="a native partner's service: its path below the url")
    add.add_argument("--openapi", help="an http(s) URL or an inline OpenAPI document")
    add.set_defaults(func=_service_add)
    remove = ssub.add_parser(
        "remove", parents=parents, help="remove a service and the access rights to it"
    )
    remove.add_argument("service", metavar="SERVICE_ID")
    remove.set_defaults(func=_service_remove)


def _endpoint_option(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument(
        "--endpoint",
        action="append",
        dest="endpoints",
        metavar="'METHOD /path'",
        help=f"{text}; repeatable; '*' is any method, a bare path too",
    )


def _add_access(dsub: Parsers, parents: list[argparse.ArgumentParser]) -> None:
    asub = _group(dsub, "access", parents, "grant or withdraw access rights")
    for name, func, text in (
        ("grant", _access_grant, "let a subsystem call a service (default: every endpoint)"),
        ("withdraw", _access_withdraw, "withdraw endpoints, or (none given) the whole right"),
    ):
        action = asub.add_parser(name, parents=parents, help=text)
        action.add_argument("client", metavar="CLIENT", help="INSTANCE/CLASS/CODE/SUBSYSTEM")
        action.add_argument("service", metavar="SERVICE_ID")
        _endpoint_option(action, f"the endpoints to {name}")
        action.set_defaults(func=func)


def _add_cert(dsub: Parsers, parents: list[argparse.ArgumentParser]) -> None:
    csub = _group(dsub, "cert", parents, "a member's TLS and signing certificates (rotation)")
    add = csub.add_parser(
        "add", parents=parents, help="add a member's next certificate (at most 2 per usage)"
    )
    add.add_argument("certificate", type=Path, metavar="CERT.pem")
    add.add_argument("--member", required=True, metavar="ID")
    add.add_argument("--usage", required=True, choices=("tls", "signing"))
    add.set_defaults(func=_cert_add)
    remove = csub.add_parser(
        "remove", parents=parents, help="remove a member's old certificate (never its last)"
    )
    remove.add_argument("--member", required=True, metavar="ID")
    remove.add_argument("--fingerprint", required=True, metavar="FP", help="hex SHA-256")
    remove.set_defaults(func=_cert_remove)


def _add_ca(dsub: Parsers, parents: list[argparse.ArgumentParser]) -> None:
    csub = _group(dsub, "ca", parents, "the CAs trusted for members' certificates")
    add = csub.add_parser("add", parents=parents, help="trust another CA")
    add.add_argument("certificate", type=Path, metavar="CA.pem")
    add.set_defaults(func=_ca_add)
    remove = csub.add_parser(
        "remove", parents=parents, help="stop trusting a CA that issued no listed certificate"
    )
    remove.add_argument("--fingerprint", required=True, metavar="FP", help="hex SHA-256")
    remove.set_defaults(func=_ca_remove)


def _add_publish(dsub: Parsers, parents: list[argparse.ArgumentParser]) -> None:
    pub = dsub.add_parser(
        "publish",
        parents=parents,
        help="sign the draft as the next publication, keep it in the history, optionally push",
    )
    pub.add_argument("--key", type=Path, required=True, help="the operator's private key")
    pub.add_argument("--cert", type=Path, required=True, help="the operator's certificate")
    pub.add_argument("--key-passphrase-file", type=Path, metavar="FILE")
    pub.add_argument("-o", "--out", type=Path, required=True, help="the file gateways fetch")
    pub.add_argument(
        "--valid-hours",
        type=float,
        default=DEFAULT_VALID_HOURS,
        help=f"how long gateways accept it (default {DEFAULT_VALID_HOURS:g}, "
        f"at most {MAX_VALID_HOURS:g})",
    )
    pub.add_argument("--history", type=Path, help="default: directories/ beside --out")
    pub.add_argument(
        "--push",
        action="extend",
        nargs="+",
        default=[],
        metavar="URL",
        help="gateways' admin API base URLs: PUT the publication to each now",
    )
    pub.add_argument(
        "--token-file",
        type=Path,
        action="append",
        default=[],
        help="the admin token for --push: once for all gateways, or once per URL in order",
    )
    pub.add_argument("--push-ca", type=Path, metavar="PEM", help="trust for https admin APIs")
    pub.set_defaults(func=_publish)


# ---------------------------------------------------------------------------- commands


def _edit(args: argparse.Namespace, *changes: Callable[[Draft], Change]) -> int:
    """Load the draft, make the changes (all or none), save it, print what changed."""
    with edit_draft(args.draft) as draft:
        done = [change(draft) for change in changes]
    if args.json:
        _print_json({"draft": str(args.draft), "changes": [c.to_json() for c in done]})
    else:
        for change in done:
            print("\n".join(change.lines()))
        print(f"draft {args.draft} saved; 'xgw directory publish' makes it effective")
    return 0


def _member_add(args: argparse.Namespace) -> int:
    partner = None
    if args.partner is not None or args.partner_url is not None:
        partner = {"protocol": args.partner, "url": args.partner_url}
        if args.request_hash is not None:
            partner["request_hash"] = args.request_hash
        if None in partner.values():
            raise AdminError("a partner needs both --partner PROTOCOL and --partner-url URL")
    tls = [_read_file(p, "--tls-cert") for p in args.tls_cert]
    signing = [_read_file(p, "--signing-cert") for p in args.signing_cert]
    subsystems = [_code_and_name(text) for text in args.subsystem]

    def add(draft: Draft) -> Change:
        return draft.add_member(
            args.member,
            args.name,
            gateway_url=args.gateway_url,
            tls_certificates=tls,
            signing_certificates=signing,
            partner=partner,
        )

    def subsystem(code: str, name: str) -> Callable[[Draft], Change]:
        return lambda draft: draft.add_subsystem(args.member, code, name)

    return _edit(args, add, *(subsystem(code, name) for code, name in subsystems))


def _code_and_name(text: str) -> tuple[str, str]:
    code, sep, name = text.partition("=")
    if not sep or not code or not name:
        raise AdminError(f"--subsystem {text!r}: expected CODE=NAME")
    return code, name


def _member_remove(args: argparse.Namespace) -> int:
    return _edit(args, lambda draft: draft.remove_member(args.member))


def _member_show(args: argparse.Namespace) -> int:
    draft = Draft.load(args.draft)
    if args.member is not None:
        member = draft.member_json(args.member)
        if args.json:
            _print_json(member)
        else:
            _print_member(member)
        return 0
    summary = draft.to_json()
    if args.json:
        _print_json(summary)
        return 0
    print(f"draft {args.draft}: {summary['instance']} sequence {summary['sequence']}")
    for member in summary["members"]:
        print(f"  {member['id']}  {member['name']}  ({_where(member)})")
    return 0


def _subsystem_add(args: argparse.Namespace) -> int:
    return _edit(args, lambda draft: draft.add_subsystem(args.member, args.code, args.name))


def _subsystem_remove(args: argparse.Namespace) -> int:
    return _edit(args, lambda draft: draft.remove_subsystem(args.member, args.code))


def _service_add(args: argparse.Namespace) -> int:
    service = service_id(args.service)
    provider = service.provider

    def add(draft: Draft) -> Change:
        return draft.add_service(
            provider.member,
            str(provider.subsystem),
            service.code,
            args.type,
            format=args.format,
            endpoints=args.endpoints,
            version=args.service_version,
            address=args.address,
            openapi=args.openapi,
        )

    return _edit(args, add)


def _service_remove(args: argparse.Namespace) -> int:
    return _edit(args, lambda draft: draft.remove_service(args.service))


def _access_grant(args: argparse.Namespace) -> int:
    return _edit(args, lambda draft: draft.grant(args.client, args.service, args.endpoints))


def _access_withdraw(args: argparse.Namespace) -> int:
    return _edit(args, lambda draft: draft.withdraw(args.client, args.service, args.endpoints))


def _cert_add(args: argparse.Namespace) -> int:
    pem = _read_file(args.certificate, "certificate")
    return _edit(args, lambda draft: draft.add_certificate(args.member, args.usage, pem))


def _cert_remove(args: argparse.Namespace) -> int:
    return _edit(args, lambda draft: draft.remove_certificate(args.member, args.fingerprint))


def _ca_add(args: argparse.Namespace) -> int:
    pem = _read_file(args.certificate, "certificate")
    return _edit(args, lambda draft: draft.add_ca(pem))


def _ca_remove(args: argparse.Namespace) -> int:
    return _edit(args, lambda draft: draft.remove_ca(args.fingerprint))


def _certs_revoke(args: argparse.Namespace) -> int:
    target = _certificate_or_serial(args.certificate)
    return _edit(args, lambda draft: draft.revoke(target, args.reason))


def _certificate_or_serial(text: str) -> bytes | str:
    """A certificate file's content, or the text itself when it is a hex serial."""
    path = Path(text)
    if path.is_file():
        return _read_file(path, "certificate")
    if (text and set(text) <= _HEX_DIGITS) or text.lower().startswith("0x"):
        return text
    raise ConfigError("certificate", f"{text!r} is neither a certificate file nor a hex serial")


def _publish(args: argparse.Namespace) -> int:
    passphrase = _passphrase(args.key_passphrase_file)
    key = load_private_key(args.key, passphrase, key_name="--key")
    cert = load_certificate(args.cert, key_name="--cert")
    bearer, ssl_context = _push_settings(args)  # checked before anything is written
    publication = publish_draft(
        args.draft, key, cert, args.out, valid_hours=args.valid_hours, history=args.history
    )
    for warning in publication.warnings:  # published all the same: push it too
        print(f"warning: {warning}", file=sys.stderr)
    results: list[PushResult] = []
    if args.push:
        results = asyncio.run(
            push_directory(publication.token, args.push, bearer, ssl_context=ssl_context)
        )
    if args.json:
        _print_json(
            {
                "publication": publication.to_json(),
                "draft": str(args.draft),
                "pushed": [result.to_json() for result in results],
            }
        )
    else:
        _print_publication(publication, args.draft, results)
    return 0


def _push_settings(args: argparse.Namespace) -> tuple[list[str], ssl.SSLContext | None]:
    """The admin tokens (one per --push URL) and TLS trust; everything checked up front."""
    if not args.push:
        if args.token_file or args.push_ca is not None:
            raise ConfigError("--push", "--token-file and --push-ca go with --push URL")
        return [], None
    files = args.token_file
    if len(files) not in (1, len(args.push)):
        raise ConfigError(
            "--token-file",
            f"needed with --push: once for every gateway, or once per URL "
            f"({len(args.push)}); got {len(files)}",
        )
    for url in args.push:
        admin_directory_url(url)
    ssl_context = push_ssl_context(args.push_ca) if args.push_ca is not None else None
    tokens = [read_bearer_token(path) for path in files]
    return tokens * len(args.push) if len(tokens) == 1 else tokens, ssl_context


# ---------------------------------------------------------------------------- input, output


def _read_file(path: Path, option: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(option, f"file {path} does not exist") from exc
    except OSError as exc:
        raise ConfigError(option, f"cannot read {path}: {exc.strerror or exc}") from exc


def _passphrase(path: Path | None) -> bytes | None:
    return None if path is None else read_passphrase(path, key_name="--key-passphrase-file")


def _print_json(value: object) -> None:
    print(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def _print_publication(publication: Publication, draft: Path, results: list[PushResult]) -> None:
    print(
        f"published directory {publication.instance} sequence {publication.sequence} "
        f"(expires {publication.to_json()['expires']}), signed with kid {publication.kid}, "
        f"to {publication.path}"
    )
    print(f"kept {publication.history_path}; draft {draft} is at sequence {publication.sequence}")
    print("gateways adopt it at their next refresh" + (", or now:" if results else ""))
    for result in results:
        print(f"  {result.describe()}")


def _where(member: dict[str, Any]) -> str:
    partner = member["partner"]
    if partner is None:
        return f"gateway at {member['gateway_url']}"
    return f"partner without xgw, {partner['protocol']} at {partner['url']}"


def _print_member(member: dict[str, Any]) -> None:
    print(f"member {member['id']}  {member['name']}  ({_where(member)})")
    for usage in ("tls", "signing"):
        for cert in member[f"{usage}_certificates"]:
            status = "  [REVOKED]" if cert["revoked"] else ""
            print(f"  {usage:<8} sha256 {cert['sha256']}{status}")
            print(
                f"  {'':<8} {cert['subject']}, serial {cert['serial']}, expires {cert['not_after']}"
            )
    for subsystem in member["subsystems"]:
        print(f"  subsystem {subsystem['code']} ({subsystem['name']})")
    for service in member["services"]:
        print(f"  service {service['id']}  {service['type']}  format {service['format']}")
        for endpoint in service["endpoints"] or ["* /** (any)"]:
            print(f"    {endpoint}")
    for title, key in (("may call", "access_as_client"), ("is called by", "access_to_services")):
        for right in member[key]:
            print(f"  {title}: {AccessRight.from_entry(right).describe()}")
