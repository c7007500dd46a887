"""The last accepted directory is kept in the data directory: it survives a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.directory_manager import DirectoryManager
from gateway.errors import DirectoryError


def write(path: Path, text: str) -> Path:
    path.write_text(text + "\n")
    return path


async def started(source: Path, cache: Path, fed) -> DirectoryManager:
    manager = DirectoryManager(str(source), [fed.operator.cert], refresh_interval=3600, cache=cache)
    await manager.start()
    return manager


async def test_the_cached_copy_serves_when_the_source_is_gone(fed, tmp_path):
    source, cache = tmp_path / "published.jws", tmp_path / "data" / "directory.jws"
    cache.parent.mkdir()
    write(source, fed.token(fed.doc(sequence=5)))
    first = await started(source, cache, fed)
    await first.close()
    assert cache.read_text().strip() == source.read_text().strip()

    source.unlink()
    second = await started(source, cache, fed)
    try:
        assert second.current().sequence == 5
    finally:
        await second.close()


async def test_a_rollback_is_refused_after_a_restart(fed, tmp_path):
    source, cache = tmp_path / "published.jws", tmp_path / "directory.jws"
    write(source, fed.token(fed.doc(sequence=7)))
    await (await started(source, cache, fed)).close()

    write(source, fed.token(fed.doc(sequence=6)))  # an older, validly signed publication
    manager = await started(source, cache, fed)
    try:
        assert manager.current().sequence == 7  # from the cache; 6 refused
        assert not await manager.refresh()
    finally:
        await manager.close()


async def test_an_expired_cached_copy_only_sets_the_floor(fed, tmp_path):
    source, cache = tmp_path / "published.jws", tmp_path / "directory.jws"
    # Issued after the operator's certificate, expired a minute ago.
    past = datetime.now(UTC) - timedelta(minutes=2)
    expired = fed.doc(sequence=9, issued=past, valid=timedelta(minutes=1))
    write(cache, fed.token(expired))
    write(source, fed.token(fed.doc(sequence=8)))
    manager = await started(source, cache, fed)
    try:
        with pytest.raises(DirectoryError, match="rollback refused"):
            manager.current()
    finally:
        await manager.close()


async def test_a_corrupt_cache_is_ignored(fed, tmp_path):
    source, cache = tmp_path / "published.jws", tmp_path / "directory.jws"
    write(cache, "garbage")
    write(source, fed.token(fed.doc(sequence=3)))
    manager = await started(source, cache, fed)
    try:
        assert manager.current().sequence == 3
    finally:
        await manager.close()
