"""Generated department data (行业部门数据) for a registry snapshot, with planted anomalies and their ground truth.

For demos, tests and load tests of the comparison (``engine.py``): given a snapshot (``snapshot.py``), write
for each of the twelve datasets of ``datasets.py`` the file a department would send, already in the STORED
Parquet format the rules read (typed columns, ``row_number``, ``id_valid``), and ``ground_truth.csv``: the
subjects each department rule of ``data/rules.toml`` must find, no more and no fewer.

What the files hold:

* **The whole population**, not only the register: every register member (registered households and the
  一般农户 in the register), and about ``2 × scale`` as many other residents of each county (valid IDs with
  the county's address code, Chinese names, a village of the county). At ``scale`` 1.0 the twelve files
  hold about ten rows per register member (medical enrolment and expenses ≈ 3× each, employment ≈ 1×, …).
* **Consistent everyday data**: every registered member is enrolled in basic medical insurance for the
  ``as_of`` year under the register's name, every registered child of 6–15 has a latest 在读 record,
  registered 低保/特困 members are in force at 民政, registered disabilities have certificates, household
  heads' houses are assessed, nobody's 12-month medical self-pay reaches the rule's threshold, …
* **Planted anomalies**, for each department rule of the catalogue (``PLANTED_RULES``): about ``PLANT_RATE``
  of the registered members per rule, at least ``MIN_PLANTS`` when the register has that many candidates,
  at most half of a small pool (JC05's monitored 因病 households, SB03's not-exited heads depend on the
  register), and **noise** next to each: rows that look like the anomaly but must not hit (a car bought
  after registration, an ended 低保, a renovated C-grade house, a large bill on the day the 12-month window
  starts, a 三级 certificate, a mistyped ID whose name and birth date match no register member, the
  register's name written in 繁体 or 简体, with another middle dot or a space, an older year's enrolment
  under a mistyped name, …).

Everything is drawn from numpy generators seeded with ``(seed, stream)``, one stream per dataset, and the
work is vectorised (numpy and Arrow; DuckDB only scans the snapshot), so a province of two million members
(20 million department rows) takes about a minute and the same seed gives byte-identical files. Rows are
written in a shuffled order with ``row_number`` = the row in the department's spreadsheet (header = row 1),
as ``loading.py`` numbers CSV rows; loading the .csv/.xlsx gives back exactly the .parquet.

Ground truth (``ground_truth.csv``: rule_code, household_number, person_number, id_number) names each subject
as the rule outputs it: person rules give the member; CT02/SB03 give the household and its head's ID with an
empty person number; JC05 only the household; LP01/LP02 (people not in the register) only the ID. A child
planted for CT01 (exited household, latest 辍学) is also an SB01 subject and is listed under both.
"""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from jingzhun.comparison import datasets as dsm
from jingzhun.comparison import namekeys
from jingzhun.registry import names as nm

__all__ = [
    "FORMATS",
    "MIN_PLANTS",
    "PLANTED_RULES",
    "PLANT_RATE",
    "DeptGenError",
    "Truth",
    "generate_departments",
]

RULES = Path(__file__).parent / "data" / "rules.toml"
PLANT_RATE = 0.006  # share of the registered members planted per rule
MIN_PLANTS = 3  # per rule, when the register has that many candidates
DROPPED_OUT = -2  # ``schooling`` of a member whose 失学或辍学原因 is filled
OUTSIDERS_PER_MEMBER = 2.0  # residents outside the register per register member, at scale 1.0
FORMATS = ("parquet", "csv", "xlsx")
XLSX_MAX_ROWS = 1_000_000
TRUTH_FILE = "ground_truth.csv"
TRUTH_COLUMNS = ("rule_code", "household_number", "person_number", "id_number")
#: The department rules of the catalogue this generator plants anomalies for.
PLANTED_RULES = (
    "CP01",
    "CP02",
    "CP03",
    "CP04",
    "LP01",
    "LP02",
    "CT01",
    "CT02",
    "SB01",
    "SB02",
    "SB03",
    "JC01",
    "JC02",
    "JC05",
    "JC06",
    "SJ01",
    "SJ02",
    "SJ03",
)

NA = np.iinfo(np.int32).min  # a missing date (days) or integer
NA_MONEY = np.iinfo(np.int64).min
EPOCH = dt.date(1970, 1, 1)
YEAR = 365.2425

REG, ORD, LEFT, OUT, FAM = 0, 1, 2, 3, 4  # register member (registered household / 一般农户 / left), resident
GRADES = ("", "A", "B", "C", "D")
CHECK_CHARS = np.array(list("10X98765432"))
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
# Share (per cent) of each five-year age band among rural residents outside the register.
AGE_BANDS = (4.5, 5.5, 6.0, 5.5, 5.0, 5.5, 7.0, 7.0, 6.5, 8.0, 8.5, 7.5, 6.0, 5.5, 4.0, 2.5, 1.5, 0.7, 0.3)
STREAMS = {
    name: i
    for i, name in enumerate(
        (
            "people",
            "medical_enrolment",
            "medical_expense",
            "education",
            "civil_assistance",
            "disability",
            "housing",
            "employment",
            "police_events",
            "vehicles",
            "business",
            "payroll",
            "property",
            "shuffle",
        )
    )
}
PROVINCE_SHORT = {
    "11": "京",
    "12": "津",
    "13": "冀",
    "14": "晋",
    "15": "蒙",
    "21": "辽",
    "22": "吉",
    "23": "黑",
    "31": "沪",
    "32": "苏",
    "33": "浙",
    "34": "皖",
    "35": "闽",
    "36": "赣",
    "37": "鲁",
    "41": "豫",
    "42": "鄂",
    "43": "湘",
    "44": "粤",
    "45": "桂",
    "46": "琼",
    "50": "渝",
    "51": "川",
    "52": "贵",
    "53": "云",
    "54": "藏",
    "61": "陕",
    "62": "甘",
    "63": "青",
    "64": "宁",
    "65": "新",
}
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PLATE_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64)
TRADE_NAMES = (
    "兴旺",
    "丰源",
    "宏达",
    "鑫盛",
    "金穗",
    "绿源",
    "华美",
    "顺通",
    "恒泰",
    "瑞丰",
    "昌盛",
    "永安",
    "富民",
    "益农",
    "天成",
    "长青",
    "裕丰",
    "聚源",
    "博远",
    "嘉禾",
    "润泽",
    "锦程",
    "康达",
    "万家",
)
INDUSTRIES = (
    "农业发展",
    "商贸",
    "建筑工程",
    "农产品",
    "养殖",
    "种植专业",
    "物流",
    "建材",
    "餐饮管理",
    "劳务",
    "电子商务",
    "农机服务",
    "中药材",
    "食品",
    "运输",
)
SHOPS = (
    "百货店",
    "便利店",
    "农资店",
    "饭店",
    "副食店",
    "五金店",
    "理发店",
    "汽修部",
    "服装店",
    "养殖场",
    "粮油店",
)
ROADS = ("人民路", "解放路", "建设路", "民主路", "新华路", "滨河路", "文化路", "朝阳路", "迎宾大道", "育才路")
EMPLOYERS = (
    "人民政府",
    "教育局",
    "卫生健康局",
    "财政局",
    "农业农村局",
    "人民医院",
    "第一中学",
    "自然资源局",
    "公安局",
    "住房和城乡建设局",
    "中心小学",
    "乡村振兴局",
    "疾病预防控制中心",
    "市场监督管理局",
)
POSTS = ("科员", "教师", "医生", "护士", "工勤人员", "副科长", "办事员", "会计", "技术员")
VEHICLE_CARS = ("小型轿车", "小型越野客车", "小型普通客车", "轻型货车", "重型货车", "工程机械")


class DeptGenError(ValueError):
    """A request the generator cannot satisfy; the message is Chinese and meant for users."""


@dataclass(frozen=True)
class Truth:
    """What :func:`generate_departments` wrote: the ground truth file, rows per dataset, plants per rule."""

    path: Path
    rows: dict[str, int]
    planted: dict[str, int]
    as_of: dt.date
    files: dict[str, tuple[Path, ...]] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def parquet(self, dataset: str) -> Path:
        return self.path.parent / f"{dataset}.parquet"


# ----------------------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------------------


def _days(day: dt.date) -> int:
    return (day - EPOCH).days


def minus_months(day: dt.date, months: int) -> dt.date:
    """The rules' ``as_of_minus_12m`` (same day of month, clamped to the month's end)."""
    import calendar

    month = day.year * 12 + day.month - 1 - months
    year, month0 = divmod(month, 12)
    return dt.date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def _yrs(years: float) -> int:
    return round(years * YEAR)


def _between(rng: np.random.Generator, lo: Any, hi: Any, n: int | None = None) -> np.ndarray:
    """Uniform integer days in [lo, hi] (arrays or scalars); hi < lo gives lo."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.maximum(np.asarray(hi, dtype=np.int64), lo)
    size = n if n is not None else np.broadcast(lo, hi).shape
    return (lo + np.floor(rng.random(size) * (hi - lo + 1)).astype(np.int64)).astype(np.int32)


def _pick(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    """``n`` distinct elements of ``pool`` (all of them when it is smaller), sorted."""
    pool = np.asarray(pool)
    n = min(int(n), len(pool))
    if n <= 0:
        return pool[:0]
    return np.sort(rng.choice(pool, size=n, replace=False))


def _money_cents(
    rng: np.random.Generator, median: float, sigma: float, n: int, lo: float, hi: float
) -> np.ndarray:
    """Lognormal yuan amounts, clipped to [lo, hi], as integer cents."""
    values = np.clip(rng.lognormal(np.log(median), sigma, n), lo, hi)
    return np.round(values * 100).astype(np.int64)


def _contains(sorted_values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``x in sorted_values`` elementwise (binary search)."""
    if not len(sorted_values):
        return np.zeros(len(x), dtype=bool)
    pos = np.clip(np.searchsorted(sorted_values, x), 0, len(sorted_values) - 1)
    return sorted_values[pos] == x


def _minus(pool: np.ndarray, *remove: np.ndarray) -> np.ndarray:
    """``pool`` without the elements of ``remove`` (non-negative indices), order kept."""
    pool = np.asarray(pool, dtype=np.int64)
    drop = [np.asarray(r, dtype=np.int64) for r in remove if len(r)]
    if not len(pool) or not drop:
        return pool
    gone = np.concatenate(drop)
    mask = np.zeros(max(int(pool.max()), int(gone.max())) + 1, dtype=bool)
    mask[gone] = True
    return pool[~mask[pool]]


def _take(values: Sequence[str], idx: np.ndarray) -> pa.Array:
    return pa.array(list(values), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _digits(rng: np.random.Generator, n: int, k: int, alphabet: str = "0123456789") -> pa.Array:
    """``n`` random strings of ``k`` characters of ``alphabet``."""
    chars = pa.array(list(alphabet), pa.string())
    cols = [chars.take(pa.array(rng.integers(0, len(alphabet), n))) for _ in range(k)]
    return _join(*cols) if k > 1 else cols[0]


def _ymd(days: np.ndarray) -> np.ndarray:
    d = np.asarray(days, dtype="int64").astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return y * 10000 + m * 100 + day


def _check(first17: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-2 check character index for 17-digit numbers (int64)."""
    x = first17.astype(np.int64).copy()
    total = np.zeros(len(x), dtype=np.int64)
    for pos in range(16, -1, -1):
        total += (x % 10) * WEIGHTS[pos]
        x //= 10
    return total % 11


def _id_strings(first17: np.ndarray, check: np.ndarray | None = None) -> pa.Array:
    check = _check(first17) if check is None else check
    return _join(pa.array(first17, pa.int64()).cast(pa.string()), pa.array(CHECK_CHARS[check]))


@lru_cache(maxsize=256)
def _places(county: str) -> tuple[str, str, str, dict[str, str]]:
    """(county name, city name, province name, township names by 9-digit code) from the shipped list."""
    try:
        from jingzhun.registry.generate import county_info

        info = county_info(county)
    except Exception:  # an unknown code (a synthetic snapshot): generic names
        return "本县", "本市", "本省", {}
    city = info.city_name if info.city_name not in ("", "市辖区", "省直辖县级行政区划") else info.name
    return info.name, city, info.province_name or "本省", dict(info.townships)


def _short(name: str) -> str:
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _rule_parameters(path: Path = RULES) -> dict[str, dict[str, Any]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {r["code"]: dict(r.get("parameters", {})) for r in data.get("rule", [])}


# ----------------------------------------------------------------------------------------------------
# Rows of one dataset
# ----------------------------------------------------------------------------------------------------


ARROW_TYPES: dict[dsm.T, pa.DataType] = {
    dsm.T.ID: pa.string(),
    dsm.T.TEXT: pa.string(),
    dsm.T.REGION: pa.string(),
    dsm.T.CODE: pa.string(),
    dsm.T.DATE: pa.date32(),
    dsm.T.MONEY: pa.decimal128(14, 2),
    dsm.T.INT: pa.int32(),
    dsm.T.BOOL: pa.bool_(),
}


def stored_schema(dataset: dsm.Dataset) -> pa.Schema:
    """The STORED Parquet schema of a dataset: its typed columns, ``row_number`` and ``id_valid``."""
    fields = [(col.key, ARROW_TYPES[col.type]) for col in dataset.columns]
    return pa.schema([*fields, ("row_number", pa.int32()), ("id_valid", pa.bool_())])


def _decimal(cents: np.ndarray) -> pa.Array:
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    missing = cents == NA_MONEY
    raw = np.empty((len(cents), 2), dtype=np.int64)
    raw[:, 0] = np.where(missing, 0, cents)
    raw[:, 1] = np.where(raw[:, 0] < 0, -1, 0)
    arr = pa.Array.from_buffers(pa.decimal128(14, 2), len(cents), [None, pa.py_buffer(raw.tobytes())])
    if missing.any():
        arr = pc.if_else(pa.array(missing), pa.scalar(None, pa.decimal128(14, 2)), arr)
    return arr


def _column(col: dsm.Col, n: int, value: Any) -> pa.Array:
    typ = ARROW_TYPES[col.type]
    if value is None:
        return pa.nulls(n, typ)
    if isinstance(value, pa.ChunkedArray):
        value = value.combine_chunks()
    if isinstance(value, pa.Array):
        return value if value.type == typ else value.cast(typ)
    if np.isscalar(value) or isinstance(value, (str, bool, int, float)):
        value = np.full(n, value)
    value = np.asarray(value)
    if col.type == dsm.T.MONEY:
        return _decimal(value.astype(np.int64))
    if col.type in (dsm.T.DATE, dsm.T.INT):
        ints = value.astype(np.int32)
        arr = pa.array(ints, pa.int32(), mask=ints == NA)
        return arr.cast(pa.date32()) if col.type == dsm.T.DATE else arr
    if col.type == dsm.T.BOOL:
        if value.dtype == np.bool_:
            return pa.array(value, pa.bool_())
        flags = value.astype(np.int8)
        return pa.array(flags == 1, pa.bool_(), mask=flags < 0)
    return pa.array(value.astype(object), pa.string())


class _Rows:
    """The rows of one dataset, collected in parts (dicts of column arrays) and assembled once."""

    def __init__(self, code: str) -> None:
        self.ds = dsm.get(code)
        self.parts: list[tuple[int, dict[str, Any]]] = []

    def add(self, n: int, *, id_valid: Any = True, **cols: Any) -> None:
        if n:
            unknown = set(cols) - set(self.ds.keys)
            if unknown:  # pragma: no cover - a programming error
                raise KeyError(f"{self.ds.code}: unknown columns {unknown}")
            self.parts.append((int(n), {**cols, "__id_valid__": id_valid}))

    def table(self, rng: np.random.Generator) -> pa.Table:
        schema = stored_schema(self.ds)
        total = sum(n for n, _ in self.parts)
        arrays: list[pa.Array] = []
        for col in self.ds.columns:
            chunks = [_column(col, n, cols.get(col.key)) for n, cols in self.parts]
            arrays.append(pa.concat_arrays(chunks) if chunks else pa.nulls(0, ARROW_TYPES[col.type]))
        flag = dsm.Col("id_valid", "", dsm.T.BOOL)
        valid = [_column(flag, n, cols["__id_valid__"]) for n, cols in self.parts]
        arrays.append(pa.array(np.arange(total, dtype=np.int32) + 2, pa.int32()))
        arrays.append(pa.concat_arrays(valid) if valid else pa.nulls(0, pa.bool_()))
        table = pa.Table.from_arrays(arrays, schema=schema)
        if total > 1:  # a department's file is in its own order, not ours: shuffle, then number the rows
            order = pa.array(rng.permutation(total))
            table = table.take(order).set_column(len(arrays) - 2, "row_number", arrays[-2])
        return table


# ----------------------------------------------------------------------------------------------------
# The population
# ----------------------------------------------------------------------------------------------------


@dataclass
class _Pop:
    """Everyone the departments know, as parallel arrays; index = person."""

    id: pa.Array
    name: pa.Array
    village: pa.Array
    household_number: pa.Array
    person_number: pa.Array
    first17: np.ndarray
    sex: np.ndarray  # 1 male, 2 female
    birth: np.ndarray  # days
    age: np.ndarray  # whole years on as_of, the rules' formula
    kind: np.ndarray
    county: np.ndarray  # index into counties
    hh: np.ndarray  # household index, -1 for residents outside the register
    head: np.ndarray
    relation: np.ndarray  # register relation code as int (2 = head), 0 outside
    schooling: np.ndarray  # register schooling code, -1 unknown, DROPPED_OUT for 失学或辍学
    dis_cat: np.ndarray
    dis_grade: np.ndarray
    dibao: np.ndarray
    tekun: np.ndarray
    left_on: np.ndarray
    died: np.ndarray  # left the register by death
    joined_on: np.ndarray
    ill: np.ndarray  # chronic or serious illness in the register
    family_head: np.ndarray  # LP01 families: the head's index; else -1

    @property
    def n(self) -> int:
        return len(self.kind)


@dataclass
class _Households:
    number: pa.Array
    village: pa.Array
    natural_village: pa.Array
    registered: np.ndarray
    exited: np.ndarray
    monitored: np.ndarray
    relocated: np.ndarray  # 1 true, 0 false, -1 unknown
    reg_on: np.ndarray  # days, NA when unknown
    risk_illness: np.ndarray
    trigger: np.ndarray  # JC01 threshold in cents for the household's members (-1: none, not compared)
    grade: np.ndarray  # latest register housing grade, index into GRADES
    head: np.ndarray  # first active head's person index, -1

    @property
    def n(self) -> int:
        return len(self.registered)


@dataclass
class _County:
    code: str
    name: str
    city: str
    province: str
    townships: dict[str, str]
    villages: list[str]
    members: int


def _np(arr: pa.Array | pa.ChunkedArray, dtype: Any, fill: Any) -> np.ndarray:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_date(arr.type):
        arr = arr.cast(pa.int32())
    return arr.fill_null(fill).to_numpy(zero_copy_only=False).astype(dtype)


def _read_snapshot(path: Path, as_of: dt.date, general_min: float) -> tuple[pa.Table, pa.Table]:
    """Households (with the rules' flags, latest housing grade and JC01 line) and members (one row per ID,
    the active one first, with the household's index), in the snapshot files' order.

    Only plain scans and projections run in DuckDB (their order is the files' order, so the output is
    deterministic without an expensive ORDER BY); lookups are Arrow hash joins.
    """
    import duckdb

    def glob(table: str) -> str:
        return str(path / table / "*" / "*.parquet").replace("'", "''")

    con = duckdb.connect()
    con.execute("SET threads = 2")
    households = con.sql(f"""
        SELECT household_number, village_code, COALESCE(natural_village, '') AS natural_village,
               COALESCE(poverty_status, '') <> '' OR COALESCE(monitoring_type, '') <> '' AS registered,
               COALESCE(poverty_status, '') IN ('1', '4') AS exited,
               COALESCE(monitoring_type, '') <> '' AND COALESCE(risk_elimination, '') IN ('', '0') AS monitored,
               CASE WHEN relocated THEN 1 WHEN NOT relocated THEN 0 ELSE -1 END AS relocated,
               COALESCE(first_identified_on, monitoring_identified_on) AS reg_on,
               COALESCE(risk_types, '') LIKE '%,1,%' AS risk_illness, SUBSTR(village_code, 1, 6) AS county
        FROM read_parquet('{glob("households")}', hive_partitioning = false)""").to_arrow_table()
    grades = con.sql(f"""SELECT household_number, arg_max(COALESCE(housing_grade, ''), year) AS grade
        FROM read_parquet('{glob("years")}', hive_partitioning = false) GROUP BY 1""").to_arrow_table()
    triggers: dict[str, float] = {}
    policy = path / "policy.parquet"
    if policy.exists():
        for county, value in con.sql(f"""SELECT county_code, MIN(medical_self_pay_trigger) FROM
                read_parquet('{str(policy).replace("'", "''")}') WHERE year = {as_of.year} GROUP BY 1""").fetchall():
            if value is not None:
                triggers[county] = float(value)
    mmdd = as_of.month * 100 + as_of.day
    members = con.sql(f"""
        SELECT household_number, person_number, id_number, name, village_code,
               TRY_CAST(SUBSTR(id_number, 1, 17) AS BIGINT) AS first17,
               CASE WHEN sex = '2' THEN 2 ELSE 1 END AS sex, birth_date,
               CAST(EXTRACT(YEAR FROM DATE '{as_of.isoformat()}') - EXTRACT(YEAR FROM birth_date)
                    - CASE WHEN EXTRACT(MONTH FROM birth_date) * 100 + EXTRACT(DAY FROM birth_date) > {mmdd}
                           THEN 1 ELSE 0 END AS INTEGER) AS age,
               TRY_CAST(relation AS INTEGER) AS relation,
               CASE WHEN COALESCE(dropout_reason, '') <> '' THEN -2 ELSE TRY_CAST(schooling AS INTEGER) END AS schooling,
               TRY_CAST(NULLIF(disability_category, '') AS INTEGER) AS dis_cat,
               TRY_CAST(NULLIF(disability_grade, '') AS INTEGER) AS dis_grade,
               COALESCE(dibao, false) AS dibao, COALESCE(tekun, false) AS tekun,
               left_on, COALESCE(leave_reason, '') = 'death' AS died, joined_on,
               COALESCE(health, '') LIKE '%,2,%' OR COALESCE(health, '') LIKE '%,3,%' AS ill
        FROM read_parquet('{glob("members")}', hive_partitioning = false)
        WHERE length(id_number) = 18 AND birth_date IS NOT NULL""").to_arrow_table()
    con.close()
    # latest housing grade and the JC01 line of each household
    at = pc.index_in(households["household_number"], value_set=grades["household_number"].combine_chunks())
    grade = (
        grades["grade"].combine_chunks().take(at.fill_null(0))
        if grades.num_rows
        else pa.nulls(households.num_rows, pa.string())
    )
    grade = pc.if_else(pc.is_null(at), pa.scalar(""), grade) if households.num_rows else grade
    counties = households["county"].to_pylist()
    registered = households["registered"].to_numpy(zero_copy_only=False).astype(bool)
    # no line for a county without the policy number: JC01 does not look at its registered households
    line = np.array([triggers.get(c, -0.01) for c in counties], dtype=float) if counties else np.zeros(0)
    trigger = np.round(np.where(registered, line, general_min) * 100).astype(np.int64)
    households = households.append_column("grade", grade).append_column("trigger", pa.array(trigger))
    # members: one per ID (the active membership first), with the household's index
    first17 = members["first17"]
    valid = pc.is_valid(first17).to_numpy(zero_copy_only=False)
    hh = pc.index_in(members["household_number"], value_set=households["household_number"].combine_chunks())
    valid &= pc.is_valid(hh).to_numpy(zero_copy_only=False)
    f17 = first17.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    left = pc.is_valid(members["left_on"]).to_numpy(zero_copy_only=False)
    order = np.lexsort((left, f17))
    first = np.ones(len(order), dtype=bool)
    first[1:] = f17[order][1:] != f17[order][:-1]
    keep = np.zeros(len(order), dtype=bool)
    keep[order[first]] = True
    keep &= valid
    members = members.append_column("hh", hh.cast(pa.int64())).filter(pa.array(keep))
    return households, members


# ----------------------------------------------------------------------------------------------------
# The generator
# ----------------------------------------------------------------------------------------------------


class _Generator:
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

    # -- housing (CT02, SB03) -------------------------------------------------------------------------------

    def housing(self) -> _Rows:
        rng = self.rng("housing")
        p = self.pop
        A = self.A
        rows = _Rows("housing")
        early_lo, early_hi = _days(dt.date(2016, 1, 1)), _days(dt.date(2021, 12, 31))
        late_lo = early_hi + 1

        def add(
            people: np.ndarray,
            grade: np.ndarray,
            on: np.ndarray,
            renovated: np.ndarray | bool,
            ids: pa.Array | None = None,
        ) -> None:
            n = len(people)
            if not n:
                return
            cols = self.person_cols(people)
            if ids is not None:
                cols["id_number"] = ids
            rows.add(
                n,
                **cols,
                region_code=p.village.take(pa.array(people)),
                grade=_take(dsm.HOUSING_GRADES, np.asarray(grade, dtype=np.int64)),
                assessed_on=np.asarray(on, dtype=np.int32),
                renovated=np.broadcast_to(np.asarray(renovated, dtype=bool), (n,)).copy(),
                id_valid=ids is None,
            )

        heads = self.hh.head
        reg_h = np.flatnonzero(self.hh.registered & (heads >= 0))
        exited = self.hh.exited[reg_h]
        dangerous = self.hh.grade[reg_h] >= 3  # C or D in the register

        def choose(pool_mask: np.ndarray) -> np.ndarray:
            pool = reg_h[pool_mask]
            n = self.plants(len(pool))
            first = _pick(rng, pool[dangerous[pool_mask]], n)
            return np.union1d(first, _pick(rng, _minus(pool, first), n - len(first))).astype(np.int64)

        ct02 = choose(exited)
        sb03 = choose(~exited)
        self.plant("CT02", heads[ct02], head=True)
        self.plant("SB03", heads[sb03], head=True)
        planted = np.union1d(ct02, sb03)
        # planted: latest C/D, not renovated; half of them were A/B before (the house got worse)
        for group in (ct02, sb03):
            hp = heads[group]
            n = len(hp)
            g = np.where(self.hh.grade[group] >= 3, self.hh.grade[group] - 1, rng.integers(2, 4, n))
            before = np.arange(n) % 2 == 1
            add(
                hp[before],
                rng.integers(0, 2, int(before.sum())),
                _between(rng, early_lo, early_hi, int(before.sum())),
                False,
            )
            add(hp, g, _between(rng, late_lo, A, n), False)
        # the other registered heads: A/B; the register's C/D houses renovated, or re-assessed A/B later
        rest = _minus(reg_h, planted)
        hp = heads[rest]
        reg_grade = self.hh.grade[rest]
        n = len(rest)
        safe = reg_grade <= 2
        g = np.where(reg_grade == 0, rng.choice([0, 1], size=n, p=[0.7, 0.3]), reg_grade - 1)
        safe_on = _between(rng, early_lo, A, n)
        # noise: A/B heads once assessed C/D (before the current assessment, which is after 2021)
        once = _pick(rng, np.flatnonzero(safe), self.quota)
        safe_on[once] = _between(rng, late_lo, A, len(once))
        add(hp[once], rng.integers(2, 4, len(once)), _between(rng, early_lo, early_hi, len(once)), False)
        add(hp[safe], g[safe], safe_on[safe], False)
        bad = ~safe
        renov = bad & (rng.random(n) < 0.5)
        add(hp[renov], g[renov], _between(rng, early_lo, A, int(renov.sum())), True)
        again = bad & ~renov
        add(hp[again], g[again], _between(rng, early_lo, early_hi, int(again.sum())), False)
        add(
            hp[again], rng.integers(0, 2, int(again.sum())), _between(rng, late_lo, A, int(again.sum())), True
        )
        # noise: a spouse's own C/D assessment (the rules look at heads only)
        spouses = _pick(rng, np.flatnonzero((p.kind == REG) & (p.relation == 2)), self.quota)
        add(spouses, rng.integers(2, 4, len(spouses)), _between(rng, late_lo, A, len(spouses)), False)
        # 一般农户 heads: whatever the register says (no rule looks at them)
        ord_h = np.flatnonzero(~self.hh.registered & (heads >= 0))
        og = self.hh.grade[ord_h]
        og = np.where(og == 0, rng.choice([0, 1], size=len(ord_h)), og - 1)
        add(
            heads[ord_h],
            og,
            _between(rng, early_lo, A, len(ord_h)),
            (og >= 2) & (rng.random(len(ord_h)) < 0.4),
        )
        # residents who head a household
        out = np.flatnonzero((p.kind >= OUT) & (p.age >= 28))
        who = self.with_prob(rng, out, 0.32)
        g = rng.choice(4, size=len(who), p=[0.64, 0.28, 0.05, 0.03])
        add(who, g, _between(rng, early_lo, A, len(who)), (g >= 2) & (rng.random(len(who)) < 0.5))
        bad_ids = _pick(rng, who, max(1, self.quota // 3))
        add(
            bad_ids,
            np.full(len(bad_ids), 3),
            _between(rng, late_lo, A, len(bad_ids)),
            False,
            ids=self.typo_ids(rng, bad_ids),
        )
        return rows

    # -- employment (no rule yet: volume and realism) ------------------------------------------------------

    def employment(self) -> _Rows:
        rng = self.rng("employment")
        p = self.pop
        A = self.A
        rows = _Rows("employment")
        adults = np.flatnonzero(self.alive & (p.kind != LEFT) & (p.age >= 18) & (p.age <= 62))
        prob = np.where(p.kind[adults] == REG, 0.3, np.where(p.kind[adults] == ORD, 0.45, 0.5))
        who = self.with_prob(rng, adults, prob)
        # some have had two jobs: the earlier one ended
        two = self.with_prob(rng, who, 0.12)
        people = np.concatenate([who, two])
        n = len(people)
        lo = p.birth[people] + _yrs(18)
        start = _between(rng, np.maximum(lo, A - _yrs(15)), A - 20)
        ended = np.concatenate([rng.random(len(who)) < 0.2, np.ones(len(two), dtype=bool)])
        end = np.where(ended, _between(rng, start + 60, np.maximum(start + 60, A), n), NA)
        end[ended & (end > A)] = A
        county = self.county_name(people)
        town = self.town(people)
        kind = rng.choice(4, size=n, p=[0.45, 0.25, 0.2, 0.1])
        trade = _take(TRADE_NAMES, rng.integers(0, len(TRADE_NAMES), n))
        industry = _take(INDUSTRIES, rng.integers(0, len(INDUSTRIES), n))
        far = _take(
            ("浙江省", "广东省", "江苏省", "福建省", "上海市", "新疆维吾尔自治区"), rng.integers(0, 6, n)
        )
        place = pc.if_else(pa.array(kind == 1), far, pc.if_else(pa.array(kind == 2), town, county))
        suffix = _take(("有限公司", "有限公司", "农民专业合作社", "有限责任公司"), kind)
        employer = _join(place, trade, industry, suffix)
        wage = _money_cents(rng, 3600, 0.35, n, 1800, 20000)
        rows.add(
            n, **self.person_cols(people), employer=employer, start_on=start, end_on=end, monthly_wage=wage
        )
        return rows

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

    # -- business (CP03) ---------------------------------------------------------------------------------

    def business(self) -> _Rows:
        rng = self.rng("business")
        p = self.pop
        A = self.A
        rows = _Rows("business")
        cmin = self.capital_min
        roles = {r: i for i, r in enumerate(dsm.BUSINESS_ROLES)}
        states = {s: i for i, s in enumerate(dsm.BUSINESS_STATES)}

        def add(
            people: np.ndarray, role: np.ndarray, capital: np.ndarray, on: np.ndarray, state: np.ndarray
        ) -> None:
            n = len(people)
            if not n:
                return
            role = np.asarray(role, dtype=np.int64)
            county = self.county_name(people)
            sole = role == roles["个体工商户经营者"]
            trade = _take(TRADE_NAMES, rng.integers(0, len(TRADE_NAMES), n))
            industry = _take(INDUSTRIES, rng.integers(0, len(INDUSTRIES), n))
            shop = _take(SHOPS, rng.integers(0, len(SHOPS), n))
            names = p.name.take(pa.array(people))
            entity = pc.if_else(
                pa.array(sole), _join(county, names, shop), _join(county, trade, industry, "有限公司")
            )
            rows.add(
                n,
                **self.person_cols(people),
                entity_name=entity,
                credit_code=self._credit_codes(rng, people, sole),
                role=_take(dsm.BUSINESS_ROLES, role),
                capital=np.asarray(capital, dtype=np.int64),
                established_on=np.asarray(on, dtype=np.int32),
                state=_take(dsm.BUSINESS_STATES, np.asarray(state, dtype=np.int64)),
            )

        def capitals(role: np.ndarray) -> np.ndarray:
            n = len(role)
            return np.where(
                role == roles["个体工商户经营者"],
                _money_cents(rng, 3, 0.8, n, 0.5, 50),
                _money_cents(rng, 100, 1.0, n, 10, 5000),
            )

        living = self.alive & (p.kind != LEFT) & (p.age >= 20) & (p.age <= 72)
        out = np.flatnonzero(living & (p.kind != REG))
        who = self.with_prob(rng, out, np.where(p.kind[out] == ORD, 0.05, 0.085))
        n = len(who)
        role = rng.choice(3, size=n, p=[0.3, 0.2, 0.5])
        state = rng.choice(4, size=n, p=[0.6, 0.25, 0.05, 0.1])
        add(
            who,
            role,
            capitals(role),
            _between(rng, np.maximum(p.birth[who] + _yrs(20), A - _yrs(20)), A),
            state,
        )
        # registered members: 个体工商户 (any date), companies 注销/吊销 or founded after registration, small stakes
        rm = np.flatnonzero(living & (p.kind == REG))
        reg_on = self.reg_on(rm)
        known = reg_on != NA
        sole = self.with_prob(rng, rm, 0.02)
        add(
            sole,
            np.full(len(sole), roles["个体工商户经营者"]),
            capitals(np.full(len(sole), 2)),
            _between(rng, np.maximum(p.birth[sole] + _yrs(20), A - _yrs(20)), A),
            rng.choice(4, size=len(sole)),
        )
        adult_at_reg = known & (p.birth[rm] + _yrs(20) <= reg_on)
        closed = _pick(rng, rm[adult_at_reg], self.quota)
        cr = self.reg_on(closed)
        add(
            closed,
            rng.integers(0, 2, len(closed)),
            capitals(np.zeros(len(closed))),
            _between(rng, np.maximum(p.birth[closed] + _yrs(20), cr - _yrs(10)), cr),
            np.where(np.arange(len(closed)) % 2 == 0, states["注销"], states["吊销"]),
        )
        later_pool = rm[known & (reg_on < A - 30)]
        later = _pick(rng, later_pool, self.quota * 2)
        lr = self.reg_on(later)
        on = _between(rng, np.maximum(lr + 1, p.birth[later] + _yrs(20)), A)
        add(
            later,
            rng.integers(0, 2, len(later)),
            capitals(np.zeros(len(later))),
            on,
            rng.integers(0, 2, len(later)),
        )
        stake = _pick(rng, _minus(rm[adult_at_reg], closed), self.quota)
        sr = self.reg_on(stake)
        cap = np.full(len(stake), cmin - 1)
        add(
            stake,
            np.full(len(stake), roles["股东"]),
            cap,
            _between(rng, np.maximum(p.birth[stake] + _yrs(20), sr - _yrs(10)), sr),
            np.zeros(len(stake)),
        )
        # CP03 plants: 法定代表人/股东 of a 存续/在业 company founded on or before registration, capital ≥ the line
        pool = _minus(rm[adult_at_reg], np.union1d(closed, stake))
        cp03 = _pick(rng, pool, self.quota)
        cr = self.reg_on(cp03)
        on = _between(rng, np.maximum(p.birth[cp03] + _yrs(20), cr - _yrs(10)), cr)
        cap = np.maximum(capitals(np.zeros(len(cp03))), cmin)
        if len(cp03):
            on[0], cap[0] = cr[0], cmin  # the boundaries: founded that day, capital exactly the line
        add(cp03, rng.integers(0, 2, len(cp03)), cap, on, rng.integers(0, 2, len(cp03)))
        self.plant("CP03", cp03)
        return rows

    def _credit_codes(self, rng: np.random.Generator, people: np.ndarray, sole: np.ndarray) -> pa.Array:
        """统一社会信用代码 (GB 32100): 登记管理部门 9 + 类别, the county's code, 9 characters, the check."""
        n = len(people)
        codes = np.array([int(c.code) for c in self.counties] or [0], dtype=np.int64)[self.pop.county[people]]
        chars = np.zeros((n, 17), dtype=np.int64)
        chars[:, 0] = 9
        chars[:, 1] = np.where(sole, 2, 1)
        for k in range(6):
            chars[:, 2 + k] = (codes // 10 ** (5 - k)) % 10
        chars[:, 8:] = rng.integers(0, len(CREDIT_CHARS), (n, 9))
        check = (31 - (chars * CREDIT_WEIGHTS).sum(axis=1) % 31) % 31
        table = np.array(list(CREDIT_CHARS))
        cols = [pa.array(table[chars[:, k]]) for k in range(17)] + [pa.array(table[check])]
        return _join(*cols)

    # -- payroll (CP01, JC06) ------------------------------------------------------------------------------

    def payroll(self) -> _Rows:
        rng = self.rng("payroll")
        p = self.pop
        A = self.A
        rows = _Rows("payroll")

        def add(people: np.ndarray, start: np.ndarray, end: np.ndarray | int) -> None:
            n = len(people)
            if not n:
                return
            county = self.county_name(people)
            town = self.town(people)
            which = rng.integers(0, len(EMPLOYERS), n)
            unit = _take(EMPLOYERS, which)
            at_town = np.isin(which, [0, 10]) & (rng.random(n) < 0.6)
            employer = _join(pc.if_else(pa.array(at_town), town, county), unit)
            office = np.array([0, 4, 5, 6, 7, 8])[
                rng.integers(0, 6, n)
            ]  # 科员, 工勤人员, 副科长, 办事员, 会计, 技术员
            post = _take(
                POSTS,
                np.where(np.isin(which, [6, 10]), 1, np.where(which == 5, rng.integers(2, 4, n), office)),
            )
            rows.add(
                n,
                **self.person_cols(people),
                employer=employer,
                post=post,
                start_on=np.asarray(start, dtype=np.int32),
                end_on=np.broadcast_to(np.asarray(end, dtype=np.int32), (n,)).copy(),
            )

        living = self.alive & (p.kind != LEFT)
        out = np.flatnonzero(living & (p.kind != REG) & (p.age >= 22) & (p.age <= 75))
        who = self.with_prob(rng, out, np.where(p.kind[out] == ORD, 0.03, 0.09))
        start = _between(rng, p.birth[who] + _yrs(21), np.minimum(p.birth[who] + _yrs(35), A - 30))
        retired = p.birth[who] + _yrs(60) <= A
        end = np.where(
            retired,
            p.birth[who] + _yrs(60),
            np.where(rng.random(len(who)) < 0.04, _between(rng, start + 30, A, len(who)), NA),
        )
        add(who, start, end)
        rm = np.flatnonzero(living & (p.kind == REG))
        reg_on = self.reg_on(rm)
        known = reg_on != NA
        # CP01: in post at registration (one started that very day)
        pool1 = rm[known & (p.birth[rm] + _yrs(21) <= reg_on) & (p.birth[rm] + _yrs(55) >= reg_on)]
        cp01 = _pick(rng, pool1, self.quota)
        r1 = self.reg_on(cp01)
        start = _between(rng, np.maximum(p.birth[cp01] + _yrs(21), r1 - _yrs(20)), r1)
        end = np.where(rng.random(len(cp01)) < 0.3, _between(rng, r1 + 1, A, len(cp01)), NA)
        if len(cp01):
            start[0] = r1[0]
        add(cp01, start, end)
        self.plant("CP01", cp01)
        # JC06: in post since after registration, still in post on as_of (one started the day after)
        pool6 = _minus(
            rm[known & (reg_on < A - 1) & (p.birth[rm] + _yrs(21) <= A - 1) & (p.birth[rm] + _yrs(50) >= A)],
            cp01,
        )
        jc06 = _pick(rng, pool6, self.quota)
        r6 = self.reg_on(jc06)
        start = _between(rng, np.maximum(r6 + 1, p.birth[jc06] + _yrs(21)), A)
        end = np.where(rng.random(len(jc06)) < 0.2, _between(rng, A + 1, A + 400, len(jc06)), NA)
        if len(jc06):  # the boundary: in post from the day after registration
            start[0] = max(int(r6[0]) + 1, int(p.birth[jc06[0]]) + _yrs(21))
        add(jc06, start, end)
        self.plant("JC06", jc06)
        # noise: left the post before registration; started after registration but left again before as_of
        rest = _minus(pool1, np.union1d(cp01, jc06))
        rest = rest[p.birth[rest] + _yrs(21) + 400 <= self.reg_on(rest)]  # room for a post that ended before
        before = _pick(rng, rest, self.quota)
        rb = self.reg_on(before)
        start = _between(rng, np.maximum(p.birth[before] + _yrs(21), rb - _yrs(20)), rb - 60)
        end = np.minimum(_between(rng, start + 30, rb, len(before)), rb)
        if len(end):
            end[0] = rb[0]  # left on the very day of registration: not in post any more
        add(before, start, end)
        rest = _minus(pool6, np.union1d(jc06, before))
        gone = _pick(rng, rest, self.quota)
        rg = self.reg_on(gone)
        start = _between(rng, rg + 1, A - 30, len(gone))
        end = _between(rng, start + 1, A, len(gone))
        if len(end):
            end[0] = A  # left on as_of: no longer in post
        add(gone, start, end)
        return rows

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


_NAME_SWAPS = {v: k for k, v in nm.TRADITIONAL.items()}
_LOOKALIKE_PAIRS = (
    "明敏",
    "华桦",
    "军君",
    "伟玮",
    "丽莉",
    "芳方",
    "红宏",
    "兰岚",
    "英瑛",
    "平萍",
    "强祥",
    "建健",
    "国帼",
    "文雯",
    "海梅",
    "林琳",
    "霞侠",
    "春椿",
    "娟鹃",
    "涛滔",
    "秀绣",
    "珍贞",
    "梅玫",
    "凤风",
)
_LOOKALIKE = {pair[1]: pair[0] for pair in _LOOKALIKE_PAIRS} | {pair[0]: pair[1] for pair in _LOOKALIKE_PAIRS}
_TYPO_POOL = "秀明华英军兰芳红平强建国文海林春霞"
# Other ways a department writes the same dot: what SJ02 must see through.
_DOT_VARIANTS = ("\u2022", "\u30fb", "\uff0e", "\u2027", "\uff65", " \u00b7 ")


def _name_variant(rng: np.random.Generator, name: str) -> str:
    """A genuinely different name (one character mistyped, never the surname or the dot): SJ02 must find it."""
    name_key = namekeys.name_key
    chars = list(name)
    letters = [i for i, ch in enumerate(chars) if i > 0 and ch not in namekeys.DOTS]
    if not letters:
        return name + "华"
    positions = [i for i in letters if chars[i] in _LOOKALIKE] or letters
    i = positions[int(rng.integers(0, len(positions)))]
    start = int(rng.integers(0, len(_TYPO_POOL)))
    for replacement in (_LOOKALIKE.get(chars[i], ""), *(_TYPO_POOL[start:] + _TYPO_POOL[:start])):
        if not replacement:
            continue
        typed = "".join([*chars[:i], replacement, *chars[i + 1 :]])
        if name_key(typed) != name_key(name):  # not 華 for 华: a spelling variant is no mismatch
            return typed
    return name + "华"  # pragma: no cover - the pool always holds a character the name does not


def _spelling_variant(rng: np.random.Generator, name: str) -> str:
    """The same name written another way (traditional or simplified characters, another middle dot, a space):
    not a mismatch, SJ02 must not find it. Returns ``name`` when no variant keeps the same key."""
    name_key = namekeys.name_key
    options = []
    if "\u00b7" in name:
        options.append(name.replace("\u00b7", _DOT_VARIANTS[int(rng.integers(0, len(_DOT_VARIANTS)))]))
    swapped = "".join(_NAME_SWAPS.get(ch, ch) for ch in name)
    if swapped == name:
        swapped = "".join(nm.TRADITIONAL.get(ch, ch) for ch in name)
    if swapped != name:
        options.append(swapped)
    if len(name) > 1:
        options.append(name[0] + ("\u3000" if rng.random() < 0.5 else " ") + name[1:])
    for variant in options:
        if variant != name and name_key(variant) == name_key(name):  # 鍾 folds to 锺, not 钟: not a variant
            return variant
    return name


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
