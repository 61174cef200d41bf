"""Generated 机动车 rows (vehicles): everyday data for the register's people and the residents around
them, the anomalies planted for the department rules that read this file, and noise next to them.

A part of ``_Generator`` (``generator.py``): the methods use its population, streams and plants."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from jingzhun.comparison import datasets as dsm
from jingzhun.testing.departments.common import (
    LEFT,
    NA,
    ORD,
    OUT,
    PLATE_CHARS,
    PLATE_LETTERS,
    PROVINCE_SHORT,
    REG,
    VEHICLE_CARS,
    _between,
    _digits,
    _join,
    _money_cents,
    _Part,
    _pick,
    _Rows,
    _take,
    _yrs,
)


class Vehicles(_Part):
    # -- vehicles (CP02) ---------------------------------------------------------------------------------

    def vehicles(self) -> _Rows:
        rng = self.rng("vehicles")
        p = self.pop
        A = self.A
        rows = _Rows("vehicles")
        vmin = self.vehicle_min
        types = {t: i for i, t in enumerate(dsm.VEHICLE_TYPES)}
        cars = np.array([types[t] for t in VEHICLE_CARS])

        def add(people: np.ndarray, vtype: np.ndarray, on: np.ndarray, price: np.ndarray) -> None:
            n = len(people)
            if n:
                rows.add(
                    n,
                    **self.person_cols(people),
                    plate=self._plates(rng, people),
                    vehicle_type=_take(dsm.VEHICLE_TYPES, np.asarray(vtype, dtype=np.int64)),
                    registered_on=np.asarray(on, dtype=np.int32),
                    price=np.asarray(price, dtype=np.int64),
                )

        def prices(vtype: np.ndarray) -> np.ndarray:
            n = len(vtype)
            car = _money_cents(rng, 90000, 0.5, n, 35000, 600000)
            small = np.where(
                vtype == types["三轮汽车"],
                _money_cents(rng, 16000, 0.5, n, 5000, 45000),
                _money_cents(rng, 6000, 0.5, n, 1500, 25000),
            )
            truck = _money_cents(rng, 150000, 0.6, n, 40000, 900000)
            return np.where(
                np.isin(vtype, [types["三轮汽车"], types["摩托车"]]),
                small,
                np.where(np.isin(vtype, [types["重型货车"], types["工程机械"]]), truck, car),
            )

        living = self.alive & (p.kind != LEFT) & (p.age >= 18) & (p.age <= 78)
        out = np.flatnonzero(living & (p.kind >= OUT))
        who = self.with_prob(rng, out, 0.21)
        n = len(who)
        vt = rng.choice(len(dsm.VEHICLE_TYPES), size=n, p=[0.3, 0.1, 0.12, 0.08, 0.03, 0.1, 0.25, 0.02])
        on = _between(rng, np.maximum(p.birth[who] + _yrs(18), A - _yrs(15)), A)
        add(who, vt, on, prices(vt))
        # 一般农户 members: like other residents (no rule looks at them)
        om = np.flatnonzero(living & (p.kind == ORD))
        ow = self.with_prob(rng, om, 0.15)
        vt = rng.choice(
            len(dsm.VEHICLE_TYPES), size=len(ow), p=[0.25, 0.08, 0.1, 0.1, 0.02, 0.15, 0.28, 0.02]
        )
        add(ow, vt, _between(rng, np.maximum(p.birth[ow] + _yrs(18), A - _yrs(15)), A), prices(vt))
        # registered members: motorcycles and 三轮汽车 (any price, any date), cheap cars, cars bought later
        rm = np.flatnonzero(living & (p.kind == REG))
        reg_on = self.reg_on(rm)
        known = reg_on != NA
        small = self.with_prob(rng, rm, 0.08)
        vt = np.where(rng.random(len(small)) < 0.6, types["摩托车"], types["三轮汽车"])
        pr = prices(vt)
        pr[: max(1, len(pr) // 10)] = np.maximum(
            pr[: max(1, len(pr) // 10)], vmin + 5000
        )  # a 三轮汽车 above the line
        vt[: max(1, len(vt) // 10)] = types["三轮汽车"]
        add(small, vt, _between(rng, np.maximum(p.birth[small] + _yrs(18), A - _yrs(15)), A), pr)
        cheap = self.with_prob(rng, rm, 0.02)
        cp = _money_cents(rng, 18000, 0.4, len(cheap), 3000, vmin / 100)
        if len(cp):
            cp[0] = vmin  # exactly the line: not above it
        add(
            cheap,
            rng.choice(cars[:4], size=len(cheap)),
            _between(rng, np.maximum(p.birth[cheap] + _yrs(18), A - _yrs(15)), A),
            cp,
        )
        later_pool = rm[known & (reg_on < A - 30)]
        later = self.with_prob(rng, later_pool, 0.04)
        lr = self.reg_on(later)
        vt = rng.choice(cars[:4], size=len(later))
        on = _between(rng, np.maximum(lr + 1, p.birth[later] + _yrs(18)), A)
        if len(on):  # the boundary: registered the day after the household
            on[0] = max(int(lr[0]) + 1, int(p.birth[later[0]]) + _yrs(18))
        add(later, vt, on, prices(vt))
        # CP02 plants: an expensive car registered on or before the household's registration
        pool = rm[known & (p.birth[rm] + _yrs(18) <= reg_on)]
        cp02 = _pick(rng, pool, self.quota)
        cr = self.reg_on(cp02)
        on = _between(rng, np.maximum(p.birth[cp02] + _yrs(18), cr - _yrs(12)), cr)
        vt = rng.choice(cars, size=len(cp02))
        pr = np.maximum(prices(vt), vmin + 1)
        if len(cp02):
            on[0], pr[0] = (
                cr[0],
                vmin + 1,
            )  # the boundaries: registered that very day, one cent above the line
        add(cp02, vt, on, pr)
        self.plant("CP02", cp02)
        return rows

    def _plates(self, rng: np.random.Generator, people: np.ndarray) -> pa.Array:
        n = len(people)
        codes = [c.code for c in self.counties] or ["000000"]
        prov = [PROVINCE_SHORT.get(c[:2], "甘") for c in codes]
        letter = [PLATE_LETTERS[(int(c[2:4]) - 1) % len(PLATE_LETTERS)] for c in codes]
        head = _take([a + b for a, b in zip(prov, letter, strict=True)], self.pop.county[people])
        return _join(head, _digits(rng, n, 5, PLATE_CHARS))
