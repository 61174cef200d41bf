"""Generated 财政供养 rows (payroll): everyday data for the register's people and the residents around
them, the anomalies planted for the department rules that read this file, and noise next to them.

A part of ``_Generator`` (``generator.py``): the methods use its population, streams and plants."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jingzhun.testing.departments.common import (
    EMPLOYERS,
    LEFT,
    NA,
    ORD,
    POSTS,
    REG,
    _between,
    _join,
    _minus,
    _Part,
    _pick,
    _Rows,
    _take,
    _yrs,
)


class Payroll(_Part):
    # -- payroll (CP01, JC06) ------------------------------------------------------------------------------

    def payroll(self) -> _Rows:
        rng = self.rng("payroll")
        p = self.pop
        A = self.A
        rows = _Rows("payroll")

        def add(people: np.ndarray, start: np.ndarray, end: np.ndarray | int) -> None:
            n = len(people)
            if not n:
                return
            county = self.county_name(people)
            town = self.town(people)
            which = rng.integers(0, len(EMPLOYERS), n)
            unit = _take(EMPLOYERS, which)
            at_town = np.isin(which, [0, 10]) & (rng.random(n) < 0.6)
            employer = _join(pc.if_else(pa.array(at_town), town, county), unit)
            office = np.array([0, 4, 5, 6, 7, 8])[
                rng.integers(0, 6, n)
            ]  # 科员, 工勤人员, 副科长, 办事员, 会计, 技术员
            post = _take(
                POSTS,
                np.where(np.isin(which, [6, 10]), 1, np.where(which == 5, rng.integers(2, 4, n), office)),
            )
            rows.add(
                n,
                **self.person_cols(people),
                employer=employer,
                post=post,
                start_on=np.asarray(start, dtype=np.int32),
                end_on=np.broadcast_to(np.asarray(end, dtype=np.int32), (n,)).copy(),
            )

        living = self.alive & (p.kind != LEFT)
        out = np.flatnonzero(living & (p.kind != REG) & (p.age >= 22) & (p.age <= 75))
        who = self.with_prob(rng, out, np.where(p.kind[out] == ORD, 0.03, 0.09))
        start = _between(rng, p.birth[who] + _yrs(21), np.minimum(p.birth[who] + _yrs(35), A - 30))
        retired = p.birth[who] + _yrs(60) <= A
        end = np.where(
            retired,
            p.birth[who] + _yrs(60),
            np.where(rng.random(len(who)) < 0.04, _between(rng, start + 30, A, len(who)), NA),
        )
        add(who, start, end)
        rm = np.flatnonzero(living & (p.kind == REG))
        reg_on = self.reg_on(rm)
        known = reg_on != NA
        # CP01: in post at registration (one started that very day)
        pool1 = rm[known & (p.birth[rm] + _yrs(21) <= reg_on) & (p.birth[rm] + _yrs(55) >= reg_on)]
        cp01 = _pick(rng, pool1, self.quota)
        r1 = self.reg_on(cp01)
        start = _between(rng, np.maximum(p.birth[cp01] + _yrs(21), r1 - _yrs(20)), r1)
        end = np.where(rng.random(len(cp01)) < 0.3, _between(rng, r1 + 1, A, len(cp01)), NA)
        if len(cp01):
            start[0] = r1[0]
        add(cp01, start, end)
        self.plant("CP01", cp01)
        # JC06: in post since after registration, still in post on as_of (one started the day after)
        pool6 = _minus(
            rm[known & (reg_on < A - 1) & (p.birth[rm] + _yrs(21) <= A - 1) & (p.birth[rm] + _yrs(50) >= A)],
            cp01,
        )
        jc06 = _pick(rng, pool6, self.quota)
        r6 = self.reg_on(jc06)
        start = _between(rng, np.maximum(r6 + 1, p.birth[jc06] + _yrs(21)), A)
        end = np.where(rng.random(len(jc06)) < 0.2, _between(rng, A + 1, A + 400, len(jc06)), NA)
        if len(jc06):  # the boundary: in post from the day after registration
            start[0] = max(int(r6[0]) + 1, int(p.birth[jc06[0]]) + _yrs(21))
        add(jc06, start, end)
        self.plant("JC06", jc06)
        # noise: left the post before registration; started after registration but left again before as_of
        rest = _minus(pool1, np.union1d(cp01, jc06))
        rest = rest[p.birth[rest] + _yrs(21) + 400 <= self.reg_on(rest)]  # room for a post that ended before
        before = _pick(rng, rest, self.quota)
        rb = self.reg_on(before)
        start = _between(rng, np.maximum(p.birth[before] + _yrs(21), rb - _yrs(20)), rb - 60)
        end = np.minimum(_between(rng, start + 30, rb, len(before)), rb)
        if len(end):
            end[0] = rb[0]  # left on the very day of registration: not in post any more
        add(before, start, end)
        rest = _minus(pool6, np.union1d(jc06, before))
        gone = _pick(rng, rest, self.quota)
        rg = self.reg_on(gone)
        start = _between(rng, rg + 1, A - 30, len(gone))
        end = _between(rng, start + 1, A, len(gone))
        if len(end):
            end[0] = A  # left on as_of: no longer in post
        add(gone, start, end)
        return rows
