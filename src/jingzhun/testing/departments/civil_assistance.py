"""Generated 民政救助 rows (civil_assistance): everyday data for the register's people and the residents around
them, the anomalies planted for the department rules that read this file, and noise next to them.

A part of ``_Generator`` (``generator.py``): the methods use its population, streams and plants."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jingzhun.comparison import datasets as dsm
from jingzhun.testing.departments.common import (
    FAM,
    NA,
    ORD,
    OUT,
    REG,
    _between,
    _minus,
    _money_cents,
    _Part,
    _pick,
    _Rows,
    _take,
    _yrs,
)


class CivilAssistance(_Part):
    # -- civil assistance (LP01) --------------------------------------------------------------------------

    def civil_assistance(self) -> _Rows:
        rng = self.rng("civil_assistance")
        p = self.pop
        A = self.A
        rows = _Rows("civil_assistance")
        kinds = {k: i for i, k in enumerate(dsm.CIVIL_KINDS)}

        def add(
            people: np.ndarray,
            kind: int | np.ndarray,
            start: np.ndarray,
            end: np.ndarray | int,
            amount: np.ndarray,
            heads: pa.Array | None = None,
            ids: pa.Array | None = None,
        ) -> None:
            n = len(people)
            if not n:
                return
            cols = self.person_cols(people)
            if ids is not None:
                cols["id_number"] = ids
            kind_arr = np.broadcast_to(np.asarray(kind, dtype=np.int64), (n,))
            rows.add(
                n,
                **cols,
                region_code=p.village.take(pa.array(people)),
                head_id_number=heads if heads is not None else self._head_ids(people),
                kind=_take(dsm.CIVIL_KINDS, kind_arr),
                start_on=np.asarray(start, dtype=np.int32),
                end_on=np.broadcast_to(np.asarray(end, dtype=np.int32), (n,)).copy(),
                monthly_amount=amount,
                id_valid=ids is None,
            )

        reg = p.kind == REG
        # registered 低保 / 特困 members: in force (LP01 does not look at them: they are registered)
        for flag, label, median in ((p.dibao, "低保", 520), (p.tekun, "特困供养", 780)):
            who = np.flatnonzero(reg & flag)
            reg_on = self.reg_on(who)
            lo = np.maximum(np.where(reg_on == NA, A - _yrs(8), reg_on - 200), p.birth[who])
            add(
                who,
                kinds[label],
                _between(rng, lo, A - 30),
                NA,
                _money_cents(rng, median, 0.25, len(who), 200, 1500),
            )
        disabled = np.flatnonzero(reg & (p.dis_grade >= 1) & (p.dis_grade <= 2))
        add(
            disabled,
            kinds["残疾人两项补贴"],
            _between(rng, np.maximum(p.birth[disabled], A - _yrs(8)), A - 30),
            NA,
            _money_cents(rng, 80, 0.3, len(disabled), 40, 200),
        )
        old = np.flatnonzero(((p.kind == REG) | (p.kind == ORD) | (p.kind == OUT)) & (p.age >= 80))
        old = self.with_prob(rng, old, 0.85)
        add(
            old,
            kinds["高龄津贴"],
            _between(rng, p.birth[old] + _yrs(80), A - 30),
            NA,
            _money_cents(rng, 100, 0.4, len(old), 50, 300),
        )
        # LP01 plants: whole families of residents in force, and 一般农户 members on 低保
        fam = np.flatnonzero(p.kind == FAM)
        lp01 = np.concatenate([self.lp01_ord, fam]).astype(np.int64)
        self.plant("LP01", lp01)
        if len(lp01):
            single_old = (p.family_head[lp01] == lp01) & (p.age[lp01] >= 60) & (rng.random(len(lp01)) < 0.3)
            kind = np.where(p.tekun[lp01] | single_old, kinds["特困供养"], kinds["低保"])
            end = np.where(rng.random(len(lp01)) < 0.2, _between(rng, A + 1, A + 365, len(lp01)), NA)
            end[0] = A + 1  # the boundary: ends the day after as_of, so still in force
            heads = pc.if_else(
                pa.array(p.family_head[lp01] >= 0),
                p.id.take(pa.array(np.maximum(p.family_head[lp01], 0))),
                self._head_ids(lp01),
            )
            add(
                lp01,
                kind,
                _between(rng, np.maximum(p.birth[lp01], A - _yrs(4)), A - 30),
                end,
                _money_cents(rng, 560, 0.25, len(lp01), 200, 1500),
                heads=heads,
            )
        # noise: 一般农户 members whose 低保 ended (one on as_of itself: no longer in force)
        ended = _minus(np.flatnonzero((p.kind == ORD) & (p.dibao | p.tekun)), self.lp01_ord)
        if len(ended):
            start = _between(rng, A - _yrs(8), A - 400, len(ended))
            end = _between(rng, start + 180, A, len(ended))
            end[0] = A
            add(ended, kinds["低保"], start, end, _money_cents(rng, 480, 0.25, len(ended), 200, 1500))
        # residents outside the register: ended 低保, 临时救助, children without care, two disability subsidies
        out = np.flatnonzero(p.kind == OUT)
        was = self.with_prob(rng, out[p.age[out] >= 18], 0.035)
        start = _between(rng, A - _yrs(10), A - 200, len(was))
        add(
            was,
            kinds["低保"],
            start,
            _between(rng, start + 120, A, len(was)),
            _money_cents(rng, 450, 0.25, len(was), 200, 1500),
        )
        temp = self.with_prob(rng, out, 0.012)
        start = _between(rng, A - _yrs(3), A - 10, len(temp))
        add(
            temp,
            kinds["临时救助"],
            start,
            np.minimum(start + rng.integers(0, 90, len(temp)), A),
            _money_cents(rng, 1500, 0.5, len(temp), 300, 10000),
        )
        kids = self.with_prob(rng, out[p.age[out] < 18], 0.004)
        add(
            kids,
            np.where(rng.random(len(kids)) < 0.4, kinds["孤儿"], kinds["事实无人抚养儿童"]),
            _between(rng, np.maximum(p.birth[kids], A - _yrs(6)), A - 30),
            NA,
            _money_cents(rng, 1200, 0.2, len(kids), 600, 2000),
        )
        two = self.with_prob(rng, out, 0.008)
        add(
            two,
            kinds["残疾人两项补贴"],
            _between(rng, np.maximum(p.birth[two], A - _yrs(8)), A - 30),
            NA,
            _money_cents(rng, 80, 0.3, len(two), 40, 200),
        )
        # noise: in-force 低保 under a mistyped ID (id_valid false: LP01 needs a valid ID)
        bad = _pick(rng, out[p.age[out] >= 18], max(1, self.quota // 2))
        add(
            bad,
            kinds["低保"],
            _between(rng, A - _yrs(3), A - 30, len(bad)),
            NA,
            _money_cents(rng, 500, 0.25, len(bad), 200, 1500),
            ids=self.typo_ids(rng, bad),
        )
        return rows

    def _head_ids(self, people: np.ndarray) -> pa.Array:
        """The register head's ID for register members; the family head's for families; else the person's."""
        p = self.pop
        head = np.asarray(people, dtype=np.int64).copy()
        inside = p.hh[people] >= 0
        h = self.hh.head[p.hh[people[inside]]]
        head[inside] = np.where(h >= 0, h, people[inside])
        fam = p.family_head[people] >= 0
        head[fam] = p.family_head[people[fam]]
        return p.id.take(pa.array(head))
