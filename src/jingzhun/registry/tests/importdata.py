"""Build small import files in the template layout for tests."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from jingzhun.registry import idnumbers
from jingzhun.registry.exchange import template_columns

VILLAGE = "620502100201"  # 南山村 of the test world


def person(n: int, *, male: bool = True, born: dt.date = dt.date(1940, 3, 1)) -> str:
    return idnumbers.make_id("620502", born + dt.timedelta(days=n), (n * 2 + (1 if male else 0)) % 1000)


def household_rows(
    number: str,
    *,
    members: int = 2,
    start: int = 0,
    village: str = VILLAGE,
    head: str = "李大山",
    **overrides: Any,
) -> list[dict[str, str]]:
    rows = []
    for k in range(members):
        male = k != 1
        row = {
            "village": village,
            "household_number": number,
            "head_name": head,
            "attribute": "一般脱贫户",
            "poverty_status": "已脱贫(享受政策)",
            "main_cause": "因病",
            "first_identified_on": "2015-10-01",
            "exit_year": "2018",
            "year": "2025",
            "wage_income": "12000",
            "business_income": "5000",
            "business_expense": "1000",
            "dibao_income": "0",
            "housing_grade": "B",
            "water_safe": "是",
            "person_number": f"{number}{k + 1:02d}",
            "name": head if k == 0 else f"李{k}",
            "id_number": person(start + k, male=male),
            "relation": "户主" if k == 0 else ("配偶" if k == 1 else "之子"),
            "ethnicity": "汉族",
            "education": "初中",
            "schooling": "非在校生",
            "health": "健康",
            "labour_skill": "普通劳动力",
            "migrant_months": "0",
        }
        row.update({k2: str(v) for k2, v in overrides.items()})
        rows.append(row)
    return rows


def write_csv(
    path: Path,
    rows: list[dict[str, str]],
    *,
    encoding: str = "utf-8-sig",
    extra_headers: list[str] | None = None,
) -> Path:
    cols = template_columns()
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow([c.header for c in cols] + (extra_headers or []))
        for row in rows:
            w.writerow([row.get(c.key, "") for c in cols] + ["x"] * len(extra_headers or []))
    return path


def write_xlsx(
    path: Path,
    rows: list[list[Any]],
    headers: list[str] | None = None,
    sheet: str = "成员信息",
    title: str | None = None,
) -> Path:
    """Rows given as cell lists (so tests can put floats, dates or merged cells in)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet)
    r0 = 0
    if title:
        ws.merge_range(0, 0, 0, 5, title)
        r0 = 1
    ws.write_row(r0, 0, headers or [c.header for c in template_columns()])
    for i, row in enumerate(rows, start=r0 + 1):
        for j, v in enumerate(row):
            if v is None:
                continue
            ws.write(i, j, v)
    wb.close()
    return path


def as_cells(row: dict[str, str]) -> list[Any]:
    return [row.get(c.key) or None for c in template_columns()]
