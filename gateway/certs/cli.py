"""``xgw certs ...``: keys and certificates (docs/certificates.md).

Usage::

    xgw certs init-ca [--out certs/ca] [--name NAME] [--passphrase-file F]
    xgw certs csr DE/GOV/05974028 --usage tls --out certs/de-tls [--host gw.example]
    xgw certs issue certs/de-tls.csr --ca certs/ca [-o certs/de-tls.pem]
    xgw certs import partner.pem --usage tls [--ca-cert partner-ca.pem] [--config de.toml]
    xgw certs list [--dir certs] [--config de.toml]
    xgw certs show 3f2a9c1e [--config de.toml]
    xgw certs rotate --config de.toml --usage tls [--ca certs/ca]
    xgw certs install-next de-tls-next.pem --config de.toml --usage tls
    xgw certs revoke ...                       (gateway/federation/cli.py)

Each command calls the service layer in gateway/certs/ and prints its result, or
its ``to_json()`` with ``--json``. Refusals are GatewayErrors that ``main`` prints
(exit 1; a bad setting or passphrase file exits 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway._crypto import load_certificate, read_passphrase
from gateway.certs.authority import (
    DEFAULT_CA_DAYS,
    DEFAULT_CA_NAME,
    DEFAULT_DAYS,
    init_ca,
    issue_certificate,
    load_ca,
)
from gateway.certs.checks import END_ENTITY_USAGES, USAGES
from gateway.certs.inspect import CertificateInfo
from gateway.certs.inventory import (
    DEFAULT_DIRECTORY,
    Inventory,
    ca_certificates,
    find_certificate,
    import_certificate,
    load_inventory,
    reserved_paths,
)
from gateway.certs.keys import DEFAULT_KEY_TYPE, NEW_KEY_TYPES
from gateway.certs.requests import create_csr
from gateway.certs.rotate import ROTATION_USAGES, install_next, rotate
from gateway.errors import ConfigError
from gateway.federation import cli as federation_cli
from gateway.settings import Settings

if TYPE_CHECKING:
    from cryptography import x509

    from gateway.pki import CertificateAuthority

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["add_commands"]


def add_commands(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    """Add the ``certs`` command group to ``xgw``."""
    certs = sub.add_parser("certs", parents=[common], help="keys and certificates")
    csub = certs.add_subparsers(dest="action", required=True, metavar="ACTION")
    federation_cli.add_revoke_command(csub, common)
    _add_init_ca(csub, common)
    _add_csr(csub, common)
    _add_issue(csub, common)
    _add_import(csub, common)
    _add_list_and_show(csub, common)
    _add_rotate(csub, common)
    _add_install_next(csub, common)


# ---------------------------------------------------------------------- parsers


def _add_init_ca(csub: Subparsers, common: argparse.ArgumentParser) -> None:
    init = csub.add_parser(
        "init-ca", parents=[common], help="make a development or federation CA (ca.pem, ca.key)"
    )
    init.add_argument(
        "--out", type=Path, default=DEFAULT_DIRECTORY / "ca", help="its directory (certs/ca)"
    )
    init.add_argument("--name", default=DEFAULT_CA_NAME, help="its common name")
    init.add_argument("--days", type=int, default=DEFAULT_CA_DAYS, help="validity in days")
    _add_key_type(init)
    _add_passphrase_file(init, "encrypt the CA key with the passphrase in this file")
    init.set_defaults(func=_init_ca)


def _add_csr(csub: Subparsers, common: argparse.ArgumentParser) -> None:
    csr = csub.add_parser(
        "csr", parents=[common], help="a new key pair and a certificate signing request (PKCS#10)"
    )
    csr.add_argument(
        "subject", help="the X-Road identifier: the member (tls, signing) or subsystem (client)"
    )
    csr.add_argument("--usage", required=True, choices=END_ENTITY_USAGES)
    csr.add_argument(
        "--out", type=Path, required=True, help="STEM: writes STEM.key (0600) and STEM.csr"
    )
    csr.add_argument(
        "--host",
        action="append",
        default=[],
        help="a DNS name or IP address of a tls certificate (repeat)",
    )
    _add_key_type(csr)
    csr.add_argument(
        "--key",
        type=Path,
        help="sign with this existing key instead of a new one (never the key of another usage)",
    )
    _add_passphrase_file(csr, "encrypt the new key (or read --key) with this file's passphrase")
    _add_inventory(csr, "certificates whose keys --key must not be", config=True)
    csr.set_defaults(func=_csr)


def _add_issue(csub: Subparsers, common: argparse.ArgumentParser) -> None:
    issue = csub.add_parser("issue", parents=[common], help="issue a certificate for a CSR")
    issue.add_argument("csr", type=Path, metavar="CSR", help="the PEM request")
    _add_ca(issue, required=True)
    issue.add_argument("--usage", choices=END_ENTITY_USAGES, help="default: what the CSR asks for")
    issue.add_argument("--days", type=int, default=DEFAULT_DAYS, help="validity in days")
    issue.add_argument("-o", "--out", type=Path, help="the certificate (default: CSR as .pem)")
    issue.set_defaults(func=_issue)


def _add_import(csub: Subparsers, common: argparse.ArgumentParser) -> None:
    imp = csub.add_parser(
        "import",
        parents=[common],
        help="check a partner's or a CA's certificate and keep it in the inventory",
    )
    imp.add_argument("certificate", type=Path, metavar="PEM")
    imp.add_argument("--usage", required=True, choices=USAGES)
    _add_ca_certs(imp)
    imp.add_argument("--name", help="its file name in the inventory (default: from its subject)")
    _add_inventory(imp, "where it is kept", config=True)
    imp.set_defaults(func=_import)


def _add_list_and_show(csub: Subparsers, common: argparse.ArgumentParser) -> None:
    listing = csub.add_parser(
        "list", parents=[common], help="the inventory: every certificate, its role and status"
    )
    _add_inventory(listing, "the inventory", config=True)
    _add_warn_days(listing)
    listing.set_defaults(func=_list)
    show = csub.add_parser("show", parents=[common], help="one certificate in detail")
    show.add_argument("ref", metavar="REF", help="a file, or 8+ hex digits of a fingerprint")
    _add_inventory(show, "the inventory", config=True)
    _add_warn_days(show)
    show.set_defaults(func=_show)


def _add_rotate(csub: Subparsers, common: argparse.ArgumentParser) -> None:
    rotate = csub.add_parser(
        "rotate",
        parents=[common],
        help="stage the node's next tls or signing key pair (certificate or CSR)",
    )
    rotate.add_argument("--config", type=Path, required=True, help="the node's TOML file")
    rotate.add_argument("--usage", required=True, choices=ROTATION_USAGES)
    _add_ca(rotate, required=False, extra=" (without: a CSR for an external CA)")
    rotate.add_argument("--days", type=int, default=DEFAULT_DAYS, help="validity in days")
    _add_key_type(rotate)
    rotate.add_argument(
        "--host",
        action="append",
        help="a host name of the next tls certificate (repeat; default: the current one's)",
    )
    rotate.add_argument("--force", action="store_true", help="replace a staged next pair")
    rotate.set_defaults(func=_rotate)


def _add_install_next(csub: Subparsers, common: argparse.ArgumentParser) -> None:
    install = csub.add_parser(
        "install-next",
        parents=[common],
        help="check an external CA's certificate for the staged next key and stage it",
    )
    install.add_argument("certificate", type=Path, metavar="CERT")
    install.add_argument("--config", type=Path, required=True, help="the node's TOML file")
    install.add_argument("--usage", required=True, choices=ROTATION_USAGES)
    _add_ca_certs(install)
    _add_inventory(install, "its CA certificates are the default --ca-cert")
    install.add_argument("--force", action="store_true", help="replace a staged certificate")
    install.set_defaults(func=_install_next)


def _add_warn_days(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warn-days",
        type=float,
        help="expiring within this many days (default: operations.expiry_warning_days, or 30)",
    )


def _add_key_type(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key-type",
        choices=NEW_KEY_TYPES,
        default=DEFAULT_KEY_TYPE,
        help=f"the new key (default {DEFAULT_KEY_TYPE})",
    )


def _add_passphrase_file(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--passphrase-file", type=Path, metavar="FILE", help=text)


def _add_ca(parser: argparse.ArgumentParser, *, required: bool, extra: str = "") -> None:
    parser.add_argument(
        "--ca", type=Path, required=required, metavar="DIR", help=f"a CA from init-ca{extra}"
    )
    parser.add_argument(
        "--ca-passphrase-file", type=Path, metavar="FILE", help="the CA key's passphrase"
    )


def _add_ca_certs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ca-cert",
        type=Path,
        action="append",
        default=[],
        metavar="PEM",
        help="a CA certificate it must chain to (repeat; default: the inventory's CAs)",
    )


def _add_inventory(parser: argparse.ArgumentParser, text: str, *, config: bool = False) -> None:
    parser.add_argument(
        "--dir", type=Path, metavar="DIR", help=f"the inventory directory (certs/): {text}"
    )
    if config:
        parser.add_argument(
            "--config", type=Path, help="the node's TOML file: its configured certificates too"
        )


# ---------------------------------------------------------------------- commands


def _init_ca(args: argparse.Namespace) -> int:
    made = init_ca(
        args.out,
        name=args.name,
        days=args.days,
        key_type_name=args.key_type,
        passphrase=_passphrase(args.passphrase_file, "--passphrase-file"),
    )
    if not _emit_json(args, made.to_json()):
        print(f"CA certificate: {made.certificate_path}")
        print(f"CA key: {made.key_path} ({_key_note(made.key_encrypted)})")
        _print_summary(made.certificate)
    return 0


def _csr(args: argparse.Namespace) -> int:
    passphrase = _passphrase(args.passphrase_file, "--passphrase-file")
    inventory = _inventory(args) if args.key is not None else None
    made = create_csr(
        args.subject,
        args.usage,
        args.out,
        key_type_name=args.key_type,
        hosts=args.host,
        passphrase=passphrase,
        existing_key=args.key,
        inventory=inventory,
    )
    if not _emit_json(args, made.to_json()):
        key = (
            f"new {made.key_type} key, {_key_note(made.key_encrypted)}"
            if made.key_created
            else "existing key"
        )
        print(f"request: {made.csr_path} (a {made.usage} certificate for {made.subject})")
        print(f"key: {made.key_path} ({key})")
        if made.hosts:
            print(f"  hosts: {', '.join(made.hosts)}")
        print(f"  public key sha256: {made.public_key_sha256}")
    return 0


def _issue(args: argparse.Namespace) -> int:
    ca = _load_ca(args)
    out = args.out or args.csr.with_suffix(".pem")
    issued = issue_certificate(
        ca, _read(args.csr, "CSR"), usage=args.usage, days=args.days, out=out, source=str(args.csr)
    )
    if not _emit_json(args, issued.to_json()):
        print(f"issued {out}")
        _print_summary(issued.info)
    return 0


def _import(args: argparse.Namespace) -> int:
    anchors = _ca_certs(args) or None
    settings = Settings.from_toml(args.config) if args.config is not None else None
    imported = import_certificate(
        _read(args.certificate, "certificate"),
        usage=args.usage,
        directory=args.dir or DEFAULT_DIRECTORY,
        anchors=anchors,
        name=args.name,
        reserved=reserved_paths(settings) if settings is not None else (),
        source=str(args.certificate),
    )
    if not _emit_json(args, imported.to_json()):
        print(f"imported {args.certificate} as {imported.path}: checked key type, validity,")
        print(f"  usage ({args.usage}) and chain (to {imported.checked_against})")
        _print_summary(imported.certificate)
    return 0


def _list(args: argparse.Namespace) -> int:
    inventory = _inventory(args)
    _print_warnings(inventory.warnings)
    if _emit_json(args, inventory.to_json()):
        return 0
    if not inventory.certificates:
        print("no certificates")
        return 0
    print(_row("STATUS", "DAYS", "ROLE", "USAGE", "KEY", "FINGERPRINT", "SUBJECT", "PATH"))
    for info in inventory.certificates:
        print(
            _row(
                info.status,
                str(info.days_left),
                info.role or "-",
                info.usage,
                info.key_type,
                info.fingerprint[:16],
                info.subject,
                str(info.path),
            )
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    inventory = _inventory(args)
    info = find_certificate(inventory, args.ref)
    if not _emit_json(args, info.to_json()):
        for label, value in _details(info):
            print(f"{label:<20}{value}")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    settings = Settings.from_toml(args.config)
    staged = rotate(
        settings,
        args.usage,
        ca=_load_ca(args) if args.ca is not None else None,
        days=args.days,
        key_type_name=args.key_type,
        hosts=args.host,
        force=args.force,
        config_path=args.config,
    )
    if not _emit_json(args, staged.to_json()):
        key = f"{staged.key_type} {_key_note(staged.key_encrypted)}"
        print(f"next {staged.usage} key: {staged.key_path} ({key})")
        if staged.certificate is not None:
            print(f"next {staged.usage} certificate: {staged.certificate_path}")
            _print_summary(staged.certificate)
        else:
            print(f"request for an external CA: {staged.csr_path}")
        _print_steps(staged.next_steps)
    return 0


def _install_next(args: argparse.Namespace) -> int:
    settings = Settings.from_toml(args.config)
    installed = install_next(
        settings,
        args.usage,
        _read(args.certificate, "certificate"),
        anchors=_ca_certs(args) or ca_certificates(args.dir or DEFAULT_DIRECTORY),
        force=args.force,
        source=str(args.certificate),
    )
    if not _emit_json(args, installed.to_json()):
        print(
            f"staged {args.certificate} as the next {installed.usage} certificate:"
            f" {installed.certificate_path} (chains to {installed.checked_against})"
        )
        _print_summary(installed.certificate)
        _print_steps(installed.next_steps)
    return 0


# ---------------------------------------------------------------------- helpers


def _inventory(args: argparse.Namespace) -> Inventory:
    settings = Settings.from_toml(args.config) if args.config is not None else None
    directory = args.dir
    if directory is None and (settings is None or DEFAULT_DIRECTORY.is_dir()):
        directory = DEFAULT_DIRECTORY
    return load_inventory(directory, settings, warn_days=getattr(args, "warn_days", None))


def _load_ca(args: argparse.Namespace) -> CertificateAuthority:
    return load_ca(args.ca, _passphrase(args.ca_passphrase_file, "--ca-passphrase-file"))


def _ca_certs(args: argparse.Namespace) -> list[x509.Certificate]:
    return [load_certificate(path, key_name="--ca-cert") for path in args.ca_cert]


def _passphrase(path: Path | None, key_name: str) -> bytes | None:
    return None if path is None else read_passphrase(path, key_name=key_name)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(what, f"cannot read {path}: {exc.strerror or exc}") from None


def _emit_json(args: argparse.Namespace, document: dict[str, Any]) -> bool:
    if args.json:
        print(json.dumps(document, indent=2))
    return bool(args.json)


def _key_note(encrypted: bool) -> str:
    return "private key, mode 0600" + (", encrypted" if encrypted else "")


def _print_summary(info: CertificateInfo) -> None:
    print(f"  subject      {info.subject}")
    print(f"  issuer       {info.issuer}")
    print(f"  usage        {info.usage}, key {info.key_type}")
    print(f"  fingerprint  {info.fingerprint}")
    print(f"  valid        {info.not_before:%Y-%m-%d} to {info.not_after:%Y-%m-%d} ({info.status})")


def _print_steps(steps: Iterable[str]) -> None:
    print("next steps:")
    for number, step in enumerate(steps, 1):
        print(f"  {number}. {step}")


def _print_warnings(warnings: Iterable[str]) -> None:
    for warning in warnings:
        print(f"xgw: warning: {warning}", file=sys.stderr)


def _row(*cells: str) -> str:
    widths = (13, 5, 16, 7, 9, 16)
    fixed = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=False))
    return "  ".join([fixed, *cells[len(widths) :]])


def _details(info: CertificateInfo) -> list[tuple[str, str]]:
    where = ", ".join(filter(None, [info.role, info.config_key])) or "-"
    return [
        ("fingerprint", info.fingerprint),
        ("subject", info.subject),
        ("issuer", info.issuer),
        ("serial", info.serial),
        ("usage", info.usage),
        ("role", where),
        ("key type", info.key_type),
        ("public key sha256", info.public_key_sha256),
        ("ca", "yes" if info.is_ca else "no"),
        ("key usage", ", ".join(info.key_usage) or "-"),
        ("extended key usage", ", ".join(info.extended_key_usage) or "-"),
        ("hosts", ", ".join(info.hosts) or "-"),
        ("not before", info.not_before.isoformat()),
        ("not after", info.not_after.isoformat()),
        ("days left", str(info.days_left)),
        ("status", info.status),
        ("path", str(info.path)),
    ]
