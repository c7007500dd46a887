"""docker/compose.yaml's commands, run here: the init step, the registers, three gateways.

No Docker engine runs on this machine. What the compose file's commands do is still
checked: each service's command line (and the image's entrypoint and health check) runs
as a process on 127.0.0.1, exactly as written but for host names, ports and /state
(tests/docker/compose_support.py). The init step lays the federation out, the gateways
pass the image's health check (/readyz on the admin listener: directory current,
certificates valid, storage writable) and the mission's three stories cross them.

The gateways use PostgreSQL as in the compose file when ``XGW_TEST_POSTGRES_DSN`` names
a server (a schema of their own each instead of a database each); without one, the same
commands run with ``XGW_STORAGE_ENGINE=sqlite``, and the test says so in its name.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import ssl
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.demo.payloads import payload
from gateway.demo.stories import STORIES, Story
from gateway.settings import Settings
from tests.docker.compose_support import (
    DOCKERFILE,
    HOST,
    Image,
    LocalServices,
    gateway_services,
    load_compose,
)

pytestmark = pytest.mark.slow

POSTGRES = os.environ.get("XGW_TEST_POSTGRES_DSN", "")
# What each story's register answers, as the client must get it back (gateway.demo.payloads).
ANSWERED = {"EE": "Põhjaranniku Puit OÜ", "DE": "Müller", "BE": "Vlaamse Houtbouw BV"}
PATHS_ONLY = {"XGW_STORAGE_ENGINE": "sqlite"}  # reading a config's paths needs no database


@contextlib.asynccontextmanager
async def storage_for(services: list[str]) -> AsyncIterator[dict[str, dict[str, str]]]:
    """Each gateway's XGW_STORAGE_*: a fresh PostgreSQL schema, or SQLite without a server."""
    if not POSTGRES:
        yield {service: {"XGW_STORAGE_ENGINE": "sqlite"} for service in services}
        return
    from tests.unit.storage.postgres_support import fresh_schema

    async with contextlib.AsyncExitStack() as stack:
        schemas = {s: await stack.enter_async_context(fresh_schema()) for s in services}
        yield {s: {"XGW_STORAGE_DSN": schema.dsn} for s, schema in schemas.items()}


@pytest.mark.parametrize(
    "engine", ["postgresql" if POSTGRES else "sqlite (no XGW_TEST_POSTGRES_DSN)"]
)
async def test_the_compose_services_come_up_and_carry_the_stories(tmp_path, engine) -> None:
    compose = load_compose()
    image = Image.parse(DOCKERFILE)
    gateways = gateway_services(compose)
    assert sorted(gateways) == ["de", "ee", "nl"]
    xgw_image = compose["services"]["init"]["image"]
    long_running = [  # the registers and the gateways (PostgreSQL is this machine's)
        name
        for name, service in compose["services"].items()
        if service.get("image") == xgw_image and name != "init"
    ]
    async with storage_for(sorted(gateways)) as storage:
        with LocalServices(compose, image, tmp_path, storage_env=storage) as local:
            # The init step, exactly as compose runs it before anything else starts.
            done = local.run_once("init")
            assert done.returncode == 0, done.stdout + done.stderr
            assert "demo federation laid out" in done.stdout
            assert "published directory sequence 1" in done.stdout
            _check_layout(local, compose)

            local.start(*long_running)
            await local.wait_healthy(*long_running)

            for story in STORIES:
                status, error, body = await _tell(local, story)
                assert (status, error) == (200, None), (story.title, body[:400])
                assert ANSWERED[story.register] in body.decode("utf-8"), story.title

            # Every gateway the stories crossed audited them: `docker compose exec de xgw
            # audit verify --config /state/de/config.toml` (docs/docker.md), here.
            verified = await asyncio.gather(*(_audit_verify(local, s) for s in gateways))
            for service, (code, output) in zip(gateways, verified, strict=True):
                records = re.search(r": OK, (\d+) records", output)
                assert code == 0 and records and int(records.group(1)) >= 2, (service, output)

            # Each gateway's start ran the schema migrations first, then the gateway.
            calls = local.xgw_calls()
            for service in gateways:
                config = local.config_of(service)
                upgrade, serve = f"db upgrade --config {config}", f"serve --config {config}"
                assert upgrade in calls and serve in calls, calls
                assert calls.index(upgrade) < calls.index(serve)

            # A second `docker compose up` runs init again: same keys, a fresh directory.
            again = local.run_once("init")
            assert again.returncode == 0, again.stdout + again.stderr
            assert "kept (laid out before)" in again.stdout
            assert "published directory sequence 2" in again.stdout


async def _audit_verify(local: LocalServices, service: str) -> tuple[int, str]:
    command = ["xgw", "audit", "verify", "--config", f"/state/{service}/config.toml"]
    process = await asyncio.create_subprocess_exec(
        *(local.localize(service, part) for part in command),
        env=local.environment(service),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode(errors="replace")


def _check_layout(local: LocalServices, compose: dict[str, Any]) -> None:
    """What init wrote fits the compose file: every file a gateway's config names lies in a
    volume that gateway mounts (written ones in a writable one), and keys are private."""
    state = local.state_dir
    for service, config in gateway_services(compose).items():
        settings = Settings.from_toml(local.config_of(service), env=PATHS_ONLY)
        mounts = local.mounts(service)
        read = [
            settings.tls.certificate,
            settings.tls.key,
            settings.signing.certificate,
            settings.signing.key,
            Path(settings.directory.source),
            settings.directory.trust_anchor,
            settings.security.client_ca,
            *(client.certificate for client in settings.clients),
        ]
        for path in read:
            assert path is not None and path.is_file(), (service, path)
            assert _mounted(path, mounts) is not None, f"{service} does not mount {path}"
        assert _mounted(settings.data_dir, mounts) is False, f"{service}: data not writable"
        assert settings.member.id, service
        assert config.parent.name == service
    keys = list(state.rglob("*.key"))
    assert len(keys) == 3 * 3 + 2 + 1  # tls, sign, client per gateway; CA, operator; MAGDA
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    assert not list((state / "public").rglob("*.key")), "public/ holds a private key"


def _mounted(path: Path, mounts: dict[Path, bool]) -> bool | None:
    """Whether ``path`` lies in a read-only mount (True), a writable one (False), or none."""
    for target, read_only in mounts.items():
        if path.resolve().is_relative_to(target.resolve()):
            return read_only
    return None


async def _tell(local: LocalServices, story: Story) -> tuple[int, str | None, bytes]:
    """The story's request from the caller's client system to its gateway's client port."""
    member = local.state_dir / story.caller.lower()
    context = ssl.create_default_context(cafile=str(local.state_dir / "public" / "ca.pem"))
    context.load_cert_chain(member / "client.pem", member / "client.key")
    settings = Settings.from_toml(member / "config.toml", env=PATHS_ONLY)
    url = f"https://{HOST}:{local.client_port(story.caller.lower())}{story.path}"
    headers = {"X-Road-Client": settings.clients[0].subsystem, "Content-Type": story.content_type}
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as http,
        http.post(url, data=payload(story.payload), headers=headers) as response,
    ):
        return response.status, response.headers.get("X-Road-Error"), await response.read()
