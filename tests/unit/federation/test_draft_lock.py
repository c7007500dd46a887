"""The draft's lock: concurrent editors, in threads and in processes, never lose a change."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.errors import ConfigError, ConflictError
from gateway.federation.draft import Draft, edit_draft, lock_file
from gateway.files import exclusive_lock
from tests.unit.federation.conftest import DE

EDITORS = 8
EDITS_PER_PROCESS = 6


def subsystems(path: Path) -> set[str]:
    return {s["code"] for s in Draft.load(path).member_json(DE)["subsystems"]}


def run_threads(count: int, work) -> list[BaseException | None]:
    """Run ``work(index)`` in ``count`` threads at once; what each raised, or None."""
    outcomes: list[BaseException | None] = [None] * count

    def run(index: int) -> None:
        try:
            work(index)
        except Exception as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_concurrent_edits_in_threads_all_survive(draft_path):
    start = threading.Barrier(EDITORS)

    def add(index: int) -> None:
        start.wait(timeout=10)
        with edit_draft(draft_path) as draft:
            draft.add_subsystem(DE, f"amt{index}", f"Amt {index}")

    assert run_threads(EDITORS, add) == [None] * EDITORS
    assert {f"amt{i}" for i in range(EDITORS)} <= subsystems(draft_path)


def test_load_edit_save_without_edit_draft_refuses_rather_than_loses(draft_path):
    # Everyone loads first, then everyone saves: the check and the write are one step
    # under the lock, so one save wins and the others are told, never told "done".
    loaded = threading.Barrier(EDITORS)

    def add(index: int) -> None:
        draft = Draft.load(draft_path)
        draft.add_subsystem(DE, f"amt{index}", f"Amt {index}")
        loaded.wait(timeout=10)
        draft.save()

    outcomes = run_threads(EDITORS, add)
    saved = {f"amt{i}" for i, outcome in enumerate(outcomes) if outcome is None}
    refused = [outcome for outcome in outcomes if outcome is not None]
    assert len(saved) == 1
    assert all(isinstance(outcome, ConflictError) for outcome in refused)
    assert subsystems(draft_path) & {f"amt{i}" for i in range(EDITORS)} == saved


def edit_in_process(draft: str, prefix: str, start) -> None:
    """One ``xgw`` process's worth of edits through the CLI; exits 1 if one failed."""
    start.wait(timeout=30)
    codes = [
        main(["directory", "subsystem", "add", DE, f"{prefix}{i}", "--name", "x", "--draft", draft])
        for i in range(EDITS_PER_PROCESS)
    ]
    raise SystemExit(max(codes))


def test_concurrent_cli_processes_all_survive(draft_path):
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    workers = [
        context.Process(target=edit_in_process, args=(str(draft_path), prefix, start))
        for prefix in ("de", "ee")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    wanted = {f"{p}{i}" for p in ("de", "ee") for i in range(EDITS_PER_PROCESS)}
    assert wanted <= subsystems(draft_path)


def test_an_edit_that_raises_saves_nothing_and_frees_the_lock(draft_path):
    before = draft_path.read_bytes()
    with pytest.raises(ConflictError, match="has a subsystem 'gewerbeamt' already"):
        with edit_draft(draft_path) as draft:
            draft.add_subsystem(DE, "amt", "Amt")
            draft.add_subsystem(DE, "gewerbeamt", "again")
    assert draft_path.read_bytes() == before
    with edit_draft(draft_path, timeout=0.1) as draft:  # free again at once
        draft.add_subsystem(DE, "amt", "Amt")
    assert "amt" in subsystems(draft_path)


def test_an_unchanged_draft_is_not_rewritten(draft_path):
    inode = draft_path.stat().st_ino
    with edit_draft(draft_path) as draft:
        assert draft.sequence == 10
    assert draft_path.stat().st_ino == inode


def test_a_held_lock_is_a_conflict_after_the_timeout(draft_path):
    before = draft_path.read_bytes()
    with exclusive_lock(lock_file(draft_path), timeout=1, busy="held"):  # another editor
        with pytest.raises(ConflictError, match=r"draft.json.lock is held by another edit"):
            with edit_draft(draft_path, timeout=0.1):
                pytest.fail("entered while another editor held the lock")
        loaded = Draft.load(draft_path)
        loaded.add_subsystem(DE, "amt", "Amt")
        with pytest.raises(ConflictError, match="held by another edit"):
            with loaded.locked(timeout=0.1):
                pass
    assert draft_path.read_bytes() == before
    assert oct(lock_file(draft_path).stat().st_mode & 0o777) == "0o600"


def test_a_missing_draft_makes_no_lock_file(tmp_path):
    with pytest.raises(ConfigError, match="xgw directory create"):
        with edit_draft(tmp_path / "draft.json"):
            pytest.fail("edited a draft that does not exist")
    assert list(tmp_path.iterdir()) == []
