"""`xgw demo`: the README's first command, end to end, in-process."""

from __future__ import annotations

import asyncio
import json
import ssl

import aiohttp

from gateway.audit.verify import verify_sqlite
from gateway.demo import SCENARIOS, run_demo


async def test_demo_runs_every_scenario_as_expected(tmp_path, capsys):
    assert await run_demo(state_dir=tmp_path) == 0
    out = capsys.readouterr().out
    assert "all exchanges went as expected" in out
    assert out.count(" ok ") + out.count("\nok ") >= len(SCENARIOS)
    assert "UNEXPECTED" not in out
    assert "Server.ClientProxy.InconsistentResponse" in out  # the tampering relay is caught
    assert "answered Server.ServerProxy.InvalidSignatureValue" in out  # by EE's signature check
    assert "Server.ClientProxy.AccessDenied" in out
    for member in ("de", "ee", "nl"):
        result = await verify_sqlite(tmp_path / member / "data" / "audit.sqlite")
        assert result.ok and result.count > 0
    assert not any(p.suffix == ".key" and p.stat().st_mode & 0o077 for p in tmp_path.rglob("*"))


async def test_demo_serve_writes_a_federation_file_a_client_can_use(tmp_path):
    task = asyncio.create_task(run_demo(state_dir=tmp_path, keep_serving=True))
    path = tmp_path / "federation.json"
    try:
        for _ in range(200):
            if path.exists() or task.done():
                break
            await asyncio.sleep(0.05)
        assert path.exists(), "federation.json was not written"
        federation = json.loads(path.read_text())
        de = federation["members"]["DE"]
        context = ssl.create_default_context(cafile=federation["ca_certificate"])
        context.load_cert_chain(de["client"]["certificate"], de["client"]["key"])
        url = f"{de['client_url']}/r1/EE/GOV/70000310/ariregister/ettevotted/ettevotted/12345678"
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as http:
            async with http.get(url, headers={"X-Road-Client": de["client"]["subsystem"]}) as r:
                assert r.status == 200
                assert (await r.json())["registrikood"] == "12345678"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
