"""Safe writes of certificate and key files, and the rotation lock of a key pair."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.certs.files import lock_path, rotation_lock
from gateway.errors import ConflictError
from gateway.files import create_exclusively, replace_atomically


def test_a_held_lock_is_a_conflict_once_the_wait_is_over(tmp_path: Path):
    key = tmp_path / "de-tls.key"
    with rotation_lock(key), pytest.raises(ConflictError, match=r"de-tls\.key is under way"):
        with rotation_lock(key, wait=0.1):
            pass
    with rotation_lock(key, wait=0):  # released: free again
        pass
    assert lock_path(key) == tmp_path / "de-tls.key.rotate.lock"
    assert stat.S_IMODE(lock_path(key).stat().st_mode) == 0o600


def test_the_lock_excludes_another_process(tmp_path: Path):
    key = tmp_path / "de-sign.key"
    holder = (
        "import sys; from pathlib import Path; from gateway.certs.files import"
        " rotation_lock\nwith rotation_lock(Path(sys.argv[1])):\n"
        "    print('held', flush=True); sys.stdin.read()"
    )
    with subprocess.Popen(
        [sys.executable, "-c", holder, str(key)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None and process.stdin is not None
        assert process.stdout.readline() == "held\n"
        with pytest.raises(ConflictError), rotation_lock(key, wait=0):
            pass
        process.stdin.close()
        process.wait(5)
    with rotation_lock(key, wait=0):
        pass


def test_a_failed_write_leaves_the_old_file_and_no_trace(tmp_path: Path):
    target = tmp_path / "next.pem"
    target.write_bytes(b"old")

    def half_then_fail(path: Path) -> None:
        path.write_bytes(b"ne")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        replace_atomically(target, half_then_fail)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next.pem"]


def test_a_replaced_file_has_the_mode_asked_for(tmp_path: Path):
    key, cert = tmp_path / "next.key", tmp_path / "next.pem"
    replace_atomically(key, lambda path: path.write_bytes(b"secret"))
    replace_atomically(cert, lambda path: path.write_bytes(b"public"), mode=0o644)
    assert (stat.S_IMODE(key.stat().st_mode), key.read_bytes()) == (0o600, b"secret")
    assert (stat.S_IMODE(cert.stat().st_mode), cert.read_bytes()) == (0o644, b"public")


def test_create_exclusively_never_writes_over_a_file(tmp_path: Path):
    target = tmp_path / "sub" / "ee.pem"
    create_exclusively(target, b"first")
    with pytest.raises(FileExistsError):
        create_exclusively(target, b"second")
    assert target.read_bytes() == b"first"
