"""The one way a report file is made, for the web, the command line and tests: a read, never a write.

``report_file(user, kind=…, region=…, year=…, fmt=…)`` builds a statistics table through the region
access and lays it out as .xlsx or PDF; ``card_file(user, household_id)`` makes a household's 明白卡
through the household access. Both raise ``NotFoundOrForbidden`` for what the user may not see.
"""

from __future__ import annotations

from dataclasses import dataclass

from jingzhun.accounts.models import User
from jingzhun.core.errors import ValidationFailed
from jingzhun.reports import card, pdf, statistics, xlsx
from jingzhun.reports.layout import Table

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class ReportFile:
    name: str
    content_type: str
    data: bytes
    table: Table | None = None  # what was printed, for callers that check numbers


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValidationFailed(f"报表格式应为 xlsx 或 pdf，不能是“{fmt}”", {"format": ["应为 xlsx 或 pdf"]})
    return fmt


def render(table: Table, fmt: str) -> ReportFile:
    data = xlsx.write(table) if check_format(fmt) == "xlsx" else pdf.table_pdf(table)
    return ReportFile(f"{table.title}.{fmt}", FORMATS[fmt], data, table)


def report_file(
    user: User, *, kind: str, region: str, year: int | None = None, fmt: str = "xlsx"
) -> ReportFile:
    """A statistics table (``statistics.DEFINITIONS``) for a region inside the user's jurisdiction."""
    check_format(fmt)
    return render(statistics.build(user, kind, region, year), fmt)


def card_file(user: User, household_id: int | str) -> ReportFile:
    """The 明白卡 of a household the user may see, as PDF."""
    content = card.household_card(user, household_id)
    return ReportFile(content.file_name(), FORMATS["pdf"], pdf.card_pdf(content))
