"""Income accounting: the one place derived income figures are computed (domain.md §1.2)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

PROPERTY_PARTS = ("dividend_income", "other_property_income")
TRANSFER_PARTS = (
    "family_planning_income",
    "dibao_income",
    "tekun_income",
    "pension_income",
    "eco_compensation_income",
    "other_transfer_income",
)
INPUT_FIELDS = ("wage_income", "business_income", "business_expense", *PROPERTY_PARTS, *TRANSFER_PARTS)
DERIVED_FIELDS = ("property_income", "transfer_income", "net_income", "per_capita_net_income")
CENT = Decimal("0.01")


def _d(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def compute(values: dict[str, Any], household_size: int) -> dict[str, Decimal]:
    """Totals from the typed-in items: property, transfer, net and per-capita net income.

    Net income = wage + business + property + transfer − business expenses; per-capita = net / size,
    rounded to the fen. A household of size 0 has no per-capita figure (0).
    """
    prop = sum((_d(values.get(k)) for k in PROPERTY_PARTS), Decimal(0))
    transfer = sum((_d(values.get(k)) for k in TRANSFER_PARTS), Decimal(0))
    net = _d(values.get("wage_income")) + _d(values.get("business_income")) + prop + transfer
    net -= _d(values.get("business_expense"))
    per_capita_net = per_capita(net, household_size)
    return {
        "property_income": prop.quantize(CENT),
        "transfer_income": transfer.quantize(CENT),
        "net_income": net.quantize(CENT),
        "per_capita_net_income": per_capita_net,
    }


def per_capita(net: Any, persons: int) -> Decimal:
    """Net income per person, rounded half up to the fen; 0 persons give 0 (no per-capita figure)."""
    return (_d(net) / persons).quantize(CENT, ROUND_HALF_UP) if persons else Decimal(0)


def sql_totals(col: Callable[[str], str], size: str) -> dict[str, str]:
    """The same totals as :func:`compute`, as SQL expressions for set-based imports (DuckDB or Spark).

    ``col(name)`` gives the SQL for an input item (already defaulted to 0). Amounts are added as exact
    decimals; the per-capita figure is rounded half away from zero to the fen in whole cents, as
    ``Decimal.quantize(ROUND_HALF_UP)`` does. Tests check that both agree.
    """
    prop = " + ".join(col(k) for k in PROPERTY_PARTS)
    transfer = " + ".join(col(k) for k in TRANSFER_PARTS)
    net = f"({col('wage_income')} + {col('business_income')} + ({prop}) + ({transfer}) - {col('business_expense')})"
    cents = f"CAST(round({net} * 100) AS HUGEINT)"
    half_up = (
        f"CASE WHEN {size} = 0 THEN 0 WHEN {cents} >= 0 THEN ({cents} * 2 + {size}) // ({size} * 2)"
        f" ELSE -((-{cents} * 2 + {size}) // ({size} * 2)) END"
    )
    return {
        "property_income": f"CAST({prop} AS DECIMAL(14, 2))",
        "transfer_income": f"CAST({transfer} AS DECIMAL(14, 2))",
        "net_income": f"CAST({net} AS DECIMAL(14, 2))",
        "per_capita_net_income": f"CAST(CAST({half_up} AS DECIMAL(18, 0)) / 100 AS DECIMAL(14, 2))",
    }
