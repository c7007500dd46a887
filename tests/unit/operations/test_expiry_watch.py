"""The expiry watch's log lines: a WARNING per thing near its end, INFO when nothing is."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from gateway._crypto import fingerprint
from gateway.expiry import DIRECTORY_WARNING_FLOOR, ExpiryWatch, directory_warning_seconds
from gateway.pki import Usage
from tests.unit.operations.support import NodeFiles

LOGGER = "gateway.expiry"


def lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == level]


async def report(files: NodeFiles, caplog, **operations) -> int:
    settings = files.settings(**operations)
    async with files.manager(settings) as manager:
        with caplog.at_level(logging.INFO, logger=LOGGER):
            return ExpiryWatch(settings, manager).report()


async def test_nothing_near_its_end_is_one_info_line(files: NodeFiles, caplog):
    files.publish()
    assert await report(files, caplog) == 0
    assert lines(caplog, logging.WARNING) == []
    (info,) = lines(caplog, logging.INFO)
    assert "nothing ends within 30 days" in info
    assert "4 certificates" in info and "directory sequence 1" in info


async def test_a_certificate_ending_in_ten_days_is_a_warning(files: NodeFiles, caplog):
    files.tls = files.issue(Usage.TLS, days=10)
    files.publish()
    assert await report(files, caplog) == 1
    (warning,) = lines(caplog, logging.WARNING)
    cert = files.tls.cert
    assert warning.startswith(f"tls certificate {cert.subject.rfc4514_string()} ")
    assert f"(fingerprint {fingerprint(cert)[:16]})" in warning
    assert "ends " in warning and "10.0 days left" in warning
    assert lines(caplog, logging.INFO) == []


async def test_the_warning_window_is_configurable(files: NodeFiles, caplog):
    files.tls = files.issue(Usage.TLS, days=10)
    files.publish()
    assert await report(files, caplog, expiry_warning_days=7) == 0
    assert lines(caplog, logging.WARNING) == []


async def test_an_ended_certificate_is_a_warning_with_its_age(files: NodeFiles, caplog):
    files.signing = files.expired(Usage.SIGNING)
    files.publish()
    assert await report(files, caplog) == 1
    (warning,) = lines(caplog, logging.WARNING)
    assert warning.startswith("signing certificate ")
    assert "ended " in warning and "2.0 days ago" in warning


async def test_a_directory_ending_within_the_hour_is_a_warning(files: NodeFiles, caplog):
    files.publish(valid_hours=0.5)
    assert await report(files, caplog) == 1
    (warning,) = lines(caplog, logging.WARNING)
    assert warning.startswith("directory TEST sequence 1 ends ")
    assert "min) left" in warning and "no newer publication" in warning
    assert str(files.directory_path) in warning


async def test_a_day_long_directory_is_no_warning(files: NodeFiles, caplog):
    files.publish(valid_hours=23)  # a directory lives a day: the 30-day window is not its
    assert await report(files, caplog) == 0


async def test_a_missing_certificate_file_is_a_warning_not_a_crash(files: NodeFiles, caplog):
    files.publish()
    settings = files.settings()
    settings.signing.certificate.unlink()
    async with files.manager(settings) as manager:
        with caplog.at_level(logging.INFO, logger=LOGGER):
            assert ExpiryWatch(settings, manager).report() == 1
    (warning,) = lines(caplog, logging.WARNING)
    assert "cannot read the signing certificate" in warning


async def test_between_reports_a_directory_is_warned_about_once_per_state(files: NodeFiles, caplog):
    files.publish(valid_hours=3)
    settings = files.settings()
    async with files.manager(settings) as manager:
        watch = ExpiryWatch(settings, manager)
        expires = manager.current().expires
        with caplog.at_level(logging.INFO, logger=LOGGER):
            calm = watch.check_directory()
            near = [watch.check_directory(expires - timedelta(minutes=m)) for m in (50, 40)]
            ended = [watch.check_directory(expires + timedelta(minutes=m)) for m in (1, 2)]
    assert calm is False
    assert near == [True, False] and ended == [True, False]
    first, second = lines(caplog, logging.WARNING)
    assert "0.03 days (0 h 50 min) left" in first
    assert "ended " in second and "0.00 days (0 h 1 min) ago" in second


def test_the_directory_window_is_two_refreshes_but_at_least_an_hour(files: NodeFiles):
    files.publish()
    settings = files.settings()  # refresh_interval 3600
    assert directory_warning_seconds(settings) == 7200
    quick = files.settings()
    object.__setattr__(quick.directory, "refresh_interval", 60.0)
    assert directory_warning_seconds(quick) == DIRECTORY_WARNING_FLOOR
    narrow = files.settings(expiry_warning_days=0.01)  # 864 seconds
    assert directory_warning_seconds(narrow) == pytest.approx(864)


async def test_the_watch_reports_at_start_and_every_interval(files: NodeFiles, caplog):
    files.publish()
    settings = files.settings(expiry_check_interval=0.05)
    async with files.manager(settings) as manager:
        watch = ExpiryWatch(settings, manager)
        with caplog.at_level(logging.INFO, logger=LOGGER):
            watch.start()
            await asyncio.sleep(0.18)
            await watch.stop()
    assert 3 <= len(lines(caplog, logging.INFO)) <= 5


async def test_a_failing_report_is_logged_and_the_watch_carries_on(files: NodeFiles, caplog):
    files.publish()
    settings = files.settings(expiry_check_interval=0.05)

    class Broken:
        def read_all(self):
            raise RuntimeError("disk on fire")

    async with files.manager(settings) as manager:
        watch = ExpiryWatch(settings, manager, certificates=Broken())  # type: ignore[arg-type]
        with caplog.at_level(logging.INFO, logger=LOGGER):
            watch.start()
            await asyncio.sleep(0.13)
            assert watch._task.running
            await watch.stop()
    failures = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.ERROR]
    assert len(failures) >= 2
    assert all("expiry check failed" in r.getMessage() and r.exc_info for r in failures)
