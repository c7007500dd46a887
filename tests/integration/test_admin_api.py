"""The admin API on its own listener of a real gateway: tokens, roles, every endpoint.

Every answer is checked against the OpenAPI document the gateway serves
(tests/integration/admin_support.py); every act must leave an audit record that
names its actor, and the log must still verify.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest

from gateway.admin.app import openapi_document
from gateway.admin.tokens import AUDIENCE, Role, issue_token, token_key
from gateway.audit.bundle import check_bundle
from gateway.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from gateway.cli import main
from gateway.directory import sign_directory
from tests.integration.admin_support import (
    EXCHANGE_ID,
    Running,
    admin_records,
    running,
    served_routes,
    token_for,
)
from tests.integration.federation import SERVICE, Harness, call
from tests.integration.test_audit_tree import write_config

__all__ = ["running"]  # the fixture


def pushed_directory(fed: Harness, sequence: int) -> str:
    fed.sequence = sequence
    document = fed.directory_document()
    return sign_directory(document, fed.operator.key, fed.operator.cert)


# ------------------------------------------------------------------ the document


async def test_openapi_document_is_served_without_a_token_and_names_every_route(
    running: Running,
) -> None:
    _fed, de, api = running.fed, running.de, running.api
    answer = await api.call("GET", "/admin/v1/openapi.json", role=None)
    assert answer.status == 200
    assert answer.body == openapi_document()
    documented = {
        (method.upper(), path) for path, item in answer.json()["paths"].items() for method in item
    }
    served = served_routes(de)
    # The operator's routes are served only where [operator] is configured (tested there).
    operator_only = {(m, p) for m, p in documented if p.startswith("/admin/v1/federation/")}
    assert served == documented - operator_only


# ------------------------------------------------------------------ authentication


async def test_every_role_may_read_the_status_and_is_named_in_it(
    running: Running,
) -> None:
    fed, _de, api = running.fed, running.de, running.api
    for role in Role:
        answer = await api.call("GET", "/admin/v1/status", role=role)
        assert answer.status == 200, answer.body
        status = answer.json()
        assert status["actor"] == {"subject": "alice", "role": role.value}
        assert status["member"] == fed.members["DE"].id
        assert status["audit"]["tree_size"] >= 2


def forged(settings: Any, **claims: Any) -> str:
    """A token with the given claims changed, signed with the member's real key."""
    now = int(time.time())
    base = {
        "iss": settings.member.id,
        "aud": AUDIENCE,
        "sub": "mallory",
        "role": "admin",
        "iat": now,
        "exp": now + 60,
        "jti": "forged",
    }
    base.update(claims)
    for name in [k for k, v in base.items() if v is None]:
        del base[name]
    return jwt.encode(base, token_key(settings), algorithm="HS256")


@pytest.mark.parametrize(
    ("why", "make"),
    [
        ("none", lambda s: None),
        ("garbage", lambda s: "not-a-jwt"),
        ("expired", lambda s: forged(s, iat=int(time.time()) - 120, exp=int(time.time()) - 60)),
        ("other key", lambda s: jwt.encode({"sub": "x"}, b"k" * 32, algorithm="HS256")),
        (
            "other key, valid claims",
            lambda s: issue_token(b"k" * 32, s.member.id, subject="x", role=Role.ADMIN, ttl=60),
        ),
        ("other member", lambda s: forged(s, iss="EE/GOV/70000310")),
        ("other audience", lambda s: forged(s, aud="something-else")),
        ("no role", lambda s: forged(s, role=None)),
        ("unknown role", lambda s: forged(s, role="root")),
        ("no expiry", lambda s: forged(s, exp=None)),
        ("lives too long", lambda s: forged(s, exp=int(time.time()) + 30 * 86400)),
        ("issued in the future", lambda s: forged(s, iat=int(time.time()) + 3600)),
        (
            "alg none",
            lambda s: jwt.encode(
                {"iss": s.member.id, "aud": AUDIENCE, "sub": "m", "role": "admin"},
                "",
                algorithm="none",
            ),
        ),
    ],
)
async def test_a_bad_token_is_refused_with_401_problem_json(
    running: Running, why: str, make: Any
) -> None:
    _fed, de, api = running.fed, running.de, running.api
    before = len(admin_records(de))
    token = make(api.settings)
    answer = await api.call("GET", "/admin/v1/status", role=None, token=token)
    assert answer.status == 401, (why, answer.body)
    assert answer.content_type == "application/problem+json"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer ")
    assert answer.json()["code"] == "Client.Unauthorized"
    assert len(admin_records(de)) == before  # knocking is logged, not audited


async def test_a_role_may_only_do_its_own_acts_and_a_refused_act_is_recorded(
    running: Running,
) -> None:
    fed, de, api = running.fed, running.de, running.api
    token = pushed_directory(fed, 50)
    answer = await api.call(
        "PUT",
        "/admin/v1/directory",
        role=Role.AUDITOR,
        data=token.encode(),
        content_type="application/jose",
    )
    assert answer.status == 403
    assert answer.json()["code"] == "Client.Forbidden"
    assert "insufficient_scope" in answer.headers["WWW-Authenticate"]
    assert de.node.directory.current().sequence != 50
    refused = [r for r in admin_records(de) if r["method"] == "directory.push"]
    assert len(refused) == 1
    assert refused[0]["client"] == "api:alice"
    assert refused[0]["status"] == 403
    assert refused[0]["error_type"] == "Client.Forbidden"
    assert json.loads(refused[0]["notes"])["role"] == "auditor"

    officer = await api.call("GET", "/admin/v1/audit/tree-head", role=Role.SECURITY_OFFICER)
    assert officer.status == 403


async def test_the_first_use_of_a_token_is_a_login(
    running: Running,
) -> None:
    _fed, de, api = running.fed, running.de, running.api
    token = token_for(api.settings, Role.AUDITOR, subject="bob")
    for _ in range(3):
        assert (await api.call("GET", "/admin/v1/status", token=token)).status == 200
    logins = [r for r in admin_records(de) if r["method"] == "admin.login"]
    assert [r["client"] for r in logins] == ["api:bob"]
    assert logins[0]["kind"] == "admin" and logins[0]["direction"] == "local"


# ------------------------------------------------------------------ the directory


async def test_the_operator_pushes_a_directory_and_the_gateway_adopts_it_at_once(
    running: Running,
) -> None:
    fed, de, api = running.fed, running.de, running.api
    before = de.node.directory.current().sequence
    token = pushed_directory(fed, before + 5)
    answer = await api.call(
        "PUT",
        "/admin/v1/directory",
        role=Role.SECURITY_OFFICER,
        data=token.encode(),
        content_type="application/jose",
    )
    assert answer.status == 200, answer.body
    assert answer.json()["sequence"] == before + 5
    assert answer.json()["previous_sequence"] == before
    assert de.node.directory.current().sequence == before + 5
    shown = await api.call("GET", "/admin/v1/directory", role=Role.AUDITOR)
    assert shown.json()["sequence"] == before + 5

    again = await api.call(
        "PUT", "/admin/v1/directory", data=token.encode(), content_type="application/jose"
    )
    assert (again.status, again.json()["adopted"]) == (200, False)
    older = pushed_directory(fed, before + 1)
    rollback = await api.call(
        "PUT", "/admin/v1/directory", data=older.encode(), content_type="application/jose"
    )
    assert rollback.status == 409
    assert "rollback" in rollback.json()["detail"]
    forged_doc = sign_directory(
        fed.directory_document(), fed.members["EE"].signing.key, fed.members["EE"].signing.cert
    )
    unsigned = await api.call(
        "PUT", "/admin/v1/directory", data=forged_doc.encode(), content_type="application/jose"
    )
    assert unsigned.status == 409
    wrong_type = await api.call("PUT", "/admin/v1/directory", json_body={"sequence": 1})
    assert wrong_type.status == 400
    assert de.node.directory.current().sequence == before + 5

    pushes = [r for r in admin_records(de) if r["method"] == "directory.push"]
    assert [r["status"] for r in pushes] == [200, 200, 409, 409, 400]
    assert pushes[0]["service"] == f"directory/{before + 5}"
    assert pushes[0]["client"] == "api:alice"


async def test_refresh_fetches_the_directory_from_its_source(
    running: Running,
) -> None:
    fed, de, api = running.fed, running.de, running.api
    before = de.node.directory.current().sequence
    fed.sequence = before + 1
    fed.publish()
    answer = await api.call("POST", "/admin/v1/directory/refresh")
    assert answer.status == 200
    assert answer.json() == {"sequence": before + 1, "previous_sequence": before, "adopted": True}
    fed.directory_path.write_text("garbage")
    refused = await api.call("POST", "/admin/v1/directory/refresh")
    assert refused.status == 409
    assert de.node.directory.current().sequence == before + 1


# ------------------------------------------------------------------ the audit log


async def test_an_auditor_gets_records_proofs_and_an_evidence_bundle_that_checks_offline(
    running: Running,
) -> None:
    fed, _de, api = running.fed, running.de, running.api
    records = await api.call("GET", f"/admin/v1/audit/exchanges/{EXCHANGE_ID}", role=Role.AUDITOR)
    assert records.status == 200
    kinds = [(r["record"]["kind"], r["record"]["direction"]) for r in records.json()["records"]]
    assert kinds == [("request", "outbound"), ("response", "outbound")]

    signed = await api.call("POST", "/admin/v1/audit/tree-head", role=Role.AUDITOR)
    assert signed.status == 200
    size = signed.json()["tree_size"]
    root = bytes.fromhex(signed.json()["root_hash"])
    index = records.json()["records"][0]["index"]
    proof = await api.call(
        "GET",
        "/admin/v1/audit/proofs/inclusion",
        role=Role.AUDITOR,
        params={"index": str(index), "size": str(size)},
    )
    assert proof.status == 200
    body = proof.json()
    assert bytes.fromhex(body["leaf_hash"]) == leaf_hash(body["record"].encode())
    assert verify_inclusion(
        bytes.fromhex(body["leaf_hash"]),
        index,
        size,
        [bytes.fromhex(h) for h in body["path"]],
        root,
    )
    later = await api.call("POST", "/admin/v1/audit/tree-head", role=Role.AUDITOR)
    consistency = await api.call(
        "GET",
        "/admin/v1/audit/proofs/consistency",
        role=Role.AUDITOR,
        params={"first": str(size), "second": str(later.json()["tree_size"])},
    )
    assert consistency.status == 200
    c = consistency.json()
    assert verify_consistency(
        c["first_size"],
        c["second_size"],
        bytes.fromhex(c["first_root"]),
        bytes.fromhex(c["second_root"]),
        [bytes.fromhex(h) for h in c["path"]],
    )

    bundle = await api.call(
        "GET", f"/admin/v1/audit/exchanges/{EXCHANGE_ID}/evidence", role=Role.AUDITOR
    )
    assert bundle.status == 200
    from gateway._crypto import load_certificate

    report = check_bundle(bundle.body, [load_certificate(fed.operator_cert)])
    assert report.to_json()["exchange_id"] == EXCHANGE_ID


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/admin/v1/audit/proofs/inclusion", {"index": "999999"}, 404),
        ("/admin/v1/audit/proofs/inclusion", {}, 400),
        ("/admin/v1/audit/proofs/inclusion", {"index": "-1"}, 400),
        ("/admin/v1/audit/proofs/consistency", {"first": "5", "second": "2"}, 404),
        ("/admin/v1/audit/exchanges/no-such-exchange", {}, 404),
        ("/admin/v1/audit/exchanges/no-such-exchange/evidence", {}, 404),
        ("/admin/v1/nothing-here", {}, 404),
    ],
)
async def test_audit_reads_refuse_what_the_log_does_not_hold(
    running: Running, path: str, params: dict[str, str], status: int
) -> None:
    _fed, _de, api = running.fed, running.de, running.api
    # The request itself may break the document's parameter rules (that is the point).
    answer = await api.call("GET", path, params=params, check=False)
    assert answer.status == status, answer.body
    assert answer.content_type == "application/problem+json"


async def test_a_wrong_method_is_a_405_problem(
    running: Running,
) -> None:
    _fed, _de, api = running.fed, running.de, running.api
    answer = await api.call("DELETE", "/admin/v1/status", check=False)
    assert answer.status == 405
    assert answer.content_type == "application/problem+json"


async def test_every_act_is_in_a_log_that_still_verifies(
    running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    fed, de, api = running.fed, running.de, running.api
    await api.call("POST", "/admin/v1/audit/tree-head", role=Role.AUDITOR)
    await api.call("POST", "/admin/v1/witness/clear", json_body={"member": fed.members["EE"].id})
    events = admin_records(de)
    assert [e["method"] for e in events] == [
        "admin.login",
        "audit.sign-tree-head",
        "admin.login",
        "witness.clear",
    ]
    assert events[-1]["status"] == 404  # nothing to clear: refused, and recorded
    for event in events:
        notes = event["notes"]
        from gateway.audit.admin_events import details_digest

        assert event["digest"] == details_digest(notes)
    capsys.readouterr()
    verified = await asyncio.to_thread(
        main, ["audit", "verify", "--data-dir", str(de.node.settings.data_dir)]
    )
    assert verified == 0, capsys.readouterr()


async def test_witness_listing(running: Running) -> None:
    fed, de, api = running.fed, running.de, running.api
    await running.ee.node.tree_heads.sign_now()
    await running.ee.node.witness.refresh()  # sent along from now on, not in 10 s
    async with fed.client("DE") as http:  # EE's answer carries its head to DE
        exchanged = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/ettevotted/1",
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    assert exchanged.status == 200
    await de.node.witness.settle()
    answer = await api.call("GET", "/admin/v1/witness", role=Role.AUDITOR)
    assert answer.status == 200
    assert [p["peer"] for p in answer.json()["peers"]] == [fed.members["EE"].id]
    bad = await api.call("POST", "/admin/v1/witness/clear", json_body={"member": "EE/GOV"})
    assert bad.status == 400


async def test_xgw_admin_token_prints_a_token_the_api_takes(
    running: Running,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fed, _de, api = running.fed, running.de, running.api
    config = write_config(fed, "DE")
    capsys.readouterr()
    assert (
        main(
            [
                "admin",
                "token",
                "--config",
                str(config),
                "--role",
                "auditor",
                "--subject",
                "carol",
                "--ttl",
                "15m",
            ]
        )
        == 0
    )
    token = capsys.readouterr().out.strip()
    answer = await api.call("GET", "/admin/v1/status", role=None, token=token)
    assert answer.status == 200
    assert answer.json()["actor"] == {"subject": "carol", "role": "auditor"}
    assert (
        main(
            [
                "admin",
                "token",
                "--config",
                str(config),
                "--role",
                "auditor",
                "--subject",
                "carol",
                "--ttl",
                "30d",
            ]
        )
        == 2
    )


async def test_xgw_directory_publish_pushes_to_the_gateway_admin_api(
    running: Running, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fed, de, api = running.fed, running.de, running.api
    before = de.node.directory.current().sequence
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps(fed.directory_document()))
    token_file = tmp_path / "token"
    token_file.write_text(token_for(api.settings, Role.SECURITY_OFFICER, subject="operator"))
    key = tmp_path / "operator.key"
    from gateway._crypto import write_private_key

    write_private_key(key, fed.operator.key)
    out = tmp_path / "published" / "directory.jws"
    args = ["directory", "publish", "--draft", str(draft), "--key", str(key)]
    args += ["--cert", str(fed.operator_cert), "-o", str(out)]
    args += ["--push", str(api.url), "--token-file", str(token_file), "--json"]
    assert await asyncio.to_thread(main, args) == 0, capsys.readouterr()
    assert de.node.directory.current().sequence > before  # adopted at once, not at a refresh
    pushes = [r for r in admin_records(de) if r["method"] == "directory.push"]
    assert [(r["client"], r["status"]) for r in pushes] == [("api:operator", 200)]


async def test_an_act_refused_for_its_size_is_a_recorded_413(running: Running) -> None:
    de, api = running.de, running.api
    # Over the listener's 16 MiB: refused by aiohttp while reading, recorded all the same.
    answer = await api.call(
        "PUT",
        "/admin/v1/directory",
        data=io.BytesIO(b"x" * (17 * 1024 * 1024)),
        content_type="application/jose",
        check=False,
    )
    assert answer.status == 413, answer.body
    pushes = [r for r in admin_records(de) if r["method"] == "directory.push"]
    assert [(r["status"], r["error_type"]) for r in pushes] == [(413, "Client.PayloadTooLarge")]
    witness = await api.call(
        "POST",
        "/admin/v1/witness/clear",
        data=io.BytesIO(b"{" + b" " * (2 * 1024 * 1024) + b"}"),
        content_type="application/json",
        check=False,
    )
    assert witness.status == 413


@pytest.mark.parametrize("value", ["\u00b2", "1e3", "0x10", "9" * 19])
async def test_a_query_number_that_is_none_is_a_400_not_a_crash(
    running: Running, value: str
) -> None:
    answer = await running.api.call(
        "GET", "/admin/v1/audit/proofs/inclusion", params={"index": value}, check=False
    )
    assert answer.status == 400, answer.body


async def test_a_token_with_a_string_issue_time_is_refused_not_a_crash(running: Running) -> None:
    answer = await running.api.call(
        "GET", "/admin/v1/status", role=None, token=forged(running.api.settings, iat="yesterday")
    )
    assert answer.status == 401
