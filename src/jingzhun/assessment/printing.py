"""Interview lists (入户调查名单) for the assessors, one per sampled village, as PDF and as .xlsx.

A list shows what a team needs at the door and nothing more: household number, head's name, village
group, the household's sampling group and size, and empty columns for the answers (认可, 错退 for an
exited household, 漏评 for a non-registered one, date, interviewers, notes). It never shows ID numbers,
phone numbers or bank accounts (the sample does not even hold them). Questions that do not apply to a
household are printed "—"; the others "是 否", to circle.

The PDF uses fpdf2 and the CJK font ``procedures.rendering.find_cjk_font`` finds (decisions/0005).
"""

from __future__ import annotations

import functools
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from jingzhun.assessment.models import SampledHousehold, SampledVillage, Survey
from jingzhun.procedures.rendering import FONT_ENV, CjkFont, FontMissing, find_cjk_font

HEADINGS = (
    "序号",
    "户编号",
    "户主姓名",
    "村民小组",
    "抽样组",
    "人口",
    "是否认可",
    "是否错退",
    "是否漏评/人数",
    "访问日期",
    "调查员",
    "备注",
)
WIDTHS = (10, 42, 22, 28, 32, 12, 18, 22, 26, 22, 20, 13)  # mm, the 267 mm between A4 landscape's margins
XLSX_WIDTHS = (5, 22, 10, 12, 18, 6, 10, 10, 14, 12, 12, 20)  # characters
CIRCLE, NOT_ASKED = "是  否", "—"
SIGNATURE = "调查员签名：______________    复核人签名：______________    日期：______年____月____日"
PRIVACY = "本名单不含身份证号码、电话号码和银行卡号，请勿在名单上填写。"


@dataclass(frozen=True)
class ListRow:
    number: int
    household_number: str
    head_name: str
    natural_village: str
    group: str
    people: int
    wrong_exit: str
    missed: str

    def cells(self) -> tuple[str, ...]:
        return (
            str(self.number),
            self.household_number,
            self.head_name,
            self.natural_village,
            self.group,
            str(self.people),
            CIRCLE,
            self.wrong_exit,
            self.missed,
            "",
            "",
            "",
        )


@dataclass(frozen=True)
class InterviewList:
    title: str
    heading: str  # "玉泉镇南山村（贫困村） 第 1 个抽中村 应访 35 户"
    sheet: str  # the .xlsx sheet name
    rows: tuple[ListRow, ...]


def _row(h: SampledHousehold, number: int) -> ListRow:
    label = h.get_group_display() + ("（补充）" if h.by_hand else "")
    return ListRow(
        number=number,
        household_number=h.household_number or "（调查时补充）",
        head_name=h.head_name,
        natural_village=h.natural_village or h.address,
        group=label,
        people=h.people,
        wrong_exit=CIRCLE if h.exited else NOT_ASKED,
        missed=f"{CIRCLE}  __人" if h.non_registered else NOT_ASKED,
    )


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def village_list(survey: Survey, village: SampledVillage) -> InterviewList:
    households = sorted(village.households.all(), key=lambda h: h.order)  # prefetched by survey_lists
    place = (
        village.village.parent.name + village.village.name if village.village.parent else village.village.name
    )
    heading = (
        f"{place}（{village.get_stratum_display()}）  第 {village.order} 个抽中村  "
        f"应访 {len(households)} 户  随机种子 {survey.seed}"
    )
    sheet = _SHEET_BAD.sub("", f"{village.order:02d} {village.village.name}")[:31]
    return InterviewList(
        title=f"{survey.name} 入户调查名单",
        heading=heading,
        sheet=sheet,
        rows=tuple(_row(h, i) for i, h in enumerate(households, start=1)),
    )


def survey_lists(survey: Survey) -> list[InterviewList]:
    villages = (
        survey.villages.select_related("village__parent").prefetch_related("households").order_by("order")
    )
    return [village_list(survey, v) for v in villages]


# --------------------------------------------------------------------------------------------------
# .xlsx


def render_xlsx(lists: Sequence[InterviewList]) -> bytes:
    """One sheet per village: a merged title row, the village line, the header, the rows, the signature."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    title = book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    line = book.add_format({"font_size": 11, "align": "left"})
    head = book.add_format(
        {
            "bold": True,
            "border": 1,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
            "bg_color": "#EEEEEE",
        }
    )
    cell = book.add_format({"border": 1, "valign": "vcenter", "text_wrap": True})
    text = book.add_format({"border": 1, "valign": "vcenter", "num_format": "@"})
    last = len(HEADINGS) - 1
    for item in lists or [InterviewList("入户调查名单", "", "名单", ())]:
        sheet = book.add_worksheet(item.sheet)
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(2)
        for col, width in enumerate(XLSX_WIDTHS):
            sheet.set_column(col, col, width)
        sheet.merge_range(0, 0, 0, last, item.title, title)
        sheet.set_row(0, 28)
        sheet.merge_range(1, 0, 1, last, item.heading, line)
        sheet.write_row(2, 0, HEADINGS, head)
        for r, row in enumerate(item.rows, start=3):
            for c, value in enumerate(row.cells()):
                sheet.write_string(r, c, value, text if c == 1 else cell)
            sheet.set_row(r, 24)
        end = 3 + len(item.rows)
        sheet.merge_range(end + 1, 0, end + 1, last, SIGNATURE, line)
        sheet.merge_range(end + 2, 0, end + 2, last, PRIVACY, line)
    book.close()
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# PDF

_FAMILY = "list"


@functools.cache
def _font() -> CjkFont:
    return find_cjk_font(env=os.environ.get(FONT_ENV))


@functools.cache
def _cmap(font: CjkFont) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(font.regular), fontNumber=font.regular_index, lazy=True).getBestCmap())


def _check_glyphs(font: CjkFont, lists: Sequence[InterviewList]) -> None:
    """A name character the font lacks would print as nothing; refuse instead (as notices do)."""
    text = "".join(
        [SIGNATURE, PRIVACY, *HEADINGS, "第页共"]
        + [i.title + i.heading for i in lists]
        + ["".join(r.cells()) for i in lists for r in i.rows]
    )
    covered = _cmap(font)
    missing = sorted({c for c in text if not c.isspace() and ord(c) not in covered})
    if missing:
        raise FontMissing(f"字体 {font.regular.name} 缺少以下字符，无法正确打印名单：{''.join(missing)}")


def render_pdf(lists: Sequence[InterviewList]) -> bytes:
    """A4 landscape; each village starts a page; the header row repeats on every page."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode

    font = _font()
    _check_glyphs(font, lists)

    class ListPdf(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(_FAMILY, size=9)
            self.cell(0, 6, f"第 {self.page_no()} 页 共 {{nb}} 页", align="C")

    pdf = ListPdf(orientation="L", format="A4")
    pdf.add_font(_FAMILY, "", str(font.regular), collection_font_number=font.regular_index)
    pdf.add_font(_FAMILY, "B", str(font.bold), collection_font_number=font.bold_index)
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(lists[0].title if lists else "入户调查名单")
    pdf.set_lang("zh-CN")
    pdf.set_creator("精准 Jingzhun")
    for item in lists or [InterviewList("入户调查名单", "", "名单", ())]:
        pdf.add_page()
        pdf.set_font(_FAMILY, "B", 16)
        pdf.cell(0, 9, item.title, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(_FAMILY, size=10.5)
        pdf.cell(0, 7, item.heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(_FAMILY, size=9.5)
        with pdf.table(
            col_widths=WIDTHS,
            line_height=6,
            wrapmode=WrapMode.CHAR,
            padding=(1, 1),
            repeat_headings=1,
            first_row_as_headings=True,
        ) as table:
            table.row(HEADINGS)
            for row in item.rows:
                table.row(row.cells())
        pdf.ln(4)
        pdf.set_font(_FAMILY, size=10.5)
        pdf.cell(0, 7, SIGNATURE, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(_FAMILY, size=9)
        pdf.cell(0, 6, PRIVACY, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
