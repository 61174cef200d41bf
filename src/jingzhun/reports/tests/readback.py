"""Read a report file back, the way a test (or the dashboard's browser test) checks what it shows.

``read_xlsx(data)`` gives the title, the unit/date line and each row's numbers by column heading
(``(group, label)``; ``group`` is '' for a column without a merged group heading); ``pdf_text(data)``
gives the PDF's text without the NULs and whitespace pypdf puts between CJK glyphs (decisions/0005).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

Heading = tuple[str, str]


@dataclass
class ReadTable:
    title: str
    unit_line: str
    as_of_line: str
    headings: list[Heading]
    rows: dict[str, dict[Heading, Any]]  # by the first cell (region name, rule code, 合计)
    sheet: Any  # the openpyxl worksheet, for layout checks

    def value(self, row: str, label: str, group: str = "") -> Any:
        return self.rows[row][(group, label)]


def _merged_value(ws: Any, row: int, col: int) -> Any:
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
            return ws.cell(rng.min_row, rng.min_col).value
    return ws.cell(row, col).value


def read_xlsx(data: bytes) -> ReadTable:
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    width = ws.max_column
    top = [_merged_value(ws, 3, c) for c in range(1, width + 1)]
    second = [_merged_value(ws, 4, c) for c in range(1, width + 1)]
    two_levels = any(a != b for a, b in zip(top, second, strict=True))
    headings = [((a, b) if two_levels and a != b else ("", a)) for a, b in zip(top, second, strict=True)]
    first_data = 5 if two_levels else 4
    rows: dict[str, dict[Heading, Any]] = {}
    for r in range(first_data, ws.max_row + 1):
        label = ws.cell(r, 1).value
        if label is None:
            break
        rows[str(label)] = {h: ws.cell(r, c).value for c, h in enumerate(headings, start=1)}
        if label == "合计":
            break
    return ReadTable(
        str(ws.cell(1, 1).value),
        str(ws.cell(2, 1).value),
        str(_merged_value(ws, 2, width)),
        headings,
        rows,
        ws,
    )


def pdf_text(data: bytes) -> list[str]:
    """Each page's text, NULs and whitespace removed."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return ["".join((page.extract_text() or "").replace("\x00", "").split()) for page in reader.pages]
