"""What is signed, authorized and sent must be the same thing (review findings S1, S2, S5)."""

from __future__ import annotations

import pytest

from tests.integration.federation import (
    SERVICE,
    Harness,
    assert_xroad_error,
    backend_seen,
    call,
    send_hop,
    signed_hop,
)


@pytest.mark.parametrize(
    "path",
    [
        "/slow%3F/../secret.txt",  # an encoded "?" must not cut the checked path short
        "/slow%23/../secret.txt",
        "/echo/..;/_seen",  # Java servers read "..;" as ".."
        "/echo//x",  # many servers merge "//"
        "/echo/a%2Fb",  # an encoded "/" is read as a separator by some backends
    ],
)
async def test_ambiguous_paths_never_pass_the_access_check(
    fed: Harness, backend_url: str, path: str
):
    async with fed.start() as (de, ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}{path}",
            headers={"X-Road-Client": fed.client_id("DE")},
            encoded=True,
        )
        assert_xroad_error(answer, "Server.ClientProxy.AccessDenied")
        # The provider decides the same on its own, for a correctly signed request.
        hop = signed_hop(
            "GET",
            f"/r1/{SERVICE}{path}",
            client=fed.client_id("DE"),
            signing=fed.members["DE"].signing,
        )
        async with fed.peer_session(fed.members["DE"].tls) as peer:
            direct = await send_hop(peer, ee.peer_url, hop)
        assert_xroad_error(direct, "Server.ServerProxy.AccessDenied")
    assert await backend_seen(backend_url) == []


async def test_headers_a_backend_could_act_on_are_not_passed_on(fed: Harness):
    sneaky = {
        "X_Road_Client": "EE/GOV/70000310/klient",
        "X-HTTP-Method-Override": "DELETE",
        "X-Original-URL": "/admin",
        "Forwarded": "for=10.0.0.1",
        "X-Forwarded-For": "10.0.0.1",
        "Authorization": "Bearer local-secret",
        "Cookie": "session=local",
        "X-Custom": "kept",
    }
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/echo/h",
            headers={"X-Road-Client": fed.client_id("DE"), **sneaky},
        )
    assert answer.status == 200, answer.body
    seen = answer.json()["headers"]
    assert seen["x-custom"] == "kept"
    for name in sneaky:
        if name != "X-Custom":
            assert name.lower() not in seen, name


async def test_a_changed_content_type_breaks_the_signature(fed: Harness, backend_url: str):
    body = b'{"a": 1}'
    hop = signed_hop(
        "POST",
        f"/r1/{SERVICE}/echo/ct",
        client=fed.client_id("DE"),
        signing=fed.members["DE"].signing,
        body=body,
        extra_headers=[("Content-Type", "application/json")],
    )
    hop.headers[:] = [(n, "text/plain" if n == "Content-Type" else v) for n, v in hop.headers]
    async with fed.start() as (_de, ee), fed.peer_session(fed.members["DE"].tls) as peer:
        answer = await send_hop(peer, ee.peer_url, hop)
    assert_xroad_error(answer, "Server.ServerProxy.InvalidSignatureValue")
    assert await backend_seen(backend_url) == []
