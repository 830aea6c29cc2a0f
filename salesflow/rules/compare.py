"""Two rule-pack versions compared in business language (首次联系时限 · 首次联系超时：15 分钟 → 20 分钟).

The YAML diff stays available behind 高级; this is what a sales manager reads first. Sections
this module does not know change as one line that names the section, never silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesflow.rules.messages import humanize
from salesflow.timers.durations import parse_duration


@dataclass(frozen=True)
class Change:
    """One change a person would name: what, and from what to what (either may be empty)."""

    section: str
    subject: str
    before: str = ""
    after: str = ""
    note: str = ""

    def __str__(self) -> str:
        if self.before or self.after:
            return f"{self.subject} {self.before or '—'} → {self.after or '—'}"
        return f"{self.subject}{self.note}"


# Names of the pack's single numbers (PackSettings, Lights, Scoring, Assignment, working hours).
FIELD_LABELS: dict[str, str | Promise] = {
    "lead_red_without_follow_up": gettext_lazy("线索无跟进红灯"),
    "quote_yellow_unconfirmed": gettext_lazy("报价未确认黄灯"),
    "payment_green_progress_pct": gettext_lazy("回款进度绿灯（%）"),
    "opportunity_red_without_update": gettext_lazy("商机无更新红灯"),
    "customer_health_green_from": gettext_lazy("客户健康度绿灯起点"),
    "customer_health_yellow_from": gettext_lazy("客户健康度黄灯起点"),
    "battle_report_refresh_seconds": gettext_lazy("战报刷新间隔（秒）"),
    "battle_tv_link_days": gettext_lazy("战报电视链接有效期（天）"),
    "forecast_pace_drop_alert_pct": gettext_lazy("预测进度下滑预警（%）"),
    "customer_claim_limit": gettext_lazy("每人可认领客户上限"),
    "customer_nightly_at": gettext_lazy("每晚计算时间"),
    "badges_for_training_seat": gettext_lazy("培训名额所需徽章"),
    "quote_health_red_below": gettext_lazy("报价健康度红线"),
    "weekly_digest_weekday": gettext_lazy("每周简报发送日（1 = 周一）"),
    "weekly_digest_at": gettext_lazy("每周简报发送时间"),
    "health_trend_days": gettext_lazy("健康度趋势天数"),
    "attribution_months": gettext_lazy("归因看板趋势月数"),
    "attribution_rolling_months": gettext_lazy("获客成本趋势滚动月数"),
    "mql_threshold": gettext_lazy("MQL 分数线"),
    "strategy": gettext_lazy("分单方式"),
    "selection": gettext_lazy("分单选择"),
    "senior_score_threshold": gettext_lazy("高分线索分给资深销售的分数线"),
    "senior_min_level": gettext_lazy("资深销售最低级别"),
    "skip_on_leave": gettext_lazy("跳过休假人员"),
    "respect_workload_cap": gettext_lazy("遵守在手上限"),
    "start": gettext_lazy("上班时间"),
    "end": gettext_lazy("下班时间"),
    "heatmap_weeks": gettext_lazy("热力图默认周数"),
    "efficiency_days": gettext_lazy("个人效率默认天数"),
    "response_buckets_minutes": gettext_lazy("响应时长分段（分钟）"),
    "runs": gettext_lazy("预测模拟次数"),
    "curve_runs": gettext_lazy("逐周曲线模拟次数"),
    "history_days": gettext_lazy("预测历史天数"),
    "min_stays": gettext_lazy("团队阶段最少样本（不足时用公司数据）"),
    "backtest_weeks": gettext_lazy("回测周数"),
    "pace_check_weekday": gettext_lazy("推进速度检查日（1 = 周一）"),
    "pace_check_at": gettext_lazy("推进速度检查时间"),
    "signal_multiplier_max": gettext_lazy("外部信号赢率倍数上限"),
    "band_low_pct": gettext_lazy("预测区间下沿（百分位）"),
    "band_high_pct": gettext_lazy("预测区间上沿（百分位）"),
    "pace_stages": gettext_lazy("衡量推进速度的阶段"),
    "milestones": gettext_lazy("里程碑赢率加成"),
    "snapshot_minutes": gettext_lazy("大数据量时预测的更新间隔（分钟）"),
    "product_default_tax_rate_pct": gettext_lazy("新产品默认税率（%）"),
}
SECTION_LABELS: dict[str, str | Promise] = {
    "name": gettext_lazy("规则包名称"),
    "description": gettext_lazy("规则包说明"),
    "industry": gettext_lazy("行业"),
    "working_hours": gettext_lazy("工作时间"),
    "tag_dictionaries": gettext_lazy("字典"),
    "required_fields": gettext_lazy("必填字段"),
    "stage_templates": gettext_lazy("销售流程"),
    "visit_packages": gettext_lazy("拜访任务包"),
    "evidence": gettext_lazy("证据要求"),
    "imports": gettext_lazy("导入限制"),
    "scoring": gettext_lazy("线索评分"),
    "assignment": gettext_lazy("分单"),
    "sla_policies": gettext_lazy("时限"),
    "approval_chains": gettext_lazy("审批流程"),
    "rules": gettext_lazy("规则"),
    "tag_rules": gettext_lazy("标签规则"),
    "lights": gettext_lazy("红黄绿灯"),
    "effective_contacts": gettext_lazy("有效接触"),
    "customer_health": gettext_lazy("客户健康度"),
    "health_thresholds": gettext_lazy("管理健康指标"),
    "commission_plans": gettext_lazy("提成方案"),
    "contribution_points": gettext_lazy("协作贡献分"),
    "settings": gettext_lazy("设置"),
    "completeness_fields": gettext_lazy("资料完整率字段"),
    "ability_radar": gettext_lazy("能力雷达"),
    "process_views": gettext_lazy("过程热力图与个人效率"),
    "forecast": gettext_lazy("漏斗数字孪生（预测）"),
    "field_permissions": gettext_lazy("字段级权限"),
    "workorder_types": gettext_lazy("工单类型"),
}


def _value(value: Any) -> str:
    """A setting's value as people read it: durations in words, 是/否, lists joined."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, str):
        try:
            parse_duration(value)
        except ValueError:
            return value
        return humanize(value)
    if isinstance(value, list):
        return "、".join(_value(v) for v in value)
    return str(value)


def _label(key: str) -> str:
    return str(FIELD_LABELS.get(key, key))


def _by_code(items: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    return {str(i.get("code")): i for i in items or [] if isinstance(i, dict)}


def _flat(section: str, before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Changes of a flat mapping of single values (lights, settings, working hours …)."""
    title = str(SECTION_LABELS.get(section, section))
    return [
        Change(title, _label(key), _value(before.get(key)), _value(after.get(key)))
        for key in dict.fromkeys([*after, *before])
        if before.get(key) != after.get(key) and not isinstance(after.get(key, before.get(key)), (dict, list))
    ]


def _policies(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[Change]:
    title = str(SECTION_LABELS["sla_policies"])
    old, new = _by_code(before), _by_code(after)
    changes = []
    for code, policy in new.items():
        name = str(policy.get("name", code))
        if code not in old:
            changes.append(Change(title, _("新增时限「%(name)s」") % {"name": name}))
            continue
        was = old[code]
        if was.get("enabled", True) != policy.get("enabled", True):
            verb = _("启用") if policy.get("enabled", True) else _("停用")
            changes.append(Change(title, f"{verb}「{name}」"))
        was_steps = {s.get("name"): s for s in was.get("steps", [])}
        for step in policy.get("steps", []):
            prior = was_steps.get(step.get("name"))
            subject = f"{name} · {step.get('name')}"
            if prior is None:
                changes.append(Change(title, subject, note=_("（新增步骤）")))
                continue
            for side in ("after", "before", "past_anchor"):
                if prior.get(side) != step.get(side):
                    changes.append(Change(title, subject, _value(prior.get(side)), _value(step.get(side))))
            if prior.get("recipients") != step.get("recipients"):
                changes.append(Change(title, subject, note=_("：接收人已修改")))
            if prior.get("actions") != step.get("actions") or prior.get("condition") != step.get("condition"):
                changes.append(Change(title, subject, note=_("：动作或文案已修改")))
        new_steps = {s.get("name") for s in policy.get("steps", [])}
        for step_name in was_steps:
            if step_name not in new_steps:
                changes.append(Change(title, f"{name} · {step_name}", note=_("（已删除步骤）")))
        rest = {
            k for k in set(was) | set(policy) if k not in ("steps", "enabled") and was.get(k) != policy.get(k)
        }
        if rest:
            changes.append(Change(title, name, note=_("：开始 / 停止事件或对象已修改")))
    for code, policy in old.items():
        if code not in new:
            changes.append(Change(title, _("删除时限「%(name)s」") % {"name": policy.get("name", code)}))
    return changes


def _numbers(path: str, before: Any, after: Any) -> list[tuple[str, Any, Any]]:
    """Leaf values that changed at the same place in two nested documents (a rule's thresholds)."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            found
            for key in after
            if key in before
            for found in _numbers(f"{path}.{key}", before[key], after[key])
        ]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            found
            for i, (b, a) in enumerate(zip(before, after, strict=True))
            for found in _numbers(path, b, a)
        ]
    if before != after and not isinstance(before, (dict, list)) and not isinstance(after, (dict, list)):
        return [(path, before, after)]
    return []


def _rules(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[Change]:
    title = str(SECTION_LABELS["rules"])
    old, new = _by_code(before), _by_code(after)
    changes = []
    for code, rule in new.items():
        name = str(rule.get("name", code))
        if code not in old:
            state = _("启用") if rule.get("enabled", True) else _("草稿")
            changes.append(
                Change(title, _("新增规则「%(name)s」（%(state)s）") % {"name": name, "state": state})
            )
            continue
        was = old[code]
        if was.get("enabled", True) != rule.get("enabled", True):
            verb = _("启用") if rule.get("enabled", True) else _("停用")
            changes.append(Change(title, f"{verb}规则「{name}」"))
        if was.get("condition") != rule.get("condition"):
            leaves = [
                (b, a)
                for path, b, a in _numbers("", was.get("condition"), rule.get("condition"))
                if path.endswith("value")
            ]
            if leaves:
                for b, a in leaves:
                    changes.append(
                        Change(title, _("「%(name)s」条件阈值") % {"name": name}, _value(b), _value(a))
                    )
            else:
                changes.append(Change(title, f"「{name}」", note=_("条件已修改")))
        rest = {
            k for k in set(was) | set(rule) if k not in ("enabled", "condition") and was.get(k) != rule.get(k)
        }
        if rest:
            changes.append(Change(title, f"「{name}」", note=_("触发、动作或文案已修改")))
    for code, rule in old.items():
        if code not in new:
            changes.append(Change(title, _("删除规则「%(name)s」") % {"name": rule.get("name", code)}))
    return changes


def _dictionaries(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[Change]:
    title = str(SECTION_LABELS["tag_dictionaries"])
    old, new = _by_code(before), _by_code(after)
    changes = []
    for code, dictionary in new.items():
        name = str(dictionary.get("name", code))
        if code not in old:
            changes.append(Change(title, _("新增字典「%(name)s」") % {"name": name}))
            continue
        was = _by_code(old[code].get("choices"))
        now = _by_code(dictionary.get("choices"))
        added = [str(c.get("label", k)) for k, c in now.items() if k not in was]
        removed = [str(c.get("label", k)) for k, c in was.items() if k not in now]
        renamed = [
            f"{was[k].get('label')} → {c.get('label')}"
            for k, c in now.items()
            if k in was and was[k].get("label") != c.get("label")
        ]
        if added:
            changes.append(Change(title, f"「{name}」", note=_("新增选项：%(x)s") % {"x": "、".join(added)}))
        if removed:
            changes.append(
                Change(title, f"「{name}」", note=_("删除选项：%(x)s") % {"x": "、".join(removed)})
            )
        if renamed:
            changes.append(Change(title, f"「{name}」", note=_("改名：%(x)s") % {"x": "、".join(renamed)}))
    for code, dictionary in old.items():
        if code not in new:
            changes.append(Change(title, _("删除字典「%(name)s」") % {"name": dictionary.get("name", code)}))
    return changes


def _scoring(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    title = str(SECTION_LABELS["scoring"])
    changes = _flat("scoring", before, after)
    for part in ("profile", "behaviour", "combinations", "learned"):
        if before.get(part) != after.get(part):
            changes.append(Change(title, str(SECTION_LABELS["scoring"]), note=_("：加分项已修改")))
            break
    return changes


def _forecast(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """The forecast's numbers, its pace stages and each milestone's odds multiplier."""
    title = str(SECTION_LABELS["forecast"])
    changes = _flat("forecast", before, after)

    def paces(doc: dict[str, Any]) -> str:
        return "、".join(f"{p.get('pipeline')} · {p.get('stage')}" for p in doc.get("pace_stages") or [])

    if paces(before) != paces(after):
        changes.append(Change(title, _label("pace_stages"), paces(before), paces(after)))
    was, now = _by_code(before.get("milestones")), _by_code(after.get("milestones"))
    for code in dict.fromkeys([*now, *was]):
        old, new = was.get(code, {}), now.get(code, {})
        if old.get("odds_multiplier") != new.get("odds_multiplier") or old.get("name") != new.get("name"):
            name = str(new.get("name") or old.get("name") or code)
            changes.append(
                Change(
                    title,
                    f"{_label('milestones')}：{name}",
                    _value(old.get("odds_multiplier")),
                    _value(new.get("odds_multiplier")),
                )
            )
        elif old != new:
            name = str(new.get("name", code))
            changes.append(Change(title, f"{_label('milestones')}：{name}", note=_("已修改")))
    return changes or [Change(title, title, note=_("已修改"))]


def compare(older: dict[str, Any] | None, newer: dict[str, Any]) -> list[Change]:
    """What changed from `older` to `newer` (two pack documents), in business language."""
    older = older or {}
    changes: list[Change] = []
    for section in dict.fromkeys([*newer, *older]):
        before, after = older.get(section), newer.get(section)
        if before == after:
            continue
        if section == "sla_policies":
            changes += _policies(before or [], after or [])
        elif section == "rules":
            changes += _rules(before or [], after or [])
        elif section == "tag_dictionaries":
            changes += _dictionaries(before or [], after or [])
        elif section == "scoring":
            changes += _scoring(before or {}, after or {})
        elif section == "forecast":
            changes += _forecast(before or {}, after or {})
        elif section in (
            "lights",
            "settings",
            "working_hours",
            "assignment",
            "imports",
            "evidence",
            "process_views",
        ):
            found = _flat(section, before or {}, after or {})
            changes += found or [
                Change(str(SECTION_LABELS[section]), str(SECTION_LABELS[section]), note=_("已修改"))
            ]
        elif isinstance(after, str) and isinstance(before, (str, type(None))):
            changes.append(
                Change(str(SECTION_LABELS.get(section, section)), _label(section), before or "", after)
            )
        else:
            label = str(SECTION_LABELS.get(section, section))
            changes.append(Change(label, label, note=_("已修改（详见高级）")))
    return changes
