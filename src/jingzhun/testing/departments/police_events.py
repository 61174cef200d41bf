"""Generated 公安户籍变动 rows (police_events): everyday data for the register's people and the residents around
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
    REG,
    _between,
    _minus,
    _Part,
    _pick,
    _Rows,
    _yrs,
)


class PoliceEvents(_Part):
    # -- police (SJ01) ------------------------------------------------------------------------------------

    def police_events(self) -> _Rows:
        rng = self.rng("police_events")
        p = self.pop
        A = self.A
        rows = _Rows("police_events")
        events = {e: i for i, e in enumerate(dsm.POLICE_EVENTS)}

        def add(people: np.ndarray, event: str, on: np.ndarray) -> None:
            if len(people):
                rows.add(
                    len(people),
                    **self.person_cols(people),
                    event=dsm.POLICE_EVENTS[events[event]],
                    event_on=np.asarray(on, dtype=np.int32),
                    region_code=p.village.take(pa.array(people)),
                )

        living = np.flatnonzero(self.alive & (p.kind != LEFT))
        babies = living[(p.age[living] <= 2) & (rng.random(len(living)) < 0.92)]
        add(babies, "出生", p.birth[babies])
        # deaths: register members who left by death, and residents who died
        dead = np.flatnonzero((p.kind == LEFT) & p.died)
        add(dead, "死亡", np.minimum(p.left_on[dead], A))
        nd = len(self.dead["id"])
        if nd:
            rows.add(
                nd,
                id_number=self.dead["id"],
                name=self.dead["name"],
                event="死亡",
                event_on=self.dead["on"],
                region_code=self.dead["village"],
            )
        moved = np.flatnonzero((p.kind == LEFT) & ~p.died)
        add(moved, "迁出", np.minimum(p.left_on[moved], A))
        married = np.flatnonzero(
            ((p.kind == REG) | (p.kind == ORD)) & np.isin(p.relation, (2, 5, 6)) & (p.joined_on != NA)
        )
        married = self.with_prob(rng, married, 0.3)
        add(married, "迁入", p.joined_on[married])
        out = np.flatnonzero(p.kind == OUT)
        mv = self.with_prob(rng, out, 0.02)
        add(mv[: len(mv) // 2], "迁入", _between(rng, A - _yrs(3), A, len(mv) // 2))
        add(mv[len(mv) // 2 :], "迁出", _between(rng, A - _yrs(3), A, len(mv) - len(mv) // 2))
        # SJ01 plants: register members still active although the police registered their death
        members = np.flatnonzero((p.kind == REG) | (p.kind == ORD))
        old_first = members[p.age[members] >= 60]
        sj01 = _pick(rng, old_first, self.quota)
        if len(sj01) < self.quota:
            sj01 = np.union1d(sj01, _pick(rng, _minus(members, sj01), self.quota - len(sj01))).astype(
                np.int64
            )
        on = _between(rng, A - 540, A, len(sj01))
        if len(on):
            on[0] = A
        add(sj01, "死亡", on)
        self.plant("SJ01", sj01)
        # noise: a death registered after as_of (not yet for this comparison); 迁出 of active members
        later = _pick(rng, _minus(members, sj01), min(2, self.quota))
        add(later, "死亡", _between(rng, A + 1, A + 30, len(later)))
        away = _pick(rng, _minus(members, sj01), self.quota)
        add(away, "迁出", _between(rng, A - _yrs(2), A, len(away)))
        return rows
