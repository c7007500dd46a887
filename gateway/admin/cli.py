"""``xgw admin token`` and ``xgw admin revoke``: bearer tokens for the admin API
(docs/admin-api.md), and taking them back.

Usage::

    xgw admin token --config de.toml --role auditor --subject alice [--ttl 8h]
    curl -H "Authorization: Bearer $(xgw admin token ...)" http://127.0.0.1:8444/admin/v1/status
    xgw admin revoke --config de.toml --token-id 6f1c...    # one token (its jti)
    xgw admin revoke --config de.toml --subject alice        # alice's tokens issued so far

The token is printed on stdout and nowhere else; its key is the node's
``admin.token_key`` (made on first use). Issuing one is not yet a login: the
node records the login when the token is first used.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from gateway.admin.revocations import check_not_revoked, revocations_path, revoke, utc_text
from gateway.admin.tokens import Role, issue_token, token_key, verify_token
from gateway.errors import ConfigError

__all__ = ["add_commands", "parse_duration"]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd]?)")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``8h``, ``2d`` in seconds."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 900, 15m, 8h, 2d)")
    return float(match.group(1)) * _UNIT[match.group(2)]


def add_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``admin`` command group to ``xgw``."""
    admin = sub.add_parser("admin", parents=[common], help="the admin API")
    asub = admin.add_subparsers(dest="action", required=True, metavar="ACTION")
    token = asub.add_parser(
        "token", parents=[common], help="issue a bearer token for the admin API"
    )
    token.add_argument("--config", type=Path, required=True, help="the node's TOML file")
    token.add_argument(
        "--role", required=True, choices=[r.value for r in Role], help="what the token may do"
    )
    token.add_argument("--subject", required=True, help="who acts (written into the audit log)")
    token.add_argument(
        "--ttl", type=parse_duration, help="lifetime (default: admin.token_ttl), e.g. 8h"
    )
    token.set_defaults(func=_token)
    revoke = asub.add_parser(
        "revoke",
        parents=[common],
        help="refuse one admin token, or every token of a subject issued so far",
    )
    revoke.add_argument("--config", type=Path, required=True, help="the node's TOML file")
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--token-id", help="the token's jti (the audit log's admin.login names it)")
    which.add_argument("--subject", help="who: every token issued to them until now")
    revoke.set_defaults(func=_revoke)


def _token(args: argparse.Namespace) -> int:
    from gateway.settings import Settings

    settings = Settings.from_toml(args.config)
    ttl = args.ttl if args.ttl is not None else settings.admin.token_ttl
    longest = settings.admin.max_token_ttl
    if ttl > longest:
        raise ConfigError(
            "--ttl", f"{ttl:.0f} s is longer than admin.max_token_ttl ({longest:.0f} s)"
        )
    key = token_key(settings, create=True)
    token = issue_token(
        key, settings.member.id, subject=args.subject, role=Role(args.role), ttl=ttl
    )
    # Never hand out a token the node would refuse: the subject's tokens may have been
    # revoked a moment ago (they are refused for LEEWAY seconds after a revocation).
    actor = verify_token(key, token, issuer=settings.member.id, max_ttl=longest)
    check_not_revoked(revocations_path(settings), actor)
    if args.json:
        print(json.dumps({"token": token, "role": args.role, "subject": args.subject, "ttl": ttl}))
    else:
        print(token)
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from gateway.settings import Settings

    settings = Settings.from_toml(args.config)
    path = revocations_path(settings)
    entry = revoke(
        path, max_ttl=settings.admin.max_token_ttl, token_id=args.token_id, subject=args.subject
    )
    if args.json:
        print(json.dumps(entry.as_json()))
    elif entry.token_id:
        print(f"revoked admin token {entry.token_id} ({path})")
    else:
        print(
            f"revoked every admin token of {entry.subject} issued up to "
            f"{utc_text(entry.refused_until)}; later ones are valid ({path})"
        )
    return 0
