"""Code lists of the assessment survey (第三方评估, domain.md §3.4, §6)."""

from django.db import models


class SurveyState(models.TextChoices):
    DRAWN = "drawn", "已抽样"
    FIELDWORK = "fieldwork", "调查中"
    CLOSED = "closed", "已结束"
    SUPERSEDED = "superseded", "已重抽作废"


class Stratum(models.TextChoices):
    """Village strata: the 2017 county-exit assessments sampled poor and non-poor villages (§6)."""

    POOR = "poor", "贫困村"
    NON_POOR = "non_poor", "非贫困村"


class Group(models.TextChoices):
    """Household groups of the 广东 2018 design, in the order of its 5:3:2 ratio (§6)."""

    REGISTERED_WITH_LABOUR = "registered_with_labour", "有劳动力建档立卡户"
    NON_REGISTERED = "non_registered", "非建档立卡户"
    REGISTERED_WITHOUT_LABOUR = "registered_without_labour", "无劳动力建档立卡户"


class StratumRule(models.TextChoices):
    INCIDENCE = "incidence", "按贫困村登记名单；没有名单时按建档立卡人口比例与全省贫困发生率比较"
    LIST = "list", "按贫困村名单划分"


class Outcome(models.TextChoices):
    """How a visit ended; only completed interviews count in the estimates."""

    COMPLETED = "completed", "完成访问"
    NOT_AT_HOME = "not_at_home", "家中无人"
    REFUSED = "refused", "拒绝访问"


GROUP_ORDER: tuple[str, ...] = tuple(Group.values)
STRATUM_ORDER: tuple[str, ...] = tuple(Stratum.values)
