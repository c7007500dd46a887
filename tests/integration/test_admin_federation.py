"""The federation operator's side of the admin API, on a node configured with [operator].

The draft is edited one change per call and published where the gateways fetch the
directory; the effect is checked on real exchanges (an access right withdrawn and
granted again).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from gateway._crypto import write_private_key
from gateway.app import Gateway
from tests.integration.admin_support import (
    OPENAPI_PATHS,
    AdminClient,
    admin_records,
    served_routes,
)
from tests.integration.federation import DE, SERVICE, Harness, assert_xroad_error, call


@pytest.fixture
async def operator_node(fed: Harness, tmp_path: Path) -> AsyncIterator[tuple[Gateway, AdminClient]]:
    draft = tmp_path / "operator" / "draft.json"
    draft.parent.mkdir()
    key = tmp_path / "operator" / "operator.key"
    write_private_key(key, fed.operator.key)
    fed.members["DE"].settings_overrides["admin"] = {"listen": "127.0.0.1:0"}
    fed.members["DE"].settings_overrides["operator"] = {
        "draft": str(draft),
        "key": str(key),
        "certificate": str(fed.operator_cert),
        "publish": str(fed.directory_path),  # what the gateways fetch
    }
    async with fed.start() as (de, _ee), aiohttp.ClientSession() as http:
        draft.write_text(json.dumps(fed.directory_document()))  # the gateways' URLs are known now
        yield de, AdminClient(http, de, fed.settings("DE"))


async def exchange(fed: Harness, de: Gateway) -> int:
    async with fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/ettevotted/1",
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    if answer.status != 200:
        assert_xroad_error(answer, "Server.ClientProxy.AccessDenied")
    return answer.status


async def publish_and_refresh(api: AdminClient) -> int:
    published = await api.call("POST", "/admin/v1/federation/publish", json_body={})
    assert published.status == 200, published.body
    refreshed = await api.call("POST", "/admin/v1/directory/refresh")
    assert refreshed.status == 200
    sequence: int = published.json()["sequence"]
    assert refreshed.json()["sequence"] == sequence
    return sequence


async def test_the_operator_withdraws_and_grants_access_over_the_api(
    fed: Harness, operator_node: tuple[Gateway, AdminClient]
) -> None:
    de, api = operator_node
    assert await exchange(fed, de) == 200
    right = {"client": f"{DE}/gewerbeamt", "service": SERVICE}
    withdrawn = await api.call(
        "POST", "/admin/v1/federation/changes", json_body={"action": "access.withdraw", **right}
    )
    assert withdrawn.status == 200, withdrawn.body
    assert withdrawn.json()["action"] == "access.withdraw"
    await publish_and_refresh(api)
    assert await exchange(fed, de) == 500

    granted = await api.call(
        "POST",
        "/admin/v1/federation/changes",
        json_body={"action": "access.grant", **right, "endpoints": ["GET /ettevotted/**"]},
    )
    assert granted.status == 200, granted.body
    sequence = await publish_and_refresh(api)
    assert await exchange(fed, de) == 200
    draft = await api.call("GET", "/admin/v1/federation/draft")
    assert draft.json()["sequence"] == sequence

    acts = [(r["method"], json.loads(r["notes"]).get("action")) for r in admin_records(de)]
    acts = [a for a in acts if a[0].startswith("federation.")]
    assert acts == [
        ("federation.change", "access.withdraw"),
        ("federation.publish", None),
        ("federation.change", "access.grant"),
        ("federation.publish", None),
    ]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"action": "root.everything"}, 400),
        ({"action": "member.remove"}, 400),
        ({"action": "member.remove", "member": "NL/GOV/1", "extra": "x"}, 400),
        ({"action": "member.remove", "member": "NL/GOV/1"}, 404),
        ({"action": "access.grant", "client": f"{DE}/gewerbeamt", "service": 7}, 400),
        ({"action": "ca.remove", "fingerprint": "00" * 32}, 404),
    ],
)
async def test_a_change_the_draft_cannot_take_is_refused_and_changes_nothing(
    fed: Harness, operator_node: tuple[Gateway, AdminClient], change: dict[str, object], status: int
) -> None:
    _de, api = operator_node
    before = (await api.call("GET", "/admin/v1/federation/draft")).body
    answer = await api.call("POST", "/admin/v1/federation/changes", json_body=change, check=False)
    assert answer.status == status, answer.body
    assert answer.content_type == "application/problem+json"
    assert (await api.call("GET", "/admin/v1/federation/draft")).body == before


async def test_the_operator_node_serves_every_documented_route(
    operator_node: tuple[Gateway, AdminClient],
) -> None:
    de, _api = operator_node
    served = served_routes(de)
    assert served == OPENAPI_PATHS
