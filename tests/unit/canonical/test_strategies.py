"""The hypothesis strategies generate valid, realistic documents; both validators agree on them."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import find as hypothesis_find
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from connectors.canonical import KINDS, SCHEMA_FILES, schema, validate
from connectors.canonical.validate import COMMON_FILE, first_violation, json_path
from gateway import shipped
from gateway.errors import ConnectorError
from tests.unit.canonical import strategies as s

_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("kind", KINDS)
def test_200_generated_documents_per_kind_validate(kind: str):
    @_SETTINGS
    @given(s.documents(kind))
    def check(doc: dict[str, Any]) -> None:
        validate(kind, doc)

    check()


@pytest.fixture(scope="module")
def reference() -> dict[str, Draft202012Validator]:
    """The pure-Python validator over the same schemas, as an independent judge."""
    registry: Registry = Registry().with_resources(
        (c["$id"], Resource.from_contents(c, DRAFT202012))
        for c in map(shipped.load_json, [COMMON_FILE, *SCHEMA_FILES.values()])
    )
    return {k: Draft202012Validator(schema(k), registry=registry) for k in KINDS}


def _leaves(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _leaves(child, (*path, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _leaves(child, (*path, index))
    return found


def _break(doc: dict[str, Any], where: tuple[str | int, ...], how: str) -> dict[str, Any]:
    broken = copy.deepcopy(doc)
    parent: Any = broken
    for part in where[:-1]:
        parent = parent[part]
    target = parent[where[-1]] if where else broken
    if how == "unknown" and isinstance(target, dict):
        target["zzUnknown"] = 1
    elif how == "type":
        if where:
            parent[where[-1]] = 3.5 if not isinstance(target, float) else "x"
        else:
            broken = ["not", "an", "object"]  # type: ignore[assignment]
    elif how == "empty" and isinstance(target, dict | list | str) and where:
        parent[where[-1]] = type(target)()
    return broken


@pytest.mark.parametrize("kind", KINDS)
def test_both_validators_agree_on_validity_and_first_violation(kind: str, reference):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(s.documents(kind), st.data())
    def check(doc: dict[str, Any], data: st.DataObject) -> None:
        assert reference[kind].is_valid(doc)
        where = data.draw(st.sampled_from(_leaves(doc)))
        broken = _break(doc, where, data.draw(st.sampled_from(["unknown", "type", "empty"])))
        errors = [(tuple(e.absolute_path), str(e.validator), None)
                  for e in reference[kind].iter_errors(broken)]  # fmt: skip
        if not errors:
            validate(kind, broken)
            return
        expected = json_path(first_violation(broken, errors)[0])
        with pytest.raises(ConnectorError) as info:
            validate(kind, broken)
        assert info.value.message.startswith(f"{kind}: {expected}: ")

    check()


@pytest.mark.parametrize("scheme", s.SCHEMES)
def test_generated_identifiers_pass_their_check_digits(scheme: str):
    identifiers = pytest.importorskip("connectors.identifiers")

    @settings(max_examples=100, deadline=None)
    @given(s.notation(scheme))
    def check(notation: str) -> None:
        assert identifiers.check(scheme, notation) == [], notation
        assert identifiers.normalise(scheme, notation) == notation

    check()


# The first example found is proof enough that one exists: shrinking it to the smallest
# (hypothesis' default) took over a minute for a person on a busy machine.
_FIND = settings(phases=[Phase.generate], database=None, derandomize=True, max_examples=2000)


def find(strategy: st.SearchStrategy[Any], condition: Any) -> Any:
    return hypothesis_find(strategy, condition, settings=_FIND)


def test_names_carry_diacritics_prefixes_and_upper_case():
    def family(name: dict[str, Any]) -> str:
        return str(name.get("familyName", ""))

    assert (
        not find(s.persons(), lambda p: not family(p.get("name", {})).isascii())
        .get("name", {})
        .get("familyName", "")
        .isascii()
    )
    # The names persons carry, asked of the name strategy itself: a whole person per example
    # made the upper-case Estonian search take 15-45 s.
    names_nl, names_ee = s.person_names(countries=("NL",)), s.person_names(countries=("EE",))
    assert "namePrefix" in find(names_nl, lambda n: "namePrefix" in n)
    assert find(names_ee, lambda n: family(n).isupper() and len(family(n)) > 2)


def test_partial_dates_of_every_precision_occur():
    for length in (4, 7, 10):

        def has_length(date: str, n: int = length) -> bool:
            return len(date) == n

        assert len(find(s.partial_dates(), has_length)) == length


def test_strategies_can_be_narrowed_to_one_partner():
    @settings(max_examples=50, deadline=None)
    @given(s.persons(schemes=("nl.bsn",), countries=("NL",)))
    def check(person: dict[str, Any]) -> None:
        validate("Person", person)
        for identifier in person.get("identifiers", []):
            assert identifier["scheme"] == "nl.bsn"
        assert person.get("residenceAddress", {}).get("adminUnitL1", "NL") == "NL"
        assert set(person.get("nationalities", [])) <= {"NL"}

    check()
