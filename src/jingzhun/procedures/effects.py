"""What each procedure kind needs of a household, and what its last step does to the register.

The definitions name an ``Effect`` code; this module is the one place that turns it into a registry
status change (domain.md §2.4 movements, §3.2 exit, §4.6 inclusion, §4.7 elimination).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jingzhun.core.errors import ValidationFailed
from jingzhun.procedures import natural
from jingzhun.procedures.choices import Effect, NaturalChange, ProcedureKind
from jingzhun.registry.choices import Attribute, MonitoringType, PovertyStatus, RiskElimination
from jingzhun.registry.models import Household
from jingzhun.registry.services import EXITED, StatusChange

POOR_ATTRIBUTES: set[str] = {
    Attribute.GENERAL_POOR,
    Attribute.DIBAO_POOR,
    Attribute.TEKUN_POOR,
    Attribute.DIBAO_TEKUN_POOR,
}
# 贫困户属性 on exit, and back on return (aac006 pairs).
EXIT_ATTRIBUTE: dict[str, str] = {
    Attribute.GENERAL_POOR: Attribute.GENERAL_EXITED,
    Attribute.DIBAO_POOR: Attribute.DIBAO_EXITED,
    Attribute.TEKUN_POOR: Attribute.TEKUN_EXITED,
    Attribute.DIBAO_TEKUN_POOR: Attribute.DIBAO_TEKUN,
}
RETURN_ATTRIBUTE = {v: k for k, v in EXIT_ATTRIBUTE.items()}
# What evaluate_household is asked for at the verification and approval steps of each kind.
PURPOSE: dict[str, str] = {
    ProcedureKind.IDENTIFICATION: "identification",
    ProcedureKind.EXIT: "exit",
    ProcedureKind.RETURN: "return",
    ProcedureKind.MONITORING: "monitoring",
    ProcedureKind.ELIMINATION: "elimination",
}
NOTE: dict[str, str] = {
    ProcedureKind.IDENTIFICATION: "拟识别为贫困户",
    ProcedureKind.EXIT: "拟退出",
    ProcedureKind.RETURN: "拟认定为返贫户",
    ProcedureKind.NATURAL_CHANGE: "自然变更",
    ProcedureKind.ELIMINATION: "拟标注风险消除",
}


def clean_params(kind: str, params: dict[str, Any], household: Household | None = None) -> dict[str, Any]:
    """Check the kind's own choices; unknown keys are refused so a typo is not silently stored. A natural
    change's details are checked against the household's members (``natural.clean``)."""
    if kind == ProcedureKind.NATURAL_CHANGE and household is not None:
        return natural.clean(household, params)
    allowed = {
        ProcedureKind.IDENTIFICATION: {"attribute"},
        ProcedureKind.MONITORING: {"monitoring_type"},
        ProcedureKind.ELIMINATION: {"mode"},
        ProcedureKind.NATURAL_CHANGE: {"change"},
    }.get(ProcedureKind(kind), set())
    unknown = set(params) - allowed
    if unknown:
        raise ValidationFailed(f"不能填写的办理参数：{'、'.join(sorted(unknown))}")
    result = dict(params)
    if kind == ProcedureKind.IDENTIFICATION:
        result["attribute"] = _pick(
            params.get("attribute") or Attribute.GENERAL_POOR, POOR_ATTRIBUTES, "attribute", "贫困户属性"
        )
    elif kind == ProcedureKind.MONITORING:
        result["monitoring_type"] = _pick(
            params.get("monitoring_type"), set(MonitoringType.values), "monitoring_type", "监测对象类型"
        )
    elif kind == ProcedureKind.ELIMINATION:
        modes = {RiskElimination.BY_ASSISTANCE.value, RiskElimination.NATURAL.value}
        result["mode"] = _pick(params.get("mode"), modes, "mode", "风险消除方式（帮扶消除/自然消除）")
    elif kind == ProcedureKind.NATURAL_CHANGE:
        result["change"] = _pick(params.get("change"), set(NaturalChange.values), "change", "变更原因")
    return result


def _pick(value: Any, allowed: set[str], field: str, label: str) -> str:
    code = str(value or "")
    if code not in {str(a) for a in allowed}:
        msg = f"请选择{label}" if not code else f"{label}无效：{code}"
        raise ValidationFailed(msg, {field: [msg]})
    return code


def refusal(kind: str, household: Household) -> str | None:
    """Why this household cannot go through this kind of procedure now (None if it can)."""
    if household.closed_on is not None:
        return f"该户已于 {household.closed_on:%Y-%m-%d} 销户"
    status = household.poverty_status
    monitored = bool(household.monitoring_type) and household.risk_elimination in (
        "",
        RiskElimination.NOT_ELIMINATED,
    )
    if kind == ProcedureKind.IDENTIFICATION and status:
        return f"该户已建档（{household.get_poverty_status_display()}），不能再识别为贫困户"
    if kind == ProcedureKind.EXIT and status not in (PovertyStatus.NOT_EXITED, PovertyStatus.RETURNED):
        return "只有未脱贫户或返贫户才能办理退出"
    if kind == ProcedureKind.RETURN and status not in EXITED:
        return "只有脱贫户才能认定返贫"
    if kind == ProcedureKind.MONITORING and monitored:
        return "该户已是风险未消除的监测对象"
    if kind == ProcedureKind.ELIMINATION and not monitored:
        return "只有风险未消除的监测对象才能办理风险消除"
    return None


def status_change(
    effect: str, household: Household, params: dict[str, Any], on: dt.date, reason: str
) -> StatusChange | None:
    """The register change of a completed procedure (None for procedures that change no status)."""
    attr = household.attribute
    if effect == Effect.IDENTIFY:
        return StatusChange(
            household=household,
            effective_on=on,
            reason=reason,
            attribute=params["attribute"],
            poverty_status=PovertyStatus.NOT_EXITED,
        )
    if effect == Effect.EXIT:
        return StatusChange(
            household=household,
            effective_on=on,
            reason=reason,
            attribute=EXIT_ATTRIBUTE.get(attr, attr),
            poverty_status=PovertyStatus.EXITED_ENJOYING,
        )
    if effect == Effect.RETURN:
        return StatusChange(
            household=household,
            effective_on=on,
            reason=reason,
            attribute=RETURN_ATTRIBUTE.get(attr, attr),
            poverty_status=PovertyStatus.RETURNED,
        )
    if effect == Effect.MONITOR:
        return StatusChange(
            household=household,
            effective_on=on,
            reason=reason,
            monitoring_type=params["monitoring_type"],
            risk_elimination=RiskElimination.NOT_ELIMINATED,
        )
    if effect == Effect.ELIMINATE:
        return StatusChange(
            household=household, effective_on=on, reason=reason, risk_elimination=params["mode"]
        )
    return None
