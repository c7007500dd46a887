"""``xgw demo register``: one demo register on its own (gateway.demo.register_server)."""

from __future__ import annotations

import ssl

import aiohttp
import pytest

from gateway.demo.payloads import payload
from gateway.demo.register_server import running_register
from gateway.errors import ConfigError
from gateway.pki import CertificateAuthority, Usage
from tests.integration.federation import HOST

XMELD_QUESTION = b"""<?xml version="1.0" encoding="UTF-8"?>
<datenabruf xmlns="urn:demo"><nachname><name>M\xc3\xbcller</name></nachname></datenabruf>"""


async def test_a_register_answers_its_questions_and_its_health_check() -> None:
    async with (
        running_register("DE", (HOST, 0)) as (register, url),
        aiohttp.ClientSession() as http,
    ):
        assert url.startswith(f"http://{HOST}:")
        async with http.get(f"{url}/healthz") as response:
            assert (response.status, await response.json()) == (200, {"status": "ok"})
        async with http.post(f"{url}/personen", data=XMELD_QUESTION) as response:
            assert response.status == 200
            assert await response.read() == payload("xmeld-antwort-mueller.xml")
        # It keeps only what crossed its last exchanges: it runs for days in a container.
        for _ in range(15):
            async with http.post(f"{url}/personen", data=XMELD_QUESTION) as response:
                assert response.status == 200
        assert len(register.seen) == 10
        assert register.seen[-1] == (XMELD_QUESTION, payload("xmeld-antwort-mueller.xml"))


async def test_magda_serves_its_own_tls(tmp_path) -> None:
    ca = CertificateAuthority.create("register test CA")
    ca_file, _ = ca.write(tmp_path / "ca")
    cert, key = ca.issue("BE/GOV/0316380841", usage=Usage.TLS, hosts=[HOST]).write(tmp_path / "tls")
    context = ssl.create_default_context(cafile=str(ca_file))
    async with (
        running_register("BE", (HOST, 0), tls_cert=cert, tls_key=key) as (_, url),
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as http,
        http.get(f"{url}/healthz") as response,
    ):
        assert url.startswith(f"https://{HOST}:")
        assert response.status == 200


@pytest.mark.parametrize(
    ("key", "tls", "option"),
    [
        ("NL", False, "register"),  # Amsterdam provides no service in the demo
        ("BE", True, "--tls-cert"),  # a certificate without its key
    ],
)
async def test_what_cannot_be_served_is_refused(tmp_path, key, tls, option) -> None:
    cert = tmp_path / "tls.pem" if tls else None
    with pytest.raises(ConfigError) as refused:
        async with running_register(key, (HOST, 0), tls_cert=cert):
            pass
    assert refused.value.key == option


async def test_an_address_in_use_is_refused() -> None:
    async with running_register("EE", (HOST, 0)) as (_, url):
        port = int(url.rsplit(":", 1)[1])
        with pytest.raises(ConfigError) as refused:
            async with running_register("EE", (HOST, port)):
                pass
    assert refused.value.key == "--listen" and str(port) in refused.value.problem
