"""Public notices as PDF and HTML (procedures.rendering), and the privacy guarantee of domain.md §4.6.

No database: a notice is built from plain data. PDF text is read back with pypdf (see ``_pdf_pages``).
"""

from __future__ import annotations

import io
import itertools
import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from jingzhun.core.errors import ValidationFailed
from jingzhun.procedures import rendering
from jingzhun.procedures.rendering import (
    DEBIAN_FONTS,
    ENTRY_FIELDS,
    HEADER_FIELDS,
    HEALTH_WORDS,
    FontMissing,
    NoticeContent,
    NoticeEntry,
    PrivacyViolation,
    break_lines,
    find_cjk_font,
    publishable,
    render_html,
    render_pdf,
    standard_objection_how,
)
from jingzhun.registry import idnumbers
from jingzhun.registry.choices import MonitoringType
from jingzhun.registry.names import SURNAMES
from jingzhun.testing.world import TOWNSHIP_A, TOWNSHIP_B, VILLAGES

SEAL = "南山村民委员会（盖章）"
PERIOD = "公示时间：2026年12月1日至2026年12月6日"


def _notice(entries: list[NoticeEntry], **changes: object) -> NoticeContent:
    content = NoticeContent(
        title="南山村2026年拟纳入防止返贫监测对象公示",
        kind_label="监测对象公示",
        issuer="南山村民委员会",
        region_name="秦州区玉泉镇南山村",
        period_start=date(2026, 12, 1),
        period_end=date(2026, 12, 6),
        body="根据防止返贫动态监测和帮扶工作要求，经农户申请、入户核实、村民代表大会民主评议，"
        "拟将以下农户纳入防止返贫监测对象，现予公示。",
        entries=entries,
        objection_how=standard_objection_how(village="南山村民委员会", township="玉泉镇人民政府"),
        published_on=date(2026, 12, 1),
        reference="GS-2026-0001",
    )
    return replace(content, **changes)  # type: ignore[arg-type]


def _entry(i: int, **changes: object) -> NoticeEntry:
    entry = NoticeEntry(
        household_number=f"{TOWNSHIP_A}201{i:06d}",
        head_name=f"王{'建国桂兰志强秀英'[i % 4]}{'一二三四五六七八九十'[i % 10]}",
        place=f"南山村{'一二三四五'[i % 5]}组",
        size=i % 6 + 1,
        note=MonitoringType.MARGINAL.label,
    )
    return replace(entry, **changes)  # type: ignore[arg-type]


def _pdf_chunks(pdf: bytes) -> list[list[str]]:
    """Per page, the text of each text-showing operation (one line of one cell), whitespace removed.

    pypdf 7 decodes fpdf2's CID-keyed CFF fonts (Noto CJK) with a NUL and a space after every glyph;
    poppler's pdftotext reads the same file cleanly. Dropping NULs and whitespace restores the text.
    """
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        texts: list[str] = []
        page.extract_text(visitor_text=lambda text, *_, into=texts: into.append(text))
        pages.append([c for c in ("".join(text.replace("\x00", "").split()) for text in texts) if c])
    return pages


def _pdf_pages(pdf: bytes) -> list[str]:
    return ["".join(chunks) for chunks in _pdf_chunks(pdf)]


# --------------------------------------------------------------------------------------------------
# The PDF
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def village_list() -> tuple[list[NoticeEntry], bytes]:
    entries = [_entry(i, head_name=f"{SURNAMES[i % len(SURNAMES)][0]}户主{i}") for i in range(300)]
    return entries, render_pdf(_notice(entries))


def test_pdf_of_300_households_shows_title_every_head_period_and_seal(village_list):
    entries, pdf = village_list
    text = "".join(_pdf_pages(pdf))

    assert pdf.startswith(b"%PDF-")
    assert "南山村2026年拟纳入防止返贫监测对象公示" in text
    missing = [e.head_name for e in entries if e.head_name not in text]
    assert missing == []
    assert PERIOD in text
    assert f"{SEAL}2026年12月1日" in text
    assert "12317" in text
    assert "合计：300户，1050人。" in text


def test_long_list_breaks_across_pages_with_page_numbers_and_repeated_header(village_list):
    _, pdf = village_list
    pages = _pdf_pages(pdf)

    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert page.endswith(f"第{number}页共{len(pages)}页")
    with_rows = [page for page in pages if TOWNSHIP_A in page]
    assert len(with_rows) > 1
    assert all(page.count("序号户编号户主姓名所在村组家庭人口说明") == 1 for page in with_rows)
    assert SEAL in pages[-1] and PERIOD in pages[-1]  # the seal stays with the period it certifies


@pytest.fixture(scope="module")
def short_pdf() -> bytes:
    return render_pdf(_notice([_entry(1), _entry(2)]))


def test_pdf_pages_are_a4(short_pdf):
    box = PdfReader(io.BytesIO(short_pdf)).pages[0].mediabox

    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # 210 × 297 mm in points


def test_a_short_notice_is_one_page_numbered(short_pdf):
    pages = _pdf_pages(short_pdf)

    assert len(pages) == 1
    assert pages[0].endswith("第1页共1页")


def test_an_empty_list_still_renders_with_its_header():
    pages = _pdf_pages(render_pdf(_notice([])))

    assert "序号户编号户主姓名所在村组家庭人口说明" in pages[0]
    assert "合计：0户，0人。" in pages[0]


def test_announcement_says_announcement_time():
    pages = _pdf_pages(
        render_pdf(_notice([_entry(1)], kind_label="公告", title="南山村2026年脱贫户名单公告"))
    )

    assert "公告时间：2026年12月1日至2026年12月6日" in pages[0]


def test_a_character_the_font_lacks_is_refused_not_dropped():
    with pytest.raises(FontMissing) as info:
        render_pdf(_notice([_entry(1, head_name="王\ue000")]))

    assert "缺少以下字符" in info.value.message


CLOSING = "，。、；：？！）》」』"
OPENING = "（《「『"


@given(
    text=st.text(alphabet="南山村民委员会公示期间异议" + CLOSING + OPENING + "1237 ", max_size=80),
    width=st.integers(3, 12),
)
def test_lines_never_start_with_closing_or_end_with_opening_punctuation(text, width):
    lines = break_lines(text, lambda line, _: len(line) <= width)

    assert "".join("".join(lines).split()) == "".join(text.split())  # nothing lost but spaces
    assert not any(line[0] in CLOSING for line in lines[1:])
    assert all(line[-1] not in OPENING or set(line) <= set(OPENING) for line in lines[:-1])


@given(
    text=st.text(alphabet="南山村民委员会公示期间异议" + CLOSING + OPENING, max_size=80),
    width=st.integers(3, 12),
)
def test_lines_fit_except_for_hanging_punctuation(text, width):
    for line in break_lines(text, lambda line, _: len(line) <= width):
        assert len(line.rstrip(CLOSING)) <= width


def test_numbers_and_latin_words_are_not_split():
    lines = break_lines("或拨打 12317 热线，编号 GS-2026-0001。", lambda line, _: len(line) <= 6)

    assert "12317" in lines and any(line.startswith("GS-2026-0001") for line in lines)


# --------------------------------------------------------------------------------------------------
# Fonts
# --------------------------------------------------------------------------------------------------


def test_font_on_debian_is_noto_simplified_chinese_face():
    font = find_cjk_font()

    assert font.regular.is_file()
    if str(font.regular) == DEBIAN_FONTS[0]:  # fonts-noto-cjk: the collection's "Noto Serif CJK SC"
        assert font.regular_index == 2
        assert font.bold.name == "NotoSerifCJK-Bold.ttc"


def test_font_named_by_environment_is_used():
    path = find_cjk_font().regular

    assert find_cjk_font(env=str(path)).regular == path


@pytest.mark.skipif(not Path(DEBIAN_FONTS[1]).is_file(), reason="fonts-noto-cjk is not installed")
def test_simplified_face_is_chosen_in_a_collection_with_mono_faces():
    font = find_cjk_font(env=DEBIAN_FONTS[1])  # Noto Sans CJK: JP KR SC TC HK, then Mono JP KR SC …

    assert (font.regular_index, font.bold.name) == (2, "NotoSansCJK-Bold.ttc")


def test_no_font_is_a_clear_chinese_error():
    with pytest.raises(FontMissing) as info:
        find_cjk_font(env=None, candidates=(), use_fontconfig=False)

    assert "fonts-noto-cjk" in info.value.message
    assert "未找到可显示中文的字体" in info.value.message


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed")
def test_fontconfig_is_asked_when_no_known_path_exists():
    font = find_cjk_font(env=None, candidates=("/nonexistent/font.ttc",))

    assert font.regular.is_file()
    assert font.regular.suffix.lower() in (".ttf", ".otf", ".ttc")


def test_font_named_by_environment_must_exist(tmp_path: Path):
    with pytest.raises(FontMissing) as info:
        find_cjk_font(env=str(tmp_path / "none.ttf"))

    assert "JINGZHUN_CJK_FONT" in info.value.message


# --------------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------------


def test_html_shows_the_same_notice():
    entries = [_entry(i) for i in range(5)]
    html = render_html(_notice(entries))

    assert "南山村2026年拟纳入防止返贫监测对象公示" in html
    assert all(e.head_name in html and e.household_number in html for e in entries)
    assert PERIOD in html
    assert SEAL in html
    assert html.count("<tr>") == 6  # header + 5 households


def test_html_escapes_names():
    html = render_html(_notice([_entry(1, head_name="<script>alert(1)</script>", place='南山村"一组"')]))

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;一组&quot;" in html


# --------------------------------------------------------------------------------------------------
# publishable: examples
# --------------------------------------------------------------------------------------------------

AN_ID = idnumbers.make_id("620502", date(1968, 3, 9), 123)


def _violation(content: NoticeContent) -> PrivacyViolation:
    with pytest.raises(PrivacyViolation) as info:
        publishable(content)
    return info.value


def test_clean_notice_with_the_12317_hotline_is_publishable():
    content = _notice([_entry(i) for i in range(3)])

    assert publishable(content) is content


def test_phone_in_an_entry_names_the_row_and_field():
    content = _notice([_entry(1), _entry(2), _entry(3, note="联系电话 138 1234 5678")])

    error = _violation(content)

    assert (error.field, error.row, error.kind) == ("note", 3, "手机号码")
    assert error.message.startswith("名单第 3 行的“说明”含有手机号码")
    assert "138" not in error.message  # the message never repeats the secret


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"户主身份证{AN_ID}", "身份证号码"),
        (f"身份证 {AN_ID[:6]} {AN_ID[6:14]} {AN_ID[14:]}", "身份证号码"),
        (f"残疾人证{AN_ID}43", "残疾人证号码"),
        ("村委会电话（0938）8123456", "固定电话号码"),
        ("电话 0938-8123456", "固定电话号码"),
        ("+86 13912345678", "手机号码"),
        ("补助发放至 6228 4800 1234 5678 901", "银行卡号"),
        ("该户因病致贫", "健康状况或残疾信息（“因病”）"),
        ("户主患有大病", "健康状况或残疾信息（“大病”）"),
        ("户主 肢 体 残 疾", "健康状况或残疾信息（“残疾”）"),
    ],
)
def test_forbidden_data_in_the_body_is_refused(text: str, kind: str):
    error = _violation(_notice([_entry(1)], body=text))

    assert (error.field, error.row, error.kind) == ("body", None, kind)
    assert error.message.startswith("“公示事由”含有")


def test_full_width_and_lower_case_x_ids_are_found():
    with_x = idnumbers.make_id("110105", date(1949, 12, 31), 2)  # ends in X
    assert with_x.endswith("X")
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in with_x.lower())

    assert _violation(_notice([_entry(1, head_name=full_width)])).kind == "身份证号码"


def test_household_number_may_have_bank_card_length_but_not_be_an_id():
    assert publishable(_notice([_entry(1)]))  # 18 digits: village code + serial
    error = _violation(_notice([_entry(1, household_number=AN_ID)]))

    assert (error.field, error.row, error.kind) == ("household_number", 1, "身份证号码")


def test_an_id_glued_to_other_digits_is_found_even_in_the_household_number():
    error = _violation(_notice([_entry(1, household_number="9" + AN_ID + "01")]))

    assert (error.field, error.kind) == ("household_number", "身份证号码")


def test_references_and_dates_in_text_are_not_mistaken_for_numbers():
    body = "依据秦扶发〔2026〕12号文件，2026-12-01 起公示 5 天，涉及 3 户 12 人，热线 12317。"

    assert publishable(_notice([_entry(1)], body=body))


def test_bad_shapes_are_validation_errors_naming_the_field():
    with pytest.raises(ValidationFailed) as late:
        publishable(_notice([_entry(1)], period_end=date(2026, 11, 30)))
    with pytest.raises(ValidationFailed) as empty:
        publishable(_notice([_entry(1, size=0)]))
    with pytest.raises(ValidationFailed) as not_text:
        publishable(_notice([_entry(1, note=None)]))

    assert "period_end" in late.value.errors
    assert "名单第 1 行的“家庭人口”" in empty.value.message
    assert "“说明”应为文字" in not_text.value.message


def test_both_renderers_refuse_what_publishable_refuses():
    content = _notice([_entry(1, note="手机13812345678")])

    with pytest.raises(PrivacyViolation):
        render_pdf(content)
    with pytest.raises(PrivacyViolation):
        render_html(content)


# --------------------------------------------------------------------------------------------------
# publishable: properties
# --------------------------------------------------------------------------------------------------

HEALTH_CHARS = set("".join(HEALTH_WORDS))
# Filler text around planted secrets: Chinese only (no digit or X that could extend a number) and no
# character of any health word, so the filler itself can never be what is refused.
SAFE = "".join(
    c
    for c in "王李张刘陈杨赵黄周吴村组户拟纳入监测对象退出公示南山北坡东川西岭家庭人口说明边缘易致贫"
    if c not in HEALTH_CHARS
)
fillers = st.text(alphabet=SAFE, max_size=6)

provinces = st.sampled_from(sorted(idnumbers.PROVINCE_CODES))
address_codes = st.builds(lambda p, rest: p + f"{rest:04d}", provinces, st.integers(0, 9999))
ids18 = st.builds(
    idnumbers.make_id, address_codes, st.dates(date(1930, 1, 1), date(2020, 12, 31)), st.integers(0, 999)
)
ids15 = st.builds(
    lambda a, d, s: f"{a}{d:%y%m%d}{s:03d}",
    address_codes,
    st.dates(date(1930, 1, 1), date(1999, 12, 31)),
    st.integers(0, 999),
)
certs = st.builds(lambda i, c, g: f"{i}{c}{g}", ids18, st.integers(1, 7), st.integers(1, 4))


def _spaced(number: str, cuts: tuple[int, ...], sep: str) -> str:
    bounds = (0, *cuts, len(number))
    return sep.join(number[a:b] for a, b in itertools.pairwise(bounds))


separators = st.sampled_from(["", " ", "-", "\u3000"])
id_texts = st.one_of(
    ids18,
    ids18.map(str.lower),
    ids15,
    certs,
    st.builds(lambda n, s: _spaced(n, (6, 14), s), ids18, separators),
    st.builds(lambda n, s: _spaced(n, (6, 10, 14), s), ids18, separators),
)
mobiles = st.builds(lambda second, rest: f"1{second}{rest:09d}", st.integers(3, 9), st.integers(0, 10**9 - 1))
mobile_texts = st.one_of(
    mobiles,
    st.builds(lambda n, s: _spaced(n, (3, 7), s), mobiles, separators),
    mobiles.map(lambda n: "+86 " + n),
)
area_codes = st.one_of(
    st.sampled_from(["010", "021", "0931", "0938", "0771"]), st.integers(10, 999).map(lambda n: f"0{n}")
)
landline_texts = st.builds(
    lambda area, local, form: form.format(area, local),
    area_codes,
    st.integers(2_000_000, 99_999_999),
    st.sampled_from(["{}-{}", "({}){}", "（{}）{}", "{} {}", "{}{}"]),
)
banks = st.builds(
    lambda first, length, rest: (str(first) + f"{rest:020d}")[:length],
    st.integers(1, 9),
    st.integers(16, 19),
    st.integers(0, 10**20 - 1),
)
bank_texts = st.one_of(banks, banks.map(lambda n: " ".join(n[i : i + 4] for i in range(0, len(n), 4))))
health_texts = st.builds(
    lambda word, sep: sep.join(word), st.sampled_from(sorted(HEALTH_WORDS)), st.sampled_from(["", " "])
)

TEXT_FIELDS = [(f, None) for f, _ in HEADER_FIELDS] + [(f, row) for f, _ in ENTRY_FIELDS for row in (1, 2, 3)]


def _plant(field: str, row: int | None, text: str) -> NoticeContent:
    entries = [_entry(i) for i in (1, 2, 3)]
    planted: dict[str, Any] = {field: text}
    if row is None:
        return _notice(entries, **planted)
    entries[row - 1] = replace(entries[row - 1], **planted)
    return _notice(entries)


@given(
    place=st.sampled_from(TEXT_FIELDS),
    secret=st.one_of(id_texts, mobile_texts, landline_texts, bank_texts, health_texts),
    before=fillers,
    after=fillers,
)
def test_planted_private_data_in_any_field_is_refused(place, secret, before, after):
    field, row = place
    # In the household number a bare 16–19 digit run is only the shape of a bank card (household numbers
    # have it too); IDs and phones there are still caught.
    bank_shaped = re.fullmatch(r"[\d ]+", secret) and len(secret.replace(" ", "")) >= 16
    assume(field != "household_number" or not bank_shaped or idnumbers.is_valid(secret))
    error = _violation(_plant(field, row, before + secret + after))

    assert (error.field, error.row) == (field, row)
    label = dict(HEADER_FIELDS + ENTRY_FIELDS)[field]
    assert f"“{label}”" in error.message


village_codes = st.sampled_from(sorted(VILLAGES))
clean_entries = st.builds(
    NoticeEntry,
    household_number=st.builds(lambda v, serial: f"{v}{serial:06d}", village_codes, st.integers(0, 999_999)),
    head_name=st.builds(lambda s, g: s + g, st.sampled_from([s for s, _ in SURNAMES]), fillers),
    place=st.builds(lambda v, g: f"{v}{g}组", st.sampled_from(sorted(VILLAGES.values())), st.integers(1, 12)),
    size=st.integers(1, 12),
    note=st.sampled_from([*MonitoringType.labels, "拟识别为贫困户", "拟退出", "拟纳入监测对象"]),
)


@given(entries=st.lists(clean_entries, min_size=1, max_size=30))
def test_realistic_clean_lists_are_publishable(entries):
    content = _notice(entries)

    assert publishable(content) is content


_MOBILE_IN_TEXT = re.compile(r"1[3-9]\d{9}")


def _digit_runs(chunks: list[str]) -> list[str]:
    return [run for chunk in chunks for run in re.findall(r"[0-9]+[Xx]?", chunk)]


def _windows(run: str, size: int) -> list[str]:
    return [run[i : i + size] for i in range(len(run) - size + 1)]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entries=st.lists(clean_entries, min_size=1, max_size=12),
    township=st.sampled_from([TOWNSHIP_A, TOWNSHIP_B]),
)
def test_clean_notice_pdf_never_contains_an_id_or_a_phone(entries, township):
    content = _notice(entries, reference=f"GS-{township[-3:]}-2026")
    assert publishable(content) is content

    runs = _digit_runs([c for page in _pdf_chunks(render_pdf(content)) for c in page])

    assert runs  # household numbers, sizes and dates are there
    for run in runs:
        # 15 and 20 digits have to stand alone to be read as an old ID or a certificate; an 18-digit ID
        # carries a check digit, so any 18-digit window that passes would be a real find.
        assert not (len(run) in (15, 20) and idnumbers.is_valid(run)), run
        assert not any(idnumbers.is_valid(w) for w in _windows(run, 18)), run
        assert not any(_MOBILE_IN_TEXT.fullmatch(w) for w in _windows(run, 11)), run


def test_a_file_that_is_not_a_font_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake = tmp_path / "fake.ttf"
    fake.write_bytes(b"not a font")
    monkeypatch.setenv("JINGZHUN_CJK_FONT", str(fake))
    rendering._machine_font.cache_clear()
    try:
        with pytest.raises(FontMissing) as info:
            render_pdf(_notice([_entry(1)]))
    finally:
        monkeypatch.delenv("JINGZHUN_CJK_FONT")
        rendering._machine_font.cache_clear()

    assert "无法读取" in info.value.message
