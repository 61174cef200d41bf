"""Generated 市场主体 rows (business): everyday data for the register's people and the residents around
them, the anomalies planted for the department rules that read this file, and noise next to them.

A part of ``_Generator`` (``generator.py``): the methods use its population, streams and plants."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jingzhun.comparison import datasets as dsm
from jingzhun.testing.departments.common import (
    CREDIT_CHARS,
    CREDIT_WEIGHTS,
    INDUSTRIES,
    LEFT,
    NA,
    ORD,
    REG,
    SHOPS,
    TRADE_NAMES,
    _between,
    _join,
    _minus,
    _money_cents,
    _Part,
    _pick,
    _Rows,
    _take,
    _yrs,
)


class Business(_Part):
    # -- business (CP03) ---------------------------------------------------------------------------------

    def business(self) -> _Rows:
        rng = self.rng("business")
        p = self.pop
        A = self.A
        rows = _Rows("business")
        cmin = self.capital_min
        roles = {r: i for i, r in enumerate(dsm.BUSINESS_ROLES)}
        states = {s: i for i, s in enumerate(dsm.BUSINESS_STATES)}

        def add(
            people: np.ndarray, role: np.ndarray, capital: np.ndarray, on: np.ndarray, state: np.ndarray
        ) -> None:
            n = len(people)
            if not n:
                return
            role = np.asarray(role, dtype=np.int64)
            county = self.county_name(people)
            sole = role == roles["个体工商户经营者"]
            trade = _take(TRADE_NAMES, rng.integers(0, len(TRADE_NAMES), n))
            industry = _take(INDUSTRIES, rng.integers(0, len(INDUSTRIES), n))
            shop = _take(SHOPS, rng.integers(0, len(SHOPS), n))
            names = p.name.take(pa.array(people))
            entity = pc.if_else(
                pa.array(sole), _join(county, names, shop), _join(county, trade, industry, "有限公司")
            )
            rows.add(
                n,
                **self.person_cols(people),
                entity_name=entity,
                credit_code=self._credit_codes(rng, people, sole),
                role=_take(dsm.BUSINESS_ROLES, role),
                capital=np.asarray(capital, dtype=np.int64),
                established_on=np.asarray(on, dtype=np.int32),
                state=_take(dsm.BUSINESS_STATES, np.asarray(state, dtype=np.int64)),
            )

        def capitals(role: np.ndarray) -> np.ndarray:
            n = len(role)
            return np.where(
                role == roles["个体工商户经营者"],
                _money_cents(rng, 3, 0.8, n, 0.5, 50),
                _money_cents(rng, 100, 1.0, n, 10, 5000),
            )

        living = self.alive & (p.kind != LEFT) & (p.age >= 20) & (p.age <= 72)
        out = np.flatnonzero(living & (p.kind != REG))
        who = self.with_prob(rng, out, np.where(p.kind[out] == ORD, 0.05, 0.085))
        n = len(who)
        role = rng.choice(3, size=n, p=[0.3, 0.2, 0.5])
        state = rng.choice(4, size=n, p=[0.6, 0.25, 0.05, 0.1])
        add(
            who,
            role,
            capitals(role),
            _between(rng, np.maximum(p.birth[who] + _yrs(20), A - _yrs(20)), A),
            state,
        )
        # registered members: 个体工商户 (any date), companies 注销/吊销 or founded after registration, small stakes
        rm = np.flatnonzero(living & (p.kind == REG))
        reg_on = self.reg_on(rm)
        known = reg_on != NA
        sole = self.with_prob(rng, rm, 0.02)
        add(
            sole,
            np.full(len(sole), roles["个体工商户经营者"]),
            capitals(np.full(len(sole), 2)),
            _between(rng, np.maximum(p.birth[sole] + _yrs(20), A - _yrs(20)), A),
            rng.choice(4, size=len(sole)),
        )
        adult_at_reg = known & (p.birth[rm] + _yrs(20) <= reg_on)
        closed = _pick(rng, rm[adult_at_reg], self.quota)
        cr = self.reg_on(closed)
        add(
            closed,
            rng.integers(0, 2, len(closed)),
            capitals(np.zeros(len(closed))),
            _between(rng, np.maximum(p.birth[closed] + _yrs(20), cr - _yrs(10)), cr),
            np.where(np.arange(len(closed)) % 2 == 0, states["注销"], states["吊销"]),
        )
        later_pool = rm[known & (reg_on < A - 30)]
        later = _pick(rng, later_pool, self.quota * 2)
        lr = self.reg_on(later)
        on = _between(rng, np.maximum(lr + 1, p.birth[later] + _yrs(20)), A)
        add(
            later,
            rng.integers(0, 2, len(later)),
            capitals(np.zeros(len(later))),
            on,
            rng.integers(0, 2, len(later)),
        )
        stake = _pick(rng, _minus(rm[adult_at_reg], closed), self.quota)
        sr = self.reg_on(stake)
        cap = np.full(len(stake), cmin - 1)
        add(
            stake,
            np.full(len(stake), roles["股东"]),
            cap,
            _between(rng, np.maximum(p.birth[stake] + _yrs(20), sr - _yrs(10)), sr),
            np.zeros(len(stake)),
        )
        # CP03 plants: 法定代表人/股东 of a 存续/在业 company founded on or before registration, capital ≥ the line
        pool = _minus(rm[adult_at_reg], np.union1d(closed, stake))
        cp03 = _pick(rng, pool, self.quota)
        cr = self.reg_on(cp03)
        on = _between(rng, np.maximum(p.birth[cp03] + _yrs(20), cr - _yrs(10)), cr)
        cap = np.maximum(capitals(np.zeros(len(cp03))), cmin)
        if len(cp03):
            on[0], cap[0] = cr[0], cmin  # the boundaries: founded that day, capital exactly the line
        add(cp03, rng.integers(0, 2, len(cp03)), cap, on, rng.integers(0, 2, len(cp03)))
        self.plant("CP03", cp03)
        return rows

    def _credit_codes(self, rng: np.random.Generator, people: np.ndarray, sole: np.ndarray) -> pa.Array:
        """统一社会信用代码 (GB 32100): 登记管理部门 9 + 类别, the county's code, 9 characters, the check."""
        n = len(people)
        codes = np.array([int(c.code) for c in self.counties] or [0], dtype=np.int64)[self.pop.county[people]]
        chars = np.zeros((n, 17), dtype=np.int64)
        chars[:, 0] = 9
        chars[:, 1] = np.where(sole, 2, 1)
        for k in range(6):
            chars[:, 2 + k] = (codes // 10 ** (5 - k)) % 10
        chars[:, 8:] = rng.integers(0, len(CREDIT_CHARS), (n, 9))
        check = (31 - (chars * CREDIT_WEIGHTS).sum(axis=1) % 31) % 31
        table = np.array(list(CREDIT_CHARS))
        cols = [pa.array(table[chars[:, k]]) for k in range(17)] + [pa.array(table[check])]
        return _join(*cols)
