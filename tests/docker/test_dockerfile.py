"""docker/Dockerfile, its build context and the two programs it installs.

No Docker engine runs here (and this docker CLI has no BuildKit, so no ``docker build
--check``): the instructions are checked as text, and the entrypoint and the health
check, which are plain files, run for real.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import re
import ssl
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from gateway.app import bind
from gateway.cli import _parser
from gateway.demo.deployment import ADMIN_LISTEN, CLIENT_PORT
from gateway.pki import CertificateAuthority, Usage
from tests.docker.compose_support import DOCKER_DIR, DOCKERFILE, PROJECT_ROOT, Image
from tests.integration.federation import HOST

IGNORE_FILE = DOCKER_DIR / "Dockerfile.dockerignore"
ENTRYPOINT = DOCKER_DIR / "entrypoint.sh"
HEALTHCHECK = DOCKER_DIR / "healthcheck.py"


@pytest.fixture(scope="module")
def image() -> Image:
    return Image.parse(DOCKERFILE)


def test_a_slim_python_in_two_stages(image) -> None:
    arguments = {
        i.arguments.split("=", 1)[0]: i.arguments for i in image.instructions if i.keyword == "ARG"
    }
    assert arguments["PYTHON_IMAGE"] == "PYTHON_IMAGE=python:3.11-slim"
    assert len(image.stages) == 2
    assert [stage[0].arguments.split()[0] for stage in image.stages] == ["${PYTHON_IMAGE}"] * 2
    build, final = image.stages
    assert any("pip wheel" in i.arguments and "/wheels" in i.arguments for i in build)
    install = [i for i in final if i.keyword == "RUN" and "pip install" in i.arguments]
    assert len(install) == 1
    # The final stage installs only the wheels built before, without keeping them.
    assert "--no-index" in install[0].arguments and "--find-links /wheels" in install[0].arguments
    assert "--mount=type=bind,from=wheels" in install[0].arguments
    assert "--no-cache-dir" in install[0].arguments
    assert not any(i.keyword == "COPY" and "--from" in i.arguments for i in final)


def test_it_runs_as_a_non_root_user(image) -> None:
    users = [i for i in image.final if i.keyword == "USER"]
    assert len(users) == 1
    user = users[0].arguments.split(":")[0]
    assert user not in ("root", "0")
    creates = next(i for i in image.final if "useradd" in i.arguments)
    assert f"--uid {user}" in creates.arguments
    assert "--shell /usr/sbin/nologin" in creates.arguments
    # Everything after USER runs as that user, the container's command included.
    keywords = [i.keyword for i in image.final]
    assert keywords.index("USER") < keywords.index("CMD")
    assert all(k not in ("RUN", "COPY") for k in keywords[keywords.index("USER") :])


def test_it_checks_its_own_health_on_the_admin_listeners_readyz(image) -> None:
    healthcheck = image.last("HEALTHCHECK")
    assert healthcheck is not None
    assert image.healthcheck == ["xgw-healthcheck"]
    assert image.installed_programs["xgw-healthcheck"] == HEALTHCHECK
    assert image.env["XGW_HEALTHCHECK_URL"] == f"http://{ADMIN_LISTEN}/readyz"
    for option in ("interval", "timeout", "start-period", "retries"):
        assert f"--{option}=" in healthcheck.arguments


def test_its_command_serves_a_gateway_after_the_entrypoint(image) -> None:
    assert image.cmd[:3] == ["xgw", "serve", "--config"]
    _parser().parse_args(image.cmd[1:])  # SystemExit if xgw refused it
    assert image.entrypoint == ["xgw-entrypoint"]
    assert image.installed_programs["xgw-entrypoint"] == ENTRYPOINT
    exposed = next(i for i in image.final if i.keyword == "EXPOSE").arguments.split()
    assert exposed == ["8443", str(CLIENT_PORT)]


def test_only_the_project_goes_in_never_shared_data_or_keys(image) -> None:
    sources = []
    for instruction in image.instructions:
        assert instruction.keyword != "ADD", "ADD fetches URLs and unpacks archives: COPY"
        if instruction.keyword == "COPY" and "--from" not in instruction.arguments:
            sources += instruction.arguments.split()[:-1]
    assert sources, "no COPY found"
    for source in sources:
        path = (PROJECT_ROOT / source).resolve()
        assert path.is_relative_to(PROJECT_ROOT), f"{source} is outside the project"
        assert path.exists(), source
        assert not re.search(r"shared|\.key$|\.pem$|certs|state|tests", source), source
        assert _in_context(source), f"{source} is left out of the build context"


def test_the_build_context_leaves_out_keys_and_state() -> None:
    patterns = _ignore_patterns()
    assert patterns[0] == ("*", False)  # everything out, then what the image needs back in
    for path in (
        ".venv/bin/python",
        ".git/config",
        "certs/ca.key",
        "gateway/demo/some.key",
        "connectors/x.pem",
        "state/de/tls.key",
        "tests/docker/test_dockerfile.py",
        "bench/chain.py",
        "gateway/__pycache__/cli.cpython-311.pyc",
    ):
        assert not _in_context(path, patterns), path
    for path in ("pyproject.toml", "README.md", "gateway/cli.py", "schemas/admin-api.v1.json"):
        assert _in_context(path, patterns), path
    # And nothing of that kind lies in what goes in today.
    for top in ("gateway", "connectors", "schemas"):
        for file in (PROJECT_ROOT / top).rglob("*"):
            if file.suffix in (".key", ".pem", ".jws", ".p12", ".sqlite", ".db"):
                pytest.fail(f"{file} would be left out of the image: move it")


def _ignore_patterns() -> list[tuple[str, bool]]:
    """(pattern, re-included) of the ignore file, in order (the last match decides)."""
    found = []
    for line in IGNORE_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            found.append((line.removeprefix("!"), line.startswith("!")))
    return found


def _in_context(path: str, patterns: list[tuple[str, bool]] | None = None) -> bool:
    """Whether ``path`` is in the build context, by the ignore file's rules as Docker reads
    them: a pattern matches a path or any directory above it, ``**`` any depth."""
    included = True
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern, reinclude in patterns or _ignore_patterns():
        regex = fnmatch.translate(pattern.removeprefix("**/"))
        if pattern.startswith("**/"):
            regex = f"(?:.*/)?{regex}"
        if any(re.match(regex, prefix) for prefix in prefixes):
            included = reinclude
    return included


# ---------------------------------------------------------------------- the entrypoint


def _bin_with_recording_xgw(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """PATH with the image's entrypoint and an ``xgw`` that records its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    (bin_dir / "xgw-entrypoint").symlink_to(ENTRYPOINT)
    xgw = bin_dir / "xgw"
    xgw.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {calls}\nexit "${{XGW_FAKE_EXIT:-0}}"\n')
    xgw.chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    return env, calls


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            ["xgw", "serve", "--config", "/etc/xgw/de.toml"],
            ["db upgrade --config /etc/xgw/de.toml", "serve --config /etc/xgw/de.toml"],
        ),
        (
            ["xgw", "serve", "--config=/etc/xgw/de.toml", "-v"],
            ["db upgrade --config /etc/xgw/de.toml", "serve --config=/etc/xgw/de.toml -v"],
        ),
        (  # a check of the config touches no database
            ["xgw", "serve", "--config", "/etc/xgw/de.toml", "--check"],
            ["serve --config /etc/xgw/de.toml --check"],
        ),
        (["xgw", "demo", "init", "--state-dir", "/state"], ["demo init --state-dir /state"]),
    ],
)
def test_the_entrypoint_upgrades_the_schema_before_serving(tmp_path, command, expected) -> None:
    env, calls = _bin_with_recording_xgw(tmp_path)
    done = subprocess.run(["xgw-entrypoint", *command], env=env, check=False, timeout=10)
    assert done.returncode == 0
    assert calls.read_text().splitlines() == expected


def test_a_failed_upgrade_stops_the_start(tmp_path) -> None:
    env, calls = _bin_with_recording_xgw(tmp_path)
    env["XGW_FAKE_EXIT"] = "3"
    command = ["xgw-entrypoint", "xgw", "serve", "--config", "/etc/xgw/de.toml"]
    done = subprocess.run(command, env=env, check=False, timeout=10)
    assert done.returncode == 3
    assert calls.read_text().splitlines() == ["db upgrade --config /etc/xgw/de.toml"]


def test_the_entrypoint_runs_any_other_command_as_given(tmp_path) -> None:
    env, _ = _bin_with_recording_xgw(tmp_path)
    done = subprocess.run(
        ["xgw-entrypoint", "sh", "-c", "echo $0 $1", "a b", "c"],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert (done.returncode, done.stdout) == (0, "a b c\n")


# ---------------------------------------------------------------------- the health check


def _probe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HEALTHCHECK), *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=15,
    )


@dataclass
class ReadyzServer:
    """/readyz over HTTP and HTTPS (a test CA's certificate), 200 or 503 as ``ready`` says."""

    http_url: str
    https_url: str
    ca_file: str
    ready: bool = True


@pytest.fixture
async def readyz_server(tmp_path) -> AsyncIterator[ReadyzServer]:
    ca = CertificateAuthority.create("health check test CA")
    ca_file, _ = ca.write(tmp_path / "ca")
    cert, key = ca.issue("server", usage=Usage.TLS, hosts=[HOST]).write(tmp_path / "server")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    plain, tls = bind(HOST, 0), bind(HOST, 0)
    server = ReadyzServer(
        f"http://{HOST}:{plain.getsockname()[1]}/readyz",
        f"https://{HOST}:{tls.getsockname()[1]}/readyz",
        str(ca_file),
    )

    async def readyz(request: web.Request) -> web.Response:
        status = "ready" if server.ready else "unready"
        return web.json_response({"status": status}, status=200 if server.ready else 503)

    app = web.Application()
    app.router.add_get("/readyz", readyz)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    await web.SockSite(runner, plain).start()
    await web.SockSite(runner, tls, ssl_context=context).start()
    yield server
    await runner.cleanup()


async def test_the_health_check_follows_readyz(readyz_server: ReadyzServer) -> None:
    server = readyz_server
    healthy = await _in_thread(_probe, server.http_url)
    assert healthy.returncode == 0 and "healthy" in healthy.stdout
    # The image's default URL comes from the environment.
    assert (await _in_thread(_probe, env={"XGW_HEALTHCHECK_URL": server.http_url})).returncode == 0
    assert (
        await _in_thread(_probe, server.https_url, f"--cafile={server.ca_file}")
    ).returncode == 0
    # An unknown CA is not trusted: the check verifies TLS.
    assert (await _in_thread(_probe, server.https_url)).returncode == 1
    server.ready = False
    unready = await _in_thread(_probe, server.http_url)
    assert unready.returncode == 1
    assert "503" in unready.stdout and "unready" in unready.stdout


def test_the_health_check_fails_when_nothing_listens() -> None:
    with bind(HOST, 0) as sock:
        url = f"http://{HOST}:{sock.getsockname()[1]}/readyz"
    done = _probe(url, "--timeout=2")
    assert done.returncode == 1 and "unhealthy" in done.stdout
    assert _probe("ftp://example/readyz").returncode == 1


async def _in_thread(
    function: Callable[..., subprocess.CompletedProcess[str]], *args: str, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(function, *args, **kwargs)


def test_the_programs_are_executable_as_the_image_installs_them() -> None:
    for program in (ENTRYPOINT, HEALTHCHECK):
        assert os.access(program, os.X_OK), f"{program} is not executable (chmod +x)"
    assert HEALTHCHECK.read_text().startswith("#!/usr/bin/env python3\n")
    assert ENTRYPOINT.read_text().startswith("#!/bin/sh\n")
