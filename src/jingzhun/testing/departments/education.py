"""Generated 学籍 rows (education): everyday data for the register's people and the residents around
them, the anomalies planted for the department rules that read this file, and noise next to them.

A part of ``_Generator`` (``generator.py``): the methods use its population, streams and plants."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jingzhun.comparison import datasets as dsm
from jingzhun.testing.departments.common import (
    DROPPED_OUT,
    LEFT,
    NA,
    REG,
    _between,
    _join,
    _minus,
    _money_cents,
    _Part,
    _pick,
    _Rows,
    _short,
    _take,
    _yrs,
)


class Education(_Part):
    # -- education (CT01, SB01) --------------------------------------------------------------------------

    def education(self) -> _Rows:
        rng = self.rng("education")
        p = self.pop
        S, A = self.S, self.A
        rows = _Rows("education")
        alive = np.flatnonzero(self.alive & (p.kind != LEFT))
        age = p.age[alive]
        reg = p.kind[alive] == REG
        compulsory = (age >= 6) & (age <= 15)
        exited = np.zeros(len(alive), dtype=bool)
        exited[reg] = self.hh.exited[p.hh[alive[reg]]]
        # planted: CT01 (exited household, latest 辍学) and SB01 (no 在读 latest, not CT01)
        ct01 = _pick(rng, alive[reg & compulsory & exited], self.quota)
        self.plant("CT01", ct01)
        self.plant("SB01", ct01)
        sb01_pool = _minus(alive[reg & compulsory], ct01)
        # children the register already lists as 失学或辍学 come first
        dropped = sb01_pool[p.schooling[sb01_pool] == DROPPED_OUT]
        sb01 = _pick(rng, dropped, self.quota)
        sb01 = np.union1d(sb01, _pick(rng, _minus(sb01_pool, sb01), self.quota - len(sb01))).astype(np.int64)
        self.plant("SB01", sb01)
        special = np.union1d(ct01, sb01)

        # everyday records: the current one and, for some, the previous stage's 毕业
        base = _minus(alive, special)
        a = p.age[base]
        is_reg = p.kind[base] == REG
        go = np.zeros(len(base), dtype=bool)
        go |= (a >= 3) & (a <= 5) & (rng.random(len(base)) < 0.85)
        go |= (a >= 6) & (a <= 15) & (is_reg | (rng.random(len(base)) < 0.995))
        go |= (a >= 16) & (a <= 18) & (rng.random(len(base)) < 0.8)
        go |= (a >= 19) & (a <= 22) & (rng.random(len(base)) < 0.35)
        cur = base[go]
        ca = p.age[cur]
        stage, grade = self._stage(rng, ca)
        state = np.zeros(len(cur), dtype=np.int64)  # 在读
        others = p.kind[cur] != REG
        # residents outside the register: some have left school (no rule looks at them)
        odd = others & (ca >= 6) & (rng.random(len(cur)) < 0.01)
        state[odd] = rng.choice([1, 2, 4], size=int(odd.sum()))
        state_on = np.where(state == 0, S, _between(rng, S + 1, A, len(cur)))
        self._add_school_rows(rng, rows, cur, stage, grade, state, state_on)
        # the previous stage, finished with 毕业 (primary for 12–15, junior for 16+)
        done = base[(a >= 12) & (a <= 22) & (rng.random(len(base)) < 0.5)]
        da = p.age[done]
        st = np.where(da <= 15, 1, np.where(da <= 18, 2, 3))
        years_ago = np.where(da <= 15, da - 11, np.where(da <= 18, da - 14, da - 17)).clip(1, 6)
        on = (S - 62 - _yrs(1) * (years_ago - 1)).astype(np.int32)  # 1 July of the year that stage ended
        self._add_school_rows(rng, rows, done, st, np.where(st == 1, 6, 3), np.full(len(done), 3), on)
        # 16–18 who did not go on: latest record 毕业 from junior school
        left = base[(a >= 16) & (a <= 18) & ~go]
        self._add_school_rows(
            rng,
            rows,
            left,
            np.full(len(left), 2),
            np.full(len(left), 3),
            np.full(len(left), 3),
            np.full(len(left), S - 62, dtype=np.int32),
        )

        # CT01: an earlier 在读 (most), then 辍学 this school year — latest
        had = ct01[p.age[ct01] >= 7]
        st, gr = self._stage(rng, p.age[had] - 1)
        self._add_school_rows(rng, rows, had, st, gr, np.zeros(len(had)), np.full(len(had), S - _yrs(1)))
        st, gr = self._stage(rng, p.age[ct01])
        drop_on = _between(rng, S - _yrs(1) + 30, A, len(ct01))
        self._add_school_rows(rng, rows, ct01, st, gr, np.full(len(ct01), 2), drop_on)
        # SB01: variant 0 no record at all; 1 latest 休学 or 转出 after 在读; 2 latest 辍学 (household not exited)
        variant = np.arange(len(sb01)) % 3
        sb_exited = self.hh.exited[p.hh[sb01]] if len(sb01) else np.zeros(0, dtype=bool)
        variant[(variant == 2) & sb_exited] = 1
        v1 = sb01[variant == 1]
        st, gr = self._stage(rng, p.age[v1])
        self._add_school_rows(rng, rows, v1, st, gr, np.zeros(len(v1)), np.full(len(v1), S - _yrs(1)))
        self._add_school_rows(
            rng,
            rows,
            v1,
            st,
            gr,
            rng.choice([1, 4], size=len(v1)),
            _between(rng, S - _yrs(1) + 30, A, len(v1)),
        )
        v2 = sb01[variant == 2]
        st, gr = self._stage(rng, p.age[v2])
        self._add_school_rows(
            rng, rows, v2, st, gr, np.full(len(v2), 2), _between(rng, S - _yrs(1) + 30, A, len(v2))
        )

        # noise: exited children who dropped out and came back (辍学 before the current 在读)
        back = _pick(rng, base[is_reg & (a >= 7) & (a <= 15) & self._exited(base)], self.quota)
        st, gr = self._stage(rng, p.age[back] - 1)
        self._add_school_rows(
            rng, rows, back, st, gr, np.full(len(back), 2), _between(rng, S - _yrs(1) + 30, S - 1, len(back))
        )
        # noise: registered 16–17-year-olds whose latest record is 辍学 (older than compulsory schooling)
        older = _pick(rng, base[is_reg & (a >= 16) & (a <= 17)], self.quota)
        st, gr = self._stage(rng, p.age[older])
        self._add_school_rows(
            rng, rows, older, st, gr, np.full(len(older), 2), _between(rng, S + 1, A, len(older))
        )
        # residents' IDs a clerk mistyped (no rule joins them)
        bad = self.with_prob(rng, cur[others], 0.002)
        if len(bad):
            st, gr = self._stage(rng, p.age[bad])
            self._add_school_rows(
                rng,
                rows,
                bad,
                st,
                gr,
                np.zeros(len(bad)),
                np.full(len(bad), S - _yrs(1)),
                ids=self.typo_ids(rng, bad),
            )
        return rows

    def _exited(self, people: np.ndarray) -> np.ndarray:
        out = np.zeros(len(people), dtype=bool)
        inside = self.pop.hh[people] >= 0
        out[inside] = (
            self.hh.exited[self.pop.hh[people[inside]]] & self.hh.registered[self.pop.hh[people[inside]]]
        )
        return out

    def _stage(self, rng: np.random.Generator, age: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stage index (into STAGES) and grade for children of ``age`` in the current school year."""
        age = np.asarray(age, dtype=np.int64)
        n = len(age)
        u = rng.random(n)
        stage = np.select(
            [age <= 5, age <= 11, age <= 14, age == 15, age <= 18, age >= 19],
            [
                np.zeros(n),
                np.ones(n),
                np.full(n, 2),
                np.where(u < 0.5, 2, np.where(u < 0.85, 3, 4)),
                np.where(u < 0.7, 3, 4),
                np.where(u < 0.6, 5, 6),
            ],
            default=1,
        ).astype(np.int64)
        stage[(age == 6) & (u < 0.15)] = 0
        grade = np.select(
            [stage == 0, stage == 1, stage == 2, (stage == 3) | (stage == 4), stage >= 5],
            [
                np.full(n, NA),
                np.clip(age - 5, 1, 6),
                np.where(age == 15, 3, np.clip(age - 11, 1, 3)),
                np.clip(age - 15, 1, 3),
                np.clip(age - 18, 1, 4),
            ],
            default=NA,
        )
        return stage, grade

    def _add_school_rows(
        self,
        rng: np.random.Generator,
        rows: _Rows,
        people: np.ndarray,
        stage: np.ndarray,
        grade: np.ndarray,
        state: np.ndarray,
        state_on: np.ndarray,
        ids: pa.Array | None = None,
    ) -> None:
        n = len(people)
        if not n:
            return
        stage = np.asarray(stage, dtype=np.int64)
        town = self.town(people)
        county = self.county_name(people)
        city = self.county_name(people, "city")
        prov = (
            pa.array([_short(x) for x in self.county_name(people, "province").to_pylist()], pa.string())
            if n < 50_000
            else self._province_short(people)
        )
        num = _take(("第一", "第二", "第三"), rng.choice(3, size=n, p=[0.55, 0.3, 0.15]))
        school = pc.case_when(
            pc.make_struct(*[pa.array(stage == k) for k in range(6)]),
            _join(town, "中心幼儿园"),
            _join(town, "中心小学"),
            _join(town, "初级中学"),
            _join(county, num, "中学"),
            _join(county, "职业中等专业学校"),
            _join(city, "职业技术学院"),
            _join(prov, "师范大学"),
        )
        fees = np.select(
            [stage == 0, stage == 3, stage >= 5],
            [
                _money_cents(rng, 800, 0.5, n, 0, 3000),
                _money_cents(rng, 1200, 0.5, n, 0, 4000),
                _money_cents(rng, 3500, 0.5, n, 500, 9000),
            ],
            default=0,
        )
        fees[(rng.random(n) < 0.3)] = 0
        cols = self.person_cols(people)
        if ids is not None:
            cols["id_number"] = ids
        rows.add(
            n,
            **cols,
            school=school,
            stage=_take(dsm.STAGES, stage),
            grade=np.asarray(grade),
            state=_take(dsm.STUDY_STATES, np.asarray(state, dtype=np.int64)),
            state_on=np.asarray(state_on, dtype=np.int32),
            self_paid_fees=fees,
            id_valid=ids is None,
        )

    def _province_short(self, people: np.ndarray) -> pa.Array:
        return _take([_short(c.province) for c in self.counties] or ["本省"], self.pop.county[people])
