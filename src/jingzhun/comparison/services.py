"""The comparison's writers: the rule catalogue, runs, doubts and their verification (all audited).

A run (``run_comparison``) writes a fresh snapshot of the region, picks the current load of every
department dataset, runs the enabled rules on the chosen engine, keeps the findings as a Parquet file, and
raises a doubt for each finding whose key (rule + person or household) has no doubt yet that is open,
confirmed or verified false. A doubt is verified by the village (``verify``): 属实 starts the rule's
procedure (``Rule.on_true``) where the register allows, 不属实 needs a reason; ``resolve`` closes a
confirmed doubt once corrected, after which the same problem may be raised again.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from jingzhun.comparison import doubt_access, engine, rulebook
from jingzhun.comparison.models import ComparisonRun, Doubt, DoubtState, Rule, RunState
from jingzhun.comparison.snapshot import write_snapshot
from jingzhun.core import audit, signals
from jingzhun.core.errors import (
    ConcurrentEditError,
    NotFoundOrForbidden,
    PermissionDeniedError,
    ValidationFailed,
)
from jingzhun.core.models import ChangeAction
from jingzhun.regions.models import Region
from jingzhun.registry.models import Household

log = logging.getLogger(__name__)
Progress = Callable[[int, str], None]
CHUNK = 5000


def _wrap(items: Iterable[str]) -> str:
    items = [i for i in items if i]
    return f",{','.join(items)}," if items else ""


def sync_catalogue(catalogue: engine.Catalogue | None = None) -> int:
    """Create or update the ``Rule`` rows from the shipped catalogue, keeping what administrators set
    (``enabled`` and parameter values that are still parameters of the rule). Returns rules written."""
    catalogue = catalogue or engine.load_catalogue()
    existing = {r.code: r for r in Rule.objects.filter(region_prefix="")}
    written = 0
    for spec in catalogue.rules:
        rule = existing.get(spec.code) or Rule(code=spec.code, region_prefix="")
        params = (
            {k: rule.parameters.get(k, v) for k, v in spec.parameters.items()}
            if rule.pk
            else dict(spec.parameters)
        )
        values = {
            "category": spec.category,
            "severity": spec.severity,
            "name": spec.name,
            "message": spec.message,
            "explanation": spec.explanation,
            "datasets": ",".join(spec.datasets),
            "audience": _wrap(spec.audience),
            "on_true": spec.on_true,
            "exact": spec.exact,
            "parameters": params,
            "sql": spec.sql,
            "shipped": True,
        }
        if rule.pk and all(getattr(rule, k) == v for k, v in values.items()):
            continue
        for key, value in values.items():
            setattr(rule, key, value)
        rule.save()
        written += 1
    return written


def set_rule(
    *, actor: audit.Actor, code: str, enabled: bool, parameters: dict[str, Any], version: int
) -> Rule:
    """Switch a rule on or off and set its thresholds (numbers only, for the parameters the rule has)."""
    if not doubt_access.can_edit_rules(actor.user):
        raise PermissionDeniedError("只有系统管理员可以修改比对规则")
    with transaction.atomic():
        rule = Rule.objects.select_for_update().filter(code=code, region_prefix="").first()
        if rule is None:
            raise NotFoundOrForbidden("规则不存在")
        if rule.version != version:
            raise ConcurrentEditError()
        before = audit.snapshot(rule)
        clean = threshold_values(code, rule.parameters, parameters)
        rule.enabled = bool(enabled)
        rule.parameters = clean
        rule.version += 1
        rule.save()
        audit.record(actor, ChangeAction.UPDATE, rule, before=before)
    return rule


def _number(key: str, raw: Any, errors: dict[str, list[str]]) -> int | float | None:
    from decimal import Decimal, InvalidOperation

    try:
        number = Decimal(str(raw).replace(",", "").strip())
    except InvalidOperation:
        errors.setdefault(key, []).append(f"阈值「{key}」应为数字，收到「{raw}」")
        return None
    if not number.is_finite() or number < 0:
        errors.setdefault(key, []).append(
            f"阈值「{key}」不能为负数" if number < 0 else f"阈值「{key}」应为数字"
        )
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def threshold_values(
    code: str, known: dict[str, Any], given: dict[str, Any], *, blank_keeps: bool = False
) -> dict[str, Any]:
    """The threshold values ``given`` as numbers, for the parameters ``known`` of rule ``code`` (a key not
    given keeps its known value; with ``blank_keeps`` a blank value is left out), or ``ValidationFailed``
    naming each bad one."""
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, default in known.items():
        raw = given.get(key, default)
        if blank_keeps and str(raw if raw is not None else "").strip() == "":
            continue
        value = _number(key, raw, errors)
        if value is not None:
            clean[key] = value
    for key in sorted(set(given) - set(known)):
        errors.setdefault(key, []).append(f"规则 {code} 没有阈值「{key}」")
    if errors:
        raise ValidationFailed("阈值有误：" + "；".join(m for ms in errors.values() for m in ms), errors)
    return clean


# --------------------------------------------------------------------------------------------------
# A region's own rules and thresholds (a county administrator's, ``rulebook.py``, ``rulecheck.py``)

RULE_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,19}$")
ON_TRUE = {"correct": "更正登记信息", "monitoring": "启动监测帮扶程序"}
RULE_FIELDS = ("name", "category", "severity", "message", "explanation", "sql", "on_true")


def _region_rule_values(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    from jingzhun.comparison import datasets as ds
    from jingzhun.comparison.models import Category, Severity

    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {k: str(values.get(k) or "").strip() for k in RULE_FIELDS}
    limits = {"name": 100, "message": 300}
    for key, label in (("name", "规则名称"), ("message", "疑点说明"), ("sql", "查询语句")):
        if not clean[key]:
            errors.setdefault(key, []).append(f"请填写{label}")
        elif key in limits and len(clean[key]) > limits[key]:
            errors.setdefault(key, []).append(f"{label}最多 {limits[key]} 个字")
    if clean["category"] not in Category.values:
        errors.setdefault("category", []).append("请选择规则类别")
    if clean["severity"] not in Severity.values:
        errors.setdefault("severity", []).append("请选择严重程度")
    clean["on_true"] = clean["on_true"] or "correct"
    if clean["on_true"] not in ON_TRUE:
        errors.setdefault("on_true", []).append("属实后处理应为：" + "、".join(ON_TRUE.values()))
    chosen = [d for d in values.get("datasets") or [] if d]
    unknown = [d for d in chosen if d not in ds.BY_CODE]
    if unknown:
        errors.setdefault("datasets", []).append(f"未知的部门数据集：{'、'.join(unknown)}")
    clean["datasets"] = ",".join(chosen)
    params: dict[str, Any] = {}
    for key, raw in (values.get("parameters") or {}).items():
        key = str(key).strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", key) or key in engine.base_parameters(dt.date.today()):
            errors.setdefault("parameters", []).append(
                f"阈值名「{key}」应为小写英文字母开头的字母、数字或下划线，且不能是 as_of 等保留名"
            )
            continue
        value = _number(key, raw, errors)
        if value is not None:
            params[key] = value
    clean["parameters"] = params
    return clean, errors


def save_region_rule(
    *,
    actor: audit.Actor,
    region_prefix: str,
    values: dict[str, Any],
    rule_id: int | None = None,
    version: int = 0,
) -> Rule:
    """Add (``rule_id`` None, with ``values["code"]``) or edit a region's own rule. A rule is saved switched
    off: it is switched on by ``switch_region_rule`` after its checks pass, and any edit switches it off
    again. The code of a shipped rule makes this the region's own version of it."""
    if rule_id is None and not doubt_access.can_edit_rules_of(actor.user, region_prefix):
        raise PermissionDeniedError("只有本县的县级管理员可以添加本县的比对规则")
    if rule_id is None and not Region.objects.filter(prefix=region_prefix).exists():
        raise ValidationFailed("区划不存在", {"region_prefix": ["区划不存在"]})
    clean, errors = _region_rule_values(values)
    code = str(values.get("code") or "").strip().upper()
    if rule_id is None and not RULE_CODE.match(code):
        errors.setdefault("code", []).append("规则编号应为大写字母开头的 2–20 位大写字母、数字或下划线")
    if errors:
        raise ValidationFailed("规则有误：" + "；".join(m for ms in errors.values() for m in ms), errors)
    with transaction.atomic():
        if rule_id is None:
            if Rule.objects.filter(code=code, region_prefix=region_prefix).exists():
                raise ValidationFailed(f"本地区已有规则 {code}", {"code": ["编号已存在"]})
            rule = Rule(code=code, region_prefix=region_prefix, shipped=False, enabled=False, **clean)
            rule.save()
            audit.record(actor, ChangeAction.CREATE, rule)
            return rule
        rule = doubt_access.access_region_rule(actor.user, rule_id)
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        if rule.version != version:
            raise ConcurrentEditError()
        before = audit.snapshot(rule)
        for key, value in clean.items():
            setattr(rule, key, value)
        rule.enabled = False
        rule.version += 1
        rule.save()
        audit.record(actor, ChangeAction.UPDATE, rule, before=before)
    return rule


def check_region_rule(*, user: Any, rule_id: int) -> Any:
    """The checks and the trial of a region's own rule on the region's latest snapshot (changes nothing)."""
    from jingzhun.comparison import rulecheck

    rule = doubt_access.access_region_rule(user, rule_id)
    return rulecheck.check(
        sql=rule.sql,
        code=rule.code,
        region_prefix=rule.region_prefix,
        parameters=rule.parameters,
        datasets=[d for d in rule.datasets.split(",") if d],
    )


def switch_region_rule(*, actor: audit.Actor, rule_id: int, enabled: bool, version: int) -> Rule:
    """Switch a region's own rule on (only when every check and the trial pass; refused, it stays off) or
    off."""
    rule = doubt_access.access_region_rule(actor.user, rule_id)
    if rule.version != version:
        raise ConcurrentEditError()
    if enabled:
        result = check_region_rule(user=actor.user, rule_id=rule.pk)
        if not result.ok:
            raise ValidationFailed("规则未通过校验，未启用：" + result.message, {"sql": result.errors})
    with transaction.atomic():
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        if rule.version != version:  # edited while it was being checked
            raise ConcurrentEditError()
        before = audit.snapshot(rule)
        rule.enabled = bool(enabled)
        rule.version += 1
        rule.save()
        audit.record(actor, ChangeAction.UPDATE, rule, before=before)
    return rule


def set_region_threshold(
    *, actor: audit.Actor, code: str, region_prefix: str, parameters: dict[str, Any], version: int = 0
) -> Any:
    """A region's own values of rule ``code``'s thresholds (a blank value: the value from above applies;
    all blank removes the region's thresholds). Returns the ``RuleThreshold`` or None when removed."""
    from jingzhun.comparison.models import RuleThreshold

    if not doubt_access.can_edit_rules_of(actor.user, region_prefix):
        raise PermissionDeniedError("只有本县的县级管理员可以设置本县的阈值")
    rule = rulebook.applying(Rule.objects.filter(code=code), region_prefix)
    if rule is None or not rule.parameters:
        raise NotFoundOrForbidden("规则不存在或没有阈值")
    clean = threshold_values(code, rule.parameters, parameters, blank_keeps=True)
    with transaction.atomic():
        found = (
            RuleThreshold.objects.select_for_update().filter(code=code, region_prefix=region_prefix).first()
        )
        if (found.version if found else 0) != version:
            raise ConcurrentEditError()
        if found is None:
            if not clean:
                return None
            found = RuleThreshold.objects.create(code=code, region_prefix=region_prefix, parameters=clean)
            audit.record(actor, ChangeAction.CREATE, found)
            return found
        before = audit.snapshot(found)
        if not clean:
            audit.record(actor, ChangeAction.DELETE, found, before=before)
            found.delete()
            return None
        found.parameters = clean
        found.version += 1
        found.save()
        audit.record(actor, ChangeAction.UPDATE, found, before=before)
    return found


def findings_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "comparison"
    path.mkdir(parents=True, exist_ok=True)
    return path


def dataset_files(
    counties: Sequence[str],
) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, str]]:
    """The stored files of each dataset's current loads covering ``counties``, the load ids used, and the
    region prefix each file was loaded for (where a person without a 户籍 code is routed)."""
    from jingzhun.comparison import datasets as ds
    from jingzhun.comparison.loading import current_load

    files: dict[str, list[str]] = {}
    used: dict[str, list[str]] = {}
    regions: dict[str, str] = {}
    for dataset in ds.DATASETS:
        seen: dict[str, str] = {}
        for county in counties:
            load = current_load(dataset.code, county)
            if load is not None and load.parquet_path:
                seen[load.pk] = load.parquet_path
                regions[load.parquet_path] = load.region_prefix
        if seen:
            files[dataset.code] = sorted(set(seen.values()))
            used[dataset.code] = sorted(seen)
    return files, used, regions


def run_comparison(
    *,
    actor: audit.Actor,
    region: Region,
    engine_name: str = "duckdb",
    as_of: dt.date | None = None,
    spark_master: str = "local[2]",
    progress: Progress | None = None,
    run: ComparisonRun | None = None,
) -> ComparisonRun:
    """Run the enabled catalogue over ``region`` and raise the new doubts. Failures are kept on the run
    (state failed, a Chinese message); nothing half-raised is left behind."""
    user = actor.user
    if user is not None and not doubt_access.can_run(user, region.code):
        raise PermissionDeniedError("只有县级管理员可以对本辖区发起比对")
    as_of = as_of or timezone.localdate()
    if run is None:
        run = ComparisonRun.objects.create(
            region=region, engine=engine_name, as_of=as_of, user=user, user_name=actor.name, stage="准备"
        )
    started = time.perf_counter()

    def step(percent: int, stage: str) -> None:
        ComparisonRun.objects.filter(pk=run.pk).update(progress=percent, stage=stage[:80])
        if progress:
            progress(percent, stage)

    try:
        sync_catalogue()
        step(2, "写出登记数据快照")
        snap = write_snapshot(
            region.prefix, extra_years=[as_of.year], progress=lambda text: step(5, f"快照 {text}")
        )
        files, used, load_regions = dataset_files(snap.counties or [region.prefix[:6]])
        catalogue = engine.load_catalogue()
        # each code once per region where a county's own row or threshold applies (rulebook.py)
        specs = rulebook.plan_for_run(region.prefix, catalogue)
        params: dict[str, Any] = {}
        regional: list[dict[str, Any]] = []
        for spec in specs:
            if spec.region_prefix:
                regional.append(
                    {"code": spec.code, "region": spec.region_prefix, "parameters": spec.parameters}
                )
            else:
                params[spec.code] = spec.parameters
        for item in regional:  # a county's own rule ran too: the run lists it among the rules that ran
            params.setdefault(item["code"], item["parameters"])
        step(10, "运行比对规则")
        eng = engine.make_engine(engine_name, spark_master=spark_master)
        try:
            result = engine.run_catalogue(
                eng,
                snap,
                files,
                as_of=as_of,
                rules=specs,
                catalogue=catalogue,
                progress=lambda p, s: step(10 + int(p * 0.7), f"规则 {s}"),
                load_regions=load_regions,
            )
        finally:
            eng.close()
        findings = _inside(result.findings, region.prefix)
        path = findings_dir() / f"run-{run.pk}.parquet"
        pq.write_table(findings, path)
        step(85, "下发疑点")
        created, skipped = raise_doubts(run, findings)
        # not run, or not run for some counties (a policy number missing); counties named for the user
        skipped_rules = _county_names(result.notes())
        counts: dict[str, int] = {}
        for code in findings.column("rule_code").to_pylist():
            counts[code] = counts.get(code, 0) + 1
        ComparisonRun.objects.filter(pk=run.pk).update(
            state=RunState.DONE,
            progress=100,
            stage="完成",
            loads=used,
            rules={
                "parameters": params,
                "regional": regional,
                "skipped": skipped_rules,
                "snapshot": str(snap.path),
            },
            counts=counts,
            findings=findings.num_rows,
            doubts_created=created,
            doubts_skipped=skipped,
            findings_path=str(path),
            finished_at=timezone.now(),
            seconds=round(time.perf_counter() - started, 2),
            message=_summary(findings.num_rows, created, skipped, skipped_rules),
        )
    except Exception as exc:
        log.exception("comparison run %s failed", run.pk)
        # The page says what happened in Chinese; the engine's or library's own text is in the log.
        message = (
            str(exc)
            if isinstance(exc, engine.RuleError | ValidationFailed)
            else f"比对时发生内部错误，没有下发疑点。请把运行编号 {run.pk} 告诉系统管理员，由管理员查看系统日志。"
        )
        ComparisonRun.objects.filter(pk=run.pk).update(
            state=RunState.FAILED, message=message[:2000], finished_at=timezone.now()
        )
        run.refresh_from_db()
        audit.record(actor, ChangeAction.CREATE, run)
        raise
    run.refresh_from_db()
    audit.record(actor, ChangeAction.CREATE, run)
    signals.register_changed.send(sender=ComparisonRun, prefixes=[region.prefix[:6]], cause="comparison")
    return run


COUNTY_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


def _county_names(notes: dict[str, str]) -> dict[str, str]:
    """The engine names a county by its code (it runs without the database); a person reads "秦州区 620502"."""
    from jingzhun.regions.models import Region

    codes = {code for why in notes.values() for code in COUNTY_CODE.findall(why)}
    names = dict(Region.objects.filter(prefix__in=codes).values_list("prefix", "name")) if codes else {}
    return {
        rule: COUNTY_CODE.sub(lambda m: f"{names[m[0]]} {m[0]}" if m[0] in names else m[0], why)
        for rule, why in notes.items()
    }


def _summary(findings: int, created: int, skipped: int, skipped_rules: dict[str, str]) -> str:
    text = f"命中 {findings} 条，新增疑点 {created} 条，已有疑点未重复下发 {skipped} 条"
    if skipped_rules:
        text += "；未运行或部分县未运行的规则：" + "；".join(
            f"{code}（{why}）" for code, why in sorted(skipped_rules.items())
        )
    return text


def _inside(findings: pa.Table, prefix: str) -> pa.Table:
    """Department lists cover more than the region (a province's 低保 list): keep what lies inside."""
    if not prefix:
        return findings
    import pyarrow.compute as pc

    mask = pc.fill_null(pc.starts_with(findings["village_code"], prefix), False)
    return findings.filter(mask)


def doubt_key(
    rule_code: str, household_number: str | None, person_number: str | None, id_number: str | None
) -> str:
    return f"{rule_code}:{person_number or id_number or household_number or ''}"


def _route(codes: set[str]) -> dict[str, str]:
    """Department address code, or the region a file was loaded for → the most specific known region
    (village, else township, county, city, province)."""
    known: dict[str, str] = {}
    candidates: dict[str, list[str]] = {}
    for code in codes:
        digits = "".join(ch for ch in (code or "") if ch.isdigit())
        options = [digits[:n].ljust(12, "0") for n in (12, 9, 6, 4, 2) if len(digits) >= n]
        candidates[code] = options
    wanted = {o for opts in candidates.values() for o in opts}
    present: set[str] = set()
    wanted_list = sorted(wanted)
    for i in range(0, len(wanted_list), CHUNK):
        present.update(
            Region.objects.filter(code__in=wanted_list[i : i + CHUNK]).values_list("code", flat=True)
        )
    for code, options in candidates.items():
        hit = next((o for o in options if o in present), None)
        if hit:
            known[code] = hit
    return known


def raise_doubts(run: ComparisonRun, findings: pa.Table) -> tuple[int, int]:
    """One doubt per new key; returns (created, skipped because a live doubt with that key exists)."""
    rows = findings.to_pylist()
    rules: dict[str, list[Rule]] = {}
    for rule in Rule.objects.all():
        rules.setdefault(rule.code, []).append(rule)
    by_key: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = doubt_key(row["rule_code"], row["household_number"], row["person_number"], row["id_number"])
        by_key.setdefault(key, row)
    keys = sorted(by_key)
    live: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        live.update(
            Doubt.objects.filter(key__in=keys[i : i + CHUNK])
            .exclude(state=DoubtState.RESOLVED)
            .values_list("key", flat=True)
        )
    new = [k for k in keys if k not in live]
    numbers = sorted({by_key[k]["household_number"] for k in new if by_key[k]["household_number"]})
    households: dict[str, tuple[int, str]] = {}
    for i in range(0, len(numbers), CHUNK):
        households.update(
            {
                n: (pk, v)
                for n, pk, v in Household.objects.filter(
                    household_number__in=numbers[i : i + CHUNK]
                ).values_list("household_number", "pk", "village_id")
            }
        )
    routes = _route(
        {by_key[k]["village_code"] for k in new if by_key[k]["household_number"] not in households}
    )
    doubts = []
    for key in new:
        row = by_key[key]
        found = households.get(row["household_number"] or "")
        village = found[1] if found else routes.get(row["village_code"])
        owner = rulebook.rule_for_finding(rules, row["rule_code"], village or "")
        if village is None or owner is None:
            continue  # an address no region matches cannot be routed; the findings file keeps it
        doubts.append(
            Doubt(
                key=key,
                rule_id=owner.pk,
                run=run,
                village_id=village,
                household_id=found[0] if found else None,
                person_number=row["person_number"] or "",
                id_number=(row["id_number"] or "")[:18],
                name=(row["name"] or "")[:50],
                detail=row["detail"] or "",
                evidence={
                    k: row[k] for k in ("household_number", "person_number", "id_number", "village_code")
                },
            )
        )
    actor = audit.Actor(run.user, run.user_name or "系统")
    with transaction.atomic():
        Doubt.objects.bulk_create(doubts, batch_size=2000, ignore_conflicts=True)
        # Audited as created by whoever started the run (ignore_conflicts leaves no pks: read them back).
        created = list(
            Doubt.objects.filter(run=run).select_related("household")
        )  # the run is new: all are these
        at = timezone.now()
        audit.record_many(
            audit.build_change(
                actor,
                ChangeAction.CREATE,
                d,
                before=None,
                after=audit.snapshot(d),
                root=d.household if d.household_id else None,
                batch=f"comparison-run-{run.pk}",
                at=at,
            )
            for d in created
        )
    return len(created), len(live)


def _required(note: str, message: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(message, {"note": ["必填"]})
    return note


def _locked(actor: audit.Actor, doubt_id: int, action: doubt_access.Action, version: int) -> Doubt:
    """The doubt, if this user may do ``action`` on it, locked for the transaction and still at ``version``."""
    doubt = doubt_access.access_doubt(actor.user, doubt_id, action)
    doubt = Doubt.objects.select_for_update().get(pk=doubt.pk)
    if doubt.version != version:
        raise ConcurrentEditError("该疑点已被他人核实或修改，请刷新后再操作")
    return doubt


def verify(
    *,
    actor: audit.Actor,
    doubt_id: int,
    confirmed: bool,
    note: str,
    version: int,
    file: UploadedFile[bytes] | None = None,
    start_procedure: bool = True,
) -> Doubt:
    """The village's answer: 属实 (confirmed) or 不属实 with a reason. A confirmed doubt whose rule names a
    procedure opens it for the household (one open case per kind; an existing one is linked instead)."""
    note = _required(note, "请填写核实说明（属实的情况或不属实的理由）")
    with transaction.atomic():
        doubt = _locked(actor, doubt_id, "verify", version)
        if doubt.state != DoubtState.OPEN:
            raise ValidationFailed(f"该疑点已核实为「{doubt.get_state_display()}」，不能再次核实")
        before = audit.snapshot(doubt)
        doubt.state = DoubtState.CONFIRMED if confirmed else DoubtState.REJECTED
        doubt.verified_by = actor.user
        doubt.verified_by_name = actor.name
        doubt.verified_at = timezone.now()
        doubt.verification_note = note
        if file is not None:
            doubt.verification_file.save(file.name or "evidence", file, save=False)
        doubt.version += 1
        if confirmed and start_procedure:
            doubt.case = _start_procedure(actor, doubt)
        doubt.save()
        audit.record(
            actor,
            ChangeAction.UPDATE,
            doubt,
            before=before,
            root=doubt.household if doubt.household_id else None,
        )
    return doubt


def _start_procedure(actor: audit.Actor, doubt: Doubt) -> Any:
    from jingzhun.procedures.choices import CaseState, ProcedureKind
    from jingzhun.procedures.models import Case
    from jingzhun.procedures.services import open_case

    kind, _, reason = doubt.rule.on_true.partition(":")
    if kind not in ProcedureKind.values or doubt.household_id is None:
        return None
    household = doubt.household
    assert household is not None
    existing = Case.objects.filter(household=household, kind=kind, state=CaseState.OPEN).first()
    if existing is not None:
        return existing
    params: dict[str, Any] = {}
    if kind == ProcedureKind.NATURAL_CHANGE:
        params = _natural_change(doubt, household, reason)
    elif kind == ProcedureKind.MONITORING:  # 脱贫不稳定户 for exited households, else 边缘易致贫户
        params["monitoring_type"] = reason or ("1" if household.poverty_status in ("1", "4") else "2")
    try:
        return open_case(
            actor=actor, household=household, kind=kind, discovered_on=timezone.localdate(), params=params
        )
    except ValidationFailed as exc:  # the register refuses this procedure for the household now
        doubt.verification_note += f"\n（未自动启动程序：{exc}）"
        return None


def _natural_change(doubt: Doubt, household: Any, change: str) -> dict[str, Any]:
    """The details of the natural change a confirmed doubt opens (SJ01: the member the police registered as
    dead leaves on the date of the police record). A one-person household is 自然销户; when the head dies and
    others stay, the new head is the village's choice, so opening is refused and the note says so."""
    from jingzhun.procedures.choices import NaturalChange
    from jingzhun.registry.choices import LeaveReason

    found = re.search(r"\d{4}-\d{2}-\d{2}", doubt.detail)
    on = dt.date.fromisoformat(found.group(0)) if found else timezone.localdate()
    note = f"部门数据比对 {doubt.rule.code}（{doubt.detail}），经入户核实属实"
    active = household.members.filter(left_on__isnull=True)
    member = active.filter(person_number=doubt.person_number).first() if doubt.person_number else None
    if member is None and doubt.id_number:
        member = active.filter(id_number=doubt.id_number).first()
    if change == NaturalChange.DEATH and member is not None and active.count() == 1:
        return {
            "change": NaturalChange.HOUSEHOLD_GONE,
            "event_on": on.isoformat(),
            "note": note,
            "leave_reason": LeaveReason.DEATH,
        }
    return {
        "change": change,
        "event_on": on.isoformat(),
        "note": note,
        "members": [member.pk] if member is not None else [],
    }


def resolve(*, actor: audit.Actor, doubt_id: int, note: str, version: int) -> Doubt:
    """Close a confirmed doubt once the problem was corrected (已整改); the same problem may be raised again."""
    note = _required(note, "请填写整改情况")
    with transaction.atomic():
        doubt = _locked(actor, doubt_id, "resolve", version)
        if doubt.state != DoubtState.CONFIRMED:
            raise ValidationFailed("只有核实属实的疑点才能标为已整改")
        before = audit.snapshot(doubt)
        doubt.state = DoubtState.RESOLVED
        doubt.verification_note = f"{doubt.verification_note}\n整改：{note}".strip()
        doubt.version += 1
        doubt.save()
        audit.record(
            actor,
            ChangeAction.UPDATE,
            doubt,
            before=before,
            root=doubt.household if doubt.household_id else None,
        )
    return doubt
