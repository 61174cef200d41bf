"""What the generator of every department file shares: constants, the population's arrays, the
snapshot reader, the random helpers and the name variants."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jingzhun import comparison
from jingzhun.comparison import datasets as dsm
from jingzhun.comparison import namekeys
from jingzhun.registry import names as nm

RULES = Path(comparison.__file__).parent / "data" / "rules.toml"  # the catalogue the plants follow
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


class _Part:
    """Base of the generator's parts, one per department file: a part's methods use the population,
    streams and plants of ``generator._Generator``, which mypy cannot see from the part alone."""

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...


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
        from jingzhun.testing.register import county_info

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
