"""Code lists of the procedures (domain.md §2.1, §3.2, §4.6, §4.7): kinds, states, evidence and signers.

Values are stable codes stored in the database and in ``data/definitions.json``; labels are the Chinese
terms shown on screens and notices.
"""

from django.db import models


class ProcedureKind(models.TextChoices):
    IDENTIFICATION = "identification", "贫困户识别"
    EXIT = "exit", "贫困户退出"
    RETURN = "return", "返贫认定"
    NATURAL_CHANGE = "natural_change", "自然变更"
    MONITORING = "monitoring", "监测对象识别认定"
    ELIMINATION = "elimination", "风险消除"
    VILLAGE_EXIT = "village_exit", "贫困村退出"  # a village's case (Case.village), domain.md §3.3


class CaseState(models.TextChoices):
    OPEN = "open", "办理中"
    APPROVED = "approved", "已办结"
    REJECTED = "rejected", "未通过"
    WITHDRAWN = "withdrawn", "已撤回"


class EvidenceKind(models.TextChoices):
    """Documents a step may require (申请书、承诺授权书、入户核实表、评议记录、公示照片 …)."""

    APPLICATION_FORM = "application_form", "申请书"
    PLEDGE = "pledge", "承诺授权书"
    VISIT_RECORD = "visit_record", "入户核实记录"
    APPRAISAL_MINUTES = "appraisal_minutes", "民主评议记录"
    NOTICE_PHOTO = "notice_photo", "张贴公示（公告）照片"
    DATA_CHECK = "data_check", "部门信息比对结果"
    EXIT_TABLE = "exit_table", "脱贫户验收表"
    CHANGE_PROOF = "change_proof", "变更证明材料"
    APPROVAL_DOCUMENT = "approval_document", "审批文件"
    VILLAGE_ASSESSMENT = "village_assessment", "贫困村退出评估报告"


class Signer(models.TextChoices):
    """Who signs a step (分级签字确认: each signer is accountable, domain.md §2.2, §2.4)."""

    HOUSEHOLD = "household", "农户（户主）"
    OFFICER = "officer", "核查人员"
    VILLAGE_COMMITTEE = "village_committee", "村两委"
    WORK_TEAM = "work_team", "驻村工作队"
    TOWNSHIP = "township", "乡镇审核人"
    COUNTY = "county", "县级审批人"


class NoticeKind(models.TextChoices):
    FIRST = "first", "第一次公示"
    SECOND = "second", "第二次公示"
    VILLAGE = "village", "村内公示"
    MONITORING = "monitoring", "监测对象公示"
    ELIMINATION = "elimination", "风险消除公示"
    ANNOUNCEMENT = "announcement", "公告"
    VILLAGE_EXIT = "village_exit", "贫困村退出公示公告"


class NoticeState(models.TextChoices):
    POSTED = "posted", "公示中"
    WITHDRAWN = "withdrawn", "已撤下"


class ObjectionState(models.TextChoices):
    OPEN = "open", "待复核"
    DISMISSED = "dismissed", "经复核异议不成立"
    UPHELD = "upheld", "经复核异议成立"


class NaturalChange(models.TextChoices):
    """自然增减 and 自然销户 (domain.md §2.4): the reason of a natural-change case (``natural.py`` applies it).

    迁入/迁出 and 合户 are the national system's terms for a person moving in or out and for two households
    becoming one; §2.4's source names birth, death, marriage, split and 自然销户."""

    BIRTH = "birth", "出生"
    DEATH = "death", "死亡"
    MARRIAGE_IN = "marriage_in", "婚入"
    MARRIAGE_OUT = "marriage_out", "婚出"
    MOVE_IN = "move_in", "迁入"
    MOVE_OUT = "move_out", "迁出"
    SPLIT = "split", "分户"
    MERGE = "merge", "合户"
    HOUSEHOLD_GONE = "household_gone", "自然销户"


class Effect(models.TextChoices):
    """What the last step of a procedure does to the register (``effects.py``)."""

    IDENTIFY = "identify", "纳入贫困户"
    EXIT = "exit", "标注脱贫"
    RETURN = "return", "标注返贫"
    MONITOR = "monitor", "纳入监测对象"
    ELIMINATE = "eliminate", "标注风险消除"
    VILLAGE_EXIT = "village_exit", "贫困村出列（备案销号）"
    NONE = "none", "不改变户状态"
