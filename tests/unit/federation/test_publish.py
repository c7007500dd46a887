"""publish: the next sequence, the validity, an atomic write, the history, the draft updated
under its lock, and a warning (not a refusal) when the draft cannot be saved afterwards."""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from gateway._crypto import kid
from gateway.directory import inspect_token, sign_directory, verify_directory
from gateway.directory_manager import load_directory_history
from gateway.errors import AdminError, ConfigError, ConflictError
from gateway.federation.draft import Draft, edit_draft
from gateway.federation.publish import (
    MAX_VALID_HOURS,
    last_published_sequence,
    publish,
    publish_draft,
)
from gateway.files import write_atomic
from gateway.identifiers import ClientId, ServiceId
from gateway.pki import Usage
from tests.unit.federation.conftest import CLIENT, DE, OFFEN, disk_full


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
        "draft.json.lock",
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
    with pytest.raises(AdminError, match="must be a positive number of hours"):
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


# ---------------------------------------------------------------------------- the draft's lock


def test_a_stale_draft_is_refused_before_anything_is_written(draft, draft_path, pki, tmp_path):
    with edit_draft(draft_path) as other:  # another operator's edit, after ours was loaded
        other.revoke(pki.ee_sign.cert, "keyCompromise")
    out = tmp_path / "directory.jws"
    with pytest.raises(ConflictError, match="changed since it was loaded"):
        run(draft, pki, out)
    assert not out.exists()
    assert not (tmp_path / "directories").exists()
    assert Draft.load(draft_path).to_json()["revoked"][0]["reason"] == "keyCompromise"


def test_publish_draft_waits_for_an_edit_in_progress(draft_path, pki, tmp_path):
    out = tmp_path / "directory.jws"
    editing, published = threading.Event(), []

    def publish_meanwhile() -> None:
        editing.wait(timeout=10)
        published.append(publish_draft(draft_path, pki.operator.key, pki.operator.cert, out))

    publisher = threading.Thread(target=publish_meanwhile)
    publisher.start()
    with edit_draft(draft_path) as draft:
        editing.set()
        publisher.join(timeout=0.2)  # it cannot get in while the edit holds the lock
        assert not published
        draft.revoke(pki.ee_sign.cert, "keyCompromise")
    publisher.join(timeout=10)
    (publication,) = published
    directory = verify_directory(out.read_text(), [pki.operator.cert])
    assert directory.is_revoked(pki.ee_sign.cert)  # the edit made it into the publication
    saved = Draft.load(draft_path)
    assert saved.sequence == publication.sequence == 11
    assert saved.to_json()["revoked"][0]["reason"] == "keyCompromise"
    assert publication.warnings == ()


def test_edits_and_publications_at_once_lose_nothing(draft_path, pki, tmp_path):
    out = tmp_path / "directory.jws"
    start, sequences = threading.Barrier(6), []

    def act(index: int) -> None:
        start.wait(timeout=10)
        if index < 2:
            key, cert = pki.operator.key, pki.operator.cert
            sequences.append(publish_draft(draft_path, key, cert, out).sequence)
        else:
            with edit_draft(draft_path) as draft:
                draft.add_subsystem(DE, f"amt{index}", "Amt")

    threads = [threading.Thread(target=act, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    saved = Draft.load(draft_path)
    assert sorted(sequences) == [11, 12]
    assert saved.sequence == 12
    codes = {s["code"] for s in saved.member_json(DE)["subsystems"]}
    assert {"amt2", "amt3", "amt4", "amt5"} <= codes


def test_a_draft_that_cannot_be_saved_is_a_warning_not_a_refusal(
    draft_path, pki, tmp_path, monkeypatch
):
    on_disk = draft_path.read_bytes()
    disk_full(monkeypatch, draft_path)
    out = tmp_path / "www" / "directory.jws"
    publication = publish_draft(draft_path, pki.operator.key, pki.operator.cert, out)
    assert verify_directory(out.read_text(), [pki.operator.cert]).sequence == 11  # live
    assert (tmp_path / "www" / "directories" / "11.jws").exists()
    (warning,) = publication.warnings
    assert warning.startswith("sequence 11 is published, but the draft draft.json was not saved")
    assert "No space left on device" in warning
    assert str(tmp_path) not in warning  # it reaches admin API callers too
    assert publication.to_json()["warnings"] == [warning]
    assert draft_path.read_bytes() == on_disk
    # The next publication still goes higher: the history counts.
    monkeypatch.undo()
    assert publish_draft(draft_path, pki.operator.key, pki.operator.cert, out).sequence == 12


# ---------------------------------------------------------------------------- validity, paths


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        (168.5, "at most 168 hours .7 days., got 168.5: the directory is how revocations"),
        (math.inf, "must be a positive number of hours, got inf"),
        (math.nan, "must be a positive number of hours, got nan"),
        (-1, "must be a positive number of hours, got -1"),
    ],
)
def test_the_validity_is_bounded(draft, draft_path, pki, tmp_path, hours, message):
    on_disk, out = draft_path.read_bytes(), tmp_path / "directory.jws"
    with pytest.raises(AdminError, match=message):
        run(draft, pki, out, valid_hours=hours)
    with pytest.raises(AdminError, match=message):
        publish_draft(draft_path, pki.operator.key, pki.operator.cert, out, valid_hours=hours)
    assert not out.exists()
    assert draft_path.read_bytes() == on_disk


def test_seven_days_is_the_longest_validity(draft, pki, tmp_path):
    publication = run(draft, pki, tmp_path / "directory.jws", valid_hours=MAX_VALID_HOURS)
    assert publication.expires - publication.issued == timedelta(days=7)


def test_public_json_names_files_not_paths(draft, pki, tmp_path):
    out = tmp_path / "www" / "directory.jws"
    publication = run(draft, pki, out)
    public = publication.public_json()
    assert (public["path"], public["history_path"]) == ("directory.jws", "11.jws")
    assert public == {**publication.to_json(), "path": "directory.jws", "history_path": "11.jws"}
    assert str(tmp_path) not in str(public)
    assert draft.to_json()["path"] == str(tmp_path / "draft.json")
    assert draft.public_json() == {**draft.to_json(), "path": "draft.json"}
