"""Granting and withdrawing access rights, checked with the gateway's own decision."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gateway.directory import Directory
from gateway.errors import AdminError, ConflictError, NotFoundError
from gateway.federation.draft import Draft
from gateway.identifiers import ClientId, ServiceId
from tests.unit.federation.conftest import (
    CLIENT,
    DE,
    EE_CLIENT,
    ETTEVOTTED,
    GEWERBEANZEIGE,
    OFFEN,
)


def allowed(draft: Draft, client: str, service: str, method: str, path: str) -> bool:
    """What a gateway holding this draft would decide."""
    directory = Directory.from_json(draft.document)
    return directory.is_allowed(ClientId.parse(client), ServiceId.parse(service), method, path)


def entries(draft: Draft, client: str, service: str) -> list[dict[str, Any]]:
    return [
        e for e in draft.document["access"] if e["client"] == client and e["service"] == service
    ]


def test_grant_every_endpoint(draft):
    assert not allowed(draft, CLIENT, OFFEN, "DELETE", "/anything")
    change = draft.grant(CLIENT, OFFEN)
    assert change.action == "access.grant"
    assert change.summary == f"granted {CLIENT} -> {OFFEN}: every endpoint"
    assert allowed(draft, CLIENT, OFFEN, "DELETE", "/anything")
    assert entries(draft, CLIENT, OFFEN) == [{"client": CLIENT, "service": OFFEN}]
    with pytest.raises(ConflictError, match=r"may call every endpoint of .* already"):
        draft.grant(CLIENT, OFFEN, ["GET /x"])


def test_grant_adds_endpoints_to_one_entry(draft):
    assert not allowed(draft, CLIENT, ETTEVOTTED, "POST", "/ettevotted/1")
    draft.grant(CLIENT, ETTEVOTTED, [("post", "/ettevotted/**")])
    assert allowed(draft, CLIENT, ETTEVOTTED, "POST", "/ettevotted/1")
    assert allowed(draft, CLIENT, ETTEVOTTED, "GET", "/ettevotted/1")  # kept
    assert entries(draft, CLIENT, ETTEVOTTED) == [
        {
            "client": CLIENT,
            "service": ETTEVOTTED,
            "endpoints": [
                {"method": "GET", "path": "/ettevotted/**"},
                {"method": "POST", "path": "/ettevotted/**"},
            ],
        }
    ]
    with pytest.raises(ConflictError, match=r"may call GET /ettevotted/\*\* on .* already"):
        draft.grant(CLIENT, ETTEVOTTED, ["GET /ettevotted/**"])


def test_grant_merges_entries_a_spec_wrote_separately(tmp_path, document):
    document["access"].append(
        {
            "client": CLIENT,
            "service": ETTEVOTTED,
            "endpoints": [{"method": "GET", "path": "/extra"}],
        }
    )
    path = tmp_path / "draft.json"
    path.write_bytes(orjson.dumps(document))
    draft = Draft.load(path)
    draft.grant(CLIENT, ETTEVOTTED, ["DELETE /ettevotted/*"])
    (entry,) = entries(draft, CLIENT, ETTEVOTTED)
    assert [e["path"] for e in entry["endpoints"]] == ["/ettevotted/**", "/extra", "/ettevotted/*"]
    assert draft.document["access"][0] == entry  # in the first entry's place


@pytest.mark.parametrize(
    ("client", "service", "error", "message"),
    [
        (CLIENT, f"{DE}/gewerbeamt/none", NotFoundError, "no service .*/none in the draft"),
        (f"{DE}/nobody", OFFEN, NotFoundError, "is not a subsystem of any member"),
        (DE, OFFEN, AdminError, "is a member; access is granted to a subsystem"),
        ("DE/GOV", OFFEN, AdminError, "must be INSTANCE/CLASS/CODE"),
    ],
)
def test_grant_refusals(draft, client, service, error, message):
    before = draft.document
    with pytest.raises(error, match=message):
        draft.grant(client, service)
    assert draft.document == before


def test_withdraw_whole(draft):
    change = draft.withdraw(EE_CLIENT, GEWERBEANZEIGE)
    assert change.summary == f"withdrew {EE_CLIENT} -> {GEWERBEANZEIGE}: every endpoint"
    assert not allowed(draft, EE_CLIENT, GEWERBEANZEIGE, "POST", "/meldungen")
    assert entries(draft, EE_CLIENT, GEWERBEANZEIGE) == []
    with pytest.raises(NotFoundError, match="has no access right to"):
        draft.withdraw(EE_CLIENT, GEWERBEANZEIGE)


def test_withdraw_some_endpoints(draft):
    draft.grant(CLIENT, ETTEVOTTED, ["POST /ettevotted/**"])
    change = draft.withdraw(CLIENT, ETTEVOTTED, ["GET /ettevotted/**"])
    assert change.notes == ("still granted: POST /ettevotted/**",)
    assert not allowed(draft, CLIENT, ETTEVOTTED, "GET", "/ettevotted/1")
    assert allowed(draft, CLIENT, ETTEVOTTED, "POST", "/ettevotted/1")


def test_withdrawing_the_last_endpoint_leaves_no_entry(draft):
    # An entry with no endpoints would grant every endpoint: it must go altogether.
    change = draft.withdraw(CLIENT, ETTEVOTTED, ["GET /ettevotted/**"])
    assert change.notes == ("no access right left",)
    assert entries(draft, CLIENT, ETTEVOTTED) == []
    for method in ("GET", "POST"):
        assert not allowed(draft, CLIENT, ETTEVOTTED, method, "/ettevotted/1")


def test_withdraw_from_a_grant_of_every_listed_endpoint(draft):
    # EE's client may call every endpoint of GEWERBEANZEIGE, which lists two.
    draft.withdraw(EE_CLIENT, GEWERBEANZEIGE, ["POST /meldungen"])
    assert not allowed(draft, EE_CLIENT, GEWERBEANZEIGE, "POST", "/meldungen")
    assert allowed(draft, EE_CLIENT, GEWERBEANZEIGE, "GET", "/meldungen/42")


def test_withdraw_refusals(draft):
    with pytest.raises(NotFoundError, match=r"was not granted DELETE /ettevotted/\*\*"):
        draft.withdraw(CLIENT, ETTEVOTTED, ["DELETE /ettevotted/**"])
    draft.grant(CLIENT, OFFEN)  # OFFEN lists no endpoints: any method and path
    with pytest.raises(AdminError, match="withdraw the access right whole"):
        draft.withdraw(CLIENT, OFFEN, ["GET /x"])
    with pytest.raises(NotFoundError, match="has no access right"):
        draft.withdraw(EE_CLIENT, OFFEN, ["GET /x"])
    assert allowed(draft, CLIENT, OFFEN, "GET", "/x")


def test_an_empty_endpoint_list_means_the_whole_right(draft):
    draft.grant(CLIENT, OFFEN, [])
    assert allowed(draft, CLIENT, OFFEN, "PUT", "/any")
    draft.withdraw(CLIENT, OFFEN, [])
    assert entries(draft, CLIENT, OFFEN) == []
