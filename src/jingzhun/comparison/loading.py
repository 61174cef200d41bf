"""Loading a department's file (行业部门数据入库, domain.md §5.1): read, check every cell, store as Parquet.

1. The file (.xlsx, .csv in UTF-8 or GB18030, .parquet) becomes a DuckDB relation ``raw`` of trimmed text
   cells with sheet and row number. Headers are the Chinese headers of ``datasets.py`` or the keys.
2. One SQL pass parses every cell to its typed value ``v_<key>`` and names its problem: ``e_<key>`` rejects
   the row, ``w_<key>`` is a warning (the row is kept). IDs are checked like the register's: clean numbers
   in SQL, everything else by ``idnumbers.parse_many``. A number cell (Excel, or a float column of Parquet)
   in an ID or other long-number column is read only when it holds the exact digits; otherwise it is a row
   error (``registry.numbercells``, table ``number_damage``).
3. The policy decides: ``all`` stores nothing when any row has an error, ``valid`` stores the valid rows.
   Accepted rows go to ``MEDIA_ROOT/datasets/<dataset>/<load id>.parquet`` with the dataset's typed
   columns plus ``row_number`` and ``id_valid``; rejected rows to an .xlsx error report beside it.

Loads are versions: nothing is replaced. ``current_load`` picks, for a county, the newest committed or
partial load whose region prefix covers it, so loading the same file again changes no result.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import xlsxwriter
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jingzhun.accounts.models import User
from jingzhun.comparison import access
from jingzhun.comparison.datasets import DATASETS, Col, Dataset, T
from jingzhun.comparison.datasets import get as get_dataset
from jingzhun.comparison.models import DatasetLoad, LoadState
from jingzhun.core import audit, quoting, restrict, workbooks
from jingzhun.core.errors import JingzhunError, PermissionDeniedError, ValidationFailed
from jingzhun.core.models import ChangeAction
from jingzhun.regions.choices import PREFIX_LENGTH
from jingzhun.registry import codelists, idnumbers, numbercells, validation
from jingzhun.registry.columns import Column, Kind, Level, normalise_header
from jingzhun.registry.importer import _sha256
from jingzhun.registry.staging import (
    CSV_OPTIONS,
    ImportFileError,
    _sheet_first_rows,
    csv_format_error,
    csv_into_raw,
    match_headers,
    unreadable_excel,
)

log = logging.getLogger(__name__)
Progress = Callable[[int, str], None]
POLICIES = ("all", "valid")
LIVE_STATES = (LoadState.COMMITTED, LoadState.PARTIAL)
PREVIEW_ERRORS = 50
REPORT_ROWS = 100_000  # rows per sheet of the error report; the counts in ``message`` are always complete
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
CSV_SUFFIXES = {".csv", ".txt"}
PARQUET_SUFFIXES = {".parquet"}
# Columns of our own error report and stored files: read back without a warning.
IGNORED_HEADERS = {"错误说明", "原工作表", "原行号", "row_number", "id_valid"}
TRIM_CHARS = quoting.literal(" \t\r\n\u3000\u00a0\ufeff")
REQUIRED = "'必填项，不能为空'"
MONEY_LIMIT = 10**12  # DECIMAL(14,2)
HELP_SHEET = "填写说明"


@dataclass
class LoadError:
    sheet: str
    row: int
    column: str
    value: str
    message: str
    warning: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "severity": "warning" if self.warning else "error",
        }


@dataclass
class Checked:
    """The DuckDB connection after checking: ``raw``, ``p`` (values and problems per row), ``errors``."""

    con: duckdb.DuckDBPyConnection
    dataset: Dataset
    rows: int = 0
    rejected_rows: int = 0
    error_count: int = 0
    warning_count: int = 0
    invalid_ids: int = 0


def datasets_dir(code: str) -> Path:
    path = Path(settings.MEDIA_ROOT) / "datasets" / code
    path.mkdir(parents=True, exist_ok=True)
    return path


def report_file(load: DatasetLoad) -> Path:
    """The absolute path of a load's error report (``error_report`` is relative to MEDIA_ROOT, like the
    register's, for downloading); ``parquet_path`` is absolute, as the engines read it."""
    return Path(settings.MEDIA_ROOT) / load.error_report


# ----------------------------------------------------------------------------------------------- reading


def _norm_header(text: object) -> str:
    return normalise_header(text).lower()


def _header_index(ds: Dataset) -> dict[str, Col]:
    index: dict[str, Col] = {}
    for col in ds.columns:
        index[_norm_header(col.header)] = col
        index[_norm_header(col.key)] = col
    return index


def _map_headers(names: Sequence[object], ds: Dataset, where: str, warnings: list[str]) -> dict[str, int]:
    """Column key → position in the file; unknown columns are warned about, a missing required one is fatal."""
    return match_headers(
        names,
        ds.columns,
        where=where,
        what=ds.name,
        template=_template_hint(ds),
        warnings=warnings,
        ignored=IGNORED_HEADERS,
    )


def _template_hint(ds: Dataset) -> str:
    return f"“部门数据”页面“数据集与模板”中「{ds.name}」的模板"


def _text_columns(ds: Dataset, sources: dict[str, str]) -> str:
    """Every dataset column as trimmed text (NULL when empty or absent), named by its key."""
    return ", ".join(
        f"nullif(trim(CAST({quoting.identifier(sources[c.key])} AS VARCHAR), {TRIM_CHARS}), '') AS {quoting.identifier(c.key)}"
        if c.key in sources
        else f"CAST(NULL AS VARCHAR) AS {quoting.identifier(c.key)}"
        for c in ds.columns
    )


DAMAGE_TABLE = "CREATE TABLE IF NOT EXISTS number_damage (_i BIGINT, key VARCHAR, msg VARCHAR)"


def _settle_numbers(
    text: pa.Array,
    number: pa.Array,
    key: str,
    first: int,
    damage: list[tuple[int, str, str]],
    limit: float = numbercells.LIMIT,
) -> pa.Array:
    """A long-number column's text after ``numbercells.settle`` (a damaged cell as Excel shows it, for the
    error report); its damaged cells listed in ``damage`` as (row index, key, message), ``first`` the index
    of row 0."""
    settled, damaged = numbercells.settle(text, number, limit)
    damage += [(first + k, key, idnumbers.damaged_number_message(v)) for k, v in damaged]
    return settled


def _store_damage(con: duckdb.DuckDBPyConnection, damage: list[tuple[int, str, str]]) -> None:
    """Table ``number_damage(_i, key, msg)``: the number cells that cannot hold their digits."""
    con.execute(DAMAGE_TABLE)
    if damage:
        rows, keys, messages = zip(*damage, strict=True)
        con.register(
            "damage_arrow", pa.table({"_i": pa.array(rows, pa.int64()), "key": keys, "msg": messages})
        )
        con.execute("INSERT INTO number_damage SELECT * FROM damage_arrow")
        con.unregister("damage_arrow")


def _read_xlsx(path: Path, ds: Dataset, warnings: list[str]) -> duckdb.DuckDBPyConnection:
    """Every sheet with the dataset's headers (fastexcel: no Python object per cell); rows numbered as Excel
    shows them."""
    try:
        book = workbooks.open_xlsx(path)
        first_rows = _sheet_first_rows(path)
    except workbooks.WorkbookError as exc:
        raise ImportFileError(exc.message) from exc
    except Exception as exc:  # corrupt zip, not a workbook
        raise unreadable_excel(exc) from exc
    index = _header_index(ds)
    parts: list[pa.Table] = []
    damage: list[tuple[int, str, str]] = []
    total = 0
    for name in book.sheet_names:
        try:
            sheet = book.sheet(name)
        except workbooks.WorkbookError as exc:
            raise ImportFileError(exc.message) from exc
        table = sheet.table
        head = [list(r.values()) for r in table.slice(0, 10).to_pylist()]
        # The header row names at least two of the dataset's columns (the template's help sheet names
        # each column twice, by header and key, one per row).
        h = next(
            (
                i
                for i, row in enumerate(head)
                if len({index[n].key for n in map(_norm_header, row) if n in index}) >= 2
            ),
            None,
        )
        if h is None:
            if name != HELP_SHEET:
                warnings.append(f"工作表「{name}」没有{ds.name}的表头，已跳过")
            continue
        found = _map_headers(head[h], ds, f"工作表「{name}」", warnings)
        body = table.slice(h + 1)
        first = first_rows.get(name, 0) + h + 2
        columns = {key: body.column(j).cast(pa.string()) for key, j in found.items()}
        numbers = numbercells.xlsx_numbers(
            path,
            book,
            sheet,
            table,
            h,
            {c.key: found[c.key] for c in ds.columns if c.long_number and c.key in found},
            first,
        )
        for key, number in numbers.items():
            columns[key] = _settle_numbers(columns[key], number, key, total, damage)
        parts.append(
            pa.table(
                {
                    "_i": pa.array(range(total, total + body.num_rows), pa.int64()),
                    "_sheet": pa.array([name] * body.num_rows, pa.string()),
                    "_row": pa.array(range(first, first + body.num_rows), pa.int32()),
                    **columns,
                }
            )
        )
        total += body.num_rows
    if not parts:
        raise ImportFileError(f"文件中没有找到{ds.name}的表头：请按{_template_hint(ds)}的表头填写")
    con = duckdb.connect()
    con.register("raw_arrow", pa.concat_tables(parts, promote_options="default"))
    present = {name for part in parts for name in part.column_names}
    text = _text_columns(ds, {c.key: c.key for c in ds.columns if c.key in present})
    con.execute(f"CREATE TABLE raw AS SELECT _i, _sheet, _row, {text} FROM raw_arrow")
    con.unregister("raw_arrow")
    _store_damage(con, damage)
    return con


def _csv_table(con: duckdb.DuckDBPyConnection, source: Path, ds: Dataset, warnings: list[str]) -> None:
    try:
        names = [
            r[0]
            for r in con.execute(
                f"DESCRIBE SELECT * FROM read_csv(?, {CSV_OPTIONS})", [str(source)]
            ).fetchall()
        ]
        found = _map_headers(names, ds, "CSV", warnings)
        text = _text_columns(ds, {key: names[j] for key, j in found.items()})
        con.execute(f"CREATE TABLE raw_text AS SELECT {text} FROM read_csv(?, {CSV_OPTIONS})", [str(source)])
    except duckdb.InvalidInputException:
        raise
    except duckdb.Error as exc:
        raise csv_format_error(exc) from exc


def _read_csv(path: Path, ds: Dataset, warnings: list[str]) -> duckdb.DuckDBPyConnection:
    """DuckDB's parallel reader, with the register import's GB18030 fallback (``staging.csv_into_raw``)."""
    con, _ = csv_into_raw(path, lambda c, source, w: _csv_table(c, source, ds, w), warnings)
    return con


def _read_parquet(path: Path, ds: Dataset, warnings: list[str]) -> duckdb.DuckDBPyConnection:
    """A machine's file: columns named by key (or header), any Parquet type (read as its text). An integer
    column holds an 18-digit ID exactly (int64 up to 9.2e18; a 20-digit certificate number does not fit and
    the writer would have refused it); a float column does not: its long-number values go by the rule of
    number cells (DOUBLE exact below 15 digits, FLOAT below 2**24)."""
    con = duckdb.connect()
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        names = [r[0] for r in described]
        found = _map_headers(names, ds, "Parquet 文件", warnings)
        text = _text_columns(ds, {key: names[j] for key, j in found.items()})
        con.execute(
            f"""CREATE TABLE raw AS SELECT file_row_number AS _i, 'Parquet' AS _sheet,
            CAST(file_row_number + 1 AS INTEGER) AS _row, {text} FROM read_parquet(?, file_row_number = true)""",
            [str(path)],
        )
        damage: list[tuple[int, str, str]] = []
        for col in ds.columns:
            kind = described[found[col.key]][1] if col.key in found else None
            if not col.long_number or kind not in ("FLOAT", "DOUBLE"):
                continue
            number = (
                con.sql(
                    f"SELECT {quoting.identifier(names[found[col.key]])} FROM read_parquet(?, file_row_number = true)"
                    " ORDER BY file_row_number",
                    params=[str(path)],
                )
                .to_arrow_table()
                .column(0)
            )
            settled = _settle_numbers(
                pa.nulls(len(number), pa.string()),
                number,
                col.key,
                0,
                damage,
                2**24 if kind == "FLOAT" else numbercells.LIMIT,
            )
            con.register(
                "settled_arrow", pa.table({"_i": pa.array(range(len(number)), pa.int64()), "t": settled})
            )
            con.execute(
                f"UPDATE raw SET {quoting.identifier(col.key)} = s.t FROM settled_arrow s WHERE s._i = raw._i"
            )
            con.unregister("settled_arrow")
        _store_damage(con, damage)
    except duckdb.Error as exc:
        log.info("Parquet file not readable: %s", exc)
        raise ImportFileError(
            "Parquet 文件无法读取：文件已损坏，或者并不是 Parquet 文件。请重新导出后再上传，"
            "或改用 Excel / CSV 模板"
        ) from exc
    return con


def read_source(path: Path, ds: Dataset, warnings: list[str]) -> duckdb.DuckDBPyConnection:
    """A connection holding ``raw`` (and, for Excel and Parquet files, ``number_damage``)."""
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _read_xlsx(path, ds, warnings)
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, ds, warnings)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path, ds, warnings)
    raise ImportFileError(f"不支持的文件类型「{suffix or '无扩展名'}」：请上传 .xlsx、.csv 或 .parquet 文件")


# ---------------------------------------------------------------------------------------------- checking


def _registry_column(col: Col) -> Column:
    """The register's description of a code or yes/no column, so its lookup tables can be reused."""
    return Column(col.header, col.key, Level.MEMBER, Kind.BOOL if col.type == T.BOOL else Kind.CODE)


def _lookup_rows(ds: Dataset) -> list[tuple[str, str, str]]:
    """(key, accepted spelling, stored value): a code is stored as its label; 是/否 as true/false."""
    rows: dict[tuple[str, str], str] = {}
    for col in ds.columns:
        if col.type == T.CODE and col.codelist:
            for spelling, code in codelists.get(col.codelist).spellings().items():
                if code:
                    for text in (spelling, spelling.lower()):
                        rows[(col.key, codelists.normalise(text))] = col.stored_value(code)
        elif col.type == T.CODE:
            for label in col.choices:
                for spelling in (label, label.lower()):
                    rows[(col.key, codelists.normalise(spelling))] = label
        elif col.type == T.BOOL:
            rows.update({(col.key, w): "true" for w in validation.TRUE_WORDS})
            rows.update({(col.key, w): "false" for w in validation.FALSE_WORDS})
    return [(key, spelling, value) for (key, spelling), value in rows.items()]


def _attach_ids(con: duckdb.DuckDBPyConnection, key: str) -> None:
    """Table ``ids_<key>(_i, canon, norm, msg, excel_number)``: each given ID checked (GB 11643).

    Clean 18-digit numbers are checked in SQL (the register's check, applied to this column); the rest go
    to ``idnumbers.parse_many`` so the messages are the register's. A number cell that cannot hold the ID's
    digits (``number_damage``) is an error like an ID Excel turned into text such as 6.20502E+17."""
    fast = validation._fast_id_sql().replace('"id_number"', quoting.identifier(key))
    con.execute(f"CREATE TABLE ok_{key} AS SELECT _i, id_canon FROM ({fast})")
    slow = con.execute(
        f"SELECT _i, {quoting.identifier(key)} FROM raw ANTI JOIN ok_{key} USING (_i) WHERE {quoting.identifier(key)} IS NOT NULL"
    ).fetchall()
    texts = [t for _, t in slow]
    numbers, _sexes, codes, _births, messages = idnumbers.parse_many(texts)
    table = pa.table(
        {
            "_i": pa.array([i for i, _ in slow], pa.int64()),
            "canon": pa.array(numbers, pa.string()),
            "norm": pa.array([idnumbers.normalize(t) or None for t in texts], pa.string()),
            "msg": pa.array(messages, pa.string()),
            "excel_number": pa.array([c == "excel_number" for c in codes], pa.bool_()),
        }
    )
    con.register("ids_arrow", table)
    con.execute(f"""CREATE TABLE ids_{key} AS SELECT _i, id_canon AS canon, id_canon AS norm,
        CAST(NULL AS VARCHAR) AS msg, false AS excel_number FROM ok_{key} UNION ALL SELECT * FROM ids_arrow""")
    con.unregister("ids_arrow")
    con.execute(f"DROP TABLE ok_{key}")
    con.execute(f"""UPDATE ids_{key} SET canon = NULL, norm = NULL, msg = d.msg, excel_number = true
        FROM number_damage d WHERE d.key = {quoting.literal(key)} AND d._i = ids_{key}._i""")


def _quoted(t: str, before: str, after: str = "」") -> str:
    return f"{quoting.literal(before)} || {t} || {quoting.literal(after)}"


def _src(col: Col) -> str:
    return f"r.{quoting.identifier(col.key)}"


def _id_sql(col: Col, keep_invalid_ids: bool) -> tuple[list[str], str, str | None]:
    """``id_number`` keeps an invalid ID (``id_valid`` false); another ID column stores it as NULL with a
    warning. An ID Excel turned into a number is an error in both."""
    k, ids = col.key, f"ids_{col.key}"
    items = [f"{ids}.excel_number AS x_{k}", f"{ids}.msg AS m_{k}"]
    if k != "id_number":
        warn = f"CASE WHEN m_{k} IS NOT NULL AND NOT x_{k} THEN m_{k} || '（该列已按空值保存）' END"
        return [*items, f"{ids}.canon AS v_{k}"], f"CASE WHEN x_{k} THEN m_{k} END", warn
    items += [
        f"coalesce({ids}.canon, left({ids}.norm, {col.max_length})) AS v_{k}",
        f"{ids}.canon IS NOT NULL AS id_valid",
    ]
    rejects = f"x_{k}" if keep_invalid_ids else f"m_{k} IS NOT NULL"
    return items, f"CASE WHEN {rejects} THEN m_{k} END", None


def _text_sql(col: Col) -> tuple[list[str], str]:
    t = f"t_{col.key}"
    return [f"{_src(col)} AS v_{col.key}"], (
        f"CASE WHEN length({t}) > {col.max_length} THEN '超过 {col.max_length} 个字符（实际 ' || length({t}) || ' 个）' END"
    )


def _region_sql(col: Col) -> tuple[list[str], str]:
    t = f"t_{col.key}"
    return [f"{_src(col)} AS v_{col.key}"], (
        f"CASE WHEN NOT regexp_full_match({t}, '[0-9]{{6}}|[0-9]{{9}}|[0-9]{{12}}')"
        f" THEN {_quoted(t, '区划代码应为 6、9 或 12 位数字，实际为「')} END"
    )


def _code_sql(col: Col) -> tuple[list[str], str]:
    """Looked up in ``d_<key>`` (each distinct text once): a code is stored as its label."""
    hint = f"」不是有效的{col.header}，可填：" + "、".join(col.choices)
    return [
        f"d_{col.key}.v AS v_{col.key}"
    ], f"CASE WHEN v_{col.key} IS NULL THEN {_quoted(f't_{col.key}', '「', hint)} END"


def _bool_sql(col: Col) -> tuple[list[str], str]:
    return [f"d_{col.key}.v AS v_{col.key}"], (
        f"CASE WHEN v_{col.key} IS NULL THEN {_quoted(f't_{col.key}', '应填“是”或“否”，实际为「')} END"
    )


def _date_sql(col: Col) -> tuple[list[str], str]:
    src, v = _src(col), f"v_{col.key}"
    fmts = ", ".join(quoting.literal(f) for f in validation.DATE_FORMATS)
    # A five-digit number is an Excel date serial (a date cell that lost its format).
    value = (
        f"CASE WHEN regexp_full_match({src}, '[0-9]{{5}}') THEN DATE '1899-12-30' + CAST({src} AS INTEGER)"
        f" ELSE CAST(try_strptime({src}, [{fmts}]) AS DATE) END"
    )
    return [f"({value}) AS {v}"], (
        f"CASE WHEN {v} IS NULL THEN {_quoted(f't_{col.key}', '日期格式应为 2024-03-15，实际为「')}"
        f" WHEN {v} < DATE '1900-01-01' THEN '日期早于 1900 年' WHEN {v} > DATE '2100-12-31' THEN '日期晚于 2100 年' END"
    )


def _money_sql(col: Col) -> tuple[list[str], str]:
    k, t, v = col.key, f"t_{col.key}", f"v_{col.key}"
    plain = f"replace(replace(replace({_src(col)}, ',', ''), '，', ''), ' ', '')"
    # More than two decimals is an error, except the noise of a float an Excel formula computed.
    return [f"TRY_CAST({plain} AS DOUBLE) AS n_{k}", f"TRY_CAST({plain} AS DECIMAL(14, 2)) AS {v}"], (
        f"CASE WHEN {v} IS NULL THEN CASE WHEN abs(n_{k}) >= {MONEY_LIMIT} THEN '数值过大，请检查单位'"
        f" ELSE {_quoted(t, '应为数字，实际为「')} END"
        f" WHEN {v} < 0 THEN {_quoted(t, '不能为负数，实际为「')}"
        f" WHEN abs(n_{k} - CAST({v} AS DOUBLE)) > 1e-6 THEN {_quoted(t, '最多两位小数，实际为「')} END"
    )


def _int_sql(col: Col) -> tuple[list[str], str]:
    num = f"TRY_CAST({_src(col)} AS DOUBLE)"  # "3.0" is 3, "3.5" is not an integer (a cast would round it)
    value = f"CASE WHEN {num} = floor({num}) AND abs({num}) < 2147483648 THEN CAST({num} AS INTEGER) END"
    return [f"{value} AS v_{col.key}"], (
        f"CASE WHEN v_{col.key} IS NULL THEN {_quoted(f't_{col.key}', '应为整数，实际为「')} END"
    )


PARSERS: dict[T, Callable[[Col], tuple[list[str], str]]] = {
    T.TEXT: _text_sql,
    T.REGION: _region_sql,
    T.CODE: _code_sql,
    T.BOOL: _bool_sql,
    T.DATE: _date_sql,
    T.MONEY: _money_sql,
    T.INT: _int_sql,
}


def _column_sql(col: Col, keep_invalid_ids: bool) -> tuple[list[str], str, str | None]:
    """(inner select items over ``r`` and the joined tables, error expression over ``t_``/``v_``, warning).

    The error of a cell refers to its parsed value, so each cell is parsed once; an empty cell is an error
    only when the column is required."""
    t = f"t_{col.key}"
    if col.type == T.ID:
        items, err, warn = _id_sql(col, keep_invalid_ids)
    else:
        (items, err), warn = PARSERS[col.type](col), None
    err = f"CASE WHEN {t} IS NULL THEN {REQUIRED if col.required else 'NULL'} ELSE {err} END"
    return [f"{_src(col)} AS {t}", *items], err, warn


def check(con: duckdb.DuckDBPyConnection, ds: Dataset) -> Checked:
    """Build ``p`` (one row per non-empty file row: values, problems) and ``errors`` (one row per problem)."""
    result = Checked(con=con, dataset=ds)
    con.execute(DAMAGE_TABLE)
    con.execute("CREATE TABLE cols (key VARCHAR, header VARCHAR, pos INTEGER)")
    con.executemany(
        "INSERT INTO cols VALUES (?, ?, ?)", [(c.key, c.header, j) for j, c in enumerate(ds.columns)]
    )
    con.execute("CREATE TABLE lookups (key VARCHAR, spelling VARCHAR, value VARCHAR)")
    lookups = list(_lookup_rows(ds))
    if lookups:  # DuckDB refuses executemany with no rows (payroll and employment have no code columns)
        con.executemany("INSERT INTO lookups VALUES (?, ?, ?)", lookups)
    inner: list[str] = ["r._i", "r._sheet", "r._row"]
    joins: list[str] = []
    errors: dict[str, str] = {}
    warnings: dict[str, str] = {}
    for col in ds.columns:
        if col.type in (T.CODE, T.BOOL):
            validation._distinct_table(con, _registry_column(col))
            joins.append(f"LEFT JOIN d_{col.key} ON d_{col.key}.t = r.{quoting.identifier(col.key)}")
        elif col.type == T.ID:
            _attach_ids(con, col.key)
            joins.append(f"LEFT JOIN ids_{col.key} ON ids_{col.key}._i = r._i")
        items, err, warn = _column_sql(col, ds.keep_invalid_ids)
        if (
            col.digits
        ):  # a number cell that cannot hold the digits: the error of the column, whatever the text
            joins.append(
                f"LEFT JOIN number_damage n_{col.key} ON n_{col.key}._i = r._i"
                f" AND n_{col.key}.key = {quoting.literal(col.key)}"
            )
            items.append(f"n_{col.key}.msg AS g_{col.key}")
            err = f"coalesce(g_{col.key}, {err})"
        inner += items
        errors[col.key] = err
        if warn:
            warnings[col.key] = warn
    if "id_number" not in ds.keys:
        inner.append("CAST(NULL AS BOOLEAN) AS id_valid")
    filled = " OR ".join(f"r.{quoting.identifier(k)} IS NOT NULL" for k in ds.keys)
    outer = [
        "_i",
        "_sheet",
        "_row",
        "id_valid",
        *(f"v_{k}" for k in ds.keys),
        *(f"{e} AS e_{k}" for k, e in errors.items()),
        *(f"{w} AS w_{k}" for k, w in warnings.items()),
    ]
    con.execute(f"""CREATE TABLE p AS SELECT {", ".join(outer)} FROM (
        SELECT {", ".join(inner)} FROM raw r {" ".join(joins)} WHERE {filled})""")
    con.execute(
        "CREATE TABLE errors (_i BIGINT, _sheet VARCHAR, _row INTEGER, col VARCHAR, msg VARCHAR,"
        " warning BOOLEAN, val VARCHAR)"
    )
    for prefix, names, warning in (("e", list(errors), False), ("w", list(warnings), True)):
        if not names:
            continue
        picks = ", ".join(f'{prefix}_{k} AS "{k}"' for k in names)
        con.execute(f"""INSERT INTO errors SELECT _i, _sheet, _row, col, msg, {warning}, NULL FROM (
            UNPIVOT (SELECT _i, _sheet, _row, {picks} FROM p WHERE coalesce({", ".join(f"{prefix}_{k}" for k in names)}) IS NOT NULL)
            ON COLUMNS(* EXCLUDE (_i, _sheet, _row)) INTO NAME col VALUE msg)""")
    quote = " ".join(f"WHEN {quoting.literal(k)} THEN r.{quoting.identifier(k)}" for k in ds.keys)
    con.execute(f"UPDATE errors SET val = CASE errors.col {quote} END FROM raw r WHERE r._i = errors._i")
    result.rows, result.invalid_ids = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE NOT id_valid AND {_accepted(ds)}) FROM p"
    ).fetchone()  # type: ignore[misc]  # an aggregate: always one row
    result.rejected_rows, result.error_count, result.warning_count = con.execute(
        "SELECT count(DISTINCT _i) FILTER (WHERE NOT warning), count(*) FILTER (WHERE NOT warning),"
        " count(*) FILTER (WHERE warning) FROM errors"
    ).fetchone()  # type: ignore[misc]  # an aggregate: always one row
    return result


def _accepted(ds: Dataset) -> str:
    return " AND ".join(f"e_{k} IS NULL" for k in ds.keys)


def row_errors(checked: Checked, limit: int | None = None) -> list[LoadError]:
    rows = checked.con.execute(
        "SELECT _sheet, _row, c.header, coalesce(val, ''), msg, warning FROM errors JOIN cols c ON c.key = errors.col"
        f" ORDER BY _i, c.pos{f' LIMIT {int(limit)}' if limit is not None else ''}"
    ).fetchall()
    return [LoadError(*r) for r in rows]


# ----------------------------------------------------------------------------------------------- writing


def write_rows(checked: Checked, path: Path) -> None:
    """The accepted rows with exactly the dataset's typed columns, ``row_number`` and ``id_valid`` (zstd)."""
    ds = checked.dataset
    columns = ", ".join(f"CAST(v_{c.key} AS {c.sql_type}) AS {quoting.identifier(c.key)}" for c in ds.columns)
    tmp = path.with_suffix(".parquet.tmp")
    checked.con.execute(f"""COPY (SELECT {columns}, CAST(_row AS INTEGER) AS row_number, id_valid FROM p
        WHERE {_accepted(ds)} ORDER BY _i) TO {quoting.path(tmp)} (FORMAT parquet, COMPRESSION zstd)""")
    os.replace(tmp, path)


def write_error_report(checked: Checked, path: Path) -> Path:
    """Rows with errors as they were typed, with the problems beside them (ready to fix and load again), and
    the list of every problem, warnings included."""
    ds, con = checked.dataset, checked.con
    keys = ", ".join(f"r.{quoting.identifier(k)}" for k in ds.keys)
    bad_rows = con.execute(f"""SELECT r._sheet, r._row, m.message, {keys} FROM (
        SELECT _i, string_agg(c.header || '：' || e.msg, '；' ORDER BY c.pos) AS message
        FROM errors e JOIN cols c ON c.key = e.col WHERE NOT e.warning GROUP BY _i ORDER BY _i LIMIT {REPORT_ROWS}) m
        JOIN raw r USING (_i) ORDER BY r._i""").fetchall()
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    head = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    text = wb.add_format({"num_format": "@"})
    msg_fmt = wb.add_format({"font_color": "#9C0006"})
    ws = wb.add_worksheet("待修改数据")
    ws.write_row(0, 0, ["错误说明", "原工作表", "原行号", *(c.header for c in ds.columns)], head)
    ws.set_column(0, 0, 60)
    ws.set_column(3, 2 + len(ds.columns), 16, text)
    for n, (sheet, row, message, *values) in enumerate(bad_rows, start=1):
        ws.write_string(n, 0, message, msg_fmt)
        ws.write_string(n, 1, sheet)
        ws.write_number(n, 2, row)
        for j, value in enumerate(values):
            if value is not None:
                ws.write_string(n, 3 + j, value, text)
    ws2 = wb.add_worksheet("错误清单")
    ws2.write_row(0, 0, ["工作表", "行号", "列", "填写内容", "错误原因", "类型"], head)
    ws2.set_column(4, 4, 70)
    for n, e in enumerate(row_errors(checked, REPORT_ROWS), start=1):
        ws2.write_row(
            n, 0, [e.sheet, e.row, e.column, e.value, e.message, "提示（已入库）" if e.warning else "错误"]
        )
    wb.close()
    return path


# ------------------------------------------------------------------------------------------------- loads


def _as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed(f"数据截止日期格式应为 2024-03-15，实际为「{value}」") from None


def load_scope(user: User | None, region_prefix: str) -> str:
    """The region the load covers: inside the user's jurisdiction ("" = theirs); anything for the system."""
    prefix = (region_prefix or "").strip()
    if prefix and (not prefix.isdigit() or len(prefix) not in PREFIX_LENGTH.values()):
        raise ValidationFailed(f"覆盖区划代码前缀应为 2、4、6、9 或 12 位数字，实际为「{prefix}」")
    if user is None:
        return prefix
    own = restrict.jurisdiction(user)
    if own is None:
        raise PermissionDeniedError("您的账号没有辖区，不能上传部门数据")
    prefix = prefix or own
    if not prefix.startswith(own):
        raise PermissionDeniedError(f"覆盖范围「{prefix}」超出了您的辖区（{own}）")
    return prefix


def _set_progress(load: DatasetLoad, percent: int, stage: str, progress: Progress | None) -> None:
    DatasetLoad.objects.filter(pk=load.pk).update(progress=percent, stage=stage)
    load.progress, load.stage = percent, stage
    if progress:
        progress(percent, stage)


def new_load(
    *,
    actor: audit.Actor,
    user: Any,
    path: Path | str,
    dataset: str,
    as_of: dt.date | str,
    region_prefix: str = "",
    policy: str = "valid",
    file_name: str | None = None,
) -> DatasetLoad:
    """Check what a person can get wrong about a load before reading the file, and create its row
    (state running, nothing stored yet)."""
    path = Path(path)
    ds = get_dataset(dataset)
    day = _as_date(as_of)
    if policy not in POLICIES:
        raise ValidationFailed(f"未知的入库方式：{policy}（all：全部正确才入库；valid：只入库正确的行）")
    if user is not None and not access.can_load(user, ds):
        raise PermissionDeniedError(f"您不能上传「{ds.name}」（{ds.department_name}的数据）")
    prefix = load_scope(user, region_prefix)
    return DatasetLoad.objects.create(
        id=uuid.uuid4().hex,
        dataset=ds.code,
        department=ds.department,
        as_of=day,
        region_prefix=prefix,
        file_name=(file_name or path.name)[:255],
        file_sha256=_sha256(path),
        user=actor.user,
        user_name=actor.name,
        policy=policy,
        stage="排队等待",
    )


def load_dataset(
    *,
    actor: audit.Actor,
    user: User | None,
    path: Path | str,
    dataset: str,
    as_of: dt.date | str,
    region_prefix: str = "",
    policy: str = "valid",
    file_name: str | None = None,
    progress: Progress | None = None,
    load: DatasetLoad | None = None,
) -> DatasetLoad:
    """Check one department file and store its accepted rows; returns the load (also for the CLI and web).

    ``user`` None is the system (the shell): any dataset, any region. A file-level problem (unreadable,
    a required column missing) and policy ``all`` with any row error leave the load ``rejected``, nothing
    stored. ``load``: the row ``new_load`` made (a job's); run again after a crash it is checked and
    stored anew into the same row and the same Parquet file, and a finished one is left as it is."""
    path = Path(path)
    if load is None:
        load = new_load(
            actor=actor,
            user=user,
            path=path,
            dataset=dataset,
            as_of=as_of,
            region_prefix=region_prefix,
            policy=policy,
            file_name=file_name,
        )
    elif load.finished_at is not None:
        return load
    ds = get_dataset(load.dataset)
    try:
        _run(load, ds, path, progress)
    except JingzhunError as exc:  # the file as a whole is wrong: nothing stored
        load.state = LoadState.REJECTED
        load.message = exc.message
    except Exception:
        load.state = LoadState.FAILED
        load.message = "入库时发生内部错误，没有入库任何数据。请联系管理员。"
        _finish(load, actor, progress)
        raise
    _finish(load, actor, progress)
    return load


def _run(load: DatasetLoad, ds: Dataset, path: Path, progress: Progress | None) -> None:
    if path.stat().st_size > settings.JINGZHUN_MAX_IMPORT_BYTES:
        raise ImportFileError(
            f"文件超过 {settings.JINGZHUN_MAX_IMPORT_BYTES // (1024 * 1024)} MB，请分开上传"
        )
    _set_progress(load, 5, "读取文件", progress)
    notes: list[str] = []
    con = read_source(path, ds, notes)
    try:
        _set_progress(load, 30, "校验数据", progress)
        checked = check(con, ds)
        if checked.rows == 0:
            raise ImportFileError("文件中没有任何数据行")
        load.rows_total = checked.rows
        load.rows_rejected = checked.rejected_rows
        load.errors_preview = [e.as_dict() for e in row_errors(checked, PREVIEW_ERRORS)]
        if checked.error_count or checked.warning_count:
            _set_progress(load, 55, "生成错误报告", progress)
            write_error_report(checked, datasets_dir(ds.code) / f"{load.id}-errors.xlsx")
            load.error_report = f"datasets/{ds.code}/{load.id}-errors.xlsx"
        store = checked.rejected_rows == 0 or (
            load.policy == "valid" and checked.rejected_rows < checked.rows
        )
        if store:
            _set_progress(load, 75, "写入 Parquet", progress)
            stored = datasets_dir(ds.code) / f"{load.id}.parquet"
            write_rows(checked, stored)
            load.parquet_path = str(stored)
            load.rows_accepted = checked.rows - checked.rejected_rows
            load.state = LoadState.PARTIAL if checked.rejected_rows else LoadState.COMMITTED
        else:
            load.state = LoadState.REJECTED
        load.message = "\n".join([_summary(load, checked), *_same_file(load), *notes[:20]])
    finally:
        con.close()


def _summary(load: DatasetLoad, checked: Checked) -> str:
    bad = f"发现 {checked.error_count} 处错误（{checked.rejected_rows} 行）"
    if load.state == LoadState.REJECTED:
        if load.policy == "all":
            return f"{bad}，按“全部正确才入库”的要求，本次没有入库任何数据。请按错误报告修改后重新上传。"
        return f"{bad}，所有行都有错误，没有入库任何数据。请按错误报告修改后重新上传。"
    parts = [f"入库 {load.rows_accepted} 行"]
    if checked.rejected_rows:
        parts.append(f"有错误未入库 {checked.rejected_rows} 行（{checked.error_count} 处错误，见错误报告）")
    if checked.invalid_ids:
        parts.append(f"{checked.invalid_ids} 行证件号码无效，已保留供数据质量规则核查")
    if checked.warning_count:
        parts.append(f"{checked.warning_count} 处提示（已入库，见错误报告）")
    return "；".join(parts) + "。"


def _same_file(load: DatasetLoad) -> list[str]:
    twin = (
        DatasetLoad.objects.filter(
            dataset=load.dataset,
            as_of=load.as_of,
            region_prefix=load.region_prefix,
            file_sha256=load.file_sha256,
            state__in=LIVE_STATES,
        )
        .exclude(pk=load.pk)
        .order_by("-started_at")
        .first()
    )
    if twin is None or load.state not in LIVE_STATES:
        return []
    return [
        f"该文件与批次 {twin.pk}（{timezone.localtime(twin.started_at):%Y-%m-%d %H:%M}）完全相同，比对结果不会因此改变。"
    ]


def _finish(load: DatasetLoad, actor: audit.Actor, progress: Progress | None) -> None:
    load.progress, load.stage, load.finished_at = 100, "完成", timezone.now()
    with transaction.atomic():
        load.save()
        audit.record(actor, ChangeAction.CREATE, load)
    if progress:
        progress(100, "完成")


# ------------------------------------------------------------------------------------------- current data


def current_load(dataset: str, county_code: str) -> DatasetLoad | None:
    """The newest committed or partial load of the dataset (by ``as_of``, then when it was loaded) whose
    region prefix covers the county ("" covers everything)."""
    return (
        DatasetLoad.objects.filter(
            dataset=dataset, state__in=LIVE_STATES, region_prefix__in=access.covering_prefixes(county_code)
        )
        .order_by("-as_of", "-started_at")
        .first()
    )


def current_by_county(county_codes: Iterable[str]) -> dict[str, dict[str, DatasetLoad]]:
    """County code → dataset code → its current load (datasets without one are left out); one query."""
    counties = list(dict.fromkeys(county_codes))
    prefixes = {p for code in counties for p in access.covering_prefixes(code)}
    loads = DatasetLoad.objects.filter(state__in=LIVE_STATES, region_prefix__in=prefixes).order_by(
        "-as_of", "-started_at"
    )
    result: dict[str, dict[str, DatasetLoad]] = {code: {} for code in counties}
    for load in loads:  # newest first: the first covering load of a dataset is the county's current one
        for code in counties:
            if code.startswith(load.region_prefix):
                result[code].setdefault(load.dataset, load)
    return result


def current_loads(county_codes: Iterable[str]) -> dict[str, list[DatasetLoad]]:
    """Dataset code → the current loads covering these counties (each load once; every dataset listed,
    [] when none). A run reads one file per load; a load that covers more than the run (a province file)
    holds rows of other counties too, so read it through ``current_by_county`` to know which it serves."""
    result: dict[str, list[DatasetLoad]] = {ds.code: [] for ds in DATASETS}
    for by_dataset in current_by_county(county_codes).values():
        for code, load in by_dataset.items():
            if load not in result[code]:
                result[code].append(load)
    return result


# ---------------------------------------------------------------------------------------------- template

TYPE_HINTS = {
    T.ID: "18 位身份证号码（15 位旧号码也可）",
    T.TEXT: "文字",
    T.REGION: "6、9 或 12 位区划代码",
    T.CODE: "从列出的选项中选一项",
    T.DATE: "日期，如 2024-03-15",
    T.MONEY: "数字，最多两位小数，不能为负",
    T.INT: "整数",
    T.BOOL: "是 / 否",
}
TEXT_TYPES = {T.ID, T.TEXT, T.REGION, T.CODE}


def describe(col: Col) -> str:
    if col.type == T.CODE:
        return "、".join(col.choices)
    if col.type == T.TEXT:
        return f"文字，最多 {col.max_length} 字"
    return TYPE_HINTS[col.type]


def write_template(ds: Dataset, path: Path, fmt: str = "xlsx") -> Path:
    """An empty file with the Chinese headers (required ones marked *); for .xlsx a sheet describing each
    column, text format for IDs and codes (so Excel keeps every digit) and drop-downs for code columns."""
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerow([c.header for c in ds.columns])
        return path
    wb = xlsxwriter.Workbook(str(path))
    head = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    req = wb.add_format({"bold": True, "bg_color": "#FDE9E7", "font_color": "#B00000", "border": 1})
    text = wb.add_format({"num_format": "@"})
    ws = wb.add_worksheet(ds.name)
    ws.freeze_panes(1, 0)
    for j, col in enumerate(ds.columns):
        ws.write(0, j, col.header + ("*" if col.required else ""), req if col.required else head)
        ws.set_column(j, j, max(12, len(col.header) * 2 + 2), text if col.type in TEXT_TYPES else None)
        if col.type == T.CODE:
            ws.data_validation(
                1, j, 1_048_575, j, {"validate": "list", "source": list(col.choices), "error_type": "warning"}
            )
    help_ws = wb.add_worksheet(HELP_SHEET)
    help_ws.write_row(0, 0, ["列名", "字段名", "类型", "是否必填", "填写要求", "说明"], head)
    for i, col in enumerate(ds.columns, start=1):
        help_ws.write_row(
            i,
            0,
            [col.header, col.key, col.sql_type, "必填" if col.required else "", describe(col), col.notes],
        )
    help_ws.write(len(ds.columns) + 2, 0, f"{ds.name}（{ds.department_name}）：{ds.description}")
    help_ws.write(
        len(ds.columns) + 3, 0, "表头可用中文列名或字段名；证件号码请保持文本格式，不要让 Excel 转成数字。"
    )
    help_ws.set_column(0, 1, 22)
    help_ws.set_column(4, 4, 60)
    wb.close()
    return path
