"""A statistics table as the .xlsx a bureau files: merged title and unit/date rows, two-level merged
headings, borders, number formats, frozen panes, column widths, and A4 landscape print setup with the
headings repeated on every printed page. Written with XlsxWriter, in memory."""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter

from jingzhun.reports.layout import Cell, Column, Table

NUMBER_FORMATS = {"int": "#,##0", "pct": "0.00"}
A4 = 9  # Excel paper size code


def _formats(wb: Any) -> dict[str, Any]:
    base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
    cell = {**base, "border": 1}
    out = {
        "title": wb.add_format({**base, "font_size": 16, "bold": True, "align": "center"}),
        "unit": wb.add_format({**base, "align": "left"}),
        "as_of": wb.add_format({**base, "align": "right"}),
        "head": wb.add_format(
            {**cell, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#F2F2F2"}
        ),
        "note": wb.add_format({**base, "align": "left", "text_wrap": True, "valign": "top"}),
    }
    for total in (False, True):
        extra = {"bold": True, "bg_color": "#F7F7F7"} if total else {}
        suffix = "_total" if total else ""
        out["text" + suffix] = wb.add_format({**cell, **extra, "align": "center" if total else "left"})
        for kind, num_format in NUMBER_FORMATS.items():
            out[kind + suffix] = wb.add_format({**cell, **extra, "num_format": num_format, "align": "right"})
    return out


def _value(value: Cell, column: Column) -> Any:
    if column.kind == "int":
        return int(value)
    if column.kind == "pct":
        return float(value)
    return str(value)


def _print_setup(ws: Any, table: Table, header_last: int, last_row: int) -> None:
    ws.set_landscape()
    ws.set_paper(A4)
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.repeat_rows(2, header_last)
    ws.print_area(0, 0, last_row, len(table.columns) - 1)
    ws.set_footer("&C第 &P 页，共 &N 页")


def write(table: Table) -> bytes:
    """The table as an .xlsx file's bytes."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    wb.set_properties({"title": table.title, "author": "精准 Jingzhun", "comments": table.as_of_line()})
    f = _formats(wb)
    ws = wb.add_worksheet(table.name[:31])
    last_col = len(table.columns) - 1
    for i, column in enumerate(table.columns):
        ws.set_column(i, i, column.width)

    ws.merge_range(0, 0, 0, last_col, table.title, f["title"])
    ws.set_row(0, 32)
    middle = (last_col + 1) // 2  # every table has at least four columns
    ws.merge_range(1, 0, 1, middle - 1, table.unit_line(), f["unit"])
    ws.merge_range(1, middle, 1, last_col, table.as_of_line(), f["as_of"])
    ws.set_row(1, 20)

    first = 2
    for cell in table.header():
        r, c = first + cell.row, cell.col
        if cell.rowspan > 1 or cell.colspan > 1:
            ws.merge_range(r, c, r + cell.rowspan - 1, c + cell.colspan - 1, cell.text, f["head"])
        else:
            ws.write(r, c, cell.text, f["head"])
    for r in range(first, first + table.heading_rows):
        ws.set_row(r, 30)
    header_last = first + table.heading_rows - 1

    r = header_last + 1
    labels = table.label_columns
    for row in table.rows:
        suffix = "_total" if row.total else ""
        start = 0
        if row.total and labels > 1:
            ws.merge_range(r, 0, r, labels - 1, str(row.cells[0]), f["text_total"])
            start = labels
        for c in range(start, len(table.columns)):
            column = table.columns[c]
            ws.write(r, c, _value(row.cells[c], column), f[column.kind + suffix])
        ws.set_row(r, 18)
        r += 1

    r += 1
    for note in table.notes:
        ws.merge_range(r, 0, r, last_col, note, f["note"])
        ws.set_row(r, 30 if len(note) > 90 else 18)
        r += 1

    ws.freeze_panes(header_last + 1, labels)
    _print_setup(ws, table, header_last, r - 1)
    wb.close()
    return buffer.getvalue()
