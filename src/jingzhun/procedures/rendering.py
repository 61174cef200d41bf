"""Public notices (公示 / 公告) rendered as printable PDF and HTML, with the privacy guarantee.

Villages post a list of households during identification, exit and monitoring procedures (domain.md §2.1
"两公示一公告", §3.2 the 广西 forms "脱贫户第二次公示名单" / "脱贫户名单公告", §4.6 the village 公示 of
monitoring objects). Since 2022 such notices **must not show ID number, mobile number, bank account or
health condition** (§4.6): :func:`publishable` enforces that on every text a notice carries, and both
renderers call it first, so no code path prints a notice that has not passed it.

This module knows nothing about the procedure models: the procedure engine builds a
:class:`NoticeContent` from the allowed fields only (household number, head's name, place, size, note).
The PDF uses fpdf2 with a CJK font found on the machine (see :func:`find_cjk_font` and
docs/decisions/0005-pdf-with-chinese-fonts.md).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from django.template.loader import render_to_string

from jingzhun.core.errors import JingzhunError, ValidationFailed
from jingzhun.registry import idnumbers
from jingzhun.registry.choices import Cause, DisabilityCategory, Health, IdKind, RiskType

if TYPE_CHECKING:
    from fpdf import FPDF  # imported when a notice is rendered: fpdf2 is a heavy import

__all__ = [
    "HEALTH_WORDS",
    "CjkFont",
    "FontMissing",
    "NoticeContent",
    "NoticeEntry",
    "PrivacyViolation",
    "break_lines",
    "find_cjk_font",
    "format_date",
    "period_line",
    "publishable",
    "render_html",
    "render_pdf",
    "standard_objection_how",
]


@dataclass(frozen=True)
class NoticeEntry:
    """One household on a notice list: only what a notice may show (domain.md §4.6)."""

    household_number: str
    head_name: str
    place: str  # 行政村 / 村民小组
    size: int  # 家庭人口
    note: str  # e.g. "拟识别为贫困户", "拟退出", a monitoring type label


@dataclass(frozen=True)
class NoticeContent:
    """A village or township notice (公示 / 公告) as it is posted (domain.md §2.1, §3.2, §4.6)."""

    title: str
    kind_label: str  # "第一次公示", "第二次公示", "公告", "监测对象公示" …
    issuer: str  # who posts it and seals it: "南山村民委员会", "玉泉镇人民政府"
    region_name: str
    period_start: date
    period_end: date
    body: str  # reason / basis, one paragraph
    entries: list[NoticeEntry]
    objection_how: str  # how and where to object during the period
    published_on: date
    reference: str  # notice id


class PrivacyViolation(JingzhunError):
    """A notice text contains data a notice must never show (domain.md §4.6).

    ``field`` is the dataclass field name, ``row`` the 1-based list row (None for the notice's own
    fields) and ``kind`` the Chinese name of what was found. The offending value is deliberately not
    part of the message: messages end up in logs and on screens.
    """

    code = "privacy_violation"
    status = 422

    def __init__(self, *, field: str, label: str, row: int | None, kind: str) -> None:
        where = f"名单第 {row} 行的“{label}”" if row is not None else f"“{label}”"
        super().__init__(
            f"{where}含有{kind}。公示公告不得显示身份证号码、残疾人证号码、电话号码、银行卡号或健康状况，"
            "请删除后再发布"
        )
        self.field = field
        self.row = row
        self.kind = kind


class FontMissing(JingzhunError):
    """No font that can print Chinese was found, or it lacks a character the notice needs."""

    code = "cjk_font_missing"
    status = 503


# --------------------------------------------------------------------------------------------------
# Privacy: what a notice must never show
# --------------------------------------------------------------------------------------------------

HEADER_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "标题"),
    ("kind_label", "公示类别"),
    ("issuer", "发布单位"),
    ("region_name", "地区"),
    ("body", "公示事由"),
    ("objection_how", "异议方式"),
    ("reference", "公示编号"),
)
ENTRY_FIELDS: tuple[tuple[str, str], ...] = (
    ("household_number", "户编号"),
    ("head_name", "户主姓名"),
    ("place", "所在村组"),
    ("note", "说明"),
)

# Health and disability labels of the register's code lists, plus the words officers write in notes.
# "健康" (healthy) is left out on purpose: it discloses no condition and is part of policy names such as
# 健康扶贫. 因病/因残 are in: on a notice they tell the village that someone is ill or disabled.
HEALTH_WORDS: frozenset[str] = frozenset(
    {label for value, label in Health.choices if value != Health.HEALTHY}
    | {str(label) for label in DisabilityCategory.labels}
    | {str(IdKind.DISABILITY_CERT.label), str(Cause.ILLNESS.label), str(Cause.DISABILITY.label)}
    | {str(RiskType.ILLNESS.label), str(RiskType.DISABILITY.label)}
    | {
        "残疾",
        "残障",
        "伤残",
        "患病",
        "患有",
        "大病",
        "重病",
        "慢性病",
        "病情",
        "病史",
        "诊断",
        "住院",
        "透析",
        "化疗",
        "癌症",
        "肿瘤",
        "白血病",
        "尿毒症",
        "精神病",
        "精神障碍",
        "智障",
        "瘫痪",
        "失明",
        "聋哑",
        "艾滋",
    }
)

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# Characters people put between digit groups: "138 1234 5678", "620502-19900101-1234", "(0931)8123456".
_SEPARATORS = r"\s\-‐‑‒()"
_NUMBER = re.compile(rf"[0-9]+[Xx]?(?:[{_SEPARATORS}]+[0-9]+[Xx]?)*")
_GROUP = re.compile(r"[0-9]+[Xx]?")
_MOBILE = re.compile(r"(?:0?86)?1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[1-9][0-9]{8,10}")  # area code (3–4 digits with the 0) + 7–8 digits
_MAX_GROUPS = 40  # joined sub-sequences are O(n²); longer digit lists are refused as a whole


def _normalised(text: str) -> str:
    """NFKC folds full-width digits, letters, spaces and brackets; zero-width characters vanish."""
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE)


def _candidates(groups: Sequence[str]) -> Iterator[str]:
    """Every run of adjacent digit groups, joined: "138 1234 5678 0" yields "13812345678" among others."""
    for start in range(len(groups)):
        for stop in range(start + 1, len(groups) + 1):
            yield "".join(groups[start:stop]).upper()


def _id_kind(candidate: str) -> str | None:
    if len(candidate) not in (15, 18, 20) or not idnumbers.is_valid(candidate):
        return None
    return "残疾人证号码" if len(candidate) == 20 else "身份证号码"


def _glued_id(joined: str) -> bool:
    """An ID glued to other digits is still an ID. The check digit keeps chance hits rare; 15-digit IDs
    have none, so they only count when they stand alone."""
    return len(joined) > 18 and any(idnumbers.is_valid(joined[i : i + 18]) for i in range(len(joined) - 17))


def _number_kind(candidate: str, *, long_numbers: bool) -> str | None:
    """What the digit string is, if it is something a notice must not show."""
    kind = _id_kind(candidate)
    if kind or not candidate.isdigit():
        return kind
    if _MOBILE.fullmatch(candidate):
        return "手机号码"
    if _LANDLINE.fullmatch(candidate):
        return "固定电话号码"
    if long_numbers and 16 <= len(candidate) <= 19:
        return "银行卡号"
    if long_numbers and len(candidate) >= 15:
        return "疑似证件或账户号码的长数字"
    return None


def _forbidden_number(text: str, *, long_numbers: bool) -> str | None:
    for match in _NUMBER.finditer(text):
        groups = _GROUP.findall(match.group())
        if len(groups) > _MAX_GROUPS:
            kind: str | None = "疑似证件或账户号码的长数字" if long_numbers else None
        else:
            kind = next(
                filter(None, (_number_kind(c, long_numbers=long_numbers) for c in _candidates(groups))), None
            )
        if kind is None and _glued_id("".join(groups).upper()):
            kind = "身份证号码"
        if kind:
            return kind
    return None


_HEALTH_WORDS_SORTED = tuple(sorted(HEALTH_WORDS))  # a stable order gives the same message every time


def _forbidden_word(text: str) -> str | None:
    compact = "".join(text.split())
    for word in _HEALTH_WORDS_SORTED:
        if word in compact:
            return f"健康状况或残疾信息（“{word}”）"
    return None


def _text_value(value: object, *, field: str, label: str, row: int | None) -> str:
    if not isinstance(value, str):
        where = f"名单第 {row} 行的" if row is not None else ""
        raise ValidationFailed(f"{where}“{label}”应为文字", errors={field: [f"“{label}”应为文字"]})
    return value


def _check_text(value: object, *, field: str, label: str, row: int | None) -> None:
    text = _normalised(_text_value(value, field=field, label=label, row=row))
    # National household numbers are a 12-digit village code + a 6-digit serial: 18 digits, the shape
    # of a bank card, so only the ID and phone rules apply to them.
    kind = _forbidden_number(text, long_numbers=field != "household_number") or _forbidden_word(text)
    if kind:
        raise PrivacyViolation(field=field, label=label, row=row, kind=kind)


def _check_shape(content: NoticeContent) -> None:
    """Structural problems that would print a wrong notice (not privacy, but never a 500 either)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(content.title, str) or not content.title.strip():
        errors["title"] = ["“标题”不能为空"]
    if not all(isinstance(d, date) for d in (content.period_start, content.period_end, content.published_on)):
        errors["period_start"] = ["“公示时间”和“发布日期”应为日期"]
    elif content.period_end < content.period_start:
        errors["period_end"] = ["“公示结束日期”不能早于开始日期"]
    for row, entry in enumerate(content.entries, start=1):
        if not isinstance(entry.size, int) or isinstance(entry.size, bool) or entry.size < 1:
            errors.setdefault("size", []).append(f"名单第 {row} 行的“家庭人口”应为不小于 1 的整数")
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)


def publishable(content: NoticeContent) -> NoticeContent:
    """Return ``content`` unchanged if it may be posted; raise :class:`PrivacyViolation` otherwise.

    Every text field and every entry is checked for ID and disability-certificate numbers (check digit
    verified, also spaced, with x or full-width digits), mobile and landline numbers, bank-card-length
    numbers and health or disability words. The public 12317 hotline is fine: it is neither.
    Bad shapes (empty title, period ending before it starts, size < 1) raise ``ValidationFailed``.
    """
    _check_shape(content)
    for field, label in HEADER_FIELDS:
        _check_text(getattr(content, field), field=field, label=label, row=None)
    for row, entry in enumerate(content.entries, start=1):
        for field, label in ENTRY_FIELDS:
            _check_text(getattr(entry, field), field=field, label=label, row=row)
    return content


# --------------------------------------------------------------------------------------------------
# Wording shared by both renderers
# --------------------------------------------------------------------------------------------------


def format_date(day: date) -> str:
    """Dates as notices write them: 2026年12月1日."""
    return f"{day.year}年{day.month}月{day.day}日"


def period_line(content: NoticeContent) -> str:
    word = "公告" if "公告" in content.kind_label else "公示"
    return f"{word}时间：{format_date(content.period_start)}至{format_date(content.period_end)}"


def standard_objection_how(*, village: str, township: str) -> str:
    """The usual objection paragraph: in person, in writing, or the public 12317 hotline."""
    return (
        f"公示期间，对名单有异议的，可以当面向{village}或{township}反映，也可以书面提出（请写明异议事项和理由），"
        "或拨打 12317 防止返贫监测帮扶热线反映。"
    )


def _totals_line(content: NoticeContent) -> str:
    people = sum(entry.size for entry in content.entries)
    return f"合计：{len(content.entries)} 户，{people} 人。"


def _seal_line(content: NoticeContent) -> str:
    return f"{content.issuer}（盖章）"


def _all_text(content: NoticeContent) -> str:
    """Every character the PDF prints, to check the font has a glyph for each."""
    parts = [str(getattr(content, f.name)) for f in fields(content) if f.name != "entries"]
    for entry in content.entries:
        parts.extend(str(getattr(entry, f.name)) for f in fields(entry))
    return (
        "".join(parts)
        + period_line(content)
        + _totals_line(content)
        + "序号户编号户主姓名所在村组家庭人口说明第页共盖章"
    )


# --------------------------------------------------------------------------------------------------
# Fonts: find a CJK font on this machine
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CjkFont:
    """A font file (and face within a .ttc collection) for regular and bold text."""

    regular: Path
    regular_index: int
    bold: Path
    bold_index: int


FONT_ENV = "JINGZHUN_CJK_FONT"
# Debian packages, best first: Noto Serif CJK (宋体 style, as official notices are set) from
# fonts-noto-cjk, which scripts/setup installs; then other Debian CJK packages.
DEBIAN_FONTS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


def _simplified_face(path: Path) -> int:
    """Index of the Simplified Chinese face of a collection (Noto's "… CJK SC"), else 0."""
    if path.suffix.lower() != ".ttc":
        return 0
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    for index, face in enumerate(collection.fonts):
        family = str(face["name"].getDebugName(1) or "")
        if family.endswith(" SC") and "Mono" not in family:
            return index
    return 0


def _bold_sibling(path: Path) -> Path:
    bold = path.with_name(path.name.replace("-Regular", "-Bold"))
    return bold if bold != path and bold.is_file() else path


def _fontconfig_font() -> Path | None:
    """Ask fontconfig for any outline font that covers Simplified Chinese."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh-cn", "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted({line.split(":")[0].strip() for line in out.splitlines()})
    return next((Path(f) for f in files if f.lower().endswith(_FONT_SUFFIXES)), None)


def find_cjk_font(
    *, env: str | None = None, candidates: Sequence[str] = DEBIAN_FONTS, use_fontconfig: bool = True
) -> CjkFont:
    """Find a font that prints Chinese: $JINGZHUN_CJK_FONT, then known Debian paths, then fontconfig.

    Raises :class:`FontMissing` with the Debian package to install when nothing is found.
    """
    chosen: Path | None
    if env:
        chosen = Path(env)
        if not chosen.is_file():
            raise FontMissing(f"环境变量 {FONT_ENV} 指向的字体文件不存在：{env}")
    else:
        chosen = next((Path(c) for c in candidates if Path(c).is_file()), None)
        if chosen is None and use_fontconfig:
            chosen = _fontconfig_font()
    if chosen is None:
        raise FontMissing(
            "未找到可显示中文的字体，无法生成 PDF 公示。请安装 Debian 软件包 fonts-noto-cjk"
            f"（apt-get install fonts-noto-cjk，或运行 scripts/setup），或设置环境变量 {FONT_ENV} 指向中文字体文件"
        )
    bold = _bold_sibling(chosen)
    return CjkFont(chosen, _simplified_face(chosen), bold, _simplified_face(bold))


@functools.cache
def _machine_font() -> CjkFont:
    return find_cjk_font(env=os.environ.get(FONT_ENV))


@functools.cache
def _covered(path: Path, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(path), fontNumber=index, lazy=True).getBestCmap())


def _check_glyphs(font: CjkFont, text: str) -> None:
    """A missing glyph would silently print a name wrongly; refuse instead."""
    try:
        covered = _covered(font.regular, font.regular_index)
    except Exception as err:  # fontTools raises many kinds of errors for a file that is not a font
        raise FontMissing(
            f"字体文件 {font.regular} 无法读取，请检查环境变量 {FONT_ENV} 或重新安装 fonts-noto-cjk"
        ) from err
    missing = sorted({c for c in text if not c.isspace() and ord(c) not in covered})
    if missing:
        raise FontMissing(f"字体 {font.regular.name} 缺少以下字符，无法正确打印公示：{''.join(missing)}")


# --------------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------------

_FAMILY = "notice"
_HEADINGS = ("序号", "户编号", "户主姓名", "所在村组", "家庭人口", "说明")
_WIDTHS = (12, 40, 22, 36, 18, 42)  # mm, sums to the 170 mm between A4's 20 mm margins
_ALIGN = ("CENTER", "LEFT", "LEFT", "LEFT", "CENTER", "LEFT")
_CLOSING_HEIGHT = 70  # mm: period, objection paragraph, seal line and date stay together on one page


def _new_pdf(content: NoticeContent, font: CjkFont) -> FPDF:
    from fpdf import FPDF

    class NoticePdf(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font(_FAMILY, size=9)
            self.cell(0, 8, f"第 {self.page_no()} 页 共 {{nb}} 页", align="C")

    pdf = NoticePdf(format="A4")
    pdf.add_font(_FAMILY, "", str(font.regular), collection_font_number=font.regular_index)
    pdf.add_font(_FAMILY, "B", str(font.bold), collection_font_number=font.bold_index)
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=22)
    pdf.set_title(content.title)
    pdf.set_lang("zh-CN")
    pdf.set_creator("精准 Jingzhun")
    return pdf


# 避头尾: closing punctuation never starts a line (it hangs into the margin instead), opening
# punctuation never ends one. Latin words and numbers ("12317", "GS-2026-0001") are not split.
_NO_LINE_START = frozenset("，。、；：？！）》」』〉】”’…·%,.;:?!)")
_OPENING = "（《「『〈【“‘("
_TOKENS = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-+/:]*|\s+|.")


def break_lines(text: str, fits: Callable[[str, int], bool]) -> list[str]:
    """Greedy line breaking for Chinese text; ``fits(line, index)`` says if a line fits its width."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(text):
        if not line and token.isspace():
            continue
        if not line or token.isspace() or token in _NO_LINE_START or fits(line + token, len(lines)):
            line += token
            continue
        line = line.rstrip()  # spaces at a break vanish
        kept = line.rstrip(_OPENING) or line  # opening punctuation moves down with what it opens
        lines.append(kept)
        line = line[len(kept) :] + token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _paragraph(pdf: FPDF, text: str, *, indent: bool) -> None:
    """12 pt body text; Chinese paragraphs indent their first line by two characters (首行缩进两字)."""
    pdf.set_font(_FAMILY, size=12)
    first_indent = 2 * pdf.font_size if indent else 0
    height = pdf.font_size * 1.6
    for part in text.splitlines() or [""]:
        lines = break_lines(
            part, lambda line, i: pdf.get_string_width(line) <= pdf.epw - (0 if i else first_indent)
        )
        for index, line in enumerate(lines):
            pdf.set_x(pdf.l_margin + (0 if index else first_indent))
            pdf.cell(pdf.get_string_width(line), height, line)
            pdf.ln(height)


def _pdf_heading(pdf: FPDF, content: NoticeContent) -> None:
    pdf.set_font(_FAMILY, "B", 18)
    pdf.multi_cell(0, 10, content.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FAMILY, size=10.5)
    pdf.cell(
        0,
        8,
        f"{content.region_name}　{content.kind_label}　编号：{content.reference}",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    _paragraph(pdf, content.body, indent=True)
    pdf.ln(3)


def _pdf_table(pdf: FPDF, content: NoticeContent) -> None:
    from fpdf.enums import WrapMode

    pdf.set_font(_FAMILY, size=10.5)
    with pdf.table(
        col_widths=_WIDTHS,
        text_align=_ALIGN,
        line_height=6.5,
        wrapmode=WrapMode.CHAR,
        padding=(1, 1.5),
        repeat_headings=1,
        first_row_as_headings=True,
    ) as table:
        table.row(_HEADINGS)
        for number, entry in enumerate(content.entries, start=1):
            table.row(
                (
                    str(number),
                    entry.household_number,
                    entry.head_name,
                    entry.place,
                    str(entry.size),
                    entry.note,
                )
            )
    pdf.ln(2)
    pdf.cell(0, 7, _totals_line(content), new_x="LMARGIN", new_y="NEXT")


def _pdf_closing(pdf: FPDF, content: NoticeContent) -> None:
    if pdf.will_page_break(_CLOSING_HEIGHT):
        pdf.add_page()  # never a seal on a page of its own, away from the period it certifies
    pdf.ln(2)
    _paragraph(pdf, period_line(content), indent=False)
    _paragraph(pdf, content.objection_how, indent=True)
    pdf.set_font(_FAMILY, size=12)
    pdf.ln(10)
    pdf.cell(0, 8, _seal_line(content), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, format_date(content.published_on), align="R", new_x="LMARGIN", new_y="NEXT")


def render_pdf(content: NoticeContent) -> bytes:
    """The notice as an A4 PDF: Chinese font, list table repeated on every page, seal line, page numbers."""
    publishable(content)
    font = _machine_font()
    _check_glyphs(font, _all_text(content))
    pdf = _new_pdf(content, font)
    pdf.add_page()
    _pdf_heading(pdf, content)
    _pdf_table(pdf, content)
    _pdf_closing(pdf, content)
    return bytes(pdf.output())


# --------------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------------


def render_html(content: NoticeContent) -> str:
    """The same notice as a printable HTML fragment (autoescaped Django template)."""
    publishable(content)
    return render_to_string(
        "procedures/rendering/notice.html",
        {
            "notice": content,
            "headings": _HEADINGS,
            "period_line": period_line(content),
            "totals_line": _totals_line(content),
            "seal_line": _seal_line(content),
            "published_on": format_date(content.published_on),
        },
    )
