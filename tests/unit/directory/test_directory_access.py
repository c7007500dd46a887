"""Access rights: path patterns, methods, deny by default, grants without endpoints."""

from __future__ import annotations

from typing import Any

import pytest

import gateway.access as access_module
from gateway.access import AccessRule, EndpointRule, compile_path_pattern, normalise_request_path
from gateway.directory import Directory, Endpoint
from gateway.identifiers import ClientId, ServiceId

DE = "DE/GOV/05974028"
EE = "EE/GOV/70000310"
GEWERBEANZEIGE = f"{DE}/gewerbeamt/gewerbeanzeige"
OFFEN = f"{DE}/gewerbeamt/offen"
AUSKUNFT = f"{DE}/buergeramt/auskunft"
DETAILANDMED = f"{EE}/ariregister/detailandmed_v2"

ARIREGISTER = ClientId.parse(f"{EE}/ariregister")
RAHVASTIK = ClientId.parse(f"{EE}/rahvastikuregister")
GEWERBEAMT = ClientId.parse(f"{DE}/gewerbeamt")
ANZEIGE = ServiceId.parse(GEWERBEANZEIGE)


@pytest.fixture(scope="module")
def directory(fed: Any) -> Directory:
    return Directory.from_json(fed.doc())


def test_access_exports_exist():
    for name in access_module.__all__:
        assert hasattr(access_module, name)


# -- patterns -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/meldungen", "/meldungen", True),
        ("/meldungen", "/meldungen/", False),
        ("/meldungen", "/meldungenx", False),
        ("/meldungen/*", "/meldungen/42", True),
        ("/meldungen/*", "/meldungen/", True),
        ("/meldungen/*", "/meldungen/42/anlagen", False),
        ("/meldungen/*", "/meldungen", False),
        ("/meldungen/*/anlagen", "/meldungen/42/anlagen", True),
        ("/meldungen/*/anlagen", "/meldungen/42/43/anlagen", False),
        ("/meldungen/m-*.xml", "/meldungen/m-42.xml", True),
        ("/meldungen/m-*.xml", "/meldungen/m-42.json", False),
        ("/meldungen/m-*.xml", "/meldungen/m-42Xxml", False),  # '.' is literal
        ("/meldungen/**", "/meldungen", True),
        ("/meldungen/**", "/meldungen/", True),
        ("/meldungen/**", "/meldungen/a/b/c", True),
        ("/meldungen/**", "/meldungenx", False),
        ("/meldungen/**", "/other/meldungen", False),
        ("/a/**/z", "/a/z", True),
        ("/a/**/z", "/a/b/c/z", True),
        ("/a/**/z", "/a/b/c/zz", False),
        ("/**", "/", True),
        ("/**", "/anything/at/all", True),
        ("/", "/", True),
        ("/", "/x", False),
        ("/v1/(x)+[y]", "/v1/(x)+[y]", True),  # regex characters are literal
        ("/v1/(x)+[y]", "/v1/xx[y]", False),
    ],
)
def test_path_patterns(pattern, path, matches):
    assert (compile_path_pattern(pattern).fullmatch(path) is not None) is matches


@pytest.mark.parametrize("pattern", ["meldungen", "", "/a**", "/**b", "/a/***"])
def test_malformed_patterns(pattern):
    with pytest.raises(ValueError, match="path pattern"):
        compile_path_pattern(pattern)


def test_patterns_are_compiled_once():
    assert compile_path_pattern("/once/**") is compile_path_pattern("/once/**")


@pytest.mark.parametrize(
    ("path", "normalised"),
    [
        ("", "/"),
        ("/a/b?x=1", "/a/b"),
        ("/a#frag", None),
        ("/slow%3F/../secret", None),  # an encoded "?" must not cut the path short
        ("/slow%23/x", None),
        ("/a%2Fb", None),
        ("/a%00b", None),
        ("/echo/..;/seen", None),  # Java servers read "..;" as ".."
        ("/a/.;x/b", None),
        ("/a//b", None),  # many servers merge "//"
        ("/a/b/", "/a/b/"),
        ("/a;b=1/c", "/a;b=1/c"),
        ("/a/./b", None),
        ("/a/../b", None),
        ("/a/%2e%2E/b", None),
        ("/a/..%2Fb", None),
        ("/a/..%5cb", None),
        ("relative", None),
        ("/a/.hidden/b..c", "/a/.hidden/b..c"),
    ],
)
def test_normalise_request_path(path, normalised):
    assert normalise_request_path(path) == normalised


def test_method_must_be_upper_case_or_star():
    with pytest.raises(ValueError, match="method 'get'"):
        EndpointRule.compile("get", "/")


def test_rule_merge_is_a_union():
    one = AccessRule.of([("GET", "/a")])
    two = AccessRule.of([("POST", "/b"), ("GET", "/a")])
    merged = one.merge(two)
    assert [(e.method, e.path) for e in merged.endpoints] == [("GET", "/a"), ("POST", "/b")]
    assert one.merge(AccessRule.any()).unrestricted


def test_empty_rule_means_any_endpoint():
    assert AccessRule.of([]).unrestricted
    assert AccessRule.of([]).allows("DELETE", "/x/y")


def test_unrestricted_still_refuses_dot_segments():
    assert not AccessRule.any().allows("GET", "/a/../admin")


# -- the directory's decisions ------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/meldungen", True),
        ("GET", "/meldungen/42", True),
        ("get", "/meldungen/42/anlagen/1", True),
        ("GET", "/meldungen/42?format=xml", True),
        ("POST", "/meldungen", False),  # the grant lists GET only
        ("GET", "/andere", False),
        ("GET", "/meldungen/../admin", False),
    ],
)
def test_grant_with_endpoints(directory, method, path, allowed):
    assert directory.is_allowed(ARIREGISTER, ANZEIGE, method, path) is allowed


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/meldungen", True),
        ("GET", "/meldungen/42", True),
        ("GET", "/meldungen", False),  # the service lists POST /meldungen, GET /meldungen/*
        ("GET", "/meldungen/42/anlagen", False),
        ("DELETE", "/meldungen/42", False),
    ],
)
def test_grant_without_endpoints_uses_the_services(directory, method, path, allowed):
    assert directory.is_allowed(RAHVASTIK, ANZEIGE, method, path) is allowed


def test_service_without_endpoints_allows_any_method_and_path(directory):
    offen = ServiceId.parse(OFFEN)
    assert directory.is_allowed(ARIREGISTER, offen, "PATCH", "/x/y/z")
    assert directory.is_allowed(ARIREGISTER, offen, "GET", "")
    assert directory.allowed_endpoints(ARIREGISTER, offen) == (Endpoint("*", "/**"),)


def test_method_star(directory):
    service = ServiceId.parse(DETAILANDMED)
    for method in ("GET", "POST", "DELETE"):
        assert directory.is_allowed(GEWERBEAMT, service, method, "/70000310/details")
    assert not directory.is_allowed(GEWERBEAMT, service, "GET", "/70000310/details/x")


def test_deny_by_default(directory):
    # No grant for this pair, nor for the unknown service, nor for the provider itself.
    assert not directory.is_allowed(ARIREGISTER, ServiceId.parse(AUSKUNFT), "POST", "/")
    assert not directory.is_allowed(ARIREGISTER, ServiceId.parse(f"{DE}/gewerbeamt/x"), "GET", "/")
    assert not directory.is_allowed(GEWERBEAMT, ANZEIGE, "POST", "/meldungen")
    assert directory.allowed_endpoints(ARIREGISTER, ServiceId.parse(AUSKUNFT)) == ()


def test_member_level_client_is_refused(directory):
    member = ClientId.parse(EE)
    assert not directory.is_allowed(member, ServiceId.parse(OFFEN), "GET", "/")
    assert directory.allowed_endpoints(member, ServiceId.parse(OFFEN)) == ()


def test_allowed_endpoints(directory):
    assert directory.allowed_endpoints(ARIREGISTER, ANZEIGE) == (Endpoint("GET", "/meldungen/**"),)
    assert directory.allowed_endpoints(RAHVASTIK, ANZEIGE) == (
        Endpoint("POST", "/meldungen"),
        Endpoint("GET", "/meldungen/*"),
    )


def test_several_grants_for_one_pair_add_up(fed):
    doc = fed.doc()
    doc["access"].append(
        {
            "client": f"{EE}/ariregister",
            "service": GEWERBEANZEIGE,
            "endpoints": [{"method": "POST", "path": "/meldungen"}],
        }
    )
    directory = Directory.from_json(doc)
    assert directory.is_allowed(ARIREGISTER, ANZEIGE, "POST", "/meldungen")
    assert directory.is_allowed(ARIREGISTER, ANZEIGE, "GET", "/meldungen/1")
    assert directory.allowed_endpoints(ARIREGISTER, ANZEIGE) == (
        Endpoint("GET", "/meldungen/**"),
        Endpoint("POST", "/meldungen"),
    )
