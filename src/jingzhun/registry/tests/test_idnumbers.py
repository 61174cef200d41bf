"""Tests for jingzhun.registry.idnumbers (pure Python, no database)."""

from __future__ import annotations

import pickle
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jingzhun.registry import idnumbers
from jingzhun.registry.idnumbers import (
    IdNumberError,
    ParsedId,
    birth_date_from_id,
    check_digit,
    is_valid,
    make_id,
    normalize,
    parse,
    parse_many,
    sex_from_id,
    upgrade15,
)

TODAY = date(2025, 6, 30)
VALID = "11010519491231002X"

provinces = st.sampled_from(sorted(idnumbers.PROVINCE_CODES))
address_codes = st.builds(lambda p, rest: p + f"{rest:04d}", provinces, st.integers(0, 9999))
births = st.dates(min_value=date(1880, 1, 1), max_value=TODAY)
seqs = st.integers(0, 999)
valid_ids = st.builds(make_id, address_codes, births, seqs)


def _error(raw: object, **kwargs: object) -> IdNumberError:
    with pytest.raises(IdNumberError) as info:
        parse(raw, today=TODAY, **kwargs)  # type: ignore[arg-type]
    return info.value


# ----------------------------------------------------------------------------------------------
# Check digit
# ----------------------------------------------------------------------------------------------


def test_check_digit_known_example() -> None:
    assert check_digit(VALID[:17]) == "X"
    assert check_digit("44052418800101001") == "4"  # weighted sum 195, 195 % 11 = 8 -> "4"
    assert check_digit("11010519800101001") == "6"  # weighted sum 116, 116 % 11 = 6 -> "6"
    assert is_valid(VALID, today=TODAY)


def test_wrong_check_digit_message_names_expected_and_actual() -> None:
    err = _error("110105194912310021")
    assert err.code == "check_digit"
    assert "应为 X" in err.message and "实际为 1" in err.message
    assert str(err) == err.message


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_fast_check_digit_matches_weighted_sum(first17: str) -> None:
    total = sum(int(d) * w for d, w in zip(first17, idnumbers.WEIGHTS, strict=True))
    assert check_digit(first17) == "10X98765432"[total % 11]
    assert idnumbers._fast_check_digit(first17) == check_digit(first17)


@pytest.mark.parametrize(
    "bad", ["1101051949123100", "1101051949123100A", "１１０１０５１９４９１２３１００２"]
)
def test_check_digit_rejects_malformed_input(bad: str) -> None:
    with pytest.raises(IdNumberError) as info:
        check_digit(bad)
    assert info.value.code == "chars"


# ----------------------------------------------------------------------------------------------
# Round trips and single-digit errors
# ----------------------------------------------------------------------------------------------


@given(address_codes, births, seqs)
def test_make_id_round_trips(address: str, birth: date, seq: int) -> None:
    number = make_id(address, birth, seq)
    parsed = parse(number, today=TODAY)
    assert parsed.number == number
    assert parsed.birth_date == birth == birth_date_from_id(number)
    assert parsed.sex == ("1" if seq % 2 else "2") == sex_from_id(number)
    assert parsed.address_code == address
    assert parsed.kind == "resident_id" and not parsed.upgraded_from_15


@given(valid_ids, st.integers(0, 17), st.integers(1, 10))
def test_any_single_character_change_is_detected(number: str, position: int, shift: int) -> None:
    alphabet = "0123456789X" if position == 17 else "0123456789"
    old = alphabet.index(number[position])
    new = alphabet[(old + shift) % len(alphabet)]
    if new == number[position]:  # shift == len(alphabet) for 10-character alphabet
        new = alphabet[(old + 1) % len(alphabet)]
    changed = number[:position] + new + number[position + 1 :]
    assert changed != number
    assert not is_valid(changed, today=TODAY)


def test_make_id_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        make_id("11010", date(2000, 1, 1), 1)
    with pytest.raises(ValueError):
        make_id("110105", date(2000, 1, 1), 1000)
    assert make_id("110105", date(1949, 12, 31), 2) == VALID


# ----------------------------------------------------------------------------------------------
# 15-digit upgrade
# ----------------------------------------------------------------------------------------------


def test_upgrade15_known_example() -> None:
    assert upgrade15("110105491231002") == VALID


def test_parse_upgrades_15_digit_numbers() -> None:
    parsed = parse("110105491231002", today=TODAY)
    assert parsed.number == VALID
    assert parsed.upgraded_from_15 is True
    assert parsed.birth_date == date(1949, 12, 31)
    assert parse(110105491231002, today=TODAY).number == VALID  # 15 digits survive as an Excel number


@given(address_codes, st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), seqs)
def test_upgrade15_property(address: str, birth: date, seq: int) -> None:
    id15 = f"{address}{birth:%y%m%d}{seq:03d}"
    assert upgrade15(id15) == make_id(address, birth, seq)


def test_upgrade15_rejects_non_15_digit_input() -> None:
    with pytest.raises(IdNumberError):
        upgrade15("11010549123100")
    with pytest.raises(IdNumberError):
        upgrade15("11010549123100X")
    assert _error("11010549123100X").code == "chars"


# ----------------------------------------------------------------------------------------------
# Normalisation
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",
        " 110105 19491231 002X\t",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        "\u3000110105\u00a019491231002X\u3000",
        "'11010519491231002X",
        '"11010519491231002X"',
        "“11010519491231002X”",
        "\ufeff11010519491231002x\u200b",
        "11010519491231002Ⅹ",
    ],
)
def test_normalisation_variants(raw: str) -> None:
    assert normalize(raw) == VALID
    assert parse(raw, today=TODAY).number == VALID


def test_normalize_non_strings() -> None:
    assert normalize(None) == ""
    assert normalize(float("nan")) == ""
    assert normalize(110105491231002) == "110105491231002"
    assert normalize(b"11010519491231002x") == VALID
    assert _error(None).code == "empty"
    assert _error("   \u3000").code == "empty"


# ----------------------------------------------------------------------------------------------
# Disability certificates
# ----------------------------------------------------------------------------------------------


def test_disability_certificate_valid() -> None:
    parsed = parse(VALID + "41", today=TODAY)
    assert parsed == ParsedId(
        number=VALID,
        sex="2",
        birth_date=date(1949, 12, 31),
        address_code="110105",
        kind="disability_cert",
        disability_cert=VALID + "41",
        disability_category="4",
        disability_grade="1",
        upgraded_from_15=False,
    )


@pytest.mark.parametrize("suffix", ["01", "81", "91"])
def test_disability_certificate_bad_category(suffix: str) -> None:
    err = _error(VALID + suffix)
    assert err.code == "disability_category"
    assert f"实际为 {suffix[0]}" in err.message


@pytest.mark.parametrize("suffix", ["10", "15", "79"])
def test_disability_certificate_bad_grade(suffix: str) -> None:
    err = _error(VALID + suffix)
    assert err.code == "disability_grade"
    assert f"实际为 {suffix[1]}" in err.message


def test_disability_certificate_embedded_id_is_validated() -> None:
    assert _error("110105194912310021" + "41").code == "check_digit"
    assert _error("110105199902300011" + "41").code == "birth_date"
    assert _error("1101051949123100X241").code == "chars"


# ----------------------------------------------------------------------------------------------
# Excel damage
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "1.10105E+17",
        "4.30681E17",
        "1.10105e+17",
        " 1.10105E+17 ",
        "110105194912310000.0",
        "110105491231002.0",
        1.1010519491231002e17,
        110105491231002.0,
        4.30681e17,
        12345,
        11010519491231002,
        110105194912310000,  # 18 digits, last three zeroed by Excel, check digit wrong
    ],
)
def test_excel_numbers_rejected(raw: object) -> None:
    err = _error(raw)
    assert err.code == "excel_number"
    assert "Excel" in err.message and "文本" in err.message


def test_excel_scientific_message_mentions_lost_digits() -> None:
    err = _error("1.23E+17")
    assert (
        err.message
        == "证件号码被 Excel 存成了数字（科学计数法 1.23E+17），末尾几位已丢失，请把该列设为文本后重新填写"
    )


def test_valid_int_is_accepted() -> None:
    number = make_id("110105", date(1980, 1, 1), 1)
    assert number[-1] != "X"
    assert parse(int(number), today=TODAY).number == number


# ----------------------------------------------------------------------------------------------
# Length, characters, dates, regions
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1101051949123100", "11010519491231002X1", "1101", "11010519491231002X123"])
def test_wrong_length(raw: str) -> None:
    err = _error(raw)
    assert err.code == "length"
    assert f"{len(raw)} 位" in err.message


@pytest.mark.parametrize("raw", ["1101051949123100A2", "11010519491231002-", "张三", "1101051949X231002X"])
def test_bad_characters(raw: str) -> None:
    assert _error(raw).code == "chars"


@pytest.mark.parametrize(
    ("b8", "code"),
    [
        ("19990230", "birth_date"),
        ("19991341", "birth_date"),
        ("20230229", "birth_date"),
        ("19990000", "birth_date"),
        ("18791231", "birth_date"),
        ("20250701", "future_birth"),
        ("20300101", "future_birth"),
    ],
)
def test_bad_birth_dates(b8: str, code: str) -> None:
    number = "110105" + b8 + "001"
    number += check_digit(number)
    err = _error(number)
    assert err.code == code
    assert b8 in err.message


def test_leap_day_and_today_are_accepted() -> None:
    assert parse(make_id("110105", date(2024, 2, 29), 1), today=TODAY).birth_date == date(2024, 2, 29)
    assert parse(make_id("110105", TODAY, 1), today=TODAY).birth_date == TODAY
    assert parse(make_id("110105", date(1880, 1, 1), 1), today=TODAY).birth_date.year == 1880


def test_default_today_rejects_far_future() -> None:
    assert not is_valid(make_id("110105", date(9999, 1, 1), 1))
    assert is_valid(VALID)


@pytest.mark.parametrize(
    "prefix", ["00", "10", "16", "20", "24", "30", "38", "40", "47", "55", "60", "66", "72", "84", "91", "99"]
)
def test_bad_province(prefix: str) -> None:
    err = _error(make_id(prefix + "0101", date(1990, 1, 1), 1))
    assert err.code == "region"
    assert prefix in err.message


@pytest.mark.parametrize("prefix", ["11", "15", "23", "37", "46", "50", "54", "65", "71", "81", "82", "83"])
def test_good_province(prefix: str) -> None:
    assert parse(make_id(prefix + "0101", date(1990, 1, 1), 1), today=TODAY).address_code == prefix + "0101"


def test_known_regions_hook() -> None:
    seen: list[str] = []

    def known(code: str) -> bool:
        seen.append(code)
        return code.startswith("1101")

    assert parse(VALID, today=TODAY, known_regions=known).number == VALID
    err = _error(make_id("510101", date(1990, 1, 1), 1), known_regions=known)
    assert err.code == "region" and "510101" in err.message
    assert seen == ["110105", "510101"]


def test_error_is_value_error_and_picklable() -> None:
    err = _error("110105194912310021")
    assert isinstance(err, ValueError)
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.code, clone.message, str(clone)) == (err.code, err.message, str(err))
    assert err.code in idnumbers.ERROR_CODES


def test_helpers_reject_malformed_numbers() -> None:
    with pytest.raises(IdNumberError):
        sex_from_id("123")
    with pytest.raises(IdNumberError) as info:
        birth_date_from_id("110105199902300011")
    assert info.value.code == "birth_date"
    assert sex_from_id("110105491231001") == "1"


# ----------------------------------------------------------------------------------------------
# parse_many
# ----------------------------------------------------------------------------------------------


def _mutate(number: str, position: int, digit: str) -> str:
    return number[:position] + digit + number[position + 1 :]


mixed_values = st.one_of(
    valid_ids,
    valid_ids.map(str.lower).map(lambda s: f" '{s} "),
    valid_ids.map(lambda s: s[:6] + s[8:17]),  # 15-digit form
    st.builds(
        lambda s, c, g: s + c + g, valid_ids, st.sampled_from("0123456789"), st.sampled_from("0123456789")
    ),
    st.builds(_mutate, valid_ids, st.integers(0, 17), st.sampled_from("0123456789X")),
    st.builds(make_id, st.sampled_from(["910101", "110105", "510101"]), st.dates(), seqs),
    valid_ids.filter(str.isdigit).map(int),
    valid_ids.filter(str.isdigit).map(float),
    st.floats(allow_nan=True),
    st.integers(),
    st.sampled_from(["", "1.10105E+17", "110105194912310000.0", "张三", None]),
    st.text(alphabet="0123456789Xx .E+", max_size=22),
)


@given(st.lists(mixed_values, max_size=40), st.booleans())
def test_parse_many_agrees_with_parse(values: list[object], use_regions: bool) -> None:
    known = (lambda code: not code.startswith("51")) if use_regions else None
    numbers, sexes, codes, birth_dates, messages = parse_many(values, today=TODAY, known_regions=known)
    assert len(numbers) == len(sexes) == len(codes) == len(birth_dates) == len(messages) == len(values)
    for i, value in enumerate(values):
        try:
            parsed = parse(value, today=TODAY, known_regions=known)
        except IdNumberError as err:
            expected: tuple[object, ...] = (None, None, err.code, None, err.message)
        else:
            expected = (parsed.number, parsed.sex, None, parsed.birth_date, None)
        assert (numbers[i], sexes[i], codes[i], birth_dates[i], messages[i]) == expected


def test_parse_many_small_example() -> None:
    numbers, sexes, codes, birth_dates, messages = parse_many(
        [VALID, "110105194912310021", "1.10105E+17", "110105491231002", VALID + "41"], today=TODAY
    )
    assert numbers == [VALID, None, None, VALID, VALID]
    assert sexes == ["2", None, None, "2", "2"]
    assert codes == [None, "check_digit", "excel_number", None, None]
    assert birth_dates == [date(1949, 12, 31), None, None, date(1949, 12, 31), date(1949, 12, 31)]
    assert messages[0] is None and messages[1] is not None and "应为 X" in messages[1]
