"""Set-based validation of a staged import in DuckDB: one SQL pass parses every cell and names every error.

Each column's parser and error message is generated from ``columns.COLUMNS``, so the template, the import
and the export can never disagree about a column. Messages are Chinese and say what to type instead.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa

from jingzhun.core import quoting
from jingzhun.registry import codelists, idnumbers
from jingzhun.registry.choices import Relation
from jingzhun.registry.columns import INPUT_COLUMNS, PLACE_COLUMNS, Column, Kind, Level
from jingzhun.registry.staging import Staged

TRUE_WORDS = ("是", "Y", "YES", "1", "TRUE", "√", "有", "T")
FALSE_WORDS = ("否", "N", "NO", "0", "FALSE", "×", "无", "F")
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
)
MONEY_MAX = 100_000_000


def _norm(expr: str) -> str:
    return f"replace(replace(replace(replace({expr}, '（', '('), '）', ')'), ' ', ''), '\u3000', '')"


def codelist(col: Column) -> codelists.CodeList:
    """The code list behind a code column (``data/codelists.toml``)."""
    assert col.codes is not None
    return codelists.get(col.codes.codelist)  # type: ignore[attr-defined]  # Any-typed choices class


def spellings(col: Column) -> dict[str, str]:
    """Every accepted spelling of each code: the code, the code without leading zeros, the label and the
    list's documented aliases (``""``: a documented way of leaving the cell empty)."""
    return codelist(col).spellings()


def lookup_rows() -> list[tuple[str, str, str]]:
    """(column key, accepted spelling, stored value) for every code and yes/no column: joined, not CASEd."""
    rows: list[tuple[str, str, str]] = []
    for col in INPUT_COLUMNS:
        if col.kind == Kind.CODE:
            rows += [(col.key, spelling, code) for spelling, code in spellings(col).items()]
        elif col.kind == Kind.BOOL:
            rows += [(col.key, w, "true") for w in TRUE_WORDS] + [(col.key, w, "false") for w in FALSE_WORDS]
    return rows


def lookup_key(col: Column, expr: str) -> str:
    return f"upper({expr})" if col.kind == Kind.BOOL else _norm(expr)


def _case(expr: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN {quoting.literal(k)} THEN {quoting.literal(v)}" for k, v in mapping.items())
    return f"(CASE {_norm(expr)} {whens} END)"


def _choices_hint(col: Column) -> str:
    return codelist(col).hint()


CODE_PARTS = "list_filter(string_split_regex({x}, '[、,，;；/\\s]+'), lambda x: x <> '')"


def _codes_error(col: Column, t: str, v: str) -> str:
    """The error of a code-list cell: unknown items, or too many."""
    bad = f"list_filter({CODE_PARTS.format(x=t)}, lambda x: {_case('x', spellings(col))} IS NULL)"
    too_many = f"WHEN len({v}) > {col.max_items} THEN '最多填 {col.max_items} 项'" if col.max_items else ""
    hint = quoting.literal(f"，可填：{_choices_hint(col)}")
    return (
        f"CASE WHEN {t} IS NULL THEN NULL WHEN len({bad}) > 0 THEN '无法识别：' || array_to_string({bad}, '、')"
        f" || {hint} {too_many} END"
    )


def parse_expr(col: Column) -> tuple[str, str]:
    """(value expression over the raw text column, error expression over ``t_<key>`` and ``v_<key>``).

    The error expression refers to the already parsed value, so each cell is parsed once.
    """
    src = quoting.identifier(col.key)
    t, v = f"t_{col.key}", f"v_{col.key}"
    k = col.kind
    if k in (Kind.TEXT, Kind.ID):
        err = (
            f"CASE WHEN length({t}) > {col.max_length} THEN '超过 {col.max_length} 个字符' END"
            if col.max_length
            else "NULL"
        )
        return src, err
    if k == Kind.REGION:
        return (
            src,
            f"CASE WHEN NOT regexp_full_match({t}, '[0-9]{{12}}') THEN '行政村编号应为 12 位数字（统计用区划代码）' END",
        )
    if k == Kind.CODE:
        hint = quoting.literal(f"」不是有效的{col.header}，可填：{_choices_hint(col)}")
        return (
            f"l_{col.key}.value",
            f"CASE WHEN {t} IS NOT NULL AND {v} IS NULL THEN '「' || {t} || {hint} END",
        )
    if k == Kind.CODES:
        case = _case("x", spellings(col))
        # Codes are numeric strings: keep them distinct and in numeric order, so equal sets compare equal.
        value = (
            f"CASE WHEN {src} IS NULL THEN NULL ELSE list_transform(list_sort(list_distinct(list_transform("
            f"{CODE_PARTS.format(x=src)}, lambda x: TRY_CAST({case} AS INTEGER)))), lambda x: CAST(x AS VARCHAR)) END"
        )
        return value, _codes_error(col, t, v)
    if k == Kind.BOOL:
        value = f"CAST(l_{col.key}.value AS BOOLEAN)"
        return (
            value,
            f"CASE WHEN {t} IS NOT NULL AND {v} IS NULL THEN '应填“是”或“否”，实际为「' || {t} || '」' END",
        )
    if k in (Kind.INT, Kind.YEAR):
        num = f"TRY_CAST({t} AS DOUBLE)"
        lo, hi = (1949, 2100) if k == Kind.YEAR else (0, col.max_value or 1_000_000)
        what = "年份（如 2024）" if k == Kind.YEAR else f"{lo} 到 {hi} 之间的整数"
        err = (
            f"CASE WHEN {t} IS NOT NULL AND ({num} IS NULL OR {num} <> floor({num}) OR {num} < {lo} OR {num} > {hi})"
            f" THEN '应为{what}，实际为「' || {t} || '」' END"
        )
        value = f"CAST(TRY_CAST({src} AS DOUBLE) AS INTEGER)"
        return f"CASE WHEN TRY_CAST({src} AS DOUBLE) BETWEEN {lo} AND {hi} THEN {value} END", err
    if k in (Kind.MONEY, Kind.AREA):
        value = f"TRY_CAST(replace(replace({src}, ',', ''), '，', '') AS DECIMAL(14, 2))"
        err = (
            f"CASE WHEN {t} IS NOT NULL AND {v} IS NULL THEN '应为数字，实际为「' || {t} || '」'"
            f" WHEN {v} < 0 THEN '不能为负数' WHEN {v} > {MONEY_MAX} THEN '数值过大，请检查单位' END"
        )
        return value, err
    if k == Kind.DATE:
        fmts = ", ".join(quoting.literal(f) for f in DATE_FORMATS)
        value = (
            f"(CASE WHEN regexp_full_match({src}, '[0-9]{{5}}') THEN DATE '1899-12-30' + CAST({src} AS INTEGER)"
            f" ELSE CAST(try_strptime({src}, [{fmts}]) AS DATE) END)"
        )
        today = dt.date.today().isoformat()
        err = (
            f"CASE WHEN {t} IS NOT NULL AND {v} IS NULL THEN '日期格式应为 2024-03-15，实际为「' || {t} || '」'"
            f" WHEN {v} > DATE '{today}' THEN '日期晚于今天' WHEN {v} < DATE '1900-01-01' THEN '日期早于 1900 年' END"
        )
        return value, err
    raise AssertionError(k)


def _fast_id_sql() -> str:
    """Rows whose ID is a clean 18-character number that ``idnumbers.parse`` accepts, checked in SQL:
    province, birth date, check digit (GB 11643). Everything else (spaces, full-width digits, lower-case x,
    15 or 20 digits, errors) goes to Python, so the messages stay the ones ``parse`` gives."""
    x = '"id_number"'
    total = " + ".join(
        f"(ascii(substr({x}, {k + 1}, 1)) - 48) * {w}" for k, w in enumerate(idnumbers.WEIGHTS)
    )
    provinces = ", ".join(f"'{p}'" for p in sorted(idnumbers.PROVINCE_CODES))
    born = f"CAST(try_strptime(substr({x}, 7, 8), '%Y%m%d') AS DATE)"
    today = dt.date.today().isoformat()
    return f"""SELECT _i, {x} AS id_raw, {x} AS id_canon,
            CASE WHEN (ascii(substr({x}, 17, 1)) - 48) % 2 = 1 THEN '1' ELSE '2' END AS id_sex, born AS id_birth
        FROM (SELECT _i, {x}, {born} AS born FROM raw WHERE regexp_full_match({x}, '[0-9]{{17}}[0-9X]'))
        WHERE substr({x}, 1, 2) IN ({provinces})
          AND born BETWEEN DATE '{idnumbers.MIN_BIRTH_YEAR}-01-01' AND DATE '{today}'
          AND substr('{idnumbers.CHECK_CHARS}', CAST(({total}) % 11 AS INTEGER) + 1, 1) = substr({x}, 18, 1)"""


def attach_ids(staged: Staged) -> None:
    """Table ``ids``: each row's ID parsed. Clean numbers are checked in SQL; the rest (and any file whose
    values Python already holds with their Excel types) by ``idnumbers.parse_many``, joined by row index."""
    con = staged.con
    con.execute(f"CREATE TABLE ids_fast AS {_fast_id_sql()}")
    slow = [
        r[0] for r in con.execute("SELECT _i FROM raw ANTI JOIN ids_fast USING (_i) ORDER BY _i").fetchall()
    ]
    if staged.id_values is None:
        texts = dict(con.execute("SELECT _i, id_number FROM raw ANTI JOIN ids_fast USING (_i)").fetchall())
        values: list[object] = [texts[i] for i in slow]
    else:
        values = [staged.id_values[i] for i in slow]
    numbers, sexes, _codes, births, messages = idnumbers.parse_many(values)
    kinds: list[str | None] = ["resident_id" if number else None for number in numbers]
    certs: list[str | None] = [None] * len(slow)
    cats: list[str | None] = [None] * len(slow)
    grades: list[str | None] = [None] * len(slow)
    # Only values of 20 characters or more can be disability certificates (ID + category + grade).
    for k in (k for k, raw in enumerate(values) if isinstance(raw, str) and len(raw) >= 20):
        cert = idnumbers.normalize(values[k])
        if numbers[k] is not None and len(cert) == 20:
            kinds[k], certs[k], cats[k], grades[k] = "disability_cert", cert, cert[18], cert[19]
    # The report quotes the ID as it was typed.
    raw_text = [None if v is None else (v if isinstance(v, str) else repr(v)) for v in values]
    table = pa.table(
        {
            "_i": pa.array(slow, pa.int64()),
            "id_raw": pa.array(raw_text, pa.string()),
            "id_canon": pa.array(numbers, pa.string()),
            "id_sex": pa.array(sexes, pa.string()),
            "id_birth": pa.array(births, pa.date32()),
            "id_error": pa.array(messages, pa.string()),
            "id_kind": pa.array(kinds, pa.string()),
            "id_cert": pa.array(certs, pa.string()),
            "id_dcat": pa.array(cats, pa.string()),
            "id_dgrade": pa.array(grades, pa.string()),
        }
    )
    con.register("ids_arrow", table)
    con.execute("""CREATE TABLE ids AS
        SELECT _i, id_raw, id_canon, id_sex, id_birth, CAST(NULL AS VARCHAR) AS id_error, 'resident_id' AS id_kind,
               CAST(NULL AS VARCHAR) AS id_cert, CAST(NULL AS VARCHAR) AS id_dcat, CAST(NULL AS VARCHAR) AS id_dgrade
        FROM ids_fast UNION ALL SELECT * FROM ids_arrow""")
    con.unregister("ids_arrow")
    con.execute("DROP TABLE ids_fast")


TEXT_USED = ("person_number", "relation", "migrant_place", "migrant_months", "sex", "birth_date", "village")


def present_keys(staged: Staged) -> set[str]:
    """The input columns the file has. A column the file lacks leaves the stored value as it is (on update);
    户主姓名 is then the head member's name, and 行政村编号 is found from the 县/乡/村 names when given."""
    keys = {c.key for c in staged.columns}
    keys.add("head_name")
    if villages_by_name(staged):
        keys.add("village")
    return keys


def villages_by_name(staged: Staged) -> bool:
    """Whether the file names its villages (县/乡/村) instead of giving their 12-digit codes."""
    keys = {c.key for c in staged.columns}
    return "village" not in keys and "village_name" in keys


PLACE_JOIN = " AND ".join(f'vn.{c.key} IS NOT DISTINCT FROM r."{c.key}"' for c in PLACE_COLUMNS)


def build_parsed(staged: Staged) -> None:
    """Parse every cell once: table ``p0`` holds the parsed value ``v_`` of each column per row, ``hh_first``
    the household's value ``h_`` of household and year columns (the first given on any of its rows), and
    the view ``p`` joins the two (``p0`` keeps the few raw texts later checks quote, ``t_``).

    Code, yes/no and code-list columns hold few distinct texts, so each distinct text is parsed once (table
    ``d_<key>``) and joined back; the household number carried down to the rows below it is computed over
    that one column, not over the whole wide row."""
    con = staged.con
    parsed = [c for c in INPUT_COLUMNS if c.kind != Kind.ID]
    by_name = villages_by_name(staged)
    given = {c.key for c in staged.columns}
    con.execute("CREATE TABLE lookups (key VARCHAR, spelling VARCHAR, value VARCHAR)")
    con.executemany("INSERT INTO lookups VALUES (?, ?, ?)", lookup_rows())
    con.execute("""CREATE TABLE hh_fill AS SELECT _i,
        last_value(household_number IGNORE NULLS) OVER (ORDER BY _i ROWS UNBOUNDED PRECEDING) AS hh FROM raw""")
    values = ["r._i", "r._sheet", "r._row", "f.hh", *(f'r."{k}" AS t_{k}' for k in TEXT_USED)]
    joins = ["JOIN hh_fill f USING (_i)", "JOIN ids USING (_i)"]
    for col in parsed:
        if col.kind in DISTINCT_KINDS:
            _distinct_table(con, col)
            values.append(f"d_{col.key}.v AS v_{col.key}")
            if col.kind == Kind.CODES:
                values.append(f"d_{col.key}.e AS e_{col.key}")
            joins.append(f'LEFT JOIN d_{col.key} ON d_{col.key}.t = r."{col.key}"')
        elif col.key == "village" and by_name:  # the code found from the names (table ``village_names``)
            values.append("vn.vn_code AS v_village")
            joins.append(f"LEFT JOIN village_names vn ON {PLACE_JOIN}")
        else:
            values.append(f"{parse_expr(col)[0]} AS v_{col.key}")
    # Whether the row has a cell error of its own is decided here, while the raw texts are at hand, so that
    # collect_errors re-reads the raw rows of the few rows with an error only (``_bad``).
    texts = [
        f'r."{c.key}" AS t_{c.key}' for c in INPUT_COLUMNS if c.kind != Kind.ID and c.key not in TEXT_USED
    ]
    cell = [e for name, e in _cell_error_exprs() if not name.endswith(SECOND)]
    con.execute(f"""CREATE TABLE p0 AS SELECT * EXCLUDE ({", ".join(t.rsplit(" AS ", 1)[1] for t in texts)}),
        coalesce({", ".join(cell)}) IS NOT NULL AS _bad
        FROM (SELECT {", ".join([*values, *texts])}, ids.*EXCLUDE (_i) FROM raw r {" ".join(joins)})""")
    first = {c.key: f"arg_min(v_{c.key}, _i) FILTER (WHERE v_{c.key} IS NOT NULL)" for c in SHARED}
    if "head_name" not in given:  # no 户主姓名 column: the name of the member whose relation is the head
        first["head_name"] = (
            f"arg_min(v_name, _i) FILTER (WHERE v_relation = {quoting.literal(Relation.HEAD)})"
        )
    firsts = ", ".join(f"{expr} AS h_{key}" for key, expr in first.items())
    con.execute(
        f"CREATE TABLE hh_first AS SELECT hh, count(*) AS h_size, {firsts} FROM p0 WHERE hh IS NOT NULL"
        " GROUP BY hh"
    )
    con.execute("CREATE VIEW p AS SELECT p0.*, hh_first.*EXCLUDE (hh) FROM p0 LEFT JOIN hh_first USING (hh)")


DISTINCT_KINDS = (Kind.CODE, Kind.BOOL, Kind.CODES)


def _distinct_table(con: duckdb.DuckDBPyConnection, col: Column) -> None:
    """``d_<key>(t, v[, e])``: each distinct text of the column, its parsed value (and, for code lists, the
    error text, which the cell check then reads instead of parsing the list again)."""
    key = col.key
    if col.kind == Kind.CODES:
        value, _ = parse_expr(col)
        err = _codes_error(col, "t", "v")
        src = quoting.identifier(key)
        con.execute(f"""CREATE TABLE d_{key} AS SELECT t, v, {err} AS e FROM (
            SELECT t, {value.replace(src, "t")} AS v FROM (SELECT DISTINCT {src} AS t FROM raw WHERE {src} IS NOT NULL))""")
        return
    spelled = lookup_key(col, "t")
    cast = "CAST(l.value AS BOOLEAN)" if col.kind == Kind.BOOL else "l.value"
    con.execute(f"""CREATE TABLE d_{key} AS SELECT t, {cast} AS v FROM (SELECT DISTINCT "{key}" AS t FROM raw
        WHERE "{key}" IS NOT NULL) LEFT JOIN lookups l ON l.key = '{key}' AND l.spelling = {spelled}""")


SHARED = [
    c for c in INPUT_COLUMNS if c.level in (Level.HOUSEHOLD, Level.YEAR) and c.key != "household_number"
]
ERROR_COLUMNS = "_i BIGINT, _sheet VARCHAR, _row INTEGER, hh VARCHAR, col VARCHAR, val VARCHAR, msg VARCHAR"
SECOND = "\x1f"  # marks a second kind of error of the same column in the unpivoted list


def _cell_error_exprs() -> list[tuple[str, str]]:
    """(column header, error expression) for every per-cell check, over t_/v_/h_ of one row."""
    items: list[tuple[str, str]] = []
    for col in INPUT_COLUMNS:
        if col.kind == Kind.ID:
            continue
        err = f"e_{col.key}" if col.kind == Kind.CODES else parse_expr(col)[1]
        if col.required and col.level == Level.MEMBER:
            err = f"coalesce({err}, CASE WHEN t_{col.key} IS NULL THEN '必填项，不能为空' END)"
        items.append((col.header, err))
        if col in SHARED:
            items.append(
                (
                    col.header + SECOND,
                    f"CASE WHEN v_{col.key} IS NOT NULL AND h_{col.key} IS NOT NULL AND v_{col.key} <> h_{col.key}"
                    f" AND ({err}) IS NULL THEN '同一户的「{col.header}」前后不一致：本户第一次填的是「'"
                    f" || CAST(h_{col.key} AS VARCHAR) || '」' END",
                )
            )
    return items


def collect_errors(staged: Staged) -> None:
    """Create table ``errors`` with one row per problem: cell errors, cross-row and household errors.

    The per-cell checks run in one pass that keeps only the rows with an error; those are unpivoted, so no
    error column is ever stored."""
    con = staged.con
    con.execute(f"CREATE TABLE errors ({ERROR_COLUMNS})")
    exprs = _cell_error_exprs()
    texts = ", ".join(
        f'r."{c.key}" AS t_{c.key}' for c in INPUT_COLUMNS if c.kind != Kind.ID and c.key not in TEXT_USED
    )
    # Most rows have no error at all: find the rows with one first, and unpivot only those.
    # Candidates: a cell error of their own (p0._bad), or a household value that differs from the household's
    # first; only those rows are joined to their raw texts and checked in full.
    differs = (
        " OR ".join(
            f"(v_{c.key} IS NOT NULL AND h_{c.key} IS NOT NULL AND v_{c.key} <> h_{c.key})" for c in SHARED
        )
        or "FALSE"
    )
    con.execute(f"""CREATE TABLE bad_rows AS SELECT p0.* EXCLUDE (_bad), hh_first.*EXCLUDE (hh), {texts}
        FROM p0 JOIN raw r USING (_i) LEFT JOIN hh_first USING (hh)
        WHERE p0._i IN (SELECT _i FROM p0 LEFT JOIN hh_first USING (hh) WHERE _bad OR {differs})
          AND coalesce({", ".join(e for _, e in exprs)}) IS NOT NULL""")
    checks = ", ".join(f'{expr} AS "{name}"' for name, expr in exprs)
    con.execute(f"""INSERT INTO errors SELECT _i, _sheet, _row, hh, split_part(col, '{SECOND}', 1), NULL, msg FROM (
        UNPIVOT (SELECT _i, _sheet, _row, hh, {checks} FROM bad_rows)
        ON COLUMNS(* EXCLUDE (_i, _sheet, _row, hh)) INTO NAME col VALUE msg)""")
    con.execute("DROP TABLE bad_rows")
    quote = " ".join(
        f'WHEN {quoting.literal(c.header)} THEN r."{c.key}"' for c in INPUT_COLUMNS if c.kind != Kind.ID
    )
    con.execute(f"UPDATE errors SET val = CASE errors.col {quote} END FROM raw r WHERE r._i = errors._i")
    con.execute("""INSERT INTO errors SELECT _i, _sheet, _row, hh, '户编号', NULL,
        '户编号为空：第一条数据就没有户编号，无法判断属于哪一户' FROM p0 WHERE hh IS NULL""")
    con.execute("""INSERT INTO errors SELECT _i, _sheet, _row, hh, '证件号码', id_raw, id_error
        FROM p0 WHERE id_error IS NOT NULL""")
    con.execute("""INSERT INTO errors SELECT _i, _sheet, _row, hh, '性别', t_sex,
        '性别与证件号码不符：证件号码显示为' || CASE id_sex WHEN '1' THEN '男' ELSE '女' END
        FROM p0 WHERE v_sex IS NOT NULL AND id_sex IS NOT NULL AND v_sex <> id_sex""")
    con.execute("""INSERT INTO errors SELECT _i, _sheet, _row, hh, '出生日期', t_birth_date,
        '出生日期与证件号码不符：证件号码显示为 ' || strftime(id_birth, '%Y-%m-%d')
        FROM p0 WHERE v_birth_date IS NOT NULL AND id_birth IS NOT NULL AND v_birth_date <> id_birth""")
    _cross_row_errors(staged)


def _cross_row_errors(staged: Staged) -> None:
    con = staged.con
    con.execute(f"CREATE TABLE composition_errors ({ERROR_COLUMNS})")
    for sql in _composition_checks("true"):
        con.execute(f"INSERT INTO composition_errors {sql}")
    con.execute("INSERT INTO errors SELECT * FROM composition_errors")
    con.execute("""INSERT INTO errors
        SELECT _i, _sheet, _row, hh, '人编号', t_person_number, '人编号与第 ' || first_row || ' 行重复'
        FROM (SELECT *, first_value(_row) OVER w AS first_row, row_number() OVER w AS n
              FROM p0 WHERE v_person_number IS NOT NULL WINDOW w AS (PARTITION BY v_person_number ORDER BY _i))
        WHERE n > 1""")
    con.execute("""INSERT INTO errors
        SELECT _i, _sheet, _row, hh, '务工所在地', t_migrant_place, '务工时间为 0 个月却填写了务工所在地'
        FROM p0 WHERE v_migrant_place IS NOT NULL AND (v_migrant_months = 0 OR t_migrant_months IS NULL)""")


def _required_errors(staged: Staged) -> None:
    """Each required household or year column must be filled on some row of the household. A column the
    file lacks is required of new households only (a registered household keeps its stored value); a
    registered household may come without a data year when it gives no year values (its years stay as
    they are). Villages found by name report the names that match no village, or several."""
    con = staged.con
    present = {c.key for c in staged.columns}
    by_name = villages_by_name(staged)
    new = "hh NOT IN (SELECT number FROM db_households)"
    year_values = (
        " OR ".join(
            f'r."{c.key}" IS NOT NULL'
            for c in SHARED
            if c.level == Level.YEAR and c.key != "year" and c.key in present
        )
        or "FALSE"
    )
    checks: list[tuple[str, str]] = []  # (column header, message expression per household)
    for col in (c for c in INPUT_COLUMNS if c.required and c in SHARED):
        if col.key == "head_name" and col.key not in present:
            continue  # the head member's name (a household without a head has its own error)
        if col.key == "village" and by_name:
            continue  # below
        if col.key in present:
            missing = f'count(r."{col.key}") = 0'
            message = UNFILLED
        else:
            missing = new
            message = f"新增的户必须填写「{col.header}」，文件中没有这一列" + MISSING_HINTS.get(col.key, "")
        checks.append((col.header, f"CASE WHEN {missing} THEN {quoting.literal(message)} END"))
    if checks:
        cases = ", ".join(f'{expr} AS "{header}"' for header, expr in checks)
        con.execute(f"""INSERT INTO errors SELECT _i, _sheet, _row, hh, col, NULL, msg FROM (
            UNPIVOT (SELECT min(_i) AS _i, arg_min(p0._sheet, _i) AS _sheet, min(p0._row) AS _row, hh, {cases}
                     FROM p0 JOIN raw r USING (_i) WHERE hh IS NOT NULL GROUP BY hh)
            ON COLUMNS(* EXCLUDE (_i, _sheet, _row, hh)) INTO NAME col VALUE msg)""")
        # A registered household without a data year and without year values keeps its years (checked on
        # the few households without a year only, not in the pass over every row).
        year = quoting.literal(HEADER_OF["year"])
        unfilled = f"col = {year} AND msg = {quoting.literal(UNFILLED)}"
        con.execute(f"""DELETE FROM errors WHERE {unfilled} AND hh IN (SELECT number FROM db_households)
            AND hh NOT IN (SELECT p0.hh FROM p0 JOIN raw r USING (_i)
                           WHERE p0.hh IN (SELECT hh FROM errors WHERE {unfilled}) AND ({year_values}))""")
    if by_name:
        where = PLACE_COLUMNS[-1].header
        names = " || ' ' || ".join(f"coalesce(r.\"{c.key}\", '')" for c in PLACE_COLUMNS)
        con.execute(f"""INSERT INTO errors SELECT _i, _sheet, _row, hh, {quoting.literal(where)}, names, msg FROM (
            SELECT p0._i, p0._sheet, p0._row, p0.hh, trim({names}) AS names, vn.vn_problem AS msg,
                   row_number() OVER (PARTITION BY p0.hh ORDER BY p0._i) AS n
            FROM p0 JOIN raw r USING (_i) JOIN village_names vn ON {PLACE_JOIN}
            WHERE vn.vn_problem IS NOT NULL) WHERE n = 1""")
        con.execute(f"""INSERT INTO errors SELECT min(_i), arg_min(_sheet, _i), min(_row), hh, {quoting.literal(where)}, NULL,
            '必填项：本户各行都没有填写村名称（文件中没有“行政村编号”列时，按县、乡、村名称查找行政村）'
            FROM p WHERE hh IS NOT NULL AND h_village IS NULL GROUP BY hh
            HAVING hh NOT IN (SELECT hh FROM errors WHERE col = {quoting.literal(where)} AND hh IS NOT NULL)""")


HEADER_OF = {c.key: c.header for c in INPUT_COLUMNS}


def _composition_checks(rows: str) -> list[str]:
    """The checks of who a household is made of, over the rows meeting ``rows`` (an SQL condition on the
    staged rows): one person in one household only, exactly one head, the head's name. A row of a member
    who has since left the household (``_former_members``) is not counted."""
    head = quoting.literal(Relation.HEAD)
    return [
        f"""SELECT _i, _sheet, _row, hh, '证件号码', id_canon, '证件号码与' || first_sheet || '第 ' || first_row || ' 行重复（一人只能在一户）'
        FROM (SELECT *, first_value(_row) OVER w AS first_row, first_value(_sheet) OVER w AS first_sheet,
                     row_number() OVER w AS n
              FROM p0 WHERE id_canon IS NOT NULL AND {rows} WINDOW w AS (PARTITION BY id_canon ORDER BY _i))
        WHERE n > 1""",
        f"""SELECT min(_i), arg_min(_sheet, _i), min(_row), hh, '与户主关系', NULL, '该户没有户主：必须有一人的与户主关系为“户主”'
        FROM p0 WHERE hh IS NOT NULL AND {rows} GROUP BY hh
        HAVING count(*) FILTER (WHERE v_relation = {head}) = 0""",
        f"""SELECT _i, _sheet, _row, hh, '与户主关系', t_relation, '一户只能有一个户主，本户有 ' || heads || ' 个'
        FROM (SELECT *, count(*) FILTER (WHERE v_relation = {head}) OVER (PARTITION BY hh) AS heads
              FROM p0 WHERE {rows})
        WHERE heads > 1 AND v_relation = {head}""",
        f"""SELECT _i, _sheet, _row, hh, '户主姓名', h_head_name, '户主姓名「' || h_head_name || '」与户主本人的姓名「' || v_name || '」不一致'
        FROM p WHERE v_relation = {head} AND v_name IS NOT NULL AND h_head_name IS NOT NULL
          AND v_name <> h_head_name AND {rows}""",
    ]


FORMER_CHUNK = 2000


def _former_members(staged: Staged) -> int:
    """Table ``former(_i, hh)``: rows that are a member who has left that household in the register (died,
    moved out, split off) with the same 人编号 and ID, as an export of a past data year writes them. Such a
    row updates that member's values of the year like any row, but does not count in the household's make-up
    (heads, one household per person): the member has left. Only rows the make-up checks stop on are looked
    up, so a file without such problems costs no query. Returns the number of such rows."""
    from jingzhun.registry.models import Member

    con = staged.con
    con.execute("CREATE TABLE former (_i BIGINT, hh VARCHAR)")
    candidates = [
        r[0]
        for r in con.execute("""
        SELECT DISTINCT p0.v_person_number FROM p0
        JOIN db_person_numbers d ON d.person_number = p0.v_person_number AND d.household_number = p0.hh
        WHERE p0.hh IN (SELECT hh FROM composition_errors)
           OR EXISTS (SELECT 1 FROM db_people e WHERE e.id_number = p0.id_canon AND e.household_number <> p0.hh)
        """).fetchall()
    ]
    left: list[tuple[str, str, str]] = []
    for k in range(0, len(candidates), FORMER_CHUNK):
        left += Member.objects.filter(
            person_number__in=candidates[k : k + FORMER_CHUNK], left_on__isnull=False
        ).values_list("person_number", "id_number", "household__household_number")
    if not left:
        return 0
    con.execute("CREATE TABLE db_former (person_number VARCHAR, id_number VARCHAR, household_number VARCHAR)")
    con.executemany("INSERT INTO db_former VALUES (?, ?, ?)", [list(r) for r in left])
    con.execute("""INSERT INTO former SELECT p0._i, p0.hh FROM p0 JOIN db_former f
        ON f.person_number = p0.v_person_number AND f.household_number = p0.hh AND f.id_number = p0.id_canon""")
    return con.execute("SELECT count(*) FROM former").fetchone()[0]  # type: ignore[index]


def _recheck_composition(staged: Staged) -> None:
    """The make-up checks again without the rows of members who have left (``former``)."""
    con = staged.con
    con.execute("""DELETE FROM errors WHERE EXISTS (SELECT 1 FROM composition_errors c
        WHERE c._i = errors._i AND c.col = errors.col AND c.msg = errors.msg)""")
    for sql in _composition_checks("_i NOT IN (SELECT _i FROM former)"):
        con.execute(f"INSERT INTO errors {sql}")


UNFILLED = "必填项：本户各行都没有填写"
MISSING_HINTS = {
    "village": "（也没有县、乡、村名称列）",
    "year": "（或“年度”）",
}


def check_against_store(staged: Staged) -> None:
    """Errors that need the database: required values of new households, villages, and people or numbers
    already in another household.

    Expects tables ``allowed_villages(code)``, ``db_households(number, village, inside)`` and
    ``db_people(id_number, person_number, household_number, inside)`` loaded by the importer (and
    ``village_names`` when the file names its villages).
    """
    con = staged.con
    _required_errors(staged)
    con.execute("""INSERT INTO errors
        SELECT _i, _sheet, _row, hh, '行政村编号', t_village,
               CASE WHEN EXISTS (SELECT 1 FROM known_villages k WHERE k.code = p.h_village)
                    THEN '行政村编号 ' || h_village || ' 不在您的辖区内'
                    ELSE '行政村编号 ' || h_village || ' 不存在：请先在区划管理中建立该村' END
        FROM p WHERE h_village IS NOT NULL AND regexp_full_match(h_village, '[0-9]{12}')
          AND _i = (SELECT min(q._i) FROM p q WHERE q.hh = p.hh)
          AND h_village NOT IN (SELECT code FROM allowed_villages)""")
    con.execute("""INSERT INTO errors
        SELECT p._i, p._sheet, p._row, p.hh, '户编号', p.hh, '户编号 ' || p.hh || ' 已被辖区外的农户使用，不能导入'
        FROM p JOIN db_households d ON d.number = p.hh
        WHERE NOT d.inside AND p._i = (SELECT min(q._i) FROM p q WHERE q.hh = p.hh)""")
    if _former_members(staged):
        _recheck_composition(staged)
    con.execute("""INSERT INTO errors
        SELECT p._i, p._sheet, p._row, p.hh, '证件号码', p.id_canon,
               '此人已是另一户' || CASE WHEN d.inside THEN '（户编号 ' || d.household_number || '）' ELSE '（辖区外）' END
               || '的成员，一人只能在一户；如已分户或迁入，请先在原户办理减员'
        FROM p JOIN db_people d ON d.id_number = p.id_canon
        WHERE d.household_number <> p.hh AND p._i NOT IN (SELECT _i FROM former)""")
    con.execute("""INSERT INTO errors
        SELECT p._i, p._sheet, p._row, p.hh, '人编号', p.v_person_number,
               '人编号 ' || p.v_person_number || ' 已属于另一户' || CASE WHEN d.inside THEN '（户编号 ' || d.household_number || '）' ELSE '' END
        FROM p JOIN db_person_numbers d ON d.person_number = p.v_person_number
        WHERE d.household_number <> p.hh""")
