"""The doubt-rule catalogue written again in plain pandas: the benchmark's baseline (bench/compare_bench.py).

One function a rule (CP01 … CF01), written the way an analyst would with pandas: read the snapshot and the
department Parquet files with ``pd.read_parquet`` (default dtypes), turn dates into ``datetime64`` and money
into floats, then merges, ``groupby`` and boolean masks. Nothing is tuned; nothing loops over rows in Python
except formatting the evidence text of the rows found.

It gives the same rows as the SQL in ``data/rules.toml`` (``engine.run_catalogue``), with the same ``detail``
text: money printed with two decimals as DuckDB prints DECIMAL(14,2), dates ISO, integers plain. SQL's NULL
rules are followed where pandas differs (a NULL never equals anything, ``NOT NULL`` is not true, NULL keys
never join). Thresholds come from the catalogue's rule parameters. A rule whose dataset has no file is
skipped, as the engine does, and so is a rule whose policy numbers no county has (counties without them
are named, as the engine names them). Names are compared by ``namekeys.keys``, the engine's name keys.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jingzhun.comparison import datasets as ds
from jingzhun.comparison import namekeys
from jingzhun.comparison.engine import (
    FINDING_COLUMNS,
    Catalogue,
    RuleOutcome,
    RuleSpec,
    load_catalogue,
    minus_months,
    policy_note,
)

KEYS = ["household_number", "person_number", "id_number", "name", "village_code"]
OUT = list(FINDING_COLUMNS[1:])

# Columns each table is read with (the analyst reads what the rules use, not the whole file).
SNAPSHOT_COLUMNS = {
    "households": [
        "household_number",
        "village_code",
        "head_name",
        "attribute",
        "poverty_status",
        "main_cause",
        "relocated",
        "monitoring_type",
        "risk_types",
        "risk_elimination",
        "first_identified_on",
        "monitoring_identified_on",
        "risk_eliminated_on",
        "phone_shape",
    ],
    "members": [
        "household_number",
        "village_code",
        "person_number",
        "name",
        "id_number",
        "sex",
        "birth_date",
        "relation",
        "education",
        "schooling",
        "health",
        "disability_category",
        "migrant_months",
        "migrant_place",
        "speaks_mandarin",
        "basic_medical_insurance",
        "employee_medical_insurance",
        "serious_illness_insurance",
        "commercial_medical_insurance",
        "basic_pension_insurance",
        "dibao",
        "tekun",
        "left_on",
    ],
    "years": ["household_number", "village_code", "year", "per_capita_net_income", "water_safe"],
}
DATASET_COLUMNS = {
    "payroll": ["id_number", "employer", "start_on", "end_on"],
    "vehicles": ["id_number", "plate", "vehicle_type", "price", "registered_on"],
    "business": ["id_number", "role", "entity_name", "capital", "established_on", "state"],
    "property": ["id_number", "property_type", "location", "registered_on"],
    "civil_assistance": ["id_number", "name", "region_code", "kind", "start_on", "end_on"],
    "disability": [
        "id_number",
        "name",
        "certificate_number",
        "region_code",
        "category",
        "grade",
        "issued_on",
        "valid",
    ],
    "education": ["id_number", "school", "state", "state_on"],
    "housing": ["id_number", "grade", "assessed_on", "renovated"],
    "medical_enrolment": ["id_number", "name", "year", "basic_enrolled", "row_number"],
    "medical_expense": ["id_number", "settled_on", "self_paid"],
    "police_events": ["id_number", "event", "event_on"],
}


# ------------------------------------------------------------------------------------------------------
# Small helpers: SQL's NULL logic and DuckDB's text for values
# ------------------------------------------------------------------------------------------------------


def is_true(s: pd.Series) -> pd.Series:
    """``WHERE x``: NULL is not true."""
    return s.eq(True)


def is_false(s: pd.Series) -> pd.Series:
    """``WHERE NOT x``: NOT NULL is NULL, not true."""
    return s.eq(False)


def blank(s: pd.Series) -> pd.Series:
    """``COALESCE(x, '') = ''``."""
    return s.fillna("").eq("")


def iso(s: pd.Series) -> pd.Series:
    return s.dt.strftime("%Y-%m-%d").astype("str")


def money(s: pd.Series) -> pd.Series:
    """DECIMAL(…, 2) as DuckDB prints it: two decimals, no grouping."""
    return s.round(2).map("{:.2f}".format).astype("str")


def integer(s: pd.Series) -> pd.Series:
    return s.astype("Int64").astype(str)


def contains(s: pd.Series, text: str) -> pd.Series:
    """``x LIKE '%text%'`` (NULL is not a match)."""
    return s.str.contains(text, regex=False, na=False)


def between(s: pd.Series, low: Any, high: Any) -> pd.Series:
    return (s >= low) & (s <= high)


def findings(frame: pd.DataFrame, detail: pd.Series, **columns: Any) -> pd.DataFrame:
    """The rule's output columns: KEYS from ``frame`` unless given (None for a NULL column), and detail."""
    out = pd.DataFrame(index=frame.index)
    for key in KEYS:
        value = columns.get(key, frame[key] if key in frame else None)
        out[key] = value if value is not None else pd.Series(None, index=frame.index, dtype="str")
    out["detail"] = detail
    return out


# ------------------------------------------------------------------------------------------------------
# The data: snapshot tables and department datasets as DataFrames, and the catalogue's shared views
# ------------------------------------------------------------------------------------------------------


class Data:
    """Frames read once and shared by the rules (the catalogue's views become properties)."""

    def __init__(
        self,
        snapshot_path: Path | str,
        dataset_files: Mapping[str, Sequence[str]],
        as_of: dt.date,
        load_regions: Mapping[str, str | None] | None = None,
    ):
        self.path = Path(snapshot_path)
        self.files = {code: list(paths) for code, paths in dataset_files.items() if paths}
        self.load_regions = dict(load_regions or {})
        self.as_of = pd.Timestamp(as_of)
        self.as_of_year = as_of.year
        self.as_of_mmdd = as_of.month * 100 + as_of.day
        self.minus_12m = pd.Timestamp(minus_months(as_of, 12))
        self._datasets: dict[str, pd.DataFrame] = {}

    # --- reading ---

    @staticmethod
    def _typed(df: pd.DataFrame, dates: Sequence[str] = (), moneys: Sequence[str] = ()) -> pd.DataFrame:
        for col in dates:
            df[col] = pd.to_datetime(df[col])
        for col in moneys:
            df[col] = df[col].astype(float)
        return df

    def _snapshot_table(self, table: str, **types: Sequence[str]) -> pd.DataFrame:
        return self._typed(pd.read_parquet(self.path / table, columns=SNAPSHOT_COLUMNS[table]), **types)

    def dataset(self, code: str) -> pd.DataFrame:
        """The dataset's rows whose ID is valid (``d.id_valid``)."""
        return self._dataset(code)[lambda d: is_true(d.id_valid)]

    def _dataset(self, code: str) -> pd.DataFrame:
        cached = self._datasets
        if code not in cached:
            dataset = ds.BY_CODE[code]
            cols = [*DATASET_COLUMNS[code], "id_valid"]
            if code == "education" or code == "housing":
                cols.append("row_number")
            frames = [
                pd.read_parquet(f, columns=cols).assign(load_region=self.load_regions.get(f) or None)
                for f in self.files.get(code, [])
            ]
            df = (
                pd.concat(frames, ignore_index=True)
                if frames
                else pd.DataFrame(columns=[*cols, "load_region"])
            )
            types = {c.key: c.type for c in dataset.columns}
            cached[code] = self._typed(
                df,
                dates=[c for c in cols if types.get(c) == ds.T.DATE],
                moneys=[c for c in cols if types.get(c) == ds.T.MONEY],
            )
        return cached[code]

    def preload(self, codes: Sequence[str]) -> None:
        """Read every table the chosen rules need (the analyst's first cell)."""
        self.households, self.members, self.years, self.policy  # noqa: B018
        for code in codes:
            if code in self.files:
                self._dataset(code)

    @cached_property
    def households(self) -> pd.DataFrame:
        return self._snapshot_table(
            "households", dates=["first_identified_on", "monitoring_identified_on", "risk_eliminated_on"]
        )

    @cached_property
    def members(self) -> pd.DataFrame:
        return self._snapshot_table("members", dates=["birth_date", "left_on"])

    @cached_property
    def years(self) -> pd.DataFrame:
        return self._snapshot_table("years", moneys=["per_capita_net_income"])

    @cached_property
    def policy(self) -> pd.DataFrame:
        path = self.path / "policy.parquet"
        cols = ["county_code", "year", "poverty_line", "monitoring_line", "medical_self_pay_trigger"]
        df = pd.read_parquet(path) if path.exists() else pd.DataFrame(columns=cols)
        return self._typed(df[cols], moneys=cols[2:])

    # --- the catalogue's views ---

    @cached_property
    def registered(self) -> pd.DataFrame:
        h = self.households
        r = h[~blank(h.poverty_status) | ~blank(h.monitoring_type)].copy()
        r["registered_on"] = r.first_identified_on.fillna(r.monitoring_identified_on)
        r["exited"] = r.poverty_status.isin(["1", "4"])
        r["monitored"] = ~blank(r.monitoring_type) & r.risk_elimination.fillna("").isin(["", "0"])
        return r

    @cached_property
    def people(self) -> pd.DataFrame:
        p = self.members[self.members.left_on.isna()].copy()
        b = p.birth_date
        later = (b.dt.month * 100 + b.dt.day) > self.as_of_mmdd
        p["age"] = (self.as_of_year - b.dt.year - later.astype(int)).astype("Int64")
        return p

    @cached_property
    def registered_people(self) -> pd.DataFrame:
        r = self.registered[
            [
                "household_number",
                "registered_on",
                "exited",
                "monitored",
                "poverty_status",
                "relocated",
                "risk_types",
            ]
        ]
        return self.people.merge(r, on="household_number")

    @cached_property
    def registered_ids(self) -> pd.Series:
        return self.registered_people.id_number.dropna()

    @cached_property
    def latest_year(self) -> pd.DataFrame:
        y = self.years
        return y[y.year == y.groupby("household_number").year.transform("max")]

    def _latest(self, code: str, date: str) -> pd.DataFrame:
        """Each person's newest record up to as_of (ties: the later row of the file)."""
        d = self.dataset(code)
        d = d[d[date] <= self.as_of].sort_values([date, "row_number"], ascending=False)
        return d.drop_duplicates("id_number", keep="first")

    @cached_property
    def education_latest(self) -> pd.DataFrame:
        return self._latest("education", "state_on")

    @cached_property
    def housing_latest(self) -> pd.DataFrame:
        return self._latest("housing", "assessed_on")

    def with_policy(self, frame: pd.DataFrame, year: pd.Series | int) -> pd.DataFrame:
        """``JOIN policy pl ON pl.county_code = SUBSTR(village_code, 1, 6) AND pl.year = year``."""
        frame = frame.assign(_county=frame.village_code.str[:6], _year=year)
        pl = self.policy.rename(columns={"county_code": "_county", "year": "_year"})
        return frame.merge(pl, on=["_county", "_year"])


# ------------------------------------------------------------------------------------------------------
# 错评
# ------------------------------------------------------------------------------------------------------


def cp01(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    m = d.registered_people.merge(d.dataset("payroll"), on="id_number")
    m = m[(m.start_on <= m.registered_on) & (m.end_on.isna() | (m.end_on > m.registered_on))]
    g = (
        m.groupby(KEYS, dropna=False)
        .agg(
            employer=("employer", "min"), start_on=("start_on", "min"), registered_on=("registered_on", "min")
        )
        .reset_index()
    )
    return findings(
        g, "财政供养：" + g.employer + "，入编日期 " + iso(g.start_on) + "，识别时间 " + iso(g.registered_on)
    )


def cp02(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    v = d.dataset("vehicles")
    v = v[
        v.vehicle_type.notna()
        & ~v.vehicle_type.isin(["三轮汽车", "摩托车"])
        & (v.price > p["vehicle_price_min"])
    ]
    m = d.registered_people.merge(v.rename(columns={"registered_on": "vehicle_on"}), on="id_number")
    m = m[m.vehicle_on <= m.registered_on]
    g = (
        m.groupby(KEYS, dropna=False)
        .agg(
            plate=("plate", "min"),
            vehicle_type=("vehicle_type", "min"),
            price=("price", "max"),
            vehicle_on=("vehicle_on", "min"),
        )
        .reset_index()
    )
    return findings(
        g,
        "机动车 "
        + g.plate
        + "（"
        + g.vehicle_type
        + "），购置价格 "
        + money(g.price)
        + " 元，登记日期 "
        + iso(g.vehicle_on),
    )


def cp03(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    b = d.dataset("business")
    b = b[
        b.role.isin(["法定代表人", "股东"])
        & b.state.isin(["存续", "在业"])
        & (b.capital.fillna(0) >= p["capital_min"])
    ]
    m = d.registered_people.merge(b, on="id_number")
    m = m[m.established_on <= m.registered_on]
    g = (
        m.groupby(KEYS, dropna=False)
        .agg(
            role=("role", "min"),
            entity_name=("entity_name", "min"),
            capital=("capital", "max"),
            established_on=("established_on", "min"),
        )
        .reset_index()
    )
    return findings(
        g,
        g.role
        + "："
        + g.entity_name
        + "，注册资本 "
        + money(g.capital)
        + " 万元，成立日期 "
        + iso(g.established_on),
    )


def cp04(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    pr = d.dataset("property").rename(columns={"registered_on": "property_on"})
    m = d.registered_people.merge(pr, on="id_number")
    kind = m.property_type
    m = m[
        (m.property_on <= m.registered_on)
        & (kind.isin(["商铺", "写字楼"]) | ((kind == "商品住房") & is_false(m.relocated)))
    ]
    g = (
        m.groupby(KEYS, dropna=False)
        .agg(
            property_type=("property_type", "min"),
            location=("location", "min"),
            property_on=("property_on", "min"),
        )
        .reset_index()
    )
    return findings(g, g.property_type + "：" + g.location + "，登记日期 " + iso(g.property_on))


# ------------------------------------------------------------------------------------------------------
# 漏评
# ------------------------------------------------------------------------------------------------------


def lp01(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    c = d.dataset("civil_assistance")
    c = c[
        c.kind.isin(["低保", "特困供养"])
        & (c.start_on <= d.as_of)
        & (c.end_on.isna() | (c.end_on > d.as_of))
        & ~c.id_number.isin(d.registered_ids)
    ]
    g = (
        c.groupby("id_number")
        .agg(
            name=("name", "min"),
            village_code=("region_code", "min"),
            kind=("kind", "min"),
            start_on=("start_on", "min"),
        )
        .reset_index()
    )
    return findings(
        g,
        "民政在保：" + g.kind + "，自 " + iso(g.start_on) + " 起，未纳入建档立卡或监测",
        household_number=None,
        person_number=None,
    )


def lp02(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    c = d.dataset("disability")
    c = c[
        is_true(c.valid)
        & c.grade.isin(["一级", "二级"])
        & (c.issued_on <= d.as_of)
        & ~c.id_number.isin(d.registered_ids)
    ]
    g = (
        c.groupby("id_number")
        .agg(
            name=("name", "min"),
            region_code=("region_code", "min"),
            load_region=("load_region", "min"),
            certificate_number=("certificate_number", "min"),
            category=("category", "min"),
            grade=("grade", "min"),
        )
        .reset_index()
    )
    return findings(
        g,
        "残疾人证 " + g.certificate_number + "：" + g.category + g.grade + "，未纳入建档立卡或监测",
        household_number=None,
        person_number=None,
        village_code=g.region_code.fillna(g.load_region),
    )


# ------------------------------------------------------------------------------------------------------
# 错退
# ------------------------------------------------------------------------------------------------------


def ct01(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    m = d.registered_people.merge(d.education_latest, on="id_number")
    m = m[m.exited & between(m.age, 6, 15).fillna(False) & (m.state == "辍学")]
    g = (
        m.groupby(KEYS, dropna=False)
        .agg(school=("school", "min"), state_on=("state_on", "min"), age=("age", "min"))
        .reset_index()
    )
    return findings(g, "学籍：" + g.school + "，" + iso(g.state_on) + " 辍学，" + integer(g.age) + " 岁")


def _bad_housing(d: Data, exited: bool) -> pd.DataFrame:
    m = d.registered_people.merge(d.housing_latest, on="id_number")
    m = m[(m.exited == exited) & (m.relation == "01") & m.grade.isin(["C", "D"]) & is_false(m.renovated)]
    g = (
        m.groupby(["household_number", "village_code"], dropna=False)
        .agg(
            id_number=("id_number", "min"),
            name=("name", "min"),
            grade=("grade", "min"),
            assessed_on=("assessed_on", "min"),
        )
        .reset_index()
    )
    return findings(
        g, "住房鉴定 " + g.grade + " 级（" + iso(g.assessed_on) + "），未改造", person_number=None
    )


def ct02(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    return _bad_housing(d, exited=True)


def _latest_income(d: Data, frame: pd.DataFrame) -> pd.DataFrame:
    """Households joined to their latest year and that year's policy row."""
    y = d.latest_year[["household_number", "year", "per_capita_net_income", "water_safe"]]
    m = frame[["household_number", "head_name", "village_code"]].merge(y, on="household_number")
    return d.with_policy(m, m.year)


def ct03(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    r = d.registered
    m = _latest_income(d, r[r.exited])
    m = m[m.poverty_line.notna() & (m.per_capita_net_income < m.poverty_line)]
    return findings(
        m,
        m.year.astype(str)
        + " 年人均纯收入 "
        + money(m.per_capita_net_income)
        + " 元，低于贫困线 "
        + money(m.poverty_line)
        + " 元",
        person_number=None,
        id_number=None,
        name=m.head_name,
    )


# ------------------------------------------------------------------------------------------------------
# 三保障和饮水安全
# ------------------------------------------------------------------------------------------------------


def sb01(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    rp = d.registered_people
    rp = rp[between(rp.age, 6, 15).fillna(False)]
    m = rp.merge(d.education_latest[["id_number", "state"]], on="id_number", how="left")
    m["reading"] = m.state.eq("在读")
    g = (
        m.groupby([*KEYS, "age"], dropna=False)
        .agg(state=("state", "min"), reading=("reading", "max"))
        .reset_index()
    )
    g = g[~g.reading]
    record = ("最新状态：" + g.state).fillna("中无记录")
    return findings(g, integer(g.age) + " 岁，学籍" + record)


def sb02(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    e = d.dataset("medical_enrolment")
    e = e.loc[e.year == d.as_of_year, ["id_number", "basic_enrolled"]]
    m = d.registered_people[KEYS].merge(e, on="id_number", how="left", indicator=True)
    m["listed"] = m["_merge"].eq("both") & m.id_number.notna()
    m["enrolled"] = is_true(m.basic_enrolled) & m.listed
    g = (
        m.groupby(KEYS, dropna=False)
        .agg(listed=("listed", "max"), enrolled=("enrolled", "max"))
        .reset_index()
    )
    g = g[~g.enrolled]
    text = np.where(g.listed, "标为未参保", "参保名单中无此人")
    return findings(g, f"{d.as_of_year} 年度" + pd.Series(text, index=g.index, dtype="str"))


def sb03(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    return _bad_housing(d, exited=False)


def sb04(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    y = d.latest_year[["household_number", "year", "water_safe"]]
    m = d.registered[["household_number", "head_name", "village_code"]].merge(y, on="household_number")
    m = m[is_false(m.water_safe)]
    return findings(
        m,
        m.year.astype(str) + " 年度：未解决安全饮用水",
        person_number=None,
        id_number=None,
        name=m.head_name,
    )


def sb05(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    rp = d.registered_people
    m = rp[contains(rp.health, ",3,") & is_false(rp.serious_illness_insurance)]
    return findings(m, pd.Series("患有大病，未参加大病保险", index=m.index, dtype="str"))


# ------------------------------------------------------------------------------------------------------
# 监测预警
# ------------------------------------------------------------------------------------------------------


def _recent(d: Data, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows dated within the 12 months up to as_of (``> as_of_minus_12m AND <= as_of``)."""
    return frame[(frame[column] > d.minus_12m) & (frame[column] <= d.as_of)]


def _unmonitored_people(d: Data) -> pd.DataFrame:
    """People of ordinary households, or of registered households that are not monitored (risk open)."""
    r = d.registered[["household_number", "monitored"]].rename(columns={"monitored": "r_monitored"})
    q = d.people.merge(r, on="household_number", how="left", indicator=True)
    q["registered"] = q["_merge"].eq("both")
    return q[~q.registered | is_false(q.r_monitored)].drop(columns="_merge")


def jc01(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    q = _unmonitored_people(d)[[*KEYS, "registered"]]
    pl = d.policy.loc[d.policy.year == d.as_of_year, ["county_code", "medical_self_pay_trigger"]]
    q = q.assign(county_code=q.village_code.str[:6]).merge(pl, on="county_code", how="left")
    general = float(p["general_self_pay_min"])
    q["trigger_line"] = np.where(
        q.registered, q.medical_self_pay_trigger, general
    )  # no default: NaN never hits
    e = _recent(d, d.dataset("medical_expense"), "settled_on")[["id_number", "self_paid"]]
    m = q.merge(e, on="id_number")
    g = (
        m.groupby(KEYS, dropna=False)
        .agg(self_paid=("self_paid", "sum"), trigger_line=("trigger_line", "min"))
        .reset_index()
    )
    g = g[g.self_paid.round(2) >= g.trigger_line]
    return findings(
        g, "近12个月个人自付 " + money(g.self_paid) + " 元，预警线 " + money(g.trigger_line) + " 元"
    )


def jc02(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    c = d.dataset("disability")
    c = _recent(d, c[is_true(c.valid) & c.grade.isin(["一级", "二级"])], "issued_on")
    c = c.drop(columns="name")
    rp = d.registered_people
    m = rp[is_false(rp.monitored)].merge(c, on="id_number")
    g = (
        m.groupby(KEYS, dropna=False)
        .agg(
            certificate_number=("certificate_number", "min"),
            category=("category", "min"),
            grade=("grade", "min"),
            issued_on=("issued_on", "min"),
        )
        .reset_index()
    )
    return findings(
        g,
        "新办残疾人证 "
        + g.certificate_number
        + "："
        + g.category
        + g.grade
        + "，发证日期 "
        + iso(g.issued_on),
    )


def jc03(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    h = d.households
    m = _latest_income(d, h[h.risk_elimination == "1"])
    m = m[m.monitoring_line.notna() & (m.per_capita_net_income <= m.monitoring_line)]
    return findings(
        m,
        m.year.astype(str)
        + " 年人均纯收入 "
        + money(m.per_capita_net_income)
        + " 元，监测范围 "
        + money(m.monitoring_line)
        + " 元",
        person_number=None,
        id_number=None,
        name=m.head_name,
    )


def jc04(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    h = d.households
    start, end = h.monitoring_identified_on, h.risk_eliminated_on
    months = (end.dt.year * 12 + end.dt.month) - (start.dt.year * 12 + start.dt.month)
    m = h[(h.risk_elimination == "1") & start.notna() & end.notna() & (months <= 1)]
    return findings(
        m,
        "识别 " + iso(m.monitoring_identified_on) + "，帮扶消除 " + iso(m.risk_eliminated_on),
        person_number=None,
        id_number=None,
        name=m.head_name,
    )


def jc05(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    e = _recent(d, d.dataset("medical_expense"), "settled_on")
    paid = e.loc[e.self_paid > 0, ["id_number"]].merge(
        d.people[["household_number", "id_number"]], on="id_number"
    )
    r = d.registered
    m = r[r.monitored & contains(r.risk_types, ",1,") & ~r.household_number.isin(paid.household_number)]
    return findings(
        m,
        pd.Series("风险类型含因病，近12个月全家医疗个人自付为 0", index=m.index, dtype="str"),
        person_number=None,
        id_number=None,
        name=m.head_name,
    )


def jc06(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    rp = d.registered_people[[*KEYS, "registered_on"]].reset_index(names="_person")
    m = rp.merge(d.dataset("payroll"), on="id_number")
    before = (m.start_on <= m.registered_on) & (m.end_on.isna() | (m.end_on > m.registered_on))
    already = m.loc[before, "_person"]  # on the payroll when registered: CP01, not this rule
    m = m[
        (m.start_on > m.registered_on)
        & (m.end_on.isna() | (m.end_on > d.as_of))
        & ~m["_person"].isin(already)
    ]
    g = (
        m.groupby(KEYS, dropna=False)
        .agg(employer=("employer", "min"), start_on=("start_on", "min"))
        .reset_index()
    )
    return findings(g, "识别后入编：" + g.employer + "，入编日期 " + iso(g.start_on))


# ------------------------------------------------------------------------------------------------------
# 数据质量
# ------------------------------------------------------------------------------------------------------


def sj01(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    e = d.dataset("police_events")
    e = e[(e.event == "死亡") & (e.event_on <= d.as_of)]
    m = d.people[KEYS].merge(e, on="id_number")
    g = m.groupby(KEYS, dropna=False).agg(event_on=("event_on", "min")).reset_index()
    return findings(g, "公安死亡注销：" + iso(g.event_on))


def name_keys(s: pd.Series) -> pd.Series:
    """Each name's comparison key (``namekeys.keys``)."""
    import pyarrow as pa

    return pd.Series(
        namekeys.keys(pa.array(s.astype(object), pa.string())).to_pylist(), index=s.index, dtype="str"
    )


def sj02(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    e = d.dataset("medical_enrolment")[["id_number", "name", "year", "row_number"]]
    latest = e.sort_values(["year", "row_number"], ascending=False).drop_duplicates("id_number")
    m = d.people[KEYS].merge(latest.rename(columns={"name": "insured_name"}), on="id_number")
    m = m[m.insured_name.notna() & m.name.notna() & (m.insured_name != m.name)]
    m = m[name_keys(m.insured_name) != name_keys(m.name)]
    return findings(
        m,
        "登记姓名「"
        + m.name
        + "」，医保登记姓名「"
        + m.insured_name
        + "」（"
        + integer(m.year)
        + " 年度参保登记）",
    )


def sj03(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    e = d._dataset("medical_enrolment")
    e = e.loc[is_false(e.id_valid) & e.id_number.notna() & e.name.notna(), ["id_number", "name"]]
    e = e.assign(id14=e.id_number.str[:14], key=name_keys(e.name))
    e = e.drop(columns="name").rename(columns={"id_number": "insured_id"})
    q = d.people[KEYS].dropna(subset=["id_number", "name"])
    m = q.assign(id14=q.id_number.str[:14], key=name_keys(q.name)).merge(e, on=["key", "id14"])
    m = m[m.insured_id != m.id_number]
    g = m.groupby(KEYS, dropna=False).agg(insured_id=("insured_id", "min")).reset_index()
    return findings(g, "医保登记证件号码 " + g.insured_id + "（校验位错误）")


def _male_by_id(ids: pd.Series) -> pd.Series:
    """The ID's 17th character odd (NULL for no ID)."""
    return ids.str[16].isin(list("13579")).where(ids.notna())


def sj04(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    people = d.people
    heads = people.loc[people.relation == "01", ["household_number", "name", "id_number"]]
    spouses = people[people.relation == "02"]
    m = spouses.merge(
        heads.rename(columns={"name": "head_name", "id_number": "head_id"}), on="household_number"
    )
    same = _male_by_id(m.id_number), _male_by_id(m.head_id)
    m = m[same[0].notna() & same[1].notna() & (same[0] == same[1])]
    g = m.groupby(KEYS, dropna=False).agg(head_name=("head_name", "min")).reset_index()
    return findings(g, "户主 " + g.head_name + " 与配偶 " + g.name + " 的证件号码显示性别相同")


def sj05(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    people = d.people
    heads = people[people.relation == "01"].groupby("household_number").size().rename("heads").reset_index()
    h = d.households
    h = h[h.household_number.isin(people.household_number)].merge(heads, on="household_number", how="left")
    h["heads"] = h.heads.fillna(0).astype(int)
    m = h[h.heads != 1]
    return findings(
        m, "在册户主人数：" + m.heads.astype(str), person_number=None, id_number=None, name=m.head_name
    )


def sj06(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    people = d.people
    sick = people.loc[contains(people.health, ",2,") | contains(people.health, ",3,"), "household_number"]
    disabled = people.loc[
        contains(people.health, ",4,") | ~blank(people.disability_category), "household_number"
    ]
    students = people.loc[people.schooling.fillna("") != "", "household_number"]
    r = d.registered
    cause, hh = r.main_cause, r.household_number
    m = r[
        ((cause == "1") & ~hh.isin(sick))
        | ((cause == "2") & ~hh.isin(disabled))
        | ((cause == "3") & ~hh.isin(students))
    ]
    text = np.select(
        [m.main_cause == "1", m.main_cause == "2"],
        ["主要致贫原因为因病，但没有患病成员", "主要致贫原因为因残，但没有残疾成员"],
        "主要致贫原因为因学，但没有在校生",
    )
    return findings(
        m, pd.Series(text, index=m.index, dtype="str"), person_number=None, id_number=None, name=m.head_name
    )


def sj07(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    people = d.people
    months, place = people.migrant_months, people.migrant_place
    m = people[((months > 0) & blank(place)) | ((months.fillna(0) == 0) & ~blank(place))]
    text = np.where(
        m.migrant_months > 0,
        "务工 " + integer(m.migrant_months) + " 个月，未填务工所在地",
        "务工所在地 " + m.migrant_place.fillna("") + "，务工 0 个月",
    )
    return findings(m, pd.Series(text, index=m.index, dtype="str"))


def sj08(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    y = d.latest_year[["household_number", "year", "per_capita_net_income"]]
    m = d.registered[["household_number", "head_name", "village_code"]].merge(y, on="household_number")
    income = m.per_capita_net_income
    m = m[(income <= 0) | (income > p["income_max"])]
    return findings(
        m,
        m.year.astype(str) + " 年人均纯收入 " + money(m.per_capita_net_income) + " 元",
        person_number=None,
        id_number=None,
        name=m.head_name,
    )


def sj09(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    people = d.people
    with_dibao = people.loc[is_true(people.dibao), "household_number"]
    r = d.registered
    m = r[r.attribute.isin(["02", "04", "07", "08"]) & ~r.household_number.isin(with_dibao)]
    return findings(
        m,
        pd.Series("属性为低保户，但没有成员享受低保", index=m.index, dtype="str"),
        person_number=None,
        id_number=None,
        name=m.head_name,
    )


def sj10(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    rp = d.registered_people
    senior = rp.schooling.isin(["11", "12", "13", "94"])
    m = rp[
        (senior & (rp.age <= 14)).fillna(False)
        | (rp.schooling.isin(["01", "02", "03"]) & (rp.age >= 20)).fillna(False)
    ]
    stage = np.select(
        [m.schooling.isin(["11", "12", "13", "94"]), m.schooling == "03"], ["高中", "小学"], "学前"
    )
    return findings(m, integer(m.age) + " 岁，在校生状况 " + pd.Series(stage, index=m.index, dtype="str"))


def cf01(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    people = d.people
    counts = people.groupby("id_number").household_number.nunique()
    counts = counts[counts > 1].rename("households").reset_index()
    m = people[KEYS].merge(counts, on="id_number")
    return findings(m, "该证件号码在 " + m.households.astype(str) + " 户中在册")


# --- the county tools' logic checks (逻辑校验) ---


def _text(m: pd.DataFrame, text: str) -> pd.Series:
    return pd.Series(text, index=m.index, dtype="str")


def sj11(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    people = d.people
    m = people[blank(people.education) == blank(people.schooling)]
    text = np.where(blank(m.education), "文化程度和在校生状况都未填写", "文化程度和在校生状况同时填写")
    return findings(m, pd.Series(text, index=m.index, dtype="str"))


def sj12(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    spouses = d.people[d.people.relation == "02"]
    counts = spouses.groupby("household_number").size().rename("spouses").reset_index()
    m = spouses.merge(counts[counts.spouses > 1], on="household_number")
    return findings(m, "本户有 " + m.spouses.astype(str) + " 名配偶")


def sj13(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    people = d.people
    m = people[people.schooling.isin(["93", "94", "95", "96", "97"])]
    return findings(m, _text(m, "在校生状况只填了学段（旧表的值），未填年级"))


def sj14(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    m = d.people[blank(d.people.health)]
    return findings(m, _text(m, "健康状况为空"))


def sj15(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    rp = d.registered_people
    m = rp[~is_true(rp.serious_illness_insurance)]
    text = np.where(m.serious_illness_insurance.isna(), "是否参加大病保险未填写", "未参加大病保险")
    return findings(m, pd.Series(text, index=m.index, dtype="str"))


def sj16(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    h = d.households
    shape = h.phone_shape.fillna("")
    m = h[(shape != "9" * 11) & h.household_number.isin(d.people.household_number)]
    shape = m.phone_shape.fillna("")
    text = np.where(
        shape == "",
        "户联系电话为空",
        "户联系电话不是 11 位数字（" + shape.str.len().astype(str) + " 个字符）",
    )
    return findings(
        m, pd.Series(text, index=m.index, dtype="str"), person_number=None, id_number=None, name=m.head_name
    )


def _empty(d: Data, column: str, text: str) -> pd.DataFrame:
    m = d.people[d.people[column].isna()]
    return findings(m, _text(m, text))


def sj18(d: Data, p: Mapping[str, Any]) -> pd.DataFrame:
    people = d.people
    basic, employee = people.basic_medical_insurance, people.employee_medical_insurance
    m = people[basic.notna() & employee.notna() & (basic == employee)]
    text = np.where(
        is_true(m.basic_medical_insurance),
        "城乡居民医保和城镇职工医保同为“是”",
        "城乡居民医保和城镇职工医保同为“否”",
    )
    return findings(m, pd.Series(text, index=m.index, dtype="str"))


# The logic checks "… 为空": the flag's column and the evidence text.
EMPTY_FLAGS = {
    "SJ17": ("basic_pension_insurance", "是否参加城乡居民基本养老保险为空"),
    "SJ19": ("basic_medical_insurance", "是否参加城乡居民基本医疗保险为空"),
    "SJ20": ("employee_medical_insurance", "是否参加城镇职工基本医疗保险为空"),
    "SJ21": ("speaks_mandarin", "是否会讲普通话为空"),
    "SJ22": ("dibao", "是否享受农村最低生活保障为空（按“否”登记）"),
    "SJ23": ("serious_illness_insurance", "是否参加大病保险为空"),
    "SJ24": ("commercial_medical_insurance", "是否参加商业补充医疗保险为空"),
    "SJ25": ("tekun", "是否特困供养为空（按“否”登记）"),
}


def _empty_rule(column: str, text: str) -> Callable[[Data, Mapping[str, Any]], pd.DataFrame]:
    return lambda d, p: _empty(d, column, text)


RULES: dict[str, Callable[[Data, Mapping[str, Any]], pd.DataFrame]] = {
    "CP01": cp01,
    "CP02": cp02,
    "CP03": cp03,
    "CP04": cp04,
    "LP01": lp01,
    "LP02": lp02,
    "CT01": ct01,
    "CT02": ct02,
    "CT03": ct03,
    "SB01": sb01,
    "SB02": sb02,
    "SB03": sb03,
    "SB04": sb04,
    "SB05": sb05,
    "JC01": jc01,
    "JC02": jc02,
    "JC03": jc03,
    "JC04": jc04,
    "JC05": jc05,
    "JC06": jc06,
    "SJ01": sj01,
    "SJ02": sj02,
    "SJ03": sj03,
    "SJ04": sj04,
    "SJ05": sj05,
    "SJ06": sj06,
    "SJ07": sj07,
    "SJ08": sj08,
    "SJ09": sj09,
    "SJ10": sj10,
    "SJ11": sj11,
    "SJ12": sj12,
    "SJ13": sj13,
    "SJ14": sj14,
    "SJ15": sj15,
    "SJ16": sj16,
    "SJ18": sj18,
    "CF01": cf01,
    **{code: _empty_rule(column, text) for code, (column, text) in EMPTY_FLAGS.items()},
}


# ------------------------------------------------------------------------------------------------------
# Running
# ------------------------------------------------------------------------------------------------------


@dataclass
class BaselineResult:
    findings: pd.DataFrame
    outcomes: list[RuleOutcome]
    read_seconds: float
    seconds: float

    def counts(self) -> dict[str, int]:
        return {o.code: o.rows for o in self.outcomes if not o.skipped}


def _as_text(frame: pd.DataFrame, code: str) -> pd.DataFrame:
    out = pd.DataFrame({"rule_code": pd.Series(code, index=frame.index, dtype="str")})
    for col in OUT:
        out[col] = frame[col].astype("str")
    return out


def policy_gaps(d: Data, rule: RuleSpec) -> tuple[bool, str]:
    """The engine's ``policy_gaps`` in pandas: whether no county has the rule's policy numbers, and the note."""
    if rule.policy_year == "as_of":
        counties = d.households.village_code.dropna().str[:6].unique()
        needs = pd.DataFrame({"county_code": counties, "year": d.as_of_year})
    else:
        latest = d.years.groupby("household_number").agg(
            village_code=("village_code", "min"), year=("year", "max")
        )
        needs = pd.DataFrame(
            {"county_code": latest.village_code.str[:6], "year": latest.year}
        ).drop_duplicates()
    numbers = list(rule.policy)
    pl = d.policy.groupby(["county_code", "year"])[numbers].min().reset_index()
    m = needs.merge(pl, on=["county_code", "year"], how="left")
    missing = [
        (n, int(row["year"]), row["county_code"])
        for row in m.to_dict("records")
        for n in numbers
        if pd.isna(row[n])
    ]
    whole = len(m) > 0 and not m[numbers].notna().all(axis=1).any()
    return whole, policy_note(missing, whole=whole)


def run_rules(
    snapshot_path: Path | str,
    dataset_files: Mapping[str, Sequence[str]],
    as_of: dt.date,
    *,
    codes: Sequence[str] | None = None,
    catalogue: Catalogue | None = None,
    load_regions: Mapping[str, str | None] | None = None,
) -> BaselineResult:
    """Run the pandas rules (default: every rule that has one, ``pandas_twin``) and return the findings with
    per-rule rows and seconds."""
    started = time.perf_counter()
    catalogue = catalogue or load_catalogue()
    chosen = [r for r in catalogue.rules if (codes is None or r.code in codes) and r.code in RULES]
    data = Data(snapshot_path, dataset_files, as_of, load_regions)
    runnable = [r for r in chosen if all(data.files.get(c) for c in r.datasets)]
    data.preload(sorted({c for r in runnable for c in r.datasets}))
    read_seconds = time.perf_counter() - started
    frames, outcomes = [], []
    for rule in chosen:
        outcome = RuleOutcome(rule.code)
        outcomes.append(outcome)
        missing = [c for c in rule.datasets if not data.files.get(c)]
        if missing:
            outcome.skipped = "缺少部门数据：" + "、".join(ds.BY_CODE[c].name for c in missing)
            continue
        if rule.policy:
            whole, note = policy_gaps(data, rule)
            if whole:
                outcome.skipped = note
                continue
            outcome.partly_skipped = note
        t0 = time.perf_counter()
        found = _as_text(RULES[rule.code](data, rule.parameters), rule.code)
        outcome.seconds = time.perf_counter() - t0
        outcome.rows = len(found)
        frames.append(found)
    result = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({c: pd.Series(dtype="str") for c in FINDING_COLUMNS})
    )
    return BaselineResult(result, outcomes, read_seconds, time.perf_counter() - started)


def run_baseline(
    snapshot_path: Path | str, dataset_files: Mapping[str, Sequence[str]], as_of: dt.date
) -> pd.DataFrame:
    """Every rule of the catalogue in pandas: the findings, columns as ``engine.FINDING_COLUMNS``."""
    return run_rules(snapshot_path, dataset_files, as_of).findings


def finding_rows(frame: pd.DataFrame) -> set[tuple[str | None, ...]]:
    """The findings as a set of tuples (None for NULL), comparable with ``engine.finding_rows``."""
    columns = [[None if pd.isna(v) else v for v in frame[c].tolist()] for c in FINDING_COLUMNS]
    return set(zip(*columns, strict=True))
