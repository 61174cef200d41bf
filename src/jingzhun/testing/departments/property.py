"""Generated 不动产 rows (property): everyday data for the register's people and the residents around
them, the anomalies planted for the department rules that read this file, and noise next to them.

A part of ``_Generator`` (``generator.py``): the methods use its population, streams and plants."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jingzhun.comparison import datasets as dsm
from jingzhun.testing.departments.common import (
    LEFT,
    NA,
    ORD,
    OUT,
    REG,
    ROADS,
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


class Property(_Part):
    # -- property (CP04) ---------------------------------------------------------------------------------

    def property(self) -> _Rows:
        rng = self.rng("property")
        p = self.pop
        A = self.A
        rows = _Rows("property")
        types = {t: i for i, t in enumerate(dsm.PROPERTY_TYPES)}

        def add(people: np.ndarray, ptype: np.ndarray, on: np.ndarray) -> None:
            n = len(people)
            if not n:
                return
            ptype = np.asarray(ptype, dtype=np.int64)
            county = self.county_name(people)
            town = self.town(people)
            rural = ptype == types["自建房"]
            natural = pa.array([""] * n, pa.string())
            inside = p.hh[people] >= 0
            if inside.any():
                nv = self.hh.natural_village.take(pa.array(np.where(inside, p.hh[people], 0)))
                natural = pc.if_else(pa.array(inside), nv, natural)
            number = pa.array((rng.integers(1, 120, n)).astype(str))
            road = _take(ROADS, rng.integers(0, len(ROADS), n))
            building = pa.array(rng.integers(1, 30, n).astype(str))
            room = pa.array((rng.integers(1, 25, n) * 100 + rng.integers(1, 5, n)).astype(str))
            urban = _join(county, road, number, "号", building, "栋", room, "室")
            village = _join(town, natural, number, "号")
            location = pc.if_else(pa.array(rural), village, urban)
            area = np.select(
                [rural, ptype == types["车位"], ptype == types["商铺"], ptype == types["写字楼"]],
                [
                    _money_cents(rng, 120, 0.3, n, 40, 300),
                    _money_cents(rng, 13, 0.1, n, 10, 20),
                    _money_cents(rng, 60, 0.5, n, 15, 400),
                    _money_cents(rng, 90, 0.5, n, 30, 600),
                ],
                default=_money_cents(rng, 95, 0.25, n, 40, 200),
            )
            rows.add(
                n,
                **self.person_cols(people),
                property_type=_take(dsm.PROPERTY_TYPES, ptype),
                location=location,
                area=area,
                registered_on=np.asarray(on, dtype=np.int32),
            )

        living = self.alive & (p.kind != LEFT)
        # everyone's village house (自建房, any date) for the heads of register households
        heads = self.hh.head[self.hh.head >= 0]
        own = self.with_prob(rng, heads, 0.6)
        add(
            own,
            np.full(len(own), types["自建房"]),
            _between(rng, np.maximum(p.birth[own] + _yrs(20), A - _yrs(30)), A - 30),
        )
        out = np.flatnonzero(living & (p.kind >= OUT) & (p.age >= 25))
        who = self.with_prob(rng, out, 0.24)
        pt = rng.choice(5, size=len(who), p=[0.32, 0.05, 0.01, 0.52, 0.10])
        add(who, pt, _between(rng, np.maximum(p.birth[who] + _yrs(22), A - _yrs(25)), A))
        om = np.flatnonzero(living & (p.kind == ORD) & (p.age >= 25))
        ow = self.with_prob(rng, om, 0.08)
        add(
            ow,
            rng.choice([0, 1, 4], size=len(ow), p=[0.7, 0.1, 0.2]),
            _between(rng, np.maximum(p.birth[ow] + _yrs(22), A - _yrs(25)), A),
        )
        rm = np.flatnonzero(living & (p.kind == REG) & (p.age >= 22))
        reg_on = self.reg_on(rm)
        known = reg_on != NA
        relocated = np.zeros(len(rm), dtype=np.int8)
        relocated[:] = self.hh.relocated[p.hh[rm]]
        # registered members: 商品住房 bought after registration; 车位 and 自建房 before; relocated households'
        later_pool = rm[known & (reg_on < A - 30)]
        later = self.with_prob(rng, later_pool, 0.03)
        lr = self.reg_on(later)
        add(later, rng.choice([0, 0, 0, 4], size=len(later)), _between(rng, lr + 1, A, len(later)))
        adult = known & (p.birth[rm] + _yrs(22) <= reg_on)
        spots = _pick(rng, rm[adult], self.quota)
        sr = self.reg_on(spots)
        add(
            spots,
            np.full(len(spots), types["车位"]),
            _between(rng, np.maximum(p.birth[spots] + _yrs(22), sr - _yrs(10)), sr),
        )
        moved = _pick(rng, rm[adult & (relocated == 1)], self.quota)
        mr = self.reg_on(moved)
        add(
            moved,
            np.full(len(moved), types["商品住房"]),
            _between(rng, np.maximum(p.birth[moved] + _yrs(22), mr - _yrs(8)), mr),
        )
        # CP04 plants: 商品住房 (not relocated), 商铺 or 写字楼 registered on or before registration
        pool = _minus(rm[adult & (relocated >= 0)], np.union1d(spots, moved))
        cp04 = _pick(rng, pool, self.quota)
        cr = self.reg_on(cp04)
        rel = self.hh.relocated[p.hh[cp04]] == 1
        pt = np.where(
            rel,
            rng.choice([1, 2], size=len(cp04)),
            rng.choice([0, 1, 2], size=len(cp04), p=[0.75, 0.2, 0.05]),
        )
        on = _between(rng, np.maximum(p.birth[cp04] + _yrs(22), cr - _yrs(12)), cr)
        if len(on):
            on[0] = cr[0]
        add(cp04, pt, on)
        self.plant("CP04", cp04)
        return rows
