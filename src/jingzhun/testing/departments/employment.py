"""Generated 就业 rows (employment): everyday data for the register's people and the residents around
them, the anomalies planted for the department rules that read this file, and noise next to them.

A part of ``_Generator`` (``generator.py``): the methods use its population, streams and plants."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jingzhun.testing.departments.common import (
    INDUSTRIES,
    LEFT,
    NA,
    ORD,
    REG,
    TRADE_NAMES,
    _between,
    _join,
    _money_cents,
    _Part,
    _Rows,
    _take,
    _yrs,
)


class Employment(_Part):
    # -- employment (no rule yet: volume and realism) ------------------------------------------------------

    def employment(self) -> _Rows:
        rng = self.rng("employment")
        p = self.pop
        A = self.A
        rows = _Rows("employment")
        adults = np.flatnonzero(self.alive & (p.kind != LEFT) & (p.age >= 18) & (p.age <= 62))
        prob = np.where(p.kind[adults] == REG, 0.3, np.where(p.kind[adults] == ORD, 0.45, 0.5))
        who = self.with_prob(rng, adults, prob)
        # some have had two jobs: the earlier one ended
        two = self.with_prob(rng, who, 0.12)
        people = np.concatenate([who, two])
        n = len(people)
        lo = p.birth[people] + _yrs(18)
        start = _between(rng, np.maximum(lo, A - _yrs(15)), A - 20)
        ended = np.concatenate([rng.random(len(who)) < 0.2, np.ones(len(two), dtype=bool)])
        end = np.where(ended, _between(rng, start + 60, np.maximum(start + 60, A), n), NA)
        end[ended & (end > A)] = A
        county = self.county_name(people)
        town = self.town(people)
        kind = rng.choice(4, size=n, p=[0.45, 0.25, 0.2, 0.1])
        trade = _take(TRADE_NAMES, rng.integers(0, len(TRADE_NAMES), n))
        industry = _take(INDUSTRIES, rng.integers(0, len(INDUSTRIES), n))
        far = _take(
            ("浙江省", "广东省", "江苏省", "福建省", "上海市", "新疆维吾尔自治区"), rng.integers(0, 6, n)
        )
        place = pc.if_else(pa.array(kind == 1), far, pc.if_else(pa.array(kind == 2), town, county))
        suffix = _take(("有限公司", "有限公司", "农民专业合作社", "有限责任公司"), kind)
        employer = _join(place, trade, industry, suffix)
        wage = _money_cents(rng, 3600, 0.35, n, 1800, 20000)
        rows.add(
            n, **self.person_cols(people), employer=employer, start_on=start, end_on=end, monthly_wage=wage
        )
        return rows
