"""DirectoryManager: first load, refresh from a file and from a real local HTTP(S) server."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway._crypto import certificate_to_pem
from gateway.directory import Directory
from gateway.directory_manager import DirectoryManager, load_directory_token
from gateway.errors import ConfigError, DirectoryError
from gateway.pki import Usage

NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def _now_is_when_the_test_runs() -> None:
    """NOW as each test starts, not when a long suite imported this module."""
    global NOW
    NOW = datetime.now(UTC)


def write(path: Path, text: str) -> Path:
    path.write_text(text + "\n")
    return path


async def test_bad_file_first_then_a_good_one(fed, tmp_path, caplog):
    source = write(tmp_path / "directory.jws", "not a token")
    manager = DirectoryManager(str(source), [fed.operator.cert], refresh_interval=3600)
    with caplog.at_level(logging.WARNING, logger="gateway.directory"):
        await manager.start()  # must not raise
    try:
        with pytest.raises(DirectoryError) as info:
            manager.current()
        assert info.value.code == "OutdatedGlobalConf"
        assert info.value.message.startswith("no valid directory: never loaded: malformed")
        assert f"directory from {source} refused: malformed" in caplog.text
        assert "no valid directory" in caplog.text

        write(source, fed.token(fed.doc(sequence=5)))
        assert await manager.refresh() is True
        assert manager.current().sequence == 5
    finally:
        await manager.close()


async def test_missing_file(fed, tmp_path):
    manager = DirectoryManager(str(tmp_path / "nope.jws"), [fed.operator.cert])
    assert await manager.refresh() is False
    with pytest.raises(DirectoryError, match=r"never loaded: .*nope\.jws does not exist"):
        manager.current()


async def test_unsigned_json_file_is_refused_with_a_hint(fed, tmp_path):
    source = write(tmp_path / "directory.json", "{}")
    manager = DirectoryManager(str(source), [fed.operator.cert])
    assert await manager.refresh() is False
    with pytest.raises(DirectoryError, match="holds an unsigned directory"):
        manager.current()


def test_current_before_start(fed, tmp_path):
    manager = DirectoryManager(str(tmp_path / "d.jws"), [fed.operator.cert])
    with pytest.raises(DirectoryError, match="never loaded: not started"):
        manager.current()


def test_trust_anchors_are_required(tmp_path):
    with pytest.raises(ConfigError):
        DirectoryManager(str(tmp_path / "d.jws"), [])


async def test_expired_current_directory(fed, tmp_path):
    doc = fed.doc(sequence=3, valid=timedelta(hours=1))
    source = write(tmp_path / "directory.jws", fed.token(doc))
    manager = DirectoryManager(str(source), [fed.operator.cert])
    assert await manager.refresh() is True
    assert manager.current(NOW).sequence == 3
    with pytest.raises(DirectoryError) as info:
        manager.current(NOW + timedelta(hours=2))
    assert info.value.message == f"no valid directory: sequence 3 expired at {doc['expires']}"


async def test_expired_current_says_why_refresh_failed(fed, tmp_path):
    source = write(tmp_path / "directory.jws", fed.token(fed.doc(valid=timedelta(hours=1))))
    manager = DirectoryManager(str(source), [fed.operator.cert])
    assert await manager.refresh()
    write(source, fed.token(signer=fed.de_sign))
    assert not await manager.refresh()
    with pytest.raises(DirectoryError, match=r"expired at .*; last refresh: signed by an unknown"):
        manager.current(NOW + timedelta(hours=2))


async def test_rollback_is_refused(fed, tmp_path, caplog):
    source = write(tmp_path / "directory.jws", fed.token(fed.doc(sequence=8)))
    manager = DirectoryManager(str(source), [fed.operator.cert])
    assert await manager.refresh()
    write(source, fed.token(fed.doc(sequence=7)))
    with caplog.at_level(logging.WARNING, logger="gateway.directory"):
        assert await manager.refresh() is False
    assert "sequence 7 is lower than the current 8 (rollback refused)" in caplog.text
    assert "keeping sequence 8" in caplog.text
    assert manager.current().sequence == 8


async def test_bad_publication_keeps_the_previous_one(fed, tmp_path):
    source = write(tmp_path / "directory.jws", fed.token(fed.doc(sequence=1)))
    manager = DirectoryManager(str(source), [fed.operator.cert])
    assert await manager.refresh()
    header, payload, signature = fed.token(fed.doc(sequence=2)).split(".")
    write(source, f"{header}.{payload}.{signature[:-4]}AAAA")
    assert await manager.refresh() is False
    assert manager.current().sequence == 1


async def test_same_sequence(fed, tmp_path):
    doc = fed.doc(sequence=4)
    source = write(tmp_path / "directory.jws", fed.token(doc))
    manager = DirectoryManager(str(source), [fed.operator.cert])
    changes: list[Directory] = []
    manager.on_change.append(changes.append)
    assert await manager.refresh()
    first = manager.current()
    write(source, fed.token(doc))  # re-signed, same content: nothing changes
    assert await manager.refresh() is True
    assert manager.current() is first
    assert len(changes) == 1
    doc["members"][0]["name"] = "Stadt Neustadt"
    write(source, fed.token(doc))  # same sequence, other content: a publication error
    assert await manager.refresh() is False
    assert manager.current() is first


async def test_on_change_and_install(fed, tmp_path, caplog):
    manager = DirectoryManager(str(tmp_path / "none.jws"), [fed.operator.cert])
    seen: list[int] = []

    def broken(_: Directory) -> None:
        raise RuntimeError("subscriber bug")

    manager.on_change.extend([broken, lambda d: seen.append(d.sequence)])
    with caplog.at_level(logging.INFO, logger="gateway.directory"):
        directory = manager.install(fed.token(fed.doc(sequence=9)))
    assert directory.sequence == 9 and manager.current() is directory
    assert seen == [9]
    assert "directory accepted: XGW-TEST sequence 9" in caplog.text
    assert "on_change callback" in caplog.text
    with pytest.raises(DirectoryError, match="rollback refused"):
        manager.install(fed.token(fed.doc(sequence=2)))
    assert manager.current().sequence == 9


async def test_periodic_refresh(fed, tmp_path):
    source = write(tmp_path / "directory.jws", fed.token(fed.doc(sequence=1)))
    manager = DirectoryManager(str(source), [fed.operator.cert], refresh_interval=0.02)
    async with manager:
        assert manager.current().sequence == 1
        write(source, fed.token(fed.doc(sequence=2)))
        for _ in range(200):
            if manager.current().sequence == 2:
                break
            await asyncio.sleep(0.01)
        assert manager.current().sequence == 2
    await manager.close()  # idempotent


def test_load_directory_token(fed, tmp_path):
    token = fed.token()
    assert load_directory_token(str(write(tmp_path / "d.jws", f"  {token}  "))) == token
    with pytest.raises(DirectoryError, match="is empty"):
        load_directory_token(str(write(tmp_path / "empty.jws", "")))
    with pytest.raises(DirectoryError, match="cannot read"):
        load_directory_token(str(tmp_path))


# -- URL sources --------------------------------------------------------------


class Publisher:
    """What a federation operator's web server serves."""

    def __init__(self) -> None:
        self.body = ""
        self.status = 200

    async def handle(self, _: web.Request) -> web.Response:
        return web.Response(status=self.status, text=self.body, content_type="application/jose")


@pytest.fixture
async def publisher() -> AsyncIterator[tuple[Publisher, TestServer]]:
    publisher = Publisher()
    app = web.Application()
    app.router.add_get("/directory.jws", publisher.handle)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield publisher, server
    await server.close()


async def test_url_source(fed, publisher):
    pub, server = publisher
    url = str(server.make_url("/directory.jws"))
    pub.body = fed.token(fed.doc(sequence=1))
    manager = DirectoryManager(url, [fed.operator.cert], refresh_interval=3600)
    await manager.start()
    try:
        assert manager.current().sequence == 1
        pub.body = fed.token(fed.doc(sequence=2))
        assert await manager.refresh()
        assert manager.current().sequence == 2
        pub.status = 404
        assert await manager.refresh() is False
        assert manager.current().sequence == 2
    finally:
        await manager.close()


async def test_url_source_failures_are_reasons(fed, publisher):
    pub, server = publisher
    pub.status = 503
    manager = DirectoryManager(str(server.make_url("/directory.jws")), [fed.operator.cert])
    assert await manager.refresh() is False
    with pytest.raises(DirectoryError, match="HTTP 503"):
        manager.current()
    unreachable = DirectoryManager("http://127.0.0.1:9/directory.jws", [fed.operator.cert])
    assert await unreachable.refresh() is False
    with pytest.raises(DirectoryError, match=r"GET http://127\.0\.0\.1:9/directory\.jws failed"):
        unreachable.current()


async def test_https_url_source_with_own_trust(fed, tmp_path):
    web_cert = fed.ca.issue("operator-web", usage=Usage.TLS, hosts=["127.0.0.1"])
    cert_path, key_path = web_cert.write(tmp_path / "web")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert_path, key_path)
    client_ctx = ssl.create_default_context(cadata=certificate_to_pem(fed.ca.cert))
    pub = Publisher()
    pub.body = fed.token(fed.doc(sequence=11))
    app = web.Application()
    app.router.add_get("/directory.jws", pub.handle)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server(ssl=server_ctx)
    try:
        url = str(server.make_url("/directory.jws"))
        assert url.startswith("https://")
        manager = DirectoryManager(url, [fed.operator.cert], ssl=client_ctx)
        assert await manager.refresh()
        assert manager.current().sequence == 11
        untrusting = DirectoryManager(url, [fed.operator.cert])  # system CAs only
        assert await untrusting.refresh() is False
        with pytest.raises(DirectoryError, match="failed"):
            untrusting.current()
    finally:
        await server.close()


async def test_refresh_survives_a_bug(fed, tmp_path, monkeypatch, caplog):
    source = write(tmp_path / "directory.jws", fed.token(fed.doc(sequence=1)))
    manager = DirectoryManager(str(source), [fed.operator.cert])
    assert await manager.refresh()

    def broken(*_: object, **__: object) -> Directory:
        raise RuntimeError("boom")

    monkeypatch.setattr("gateway.directory_manager.verify_directory", broken)
    with caplog.at_level(logging.ERROR, logger="gateway.directory"):
        assert await manager.refresh() is False
    assert "failed unexpectedly" in caplog.text
    assert manager.current().sequence == 1  # the previous directory stays in use
