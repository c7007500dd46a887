"""Taking admin tokens back, on a real gateway: one token by its id, or every token a
subject was given so far; by the API (an audited act) or by ``xgw admin revoke``.

Every answer is checked against the OpenAPI document (tests/integration/admin_support.py).
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import jwt
import pytest

from gateway.admin.revocations import (
    REVOCATIONS_FILE,
    check_not_revoked,
    revocations_path,
    revoke,
)
from gateway.admin.tokens import LEEWAY, Role, TokenActor
from gateway.cli import main
from gateway.errors import AdminError, UnauthorizedError
from tests.integration.admin_support import Running, admin_records, running, token_for
from tests.integration.test_audit_tree import write_config

__all__ = ["running"]  # the fixture


def token_id(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["jti"])


async def status(running: Running, token: str) -> tuple[int, str]:
    answer = await running.api.call("GET", "/admin/v1/status", role=None, token=token)
    return answer.status, answer.json().get("detail", "")


async def test_one_revoked_token_is_refused_and_the_act_recorded(running: Running) -> None:
    api, de = running.api, running.de
    leaked = token_for(api.settings, Role.AUDITOR, subject="dave")
    other = token_for(api.settings, Role.AUDITOR, subject="dave")
    assert (await status(running, leaked))[0] == 200

    answer = await api.call(
        "POST", "/admin/v1/tokens/revoke", json_body={"token_id": token_id(leaked)}
    )
    assert answer.status == 200
    assert answer.json()["token_id"] == token_id(leaked)
    assert answer.json()["kept_until"] > answer.json()["revoked_at"]

    code, detail = await status(running, leaked)
    assert code == 401 and "has been revoked" in detail
    assert (await status(running, other))[0] == 200  # the same person's other token
    acts = [r for r in admin_records(de) if r["method"] == "admin.tokens.revoke"]
    assert [(a["client"], a["service"], a["status"]) for a in acts] == [
        ("api:alice", f"token/{token_id(leaked)}", 200)
    ]


async def test_a_subject_loses_every_token_issued_so_far_but_not_later_ones(
    running: Running,
) -> None:
    api = running.api
    old = [token_for(api.settings, role, subject="erin") for role in Role]
    bystander = token_for(api.settings, Role.ADMIN, subject="frank")
    answer = await api.call("POST", "/admin/v1/tokens/revoke", json_body={"subject": "erin"})
    assert answer.status == 200 and answer.json()["subject"] == "erin"
    for token in old:
        code, detail = await status(running, token)
        assert code == 401 and "erin issued up to" in detail
    assert (await status(running, bystander))[0] == 200
    # The issuing host's clock may run LEEWAY ahead of the revoking one's: a token
    # stamped up to LEEWAY after the revocation is refused too (the second after that:
    # the unit test below, since a node refuses a token stamped in its future).
    refused_until = answer.json()["refused_until"]
    assert refused_until == answer.json()["revoked_at"] + LEEWAY
    code, detail = await status(
        running, token_for(api.settings, Role.AUDITOR, "erin", issued=refused_until)
    )
    assert code == 401 and "erin issued up to" in detail


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"token_id": "3f0e0c8e-6d7e-4c39-9d43-1f1c8a1f7f10", "subject": "b"},
        {"subject": 7},
        {"subject": ""},
        {"subject": "a:b"},  # no token can name it
        {"token_id": "not-a-token-id"},
        {"x": "y"},
    ],
)
async def test_a_malformed_revocation_is_a_400(running: Running, body: dict[str, object]) -> None:
    answer = await running.api.call("POST", "/admin/v1/tokens/revoke", json_body=body)
    assert answer.status == 400
    assert answer.json()["code"] == "Client.InvalidAdminRequest"


async def test_only_an_admin_may_revoke_and_a_refusal_is_recorded(running: Running) -> None:
    api, de = running.api, running.de
    victim = token_for(api.settings, Role.ADMIN, subject="grace")
    answer = await api.call(
        "POST",
        "/admin/v1/tokens/revoke",
        role=Role.SECURITY_OFFICER,
        json_body={"subject": "grace"},
    )
    assert answer.status == 403
    assert (await status(running, victim))[0] == 200
    refused = [r for r in admin_records(de) if r["method"] == "admin.tokens.revoke"]
    assert [r["status"] for r in refused] == [403]


async def test_xgw_admin_revoke_takes_tokens_back(
    running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    api = running.api
    config = write_config(running.fed, "DE")
    one = token_for(api.settings, Role.AUDITOR, subject="heidi")
    capsys.readouterr()
    assert main(["admin", "revoke", "--config", str(config), "--token-id", token_id(one)]) == 0
    assert token_id(one) in capsys.readouterr().out
    assert (await status(running, one))[0] == 401

    many = [token_for(api.settings, Role.ADMIN, subject="ivan") for _ in range(2)]
    assert main(["admin", "revoke", "--config", str(config), "--subject", "ivan", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["subject"] == "ivan"
    for token in many:
        assert (await status(running, token))[0] == 401
    with pytest.raises(SystemExit) as caught:  # one of the two is required
        main(["admin", "revoke", "--config", str(config)])
    assert caught.value.code == 2


@pytest.mark.parametrize(
    "content",
    ['{"tokens": {}', "[]", '{"tokens": []}', '{"subjects": {"a": {"revoked_at": "x"}}}'],
)
async def test_an_unreadable_list_refuses_every_token_until_repaired(
    running: Running, content: str
) -> None:
    api = running.api
    token = token_for(api.settings, Role.ADMIN)
    listed = revocations_path(api.settings)
    assert listed.name == REVOCATIONS_FILE
    listed.write_text(content)
    answer = await api.call("GET", "/admin/v1/status", role=None, token=token)
    assert answer.status == 500  # the node's fault, not the token's
    assert answer.json()["code"].endswith(".MalformedServerConf")
    assert "cannot be read" in answer.json()["detail"]
    assert str(listed.parent) not in answer.body.decode()  # where the node keeps files
    # A later version's keys are left alone; what this one knows still applies.
    listed.write_text('{"version": 9, "tokens": {}, "subjects": {}, "groups": {}}')
    assert (await status(running, token))[0] == 200


def test_entries_are_dropped_once_every_token_they_refuse_has_expired(tmp_path: Path) -> None:
    path = tmp_path / REVOCATIONS_FILE
    t0, day = 1_000_000, 86400
    subject = revoke(path, max_ttl=day, subject="judy", now=t0)
    assert subject.kept_until >= t0 + day + 2 * LEEWAY  # a token accepted LEEWAY past exp
    token = revoke(path, max_ttl=day, token_id=JTI[0], now=t0)
    # A writer with a shorter max_token_ttl (another node, a lowered setting) drops nothing
    # a longer-lived token could still need.
    revoke(path, max_ttl=60, token_id=JTI[1], now=t0 + 3600)
    listed = json.loads(path.read_text())
    assert set(listed["subjects"]) == {"judy"} and set(listed["tokens"]) == {JTI[0], JTI[1]}
    revoke(path, max_ttl=60, token_id=JTI[2], now=token.kept_until)
    listed = json.loads(path.read_text())
    assert listed["subjects"] == {} and set(listed["tokens"]) == {JTI[2]}
    assert listed["version"] == 1
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(AdminError, match="exactly one"):
        revoke(path, max_ttl=60, token_id=JTI[0], subject="b")
    with pytest.raises(AdminError, match="exactly one"):
        revoke(path, max_ttl=60)


JTI = [str(uuid.UUID(int=n)) for n in range(1, 4)]


async def test_xgw_admin_token_hands_out_no_token_the_node_would_refuse(
    running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(running.fed, "DE")
    assert main(["admin", "revoke", "--config", str(config), "--subject", "kim"]) == 0
    capsys.readouterr()
    token = ["admin", "token", "--config", str(config), "--role", "auditor", "--subject", "kim"]
    assert main(token) == 1  # within LEEWAY of the revocation: it would be refused
    assert "kim issued up to" in capsys.readouterr().err
    assert main([*token[:-1], "someone-else"]) == 0


def test_a_subject_revocation_ends_leeway_seconds_after_it(tmp_path: Path) -> None:
    path = tmp_path / REVOCATIONS_FILE
    entry = revoke(path, max_ttl=600, subject="liam", now=2_000_000)
    assert entry.refused_until == 2_000_000 + LEEWAY

    def actor(issued: float, subject: str = "liam") -> TokenActor:
        return TokenActor(subject, role="admin", token_id=JTI[0], issued=issued)

    for issued in (1_000_000, 2_000_000, entry.refused_until):
        with pytest.raises(UnauthorizedError, match="liam issued up to"):
            check_not_revoked(path, actor(issued))
    check_not_revoked(path, actor(entry.refused_until + 1))
    check_not_revoked(path, actor(2_000_000, subject="Liam"))  # subjects match exactly


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_run_as_root_the_list_stays_the_nodes(tmp_path: Path) -> None:
    """`sudo xgw admin revoke` must not leave a list (or lock) the node's user cannot read."""
    node_dir = tmp_path / "data"
    node_dir.mkdir()
    os.chown(node_dir, 65534, 65534)  # the node's user: here nobody
    path = node_dir / REVOCATIONS_FILE
    revoke(path, max_ttl=600, subject="mia")
    for made in (path, path.with_name(path.name + ".lock")):
        assert (made.stat().st_uid, made.stat().st_gid) == (65534, 65534), made
