"""Fixtures for the operations tests: a CA per module, one node's files per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.pki import CertificateAuthority
from tests.unit.operations.support import NodeFiles


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create("xgw operations test CA")


@pytest.fixture
def files(tmp_path: Path, ca: CertificateAuthority) -> NodeFiles:
    return NodeFiles(tmp_path, ca)
