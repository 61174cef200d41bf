"""Generated 农村住房安全 rows (housing): everyday data for the register's people and the residents around
them, the anomalies planted for the department rules that read this file, and noise next to them.

A part of ``_Generator`` (``generator.py``): the methods use its population, streams and plants."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from jingzhun.comparison import datasets as dsm
from jingzhun.testing.departments.common import OUT, REG, _between, _days, _minus, _Part, _pick, _Rows, _take


class Housing(_Part):
    # -- housing (CT02, SB03) -------------------------------------------------------------------------------

    def housing(self) -> _Rows:
        rng = self.rng("housing")
        p = self.pop
        A = self.A
        rows = _Rows("housing")
        early_lo, early_hi = _days(dt.date(2016, 1, 1)), _days(dt.date(2021, 12, 31))
        late_lo = early_hi + 1

        def add(
            people: np.ndarray,
            grade: np.ndarray,
            on: np.ndarray,
            renovated: np.ndarray | bool,
            ids: pa.Array | None = None,
        ) -> None:
            n = len(people)
            if not n:
                return
            cols = self.person_cols(people)
            if ids is not None:
                cols["id_number"] = ids
            rows.add(
                n,
                **cols,
                region_code=p.village.take(pa.array(people)),
                grade=_take(dsm.HOUSING_GRADES, np.asarray(grade, dtype=np.int64)),
                assessed_on=np.asarray(on, dtype=np.int32),
                renovated=np.broadcast_to(np.asarray(renovated, dtype=bool), (n,)).copy(),
                id_valid=ids is None,
            )

        heads = self.hh.head
        reg_h = np.flatnonzero(self.hh.registered & (heads >= 0))
        exited = self.hh.exited[reg_h]
        dangerous = self.hh.grade[reg_h] >= 3  # C or D in the register

        def choose(pool_mask: np.ndarray) -> np.ndarray:
            pool = reg_h[pool_mask]
            n = self.plants(len(pool))
            first = _pick(rng, pool[dangerous[pool_mask]], n)
            return np.union1d(first, _pick(rng, _minus(pool, first), n - len(first))).astype(np.int64)

        ct02 = choose(exited)
        sb03 = choose(~exited)
        self.plant("CT02", heads[ct02], head=True)
        self.plant("SB03", heads[sb03], head=True)
        planted = np.union1d(ct02, sb03)
        # planted: latest C/D, not renovated; half of them were A/B before (the house got worse)
        for group in (ct02, sb03):
            hp = heads[group]
            n = len(hp)
            g = np.where(self.hh.grade[group] >= 3, self.hh.grade[group] - 1, rng.integers(2, 4, n))
            before = np.arange(n) % 2 == 1
            add(
                hp[before],
                rng.integers(0, 2, int(before.sum())),
                _between(rng, early_lo, early_hi, int(before.sum())),
                False,
            )
            add(hp, g, _between(rng, late_lo, A, n), False)
        # the other registered heads: A/B; the register's C/D houses renovated, or re-assessed A/B later
        rest = _minus(reg_h, planted)
        hp = heads[rest]
        reg_grade = self.hh.grade[rest]
        n = len(rest)
        safe = reg_grade <= 2
        g = np.where(reg_grade == 0, rng.choice([0, 1], size=n, p=[0.7, 0.3]), reg_grade - 1)
        safe_on = _between(rng, early_lo, A, n)
        # noise: A/B heads once assessed C/D (before the current assessment, which is after 2021)
        once = _pick(rng, np.flatnonzero(safe), self.quota)
        safe_on[once] = _between(rng, late_lo, A, len(once))
        add(hp[once], rng.integers(2, 4, len(once)), _between(rng, early_lo, early_hi, len(once)), False)
        add(hp[safe], g[safe], safe_on[safe], False)
        bad = ~safe
        renov = bad & (rng.random(n) < 0.5)
        add(hp[renov], g[renov], _between(rng, early_lo, A, int(renov.sum())), True)
        again = bad & ~renov
        add(hp[again], g[again], _between(rng, early_lo, early_hi, int(again.sum())), False)
        add(
            hp[again], rng.integers(0, 2, int(again.sum())), _between(rng, late_lo, A, int(again.sum())), True
        )
        # noise: a spouse's own C/D assessment (the rules look at heads only)
        spouses = _pick(rng, np.flatnonzero((p.kind == REG) & (p.relation == 2)), self.quota)
        add(spouses, rng.integers(2, 4, len(spouses)), _between(rng, late_lo, A, len(spouses)), False)
        # 一般农户 heads: whatever the register says (no rule looks at them)
        ord_h = np.flatnonzero(~self.hh.registered & (heads >= 0))
        og = self.hh.grade[ord_h]
        og = np.where(og == 0, rng.choice([0, 1], size=len(ord_h)), og - 1)
        add(
            heads[ord_h],
            og,
            _between(rng, early_lo, A, len(ord_h)),
            (og >= 2) & (rng.random(len(ord_h)) < 0.4),
        )
        # residents who head a household
        out = np.flatnonzero((p.kind >= OUT) & (p.age >= 28))
        who = self.with_prob(rng, out, 0.32)
        g = rng.choice(4, size=len(who), p=[0.64, 0.28, 0.05, 0.03])
        add(who, g, _between(rng, early_lo, A, len(who)), (g >= 2) & (rng.random(len(who)) < 0.5))
        bad_ids = _pick(rng, who, max(1, self.quota // 3))
        add(
            bad_ids,
            np.full(len(bad_ids), 3),
            _between(rng, late_lo, A, len(bad_ids)),
            False,
            ids=self.typo_ids(rng, bad_ids),
        )
        return rows
