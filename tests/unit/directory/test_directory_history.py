"""Every directory a gateway adopts is kept (``<data dir>/directories/<sequence>.jws``):
an evidence bundle of an old exchange needs the one that listed its signers then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.directory_manager import HISTORY_DIR, DirectoryManager, load_directory_history


async def started(source: Path, cache: Path, fed) -> DirectoryManager:
    manager = DirectoryManager(str(source), [fed.operator.cert], refresh_interval=3600, cache=cache)
    await manager.start()
    return manager


def kept(history: Path) -> dict[str, str]:
    return {path.name: token for path, token in load_directory_history(history)}


async def test_every_adopted_publication_is_kept_once(fed, tmp_path):
    source, cache = tmp_path / "published.jws", tmp_path / "data" / "directory.jws"
    history = cache.parent / HISTORY_DIR
    cache.parent.mkdir()
    first, second = fed.token(fed.doc(sequence=5)), fed.token(fed.doc(sequence=12))
    source.write_text(first + "\n")
    manager = await started(source, cache, fed)
    try:
        assert kept(history) == {"5.jws": first}
        assert await manager.refresh()  # the same publication again: nothing new
        source.write_text(second)
        assert await manager.refresh()
        source.write_text(fed.token(fed.doc(sequence=7)))  # a rollback is refused, not kept
        assert not await manager.refresh()
    finally:
        await manager.close()
    assert kept(history) == {"5.jws": first, "12.jws": second}  # ordered by sequence
    assert list(kept(history)) == ["5.jws", "12.jws"]
    assert not list(history.glob("*.partial"))


async def test_a_cache_from_before_the_history_starts_it(fed, tmp_path):
    source, cache = tmp_path / "gone.jws", tmp_path / "directory.jws"
    token = fed.token(fed.doc(sequence=3))
    cache.write_text(token + "\n")  # what an older gateway left behind
    manager = await started(source, cache, fed)  # the source is down: the cache serves
    await manager.close()
    assert kept(tmp_path / HISTORY_DIR) == {"3.jws": token}


async def test_an_expired_cache_is_kept_too_and_other_content_never_overwrites(fed, tmp_path):
    source, cache = tmp_path / "published.jws", tmp_path / "directory.jws"
    history = tmp_path / HISTORY_DIR
    past = datetime.now(UTC) - timedelta(minutes=2)
    expired = fed.token(fed.doc(sequence=9, issued=past, valid=timedelta(minutes=1)))
    cache.write_text(expired)
    # The same sequence with other content is accepted after an expired cache (the floor
    # is 9, not above it): both stay, neither overwrites the other.
    fresh = fed.token(fed.doc(sequence=9))
    source.write_text(fresh)
    manager = await started(source, cache, fed)
    await manager.close()
    found = kept(history)
    assert found["9.jws"] == expired
    assert fresh in found.values() and len(found) == 2


async def test_history_can_be_placed_elsewhere_or_left_out(fed, tmp_path):
    source = tmp_path / "published.jws"
    source.write_text(fed.token(fed.doc(sequence=4)))
    elsewhere = tmp_path / "evidence"
    manager = DirectoryManager(
        str(source), [fed.operator.cert], cache=tmp_path / "directory.jws", history=elsewhere
    )
    await manager.start()
    await manager.close()
    assert list(kept(elsewhere)) == ["4.jws"] and not (tmp_path / HISTORY_DIR).exists()
    bare = DirectoryManager(str(source), [fed.operator.cert])  # no cache: nothing kept
    await bare.start()
    await bare.close()
    assert load_directory_history(tmp_path / "nowhere") == []
