"""Files to import, written the way clerks send them: CSV in UTF-8 or GB18030, .xlsx with typed cells."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

PAIRING_HEADERS = (
    "户编号",
    "帮扶责任人姓名",
    "帮扶单位",
    "单位隶属关系",
    "联系电话",
    "帮扶开始日期",
    "帮扶结束日期",
)
MEASURE_HEADERS = ("户编号", "年度", "措施类别", "是否已实施", "备注")


def write_csv(
    path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]], encoding: str = "utf-8-sig"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Cells keep their Python types: numbers stay numbers and dates are Excel dates."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    sheet = book.add_worksheet("帮扶")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, headers)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if hasattr(value, "isoformat"):
                sheet.write_datetime(i, j, value, dates)
            elif value is not None:
                sheet.write(i, j, value)
    book.close()
    return path
