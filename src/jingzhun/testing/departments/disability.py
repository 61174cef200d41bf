"""Generated 残疾人 rows (disability): everyday data for the register's people and the residents around
them, the anomalies planted for the department rules that read this file, and noise next to them.

A part of ``_Generator`` (``generator.py``): the methods use its population, streams and plants."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jingzhun.comparison import datasets as dsm
from jingzhun.testing.departments.common import (
    ORD,
    OUT,
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


class Disability(_Part):
    # -- disability (LP02, JC02) --------------------------------------------------------------------------

    def disability(self) -> _Rows:
        rng = self.rng("disability")
        p = self.pop
        A, M12 = self.A, self.M12
        rows = _Rows("disability")

        reg_or_ord = (p.kind == REG) | (p.kind == ORD)
        mon = np.zeros(p.n, dtype=bool)
        mon[reg_or_ord] = self.hh.monitored[p.hh[reg_or_ord]] & self.hh.registered[p.hh[reg_or_ord]]
        registered = p.kind == REG
        known = np.flatnonzero(reg_or_ord & (p.dis_cat >= 1) & (p.dis_grade >= 1))
        cat = p.dis_cat[known] - 1
        grade = p.dis_grade[known] - 1
        # issued more than 12 months ago (JC02 looks at new certificates only)
        issued = np.minimum(_between(rng, np.maximum(p.birth[known] + 200, A - _yrs(12)), M12 - 1), M12 - 1)
        severe = grade <= 1
        # a severe certificate of a 一般农户 member would be LP02: held as expired unless planted
        ord_severe = (p.kind[known] == ORD) & severe
        lp02_ord = _pick(rng, known[ord_severe], max(1, self.quota // 3))
        cert_valid = ~ord_severe | np.isin(known, lp02_ord)
        rows.add(len(known), **self._dis_cols(known, cat, grade, issued), valid=cert_valid)
        # residents: 三级/四级 in force, 一级/二级 only expired (invalid)
        out = np.flatnonzero(p.kind >= OUT)
        holders = self.with_prob(rng, out, np.clip(0.02 + p.age[out] / 1500, 0.02, 0.09))
        n = len(holders)
        cat = rng.choice(7, size=n, p=[0.12, 0.12, 0.03, 0.45, 0.1, 0.1, 0.08])
        grade = rng.choice(4, size=n, p=[0.12, 0.25, 0.33, 0.30])
        issued = _between(rng, np.maximum(p.birth[holders] + 200, A - _yrs(12)), A)
        rows.add(
            n, **self._dis_cols(holders, cat, grade, issued, region=rng.random(n) < 0.9), valid=grade >= 2
        )
        # LP02 plants: residents with a valid 一级/二级 certificate, and 一般农户 members (issued long ago)
        lp02_out = _pick(rng, out, max(0, self.quota - len(lp02_ord)))
        n = len(lp02_out)
        rows.add(
            n,
            **self._dis_cols(
                lp02_out,
                rng.choice(7, size=n),
                rng.choice(2, size=n),
                _between(rng, np.maximum(p.birth[lp02_out] + 200, A - _yrs(10)), A),
                region=np.arange(n) % 4 != 0,
            ),
            valid=True,
        )
        self.plant("LP02", np.concatenate([lp02_ord, lp02_out]))
        # JC02 plants: new severe certificate (within 12 months) in a registered household not monitored
        pool = np.flatnonzero(registered & ~mon)
        jc02 = _pick(rng, pool, self.quota)
        n = len(jc02)
        issued = _between(rng, M12 + 1, A, n)
        if n:
            issued[0] = A
        rows.add(n, **self._dis_cols(jc02, rng.choice(7, size=n), rng.choice(2, size=n), issued), valid=True)
        self.plant("JC02", jc02)
        # noise: exactly 12 months ago, a new 三级, a new but invalid 一级, a new 一级 in a monitored household
        rest = _minus(pool, jc02)
        k = max(1, self.quota // 3)
        a = _pick(rng, rest, k)
        rows.add(
            len(a),
            **self._dis_cols(a, rng.choice(7, size=len(a)), np.zeros(len(a)), np.full(len(a), M12)),
            valid=True,
        )
        b = _pick(rng, _minus(rest, a), k)
        rows.add(
            len(b),
            **self._dis_cols(
                b, rng.choice(7, size=len(b)), np.full(len(b), 2), _between(rng, M12 + 1, A, len(b))
            ),
            valid=True,
        )
        c = _pick(rng, _minus(rest, np.union1d(a, b)), k)
        rows.add(
            len(c),
            **self._dis_cols(
                c, rng.choice(7, size=len(c)), np.zeros(len(c)), _between(rng, M12 + 1, A, len(c))
            ),
            valid=False,
        )
        d = _pick(rng, np.flatnonzero(registered & mon), k)
        rows.add(
            len(d),
            **self._dis_cols(
                d, rng.choice(7, size=len(d)), np.ones(len(d)), _between(rng, M12 + 1, A, len(d))
            ),
            valid=True,
        )
        # residents' mistyped IDs with a valid 一级 certificate (id_valid false)
        e = _pick(rng, out, max(1, self.quota // 3))
        cols = self._dis_cols(
            e, rng.choice(7, size=len(e)), np.zeros(len(e)), _between(rng, A - _yrs(5), A, len(e))
        )
        cols["id_number"] = self.typo_ids(rng, e)
        rows.add(len(e), **cols, valid=True, id_valid=False)
        return rows

    def _dis_cols(
        self,
        people: np.ndarray,
        cat: np.ndarray,
        grade: np.ndarray,
        issued: np.ndarray,
        region: bool | np.ndarray = True,
    ) -> dict[str, Any]:
        p = self.pop
        n = len(people)
        cat = np.asarray(cat, dtype=np.int64)
        grade = np.asarray(grade, dtype=np.int64)
        at = pa.array(np.asarray(people, dtype=np.int64))
        cert = _join(p.id.take(at), pa.array((cat + 1).astype(str)), pa.array((grade + 1).astype(str)))
        region_mask = np.broadcast_to(np.asarray(region, dtype=bool), (n,))
        regions = pc.if_else(pa.array(region_mask), p.village.take(at), pa.scalar(None, pa.string()))
        return {
            "id_number": p.id.take(at),
            "name": p.name.take(at),
            "certificate_number": cert,
            "region_code": regions,
            "category": _take(dsm.DISABILITY_CATEGORIES, cat),
            # never after as_of (a baby's certificate would otherwise fall after it)
            "grade": _take(dsm.DISABILITY_GRADES, grade),
            "issued_on": np.minimum(np.asarray(issued, dtype=np.int32), self.A),
        }
