"""/readyz's checks, each failing alone: the directory, the own certificates, storage."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from gateway._crypto import now_utc
from gateway.frontends.operations import STORAGE_PROBE, Readiness, StorageProbe
from gateway.pki import Usage
from tests.unit.operations.support import NodeFiles

CHECKS = {"directory", "tls_certificate", "signing_certificate", "storage"}


async def readiness_of(files: NodeFiles) -> tuple[bool, dict[str, tuple[bool, str]]]:
    settings = files.settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    async with files.manager(settings) as manager:
        ready, checks = await Readiness(settings, manager).check()
    return ready, {name: (c.ok, c.detail) for name, c in checks.items()}


def failing(checks: dict[str, tuple[bool, str]]) -> set[str]:
    return {name for name, (ok, _) in checks.items() if not ok}


async def test_a_node_with_everything_in_order_is_ready(files: NodeFiles):
    files.publish()
    ready, checks = await readiness_of(files)
    assert ready
    assert set(checks) == CHECKS and failing(checks) == set()
    assert checks["directory"][1].startswith("sequence 1, expires ")
    assert "valid until" in checks["tls_certificate"][1]


async def test_an_expired_tls_certificate_alone_makes_it_unready(files: NodeFiles):
    files.tls = files.expired(Usage.TLS)
    files.publish()
    ready, checks = await readiness_of(files)
    assert not ready
    assert failing(checks) == {"tls_certificate"}
    assert "expired at" in checks["tls_certificate"][1]


async def test_a_signing_certificate_not_yet_valid_alone_makes_it_unready(files: NodeFiles):
    files.signing = files.issue(Usage.SIGNING, not_before=now_utc() + timedelta(hours=1))
    files.publish()
    ready, checks = await readiness_of(files)
    assert not ready
    assert failing(checks) == {"signing_certificate"}
    assert "not valid before" in checks["signing_certificate"][1]


async def test_an_expired_directory_alone_makes_it_unready(files: NodeFiles):
    files.publish(valid_hours=1, issued=now_utc() - timedelta(hours=2))
    ready, checks = await readiness_of(files)
    assert not ready
    assert failing(checks) == {"directory"}
    assert "expired" in checks["directory"][1]


async def test_a_certificate_file_that_cannot_be_read_makes_it_unready(files: NodeFiles):
    files.publish()
    settings = files.settings()
    settings.data_dir.mkdir(parents=True)
    async with files.manager(settings) as manager:
        readiness = Readiness(settings, manager)
        settings.tls.certificate.unlink()
        ready, checks = await readiness.check()
    assert not ready
    assert not checks["tls_certificate"].ok
    assert "tls.certificate" in checks["tls_certificate"].detail


# (A read-only directory is no case here: CI runs as root, which writes through mode bits.)
@pytest.mark.parametrize("breakage", ["removed", "probe path taken"])
async def test_storage_that_takes_no_write_alone_makes_it_unready(files: NodeFiles, breakage):
    files.publish()
    settings = files.settings()
    data = settings.data_dir
    data.mkdir(parents=True)
    if breakage == "removed":
        shutil.rmtree(data)
    else:
        (data / STORAGE_PROBE).mkdir()
    async with files.manager(settings) as manager:
        ready, checks = await Readiness(settings, manager).check()
    assert not ready
    assert {name for name, c in checks.items() if not c.ok} == {"storage"}
    assert checks["storage"].detail.startswith(f"cannot write {data / STORAGE_PROBE}")


async def test_the_storage_probe_writes_at_most_once_per_ttl(tmp_path: Path):
    probe = StorageProbe(tmp_path, ttl=0.2)
    results = await asyncio.gather(*(probe.check() for _ in range(5)))
    assert all(r.ok for r in results)
    written = (tmp_path / STORAGE_PROBE).read_text()
    (tmp_path / STORAGE_PROBE).unlink()
    assert (await probe.check()).ok  # cached: nothing written
    assert not (tmp_path / STORAGE_PROBE).exists()
    await asyncio.sleep(0.25)
    assert (await probe.check()).ok
    assert (tmp_path / STORAGE_PROBE).read_text() != written
