"""The national logic checks (逻辑校验) in a comparison run: the generated county is mostly clean; with problems
planted in it, the run's counts per village and check equal a count made here in Python from the register,
the page shows them, and the workbook has the summary, the villages and one sheet per failed check."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable
from typing import Any

import openpyxl
import pytest
from django.urls import reverse

from jingzhun.accounts.choices import Role
from jingzhun.comparison import checks, engine, services
from jingzhun.comparison.models import RunState
from jingzhun.core.audit import Actor
from jingzhun.regions.models import Region
from jingzhun.registry.idnumbers import make_id
from jingzhun.registry.models import Household, Member
from jingzhun.testing.county import COUNTY, import_generated_county
from jingzhun.testing.factories import UserFactory

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 11, 30)
RETIRED_SCHOOLING = {"93", "94", "95", "96", "97"}
MALE_DIGITS = set("13579")


@pytest.fixture
def county(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    import_generated_county(tmp_path / "gen", households=300)
    region = Region.objects.get(prefix=COUNTY)
    admin = UserFactory(username="county-admin", role=Role.COUNTY_ADMIN, region=region)
    return region, admin


def independent_counts() -> dict[str, Counter[str]]:
    """Each logic check counted here, member by member, from the register (rule code → village → rows)."""
    counts: dict[str, Counter[str]] = {}

    def hit(rule: str, village: str) -> None:
        counts.setdefault(rule, Counter())[village] += 1

    households = {h.pk: h for h in Household.objects.all()}
    active: dict[int, list[Member]] = {}
    for m in Member.objects.filter(left_on__isnull=True).order_by("pk"):
        active.setdefault(m.household_id, []).append(m)
    for pk, people in active.items():
        h = households[pk]
        village = h.village_id
        registered = bool(h.poverty_status or h.monitoring_type)
        heads = [m for m in people if m.relation == "01"]
        spouses = [m for m in people if m.relation == "02"]
        if len(heads) != 1:
            hit("SJ05", village)
        if "".join("9" if ch.isdigit() else ch for ch in h.phone.strip()) != "9" * 11:
            hit("SJ16", village)
        for m in people:
            flags = {
                "SJ07": (m.migrant_months > 0 and not m.migrant_place)
                or (m.migrant_months == 0 and bool(m.migrant_place)),
                "SJ11": (m.education == "") == (m.schooling == ""),
                "SJ12": m.relation == "02" and len(spouses) > 1,
                "SJ13": m.schooling in RETIRED_SCHOOLING,
                "SJ14": not m.health,
                "SJ15": registered and m.serious_illness_insurance is not True,
                "SJ17": m.basic_pension_insurance is None,
                "SJ18": m.basic_medical_insurance is not None
                and m.basic_medical_insurance == m.employee_medical_insurance,
                "SJ19": m.basic_medical_insurance is None,
                "SJ20": m.employee_medical_insurance is None,
                "SJ21": m.speaks_mandarin is None,
                "SJ23": m.serious_illness_insurance is None,
                "SJ24": m.commercial_medical_insurance is None,
                "SJ04": m.relation == "02"
                and any(
                    (h2.id_number[16] in MALE_DIGITS) == (m.id_number[16] in MALE_DIGITS) for h2 in heads
                ),
            }
            for rule, flagged in flags.items():
                if flagged:
                    hit(rule, village)
    return counts


def by_rule(villages: dict[str, dict[str, int]]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for village, counts in villages.items():
        for rule, n in counts.items():
            out.setdefault(rule, Counter())[village] = n
    return out


def spread(members: Iterable[Member], n: int) -> list[Member]:
    """``n`` members from different villages, as far as there are villages."""
    chosen: list[Member] = []
    seen: set[str] = set()
    rest: list[Member] = []
    for m in members:
        (rest if m.household.village_id in seen else chosen).append(m)
        seen.add(m.household.village_id)
    return (chosen + rest)[:n]


def plant() -> None:
    """Problems of every kind the register can hold, in several villages."""
    people = list(Member.objects.filter(left_on__isnull=True).select_related("household").order_by("pk"))
    pool = iter(spread(people, len(people)))

    def take(k: int) -> list[int]:
        return [next(pool).pk for _ in range(k)]

    Member.objects.filter(pk__in=take(3)).update(health=[])
    Member.objects.filter(pk__in=take(2)).update(education="3", schooling="07")
    Member.objects.filter(pk__in=take(2)).update(education="", schooling="94")
    Member.objects.filter(pk__in=take(3)).update(speaks_mandarin=None)
    Member.objects.filter(pk__in=take(2)).update(
        basic_medical_insurance=True, employee_medical_insurance=True
    )
    Member.objects.filter(pk__in=take(2)).update(employee_medical_insurance=None)
    Member.objects.filter(pk__in=take(2)).update(basic_medical_insurance=None)
    Member.objects.filter(pk__in=take(2)).update(basic_pension_insurance=None)
    Member.objects.filter(pk__in=take(2)).update(commercial_medical_insurance=None)
    Member.objects.filter(pk__in=take(2)).update(serious_illness_insurance=None)
    Member.objects.filter(pk__in=take(2)).update(migrant_months=5, migrant_place="")
    registered = [m.pk for m in people if m.household.poverty_status][-3:]
    Member.objects.filter(pk__in=registered).update(serious_illness_insurance=False)
    households = list(Household.objects.order_by("pk"))
    Household.objects.filter(pk__in=[households[1].pk, households[40].pk]).update(phone="")
    Household.objects.filter(pk=households[80].pk).update(phone="0938-8212345")
    # A household with two spouses, another whose head left without a successor.
    sizes = Counter(m.household_id for m in people)
    big = [
        h
        for h in households[100:]
        if sizes[h.pk] >= 3 and any(m.household_id == h.pk and m.relation == "02" for m in people)
    ]
    child = (
        Member.objects.filter(household=big[0], left_on__isnull=True)
        .exclude(relation__in=["01", "02"])
        .first()
    )
    assert child is not None
    Member.objects.filter(pk=child.pk).update(relation="02")
    Member.objects.filter(household=big[1], relation="01").update(
        left_on=dt.date(2026, 6, 1), leave_reason="death"
    )
    # A spouse whose ID says the same sex as the head's (the sex column follows the ID in the register).
    spouse = Member.objects.filter(relation="02", household__in=households[150:]).first()
    head = Member.objects.get(household=spouse.household, relation="01", left_on__isnull=True)
    same = 901 if head.id_number[16] in MALE_DIGITS else 900
    Member.objects.filter(pk=spouse.pk).update(
        id_number=make_id(COUNTY, spouse.birth_date, same), sex=head.sex
    )


def test_the_generated_county_is_mostly_clean(county):
    members = Member.objects.filter(left_on__isnull=True).count()
    counts = independent_counts()
    print({rule: sum(c.values()) for rule, c in sorted(counts.items())})
    for rule, per_village in counts.items():
        assert sum(per_village.values()) <= 0.015 * members, rule
    assert sum(sum(c.values()) for c in counts.values()) <= 0.03 * members


def test_a_run_counts_each_check_per_village_like_the_county_tools(county, client):
    region, admin = county
    plant()
    expected = independent_counts()
    run = services.run_comparison(actor=Actor.of(admin), region=region, as_of=AS_OF)
    assert run.state == RunState.DONE

    found = checks.for_run(run.findings_path, region.prefix, None)
    assert by_rule(checks.by_village(found.findings)) == expected
    planted = {
        "SJ04",
        "SJ05",
        "SJ07",
        "SJ11",
        "SJ12",
        "SJ13",
        "SJ14",
        "SJ15",
        "SJ16",
        "SJ17",
        "SJ18",
        "SJ19",
        "SJ20",
        "SJ21",
        "SJ23",
        "SJ24",
    }
    assert planted <= set(expected)
    assert sum(len(villages) > 1 for rule, villages in expected.items()) >= 5, "spread over villages"
    summary = {row.rule: row.rows for row in found.rows if row.rule}
    assert {rule: n for rule, n in summary.items() if n} == {
        rule: sum(c.values()) for rule, c in expected.items()
    }
    assert summary["SJ22"] == summary["SJ25"] == 0  # the register stores 否 for an empty 低保/特困
    not_counted = {row.numbers for row in found.rows if row.rows is None}
    assert {"01", "03", "08", "09", "12", "24", "25", "26"} == not_counted

    # The page: the summary and the counts per village, for the county admin.
    client.force_login(admin)
    page = client.get(reverse("comparison:run_checks", args=[run.pk])).content.decode()
    assert "疑点数据统计表" in page and reverse("comparison:run_checks_xlsx", args=[run.pk]) in page
    for rule, villages in expected.items():
        assert f'data-rule="{rule}"' in page
        total = sum(villages.values())
        assert f'data-rows="{total}"' in page
    for code, _name, _counts, total in found.villages:
        assert f'data-village="{code}"' in page
        assert total == sum(expected[rule][code] for rule in expected)
    assert 'id="run-checks"' in client.get(reverse("comparison:run_detail", args=[run.pk])).content.decode()

    # The workbook: the summary, the villages and one sheet per failed check with its rows.
    response = client.get(reverse("comparison:run_checks_xlsx", args=[run.pk]))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    catalogue = engine.load_catalogue()
    labels = {checks.label(r)[:31]: r.code for r in catalogue.rules if r.county_checks}
    assert book.sheetnames[:2] == [checks.SUMMARY_SHEET, checks.VILLAGE_SHEET]
    assert {labels[name] for name in book.sheetnames[2:]} == set(expected)
    for name in book.sheetnames[2:]:
        listed = list(book[name].iter_rows(min_row=2, values_only=True))
        assert Counter(row[1] for row in listed) == expected[labels[name]]
    table = {row[3]: row[2] for row in book[checks.SUMMARY_SHEET].iter_rows(min_row=2, values_only=True)}
    assert all(table[rule] == sum(expected[rule].values()) for rule in expected)
    assert (
        len(list(book[checks.SUMMARY_SHEET].iter_rows(min_row=2))) == 27
    )  # 28 checks, 05 and 07 on one line


def test_a_township_officer_sees_only_its_villages(county, client, world_like_township):
    region, admin = county
    plant()
    run = services.run_comparison(actor=Actor.of(admin), region=region, as_of=AS_OF)
    township, officer = world_like_township
    client.force_login(officer)
    page = client.get(reverse("comparison:run_checks", args=[run.pk])).content.decode()
    whole = checks.for_run(run.findings_path, region.prefix, None)
    inside = [code for code, *_ in whole.villages if code.startswith(township.prefix)]
    outside = [code for code, *_ in whole.villages if not code.startswith(township.prefix)]
    assert inside and outside
    assert all(f'data-village="{code}"' in page for code in inside)
    assert not any(f'data-village="{code}"' in page for code in outside)


@pytest.fixture
def world_like_township(county: Any) -> tuple[Region, Any]:
    """A township officer of one township of the generated county."""
    villages = Household.objects.values_list("village_id", flat=True).distinct()
    township = Region.objects.get(code=sorted(villages)[0][:9] + "000")
    return township, UserFactory(username="township", role=Role.TOWNSHIP_OFFICER, region=township)
