"""A statistics table as a bureau sends it upward: the one model both writers print.

A county office files the same few tables every month, each aggregated by hand from village to township
with its own definitions (domain.md §9). Here a table is built once from the indicator values
(``statistics.py``) into a :class:`Table`, and ``xlsx.py`` and ``pdf.py`` only lay it out, so the Excel
file and the PDF cannot show different numbers.

Columns carry an optional ``group``: consecutive columns with the same group share a merged heading
above their own labels (two heading rows); a column without a group has its label merged over both rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Kind = Literal["text", "int", "pct"]
Cell = str | int | Decimal


@dataclass(frozen=True)
class Column:
    label: str
    group: str = ""
    kind: Kind = "int"
    width: float = 9.0  # Excel character units; the PDF uses the same numbers as proportions
    source: str = ""  # where the number comes from (indicator code and breakdown), for docs and tests


@dataclass(frozen=True)
class Row:
    key: str  # the region code, or the rule code of the doubts table
    cells: tuple[Cell, ...]
    total: bool = False  # the 合计 row


@dataclass(frozen=True)
class HeaderCell:
    text: str
    row: int  # 0 or 1
    col: int
    rowspan: int = 1
    colspan: int = 1


@dataclass(frozen=True)
class Table:
    kind: str
    name: str  # 建档立卡户和人口基本情况表
    title: str  # 秦州区2026年建档立卡户和人口基本情况表
    region_code: str
    region_name: str
    year: int
    unit: str  # 填报单位
    as_of: dt.date | None  # 数据截至: when the indicators were last refreshed
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]  # the 合计 row last
    notes: tuple[str, ...] = ()

    @property
    def label_columns(self) -> int:
        """Leading text columns (region, or rule code and name): frozen in Excel, merged in the 合计 row."""
        n = 0
        for column in self.columns:
            if column.kind != "text":
                break
            n += 1
        return max(n, 1)

    @property
    def heading_rows(self) -> int:
        return 2 if any(c.group for c in self.columns) else 1

    def header(self) -> list[HeaderCell]:
        """The heading cells with their spans: groups merged across, ungrouped labels merged down."""
        cells: list[HeaderCell] = []
        two = self.heading_rows == 2
        col = 0
        while col < len(self.columns):
            column = self.columns[col]
            if not column.group:
                cells.append(HeaderCell(column.label, 0, col, rowspan=2 if two else 1))
                col += 1
                continue
            end = col
            while end + 1 < len(self.columns) and self.columns[end + 1].group == column.group:
                end += 1
            cells.append(HeaderCell(column.group, 0, col, colspan=end - col + 1))
            cells.extend(HeaderCell(self.columns[i].label, 1, i) for i in range(col, end + 1))
            col = end + 1
        return cells

    def unit_line(self) -> str:
        return f"填报单位：{self.unit}"

    def as_of_line(self) -> str:
        return f"数据截至：{format_date(self.as_of) if self.as_of else '—'}"

    @property
    def total(self) -> Row:
        return self.rows[-1]

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)

    def value(self, key: str, label: str, group: str = "") -> Cell:
        """One number by row key and column heading (the group disambiguates repeated labels)."""
        index = next(
            i for i, c in enumerate(self.columns) if c.label == label and (not group or c.group == group)
        )
        return self.row(key).cells[index]


def format_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def display(value: Cell, kind: Kind) -> str:
    """A cell as printed: counts with thousands separators, percentages with two decimals."""
    if kind == "text" or isinstance(value, str):
        return str(value)
    if kind == "pct":
        return f"{Decimal(value):.2f}"
    return f"{int(value):,}"


SIGNATURES = (
    "单位负责人：　　　　　　审核人：　　　　　　填表人：　　　　　　填报日期：　　　　年　　月　　日"
)
