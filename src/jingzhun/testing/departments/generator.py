"""The department data generator: the population read from the snapshot, one stream per dataset, the
plants and the ground truth; each department file's rows come from its own module (``medical_enrolment.py`` …)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from jingzhun.comparison import datasets as dsm
from jingzhun.registry import names as nm
from jingzhun.testing.departments.business import Business
from jingzhun.testing.departments.civil_assistance import CivilAssistance
from jingzhun.testing.departments.common import (
    AGE_BANDS,
    FAM,
    FORMATS,
    GRADES,
    LEFT,
    MIN_PLANTS,
    NA,
    ORD,
    OUT,
    OUTSIDERS_PER_MEMBER,
    PLANT_RATE,
    PLANTED_RULES,
    REG,
    STREAMS,
    TRUTH_COLUMNS,
    TRUTH_FILE,
    XLSX_MAX_ROWS,
    YEAR,
    DeptGenError,
    Truth,
    _between,
    _check,
    _contains,
    _County,
    _days,
    _Households,
    _id_strings,
    _join,
    _np,
    _pick,
    _places,
    _Pop,
    _read_snapshot,
    _rule_parameters,
    _take,
    _ymd,
    _yrs,
    minus_months,
)
from jingzhun.testing.departments.disability import Disability
from jingzhun.testing.departments.education import Education
from jingzhun.testing.departments.employment import Employment
from jingzhun.testing.departments.housing import Housing
from jingzhun.testing.departments.medical_enrolment import MedicalEnrolment
from jingzhun.testing.departments.medical_expense import MedicalExpense
from jingzhun.testing.departments.payroll import Payroll
from jingzhun.testing.departments.police_events import PoliceEvents
from jingzhun.testing.departments.property import Property
from jingzhun.testing.departments.vehicles import Vehicles


class _Generator(
    MedicalEnrolment,
    MedicalExpense,
    Education,
    CivilAssistance,
    Disability,
    Housing,
    Employment,
    PoliceEvents,
    Vehicles,
    Business,
    Payroll,
    Property,
):
    """The population and its streams; one mixin per department file writes that file's rows."""

    def __init__(
        self,
        snapshot: Path,
        *,
        seed: int,
        as_of: dt.date,
        scale: float,
        progress: Callable[[str], None] | None,
    ) -> None:
        self.seed = seed
        self.as_of = as_of
        self.A = _days(as_of)
        self.M12 = _days(minus_months(as_of, 12))
        sept = dt.date(as_of.year if as_of.month >= 9 else as_of.year - 1, 9, 1)
        self.S = _days(sept)  # the current school year's start
        self.scale = max(0.0, float(scale))
        self.say = progress or (lambda _msg: None)
        params = _rule_parameters()
        self.general_min = float(params.get("JC01", {}).get("general_self_pay_min", 20000))
        self.vehicle_min = round(float(params.get("CP02", {}).get("vehicle_price_min", 30000)) * 100)
        self.capital_min = round(float(params.get("CP03", {}).get("capital_min", 10)) * 100)
        self.truth: list[tuple[str, str, str, str]] = []
        self.planted: dict[str, int] = dict.fromkeys(PLANTED_RULES, 0)
        hh_table, m_table = _read_snapshot(snapshot, as_of, self.general_min)
        self._load(hh_table, m_table)

    def rng(self, stream: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, STREAMS[stream]])

    # -- loading -------------------------------------------------------------------------------------------

    def _load(self, ht: pa.Table, mt: pa.Table) -> None:
        nh = ht.num_rows
        grade_idx = np.zeros(nh, dtype=np.int8)
        grades = ht["grade"].to_numpy(zero_copy_only=False) if nh else np.array([], dtype=object)
        for i, g in enumerate(GRADES[1:], start=1):
            grade_idx[grades == g] = i
        self.hh = _Households(
            number=ht["household_number"].combine_chunks(),
            village=ht["village_code"].combine_chunks(),
            natural_village=ht["natural_village"].combine_chunks(),
            registered=_np(ht["registered"], bool, False),
            exited=_np(ht["exited"], bool, False),
            monitored=_np(ht["monitored"], bool, False),
            relocated=_np(ht["relocated"], np.int8, -1),
            reg_on=_np(ht["reg_on"], np.int32, NA),
            risk_illness=_np(ht["risk_illness"], bool, False),
            trigger=_np(ht["trigger"], np.int64, int(self.general_min * 100)),
            grade=grade_idx,
            head=np.full(nh, -1, dtype=np.int64),
        )
        n = mt.num_rows
        village = mt["village_code"].combine_chunks()
        county_codes = pc.utf8_slice_codeunits(village, 0, 6) if n else pa.array([], pa.string())
        enc = county_codes.dictionary_encode() if n else None
        codes = enc.dictionary.to_pylist() if enc is not None else []
        order = sorted(range(len(codes)), key=lambda i: codes[i])
        remap = np.empty(len(codes), dtype=np.int32)
        remap[order] = np.arange(len(codes), dtype=np.int32)
        county = remap[enc.indices.to_numpy()] if enc is not None else np.array([], dtype=np.int32)
        villages_of: dict[str, list[str]] = {}
        for v in sorted(set(self.hh.village.to_pylist())):
            villages_of.setdefault(v[:6], []).append(v)
        self.counties: list[_County] = []
        counts = np.bincount(county, minlength=len(codes)) if n else np.array([], dtype=np.int64)
        for i, code in enumerate(sorted(codes)):
            name, city, province, townships = _places(code)
            self.counties.append(
                _County(code, name, city, province, townships, villages_of.get(code, []), int(counts[i]))
            )
        hh = _np(mt["hh"], np.int64, -1)
        left_on = _np(mt["left_on"], np.int32, NA)
        registered = self.hh.registered[hh] if n else np.array([], dtype=bool)
        kind = np.where(left_on != NA, LEFT, np.where(registered, REG, ORD)).astype(np.int8)
        relation = _np(mt["relation"], np.int16, 0)
        head = (relation == 1) & (kind != LEFT)
        self.pop = _Pop(
            id=mt["id_number"].combine_chunks(),
            name=mt["name"].combine_chunks(),
            village=village,
            household_number=mt["household_number"].combine_chunks(),
            person_number=mt["person_number"].combine_chunks(),
            first17=_np(mt["first17"], np.int64, 0),
            sex=_np(mt["sex"], np.int8, 1),
            birth=_np(mt["birth_date"], np.int32, 0),
            age=_np(mt["age"], np.int16, 0),
            kind=kind,
            county=county.astype(np.int32),
            hh=hh,
            head=head,
            relation=relation,
            schooling=_np(mt["schooling"], np.int8, -1),
            dis_cat=_np(mt["dis_cat"], np.int8, 0),
            dis_grade=_np(mt["dis_grade"], np.int8, 0),
            dibao=_np(mt["dibao"], bool, False),
            tekun=_np(mt["tekun"], bool, False),
            left_on=left_on,
            died=_np(mt["died"], bool, False),
            joined_on=_np(mt["joined_on"], np.int32, NA),
            ill=_np(mt["ill"], bool, False),
            family_head=np.full(n, -1, dtype=np.int64),
        )
        heads = np.flatnonzero(head)[::-1]  # reversed: the first head of a household wins
        self.hh.head[hh[heads]] = heads
        self.n_members = n
        self.n_registered = int((kind == REG).sum())
        self.quota = max(MIN_PLANTS, round(PLANT_RATE * self.n_registered))

    # -- people outside the register --------------------------------------------------------------------------

    def _names(
        self, rng: np.random.Generator, sex: np.ndarray, birth: np.ndarray, surnames: pa.Array
    ) -> pa.Array:
        n = len(sex)
        year = _ymd(birth) // 10000
        era = np.where(year < 1965, 0, np.where(year < 1990, 1, 2))
        offsets = np.zeros((3, 3), dtype=np.int64)  # [sex, era] → offset into the flat list
        sizes = np.zeros((3, 3), dtype=np.int64)
        flat: list[str] = []
        for s, chars in ((1, nm.MALE_CHARS), (2, nm.FEMALE_CHARS)):
            for e, key in enumerate(("old", "mid", "young")):
                pool = list(dict.fromkeys(chars[key]))
                offsets[s, e], sizes[s, e] = len(flat), len(pool)
                flat.extend(pool)
        sx = np.clip(sex, 1, 2)
        off, size = offsets[sx, era], sizes[sx, era]
        c1 = off + np.floor(rng.random(n) * size).astype(np.int64)
        c2 = off + np.floor(rng.random(n) * size).astype(np.int64)
        flat_arr = pa.array(flat, pa.string())
        two = rng.random(n) < np.where(era == 2, 0.8, 0.65)
        second = pc.if_else(pa.array(two), flat_arr.take(pa.array(c2)), pa.scalar(""))
        return _join(surnames, flat_arr.take(pa.array(c1)), second)

    def _new_ids(
        self,
        rng: np.random.Generator,
        county_idx: np.ndarray,
        sex: np.ndarray,
        birth: np.ndarray,
        taken: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """first17 numbers, unique and not in ``taken``, and the mask of the people that got one.

        Sequence numbers are redrawn on a clash, and on a crowded birthday the birth moves a day earlier
        (``birth`` is updated in place); whoever still has none after that is left out."""
        codes = np.array([int(c.code) for c in self.counties] or [0], dtype=np.int64)
        male = (sex == 1).astype(np.int64)
        stem = codes[county_idx] * 10**11 + _ymd(birth) * 1000
        first17 = stem + 2 * rng.integers(0, 500, len(sex)) + male
        used = np.sort(np.concatenate([np.asarray(taken, dtype=np.int64), first17]))
        order = np.argsort(first17, kind="stable")
        ranked = first17[order]
        bad = np.zeros(len(first17), dtype=bool)
        bad[order[1:][ranked[1:] == ranked[:-1]]] = True  # later copies of a number
        bad |= _contains(np.sort(np.asarray(taken, dtype=np.int64)), first17)
        for attempt in range(30):
            redo = np.flatnonzero(bad)
            if not len(redo):
                break
            cand = stem[redo] + 2 * rng.integers(0, 500, len(redo)) + male[redo]
            _, once = np.unique(cand, return_index=True)
            ok = np.zeros(len(cand), dtype=bool)
            ok[once] = True
            ok &= ~_contains(used, cand)
            first17[redo[ok]] = cand[ok]
            bad[redo[ok]] = False
            used = np.sort(np.concatenate([used, cand[ok]]))
            if attempt % 5 == 4:  # a crowded birthday: move to the day before
                birth[redo[~ok]] -= 1
                stem[redo[~ok]] = codes[county_idx[redo[~ok]]] * 10**11 + _ymd(birth[redo[~ok]]) * 1000
        return first17, ~bad

    def people(self) -> None:
        """Residents outside the register (``OUT``), the LP01 families (``FAM``) and the deceased."""
        rng = self.rng("people")
        pop = self.pop
        n_out = [round(c.members * OUTSIDERS_PER_MEMBER * self.scale) for c in self.counties]
        county_idx = np.repeat(np.arange(len(self.counties), dtype=np.int32), n_out)
        total = len(county_idx)
        sex = rng.integers(1, 3, total).astype(np.int8)
        band = rng.choice(len(AGE_BANDS), size=total, p=np.array(AGE_BANDS) / sum(AGE_BANDS))
        birth = (self.A - 1 - ((band * 5 + rng.random(total) * 5) * YEAR).astype(np.int64)).astype(np.int32)
        # LP01: 一般农户 members on 低保/特困 (a third at most) and whole families in no registered household
        ord_dibao = np.flatnonzero((pop.kind == ORD) & (pop.dibao | pop.tekun))
        self.lp01_ord = _pick(rng, ord_dibao, min(len(ord_dibao), self.quota // 3))
        fam_county, fam_sizes = self._family_plan(rng, self.quota - len(self.lp01_ord))
        f_sex, f_birth, f_role, f_family = self._family_people(rng, fam_sizes)
        n_fam = len(f_sex)
        f_county = np.repeat(fam_county, fam_sizes).astype(np.int32)
        # the deceased of the last three years (police death records), about 1.2% of the people
        n_dead = round(0.012 * (total + self.n_members)) if self.counties else 0
        d_county = (
            rng.choice(len(self.counties), size=n_dead, p=self._county_weights()).astype(np.int32)
            if n_dead
            else np.zeros(0, np.int32)
        )
        d_sex = rng.integers(1, 3, n_dead).astype(np.int8)
        d_birth = (self.A - _between(rng, _yrs(55), _yrs(95), n_dead)).astype(np.int32)

        all_county = np.concatenate([county_idx, f_county, d_county]).astype(np.int32)
        all_sex = np.concatenate([sex, f_sex, d_sex]).astype(np.int8)
        all_birth = np.concatenate([birth, f_birth, d_birth]).astype(np.int32)
        groups = np.repeat(np.array([OUT, FAM, -1], dtype=np.int8), [total, n_fam, n_dead])
        first17, keep = self._new_ids(rng, all_county, all_sex, all_birth, pop.first17)
        if not keep[groups == FAM].all():  # pragma: no cover - needs hundreds of people born the same day
            raise DeptGenError("身份证号码顺序码已用完，无法生成漏评家庭")
        # names: family heads and children share a surname
        sur, weights = zip(*nm.SURNAMES, strict=True)
        sur_p = np.array(weights) / sum(weights)
        surname_idx = rng.choice(len(sur), size=len(all_sex), p=sur_p)
        if n_fam:
            family_surname = rng.choice(len(sur), size=len(fam_sizes), p=sur_p)
            blood = f_role != 1  # not the spouse
            block = surname_idx[total : total + n_fam]
            block[blood] = family_surname[f_family[blood]]
        names = self._names(rng, all_sex, all_birth, _take(sur, surname_idx))
        ids = _id_strings(first17)
        villages = self._villages(rng, all_county, f_family, groups, total)
        dead = np.flatnonzero(keep & (groups < 0))
        self.dead = {
            "id": ids.take(pa.array(dead)),
            "name": names.take(pa.array(dead)),
            "village": villages.take(pa.array(dead)),
            "on": _between(rng, self.A - _yrs(3), self.A, len(dead)),
        }
        sel = np.flatnonzero(keep & (groups >= 0))
        k = len(sel)
        base = pop.n
        n_kept_out = int((keep & (groups == OUT)).sum())
        fam_head = np.full(k, -1, dtype=np.int64)
        if n_fam:  # the family block follows the kept residents: head position → population index
            head_pos = np.repeat(np.flatnonzero(f_role == 0), fam_sizes)
            fam_head[n_kept_out:] = base + n_kept_out + head_pos
        birth_sel = all_birth[sel]
        age_sel = self._age(birth_sel)
        at = pa.array(sel)
        self.pop = _Pop(
            id=pa.concat_arrays([pop.id, ids.take(at)]),
            name=pa.concat_arrays([pop.name, names.take(at)]),
            village=pa.concat_arrays([pop.village, villages.take(at)]),
            household_number=pa.concat_arrays([pop.household_number, pa.nulls(k, pa.string())]),
            person_number=pa.concat_arrays([pop.person_number, pa.nulls(k, pa.string())]),
            first17=np.concatenate([pop.first17, first17[sel]]),
            sex=np.concatenate([pop.sex, all_sex[sel]]),
            birth=np.concatenate([pop.birth, birth_sel]),
            age=np.concatenate([pop.age, age_sel]),
            kind=np.concatenate([pop.kind, groups[sel]]),
            county=np.concatenate([pop.county, all_county[sel]]),
            hh=np.concatenate([pop.hh, np.full(k, -1, dtype=np.int64)]),
            head=np.concatenate([pop.head, np.zeros(k, dtype=bool)]),
            relation=np.concatenate([pop.relation, np.zeros(k, dtype=np.int16)]),
            schooling=np.concatenate([pop.schooling, np.full(k, -1, dtype=np.int8)]),
            dis_cat=np.concatenate([pop.dis_cat, np.zeros(k, dtype=np.int8)]),
            dis_grade=np.concatenate([pop.dis_grade, np.zeros(k, dtype=np.int8)]),
            dibao=np.concatenate([pop.dibao, np.zeros(k, dtype=bool)]),
            tekun=np.concatenate([pop.tekun, np.zeros(k, dtype=bool)]),
            left_on=np.concatenate([pop.left_on, np.full(k, NA, dtype=np.int32)]),
            died=np.concatenate([pop.died, np.zeros(k, dtype=bool)]),
            joined_on=np.concatenate([pop.joined_on, np.full(k, NA, dtype=np.int32)]),
            ill=np.concatenate([pop.ill, rng.random(k) < np.clip((age_sel - 30) / 150, 0.02, 0.4)]),
            family_head=np.concatenate([pop.family_head, fam_head]),
        )
        self.say(f"人口：登记成员 {self.n_members:,} 人，其他常住人口 {k:,} 人")

    def _age(self, birth: np.ndarray) -> np.ndarray:
        ymd = _ymd(birth)
        mmdd = ymd % 10000
        return (self.as_of.year - ymd // 10000 - (mmdd > self.as_of.month * 100 + self.as_of.day)).astype(
            np.int16
        )

    def _family_plan(self, rng: np.random.Generator, persons: int) -> tuple[np.ndarray, np.ndarray]:
        drawn = rng.choice([1, 2, 3, 4], size=max(persons, 0), p=[0.3, 0.3, 0.25, 0.15])
        sizes = drawn[: int(np.searchsorted(np.cumsum(drawn), persons)) + 1] if persons > 0 else drawn[:0]
        counties = (
            rng.choice(len(self.counties), size=len(sizes), p=self._county_weights())
            if self.counties and len(sizes)
            else np.zeros(len(sizes), dtype=np.int32)
        )
        return np.asarray(counties, dtype=np.int32), np.asarray(sizes, dtype=np.int64)

    def _county_weights(self) -> np.ndarray:
        w = np.array([max(c.members, 1) for c in self.counties], dtype=float)
        return w / w.sum()

    def _family_people(self, rng: np.random.Generator, sizes: np.ndarray) -> tuple[np.ndarray, ...]:
        sexes, births, roles, family = [], [], [], []
        for f, size in enumerate(sizes):
            head_age = rng.uniform(30, 76)
            head_sex = 1 if rng.random() < 0.8 else 2
            people = [(head_sex, head_age, 0)]
            rest = int(size) - 1
            if rest and rng.random() < 0.7:
                people.append((3 - head_sex, min(max(head_age + rng.uniform(-4, 3), 20), 90), 1))
                rest -= 1
            for _ in range(rest):
                people.append((int(rng.integers(1, 3)), max(0.2, head_age - rng.uniform(20, 34)), 2))
            for sex, age, role in people:
                sexes.append(sex)
                births.append(self.A - 1 - int(age * YEAR))
                roles.append(role)
                family.append(f)
        return (
            np.asarray(sexes, dtype=np.int8),
            np.asarray(births, dtype=np.int32),
            np.asarray(roles, dtype=np.int8),
            np.asarray(family, dtype=np.int64),
        )

    def _villages(
        self,
        rng: np.random.Generator,
        county_idx: np.ndarray,
        family: np.ndarray,
        groups: np.ndarray,
        total: int,
    ) -> pa.Array:
        flat: list[str] = []
        starts, sizes = [], []
        for c in self.counties:
            vs = c.villages or [c.code + "000000"]
            starts.append(len(flat))
            sizes.append(len(vs))
            flat.extend(vs)
        if not flat:
            return pa.array([""] * len(county_idx), pa.string())
        starts_a, sizes_a = np.array(starts), np.array(sizes)
        u = rng.random(len(county_idx))
        if len(family):  # a family lives in one village
            fam_u = rng.random(int(family.max()) + 1)
            u[total : total + len(family)] = fam_u[family]
        idx = starts_a[county_idx] + np.floor(u * sizes_a[county_idx]).astype(np.int64)
        return _take(flat, idx)

    # -- shared bits ---------------------------------------------------------------------------------------

    @property
    def alive(self) -> np.ndarray:
        p = self.pop
        return (p.kind != LEFT) | ~p.died

    def reg_on(self, people: np.ndarray) -> np.ndarray:
        """The registration day of each person's household (NA outside registered households)."""
        out = np.full(len(people), NA, dtype=np.int32)
        inside = self.pop.hh[people] >= 0
        out[inside] = self.hh.reg_on[self.pop.hh[people[inside]]]
        return out

    def registered_pool(self) -> np.ndarray:
        """Active members of registered households (the rules' ``registered_people``)."""
        return np.flatnonzero(self.pop.kind == REG)

    def plants(self, candidates: int) -> int:
        """How many of ``candidates`` to plant: the quota, but at most half of a small pool (the rest stay
        as look-alikes that must not hit), and at least ``MIN_PLANTS`` when there are that many."""
        return min(self.quota, max(MIN_PLANTS, candidates // 2), candidates)

    def plant(self, rule: str, people: np.ndarray, *, household: bool = False, head: bool = False) -> None:
        """Record ground truth: person subjects, heads (CT02/SB03), households (JC05) or IDs (LP01/LP02)."""
        people = np.asarray(people, dtype=np.int64)
        if len(people) == 0:
            return
        p = self.pop
        ids = p.id.take(pa.array(people)).to_pylist()
        hns = p.household_number.take(pa.array(people)).to_pylist()
        pns = p.person_number.take(pa.array(people)).to_pylist()
        for i, hn, pn in zip(ids, hns, pns, strict=True):
            if rule in ("LP01", "LP02"):
                self.truth.append((rule, "", "", i))
            elif household:
                self.truth.append((rule, hn or "", "", ""))
            elif head:
                self.truth.append((rule, hn or "", "", i))
            else:
                self.truth.append((rule, hn or "", pn or "", i))
        if rule in self.planted:
            self.planted[rule] += len(people)

    def person_cols(self, people: np.ndarray) -> dict[str, pa.Array]:
        at = pa.array(np.asarray(people, dtype=np.int64))
        return {"id_number": self.pop.id.take(at), "name": self.pop.name.take(at)}

    def town(self, people: np.ndarray) -> pa.Array:
        """The township name of each person's village (the county's name when unknown)."""
        village = self.pop.village.take(pa.array(np.asarray(people, dtype=np.int64)))
        if len(village) == 0:
            return pa.array([], pa.string())
        enc = pc.utf8_slice_codeunits(village, 0, 9).dictionary_encode()
        names = []
        for code in enc.dictionary.to_pylist():
            county = self._county_by_code(code[:6])
            names.append(county.townships.get(code, county.name) if county else "本乡镇")
        return pa.array(names, pa.string()).take(enc.indices)

    def county_name(self, people: np.ndarray, attr: str = "name") -> pa.Array:
        names = [getattr(c, attr) for c in self.counties] or ["本县"]
        return (
            _take(names, self.pop.county[np.asarray(people, dtype=np.int64)])
            if len(people)
            else pa.array([], pa.string())
        )

    def _county_by_code(self, code: str) -> _County | None:
        if not hasattr(self, "_by_code"):
            self._by_code = {c.code: c for c in self.counties}
        return self._by_code.get(code)

    def typo_first17(self, rng: np.random.Generator, first17: np.ndarray) -> np.ndarray:
        """Change one digit among the 15th–17th: the check character no longer fits (weights 8, 4, 2 ≢ 0)."""
        pos = rng.integers(14, 17, len(first17))  # 0-based digit position
        power = 10 ** (16 - pos).astype(np.int64)
        old = (first17 // power) % 10
        new = (old + rng.integers(1, 10, len(first17))) % 10
        return first17 + (new - old) * power

    def typo_ids(self, rng: np.random.Generator, people: np.ndarray) -> pa.Array:
        f17 = self.pop.first17[people]
        check = _check(f17)
        return _id_strings(self.typo_first17(rng, f17), check)

    def with_prob(self, rng: np.random.Generator, people: np.ndarray, p: Any) -> np.ndarray:
        return people[rng.random(len(people)) < p]


# ----------------------------------------------------------------------------------------------------
# Writers
# ----------------------------------------------------------------------------------------------------


def _text_columns(dataset: dsm.Dataset, table: pa.Table) -> tuple[list[str], list[pa.Array]]:
    """The dataset's columns as a department writes them: Chinese headers, 是/否, 2024-03-15, plain numbers."""
    headers, arrays = [], []
    for col in dataset.columns:
        arr = table[col.key].combine_chunks()
        if col.type == dsm.T.BOOL:
            arr = pc.if_else(arr, pa.scalar("是"), pa.scalar("否"))
        elif arr.type != pa.string():
            arr = arr.cast(pa.string())
        headers.append(col.header)
        arrays.append(arr)
    return headers, arrays


def _write_csv(dataset: dsm.Dataset, table: pa.Table, path: Path) -> None:
    import pyarrow.csv as pacsv

    headers, arrays = _text_columns(dataset, table)
    text = pa.Table.from_arrays(arrays, names=headers)
    with path.open("wb") as fh:
        fh.write("\ufeff".encode())  # Excel opens UTF-8 CSV only with a BOM
        pacsv.write_csv(text, fh, write_options=pacsv.WriteOptions(quoting_style="needed"))


def _write_xlsx(dataset: dsm.Dataset, table: pa.Table, path: Path) -> None:
    import xlsxwriter

    if table.num_rows > XLSX_MAX_ROWS:
        raise DeptGenError(
            f"{dataset.name}有 {table.num_rows:,} 行，超过 Excel 单表上限，请改用 csv 或 parquet 格式"
        )
    headers, arrays = _text_columns(dataset, table)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    try:
        workbook.set_properties({"title": dataset.name, "created": dt.datetime(2000, 1, 1)})
        sheet = workbook.add_worksheet(dataset.name[:31])
        bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        text = workbook.add_format({"num_format": "@"})
        for j, col in enumerate(dataset.columns):
            sheet.set_column(j, j, 22 if col.type in (dsm.T.ID, dsm.T.TEXT) else 12, text)
            sheet.write_string(0, j, headers[j], bold)
        columns = [a.to_pylist() for a in arrays]
        write = sheet.write_string
        for i in range(table.num_rows):
            for j, values in enumerate(columns):
                value = values[i]
                if value is not None and value != "":
                    write(i + 1, j, value)
    finally:
        workbook.close()


def _write_truth(rows: Iterable[tuple[str, str, str, str]], path: Path) -> None:
    unique = sorted(set(rows))
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(TRUTH_COLUMNS)
        writer.writerows(unique)


# ----------------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------------


def default_as_of(snapshot_path: Path | str) -> dt.date:
    """31 December of the snapshot's newest data year (today when it has none)."""
    import duckdb

    glob = str(Path(snapshot_path) / "years" / "*" / "*.parquet").replace("'", "''")
    con = duckdb.connect()
    try:
        row = con.execute(
            f"SELECT MAX(year) FROM read_parquet('{glob}', hive_partitioning = false)"
        ).fetchone()
        year = row[0] if row else None
    except duckdb.Error:  # no years table
        year = None
    finally:
        con.close()
    return dt.date(int(year), 12, 31) if year else dt.date.today()


def generate_departments(
    snapshot_path: Path | str,
    out_dir: Path | str,
    *,
    seed: int = 1,
    as_of: dt.date | None = None,
    scale: float = 1.0,
    formats: Sequence[str] = ("parquet",),
    progress: Callable[[str], None] | None = None,
) -> Truth:
    """Write the twelve department datasets for the snapshot, with planted anomalies; return the truth.

    ``out_dir/<dataset>.parquet`` is always written (the STORED format, ready for the engine); ``formats``
    may add ``csv`` and ``xlsx`` (Chinese headers, as a department sends them). ``as_of`` is the comparison
    date the planted anomalies are relative to (default: 31 December of the newest data year). ``scale``
    multiplies the residents outside the register (0 leaves only what the register's rules need).
    """
    snapshot = Path(snapshot_path)
    if not (snapshot / "members").is_dir():
        raise DeptGenError(f"{snapshot} 不是登记快照（没有 members 目录）")
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise DeptGenError(f"不支持的输出格式：{'、'.join(sorted(unknown))}（可用：{'、'.join(FORMATS)}）")
    if scale < 0:
        raise DeptGenError("规模系数不能为负数")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    as_of = as_of or default_as_of(snapshot)
    gen = _Generator(snapshot, seed=seed, as_of=as_of, scale=scale, progress=progress)
    gen.people()
    shuffle = gen.rng("shuffle")
    rows: dict[str, int] = {}
    files: dict[str, tuple[Path, ...]] = {}
    for dataset in dsm.DATASETS:
        method = getattr(gen, dataset.code)
        table = method().table(shuffle)
        paths = [out / f"{dataset.code}.parquet"]
        pq.write_table(table, paths[0], compression="zstd")
        if "csv" in formats:
            paths.append(out / f"{dataset.code}.csv")
            _write_csv(dataset, table, paths[-1])
        if "xlsx" in formats:
            paths.append(out / f"{dataset.code}.xlsx")
            _write_xlsx(dataset, table, paths[-1])
        rows[dataset.code] = table.num_rows
        files[dataset.code] = tuple(paths)
        gen.say(f"{dataset.name}（{dataset.code}）：{table.num_rows:,} 行")
    truth_path = out / TRUTH_FILE
    _write_truth(gen.truth, truth_path)
    planted = {rule: sum(1 for r in set(gen.truth) if r[0] == rule) for rule in PLANTED_RULES}
    gen.say(f"预置疑点 {sum(planted.values()):,} 个 → {truth_path}")
    return Truth(truth_path, rows, planted, as_of, files)
