"""The department data generator: planted anomalies are exactly what the department rules find.

A generated county (a few hundred households) is imported into the test database the way a county bureau
loads its register, written to a snapshot, and given generated department data. Each department rule of
``rules.toml`` then runs over the files on the engine (DuckDB) and must find exactly the ground truth:
precision and recall 1.0.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from jingzhun.comparison import datasets as dsm
from jingzhun.registry import codelists
from jingzhun.testing.departments import (
    PLANTED_RULES,
    DeptGenError,
    Truth,
    generate_departments,
    stored_schema,
)

pytestmark = pytest.mark.django_db  # so pytest-django sets the test database up for the module fixture

AS_OF = dt.date(2025, 12, 31)
HOUSEHOLDS = 600  # enough monitored 因病 households (JC05) and not-exited heads (SB03) for three plants each
RULES = Path(__file__).resolve().parents[1] / "data" / "rules.toml"


# ------------------------------------------------------------------------------------------ the runner


def catalogue() -> dict[str, Any]:
    return tomllib.loads(RULES.read_text(encoding="utf-8"))


def department_rules() -> list[dict[str, Any]]:
    """The rules that read department data (exact ones and the SJ03 heuristic)."""
    return [r for r in catalogue()["rule"] if r.get("datasets")]


def run_rules(snapshot: Path, data: Path, as_of: dt.date) -> dict[str, set[tuple[str, str, str]]]:
    """Each department rule's subjects as (household_number, person_number, id_number), '' for NULL, found
    by the engine (DuckDB) over the generated files."""
    from jingzhun.comparison import engine
    from jingzhun.comparison.snapshot import open_snapshot

    cat = engine.load_catalogue()
    rules = [r for r in cat.rules if r.datasets]
    files = {ds.code: [str(data / f"{ds.code}.parquet")] for ds in dsm.DATASETS}
    result = engine.run_catalogue(
        engine.DuckEngine(threads=2), open_snapshot(snapshot), files, as_of=as_of, rules=rules, catalogue=cat
    )
    assert not result.notes(), result.notes()
    found: dict[str, set[tuple[str, str, str]]] = {r.code: set() for r in rules}
    for row in result.findings.select(
        ["rule_code", "household_number", "person_number", "id_number"]
    ).to_pylist():
        found[row["rule_code"]].add(
            (row["household_number"] or "", row["person_number"] or "", row["id_number"] or "")
        )
    return found


def read_truth(path: Path) -> dict[str, set[tuple[str, str, str]]]:
    truth: dict[str, set[tuple[str, str, str]]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            truth.setdefault(row["rule_code"], set()).add(
                (row["household_number"], row["person_number"], row["id_number"])
            )
    return truth


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def county(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of a generated, imported county; the database is rolled back afterwards."""
    from jingzhun.comparison.snapshot import write_snapshot
    from jingzhun.testing.county import COUNTY, import_generated_county

    root = tmp_path_factory.mktemp("deptgen")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=root / "media"), transaction.atomic():
        import_generated_county(root / "register", households=HOUSEHOLDS, seed=7)
        snapshot = write_snapshot(COUNTY, name="snap", root=root)
        transaction.set_rollback(True)
    return snapshot.path


@pytest.fixture(scope="module")
def generated(county: Path, tmp_path_factory: pytest.TempPathFactory) -> Truth:
    out = tmp_path_factory.mktemp("departments")
    return generate_departments(county, out, seed=3, as_of=AS_OF, formats=("parquet", "csv", "xlsx"))


@pytest.fixture(scope="module")
def found(county: Path, generated: Truth) -> dict[str, set[tuple[str, str, str]]]:
    return run_rules(county, generated.path.parent, AS_OF)


# ------------------------------------------------------------------------------------------ tests


def test_the_rules_declared_planted_are_planted_and_read_department_data():
    """The generator is optional per rule: a rule declares ``planted`` (a county's own rule never does).
    Every shipped exact department rule declares it today."""
    declared = {r["code"] for r in catalogue()["rule"] if r.get("planted")}
    assert declared == set(PLANTED_RULES)
    codes = {r["code"] for r in department_rules() if r.get("exact", True)}
    assert codes <= declared
    # SJ03 (a bad ID matching a namesake's first 14 digits) is a heuristic, planted where it is unambiguous.
    readers = {r["code"] for r in catalogue()["rule"] if r.get("datasets")}
    assert declared - codes == {"SJ03"} and declared <= readers


@pytest.mark.parametrize("rule", PLANTED_RULES)
def test_rule_finds_exactly_the_planted_anomalies(rule, generated, found):
    truth = read_truth(generated.path).get(rule, set())
    hits = found[rule]
    missed, extra = truth - hits, hits - truth
    assert not missed and not extra, f"{rule}: missed {sorted(missed)[:5]}, unexpected {sorted(extra)[:5]}"
    assert len(truth) >= 3, f"{rule}: only {len(truth)} planted"
    assert generated.planted[rule] == len(truth)


def test_subjects_are_named_as_the_rules_output_them(generated):
    truth = read_truth(generated.path)
    for rule in ("LP01", "LP02"):
        assert all(h == "" and p == "" and len(i) == 18 for h, p, i in truth[rule])
    for rule in ("CT02", "SB03"):
        assert all(h and p == "" and len(i) == 18 for h, p, i in truth[rule])
    assert all(h and p == "" and i == "" for h, p, i in truth["JC05"])
    assert all(h and p.startswith(h) and len(i) == 18 for h, p, i in truth["SJ01"])
    # a child who dropped out of an exited household is also a child without a 在读 record
    assert {i for _, _, i in truth["CT01"]} <= {i for _, _, i in truth["SB01"]}


def test_files_are_in_the_stored_format(generated):
    for ds in dsm.DATASETS:
        path = generated.parquet(ds.code)
        schema = pq.read_schema(path)
        assert schema.names == [*ds.keys, "row_number", "id_valid"]
        assert schema.remove_metadata() == stored_schema(ds)
        con = duckdb.connect()
        types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()}
        for col in ds.columns:
            assert types[col.key] == col.sql_type, (ds.code, col.key)
        assert types["row_number"] == "INTEGER" and types["id_valid"] == "BOOLEAN"
        numbers, required = con.execute(
            f"SELECT list(row_number ORDER BY row_number) = range(2, count(*) + 2), "
            f"bool_and({' AND '.join(f'{c.key} IS NOT NULL' for c in ds.columns if c.required) or 'true'}) "
            f"FROM read_parquet('{path}')"
        ).fetchone()
        assert numbers and required, ds.code
        con.close()


def test_ids_are_valid_unless_marked_and_choices_are_labels(generated):
    from jingzhun.registry import idnumbers

    for ds in dsm.DATASETS:
        table = pq.read_table(generated.parquet(ds.code))
        ids = table["id_number"].to_pylist()
        valid = table["id_valid"].to_pylist()
        for number, ok in zip(ids, valid, strict=True):
            assert idnumbers.is_valid(number) == ok, (ds.code, number)
        for col in ds.columns:
            if col.codelist:  # written as the list's codes or labels, as a department writes them
                accepted = set(codelists.get(col.codelist).spellings())
                assert set(table[col.key].drop_null().to_pylist()) <= accepted, (ds.code, col.key)
            elif col.choices:
                assert set(table[col.key].drop_null().to_pylist()) <= set(col.choices), (ds.code, col.key)


def test_volume_is_about_ten_rows_per_register_member(county, generated):
    members = pq.read_table(county / "members").num_rows
    ratio = generated.total_rows / members
    assert 9.0 <= ratio <= 12.0, ratio
    rows = generated.rows
    assert rows["medical_enrolment"] >= 2.5 * members and rows["medical_expense"] >= 2.0 * members
    assert all(n > 0 for n in rows.values())


def test_same_seed_gives_identical_files_and_another_seed_other_data(county, generated, tmp_path):
    again = generate_departments(
        county, tmp_path / "again", seed=3, as_of=AS_OF, formats=("parquet", "csv", "xlsx")
    )
    for name in sorted(p.name for p in generated.path.parent.iterdir()):
        first, second = generated.path.parent / name, again.path.parent / name
        assert hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest(), (
            name
        )
    other = generate_departments(county, tmp_path / "other", seed=4, as_of=AS_OF, scale=0.2)
    assert other.path.read_bytes() != generated.path.read_bytes()
    assert other.total_rows < generated.total_rows


def test_csv_and_xlsx_have_the_departments_chinese_headers(generated):
    import openpyxl

    out = generated.path.parent
    for ds in dsm.DATASETS:
        with (out / f"{ds.code}.csv").open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            assert next(reader) == [c.header for c in ds.columns]
            rows = list(reader)
        assert len(rows) == generated.rows[ds.code]
        book = openpyxl.load_workbook(out / f"{ds.code}.xlsx", read_only=True)
        sheet = book.worksheets[0]
        assert [c.value for c in next(sheet.iter_rows(max_row=1))] == [c.header for c in ds.columns]
        book.close()
    with (out / "medical_enrolment.csv").open(encoding="utf-8-sig", newline="") as fh:
        first = next(csv.DictReader(fh))
    assert first["是否参加基本医保"] in ("是", "否") and len(first["身份证号码"]) == 18
    with (out / "medical_expense.csv").open(encoding="utf-8-sig", newline="") as fh:
        first = next(csv.DictReader(fh))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", first["结算日期"]) and re.fullmatch(
        r"\d+\.\d{2}", first["个人自付"]
    )


@pytest.mark.parametrize("code", [ds.code for ds in dsm.DATASETS])
def test_the_loader_reads_the_csv_and_xlsx_back_into_the_stored_rows(code, generated, tmp_path):
    from jingzhun.comparison import loading

    ds = dsm.get(code)
    stored = pq.read_table(generated.parquet(code)).sort_by("row_number")
    for ext in ("csv", "xlsx"):
        warnings: list[str] = []
        con = loading.read_source(generated.path.parent / f"{code}.{ext}", ds, warnings)
        checked = loading.check(con, ds)
        assert checked.rejected_rows == 0 and not warnings, (ext, warnings)
        loading.write_rows(checked, tmp_path / f"{code}-{ext}.parquet")
        loaded = pq.read_table(tmp_path / f"{code}-{ext}.parquet").sort_by("row_number").cast(stored.schema)
        assert loaded.equals(stored), ext


def test_bad_requests_are_refused_in_chinese(county, tmp_path):
    with pytest.raises(DeptGenError, match="不支持的输出格式"):
        generate_departments(county, tmp_path, formats=("pdf",))
    with pytest.raises(DeptGenError, match="不是登记快照"):
        generate_departments(tmp_path, tmp_path / "out")


def test_command_writes_the_files(county, tmp_path, capsys):
    out = tmp_path / "cmd"
    call_command(
        "generate_departments",
        "--snapshot",
        str(county),
        "--out",
        str(out),
        "--seed",
        "2",
        "--as-of",
        "2025-12-31",
        "--scale",
        "0.3",
        "--format",
        "parquet,csv",
    )
    text = capsys.readouterr().out
    assert (out / "ground_truth.csv").exists() and (out / "payroll.csv").exists()
    assert "医保参保信息" in text and "预置疑点" in text


def test_name_look_alikes_sj02_must_not_find_are_there(county, generated):
    """SJ02's noise: latest enrolments whose name is the register's in another writing (繁体/简体, a dot, a
    space), and older enrolments with a mistyped name while the latest is right."""
    from jingzhun.comparison.namekeys import name_key

    members = pq.read_table(county / "members", columns=["id_number", "name", "left_on"]).to_pylist()
    register = {m["id_number"]: m["name"] for m in members if m["left_on"] is None}
    rows = pq.read_table(generated.parquet("medical_enrolment")).to_pylist()
    latest: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: (r["year"], r["row_number"])):
        if row["id_valid"]:
            latest[row["id_number"]] = row
    spelled = [
        (register[i], r["name"])
        for i, r in latest.items()
        if i in register and r["name"] != register[i] and name_key(r["name"]) == name_key(register[i])
    ]
    assert len(spelled) >= 3, spelled
    assert any(
        a.replace(" ", "").replace("\u3000", "") != b.replace(" ", "").replace("\u3000", "")
        for a, b in spelled
    ), "some differ in more than spaces (繁体/简体, a dot)"
    older_typos = [
        r
        for r in rows
        if r["id_valid"]
        and r["id_number"] in register
        and r["year"] < latest[r["id_number"]]["year"]
        and name_key(r["name"]) != name_key(register[r["id_number"]])
        and name_key(latest[r["id_number"]]["name"]) == name_key(register[r["id_number"]])
    ]
    assert len(older_typos) >= 3
