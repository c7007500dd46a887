"""Loading and saving the draft: what a gateway would refuse never becomes the draft."""

from __future__ import annotations

import orjson
import pytest

from gateway.directory import sign_directory
from gateway.errors import AdminError, ConfigError, ConflictError
from gateway.federation.draft import Draft
from tests.unit.federation.conftest import DE, EE, pem


def test_load_and_save_round_trip(draft, draft_path):
    draft.add_subsystem(DE, "buergeramt", "Bürgeramt")
    assert draft.save() == draft_path
    again = Draft.load(draft_path)
    assert again.document == draft.document
    assert {"code": "buergeramt", "name": "Bürgeramt"} in again.member_json(DE)["subsystems"]
    # No temp files; the lock stays (deleting it could let two editors in at once).
    assert sorted(p.name for p in draft_path.parent.iterdir()) == ["draft.json", "draft.json.lock"]
    assert oct((draft_path.parent / "draft.json.lock").stat().st_mode & 0o777) == "0o600"


def test_load_a_missing_draft_names_the_command_that_makes_one(tmp_path):
    with pytest.raises(ConfigError, match="xgw directory create"):
        Draft.load(tmp_path / "nothing.json")


def test_load_refuses_a_signed_publication(tmp_path, document, pki):
    path = tmp_path / "directory.jws"
    path.write_text(sign_directory(document, pki.operator.key, pki.operator.cert))
    with pytest.raises(ConfigError, match="not an unsigned directory"):
        Draft.load(path)


def test_load_refuses_a_document_gateways_would_refuse(tmp_path, document):
    document["members"].append(dict(document["members"][0]))
    path = tmp_path / "draft.json"
    path.write_bytes(orjson.dumps(document))
    with pytest.raises(ConfigError, match=f"member {DE} is listed twice"):
        Draft.load(path)


def test_load_refuses_a_certificate_from_an_unlisted_ca(tmp_path, document, pki):
    document["members"][0]["tls_certificates"] = [pem(pki.foreign_tls)]
    path = tmp_path / "draft.json"
    path.write_bytes(orjson.dumps(document))
    with pytest.raises(ConfigError, match="is not issued by a CA in 'cas'"):
        Draft.load(path)


def test_a_refused_change_leaves_draft_and_file_alone(draft, draft_path):
    before, on_disk = draft.document, draft_path.read_bytes()
    with pytest.raises(AdminError, match="schema: members"):
        draft.add_subsystem(EE, "not a code!", "x")  # the schema's identifier rule
    assert draft.document == before
    assert draft_path.read_bytes() == on_disk


def test_save_refuses_to_overwrite_a_change_made_meanwhile(draft, draft_path):
    other = Draft.load(draft_path)
    other.add_subsystem(DE, "buergeramt", "Bürgeramt")
    other.save()
    draft.add_subsystem(EE, "rahvastik", "Rahvastikuregister")
    with pytest.raises(ConflictError, match="changed since it was loaded"):
        draft.save()
    assert "buergeramt" in draft_path.read_text()  # the other operator's change is kept
    assert "rahvastik" not in draft_path.read_text()


def test_save_elsewhere_and_an_in_memory_draft(draft, document, tmp_path):
    in_memory = Draft(document)
    with pytest.raises(AdminError, match="no file yet"):
        in_memory.save()
    target = tmp_path / "copy" / "draft.json"
    in_memory.save(target)
    assert Draft.load(target).document == document


def test_to_json_summarises_the_draft(draft, pki):
    summary = draft.to_json()
    assert summary["instance"] == "XGW-TEST"
    assert summary["sequence"] == 10
    assert [m["id"] for m in summary["members"]] == [DE, EE]
    assert summary["cas"][0]["subject"] == pki.ca.cert.subject.rfc4514_string()
    assert len(summary["access"]) == 2
