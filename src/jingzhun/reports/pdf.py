"""Statistics tables and the 明白卡 as PDF, with fpdf2 and the Chinese font the notices use.

The font is found by ``procedures.rendering.find_cjk_font`` (docs/decisions/0005): Noto Serif CJK from
Debian's fonts-noto-cjk, or ``$JINGZHUN_CJK_FONT``. Tables are A4 landscape with the title on the first
page and the (two-level, merged) headings repeated on every page; the card is one A4 portrait page.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from jingzhun.procedures import rendering
from jingzhun.procedures.rendering import FONT_ENV, CjkFont, find_cjk_font
from jingzhun.reports.card import Card
from jingzhun.reports.layout import Table, display, format_date

FAMILY = "cjk"
HEAD_FILL = (242, 242, 242)
TOTAL_FILL = (247, 247, 247)


@functools.cache
def _font() -> CjkFont:
    return find_cjk_font(env=os.environ.get(FONT_ENV))


def _check_glyphs(text: str) -> CjkFont:
    font = _font()
    # The notices' check: a character the font lacks (a rare name character) is refused, not printed blank.
    rendering._check_glyphs(font, text)
    return font


def _new_pdf(title: str, font: CjkFont, orientation: str) -> Any:
    from fpdf import FPDF

    class ReportPdf(FPDF):
        def footer(self) -> None:
            self.set_y(-10)
            self.set_font(FAMILY, size=8)
            self.cell(0, 6, f"第 {self.page_no()} 页 共 {{nb}} 页", align="C")

    pdf = ReportPdf(orientation=orientation, format="A4")
    pdf.add_font(FAMILY, "", str(font.regular), collection_font_number=font.regular_index)
    pdf.add_font(FAMILY, "B", str(font.bold), collection_font_number=font.bold_index)
    pdf.set_title(title)
    pdf.set_lang("zh-CN")
    pdf.set_creator("精准 Jingzhun")
    return pdf


# --------------------------------------------------------------------------------------------------
# Statistics tables


def _table_text(table: Table) -> str:
    parts = [table.title, table.unit_line(), table.as_of_line(), *table.notes, "第页共"]
    parts += [c.text for c in table.header()]
    parts += [display(v, c.kind) for row in table.rows for v, c in zip(row.cells, table.columns, strict=True)]
    return "".join(parts)


def _font_size(columns: int) -> float:
    return 9.0 if columns <= 14 else 7.5 if columns <= 24 else 6.5


def table_pdf(table: Table) -> bytes:
    """The table as an A4 landscape PDF: title, 填报单位 and 数据截至, headings on every page, notes."""
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace

    font = _check_glyphs(_table_text(table))
    pdf = _new_pdf(table.title, font, "L")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 16)
    pdf.cell(0, 10, table.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=9)
    pdf.cell(pdf.epw / 2, 7, table.unit_line())
    pdf.cell(pdf.epw / 2, 7, table.as_of_line(), align="R", new_x="LMARGIN", new_y="NEXT")

    size = _font_size(len(table.columns))
    pdf.set_font(FAMILY, size=size)
    align = tuple("LEFT" if c.kind == "text" else "RIGHT" for c in table.columns)
    labels = table.label_columns
    with pdf.table(
        col_widths=tuple(c.width for c in table.columns),
        text_align=align,
        wrapmode=WrapMode.CHAR,
        line_height=size * 0.45,
        padding=(0.6, 1),
        num_heading_rows=table.heading_rows,
        first_row_as_headings=True,
        repeat_headings=1,
        headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL),
    ) as grid:
        for level in range(table.heading_rows):
            row = grid.row()
            for cell in (c for c in table.header() if c.row == level):
                row.cell(cell.text, align="C", rowspan=cell.rowspan, colspan=cell.colspan)
        for data in table.rows:
            style = FontFace(emphasis="BOLD", fill_color=TOTAL_FILL) if data.total else None
            row = grid.row(style=style)
            start = 0
            if data.total:
                row.cell(str(data.cells[0]), align="C", colspan=labels)
                start = labels
            for value, column in zip(data.cells[start:], table.columns[start:], strict=True):
                row.cell(display(value, column.kind))
    pdf.ln(2)
    pdf.set_font(FAMILY, size=8.5)
    for note in table.notes:
        pdf.multi_cell(0, 5, note, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# --------------------------------------------------------------------------------------------------
# 明白卡


def _section(pdf: Any, text: str) -> None:
    pdf.ln(1.5)
    pdf.set_font(FAMILY, "B", 12)
    pdf.cell(0, 7.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=10)


def _pairs(pdf: Any, pairs: tuple[tuple[str, str], ...]) -> None:
    """Label/value pairs, two to a row, in a bordered grid."""
    from fpdf.fonts import FontFace

    label_style = FontFace(emphasis="BOLD", fill_color=HEAD_FILL)
    with pdf.table(
        col_widths=(32, 53, 32, 53), first_row_as_headings=False, line_height=5.5, padding=(0.6, 1.5)
    ) as grid:
        for i in range(0, len(pairs), 2):
            row = grid.row()
            for label, value in pairs[i : i + 2]:
                row.cell(label, style=label_style)
                row.cell(value)
            if len(pairs[i : i + 2]) == 1:
                row.cell("", colspan=2)


def _members(pdf: Any, card: Card) -> None:
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace

    headings = ("序号", "姓名", "与户主关系", "性别", "年龄", "身份证号码", "劳动技能", "在校生状况")
    with pdf.table(
        col_widths=(10, 20, 24, 10, 10, 34, 30, 32),
        text_align="CENTER",
        line_height=5.5,
        wrapmode=WrapMode.CHAR,
        padding=(0.6, 1),
        repeat_headings=1,
        headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL),
    ) as grid:
        grid.row(headings)
        for i, m in enumerate(card.members, start=1):
            grid.row((str(i), m.name, m.relation, m.sex, m.age, m.id_masked, m.labour, m.schooling))


def _rules(pdf: Any, count: int) -> None:
    for _ in range(count):
        pdf.ln(8)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())


def card_pdf(card: Card) -> bytes:
    """The 明白卡 as a printable A4 page (more pages only for a very large household)."""
    font = _check_glyphs(
        card.all_text() + "基本情况家庭成员年度收入元帮扶责任人措施政策标准户主签字盖章日期第页共序号"
    )
    pdf = _new_pdf(card.title, font, "P")
    pdf.set_margins(20, 15, 20)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 20)
    pdf.cell(0, 12, card.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=10)
    pdf.multi_cell(
        0,
        6,
        f"{card.place}　户主：{card.head_name}　户编号：{card.household_number}",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )

    _section(pdf, "一、基本情况")
    _pairs(pdf, card.facts)
    _section(pdf, "二、家庭成员")
    _members(pdf, card)
    if card.income_year is not None:
        _section(pdf, f"三、{card.income_year}年度收入情况（单位：元）")
        _pairs(pdf, card.income)
    else:
        _section(pdf, "三、年度收入情况")
        pdf.cell(0, 7, "尚无年度收入数据。", new_x="LMARGIN", new_y="NEXT")
    _section(pdf, "四、政策标准")
    for line in card.policies:
        pdf.multi_cell(0, 5.5, line, align="L", new_x="LMARGIN", new_y="NEXT")
    _section(pdf, "五、帮扶责任人和帮扶措施")
    pdf.cell(
        0,
        8,
        "帮扶责任人：＿＿＿＿＿＿＿＿＿＿　　工作单位：＿＿＿＿＿＿＿＿＿＿＿＿＿＿",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(0, 7, "帮扶措施：", new_x="LMARGIN", new_y="NEXT")
    _rules(pdf, 3)
    pdf.ln(10)
    pdf.set_font(FAMILY, size=11)
    pdf.cell(
        0,
        8,
        "户主（签字）：＿＿＿＿＿＿＿　　帮扶责任人（签字）：＿＿＿＿＿＿＿　　村委会（盖章）",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(0, 8, f"打印日期：{format_date(card.printed_on)}", align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
