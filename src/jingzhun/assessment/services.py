"""Writes of the assessment survey: draw, redraw, add a household by hand, record a visit, close.

Each runs in one transaction, validates first and records every row it writes in the audit log
(``core.audit``). The caller has decided that the user may write: the survey, village or household comes
from ``access.access_*(user, id, "change")``, the county from ``access.access_county``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from jingzhun.assessment import sampling, selectors
from jingzhun.assessment.choices import Group, Outcome, SurveyState
from jingzhun.assessment.models import Interview, SampledHousehold, SampledVillage, Survey
from jingzhun.core import audit
from jingzhun.core.errors import ValidationFailed
from jingzhun.core.locking import bump_version, check_version, lock_row
from jingzhun.core.models import ChangeAction
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region

FIRST_YEAR, LAST_YEAR = 2014, 2100
MAX_PEOPLE = 50
INTERVIEW_FIELDS = (
    "outcome",
    "visited_on",
    "interviewers",
    "approves",
    "wrongly_exited",
    "wrong_exit_reason",
    "missed",
    "missed_people",
    "notes",
)


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, {field: [message]})


def _record_created(actor: audit.Actor, objects: list[Any], root: Survey) -> None:
    audit.record_many(
        audit.build_change(actor, ChangeAction.CREATE, obj, before=None, after=audit.snapshot(obj), root=root)
        for obj in objects
    )


def _lock_survey(survey: Survey, expected_version: int | None = None) -> Survey:
    """The survey row, locked for this transaction (draws, visits and closing serialise on it)."""
    return lock_row(survey, expected_version, message="该评估调查已被他人修改，请刷新后重试")


# --------------------------------------------------------------------------------------------------
# Drawing


def _check_draw(county: Region, year: int, seed: int, design: sampling.Design) -> None:
    if county.level != Level.COUNTY:
        raise _fail("county", f"{county.name}不是县级区划：评估抽样以县为单位")
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise _fail("year", f"评估年度应在{FIRST_YEAR}到{LAST_YEAR}之间")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= sampling.MAX_SEED:
        raise _fail("seed", "随机种子应为0到2⁶³−1之间的整数")
    if design.poor_villages:
        outside = [c for c in design.poor_villages if not c.startswith(county.prefix)]
        known = set(
            Region.objects.filter(code__in=design.poor_villages, level=Level.VILLAGE).values_list(
                "code", flat=True
            )
        )
        unknown = [c for c in design.poor_villages if c not in known]
        if outside or unknown:
            raise _fail(
                "poor_villages",
                f"贫困村名单中有不属于{county.name}的村代码：{'、'.join((outside or unknown)[:5])}",
            )


@transaction.atomic
def draw_survey(
    *,
    actor: audit.Actor,
    county: Region,
    year: int,
    seed: int,
    design: sampling.Design | Mapping[str, Any] | None = None,
    name: str = "",
    redrawn_from: Survey | None = None,
) -> Survey:
    """Draw a sample of ``county`` from the register as it is now and store it as a new survey."""
    design = design if isinstance(design, sampling.Design) else sampling.Design.from_json(design or {})
    _check_draw(county, year, seed, design)
    name = (name or "").strip() or f"{county.name}{year}年退出评估抽样（种子{seed}）"
    if len(name) > 100:
        raise _fail("name", "调查名称不能超过100个字")
    frame = selectors.build_frame(county, design, year)
    sample = sampling.draw(frame.villages, frame.frame_households(), design, seed)
    if not sample.households:
        raise _fail("county", f"{county.name}的登记系统中没有可抽样的农户：请先导入农户信息")
    survey = Survey.objects.create(
        name=name,
        county=county,
        year=year,
        seed=seed,
        design=design.as_json(),
        frame=frame.summary,
        redrawn_from=redrawn_from,
        created_by=actor.user,
        created_by_name=actor.name,
    )
    audit.record(actor, ChangeAction.CREATE, survey)
    villages = SampledVillage.objects.bulk_create(
        SampledVillage(
            survey=survey,
            village_id=v.code,
            stratum=v.stratum,
            order=order,
            rural_population=frame.stats[v.code].rural_population,
            registered_people=frame.stats[v.code].registered_people,
            frame_counts=dict(v.available),
        )
        for order, v in enumerate(sample.villages, start=1)
    )
    households: list[SampledHousehold] = []
    for village, drawn in zip(villages, sample.villages, strict=True):
        for order, h in enumerate(drawn.households, start=1):
            row = frame.households[h.id]
            households.append(
                SampledHousehold(
                    survey=survey,
                    village=village,
                    household_id=h.id,
                    group=h.group,
                    order=order,
                    household_number=row.number,
                    head_name=row.head_name,
                    natural_village=row.natural_village,
                    people=row.people,
                    poverty_status=row.poverty_status,
                )
            )
    households = SampledHousehold.objects.bulk_create(households, batch_size=1000)
    _record_created(actor, [*villages, *households], survey)
    return survey


@transaction.atomic
def redraw_survey(*, actor: audit.Actor, survey: Survey, seed: int, expected_version: int) -> Survey:
    """Draw again with another seed, as a new survey with the same county, year and design. A survey that
    has results is left exactly as it is; one without any is marked 已重抽作废."""
    old = _lock_survey(survey, expected_version)
    if seed == old.seed:
        raise _fail("seed", "重新抽样请换一个随机种子（同一种子抽出的样本相同）")
    new = draw_survey(
        actor=actor, county=old.county, year=old.year, seed=seed, design=old.design, redrawn_from=old
    )
    if old.state in (SurveyState.DRAWN, SurveyState.FIELDWORK) and not selectors.has_results(old):
        before = audit.snapshot(old)
        old.state = SurveyState.SUPERSEDED
        old.save(update_fields=["state", "updated_at"])
        bump_version(old)
        audit.record(actor, ChangeAction.UPDATE, old, before=before)
    return new


@transaction.atomic
def close_survey(*, actor: audit.Actor, survey: Survey, expected_version: int) -> Survey:
    """End the fieldwork: no more results are entered; the estimates stay as they are."""
    locked = _lock_survey(survey, expected_version)
    if not locked.open_for_results:
        raise _fail("state", f"该调查{locked.get_state_display()}，不能结束")
    before = audit.snapshot(locked)
    locked.state = SurveyState.CLOSED
    locked.save(update_fields=["state", "updated_at"])
    bump_version(locked)
    audit.record(actor, ChangeAction.UPDATE, locked, before=before)
    return locked


# --------------------------------------------------------------------------------------------------
# Fieldwork


def _require_open(survey: Survey) -> None:
    if not survey.open_for_results:
        raise _fail("state", f"该调查{survey.get_state_display()}，不能再录入或补充")


def _start_fieldwork(actor: audit.Actor, survey: Survey) -> None:
    if survey.state == SurveyState.DRAWN:
        before = audit.snapshot(survey)
        survey.state = SurveyState.FIELDWORK
        survey.save(update_fields=["state", "updated_at"])
        bump_version(survey)
        audit.record(actor, ChangeAction.UPDATE, survey, before=before)


def _text(data: Mapping[str, Any], name: str, label: str, limit: int, required: bool = False) -> str:
    value = data.get(name)
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise _fail(name, f"请填写{label}")
    if len(text) > limit:
        raise _fail(name, f"{label}不能超过{limit}个字")
    return text


def _people(value: Any, name: str, label: str, high: int) -> int:
    if isinstance(value, bool) or value in (None, ""):
        raise _fail(name, f"请填写{label}")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise _fail(name, f"{label}应为整数") from None
    if not 1 <= number <= high:
        raise _fail(name, f"{label}应在1到{high}之间")
    return number


@transaction.atomic
def add_household(
    *,
    actor: audit.Actor,
    village: SampledVillage,
    head_name: str,
    address: str,
    people: int | str,
    natural_village: str = "",
) -> SampledHousehold:
    """Add a non-registered household the assessors visit though it is in no register (by name and address)."""
    survey = _lock_survey(village.survey)
    _require_open(survey)
    data = {"head_name": head_name, "address": address, "natural_village": natural_village}
    sampled = SampledHousehold(
        survey=survey,
        village=village,
        group=Group.NON_REGISTERED,
        by_hand=True,
        head_name=_text(data, "head_name", "户主姓名", 50, required=True),
        address=_text(data, "address", "住址", 200, required=True),
        natural_village=_text(data, "natural_village", "自然村/组", 60),
        people=_people(people, "people", "家庭人口", MAX_PEOPLE),
        order=(village.households.aggregate(n=Max("order"))["n"] or 0) + 1,
    )
    sampled.save()
    audit.record(actor, ChangeAction.CREATE, sampled, root=survey)
    _start_fieldwork(actor, survey)
    return sampled


def _visited_on(value: Any, survey: Survey) -> dt.date:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise _fail("visited_on", "访问日期格式应为 YYYY-MM-DD") from None
    if not isinstance(value, dt.date):
        raise _fail("visited_on", "请填写访问日期")
    if value > timezone.localdate():
        raise _fail("visited_on", "访问日期不能晚于今天")
    if value < timezone.localtime(survey.created_at).date():
        raise _fail("visited_on", "访问日期不能早于抽样日期")
    return value


def _yes_no(data: Mapping[str, Any], name: str, label: str) -> bool:
    value = data.get(name)
    if not isinstance(value, bool):
        raise _fail(name, f"请选择{label}（是或否）")
    return value


def _answers(sampled: SampledHousehold, data: Mapping[str, Any]) -> dict[str, Any]:
    """The interview's answers, checked against what this household is asked. A visit that did not take
    place (nobody at home, refused) keeps no answers."""
    survey = sampled.survey
    outcome = data.get("outcome") or Outcome.COMPLETED
    if outcome not in Outcome.values:
        raise _fail("outcome", f"访问结果应为 {'、'.join(Outcome.values)}")
    clean: dict[str, Any] = {
        "outcome": outcome,
        "visited_on": _visited_on(data.get("visited_on"), survey),
        "interviewers": _text(data, "interviewers", "调查员", 100, required=True),
        "notes": _text(data, "notes", "备注", 2000),
        "approves": None,
        "wrongly_exited": None,
        "wrong_exit_reason": "",
        "missed": None,
        "missed_people": None,
    }
    if outcome != Outcome.COMPLETED:
        return clean
    clean["approves"] = _yes_no(data, "approves", "是否认可")
    if sampled.exited:
        clean["wrongly_exited"] = _yes_no(data, "wrongly_exited", "是否错退")
        if clean["wrongly_exited"]:
            clean["wrong_exit_reason"] = _text(data, "wrong_exit_reason", "错退原因", 200, required=True)
    if sampled.non_registered:
        clean["missed"] = _yes_no(data, "missed", "是否漏评")
        if clean["missed"]:
            clean["missed_people"] = _people(
                data.get("missed_people"), "missed_people", "漏评人数", sampled.people
            )
    return clean


@transaction.atomic
def record_interview(
    *, actor: audit.Actor, sampled: SampledHousehold, data: Mapping[str, Any], expected_version: int = 0
) -> Interview:
    """Enter or correct the result of a visit. ``expected_version`` is the interview's version the form was
    opened on (0 for a household without a result yet): a result saved meanwhile by someone else is not
    overwritten (409)."""
    unknown = set(data) - set(INTERVIEW_FIELDS)
    if unknown:
        raise ValidationFailed(f"未知的字段：{'、'.join(sorted(unknown))}")
    survey = _lock_survey(sampled.survey)
    _require_open(survey)
    sampled.survey = survey
    clean = _answers(sampled, data)
    interview = Interview.objects.filter(sampled=sampled).first()
    current = interview.version if interview else 0
    check_version(current, expected_version, "该户的调查结果已被他人录入或修改，请刷新后在最新内容上修改")
    if interview is None:
        interview = Interview(sampled=sampled, entered_by=actor.user, entered_by_name=actor.name, **clean)
        interview.save()
        audit.record(actor, ChangeAction.CREATE, interview, root=survey)
    else:
        before = audit.snapshot(interview)
        for key, value in clean.items():
            setattr(interview, key, value)
        if audit.snapshot(interview) == before:
            return interview
        interview.version += 1
        interview.entered_by, interview.entered_by_name = actor.user, actor.name
        interview.save()
        audit.record(actor, ChangeAction.UPDATE, interview, before=before, root=survey)
    _start_fieldwork(actor, survey)
    return interview
