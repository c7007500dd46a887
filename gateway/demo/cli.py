"""``xgw demo init`` and ``xgw demo register``: the demo federation as separate processes.

Usage::

    xgw demo init --state-dir /state [--storage postgresql] [--valid-hours 24] \\
        --gateway DE=de:8443 --gateway EE=ee:8443 --gateway NL=nl:8443 \\
        --register DE=http://register-de:9001 --register EE=http://register-ee:9002 \\
        --register BE=https://magda:9443
    xgw demo register DE|EE|BE --listen HOST:PORT [--tls-cert PEM --tls-key KEY]

    add_commands(demo_parser, common)    # gateway.cli, inside ``xgw demo``

What docker/compose.yaml runs (docs/docker.md): an init step that lays the federation out
for the gateways' host names (gateway.demo.deployment), and one register per container
(gateway.demo.register_server). Only argparse is imported here; the work is imported
when a command runs (gateway.settings is loaded by ``xgw`` anyway).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gateway.errors import ConfigError
from gateway.settings import STORAGE_ENGINES

__all__ = ["add_commands"]

_REGISTER_KEYS = ("DE", "EE", "BE")


def add_commands(demo: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add ``init`` and ``register`` under ``xgw demo`` (plain ``xgw demo`` stays as it is)."""
    parts = demo.add_subparsers(dest="demo_part", metavar="PART")
    init = parts.add_parser(
        "init",
        parents=[common],
        help="write the certificates, keys, signed directory and each gateway's config for"
        " members on separate hosts (containers); later runs publish the directory again",
    )
    init.add_argument(
        "--state-dir", type=Path, required=True, help="where everything goes (one dir per role)"
    )
    init.add_argument(
        "--gateway",
        action="append",
        type=_host_port_of,
        required=True,
        metavar="KEY=HOST:PORT",
        help="where peers reach the gateway of DE, EE, NL (repeat for each)",
    )
    init.add_argument(
        "--register",
        action="append",
        type=_url_of,
        required=True,
        metavar="KEY=URL",
        help="the register of DE, EE (http) and BE (MAGDA, https) (repeat for each)",
    )
    init.add_argument(
        "--storage",
        choices=STORAGE_ENGINES,
        default="sqlite",
        help="the gateways' storage engine; postgresql takes its DSN from XGW_STORAGE_DSN",
    )
    init.add_argument(
        "--valid-hours", type=float, default=24.0, help="the published directory's validity"
    )
    init.set_defaults(func=_init)

    register = parts.add_parser(
        "register", parents=[common], help="run one demo register on its own until SIGTERM"
    )
    register.add_argument("register", choices=_REGISTER_KEYS, metavar="DE|EE|BE")
    register.add_argument(
        "--listen", type=_address_of, required=True, metavar="HOST:PORT", help="where to listen"
    )
    register.add_argument("--tls-cert", type=Path, help="serve HTTPS with this certificate")
    register.add_argument("--tls-key", type=Path, help="and this key")
    register.set_defaults(func=_register)


def _address_of(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, int(port)


def _host_port_of(text: str) -> tuple[str, tuple[str, int]]:
    key, sep, address = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=HOST:PORT")
    return key.upper(), _address_of(address)


def _url_of(text: str) -> tuple[str, str]:
    key, sep, url = text.partition("=")
    if not sep or not url:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=URL")
    return key.upper(), url


def _init(args: argparse.Namespace) -> int:
    from gateway.demo.deployment import init_deployment

    for option, given in (("--gateway", args.gateway), ("--register", args.register)):
        keys = [key for key, _ in given]
        if len(set(keys)) != len(keys):
            raise ConfigError(option, f"names a member twice: {' '.join(keys)}")
    deployment = init_deployment(
        args.state_dir,
        dict(args.gateway),
        dict(args.register),
        storage=args.storage,
        valid_hours=args.valid_hours,
    )
    if args.json:
        print(json.dumps(deployment.to_json(), indent=2))
        return 0
    done = "laid out" if deployment.created else "kept (laid out before)"
    print(f"demo federation {done} in {deployment.state_dir}:")
    for key, url in deployment.gateway_urls.items():
        member = deployment.members[key]
        print(f"  {key} {member.id:<18} {url:<26} {deployment.configs[key]}")
    publication = deployment.publication
    print(
        f"published directory sequence {publication.sequence}, valid until "
        f"{publication.expires.isoformat()}, to {publication.path}"
    )
    return 0


def _register(args: argparse.Namespace) -> int:
    import asyncio

    from gateway.demo.register_server import serve_register

    def started(url: str) -> None:
        print(f"demo register {args.register} listening on {url}", flush=True)

    return asyncio.run(
        serve_register(
            args.register,
            args.listen,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            started=started,
        )
    )
