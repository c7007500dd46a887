"""Pushing a publication to admin APIs: a real aiohttp server on 127.0.0.1 plays the gateway.

The stand-in (admin_api.py) checks what the admin API checks (bearer token, content
type) and answers as it does.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from gateway._crypto import write_certificate
from gateway.directory import sign_directory
from gateway.errors import AdminError, ConfigError
from gateway.federation.push import (
    PushResult,
    push_directory,
    push_ssl_context,
    read_bearer_token,
)
from gateway.pki import Usage
from tests.unit.federation.admin_api import BEARER, HOST, AdminApi, closed_port, serving


@pytest.fixture
def token(document, pki) -> str:
    document["sequence"] = 11
    return sign_directory(document, pki.operator.key, pki.operator.cert)


async def test_push_to_gateways_reports_each(token):
    good, stale = AdminApi(), AdminApi(held=12)
    async with serving(good.app()) as good_url, serving(stale.app()) as stale_url:
        down = closed_port()
        results = await push_directory(token, [good_url + "/", stale_url, down], BEARER)
    assert good.received == [token]  # exactly the publication, bearer and type checked
    assert results[0] == PushResult(good_url + "/", True, 200, 11, 10)
    assert results[0].describe() == f"{good_url}/: adopted sequence 11 (was 10)"
    assert not results[1].adopted
    assert results[1].problem == "the gateway holds sequence 12, not the pushed 11"
    assert (results[2].adopted, results[2].status) == (False, None)
    assert results[2].problem is not None and results[2].problem.startswith("unreachable: ")
    assert "NOT adopted" in results[2].describe()
    assert BEARER not in repr(results) + str([r.to_json() for r in results])


async def test_a_refusal_is_reported_with_the_problem_detail(token):
    api = AdminApi()
    async with serving(api.app()) as url:
        (result,) = await push_directory(token, [url], "wrong-token")
    assert api.received == []
    assert (result.adopted, result.status) == (False, 401)
    assert result.problem == "the bearer token is not valid"
    assert result.describe() == f"{url}: NOT adopted (HTTP 401: the bearer token is not valid)"


async def test_each_gateway_gets_its_own_token(token):
    de, ee = AdminApi(bearer="token-of-de"), AdminApi(bearer="token-of-ee")
    async with serving(de.app()) as de_url, serving(ee.app()) as ee_url:
        results = await push_directory(token, [de_url, ee_url], ["token-of-de", "token-of-ee"])
        with pytest.raises(AdminError, match="1 admin tokens for 2 gateways"):
            await push_directory(token, [de_url, ee_url], ["token-of-de"])
    assert [r.adopted for r in results] == [True, True]
    assert de.received == ee.received == [token]


async def test_push_over_https_trusts_the_given_ca(token, pki, tmp_path):
    server = pki.ca.issue("admin api", usage=Usage.TLS, hosts=[HOST])
    cert_path, key_path = server.write(tmp_path / "admin")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    ca_path = tmp_path / "ca.pem"
    write_certificate(ca_path, pki.ca.cert)
    api = AdminApi()
    async with serving(api.app(), context) as url:
        (trusted,) = await push_directory(
            token, [url], BEARER, ssl_context=push_ssl_context(ca_path)
        )
        (untrusted,) = await push_directory(token, [url], BEARER)  # the system CAs only
    assert trusted.adopted
    assert not untrusted.adopted
    assert untrusted.problem is not None and untrusted.problem.startswith("TLS failed")
    assert api.received == [token]


async def test_push_refuses_a_target_that_is_no_url_before_sending(token):
    api = AdminApi()
    async with serving(api.app()) as url:
        with pytest.raises(AdminError, match="is not an http\\(s\\) URL"):
            await push_directory(token, [url, "gw.example:9444"], BEARER)
    assert api.received == []


def test_token_file_and_ca_file_problems(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_bearer_token(tmp_path / "none")
    (tmp_path / "two").write_text("one two\n")
    with pytest.raises(ConfigError, match="does not hold one bearer token"):
        read_bearer_token(tmp_path / "two")
    (tmp_path / "ok").write_text(f"{BEARER}\n")
    assert read_bearer_token(tmp_path / "ok") == BEARER
    with pytest.raises(ConfigError, match="--push-ca"):
        push_ssl_context(tmp_path / "none.pem")
