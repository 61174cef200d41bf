"""Code lists of the national system (domain.md §1.2, §1.3, §4.1, §4.4), as Django choices.

The lists themselves are data: ``data/codelists.toml`` read by ``codelists`` (codes, labels, retired values of
older forms, aliases with their sources). This module turns each into a ``TextChoices`` whose value is the
stored code and whose label the Chinese term shown on forms and templates, so models, forms and code can name
a value (``Relation.HEAD``). Lists that are Jingzhun's own (证件类型, 减少原因) are written here.
"""

from typing import Any

from django.db import models

from jingzhun.registry import codelists


def _choices(name: str, key: str, doc: str) -> Any:
    """A ``TextChoices`` of the list ``key`` (typed Any: its members come from the data file)."""
    # The stubs know the functional API only with a literal list of names.
    cls = models.TextChoices(name, codelists.members(key))  # type: ignore[call-overload]
    cls.__doc__ = doc
    cls.codelist = key
    return cls


Attribute = _choices("Attribute", "attribute", "贫困户属性 (aac006).")
PovertyStatus = _choices(
    "PovertyStatus", "poverty_status", "脱贫状态 / 脱贫标志 (aar010); blank if never poor."
)
MonitoringType = _choices("MonitoringType", "monitoring_type", "易返贫致贫户(监测对象)类型 (domain.md §4.1).")
RiskElimination = _choices("RiskElimination", "risk_elimination", "风险是否消除 and how (domain.md §4.7).")
IdentificationStandard = _choices(
    "IdentificationStandard", "identification_standard", "识别标准 (domain.md §1.1)."
)
Cause = _choices("Cause", "cause", "主要/其他致贫原因 (aac007, aac008).")
RiskType = _choices("RiskType", "risk_type", "致贫/返贫风险 (domain.md §4.4, code table 100A27).")
HousingGrade = _choices(
    "HousingGrade", "housing_grade", "农村危房鉴定等级 (domain.md §1.5): C and D are unsafe."
)
RoadType = _choices("RoadType", "road_type", "入户路类型 (aac316).")
FuelType = _choices("FuelType", "fuel_type", "主要燃料类型 (aac320).")
Sex = _choices("Sex", "sex", "GB/T 2261.1.")
Relation = _choices("Relation", "relation", "与户主关系 (aab006, national table AB01_AAB006).")
Ethnicity = _choices("Ethnicity", "ethnicity", "民族 (aab007, GB 3304).")
PoliticalStatus = _choices("PoliticalStatus", "political_status", "政治面貌 (aak033, GB/T 4762).")
Education = _choices("Education", "education", "文化程度 (aab008, table 100A11).")
Schooling = _choices(
    "Schooling", "schooling", "在校生状况 (aab009, table 100A12), by grade; empty for non-pupils."
)
Health = _choices("Health", "health", "健康状况 (aab017, multi-select, table 100A13).")
LabourSkill = _choices("LabourSkill", "labour_skill", "劳动技能 (aab010, table 100A14).")
DisabilityCategory = _choices("DisabilityCategory", "disability_category", "残疾类别 (certificate digit 19).")
DisabilityGrade = _choices("DisabilityGrade", "disability_grade", "残疾等级 (certificate digit 20).")

# Values of 在校生状况 in compulsory education (the codes are in data/codelists.toml).
SCHOOL_COMPULSORY = frozenset({"03", "07", "08", "09", "93"})


class IdKind(models.TextChoices):
    RESIDENT_ID = "resident_id", "居民身份证"
    DISABILITY_CERT = "disability_cert", "残疾人证"


class LeaveReason(models.TextChoices):
    """Why a member left the household (自然变更, domain.md §2.5)."""

    DEATH = "death", "死亡"
    MARRIAGE_OUT = "marriage", "婚出"
    SPLIT = "split", "分户"
    MOVED = "moved", "迁出"
    MERGED = "merged", "合户"
    PUBLIC_JOB = "public_job", "考入公职/参军"
    REMOVED = "removed", "核减（错误纳入）"
    OTHER = "other", "其他"


class ExpenseKind(models.TextChoices):
    """Kinds of a household's rigid expenses and losses judged at monitoring identification (domain.md §4.2)."""

    MEDICAL = "medical", "医疗自付（报销后）"
    EDUCATION = "education", "教育支出"
    DISASTER = "disaster", "灾害损失"
    ACCIDENT = "accident", "意外事故损失"
    OTHER = "other", "其他刚性支出"


class RecordSource(models.TextChoices):
    """Where an expense or an income figure comes from (domain.md §4.5, §5.1)."""

    DECLARED = "declared", "农户申报"
    MEDICAL_INSURANCE = "medical_insurance", "医保部门推送"
    VERIFIED = "verified", "入户核实"
    OTHER = "other", "其他"
