"""Chinese resident identity numbers (GB 11643-1999) and disability-certificate numbers.

Pure standard-library module (no Django) used by forms, the bulk importer and the data generator.

Accepted inputs of :func:`parse`:

* 18 characters: 6-digit address code + 8-digit birth date + 3-digit sequence + check character
  (ISO 7064 MOD 11-2, ``0``-``9`` or ``X``);
* 15 digits (GB 11643-1989, 2-digit year, no check character), upgraded to 18 characters;
* 20 digits: second-generation disability certificate = 18-character ID + category (1-7) + grade (1-4);
  the 18th character may be ``X`` as in the embedded ID.

Error messages are meant for end users and are in Simplified Chinese; ``IdNumberError.code`` is stable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

__all__ = [
    "DISABILITY_CATEGORIES",
    "DISABILITY_GRADES",
    "ERROR_CODES",
    "NUMBER_CELL_DIGITS",
    "PROVINCE_CODES",
    "DamagedNumber",
    "IdNumberError",
    "ParsedId",
    "birth_date_from_id",
    "check_digit",
    "damaged_number_message",
    "is_valid",
    "make_id",
    "normalize",
    "parse",
    "parse_many",
    "sex_from_id",
    "upgrade15",
]

WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
MIN_BIRTH_YEAR = 1880

#: Province-level prefixes (GB/T 2260); 83 is used by Taiwan residence permits, 91 is not valid.
PROVINCE_CODES: frozenset[str] = frozenset(
    [str(n) for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47))]
    + [str(n) for n in (*range(50, 55), *range(61, 66), 71, 81, 82, 83)]
)

DISABILITY_CATEGORIES: dict[str, str] = {
    "1": "视力残疾",
    "2": "听力残疾",
    "3": "言语残疾",
    "4": "肢体残疾",
    "5": "智力残疾",
    "6": "精神残疾",
    "7": "多重残疾",
}
DISABILITY_GRADES: dict[str, str] = {"1": "一级", "2": "二级", "3": "三级", "4": "四级"}

ERROR_CODES: frozenset[str] = frozenset(
    {
        "empty",
        "excel_number",
        "length",
        "chars",
        "birth_date",
        "future_birth",
        "region",
        "check_digit",
        "disability_category",
        "disability_grade",
    }
)

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + _INVISIBLE
_QUOTES = "'\"‘’“”＇＂`´"
_TRANSLATION: dict[int, int | None] = {
    **{ord(c): None for c in _WHITESPACE},
    **{0xFF10 + i: ord("0") + i for i in range(10)},
    **{ord(c): ord("X") for c in "xＸｘⅩⅹ"},
}
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d*)?[eE][+-]?\d+")
_DOT_ZERO = re.compile(r"(\d+)\.0+")
_ALLOWED = frozenset("0123456789X")
_SEX = {d: ("1" if int(d) % 2 else "2") for d in "0123456789"}
#: Excel keeps 15 significant digits of a number; a number cell with more is not read (registry.numbercells).
NUMBER_CELL_DIGITS = 15
_EXCEL_DIGITS = NUMBER_CELL_DIGITS


@dataclass(frozen=True)
class ParsedId:
    """A validated identity number.

    ``number`` is always the canonical 18-character resident ID, also for disability certificates
    (whose full 20-digit number is kept in ``disability_cert``). ``sex`` uses GB/T 2261.1 codes.
    """

    number: str
    sex: str
    birth_date: date
    address_code: str
    kind: str
    disability_cert: str | None = None
    disability_category: str | None = None
    disability_grade: str | None = None
    upgraded_from_15: bool = False


class IdNumberError(ValueError):
    """Invalid identity number; ``code`` is a stable machine code, ``message`` a Chinese explanation."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------------------------------
# Normalisation and building blocks
# --------------------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Remove whitespace, map full-width characters and strip Excel/quote markers."""
    return text.translate(_TRANSLATION).strip(_QUOTES)


def normalize(raw: object) -> str:
    """Return ``raw`` as a compact upper-case string suitable for validation.

    Removes every kind of whitespace (including U+3000 and NBSP) and zero-width characters, converts
    full-width digits and full-width/Roman-numeral X to ASCII, upper-cases ``x`` and strips a leading
    Excel apostrophe and surrounding quotes. ``None`` and NaN become ``""``; other objects go through
    ``str()`` (bytes are decoded as UTF-8).
    """
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return ""
    if isinstance(raw, bytes | bytearray):
        raw = bytes(raw).decode("utf-8", "replace")
    return _clean(raw if isinstance(raw, str) else str(raw))


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def check_digit(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 17 digits of an ID."""
    if len(first17) != 17 or not _is_digits(first17):
        raise IdNumberError("chars", f"计算校验位需要 17 位数字，实际为“{first17}”")
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def _fast_check_digit(first17: str) -> str:
    """Same as :func:`check_digit` for 17 ASCII digits, without validation.

    The weights are 2**(18-i) mod 11, and 13 ≡ 2 (mod 11), so reading the digits as a base-13 number
    gives the weighted sum (divided by 2) modulo 11 in a single C-level call.
    """
    return CHECK_CHARS[(2 * int(first17, 13)) % 11]


def upgrade15(id15: str) -> str:
    """Upgrade a 15-digit ID (6 address + YYMMDD + 3 sequence) to 18 characters (century 19)."""
    if len(id15) != 15 or not _is_digits(id15):
        raise IdNumberError("chars", f"15 位身份证号码必须全是数字，实际为“{id15}”")
    first17 = f"{id15[:6]}19{id15[6:]}"
    return first17 + check_digit(first17)


def make_id(address_code: str, birth: date, seq: int) -> str:
    """Build a valid 18-character ID; ``seq`` 0..999, odd sequence numbers are male.

    Only the structure is checked; the address code is not validated against the province list.
    """
    if len(address_code) != 6 or not _is_digits(address_code):
        raise ValueError(f"address_code must be 6 digits, got {address_code!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"seq must be in 0..999, got {seq}")
    first17 = f"{address_code}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:03d}"
    return first17 + check_digit(first17)


# --------------------------------------------------------------------------------------------------
# Validation helpers (each raises IdNumberError)
# --------------------------------------------------------------------------------------------------


def _excel_error(shown: str, lost: bool) -> IdNumberError:
    tail = "末尾几位已丢失，" if lost else ""
    return IdNumberError(
        "excel_number", f"证件号码被 Excel 存成了数字（{shown}），{tail}请把该列设为文本后重新填写"
    )


def damaged_number_message(shown: str) -> str:
    """The row error of a number cell that cannot hold its digits (``registry.numbercells``)."""
    return (
        f"该单元格是数字（{shown}），不是文本：Excel 或生成文件的程序把这一列存成了数字，超过 "
        f"{NUMBER_CELL_DIGITS} 位的号码存成数字后末尾几位会被改掉，无法还原。请把这一列设为“文本”格式后"
        "重新输入或粘贴号码，或从原系统重新导出为 CSV 文件"
    )


class DamagedNumber(str):
    """A number cell whose digits the spreadsheet could not hold, as Excel shows it (``str``);
    :func:`parse` rejects it with code ``excel_number`` and :func:`damaged_number_message`."""

    __slots__ = ()

    @classmethod
    def of(cls, value: float) -> DamagedNumber:
        """Excel's view of the number: 15 significant digits, a whole number written out
        (620502198211188624 stored as a double shows as 620502198211189000)."""
        text = f"{value:.{NUMBER_CELL_DIGITS}g}"
        if "e" in text and value.is_integer() and abs(value) < 1e21:
            text = format(Decimal(text), "f")
        return cls(text.upper())


def _is_int(raw: object) -> bool:
    return isinstance(raw, int) and not isinstance(raw, bool)


def _reject_numeric_input(raw: object) -> None:
    """Floats and ints of an impossible length come from numeric spreadsheet cells."""
    if isinstance(raw, DamagedNumber):
        raise IdNumberError("excel_number", damaged_number_message(raw))
    if isinstance(raw, float) and not math.isnan(raw):
        if raw.is_integer() and abs(raw) < 10**_EXCEL_DIGITS:
            raise _excel_error(str(int(raw)), lost=False)
        shown = repr(raw).upper()
        raise _excel_error(f"科学计数法 {shown}" if "E" in shown else shown, lost=True)
    if _is_int(raw) and len(str(raw)) not in (15, 18, 20):
        raise _excel_error(str(raw), lost=len(str(raw)) > _EXCEL_DIGITS)


def _reject_numeric_text(text: str) -> None:
    if _SCIENTIFIC.fullmatch(text):
        raise _excel_error(f"科学计数法 {text.upper()}", lost=True)
    match = _DOT_ZERO.fullmatch(text)
    if match:
        raise _excel_error(text, lost=len(match.group(1)) > _EXCEL_DIGITS)


def _check_chars(text: str) -> None:
    bad = sorted(set(text) - _ALLOWED, key=text.index)
    if bad:
        shown = "".join(bad)
        raise IdNumberError(
            "chars", f"证件号码含有非法字符“{shown}”，只能填写数字（18 位身份证号码最后一位可以是 X）"
        )
    if "X" in text[:17] + text[18:]:
        raise IdNumberError("chars", "字母 X 只能出现在 18 位身份证号码的最后一位")


def _check_length(text: str) -> None:
    if len(text) not in (15, 18, 20):
        raise IdNumberError(
            "length",
            f"证件号码长度为 {len(text)} 位，应为 18 位身份证号码、15 位旧身份证号码或 20 位残疾人证号码",
        )


def _check_province(number: str) -> None:
    if number[:2] not in PROVINCE_CODES:
        raise IdNumberError("region", f"地址码 {number[:6]} 的前两位 {number[:2]} 不是有效的省级行政区划代码")


def _birth_date(b8: str, today: date) -> date:
    try:
        born = date(int(b8[:4]), int(b8[4:6]), int(b8[6:]))
    except ValueError:
        raise IdNumberError("birth_date", f"出生日期 {b8} 不存在") from None
    if born.year < MIN_BIRTH_YEAR:
        raise IdNumberError("birth_date", f"出生日期 {b8} 早于 {MIN_BIRTH_YEAR} 年，不可能正确")
    if born > today:
        raise IdNumberError("future_birth", f"出生日期 {b8} 晚于今天（{today.isoformat()}）")
    return born


def _check_check_digit(number: str) -> None:
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise IdNumberError("check_digit", f"身份证号码校验位错误：应为 {expected}，实际为 {number[17]}")


def _check_known_region(code6: str, known_regions: Callable[[str], bool] | None) -> None:
    if known_regions is not None and not known_regions(code6):
        raise IdNumberError("region", f"地址码 {code6} 不是已知的行政区划代码")


def _check_disability(cert: str) -> None:
    category, grade = cert[18], cert[19]
    if category not in DISABILITY_CATEGORIES:
        names = " ".join(f"{k} {v}" for k, v in DISABILITY_CATEGORIES.items())
        raise IdNumberError(
            "disability_category", f"残疾人证号码第 19 位是残疾类别，应为 1–7（{names}），实际为 {category}"
        )
    if grade not in DISABILITY_GRADES:
        raise IdNumberError("disability_grade", f"残疾人证号码第 20 位是残疾等级，应为 1–4，实际为 {grade}")


# --------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------


def _as_date(today: date | None) -> date:
    if today is None:
        return date.today()
    return today.date() if isinstance(today, datetime) else today


def _parse18(number: str, today: date, known_regions: Callable[[str], bool] | None) -> ParsedId:
    _check_province(number)
    born = _birth_date(number[6:14], today)
    _check_check_digit(number)
    _check_known_region(number[:6], known_regions)
    return ParsedId(number, _SEX[number[16]], born, number[:6], "resident_id")


def _parse_text(text: str, today: date, known_regions: Callable[[str], bool] | None) -> ParsedId:
    if not text:
        raise IdNumberError("empty", "证件号码为空")
    _reject_numeric_text(text)
    _check_chars(text)
    _check_length(text)
    if len(text) == 15:
        parsed = _parse18(upgrade15(text), today, known_regions)
        return replace(parsed, upgraded_from_15=True)
    parsed = _parse18(text[:18], today, known_regions)
    if len(text) == 18:
        return parsed
    _check_disability(text)
    return replace(
        parsed,
        kind="disability_cert",
        disability_cert=text,
        disability_category=text[18],
        disability_grade=text[19],
    )


def parse(
    raw: object,
    *,
    today: date | None = None,
    known_regions: Callable[[str], bool] | None = None,
) -> ParsedId:
    """Validate an ID / disability-certificate number and return its canonical form.

    ``today`` bounds the birth date (default ``date.today()``). ``known_regions`` receives the 6-digit
    address code and must return True for acceptable codes; IDs keep the code of first registration,
    so it should accept historical codes too. Raises :class:`IdNumberError`.
    """
    _reject_numeric_input(raw)
    text = normalize(raw)
    try:
        return _parse_text(text, _as_date(today), known_regions)
    except IdNumberError as err:
        # An int with 18/20 digits ending in zeros is an Excel number whose last digits were zeroed.
        if _is_int(raw) and len(text) > _EXCEL_DIGITS and not text[_EXCEL_DIGITS:].strip("0"):
            raise _excel_error(text, lost=True) from err
        raise


def is_valid(
    raw: object,
    *,
    today: date | None = None,
    known_regions: Callable[[str], bool] | None = None,
) -> bool:
    """Return True when :func:`parse` accepts ``raw``."""
    try:
        parse(raw, today=today, known_regions=known_regions)
    except IdNumberError:
        return False
    return True


def _structural(number: str) -> str:
    """Normalise and check length/characters only (no date, region or check-digit validation)."""
    text = normalize(number)
    if not text:
        raise IdNumberError("empty", "证件号码为空")
    _check_chars(text)
    _check_length(text)
    return upgrade15(text) if len(text) == 15 else text


def sex_from_id(number: str) -> str:
    """Return "1" (male) or "2" (female) from a 15/18/20-character number (structure checked only)."""
    return _SEX[_structural(number)[16]]


def birth_date_from_id(number: str) -> date:
    """Return the birth date of a 15/18/20-character number (the date must exist; no other checks)."""
    b8 = _structural(number)[6:14]
    try:
        return date(int(b8[:4]), int(b8[4:6]), int(b8[6:]))
    except ValueError:
        raise IdNumberError("birth_date", f"出生日期 {b8} 不存在") from None


# --------------------------------------------------------------------------------------------------
# Bulk parsing
# --------------------------------------------------------------------------------------------------


def _shape18(text: str) -> bool:
    return len(text) == 18 and text.isascii() and text[:17].isdigit()


class _Bulk:
    """State of one :func:`parse_many` call: caches and the five output columns."""

    def __init__(self, today: date, known_regions: Callable[[str], bool] | None) -> None:
        self.today = today
        self.known_regions = known_regions
        self.birth_cache: dict[str, date | None] = {}
        self.region_cache: dict[str, bool] = {}
        self.numbers: list[str | None] = []
        self.sexes: list[str | None] = []
        self.codes: list[str | None] = []
        self.births: list[date | None] = []
        self.messages: list[str | None] = []

    def birth(self, b8: str) -> date | None:
        """Cached birth date of an 8-character string; None when parse would reject it."""
        if b8 not in self.birth_cache:
            try:
                self.birth_cache[b8] = _birth_date(b8, self.today)
            except IdNumberError:
                self.birth_cache[b8] = None
        return self.birth_cache[b8]

    def region_ok(self, code6: str) -> bool:
        known = self.region_cache.get(code6)
        if known is None:
            assert self.known_regions is not None
            known = self.region_cache[code6] = bool(self.known_regions(code6))
        return known

    def match(self, value: object) -> tuple[str, date] | None:
        """Return (number, birth date) for a valid 18-character string without raising, else None.

        Already-clean strings skip :func:`_clean`; anything unusual returns None and goes to parse.
        """
        if type(value) is not str:
            return None
        if len(value) != 18 or not value.isascii() or not value[:17].isdigit():
            value = _clean(value)
            if not _shape18(value):
                return None
        if CHECK_CHARS[(2 * int(value[:17], 13)) % 11] != value[17] or value[:2] not in PROVINCE_CODES:
            return None
        born = self.birth_cache.get(value[6:14]) or self.birth(value[6:14])
        if born is None or (self.known_regions is not None and not self.region_ok(value[:6])):
            return None
        return value, born

    def add_slow(self, value: object) -> None:
        """Append the outcome of the full :func:`parse` for a value the fast path did not accept."""
        try:
            parsed = parse(value, today=self.today, known_regions=self.known_regions)
        except IdNumberError as err:
            self.numbers.append(None)
            self.sexes.append(None)
            self.births.append(None)
            self.codes.append(err.code)
            self.messages.append(err.message)
            return
        self.numbers.append(parsed.number)
        self.sexes.append(parsed.sex)
        self.births.append(parsed.birth_date)
        self.codes.append(None)
        self.messages.append(None)


def parse_many(
    values: Sequence[object],
    *,
    today: date | None = None,
    known_regions: Callable[[str], bool] | None = None,
) -> tuple[list[str | None], list[str | None], list[str | None], list[date | None], list[str | None]]:
    """Parse many values at once; agrees with :func:`parse` element by element.

    Returns five parallel lists: canonical numbers, sex codes, error codes, birth dates and error
    messages, with None where not applicable. ``known_regions`` results are cached per address code,
    so the function must be deterministic within one call.
    """
    bulk = _Bulk(_as_date(today), known_regions)
    match, add_slow, sex = bulk.match, bulk.add_slow, _SEX
    add_number, add_sex, add_code = bulk.numbers.append, bulk.sexes.append, bulk.codes.append
    add_birth, add_message = bulk.births.append, bulk.messages.append
    for value in values:
        hit = match(value)
        if hit is None:
            add_slow(value)
            continue
        add_number(hit[0])
        add_sex(sex[hit[0][16]])
        add_birth(hit[1])
        add_code(None)
        add_message(None)
    return bulk.numbers, bulk.sexes, bulk.codes, bulk.births, bulk.messages
