"""Generated 医疗费用 rows (medical_expense): everyday data for the register's people and the residents around
them, the anomalies planted for the department rules that read this file, and noise next to them.

A part of ``_Generator`` (``generator.py``): the methods use its population, streams and plants."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jingzhun.comparison import datasets as dsm
from jingzhun.testing.departments.common import (
    LEFT,
    ORD,
    REG,
    _between,
    _join,
    _minus,
    _money_cents,
    _Part,
    _pick,
    _Rows,
    _take,
)


class MedicalExpense(_Part):
    # -- medical expenses (JC01, JC05) -----------------------------------------------------------------------

    def medical_expense(self) -> _Rows:
        rng = self.rng("medical_expense")
        p = self.pop
        A, M12 = self.A, self.M12
        rows = _Rows("medical_expense")
        alive = np.flatnonzero(self.alive & (p.kind != LEFT))
        age = p.age[alive].astype(float)
        lam = np.clip(0.45 + age / 60.0, 0.4, 2.2) * np.where(p.ill[alive], 2.2, 1.0)
        counts = rng.poisson(lam * 0.62)
        person = np.repeat(alive, counts)
        nb = len(person)
        settled = _between(rng, A - 730, A, nb)
        visit = rng.choice(3, size=nb, p=[0.13, 0.22, 0.65])  # 住院, 门诊慢特病, 普通门诊
        total = np.where(
            visit == 0,
            _money_cents(rng, 6000, 0.8, nb, 800, 150000),
            np.where(
                visit == 1,
                _money_cents(rng, 900, 0.7, nb, 80, 8000),
                _money_cents(rng, 120, 0.7, nb, 10, 1500),
            ),
        )
        in_reg = np.zeros(nb, dtype=bool)
        inside = p.hh[person] >= 0
        in_reg[inside] = self.hh.registered[p.hh[person[inside]]]
        share = np.where(
            visit == 0,
            np.where(in_reg, rng.uniform(0.8, 0.92, nb), rng.uniform(0.5, 0.75, nb)),
            np.where(visit == 1, rng.uniform(0.55, 0.8, nb), rng.uniform(0.0, 0.5, nb)),
        )
        fund = np.floor(total * share).astype(np.int64)
        self_paid = total - fund

        # JC01's subjects: register members outside monitored households; keep their 12-month sum below the line
        subject = np.zeros(p.n, dtype=bool)
        members = (p.kind == REG) | (p.kind == ORD)
        monitored = np.zeros(p.n, dtype=bool)
        monitored[members] = self.hh.monitored[p.hh[members]]
        limit = np.zeros(p.n, dtype=np.int64)
        limit[members] = self.hh.trigger[p.hh[members]]
        subject[members & ~monitored & (limit >= 0)] = True
        window = (settled > M12) & (settled <= A)
        sums = np.bincount(person[window], weights=self_paid[window], minlength=p.n)
        allowed = np.floor(limit * 0.85)
        over = subject & (sums > allowed)
        factor = np.ones(p.n)
        factor[over] = allowed[over] / sums[over]
        shrink = window & over[person]
        self_paid[shrink] = np.floor(self_paid[shrink] * factor[person[shrink]]).astype(np.int64)
        fund = total - self_paid
        sums = np.bincount(person[window], weights=self_paid[window], minlength=p.n)

        # JC05: monitored households at risk of illness; planted ones have no self-pay within 12 months
        pool5 = np.flatnonzero(
            self.hh.registered & self.hh.monitored & self.hh.risk_illness & (self.hh.head >= 0)
        )
        jc05 = _pick(rng, pool5, self.plants(len(pool5)))
        self.plant("JC05", self.hh.head[jc05], household=True)
        hh_variant = np.full(self.hh.n + 1, -1, dtype=np.int64)  # index -1 (outside the register) stays -1
        hh_variant[jc05] = np.arange(len(jc05)) % 3
        jc05_variant = np.where(members, hh_variant[p.hh], -1)
        jc05_member = jc05_variant >= 0
        in_window_j5 = window & jc05_member[person]
        v = jc05_variant[person]
        drop = in_window_j5 & (v != 1)  # variants 0 and 2: no bills within the window at all
        zero = in_window_j5 & (v == 1)  # variant 1: bills fully paid by the funds
        self_paid[zero] = 0
        fund[zero] = total[zero]
        keep = ~drop
        extra_parts: list[dict[str, Any]] = []
        # variant 1 needs at least one bill in the window; variant 2 gets a large bill just before it
        heads1 = self.hh.head[jc05[np.arange(len(jc05)) % 3 == 1]]
        if len(heads1):
            t = _money_cents(rng, 400, 0.5, len(heads1), 50, 3000)
            extra_parts.append(
                dict(
                    person=heads1,
                    settled=_between(rng, M12 + 1, A, len(heads1)),
                    visit=1,
                    total=t,
                    self_paid=np.zeros(len(heads1), dtype=np.int64),
                )
            )
        heads2 = self.hh.head[jc05[np.arange(len(jc05)) % 3 == 2]]
        if len(heads2):
            t = _money_cents(rng, 30000, 0.4, len(heads2), 8000, 90000)
            extra_parts.append(
                dict(
                    person=heads2,
                    settled=np.full(len(heads2), M12, dtype=np.int32),
                    visit=0,
                    total=t,
                    self_paid=t // 3,
                )
            )
        # the others of the pool: make sure someone of the household paid something within the window
        rest = _minus(pool5, jc05)
        if len(rest):
            paying = person[window & (self_paid > 0) & keep]
            paid = np.bincount(p.hh[paying[p.hh[paying] >= 0]], minlength=self.hh.n)
            need = rest[paid[rest] == 0]
            heads = self.hh.head[need]
            if len(heads):
                t = _money_cents(rng, 3000, 0.6, len(heads), 500, 20000)
                extra_parts.append(
                    dict(
                        person=heads,
                        settled=_between(rng, M12 + 1, A, len(heads)),
                        visit=0,
                        total=t,
                        self_paid=np.maximum(t // 5, 100),
                    )
                )

        # JC01 plants: 12-month self-pay at or above the line (the first exactly on it)
        pool1 = np.flatnonzero(subject)
        jc01 = _pick(rng, pool1, self.quota)
        self.plant("JC01", jc01)
        need = limit[jc01] - sums[jc01].astype(np.int64)
        extra = np.where(np.arange(len(jc01)) == 0, 0, _money_cents(rng, 6000, 0.9, len(jc01), 1, 200000))
        amount = need + extra
        bills = rng.integers(1, 4, len(jc01))
        planted_person = np.repeat(jc01, bills)
        share_k = rng.random(len(planted_person)) + 0.2
        start = np.concatenate([[0], np.cumsum(bills)[:-1]])
        norm = np.add.reduceat(share_k, start) if len(share_k) else share_k
        parts_amount = np.floor(share_k / np.repeat(norm, bills) * np.repeat(amount, bills)).astype(np.int64)
        # put the rounding remainder on each person's first bill so the sum is exact
        if len(parts_amount):
            remainder = amount - np.add.reduceat(parts_amount, start)
            parts_amount[start] += remainder
        t = parts_amount + np.floor(parts_amount * rng.uniform(1.5, 6.0, len(parts_amount))).astype(np.int64)
        extra_parts.append(
            dict(
                person=planted_person,
                settled=_between(rng, M12 + 1, A, len(planted_person)),
                visit=0,
                total=t,
                self_paid=parts_amount,
            )
        )
        # noise: large bills of JC01's subjects on or before the window's start (as_of minus 12 months)
        noise = _pick(rng, _minus(pool1, jc01), self.quota)
        if len(noise):
            t = _money_cents(rng, 60000, 0.5, len(noise), 20000, 300000)
            settled_n = np.where(np.arange(len(noise)) == 0, M12, _between(rng, A - 720, M12, len(noise)))
            extra_parts.append(
                dict(person=noise, settled=settled_n.astype(np.int32), visit=0, total=t, self_paid=t // 2)
            )
        # noise: monitored households' members with large bills (JC01 leaves them out)
        mon = _pick(rng, np.flatnonzero(members & monitored & ~jc05_member), self.quota)
        if len(mon):
            t = _money_cents(rng, 80000, 0.4, len(mon), 30000, 300000)
            extra_parts.append(
                dict(
                    person=mon,
                    settled=_between(rng, M12 + 1, A, len(mon)),
                    visit=0,
                    total=t,
                    self_paid=t // 2,
                )
            )

        person = person[keep]
        settled, visit, total, self_paid = settled[keep], visit[keep], total[keep], self_paid[keep]
        for part in extra_parts:
            k = len(part["person"])
            person = np.concatenate([person, part["person"]])
            settled = np.concatenate([settled, part["settled"]]).astype(np.int32)
            visit = np.concatenate([visit, np.full(k, part["visit"])])
            total = np.concatenate([total, part["total"]])
            self_paid = np.concatenate([self_paid, part["self_paid"]])
        fund = total - self_paid
        hospital = self._hospitals(rng, person, visit)
        visit_names = _take(dsm.VISIT_TYPES, visit)
        rows.add(
            len(person),
            **self.person_cols(person),
            settled_on=settled,
            visit_type=visit_names,
            hospital=hospital,
            total_cost=total,
            fund_paid=fund,
            self_paid=self_paid,
        )
        return rows

    def _hospitals(self, rng: np.random.Generator, person: np.ndarray, visit: np.ndarray) -> pa.Array:
        county = self.county_name(person)
        town = self.town(person)
        kind = np.where(
            visit == 2,
            rng.choice(3, size=len(person), p=[0.6, 0.3, 0.1]),
            rng.choice(3, size=len(person), p=[0.15, 0.6, 0.25]),
        )
        suffix_town = pa.array(["卫生院", "", ""], pa.string()).take(pa.array(kind))
        suffix_county = pa.array(["", "人民医院", "中医医院"], pa.string()).take(pa.array(kind))
        town_part = pc.if_else(pa.array(kind == 0), town, county)
        return _join(town_part, suffix_town, suffix_county)
