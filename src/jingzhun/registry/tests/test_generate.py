"""The register generator: reproducibility, internal consistency, valid codes, writers, command."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command
from python_calamine import CalamineWorkbook

from jingzhun.regions.models import Region
from jingzhun.regions.services import load_csv, load_national
from jingzhun.registry import choices as ch
from jingzhun.registry import idnumbers, names
from jingzhun.registry.columns import COLUMNS, Kind, Level
from jingzhun.registry.income import compute
from jingzhun.testing import register as gen

COUNTY = "620502"
SEED = 11
HOUSEHOLDS = 300
REF = date(2025, 10, 31)
INCOME_KEYS = (
    "wage_income",
    "business_income",
    "business_expense",
    "dividend_income",
    "other_property_income",
    "family_planning_income",
    "dibao_income",
    "tekun_income",
    "pension_income",
    "eco_compensation_income",
    "other_transfer_income",
)


def _values_of(cls) -> set[str]:
    return {str(v) for v in cls.values} | {str(lbl) for lbl in cls.labels}


def _code(cls, value: str) -> str:
    """Code of a value given as code or label ("" for an empty cell)."""
    if value == "":
        return ""
    for v, lbl in cls.choices:
        if value in (str(v), str(lbl)):
            return str(v)
    raise AssertionError(f"{value!r} is not in {cls.__name__}")


def _age(birth: date) -> int:
    return REF.year - birth.year - ((REF.month, REF.day) < (birth.month, birth.day))


@pytest.fixture(scope="module")
def villages():
    return gen.generate_villages(COUNTY, seed=SEED, households=HOUSEHOLDS)


@pytest.fixture(scope="module")
def rows(villages):
    return list(gen.generate_register(COUNTY, households=HOUSEHOLDS, seed=SEED, villages=villages))


@pytest.fixture(scope="module")
def households(rows):
    by: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by[row["household_number"]].append(row)
    return by


# -- reproducibility ---------------------------------------------------------------------------------


def test_same_seed_gives_identical_rows_and_files(tmp_path, rows):
    again = list(gen.generate_register(COUNTY, households=HOUSEHOLDS, seed=SEED))
    assert again == rows
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    gen.write_csv(rows, a)
    gen.write_csv(again, b)
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


def test_different_seed_gives_different_rows(rows):
    other = list(gen.generate_register(COUNTY, households=HOUSEHOLDS, seed=SEED + 1))
    assert other != rows
    assert {r["id_number"] for r in other} != {r["id_number"] for r in rows}


def test_villages_are_reproducible():
    a = gen.generate_villages(COUNTY, seed=3)
    assert a == gen.generate_villages(COUNTY, seed=3)
    assert a != gen.generate_villages(COUNTY, seed=4)


# -- shape ---------------------------------------------------------------------------------------------


def test_rows_have_every_input_and_info_column_in_order(rows):
    expected = [col.key for col in COLUMNS if not col.derived]
    assert list(gen.KEYS) == expected
    assert all(list(row) == expected for row in rows)
    assert all(isinstance(v, str) for row in rows for v in row.values())
    assert len(rows) > 2 * HOUSEHOLDS


def test_household_size_distribution(households):
    sizes = [len(v) for v in households.values()]
    assert len(households) == HOUSEHOLDS
    assert min(sizes) >= 1 and max(sizes) <= 8
    assert 2.9 <= sum(sizes) / len(sizes) <= 3.7


def test_exact_member_count():
    rows = list(gen.generate_register(COUNTY, households=0, members=1234, seed=5))
    assert len(rows) == 1234
    assert len({r["person_number"] for r in rows}) == 1234


def test_household_columns_repeat_on_every_member_row(households):
    member_keys = {col.key for col in COLUMNS if col.level == Level.MEMBER}
    for members in households.values():
        first = {k: v for k, v in members[0].items() if k not in member_keys}
        for row in members[1:]:
            assert {k: v for k, v in row.items() if k not in member_keys} == first


# -- identities -------------------------------------------------------------------------------------------


def test_every_id_parses_and_matches_sex_and_birth(rows):
    county = gen.county_info(COUNTY)
    allowed = {COUNTY, *county.id_codes}
    numbers = []
    foreign = 0
    for row in rows:
        parsed = idnumbers.parse(row["id_number"])
        assert parsed.sex == _code(ch.Sex, row["sex"])
        assert parsed.birth_date.isoformat() == row["birth_date"]
        assert parsed.address_code in allowed
        foreign += parsed.address_code != COUNTY
        numbers.append(parsed.number)
    assert len(set(numbers)) == len(numbers), "identity numbers must be unique"
    assert 0 < foreign < len(rows) * 0.15  # some people registered in a neighbouring county


def test_one_head_per_household_and_unique_numbers(rows, households):
    person_numbers = [r["person_number"] for r in rows]
    assert len(set(person_numbers)) == len(person_numbers)
    for number, members in households.items():
        assert len(number) in (18, 19, 20) and number.isdigit()
        assert number.startswith(members[0]["village"])
        heads = [m for m in members if _code(ch.Relation, m["relation"]) == ch.Relation.HEAD]
        assert len(heads) == 1
        assert heads[0]["name"] == members[0]["head_name"]
        for i, m in enumerate(members, start=1):
            assert m["person_number"] == f"{number}{i:02d}"
    # a household number belongs to one village only
    assert len({(r["household_number"], r["village"]) for r in rows}) == len(households)


def test_relation_consistent_with_sex_and_age(households):
    male_only = {"20", "42", "51", "61", "71"}
    female_only = {"30", "41", "52", "62", "72"}
    for members in households.values():
        head = members[0]
        head_age = _age(date.fromisoformat(head["birth_date"]))
        for m in members:
            rel = _code(ch.Relation, m["relation"])
            sex = _code(ch.Sex, m["sex"])
            age = _age(date.fromisoformat(m["birth_date"]))
            if rel in male_only:
                assert sex == "1", m
            if rel in female_only:
                assert sex == "2", m
            if rel == "10":
                assert sex != _code(ch.Sex, head["sex"])
                assert age >= 18
            if rel in ("20", "30"):
                assert age <= head_age - 15
            if rel in ("51", "52"):
                assert age <= head_age - 30
            if rel in ("61", "62"):
                assert age >= head_age + 15


def test_heads_mostly_male_but_not_all(households):
    sexes = Counter(_code(ch.Sex, v[0]["sex"]) for v in households.values())
    assert sexes["1"] > 0.7 * len(households)
    assert sexes["2"] > 0


def test_names_are_chinese_with_some_traditional_characters():
    rows = list(gen.generate_register(COUNTY, households=1500, seed=2))
    traditional = set(names.TRADITIONAL.values())
    lengths = Counter(len(r["name"]) for r in rows)
    assert lengths[2] + lengths[3] > 0.95 * len(rows)
    share = sum(any(ch in traditional for ch in r["name"]) for r in rows) / len(rows)
    assert 0.01 < share < 0.06


def test_ethnicity_fits_the_county():
    dongxiang = Counter(
        _code(ch.Ethnicity, r["ethnicity"]) for r in gen.generate_register("622926", households=200, seed=1)
    )
    assert dongxiang.most_common(1)[0][0] == gen.ETHNIC_CODE["东乡族"]
    qinzhou = Counter(
        _code(ch.Ethnicity, r["ethnicity"]) for r in gen.generate_register(COUNTY, households=300, seed=1)
    )
    assert qinzhou.most_common(1)[0][0] == gen.ETHNIC_CODE["汉族"]


# -- villages ----------------------------------------------------------------------------------------------


def test_villages_under_real_townships(villages, households):
    townships = {code for code, _ in gen.county_info(COUNTY).townships}
    codes = [v.prefix for v in villages]
    assert len(set(codes)) == len(codes)
    assert {c[:9] for c in codes} == townships  # every real township has villages
    people: Counter[str] = Counter()
    for members in households.values():
        people[members[0]["village"]] += len(members)
    for v in villages:
        assert len(v.prefix) == 12 and v.prefix.isdigit()
        assert v.prefix[:9] in townships
        assert 200 <= int(v.prefix[9:]) <= 399
        assert v.urban_rural_class == "220"
        assert v.name.endswith("村")
        assert v.natural_villages and all(x.strip() for x in v.natural_villages.split("\n"))
        assert v.rural_population and v.rural_population > people[v.prefix]
    assert set(people) <= set(codes)


def test_village_names_in_rows_match_villages(rows, villages):
    by_code = {v.prefix: v for v in villages}
    townships = dict(gen.county_info(COUNTY).townships)
    for row in rows[:500]:
        v = by_code[row["village"]]
        assert row["village_name"] == v.name
        assert row["township_name"] == townships[row["village"][:9]]
        assert row["county_name"] == "秦州区"
        assert row["natural_village"] == "" or row["natural_village"] in v.natural_villages.split("\n")


# -- values ---------------------------------------------------------------------------------------------------


def test_every_value_is_valid_for_its_column(rows):
    seen_codes = 0
    for col in COLUMNS:
        if col.derived:
            continue
        for row in rows:
            value = row[col.key]
            if col.required:
                assert value, (col.key, row)
            if not value:
                continue
            if col.kind == Kind.CODE:
                assert col.codes is not None
                assert value in _values_of(col.codes), (col.key, value)
                seen_codes += value in {str(v) for v in col.codes.values}
            elif col.kind == Kind.CODES:
                items = value.split("、")
                assert len(items) <= (col.max_items or 99)
                assert all(item in _values_of(col.codes) for item in items), (col.key, value)
                assert len(set(items)) == len(items)
            elif col.kind == Kind.BOOL:
                assert value in ("是", "否"), (col.key, value)
            elif col.kind == Kind.DATE:
                d = date.fromisoformat(value)
                assert date(1900, 1, 1) <= d <= REF, (col.key, value)
            elif col.kind == Kind.MONEY:
                amount = Decimal(value)
                assert amount >= 0 and amount == amount.quantize(Decimal("0.01")), (col.key, value)
            elif col.kind == Kind.AREA:
                assert Decimal(value) >= 0
            elif col.kind in (Kind.INT, Kind.YEAR):
                assert value.isdigit()
                if col.max_value is not None:
                    assert int(value) <= col.max_value
            elif col.kind == Kind.REGION:
                assert len(value) == 12 and value.isdigit()
            if col.max_length:
                assert len(value) <= col.max_length, (col.key, value)
    assert seen_codes > 0  # some values are typed as codes, not labels


def test_labels_dominate_codes(rows):
    values = [row["education"] for row in rows if row["education"]]
    labels = sum(v in set(ch.Education.labels) for v in values)
    assert labels > 0.8 * len(values)


def test_schooling_consistent_with_age(rows):
    # The national forms fill exactly one of 文化程度 (non-pupils) and 在校生状况 (pupils, by grade).
    dropouts = school_age = 0
    for row in rows:
        age = _age(date.fromisoformat(row["birth_date"]))
        school = _code(ch.Schooling, row["schooling"])
        edu = _code(ch.Education, row["education"])
        assert (school == "") != (edu == ""), row
        if 6 <= age <= 15:
            school_age += 1
            if row["dropout_reason"]:
                dropouts += 1
                assert school == ""
            else:
                assert school in ch.SCHOOL_COMPULSORY, row
        elif age < 6:
            assert (school, edu) in (("", "9"), ("02", "")), row
        elif age >= 25:
            assert school == ""
            assert edu != "9"
        if school or age < 16:
            assert _code(ch.LabourSkill, row["labour_skill"]) == "5"
            assert row["migrant_months"] == "0"
    assert school_age > 50
    assert dropouts <= 0.05 * school_age


def test_migrant_place_given_when_months_positive(rows):
    for row in rows:
        months = int(row["migrant_months"])
        assert 0 <= months <= 12
        assert bool(row["migrant_place"]) == (months > 0)
    assert any(int(r["migrant_months"]) > 0 for r in rows)


def test_health_increases_with_age(rows):
    def unhealthy_share(lo: int, hi: int) -> float:
        group = [r for r in rows if lo <= _age(date.fromisoformat(r["birth_date"])) <= hi]
        return sum(_code(ch.Health, r["health"].split("、")[0]) != "1" for r in group) / len(group)

    assert unhealthy_share(60, 120) > unhealthy_share(0, 39)


def test_status_mix_and_register_history(households):
    n = len(households)
    heads = [v[0] for v in households.values()]
    registered = [h for h in heads if h["poverty_status"]]
    assert 0.6 * n < len(registered) < 0.8 * n
    for h in heads:
        attribute = _code(ch.Attribute, h["attribute"])
        if h["poverty_status"]:
            assert _code(ch.PovertyStatus, h["poverty_status"]) in ("1", "4")
            assert attribute != "99"
            assert 2014 <= int(h["exit_year"]) <= 2020
            first = date.fromisoformat(h["first_identified_on"])
            assert 2014 <= first.year <= 2019 and first.year <= int(h["exit_year"])
            assert h["main_cause"]
        else:
            assert attribute == "99"
            assert not h["exit_year"] and not h["main_cause"] and not h["first_identified_on"]
        if h["monitoring_type"]:
            on = date.fromisoformat(h["monitoring_identified_on"])
            assert on.year >= 2021
            assert 1 <= len(h["risk_types"].split("、")) <= 3
            how = _code(ch.RiskElimination, h["risk_elimination"])
            if how in ("1", "2"):
                assert date.fromisoformat(h["risk_eliminated_on"]) > on
            else:
                assert not h["risk_eliminated_on"]
            if _code(ch.MonitoringType, h["monitoring_type"]) == "1":
                assert h["poverty_status"]
        else:
            assert not (h["risk_types"] or h["risk_elimination"] or h["monitoring_identified_on"])
    assert any(h["monitoring_type"] for h in heads)


def test_assistance_flags_match_attribute(households):
    for members in households.values():
        attribute = _code(ch.Attribute, members[0]["attribute"])
        dibao = [m["dibao"] == "是" for m in members]
        tekun = [m["tekun"] == "是" for m in members]
        if attribute in ("02", "04"):
            assert any(dibao) and not any(tekun)
            assert Decimal(members[0]["dibao_income"]) > 0
        elif attribute in ("03", "06"):
            assert any(tekun) and not any(dibao)
            assert Decimal(members[0]["tekun_income"]) > 0
        elif attribute in ("01", "05"):
            assert not any(dibao) and not any(tekun)
        if not any(dibao):
            assert Decimal(members[0]["dibao_income"]) == 0


def test_income_and_conditions_plausible(households):
    exited = []
    for members in households.values():
        h = members[0]
        income = Decimal(h["business_income"])
        if income > 0:
            assert Decimal(h["business_expense"]) < income
        per_capita = compute({k: h[k] for k in INCOME_KEYS}, len(members))["per_capita_net_income"]
        if h["poverty_status"] and not h["monitoring_type"]:
            exited.append(per_capita)
        assert 40 <= Decimal(h["housing_area"]) <= 200
        grade = _code(ch.HousingGrade, h["housing_grade"]) if h["housing_grade"] else ""
        assert (h["dangerous_house"] == "是") == (grade in ("C", "D"))
        assert Decimal(h["irrigated_land"]) <= Decimal(h["cultivated_land"])
    exited.sort()
    median = exited[len(exited) // 2]
    assert 6000 <= median <= 25000
    assert min(exited) > 4000


def test_dates_consistent_with_birth(rows):
    for row in rows:
        if row["joined_on"]:
            assert date.fromisoformat(row["joined_on"]) >= date.fromisoformat(row["birth_date"])


# -- errors ------------------------------------------------------------------------------------------------------


def test_unknown_county_and_bad_villages():
    with pytest.raises(gen.GenerateError, match="找不到区县代码 999999"):
        gen.generate_register("999999", households=10, seed=1)
    with pytest.raises(gen.GenerateError, match="找不到省份代码 99"):
        gen.province_counties("99")
    foreign = gen.generate_villages("620503", seed=1)
    with pytest.raises(gen.GenerateError, match="不是区县 620502"):
        list(gen.generate_register(COUNTY, households=10, seed=1, villages=foreign))
    tiny = gen.generate_villages(COUNTY, seed=1)[:1]
    with pytest.raises(gen.GenerateError, match="农村人口"):
        list(gen.generate_register(COUNTY, households=5000, seed=1, villages=tiny))


# -- writers ---------------------------------------------------------------------------------------------------------


def test_csv_round_trip(tmp_path, rows):
    path = tmp_path / "register.csv"
    assert gen.write_csv(rows, path) == len(rows)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        data = list(csv.reader(fh))
    assert data[0] == [col.header for col in COLUMNS if not col.derived]
    assert len(data) == len(rows) + 1
    assert data[1] == [rows[0][k] for k in gen.KEYS]


def test_xlsx_round_trip(tmp_path, rows):
    path = tmp_path / "register.xlsx"
    assert gen.write_xlsx(rows, path) == len(rows)
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("成员信息").to_python()
    assert [str(x) for x in sheet[0]] == list(gen.HEADERS)
    assert len(sheet) == len(rows) + 1
    id_col = gen.KEYS.index("id_number")
    assert all(
        isinstance(r[id_col], str) and r[id_col] == rows[i]["id_number"] for i, r in enumerate(sheet[1:])
    )
    number_col = gen.KEYS.index("household_number")
    assert sheet[1][number_col] == rows[0]["household_number"]
    again = tmp_path / "again.xlsx"
    gen.write_xlsx(rows, again)
    assert again.read_bytes() == path.read_bytes()  # no timestamps: same rows, same file


def test_parquet_round_trip(tmp_path, rows):
    path = tmp_path / "register.parquet"
    assert gen.write_parquet(rows, path, batch_size=400) == len(rows)
    table = pq.read_table(path)
    assert table.column_names == list(gen.KEYS)
    assert table.num_rows == len(rows)
    assert all(str(t) == "string" for t in table.schema.types)
    assert table.column("id_number").to_pylist() == [r["id_number"] for r in rows]


@pytest.mark.django_db
def test_villages_csv_loads_into_regions(tmp_path, villages):
    load_national(["62"])
    path = tmp_path / "villages.csv"
    assert gen.write_villages_csv(villages, path) == len(villages)
    assert load_csv(path) == len(villages)
    region = Region.objects.get(prefix=villages[0].prefix)
    assert region.name == villages[0].name
    assert region.rural_population == villages[0].rural_population
    assert region.natural_villages == villages[0].natural_villages
    assert region.parent is not None and region.parent.prefix == villages[0].prefix[:9]


# -- provinces and the command ------------------------------------------------------------------------------------


def test_province_spread_unique_and_independent_of_workers(tmp_path):
    one = gen.generate_province(
        "62", members=3000, seed=4, out_dir=tmp_path / "one", fmt="parquet", workers=1
    )
    two = gen.generate_province(
        "62", members=3000, seed=4, out_dir=tmp_path / "two", fmt="parquet", workers=2
    )
    assert sum(r.members for r in one) == 3000
    assert len(one) > 50  # spread over most of the province's real counties
    ids: list[str] = []
    for r in one:
        assert (tmp_path / "two" / r.path.name).read_bytes() == r.path.read_bytes()
        table = pq.read_table(r.path, columns=["id_number", "village"])
        assert table.num_rows == r.members
        assert all(v.startswith(r.county_code) for v in table.column("village").to_pylist())
        ids += [idnumbers.parse(x).number for x in table.column("id_number").to_pylist()]
    assert len(set(ids)) == len(ids) == 3000
    assert (tmp_path / "one" / "villages.csv").read_bytes() == (
        tmp_path / "two" / "villages.csv"
    ).read_bytes()
    assert [r.county_code for r in one] == [r.county_code for r in two]


def test_command_writes_county_files(tmp_path):
    out = StringIO()
    call_command("generate", "--households", "40", "--seed", "3", "--out", str(tmp_path), stdout=out)
    text = out.getvalue()
    assert "已生成 620502" in text and "用时" in text
    with (tmp_path / "register.csv").open(encoding="utf-8-sig") as fh:
        assert next(csv.reader(fh))[0] == "县（市、区）"
    assert (tmp_path / "villages.csv").exists()


def test_command_province_and_formats(tmp_path):
    out = StringIO()
    call_command(
        "generate",
        "--province",
        "62",
        "--members",
        "500",
        "--format",
        "csv",
        "--workers",
        "1",
        "--out",
        str(tmp_path),
        stdout=out,
    )
    text = out.getvalue()
    assert "完成" in text and "[  1/" in text
    assert any(Path(tmp_path).glob("register-62*.csv"))
    call_command(
        "generate", "--households", "10", "--format", "xlsx", "--out", str(tmp_path / "x"), stdout=out
    )
    assert (tmp_path / "x" / "register.xlsx").exists()


def test_command_errors_are_chinese(tmp_path):
    with pytest.raises(CommandError, match="找不到区县代码 999999"):
        call_command("generate", "--county", "999999", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="找不到省份代码 99"):
        call_command("generate", "--province", "99", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="parquet 或 csv"):
        call_command("generate", "--province", "62", "--format", "xlsx", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="户数必须大于 0"):
        call_command("generate", "--households", "0", "--out", str(tmp_path))
