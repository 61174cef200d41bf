"""Committing a validated import: set-based inserts for new households, compared updates for existing ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.utils import timezone

from jingzhun.core import audit, bulk, quoting
from jingzhun.core.context import current
from jingzhun.core.models import ChangeAction, ObjectChange
from jingzhun.regions.models import Region
from jingzhun.regions.selectors import villages_named
from jingzhun.registry import income
from jingzhun.registry.columns import FIELD_NAME, INPUT_COLUMNS, PLACE_COLUMNS, Kind, Level
from jingzhun.registry.models import (
    MEMBER_YEARLY_FIELDS,
    STATUS_FIELDS,
    Household,
    HouseholdYear,
    Member,
    MemberYear,
    StatusEvent,
)
from jingzhun.registry.services import status_event
from jingzhun.registry.staging import Staged
from jingzhun.registry.validation import present_keys, villages_by_name

HH_COLS = [c for c in INPUT_COLUMNS if c.level == Level.HOUSEHOLD]
# The data year and its household size are written apart (the size defaults to the household's row count).
YEAR_COLS = [c for c in INPUT_COLUMNS if c.level == Level.YEAR and c.key not in ("year", "household_size")]
# Sex and birth date follow from the ID number; the disability category and grade from a certificate number
# when the file does not give them.
DISABILITY_KEYS = ("disability_category", "disability_grade")
MEMBER_COLS = [
    c
    for c in INPUT_COLUMNS
    if c.level == Level.MEMBER and c.kind != Kind.ID and c.key not in ("sex", "birth_date", *DISABILITY_KEYS)
]
CHUNK = 5000


def field_name(key: str) -> str:
    return FIELD_NAME.get(key, key)


def _in_chunks(con: Any, table: str, columns: str, values: list[str], fetch: Any) -> None:
    """Look ``values`` up in the store in chunks and hand DuckDB the answers as one Arrow table
    (DuckDB's executemany inserts row by row, far too slow for a re-imported province)."""
    con.execute(f"CREATE OR REPLACE TABLE {table} ({columns})")
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(values), CHUNK):
        rows.extend(fetch(values[start : start + CHUNK]))
    if rows:
        names = [c.split()[0] for c in columns.split(",")]
        con.register("store_arrow", pa.table({n: [r[k] for r in rows] for k, n in enumerate(names)}))
        con.execute(f"INSERT INTO {table} SELECT * FROM store_arrow")
        con.unregister("store_arrow")


def load_store_tables(staged: Staged, prefix: str) -> None:
    """Copy the few database facts validation needs (villages, numbers and people already registered)."""
    con = staged.con
    villages = [
        r[0] for r in con.execute("SELECT DISTINCT h_village FROM p WHERE h_village IS NOT NULL").fetchall()
    ]
    known = list(Region.objects.filter(code__in=villages, level=5).values_list("code", flat=True))
    con.execute("CREATE TABLE known_villages (code VARCHAR)")
    con.execute("CREATE TABLE allowed_villages (code VARCHAR)")
    allowed = [c for c in known if c.startswith(prefix)]
    if known:
        con.executemany("INSERT INTO known_villages VALUES (?)", [[c] for c in known])
    if allowed:
        con.executemany("INSERT INTO allowed_villages VALUES (?)", [[c] for c in allowed])
    empty = not Member.objects.exists() and not Household.objects.exists()
    numbers = (
        []
        if empty
        else [r[0] for r in con.execute("SELECT DISTINCT hh FROM p WHERE hh IS NOT NULL").fetchall()]
    )
    ids = (
        []
        if empty
        else [
            r[0] for r in con.execute("SELECT DISTINCT id_canon FROM p WHERE id_canon IS NOT NULL").fetchall()
        ]
    )
    persons = (
        []
        if empty
        else [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT v_person_number FROM p WHERE v_person_number IS NOT NULL"
            ).fetchall()
        ]
    )
    _in_chunks(
        con,
        "db_households",
        "number VARCHAR, village VARCHAR, inside BOOLEAN",
        numbers,
        lambda part: [
            (n, v, v.startswith(prefix))
            for n, v in Household.objects.filter(household_number__in=part).values_list(
                "household_number", "village_id"
            )
        ],
    )
    _in_chunks(
        con,
        "db_people",
        "id_number VARCHAR, household_number VARCHAR, inside BOOLEAN",
        ids,
        lambda part: [
            (i, n, v.startswith(prefix))
            for i, n, v in Member.objects.filter(id_number__in=part, left_on__isnull=True).values_list(
                "id_number", "household__household_number", "household__village_id"
            )
        ],
    )
    _in_chunks(
        con,
        "db_person_numbers",
        "person_number VARCHAR, household_number VARCHAR, inside BOOLEAN",
        persons,
        lambda part: [
            (p, n, v.startswith(prefix))
            for p, n, v in Member.objects.filter(person_number__in=part).values_list(
                "person_number", "household__household_number", "household__village_id"
            )
        ],
    )


def load_village_names(staged: Staged, prefix: str) -> None:
    """Table ``village_names``: each distinct (县, 乡, 村) of a file that names its villages instead of giving
    their codes, with the code of the one village under ``prefix`` (the importer's jurisdiction) it names,
    or the problem: no such village, or several the names do not tell apart."""
    if not villages_by_name(staged):
        return
    con = staged.con
    keys = [c.key for c in PLACE_COLUMNS]
    triples = con.execute(
        f"SELECT DISTINCT {', '.join(keys)} FROM raw WHERE village_name IS NOT NULL"
    ).fetchall()
    found = villages_named([tuple(t) for t in triples], prefix)
    rows: list[tuple[Any, ...]] = []
    for triple, codes in found.items():
        names = "「" + " ".join(n for n in triple if n) + "」"
        if len(codes) == 1:
            rows.append((*triple, codes[0], None))
        elif not codes:
            rows.append(
                (
                    *triple,
                    None,
                    f"在您的辖区内找不到{names}这个行政村：请核对县、乡、村名称，或增加“行政村编号”列填写"
                    " 12 位行政村编号",
                )
            )
        else:
            shown = "、".join(codes[:5]) + ("等" if len(codes) > 5 else "")
            rows.append(
                (
                    *triple,
                    None,
                    f"{names}在您的辖区内有 {len(codes)} 个同名的行政村（编号 {shown}）：请同时填写县、"
                    "乡名称加以区分，或增加“行政村编号”列填写 12 位行政村编号",
                )
            )
    columns = [*keys, "vn_code", "vn_problem"]
    con.register(
        "names_arrow",
        pa.table({n: pa.array([r[k] for r in rows], pa.string()) for k, n in enumerate(columns)}),
    )
    con.execute("CREATE TABLE village_names AS SELECT * FROM names_arrow")
    con.unregister("names_arrow")


# ----------------------------------------------------------------------------------------------- values


def _clean_value(col_kind: Kind, value: Any) -> Any:
    if col_kind == Kind.CODES:
        return sorted(value or [], key=lambda c: (len(c), c))
    if col_kind in (Kind.TEXT, Kind.CODE, Kind.REGION) and value is None:
        return ""
    return value


# ``present``: the column keys the file has (``validation.present_keys``); None: every column. A column the
# file lacks is left out of the values, so an update keeps what is stored (a new record gets the default).


def household_values(row: dict[str, Any], present: set[str] | None = None) -> dict[str, Any]:
    values = {
        field_name(c.key): _clean_value(
            c.kind, row[f"h_{c.key}"] if c.key != "household_number" else row["hh"]
        )
        for c in HH_COLS
        if present is None or c.key in present
    }
    for key in ("relocated", "military_family"):
        if key in values:
            values[key] = bool(values[key])
    return values


def year_values(
    row: dict[str, Any], present: set[str] | None = None, record: HouseholdYear | None = None
) -> dict[str, Any]:
    """A data year's values; a column the file lacks keeps ``record``'s value. The household size is the
    file's 人数 when given, else the household's row count; the totals are computed from the result."""
    values = {}
    for c in YEAR_COLS:
        if present is None or c.key in present:
            values[c.key] = _clean_value(c.kind, row[f"h_{c.key}"])
        else:
            values[c.key] = getattr(record, c.key) if record is not None else _clean_value(c.kind, None)
    for key in income.INPUT_FIELDS:
        values[key] = values[key] if values[key] is not None else Decimal(0)
    size = row.get("h_household_size")
    values["household_size"] = size if size is not None else row["size"]
    values.update(income.compute(values, values["household_size"]))
    return values


def member_values(
    row: dict[str, Any], present: set[str] | None = None, stored: Member | None = None
) -> dict[str, Any]:
    values = {
        field_name(c.key): _clean_value(c.kind, row[f"v_{c.key}"])
        for c in MEMBER_COLS
        if present is None or c.key in present
    }
    values.update(
        id_number=row["id_canon"],
        id_kind=row["id_kind"] or "resident_id",
        disability_cert_number=row["id_cert"] or "",
        sex=row["id_sex"],
        birth_date=row["id_birth"],
    )
    if "migrant_months" in values:
        values["migrant_months"] = values["migrant_months"] or 0
    for key in ("dibao", "tekun"):
        if key in values:
            values[key] = bool(values[key])
    # A disability category or grade the file gives is stored as given; an empty cell takes digit 19 or 20
    # of a 20-digit certificate number, else clears it. When the file lacks the column, the ``stored``
    # member's value is kept, and only an empty one is filled from the certificate.
    for key, from_cert in zip(DISABILITY_KEYS, ("id_dcat", "id_dgrade"), strict=True):
        given = row.get(f"v_{key}")
        if present is not None and key not in present and stored is not None and getattr(stored, key):
            continue
        if given is not None or row[from_cert]:
            values[key] = given if given is not None else row[from_cert]
        elif present is None or key in present:
            values[key] = ""
    return values


def _rows(con: Any, sql: str) -> Iterator[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    while True:
        chunk = cur.fetchmany(CHUNK)
        if not chunk:
            return
        for r in chunk:
            yield dict(zip(names, r, strict=True))


# ----------------------------------------------------------------------------------------------- commit


def commit(staged: Staged, *, actor: audit.Actor, batch_id: str, prefix: str) -> dict[str, int]:
    con = staged.con
    con.execute("CREATE TABLE bad AS SELECT DISTINCT hh FROM errors WHERE hh IS NOT NULL")
    columns = ", ".join(["hh", *HOUSEHOLD_FIELDS, *MEMBER_FIELDS])
    # A view, not a table: the batch file is its one full read (the member rows load from p0 directly), so
    # the million wide rows are not materialised once more.
    con.execute(f"""CREATE VIEW acc AS SELECT {columns}, h_size AS size FROM p
                    WHERE hh IS NOT NULL AND hh NOT IN (SELECT hh FROM bad)""")
    from jingzhun.registry.importer import imports_dir

    parquet = imports_dir() / f"{batch_id}.parquet"
    # The batch's own copy. Row order is file order only nearly (the join runs in parallel); readers select
    # by household and order by _i, so the file is not sorted (a sort of every wide row costs seconds).
    keep = f"COPY (SELECT * FROM acc) TO {quoting.path(parquet)} (FORMAT parquet)"
    con.execute("CREATE TABLE existing AS SELECT number FROM db_households WHERE inside")
    counts = {"households_rejected": con.execute("SELECT count(*) FROM bad").fetchone()[0]}  # type: ignore[index]  # count(*): one row
    new = _insert_new(con, actor=actor, batch_id=batch_id, then=[keep])
    changed = _update_existing(con, actor=actor, batch_id=batch_id, present=present_keys(staged))
    counts.update(changed)
    counts["households_created"] = new["households_created"]
    counts["members_created"] = new["members_created"] + changed.get("members_created", 0)
    return counts


HOUSEHOLD_FIELDS = [
    *(f"h_{c.key}" for c in HH_COLS if c.key != "household_number"),
    "h_year",
    "h_household_size",
    *(f"h_{c.key}" for c in YEAR_COLS),
]
MEMBER_FIELDS = [
    "_i",
    *(f"v_{c.key}" for c in MEMBER_COLS),
    *(f"v_{k}" for k in DISABILITY_KEYS),
    "id_canon",
    "id_kind",
    "id_cert",
    "id_sex",
    "id_birth",
    "id_dcat",
    "id_dgrade",
]
HOUSEHOLD_SELECT = ", ".join(["hh", "size", *HOUSEHOLD_FIELDS])
MEMBER_SELECT = ", ".join(["hh", *MEMBER_FIELDS])


def _household_sql(where: str) -> str:
    return (
        f"SELECT {HOUSEHOLD_SELECT} FROM acc WHERE {where}"
        " QUALIFY row_number() OVER (PARTITION BY hh ORDER BY _i) = 1 ORDER BY hh"
    )


def _member_sql(where: str) -> str:
    return f"SELECT {MEMBER_SELECT} FROM acc WHERE {where} ORDER BY _i"


NOT_NULL_BOOLS = {"relocated", "military_family", "dibao", "tekun"}


def sql_value(col_key: str, kind: Kind, expr: str, *, as_text: bool = True) -> str:
    """The model-ready value of a parsed column, computed by DuckDB (blank text, JSON lists, defaults).

    Dates and amounts leave DuckDB as ISO text, which both databases read, so no Python object is made
    per cell."""
    if as_text and kind in (Kind.DATE, Kind.MONEY, Kind.AREA):
        default = "0" if col_key in income.INPUT_FIELDS else None
        inner = f"coalesce({expr}, {default})" if default else expr
        return f"CAST({inner} AS VARCHAR)"
    if kind in (Kind.TEXT, Kind.CODE, Kind.REGION):
        return f"coalesce({expr}, '')"
    if kind == Kind.CODES:
        return f"CAST(to_json(coalesce({expr}, CAST([] AS VARCHAR[]))) AS VARCHAR)"
    if kind == Kind.BOOL and col_key in NOT_NULL_BOOLS:
        return f"coalesce({expr}, false)"
    if col_key == "migrant_months" or col_key in income.INPUT_FIELDS:
        return f"coalesce({expr}, 0)"
    return expr


HH_INSERT = [
    (field_name(c.key), "hh" if c.key == "household_number" else sql_value(c.key, c.kind, f"h_{c.key}"))
    for c in HH_COLS
]
YEAR_INSERT = [(c.key, sql_value(c.key, c.kind, f"h_{c.key}")) for c in YEAR_COLS]
MEMBER_INSERT = [(field_name(c.key), sql_value(c.key, c.kind, f"v_{c.key}")) for c in MEMBER_COLS] + [
    ("id_number", "id_canon"),
    ("id_kind", "coalesce(id_kind, 'resident_id')"),
    ("disability_cert_number", "coalesce(id_cert, '')"),
    ("sex", "id_sex"),
    ("birth_date", "CAST(id_birth AS VARCHAR)"),
    ("disability_category", "coalesce(v_disability_category, id_dcat, '')"),
    ("disability_grade", "coalesce(v_disability_grade, id_dgrade, '')"),
]
EVENT_KEYS = (
    "attribute",
    "poverty_status",
    "first_identified_on",
    "exit_year",
    "monitoring_type",
    "monitoring_identified_on",
    "risk_elimination",
    "risk_eliminated_on",
)


def _insert_new(con: Any, *, actor: audit.Actor, batch_id: str, then: list[str]) -> dict[str, int]:
    """Households new to the register: every table is a DuckDB query streamed into the store.

    Household ids are reserved up front, so members, years, status events and audit rows are all built
    in DuckDB without a round trip per household. ``then``: DuckDB statements to run alongside the loads.
    """
    # One row per household is what hh_first already is: no need to pick it out of the member rows.
    con.execute("""CREATE TABLE new_hh AS SELECT hh_first.*, h_size AS size,
                   coalesce(h_household_size, h_size) AS year_size FROM hh_first
                   WHERE hh NOT IN (SELECT number FROM existing) AND hh NOT IN (SELECT hh FROM bad)""")
    n = con.execute("SELECT count(*) FROM new_hh").fetchone()[0]
    if not n:
        for sql in then:
            con.execute(sql)
        return {"households_created": 0, "members_created": 0}
    first_id = bulk.reserve_ids(Household, n)
    con.execute(
        f"CREATE TABLE hh_ids AS SELECT hh AS number, {first_id} - 1 + row_number() OVER (ORDER BY hh) AS id,"
        " h_year AS data_year FROM new_hh"
    )
    now = timezone.now()
    stamp = quoting.literal(bulk.db_datetime(now))
    members = con.execute("SELECT sum(size) FROM new_hh").fetchone()[0]
    loads = [(Household, n), (HouseholdYear, n), (StatusEvent, n), (Member, members), (ObjectChange, n)]
    hh_fields = ["id", *(f for f, _ in HH_INSERT), "version", "created_at", "updated_at"]
    totals = income.sql_totals(lambda k: f"coalesce(h_{k}, 0)", "year_size")
    year_fields = [
        "household_id",
        "year",
        "household_size",
        *(k for k, _ in YEAR_INSERT),
        *totals,
        "updated_at",
    ]
    event_fields = ["household_id", "effective_on", *STATUS_FIELDS, "reason", "recorded_at"]
    member_fields = ["household_id", *(f for f, _ in MEMBER_INSERT), "data_year", "created_at", "updated_at"]
    ctx = current()
    htype = quoting.literal(audit.object_type(Household))
    user_id = str(actor.user.pk) if actor.user is not None else "NULL"
    change_fields = [
        "time",
        "user",
        "user_name",
        "request_id",
        "remote_addr",
        "source",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "root_type",
        "root_id",
        "batch",
        "before",
        "after",
    ]
    jobs = [
        bulk.Load(
            Household,
            hh_fields,
            f"""SELECT i.id, {", ".join(e for _, e in HH_INSERT)}, 1, {stamp}, {stamp}
            FROM new_hh JOIN hh_ids i ON i.number = new_hh.hh""",
        ),
        bulk.Load(
            HouseholdYear,
            year_fields,
            f"""SELECT i.id, h_year, year_size, {", ".join(e for _, e in YEAR_INSERT)},
            {", ".join(f"CAST({e} AS VARCHAR)" for e in totals.values())}, {stamp}
            FROM new_hh JOIN hh_ids i ON i.number = new_hh.hh""",
        ),
        bulk.Load(StatusEvent, event_fields, _status_events_sql(stamp, timezone.localdate())),
        # hh_ids holds only new households without errors: the join is acc's filter, without its join.
        bulk.Load(
            Member,
            member_fields,
            f"""SELECT i.id, {", ".join(e for _, e in MEMBER_INSERT)}, i.data_year,
            {stamp}, {stamp}
            FROM p0 JOIN hh_ids i ON i.number = p0.hh""",
        ),
        bulk.Load(
            ObjectChange,
            change_fields,
            f"""SELECT {stamp}, {user_id}, {quoting.literal(actor.name)},
            {quoting.literal(ctx.request_id)}, {quoting.literal(ctx.remote_addr)}, 'import', 'create', {htype},
            CAST(i.id AS VARCHAR), coalesce(h_head_name, '') || '户（' || hh || '）', {htype}, CAST(i.id AS VARCHAR),
            {quoting.literal(batch_id)}, NULL,
            CAST(to_json({{'batch': {quoting.literal(batch_id)}, 'household_number': hh}}) AS VARCHAR)
            FROM new_hh JOIN hh_ids i ON i.number = new_hh.hh""",
        ),
    ]
    with bulk.indexes_rebuilt_after(loads):
        created = bulk.load_queries(con, jobs, then=then)[3]
    return {"households_created": n, "members_created": created}


def _status_events_sql(stamp: str, today: dt.date) -> str:
    """Status history implied by an imported record: identified → exited → today's status; monitoring.

    A registered household identified in 2015 and exited in 2018 was 未脱贫 from its identification date
    and 脱贫 from the end of its exit year; the record's own status holds from the import (or from the
    risk-elimination date). Dates after today are not history yet and are left out.
    """
    t = f"DATE '{today.isoformat()}'"
    status = "coalesce(h_poverty_status, '')"
    events = [  # (effective date, poverty status, monitoring type, risk elimination, reason, condition)
        (
            "h_first_identified_on",
            "'0'",
            "''",
            "''",
            "首次识别（导入时按识别时间推算）",
            f"{status} <> '' AND h_first_identified_on IS NOT NULL",
        ),
        (
            "make_date(h_exit_year, 12, 31)",
            "'1'",
            "''",
            "''",
            "脱贫（导入时按脱贫年度推算）",
            "h_poverty_status IN ('1', '3', '4') AND h_exit_year IS NOT NULL",
        ),
        (
            "h_monitoring_identified_on",
            status,
            "h_monitoring_type",
            "'0'",
            "纳入监测（导入时按风险识别时间推算）",
            "coalesce(h_monitoring_type, '') <> '' AND h_monitoring_identified_on IS NOT NULL",
        ),
        (
            f"coalesce(h_risk_eliminated_on, {t})",
            status,
            "coalesce(h_monitoring_type, '')",
            "coalesce(h_risk_elimination, '')",
            "导入时的状态",
            "true",
        ),
    ]
    selects = [
        f"""SELECT i.id AS household_id, {on} AS effective_on, coalesce(h_attribute, '') AS attribute,
            {ps} AS poverty_status, {mt} AS monitoring_type, {re} AS risk_elimination, {quoting.literal(reason)} AS reason
            FROM new_hh JOIN hh_ids i ON i.number = new_hh.hh WHERE {cond}"""
        for on, ps, mt, re, reason, cond in events
    ]
    return (
        f"SELECT household_id, CAST(effective_on AS VARCHAR), attribute, poverty_status, monitoring_type,"
        f" risk_elimination, reason, {stamp} FROM ({' UNION ALL '.join(selects)}) WHERE effective_on <= {t}"
    )


def _differs(obj: Any, values: dict[str, Any]) -> bool:
    return any(getattr(obj, k) != v for k, v in values.items())


def _update_existing(con: Any, *, actor: audit.Actor, batch_id: str, present: set[str]) -> dict[str, int]:
    """Registered households of the file: only what differs is written. A column the file lacks keeps the
    stored value; a household row without a data year leaves its years alone."""
    counts = {"households_updated": 0, "households_unchanged": 0, "members_updated": 0, "members_created": 0}
    where = "hh IN (SELECT number FROM existing)"
    rows = list(_rows(con, _household_sql(where)))
    if not rows:
        return counts
    households = {
        h.household_number: h for h in Household.objects.filter(household_number__in=[r["hh"] for r in rows])
    }
    members_by_number = {m.person_number: m for m in Member.objects.filter(household__in=households.values())}
    years = {
        (y.household_id, y.year): y for y in HouseholdYear.objects.filter(household__in=households.values())
    }
    member_years = {
        (y.member_id, y.year): y for y in MemberYear.objects.filter(member__household__in=households.values())
    }
    member_rows: dict[str, list[dict[str, Any]]] = {}
    for row in _rows(con, _member_sql(where)):
        member_rows.setdefault(row["hh"], []).append(row)
    created_members = 0
    events: list[StatusEvent] = []
    for row in rows:
        household = households[row["hh"]]
        changed = _apply_household(household, household_values(row, present), actor, batch_id, events)
        if row["h_year"] is not None:
            record = years.get((household.pk, row["h_year"]))
            changed |= _apply_year(
                household, record, year_values(row, present, record), row["h_year"], actor, batch_id
            )
        for mrow in member_rows.get(row["hh"], []):
            member = members_by_number.get(mrow["v_person_number"])
            outcome = _apply_member(
                household,
                member,
                member_values(mrow, present, member),
                mrow["v_person_number"],
                row["h_year"],
                member_years,
                actor,
                batch_id,
            )
            changed |= outcome != "same"
            counts["members_updated"] += outcome == "updated"
            created_members += outcome == "created"
        if changed:
            Household.objects.filter(pk=household.pk).update(
                version=household.version + 1, updated_at=timezone.now()
            )
            counts["households_updated"] += 1
        else:
            counts["households_unchanged"] += 1
    StatusEvent.objects.bulk_create(events, batch_size=2000)
    counts["members_created"] = created_members
    return counts


def _apply_household(
    household: Household,
    values: dict[str, Any],
    actor: audit.Actor,
    batch_id: str,
    events: list[StatusEvent],
) -> bool:
    """Write what differs; a changed status adds its event (the registry's own rows) to ``events``."""
    values = {k: v for k, v in values.items() if k != "household_number"}
    if not _differs(household, values):
        return False
    before = audit.snapshot(household)
    for k, v in values.items():
        setattr(household, k, v)
    household.save(update_fields=[*values.keys(), "updated_at"])
    audit.record(actor, ChangeAction.UPDATE, household, before=before, batch=batch_id)
    event = status_event(household, before, on=timezone.localdate(), reason="导入更新")
    if event is not None:
        events.append(event)
    return True


def _apply_year(
    household: Household,
    record: HouseholdYear | None,
    values: dict[str, Any],
    year: int,
    actor: audit.Actor,
    batch_id: str,
) -> bool:
    return (
        _write_yearly(
            household, record, lambda: HouseholdYear(household=household, year=year), values, actor, batch_id
        )
        is not None
    )


def _write_yearly(
    household: Household,
    record: Any,
    new: Callable[[], Any],
    values: dict[str, Any],
    actor: audit.Actor,
    batch_id: str,
) -> Any:
    """A data year's record (``record``, or ``new()`` when there is none) given ``values``, audited under the
    household; the record written, or None when nothing differed."""
    if record is not None and not _differs(record, values):
        return None
    before = audit.snapshot(record) if record else None
    record = record or new()
    for k, v in values.items():
        setattr(record, k, v)
    record.save()
    audit.record(
        actor,
        ChangeAction.UPDATE if before else ChangeAction.CREATE,
        record,
        before=before,
        root=household,
        batch=batch_id,
    )
    return record


def _apply_member(
    household: Household,
    member: Member | None,
    values: dict[str, Any],
    person_number: str,
    year: int | None,
    member_years: dict[tuple[int, int], MemberYear],
    actor: audit.Actor,
    batch_id: str,
) -> str:
    """The member as the file gives it for data year ``year``. The member row holds the yearly values of
    its ``data_year``: a file of an older year writes that year's ``MemberYear`` only; a file of a newer
    year first keeps the member's values of its year in a ``MemberYear``, then updates the member."""
    archived = False
    if member is not None and year is not None and member.data_year is not None and year != member.data_year:
        if year < member.data_year:
            yearly = {k: v for k, v in values.items() if k in MEMBER_YEARLY_FIELDS}
            return (
                "updated"
                if _apply_member_year(household, member, year, yearly, member_years, actor, batch_id)
                else "same"
            )
        current = {k: getattr(member, k) for k in MEMBER_YEARLY_FIELDS}
        archived = _apply_member_year(
            household, member, member.data_year, current, member_years, actor, batch_id
        )
    if member is not None and not _differs(member, values):
        # (a member whose year is not known yet takes the file's year only with a change of its own)
        if year is None or member.data_year in (None, year):
            return "updated" if archived else "same"
    if year is not None:
        values = {**values, "data_year": year}
    before = audit.snapshot(member) if member else None
    member = member or Member(household=household, person_number=person_number)
    for k, v in values.items():
        setattr(member, k, v)
    member.save()
    audit.record(
        actor,
        ChangeAction.UPDATE if before else ChangeAction.CREATE,
        member,
        before=before,
        root=household,
        batch=batch_id,
    )
    return "updated" if before else "created"


def _apply_member_year(
    household: Household,
    member: Member,
    year: int,
    values: dict[str, Any],
    member_years: dict[tuple[int, int], MemberYear],
    actor: audit.Actor,
    batch_id: str,
) -> bool:
    """One data year's record of a member other than its current year; True if anything was written."""
    record = _write_yearly(
        household,
        member_years.get((member.pk, year)),
        lambda: MemberYear(member=member, year=year),
        values,
        actor,
        batch_id,
    )
    if record is not None:
        member_years[(member.pk, year)] = record
    return record is not None


def snapshot_from_batch(parquet: Path, household_number: str) -> dict[str, Any] | None:
    """Rebuild what a batch wrote for one household from the batch's Parquet file."""
    if not parquet.exists():
        return None
    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE VIEW acc AS SELECT * FROM read_parquet({quoting.path(parquet)})")
    stored = {r[0] for r in con.execute("DESCRIBE acc").fetchall()}
    # A batch written before a column existed (失学或辍学原因, 人数, 残疾类别) lacks it: it held no value for it.
    wanted = ["hh", "size", *HOUSEHOLD_FIELDS, *MEMBER_FIELDS]
    select = ", ".join(name if name in stored else f"NULL AS {name}" for name in wanted)
    rows = list(
        _rows(con, f"SELECT {select} FROM acc WHERE hh = {quoting.literal(household_number)} ORDER BY _i")
    )
    if not rows:
        return None
    first = rows[0]
    hh = audit.jsonable_dict(household_values(first))
    year = {"year": first["h_year"], **audit.jsonable_dict(year_values(first))}
    members = [{"person_number": r["v_person_number"], **audit.jsonable_dict(member_values(r))} for r in rows]
    return {"household": hh, "years": [year], "members": members}


__all__ = ["commit", "load_store_tables", "snapshot_from_batch"]
