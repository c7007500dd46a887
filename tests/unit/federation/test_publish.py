"""publish: the next sequence, the validity, an atomic write, the history, the draft updated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from gateway._crypto import kid
from gateway.directory import inspect_token, sign_directory, verify_directory
from gateway.directory_manager import load_directory_history
from gateway.errors import AdminError, ConfigError, ConflictError
from gateway.federation._files import write_atomic
from gateway.federation.draft import Draft
from gateway.federation.publish import last_published_sequence, publish
from gateway.identifiers import ClientId, ServiceId
from gateway.pki import Usage
from tests.unit.federation.conftest import CLIENT, OFFEN


def run(draft, pki, out, **kwargs):
    return publish(draft, pki.operator.key, pki.operator.cert, out, **kwargs)


def test_a_publication_verifies_as_a_gateway_would(draft, draft_path, pki, tmp_path):
    draft.grant(CLIENT, OFFEN)
    out = tmp_path / "www" / "directory.jws"
    publication = run(draft, pki, out, valid_hours=6)
    directory = verify_directory(out.read_text(), [pki.operator.cert])
    assert directory.sequence == publication.sequence == 11  # the draft's 10, plus one
    assert directory.expires - directory.issued == timedelta(hours=6)
    assert publication.kid == kid(pki.operator.cert)
    assert directory.is_allowed(ClientId.parse(CLIENT), ServiceId.parse(OFFEN), "GET", "/x")
    assert publication.to_json()["path"] == str(out)
    # The draft remembers the sequence, on disk too (and the edit made before publishing).
    saved = Draft.load(draft_path)
    assert saved.sequence == 11
    assert saved.document == {**draft.document}
    assert saved.document["issued"] == directory.raw["issued"]


def test_sequence_validity_and_history(draft, pki, tmp_path):
    out = tmp_path / "directory.jws"
    now = datetime.now(UTC).replace(microsecond=123456)
    first = run(draft, pki, out, now=now)
    second = run(draft, pki, out, now=now + timedelta(minutes=1), valid_hours=48)
    assert (first.sequence, second.sequence) == (11, 12)
    assert first.issued == now.replace(microsecond=0)  # whole seconds, as `create` writes
    assert second.expires == second.issued + timedelta(hours=48)
    history = load_directory_history(tmp_path / "directories")
    assert [path.name for path, _ in history] == ["11.jws", "12.jws"]
    assert history[-1][1] == out.read_text().strip() == second.token
    assert inspect_token(history[0][1])[1]["sequence"] == 11


def test_the_next_sequence_is_above_anything_published_before(draft, document, pki, tmp_path):
    # Another copy of the draft published 50 already: the next publication goes above it.
    out = tmp_path / "directory.jws"
    document["sequence"] = 50
    out.write_text(sign_directory(document, pki.operator.key, pki.operator.cert))
    assert last_published_sequence(out, tmp_path / "directories") == 50
    assert run(draft, pki, out).sequence == 51
    # ... and a history that went higher still counts, even without the publication file.
    write_atomic(tmp_path / "directories" / "70.jws", b"x")
    out.unlink()
    assert run(draft, pki, out).sequence == 71


def test_the_publication_file_is_replaced_not_rewritten(draft, pki, tmp_path):
    out = tmp_path / "directory.jws"
    run(draft, pki, out)
    before = out.stat().st_ino
    run(draft, pki, out)
    assert out.stat().st_ino != before  # a new file renamed over it: never half written
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "directories",
        "directory.jws",
        "draft.json",
    ]
    assert oct(out.stat().st_mode & 0o777) == "0o644"


def test_a_kept_publication_is_never_overwritten(tmp_path):
    path = tmp_path / "directories" / "7.jws"
    write_atomic(path, b"first\n", exclusive=True)
    with pytest.raises(ConflictError, match="is never overwritten"):
        write_atomic(path, b"second\n", exclusive=True)
    assert path.read_bytes() == b"first\n"
    assert [p.name for p in path.parent.iterdir()] == ["7.jws"]


def test_publish_refusals_change_nothing(draft, draft_path, pki, tmp_path, ca_expired_operator):
    out = tmp_path / "directory.jws"
    on_disk = draft_path.read_bytes()
    with pytest.raises(AdminError, match="must be positive"):
        run(draft, pki, out, valid_hours=0)
    with pytest.raises(ConfigError, match="does not belong to the certificate"):
        publish(draft, pki.de_sign.key, pki.operator.cert, out)
    with pytest.raises(AdminError, match="gateways would refuse this publication: trust anchor"):
        publish(draft, ca_expired_operator.key, ca_expired_operator.cert, out)
    assert not out.exists()
    assert not (tmp_path / "directories").exists() or not any((tmp_path / "directories").iterdir())
    assert draft_path.read_bytes() == on_disk


def test_an_in_memory_draft_publishes_without_saving(document, pki, tmp_path):
    draft = Draft(document)
    publication = run(draft, pki, tmp_path / "directory.jws")
    assert draft.sequence == publication.sequence
    assert orjson.loads(orjson.dumps(draft.document))["sequence"] == publication.sequence


@pytest.fixture
def ca_expired_operator(pki):
    return pki.ca.issue(
        "expired operator",
        usage=Usage.SIGNING,
        days=1,
        not_before=datetime.now(UTC) - timedelta(days=3),
    )
