"""Generated 基本医疗保险参保 rows (medical_enrolment): everyday data for the register's people and the residents around
them, the anomalies planted for the department rules that read this file, and noise next to them.

A part of ``_Generator`` (``generator.py``): the methods use its population, streams and plants."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jingzhun.comparison import namekeys
from jingzhun.registry import names as nm
from jingzhun.testing.departments.common import (
    ORD,
    OUT,
    REG,
    _join,
    _minus,
    _name_variant,
    _Part,
    _pick,
    _Rows,
    _spelling_variant,
)


class MedicalEnrolment(_Part):
    # -- medical enrolment (SB02, SJ02, SJ03) ---------------------------------------------------------------

    def medical_enrolment(self) -> _Rows:
        rng = self.rng("medical_enrolment")
        p = self.pop
        rows = _Rows("medical_enrolment")
        everyone = np.flatnonzero(self.alive)
        used = np.zeros(p.n, dtype=bool)
        reg = self.registered_pool()
        people_mask = (p.kind == REG) | (p.kind == ORD)
        # SB02: registered members not enrolled this year: no row, only last year's row, or 未参保
        sb02 = _pick(rng, reg, self.quota)
        used[sb02] = True
        self.plant("SB02", sb02)
        variant = np.arange(len(sb02)) % 3
        # SJ02: the name of the person's latest enrolment differs from the register's (a mistyped character)
        sj02 = _pick(rng, np.flatnonzero(people_mask & ~used), self.quota)
        used[sj02] = True
        self.plant("SJ02", sj02)
        # noise: the same name written another way (繁体/简体, another middle dot, a space) — no mismatch;
        # half of them among the names that have such a variant beyond a space
        special = self._special_names(people_mask & ~used)
        spell = _pick(rng, special, self.quota // 2 + 1)
        used[spell] = True
        more = _pick(rng, np.flatnonzero(people_mask & ~used), self.quota - len(spell))
        used[more] = True
        spell = np.union1d(spell, more)
        # noise: an older year's enrolment with a mistyped name, the latest one right — no mismatch
        old_typo = _pick(rng, np.flatnonzero(people_mask & ~used), self.quota)
        used[old_typo] = True
        # SJ03: an extra row with a mistyped ID (check character wrong), same name, same first 14 digits
        keys = self._name_keys(np.flatnonzero(people_mask))
        unique_key = self._unique_keys(keys)
        cand = np.flatnonzero(people_mask & ~used)
        cand = cand[unique_key[cand]]
        sj03 = _pick(rng, cand, self.quota)
        used[sj03] = True
        self.plant("SJ03", sj03)

        normal = _minus(everyone, sb02)
        n = len(normal)
        kind = p.kind[normal]
        basic = np.ones(n, dtype=bool)
        outsider = kind >= OUT
        basic[outsider] = rng.random(int(outsider.sum())) >= 0.015
        serious = basic & (rng.random(n) < 0.985)
        hh_reg = np.zeros(n, dtype=bool)
        inside = p.hh[normal] >= 0
        hh_reg[inside] = self.hh.registered[p.hh[normal[inside]]]
        subsidised = np.where(
            hh_reg,
            rng.random(n) < 0.97,
            np.where(p.dibao[normal] | p.tekun[normal], True, rng.random(n) < 0.04),
        )
        names = p.name.take(pa.array(normal))
        renamed = np.concatenate([sj02, spell]).astype(np.int64)
        if len(renamed):
            originals = p.name.take(pa.array(renamed)).to_pylist()
            changed = [_name_variant(rng, s) for s in originals[: len(sj02)]]
            changed += [_spelling_variant(rng, s) for s in originals[len(sj02) :]]
            mask = np.zeros(n, dtype=bool)
            pos = np.searchsorted(normal, renamed)
            mask[pos] = True
            replacement = np.empty(n, dtype=object)
            replacement[pos] = changed
            names = pc.if_else(pa.array(mask), pa.array(replacement, pa.string()), names)
        ids = p.id.take(pa.array(normal))
        valid = np.ones(n, dtype=bool)
        # residents' IDs a clerk mistyped — never the name and first 14 digits of a register member
        typo = outsider & (rng.random(n) < 0.003)
        if typo.any():
            at = normal[typo]
            bad = self.typo_ids(rng, at)
            their = self._name_keys(at)
            clash = pc.is_in(their, value_set=keys).to_numpy(zero_copy_only=False)
            ok = np.flatnonzero(typo)[~clash]
            bad = bad.filter(pa.array(~clash))
            mask = np.zeros(n, dtype=bool)
            mask[ok] = True
            repl = np.empty(n, dtype=object)
            repl[ok] = bad.to_pylist()
            ids = pc.if_else(pa.array(mask), pa.array(repl, pa.string()), ids)
            valid[ok] = False
        year = self.as_of.year
        rows.add(
            n,
            id_number=ids,
            name=names,
            year=year,
            basic_enrolled=basic,
            serious_illness_enrolled=serious,
            subsidised=subsidised,
            id_valid=valid,
        )
        # SB02 rows: variant 0 no row at all, 1 last year's row only, 2 this year's row marked 未参保
        last = sb02[variant == 1]
        rows.add(
            len(last),
            **self.person_cols(last),
            year=year - 1,
            basic_enrolled=True,
            serious_illness_enrolled=True,
            subsidised=True,
        )
        no = sb02[variant == 2]
        rows.add(
            len(no),
            **self.person_cols(no),
            year=year,
            basic_enrolled=False,
            serious_illness_enrolled=False,
            subsidised=False,
        )
        if len(sj03):
            rows.add(
                len(sj03),
                id_number=self.typo_ids(rng, sj03),
                name=p.name.take(pa.array(sj03)),
                year=year,
                basic_enrolled=True,
                serious_illness_enrolled=True,
                subsidised=True,
                id_valid=False,
            )
        # noise: last year's rows of some registered members (the rule looks at this year only)
        prev = self.with_prob(rng, reg[~used[reg]], 0.05)
        rows.add(
            len(prev),
            **self.person_cols(prev),
            year=year - 1,
            basic_enrolled=rng.random(len(prev)) < 0.5,
            serious_illness_enrolled=True,
            subsidised=True,
        )
        # SJ02 reads the latest enrolment only: an older mistyped name does not count, and an older right
        # name does not excuse the latest mistyped one
        typos = [_name_variant(rng, s) for s in p.name.take(pa.array(old_typo)).to_pylist()]
        rows.add(
            len(old_typo),
            id_number=p.id.take(pa.array(old_typo)),
            name=pa.array(typos, pa.string()),
            year=year - 2,
            basic_enrolled=True,
            serious_illness_enrolled=True,
            subsidised=True,
        )
        right = sj02[: len(sj02) // 2]
        rows.add(
            len(right),
            **self.person_cols(right),
            year=year - 1,
            basic_enrolled=True,
            serious_illness_enrolled=True,
            subsidised=True,
        )
        return rows

    def _special_names(self, mask: np.ndarray) -> np.ndarray:
        """People (of ``mask``) whose name has a middle dot or a character written differently in 繁体."""
        p = self.pop
        people = np.flatnonzero(mask)
        if not len(people):
            return people
        chars = "".join(sorted(set(nm.TRADITIONAL) | set(nm.TRADITIONAL.values())))
        hit = pc.match_substring_regex(p.name.take(pa.array(people)), f"[\u00b7{chars}]").fill_null(False)
        return people[hit.to_numpy(zero_copy_only=False)]

    def _name_keys(self, people: np.ndarray) -> pa.Array:
        """First 14 digits and name as SJ03 compares them (the name's comparison key, namekeys.py)."""
        at = pa.array(np.asarray(people, dtype=np.int64))
        first14 = pc.utf8_slice_codeunits(self.pop.id.take(at), 0, 14)
        return _join(first14, "|", namekeys.keys(self.pop.name.take(at)))

    def _unique_keys(self, keys: pa.Array) -> np.ndarray:
        """Per person of the population: True when no other register member has the same name and first 14."""
        p = self.pop
        people = np.flatnonzero((p.kind == REG) | (p.kind == ORD))
        unique = np.zeros(p.n, dtype=bool)
        if not len(people):
            return unique
        enc = keys.dictionary_encode()
        counts = np.bincount(enc.indices.to_numpy(), minlength=len(enc.dictionary))
        unique[people] = counts[enc.indices.to_numpy()] == 1
        return unique
