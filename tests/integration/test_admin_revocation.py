"""Taking admin tokens back, on a real gateway: one token by its id, or every token a
subject was given so far; by the API (an audited act) or by ``xgw admin revoke``.

Every answer is checked against the OpenAPI document (tests/integration/admin_support.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
import pytest

from gateway.admin.revocations import REVOCATIONS_FILE, revocations_path, revoke
from gateway.admin.tokens import Role, issue_token, token_key
from gateway.cli import main
from gateway.errors import AdminError
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
    # A token issued after the revocation's second is erin's again (iat has whole seconds).
    settings = api.settings
    later = issue_token(
        token_key(settings),
        settings.member.id,
        subject="erin",
        role=Role.AUDITOR,
        ttl=600,
        now=time.time() + 2,
    )
    assert (await status(running, later))[0] == 200


@pytest.mark.parametrize(
    "body",
    [{}, {"token_id": "a", "subject": "b"}, {"subject": 7}, {"subject": ""}, {"x": "y"}],
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


async def test_an_unreadable_list_refuses_every_token_until_repaired(running: Running) -> None:
    api = running.api
    token = token_for(api.settings, Role.ADMIN)
    listed = revocations_path(api.settings)
    assert listed.name == REVOCATIONS_FILE
    listed.write_text('{"tokens": []')
    code, detail = await status(running, token)
    assert code == 401 and "cannot read its list of revoked admin tokens" in detail
    listed.write_text('{"tokens": {}, "subjects": {}}')
    assert (await status(running, token))[0] == 200


def test_entries_are_dropped_once_every_token_they_refuse_has_expired(tmp_path: Path) -> None:
    path = tmp_path / REVOCATIONS_FILE
    first = revoke(path, max_ttl=3600, subject="judy", now=1_000_000)
    revoke(path, max_ttl=3600, token_id="jti-1", now=1_000_000)
    revoke(path, max_ttl=3600, token_id="jti-2", now=first.kept_until - 1)
    assert set(json.loads(path.read_text())["subjects"]) == {"judy"}
    assert set(json.loads(path.read_text())["tokens"]) == {"jti-1", "jti-2"}
    revoke(path, max_ttl=3600, token_id="jti-3", now=first.kept_until)
    assert json.loads(path.read_text()) == {
        "subjects": {},
        "tokens": {"jti-2": first.kept_until - 1, "jti-3": first.kept_until},
    }
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(AdminError, match="not both"):
        revoke(path, max_ttl=3600, token_id="a", subject="b")
