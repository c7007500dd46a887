"""Each scheme: real and documented identifiers pass, normalisation, and every rule refusing."""

from __future__ import annotations

import pytest

from connectors.identifiers import SCHEMES, InvalidIdentifierError, check, normalise, validate

# (scheme, identifier, where it comes from). "shared:" paths are under ../shared.
VALID = [
    ("de.steuer-idnr", "86095742719", "ELSTER, Pruefung der Steuer- und Steueridentifikatsnummer"),
    ("de.steuer-idnr", "47036892816", "ELSTER, same document"),
    ("de.steuer-idnr", "65929970489", "ELSTER, same document"),
    ("de.steuer-idnr", "57549285017", "ELSTER, same document"),
    ("de.steuer-idnr", "25768131411", "ELSTER, same document"),
    ("de.steuer-idnr", "12345678995", "kryptografie.de worked example"),
    ("de.steuer-idnr", "12131456787", "computed: a digit three times, never in a row (since 2016)"),
    (
        "nl.bsn",
        "999993653",
        "shared:partners/netherlands/.../request-raadpleeg-met-bsn.DERIVED.json",
    ),
    ("nl.bsn", "249566758", "the fictitious BSN of a published elfproef worked example"),
    ("nl.rsin", "823807071", "shared:partners/netherlands/kvk/zoeken-openapi-v2.yaml (example)"),
    ("nl.kvk", "59581883", "shared:partners/netherlands/kvk/zoeken-openapi-v2.yaml (example)"),
    ("nl.kvk-vestiging", "000015063097", "shared:partners/netherlands/kvk/zoeken-openapi-v2.yaml"),
    ("be.ssin", "90010100123", "shared:partners/belgium/magda/request-templates/GeefPersoon"),
    ("be.ssin", "53480200724", "shared:partners/belgium/belgif/belgif-person-identifier-v1.yaml"),
    ("be.ssin", "00012556777", "MAGDA documentation, mod-97 example for a birth from 2000"),
    ("be.ssin", "93051822361", "published worked example of the national number"),
    ("be.ssin", "85000012313", "computed: birth date unknown (month and day 00)"),
    ("be.ssin", "85200012356", "computed: BIS number, sex unknown, date unknown"),
    ("be.ssin", "85273000007", "computed: BIS number with day serial 000"),
    ("be.ssin", "00022900145", "computed: 29 February 2000"),
    (
        "be.enterprise",
        "0202239951",
        "shared:partners/belgium/magda/examples/Onderneming_GeefOnderneming",
    ),
    (
        "be.enterprise",
        "0411696011",
        "shared:partners/belgium/magda/examples/...GeefOndernemingVKBO",
    ),
    ("be.enterprise", "0412937710", "shared:partners/belgium/magda/examples/Persoon_GeefPersoon"),
    ("be.enterprise", "0353456320", "FPS Economy, KBO identification numbers page"),
    ("be.enterprise", "0566988259", "MAGDA documentation, Checksum97 example"),
    ("be.establishment", "2147812701", "FPS Economy, KBO identification numbers page"),
    ("be.establishment", "2147812897", "FPS Economy, same page"),
    ("ee.isikukood", "36805280109", "python-stdnum documentation example"),
    ("ee.isikukood", "60002291230", "computed: 29 February 2000"),
    ("ee.isikukood", "70501010001", "computed: first digit 7, a man born in 2105"),
    ("ee.registrikood", "70008440", "shared:partners/estonia/.../request-isikud.DERIVED.json (RR)"),
    ("ee.registrikood", "11283219", "a company's registry code (public register)"),
    ("ee.registrikood", "12417834", "a company's registry code (public register)"),
    ("ee.registrikood", "10422334", "a company's registry code (public register)"),
    ("lu.matricule", "1893120105732", "lux-utils documentation example"),
    ("lu.matricule", "1985000012375", "computed: month and day unknown (00)"),
    ("eu.euid", "DEK1101R.HRB116737", "shared:partners/eu/INDEX.md (BRIS caveat)"),
    ("eu.euid", "NLNHR.59581883", "shared:partners/eu/INDEX.md pattern, KvK example"),
    ("eu.euid", "BEKBOBCE.0202239951", "shared:partners/eu/INDEX.md pattern, MAGDA example"),
    ("de.handelsregister", "G1103 HRB 45668", "shared:xoev/xgewerbeanzeige/samples/xgwa2.1"),
    ("de.handelsregister", "K1101R HRB 116737", "the EUID example's register entry"),
    ("de.handelsregister", "HRB 12345 B", "a Berlin entry: the court's suffix"),
    ("de.handelsregister", "VR 4711", "computed: an association, court unknown"),
]


@pytest.mark.parametrize(("scheme", "value", "source"), VALID)
def test_published_and_computed_identifiers_pass(scheme, value, source):
    identifier = validate(scheme, value)
    assert identifier.notation == value
    assert identifier.warnings == ()
    assert check(scheme, value) == []


def test_every_scheme_has_valid_examples():
    assert {scheme for scheme, _, _ in VALID} == set(SCHEMES)


NORMALISED = [
    ("de.steuer-idnr", "86 095 742 719", "86095742719"),
    ("de.steuer-idnr", "86/095/742/719", "86095742719"),
    ("nl.bsn", "9999.93.653", "999993653"),
    ("nl.bsn", " 999 993 653\n", "999993653"),
    ("nl.bsn", "12345672", "012345672"),  # an integer column lost the zero
    ("nl.rsin", "823 807 071", "823807071"),
    ("nl.kvk", "5958 1883", "59581883"),
    ("nl.kvk-vestiging", "0000-1506-3097", "000015063097"),
    ("be.ssin", "85.07.30-033.28", "85073003328"),
    ("be.ssin", "85 07 30 033 28", "85073003328"),
    ("be.ssin", "0012556777", "00012556777"),
    ("be.ssin", "012556777", "00012556777"),
    ("be.ssin", "12556777", "00012556777"),
    ("be.enterprise", "BE 0403.170.701", "0403170701"),
    ("be.enterprise", "be0403170701", "0403170701"),
    ("be.enterprise", "BE403170701", "0403170701"),
    ("be.enterprise", "0403 170 701", "0403170701"),
    ("be.enterprise", "403.170.701", "0403170701"),
    ("be.enterprise", "202239951", "0202239951"),  # MAGDA InstrumenterendeOverheid
    ("be.establishment", "2.147.812.701", "2147812701"),
    ("ee.isikukood", " 36805280109 ", "36805280109"),
    ("ee.registrikood", "1128\u00a03219", "11283219"),
    ("lu.matricule", "1893 1201 057 32", "1893120105732"),
    ("eu.euid", " nlnhr.59581883 ", "NLNHR.59581883"),
    ("eu.euid", "DEK1101R. HRB 116737", "DEK1101R.HRB116737"),
    ("de.handelsregister", "HRB116737", "HRB 116737"),
    ("de.handelsregister", "k1101r hrb  116737", "K1101R HRB 116737"),
    ("de.handelsregister", "K1101R.HRB116737", "K1101R HRB 116737"),
    ("de.handelsregister", "gnr 12", "GnR 12"),
    ("de.handelsregister", "hrb 12345b", "HRB 12345 B"),
]


@pytest.mark.parametrize(("scheme", "raw", "notation"), NORMALISED)
def test_normalisation(scheme, raw, notation):
    assert normalise(scheme, raw) == notation
    assert validate(scheme, raw).notation == notation


@pytest.mark.parametrize(
    ("scheme", "raw"),
    [
        ("nl.kvk", "1234567"),  # no evidence KvK numbers start with 0: no zero restored
        ("nl.kvk-vestiging", "15063097"),  # would turn a KvK-nummer into a vestigingsnummer
        ("de.steuer-idnr", "8609574271"),  # production IdNrs never start with 0
        ("nl.bsn", "9999365"),  # one lost zero at most
        ("be.enterprise", "40317070"),
    ],
)
def test_zeros_are_restored_only_where_a_lost_zero_is_plausible(scheme, raw):
    assert normalise(scheme, raw) == raw
    with pytest.raises(InvalidIdentifierError) as info:
        validate(scheme, raw)
    assert "digits, expected" in str(info.value)


DIGIT_SCHEMES = {
    "de.steuer-idnr": "86095742719",
    "nl.bsn": "999993653",
    "nl.rsin": "823807071",
    "nl.kvk": "59581883",
    "nl.kvk-vestiging": "000015063097",
    "be.ssin": "85073003328",
    "be.enterprise": "0403170701",
    "be.establishment": "2147812701",
    "ee.isikukood": "36805280109",
    "ee.registrikood": "11283219",
    "lu.matricule": "1893120105732",
}


def _bad_forms(valid: str) -> list[str]:
    return [
        valid + "1",
        valid[:-4],  # shorter than any restoration of lost zeros
        valid[:4] + "X" + valid[5:],
        valid[:4] + "\u0663" + valid[5:],  # ARABIC-INDIC DIGIT THREE: str.isdigit() says yes
        "",
        "   ",
        valid * 8,
    ]


@pytest.mark.parametrize("scheme", sorted(DIGIT_SCHEMES))
@pytest.mark.parametrize("lenient", [False, True])
def test_lengths_and_characters_fail_even_in_lenient_mode(scheme, lenient):
    for raw in _bad_forms(DIGIT_SCHEMES[scheme]):
        with pytest.raises(InvalidIdentifierError) as info:
            validate(scheme, raw, lenient=lenient)
        assert info.value.failures, raw
        assert any(w in str(info.value) for w in ("digit", "characters")), str(info.value)


def test_a_non_digit_is_named_by_position():
    assert check("nl.bsn", "9999X3653") == ["character 5 is not a digit"]


STRUCTURE = [
    ("de.steuer-idnr", "02476291358", "first digit is 0"),
    ("de.steuer-idnr", "12345678903", "exactly one digit must occur more than once"),
    ("de.steuer-idnr", "11233456784", "exactly one digit must occur more than once"),
    ("de.steuer-idnr", "12131415674", "more than three times"),
    ("de.steuer-idnr", "11123456786", "three in a row"),
    ("nl.bsn", "000000000", "all zeros"),
    ("be.ssin", "85133012377", "no birth month"),
    ("be.ssin", "85333012323", "no birth month"),
    ("be.ssin", "48610999771", "no birth month"),  # MAGDA test person: month + 60
    ("be.ssin", "85073212372", "no date of birth"),
    ("be.ssin", "85023012397", "no date of birth"),
    ("be.ssin", "00022900116", "no date of birth"),  # 29 February 1900 does not exist
    ("be.ssin", "85073000061", "serial"),
    ("be.enterprise", "2147812701", "first digit must be 0 or 1"),
    ("be.establishment", "0403170701", "first digit must be 2-8"),
    ("ee.isikukood", "06805280106", "first digit"),
    ("ee.isikukood", "96805280104", "first digit"),
    ("ee.isikukood", "36802300103", "no date of birth"),
    ("ee.isikukood", "40002291238", "no date of birth"),  # 1900 was no leap year
    ("ee.registrikood", "21283214", "first digit must be 1"),
    ("ee.registrikood", "50000011", "first digit must be 1"),
    ("lu.matricule", "1985023012399", "no date of birth"),
    ("lu.matricule", "1985130112315", "no date of birth"),
]


@pytest.mark.parametrize(("scheme", "value", "rule"), STRUCTURE)
def test_structure_rules_refuse(scheme, value, rule):
    with pytest.raises(InvalidIdentifierError) as info:
        validate(scheme, value)
    assert len(info.value.failures) == 1  # the check digits are right: only this rule fails
    assert rule in info.value.failures[0]


CHECKSUM = [
    ("de.steuer-idnr", "86095742718", "ISO 7064 MOD 11,10 check digit fails (expected 9)"),
    ("nl.bsn", "999993654", "11-check fails (sum 351 is not divisible by 11)"),
    ("nl.rsin", "823807072", "11-check fails"),
    ("be.ssin", "85073003329", "mod-97 check fails for a birth before 2000 (expected 28)"),
    ("be.enterprise", "0403170702", "mod-97 check fails (expected 01)"),
    ("be.establishment", "2147812702", "mod-97 check fails (expected 01)"),
    ("ee.isikukood", "36805280108", "check digit fails (expected 9)"),
    ("ee.registrikood", "11283218", "check digit fails (expected 9)"),
    ("lu.matricule", "1893120105722", "12th digit (Luhn over digits 1-11) fails (expected 3)"),
]


@pytest.mark.parametrize(("scheme", "value", "rule"), CHECKSUM)
def test_checksum_rules_refuse_and_say_what_was_expected(scheme, value, rule):
    with pytest.raises(InvalidIdentifierError) as info:
        validate(scheme, value)
    assert rule in str(info.value)
    assert check(scheme, value) == list(info.value.failures)


def test_luxembourg_13th_digit_only_warns():
    identifier = validate("lu.matricule", "1893120105733")
    assert identifier.notation == "1893120105733"
    assert identifier.warnings == (
        "13th digit (Verhoeff over digits 1-11) fails (expected 2): accepted, as for older"
        " matricules",
    )
    assert check("lu.matricule", "1893120105733") == list(identifier.warnings)


def test_luxembourg_11_digit_matricule_is_refused_with_the_reason():
    for lenient in (False, True):
        with pytest.raises(InvalidIdentifierError) as info:
            validate("lu.matricule", "18931201057", lenient=lenient)
        assert "before 2014" in str(info.value)


@pytest.mark.parametrize(
    ("scheme", "raw"),
    [
        ("eu.euid", "NLNHR59581883"),  # no dot
        ("eu.euid", "XXNHR.59581883"),  # no EU/EEA country
        ("eu.euid", "GRGEMI.123456"),  # Greece is EL in EU registers
        ("eu.euid", ".59581883"),
        ("eu.euid", "NLNHR."),
        ("de.handelsregister", "HRC 12345"),
        ("de.handelsregister", "HRB"),
        ("de.handelsregister", "Amtsgericht Cottbus HRB 45668"),
        ("de.handelsregister", "HRB 12345678"),
    ],
)
def test_format_only_schemes_refuse_malformed_values(scheme, raw):
    for lenient in (False, True):
        with pytest.raises(InvalidIdentifierError):
            validate(scheme, raw, lenient=lenient)
