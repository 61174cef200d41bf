"""The pandas baseline (baseline.py) finds exactly the rows the SQL catalogue finds on DuckDB, detail text
included, on a generated county with department data that makes every rule hit."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jingzhun.comparison import datasets as ds
from jingzhun.comparison import engine
from jingzhun.comparison.snapshot import open_snapshot, policy_schema, write_snapshot
from jingzhun.testing import baseline
from jingzhun.testing.county import COUNTY, import_generated_county

AS_OF = dt.date(2026, 11, 30)

# Department rows picked from the snapshot by hash buckets, so that every department rule hits and its
# neighbours (the rows a rule must NOT find) are there too. {as_of}/{y} are filled in below.
HAND_SQL: dict[str, str] = {
    "payroll": """
        SELECT id_number, name, '县农业农村局' AS employer, '科员' AS post, registered_on - 400 AS start_on,
               NULL AS end_on, TRUE AS id_valid FROM rp WHERE b = 0                      -- CP01
        UNION ALL SELECT id_number, name, '乡镇卫生院', NULL, registered_on + 300, NULL, TRUE FROM rp WHERE b = 1  -- JC06
        UNION ALL SELECT id_number, name, '县教育局', NULL, registered_on - 900, registered_on - 10, TRUE
                  FROM rp WHERE b = 2                                                      -- left before
        UNION ALL SELECT id_number, name, '县教育局', NULL, registered_on + 30, NULL, TRUE FROM rp WHERE b = 2
        UNION ALL SELECT id_number, name, '县医院', NULL, registered_on - 50, registered_on + 90, TRUE
                  FROM rp WHERE b = 3                                                      -- CP01, not JC06
        UNION ALL SELECT id_number, name, '县医院', NULL, registered_on + 200, DATE '{as_of}' - 5, TRUE
                  FROM rp WHERE b IN (3, 4)                                                -- ended: no JC06
        UNION ALL SELECT id_number, name, '县财政局', NULL, registered_on - 10, NULL, FALSE FROM rp WHERE b = 5
    """,
    "vehicles": """
        SELECT id_number, name, '甘E' || substr(id_number, 13, 5) AS plate, '小型轿车' AS vehicle_type,
               registered_on - 100 AS registered_on, CAST(86500.50 AS DECIMAL(14,2)) AS price, TRUE AS id_valid
        FROM rp WHERE b = 6
        UNION ALL SELECT id_number, name, '甘E' || substr(id_number, 12, 5), '重型货车', registered_on - 20,
               120000.00, TRUE FROM rp WHERE b = 6
        UNION ALL SELECT id_number, name, '甘E0' || substr(id_number, 14, 4), '摩托车', registered_on - 100, 90000, TRUE
               FROM rp WHERE b = 7
        UNION ALL SELECT id_number, name, '甘E1' || substr(id_number, 14, 4), '小型轿车', registered_on + 10, 90000,
               TRUE FROM rp WHERE b = 8
        UNION ALL SELECT id_number, name, '甘E2' || substr(id_number, 14, 4), '轻型货车', registered_on - 10, 30000,
               TRUE FROM rp WHERE b = 9
    """,
    "business": """
        SELECT id_number, name, name || '种植专业合作社' AS entity_name, '9162' || substr(id_number, 1, 14) AS credit_code,
               '法定代表人' AS role, CAST(50 AS DECIMAL(14,2)) AS capital, registered_on - 365 AS established_on,
               '存续' AS state, TRUE AS id_valid FROM rp WHERE b = 10
        UNION ALL SELECT id_number, name, name || '商贸有限公司', '9162' || substr(id_number, 2, 14), '股东', NULL,
               registered_on - 365, '在业', TRUE FROM rp WHERE b = 11
        UNION ALL SELECT id_number, name, name || '养殖场', '9262' || substr(id_number, 2, 14), '股东', 200,
               registered_on - 365, '注销', TRUE FROM rp WHERE b = 12
        UNION ALL SELECT id_number, name, name || '建材有限公司', '9362' || substr(id_number, 2, 14), '股东', 10.00,
               registered_on - 1, '在业', TRUE FROM rp WHERE b = 13
    """,
    "property": """
        SELECT id_number, name, '商品住房' AS property_type, '天水市秦州区民主路' || substr(id_number, 15, 3) || '号' AS location,
               CAST(96.5 AS DECIMAL(14,2)) AS area, registered_on - 30 AS registered_on, TRUE AS id_valid
        FROM rp WHERE b IN (14, 15)
        UNION ALL SELECT id_number, name, '商铺', '天水市秦州区商贸城' || substr(id_number, 15, 3) || '号', 40,
               registered_on - 30, TRUE FROM rp WHERE b = 15
        UNION ALL SELECT id_number, name, '自建房', '本村', 120, registered_on - 3000, TRUE FROM rp WHERE b = 16
        UNION ALL SELECT id_number, name, '商品住房', '易地扶贫搬迁安置点', 80, registered_on - 30, TRUE
               FROM rp WHERE relocated AND b < 40
    """,
    "civil_assistance": """
        SELECT id_number, name, village_code AS region_code, NULL AS head_id_number, '低保' AS kind,
               DATE '2021-03-01' AS start_on, NULL AS end_on, CAST(480 AS DECIMAL(14,2)) AS monthly_amount,
               TRUE AS id_valid FROM persons WHERE b IN (20, 21)
        UNION ALL SELECT id_number, name, village_code, NULL, '特困供养', DATE '2020-01-01', DATE '{as_of}' + 30, 900,
               TRUE FROM persons WHERE b = 22
        UNION ALL SELECT id_number, name, village_code, NULL, '低保', DATE '2019-01-01', DATE '{as_of}' - 30, 400,
               TRUE FROM persons WHERE b = 23
        UNION ALL SELECT id_number, name, village_code, NULL, '临时救助', DATE '2024-01-01', NULL, 1000, TRUE
               FROM persons WHERE b = 24
        UNION ALL SELECT id_number, name, village_code, NULL, '低保', DATE '2022-01-01', NULL, 400, FALSE
               FROM persons WHERE b = 25
        UNION ALL SELECT id_number, name, village_code, NULL, '低保', DATE '{as_of}' + 10, NULL, 400, TRUE
               FROM persons WHERE b = 26                                                   -- after as_of
    """,
    "disability": """
        SELECT id_number, name, id_number || '41' AS certificate_number, village_code AS region_code,
               '肢体残疾' AS category, '二级' AS grade, DATE '{as_of}' - 100 AS issued_on, TRUE AS valid, TRUE AS id_valid
        FROM persons WHERE b IN (26, 27)
        UNION ALL SELECT id_number, name, id_number || '11', NULL, '视力残疾', '一级', DATE '2015-06-01', TRUE, TRUE
               FROM persons WHERE b = 28
        UNION ALL SELECT id_number, name, id_number || '13', village_code, '视力残疾', '三级', DATE '{as_of}' - 10,
               TRUE, TRUE FROM persons WHERE b = 29
        UNION ALL SELECT id_number, name, id_number || '12', village_code, '智力残疾', '一级', DATE '{as_of}' - 10,
               FALSE, TRUE FROM persons WHERE b = 30
        UNION ALL SELECT id_number, name, id_number || '21', village_code, '听力残疾', '一级', DATE '{as_of}' + 5,
               TRUE, TRUE FROM persons WHERE b = 31                                        -- after as_of
    """,
    "education": """
        SELECT id_number, name, '秦州区第' || substr(id_number, 17, 1) || '中学' AS school, '初中' AS stage, 2 AS grade,
               CASE WHEN b % 5 = 0 THEN '辍学' WHEN b % 5 = 1 THEN '休学' ELSE '在读' END AS state,
               DATE '{as_of}' - 60 AS state_on, NULL AS self_paid_fees, TRUE AS id_valid
        FROM rp WHERE age BETWEEN 5 AND 16 AND b % 7 <> 3
        UNION ALL SELECT id_number, name, '秦州区中心小学', '小学', 5, '在读', DATE '{as_of}' - 400, 100, TRUE
        FROM rp WHERE age BETWEEN 5 AND 16 AND b % 5 = 0
        UNION ALL SELECT id_number, name, '秦州区第二中学', '初中', 3, '辍学', DATE '{as_of}' + 10, NULL, TRUE
        FROM rp WHERE age BETWEEN 5 AND 16 AND b % 5 = 2                                   -- after as_of
    """,
    "housing": """
        SELECT id_number, name, village_code AS region_code,
               CASE b % 4 WHEN 0 THEN 'C' WHEN 1 THEN 'D' WHEN 2 THEN 'B' ELSE 'C' END AS grade,
               DATE '2024-05-01' AS assessed_on, b % 4 = 3 AS renovated, TRUE AS id_valid
        FROM rp WHERE relation = '01' AND b % 3 = 0
        UNION ALL SELECT id_number, name, village_code, 'A', DATE '2025-05-01', FALSE, TRUE
        FROM rp WHERE relation = '01' AND b % 3 = 0 AND b % 8 = 1
        UNION ALL SELECT id_number, name, village_code, 'A', DATE '{as_of}' + 20, FALSE, TRUE
        FROM rp WHERE relation = '01' AND b % 3 = 0 AND b % 8 = 2                          -- after as_of
    """,
    "medical_enrolment": """
        SELECT id_number,
               CASE WHEN b = 31 THEN substr(name, 1, 1) || '晓' ELSE name END AS name,
               {y} AS year, b <> 32 AS basic_enrolled, TRUE AS serious_illness_enrolled, FALSE AS subsidised,
               TRUE AS id_valid
        FROM persons WHERE b NOT IN (33, 34)
        UNION ALL SELECT id_number, name, {y} - 1, TRUE, TRUE, FALSE, TRUE FROM persons WHERE b = 33
        UNION ALL SELECT substr(id_number, 1, 17) || CASE WHEN substr(id_number, 18, 1) = '0' THEN '1' ELSE '0' END,
               name, {y}, TRUE, TRUE, FALSE, FALSE FROM persons WHERE b = 35
    """,
    "medical_expense": """
        SELECT id_number, name, DATE '{as_of}' - (b * 3) AS settled_on, '住院' AS visit_type, '秦州区人民医院' AS hospital,
               CAST(30000 AS DECIMAL(14,2)) AS total_cost, CAST(24000 AS DECIMAL(14,2)) AS fund_paid,
               CAST(2500.25 AS DECIMAL(14,2)) AS self_paid, TRUE AS id_valid
        FROM persons WHERE b IN (36, 37, 38)
        UNION ALL SELECT id_number, name, DATE '{as_of}' - 200, '门诊慢特病', NULL, 20000, 2000, 2499.75, TRUE
               FROM persons WHERE b IN (36, 37)
        UNION ALL SELECT id_number, name, DATE '{as_of}' - 100, '住院', NULL, 60000, 40000, 20000, TRUE
               FROM persons WHERE b = 38
        UNION ALL SELECT id_number, name, DATE '{as_of}' - 500, '住院', NULL, 90000, 10000, 80000, TRUE
               FROM persons WHERE b = 39
        UNION ALL SELECT id_number, name, DATE '{as_of}' - 20, '普通门诊', NULL, 100, 70, 30, TRUE
               FROM persons WHERE b % 3 = 1
    """,
    "police_events": """
        SELECT id_number, name, '死亡' AS event, DATE '{as_of}' - 40 AS event_on, village_code AS region_code,
               TRUE AS id_valid FROM persons WHERE b = 16
        UNION ALL SELECT id_number, name, '迁出', DATE '{as_of}' - 40, village_code, TRUE FROM persons WHERE b = 17
        UNION ALL SELECT id_number, name, '死亡', DATE '{as_of}' + 1, village_code, TRUE FROM persons WHERE b = 18
    """,
}
# One person outside the register per bucket: department rows for people who are not registered (漏评).
OUTSIDERS = 12


def _outsider_ids(count: int) -> list[str]:
    from jingzhun.registry.idnumbers import check_digit

    ids = []
    for i in range(count):
        body = f"620502{1950 + i:04d}0{1 + i % 9}1{i % 10}0{(i * 7) % 10}{1 + 2 * (i % 4)}"
        ids.append(body + check_digit(body))
    return ids


def hand_departments(snapshot_path: Path, out: Path, as_of: dt.date) -> dict[str, list[str]]:
    """Write ``<out>/<dataset>.parquet`` in the stored format with rows that make each department rule hit."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    snap = open_snapshot(snapshot_path)
    con = engine.DuckEngine()
    from jingzhun.comparison.snapshot import TABLES, schema

    for table in TABLES:
        con.table(table, [snap.table_glob(table)], schema(table))
    con.table("policy", [str(snap.policy_path)], policy_schema())
    catalogue = engine.load_catalogue()
    for view in catalogue.views:
        if not view.name.endswith("_latest"):
            con.view(view.name, engine.render(view.sql, engine.base_parameters(as_of), where=view.name))
    c: duckdb.DuckDBPyConnection = con.con
    c.execute(
        "CREATE TABLE rp AS SELECT *, CAST(hash(id_number) % 50 AS INTEGER) AS b FROM registered_people"
    )
    outsiders = ", ".join(f"('{i}', '局外人{n}')" for n, i in enumerate(_outsider_ids(OUTSIDERS)))
    c.execute(f"""CREATE TABLE persons AS
        SELECT household_number, person_number, id_number, name, village_code, relation, age,
               CAST(hash(id_number) % 50 AS INTEGER) AS b FROM people
        UNION ALL SELECT NULL, NULL, o.i, o.n, '620502001201', '02', 40, 20 + CAST(hash(o.i) % 20 AS INTEGER)
        FROM (VALUES {outsiders}) o(i, n)""")
    files: dict[str, list[str]] = {}
    for code, sql in HAND_SQL.items():
        dataset = ds.BY_CODE[code]
        arrow_schema = engine.dataset_schema(dataset)
        cols = ", ".join(
            f"CAST({f.name} AS {_sql_type(f.type)}) AS {f.name}"
            for f in arrow_schema
            if f.name != "row_number"
        )
        query = sql.format(as_of=as_of.isoformat(), y=as_of.year)
        table = c.sql(
            f"SELECT {cols}, CAST(row_number() OVER () AS INTEGER) AS row_number FROM ({query})"
        ).to_arrow_table()
        table = table.select([f.name for f in arrow_schema]).cast(arrow_schema)
        path = out / f"{code}.parquet"
        pq.write_table(table, path)
        files[code] = [str(path)]
    con.close()
    return files


def _sql_type(typ: pa.DataType) -> str:
    if pa.types.is_string(typ):
        return "VARCHAR"
    if pa.types.is_date(typ):
        return "DATE"
    if pa.types.is_decimal(typ):
        return "DECIMAL(14,2)"
    if pa.types.is_boolean(typ):
        return "BOOLEAN"
    return "INTEGER"


# Register anomalies the generator does not make (its data is clean), by household bucket h.
PLANT_SQL = {
    "households": """SELECT * REPLACE (
        CASE WHEN h = 7 THEN '02' ELSE attribute END AS attribute,
        CASE WHEN h IN (10, 11, 12) AND poverty_status <> '' THEN CAST(h - 9 AS VARCHAR) ELSE main_cause END
            AS main_cause,
        CASE WHEN h IN (13, 14, 15, 16, 17) THEN '1' ELSE monitoring_type END AS monitoring_type,
        CASE WHEN h = 13 THEN DATE '2024-03-10' WHEN h IN (14, 15, 16, 17) THEN DATE '2025-06-01'
             ELSE monitoring_identified_on END AS monitoring_identified_on,
        CASE WHEN h = 13 THEN '1' WHEN h IN (14, 15, 16, 17) THEN '0' ELSE risk_elimination END AS risk_elimination,
        CASE WHEN h = 13 THEN DATE '2024-04-02' WHEN h IN (14, 15, 16, 17) THEN NULL ELSE risk_eliminated_on END
            AS risk_eliminated_on,
        CASE WHEN h IN (14, 15, 16, 17) THEN ',1,' ELSE risk_types END AS risk_types)""",
    "members": """SELECT * REPLACE (
        CASE WHEN h = 0 THEN '1' ELSE sex END AS sex,
        CASE WHEN h = 1 AND relation = '01' THEN '03' WHEN h = 2 AND relation = '02' THEN '01' ELSE relation END
            AS relation,
        CASE WHEN h = 3 AND relation = '01' THEN 6 WHEN h = 4 AND relation = '01' THEN 0 ELSE migrant_months END
            AS migrant_months,
        CASE WHEN h = 3 AND relation = '01' THEN '' WHEN h = 4 AND relation = '01' THEN '浙江省宁波市'
             ELSE migrant_place END AS migrant_place,
        CASE WHEN h = 7 THEN FALSE ELSE dibao END AS dibao,
        CASE WHEN h = 8 AND birth_date > DATE '2013-01-01' THEN '11' WHEN h = 9 AND birth_date < DATE '2000-01-01'
             THEN '03' WHEN h = 12 THEN '' ELSE schooling END AS schooling,
        CASE WHEN h IN (10, 11) THEN ',1,' ELSE health END AS health,
        CASE WHEN h = 11 THEN '' ELSE disability_category END AS disability_category)""",
    "years": """SELECT * REPLACE (
        CASE WHEN h = 5 THEN CAST(-120.50 AS DECIMAL(14,2)) WHEN h = 6 THEN CAST(150000 AS DECIMAL(14,2))
             ELSE per_capita_net_income END AS per_capita_net_income)""",
}


# The county tools' logic checks (SJ04 by the ID, SJ11–SJ25), planted in buckets of their own in a second pass.
LOGIC_PLANT_SQL = {
    "households": """SELECT * REPLACE (
        CASE WHEN h = 18 THEN '' WHEN h = 19 THEN '9999-9999999' ELSE phone_shape END AS phone_shape)""",
    "members": """SELECT * REPLACE (
        CASE WHEN h = 0 AND relation = '02' THEN substr(id_number, 1, 16)
             || CAST((CAST(substr(id_number, 17, 1) AS INTEGER) + 1) % 10 AS VARCHAR) || substr(id_number, 18)
             ELSE id_number END AS id_number,
        CASE WHEN h = 19 AND relation = '03' THEN '02' ELSE relation END AS relation,
        CASE WHEN h = 18 THEN '3' WHEN h = 20 THEN '' ELSE education END AS education,
        CASE WHEN h = 18 THEN '07' WHEN h = 20 THEN '94' ELSE schooling END AS schooling,
        CASE WHEN h = 21 THEN '' ELSE health END AS health,
        CASE WHEN h = 22 THEN FALSE WHEN h = 29 THEN NULL ELSE serious_illness_insurance END
            AS serious_illness_insurance,
        CASE WHEN h = 23 THEN NULL ELSE basic_pension_insurance END AS basic_pension_insurance,
        CASE WHEN h = 24 THEN TRUE WHEN h = 25 THEN NULL ELSE basic_medical_insurance END AS basic_medical_insurance,
        CASE WHEN h = 24 THEN TRUE WHEN h = 26 THEN NULL ELSE employee_medical_insurance END
            AS employee_medical_insurance,
        CASE WHEN h = 27 THEN NULL ELSE speaks_mandarin END AS speaks_mandarin,
        CASE WHEN h = 28 THEN NULL ELSE dibao END AS dibao,
        CASE WHEN h = 30 THEN NULL ELSE commercial_medical_insurance END AS commercial_medical_insurance,
        CASE WHEN h = 31 THEN NULL ELSE tekun END AS tekun)""",
}


def _plant_in_snapshot(snapshot_path: Path) -> None:
    """What the generated register cannot hold but the rules look for: the data-quality anomalies above,
    poverty and monitoring lines for the county (the shipped policy has none for recent years; CT03, JC03),
    and one household registered again in another county's partition, as when snapshots of two counties are
    merged (CF01)."""
    from decimal import Decimal

    import duckdb
    import pyarrow.compute as pc

    for table, sql in [*PLANT_SQL.items(), *LOGIC_PLANT_SQL.items()]:
        path = snapshot_path / table / f"county={COUNTY}" / "data.parquet"
        with duckdb.connect() as con:
            rows = con.sql(
                f"SELECT *, CAST(hash(household_number) % 40 AS INTEGER) AS h FROM read_parquet('{path}', hive_partitioning = false)"
            )
            con.register("t", rows.to_arrow_table())
            planted = con.sql(sql + " FROM t").to_arrow_table().drop_columns(["h"])
        pq.write_table(planted.cast(pq.read_schema(path)), path)

    path = snapshot_path / "policy.parquet"
    policy = pq.read_table(path).to_pydict()
    policy["poverty_line"] = [Decimal("7000.00")] * len(policy["year"])
    policy["monitoring_line"] = [Decimal("9000.50")] * len(policy["year"])
    pq.write_table(pa.Table.from_pydict(policy, schema=policy_schema()), path)

    households = pq.read_table(snapshot_path / "households" / f"county={COUNTY}" / "data.parquet")
    copied = households.slice(3, 1).to_pylist()[0]["household_number"]
    other = "620503"
    for table in ("households", "members"):
        rows = pq.read_table(snapshot_path / table / f"county={COUNTY}" / "data.parquet")
        rows = rows.filter(pc.equal(rows["household_number"], copied))
        number = pc.binary_join_element_wise(
            pa.scalar(other), pc.utf8_slice_codeunits(rows["household_number"], 6), ""
        )
        rows = rows.set_column(rows.schema.get_field_index("household_number"), "household_number", number)
        rows = rows.set_column(
            rows.schema.get_field_index("county_code"),
            "county_code",
            pa.array([other] * rows.num_rows, pa.string()),
        )
        folder = snapshot_path / table / f"county={other}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows, folder / "data.parquet")


def generated_departments(snapshot_path: Path, out: Path, as_of: dt.date) -> dict[str, list[str]]:
    """The department data generator's files (``deptgen``), or none when it is not there."""
    try:
        from jingzhun.testing.departments import generate_departments
    except ImportError:
        return {}
    generate_departments(snapshot_path, out, seed=5, as_of=as_of)
    return {
        d.code: [str(out / f"{d.code}.parquet")] for d in ds.DATASETS if (out / f"{d.code}.parquet").exists()
    }


def _compare(snap, files: dict[str, list[str]], label: str) -> dict[str, int]:
    twins = [r for r in engine.load_catalogue().rules if r.pandas_twin]
    duck = engine.run_catalogue(engine.DuckEngine(threads=1), snap, files, as_of=AS_OF, rules=twins)
    pandas_result = baseline.run_rules(snap.path, files, AS_OF)
    a = engine.finding_rows(duck.findings)
    b = baseline.finding_rows(pandas_result.findings)
    duck_counts, pandas_counts = duck.counts(), pandas_result.counts()
    print(f"\n{label}\nrule   duckdb  pandas")
    for code in duck_counts:
        print(f"{code}  {duck_counts[code]:>7} {pandas_counts.get(code, 0):>7}")
    assert not [o for o in duck.outcomes if o.skipped]
    assert sorted(a - b)[:5] == [] and sorted(b - a)[:5] == []
    assert duck_counts == pandas_counts
    assert len(pandas_result.findings) == duck.findings.num_rows
    return duck_counts


@pytest.mark.django_db
def test_pandas_baseline_finds_the_same_rows_as_duckdb(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    import_generated_county(tmp_path / "gen", households=300)
    snap = write_snapshot(COUNTY)
    generated = generated_departments(snap.path, tmp_path / "generated", AS_OF)
    _plant_in_snapshot(snap.path)  # after the departments: they describe the people, the register errs
    snap = open_snapshot(snap.path)
    hand = hand_departments(snap.path, tmp_path / "hand", AS_OF)

    counts = _compare(snap, hand, "hand-made department rows")
    # The comparison means something only if every rule found rows.
    assert not {code for code, n in counts.items() if n == 0}
    if generated:
        counts = _compare(snap, generated, "deptgen department data")
        from jingzhun.testing.departments import PLANTED_RULES

        assert not {code for code in PLANTED_RULES if counts[code] == 0}


def test_the_rules_declaring_a_pandas_twin_have_one():
    """The pandas twin is optional per rule (a county's own rule has none); a shipped rule declares it."""
    declared = {r.code for r in engine.load_catalogue().rules if r.pandas_twin}
    assert declared == set(baseline.RULES)


def test_rules_with_missing_datasets_are_skipped(tmp_path):
    snap_dir = tmp_path / "snap"
    from jingzhun.comparison.snapshot import ensure_tables

    ensure_tables(snap_dir)
    result = baseline.run_rules(snap_dir, {}, AS_OF)
    skipped = {o.code for o in result.outcomes if o.skipped}
    catalogue = engine.load_catalogue()
    assert skipped == {r.code for r in catalogue.rules if r.datasets}
    assert len(result.findings) == 0
    assert list(result.findings.columns) == list(engine.FINDING_COLUMNS)
    assert Counter(o.rows for o in result.outcomes) == Counter({0: len(catalogue.rules)})
