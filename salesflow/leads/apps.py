from datetime import datetime, time

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class LeadsConfig(AppConfig):
    """Leads: web-form intake, dedupe, explainable scores, smart assignment, the pool."""

    name = "salesflow.leads"
    label = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesflow.core import records
        from salesflow.core.context_processors import SettingsTab, register_settings_tab
        from salesflow.core.labels import register_event_labels, register_key_labels, register_value_labeler
        from salesflow.core.views import register_today_section
        from salesflow.core.worker import register_periodic
        from salesflow.leads import selectors, services, views
        from salesflow.leads.models import Lead
        from salesflow.leads.permissions import can_manage_forms
        from salesflow.rules.permissions import can_edit_rules
        from salesflow.timers import services as timers

        records.register(
            "lead", Lead, visible_to=selectors.leads_visible_to, label="线索", detail_url_name="lead-detail"
        )
        register_today_section(views.today_section)
        timers.register_keys_refresher(Lead, lambda ids: services.refresh_timer_keys(lead_ids=ids))
        register_settings_tab(
            SettingsTab(
                key="forms",
                label=_("网站表单"),
                url_name="lead-forms",
                order=70,
                purpose=_("官网留资表单及其接入地址。"),
                icon="ti-forms",
                allowed=can_manage_forms,
            )
        )
        register_settings_tab(
            SettingsTab(
                key="assignment",
                label=_("分单规则"),
                url_name="lead-assignment",
                order=80,
                purpose=_("新线索分给谁：权重、容量与预览。"),
                icon="ti-arrows-split",
                allowed=can_edit_rules,
            )
        )
        register_periodic("leads.learned_score", nightly_training)
        register_value_labeler("source", lambda code: dictionary_label("lead_source", code))
        register_value_labeler("score_factor", score_factor_label)
        register_value_labeler(
            "strategy", lambda code: str(STRATEGY_LABELS[code]) if code in STRATEGY_LABELS else None
        )
        register_key_labels(
            {
                "strategy": _("分配方式"),
                "parts": _("匹配度"),
                "new_customer": _("新建客户"),
                "tier_fit": _("客户等级匹配"),
                "product_line_skill": _("产品线技能"),
                "seniority": _("资历"),
                "open_workload": _("在手工作量"),
                "assigned_at": _("分配时间"),
                "acknowledged_at": _("查看时间"),
                "first_contact_at": _("首次联系时间"),
                "last_activity_at": _("最近跟进时间"),
                "mql_at": _("达到 MQL 时间"),
                "form": _("来源表单"),
                "utm": _("推广参数"),
            }
        )
        register_event_labels(
            {
                "lead.created": "线索创建",
                "lead.merged": "重复提交已合并",
                "lead.assigned": "分配负责人",
                "lead.pooled": "进入线索池",
                "lead.viewed": "负责人已查看",
                "lead.reassigned": "改派",
                "lead.updated": "修改线索资料",
                "lead.mql": "达到 MQL",
                "lead.behaviour": "行为事件",
                "intake_form.created": "创建网站表单",
                "lead.converted": "已转化为客户",
                "lead.handed_over": "离职交接",
            }
        )


STRATEGY_LABELS = {
    "weighted": gettext_lazy("加权匹配"),
    "capability": gettext_lazy("按能力匹配"),
    "round_robin": gettext_lazy("轮流分配"),
    "manual_entry": gettext_lazy("录入人自己跟进"),
}


def dictionary_label(dictionary: str, code: str) -> str | None:
    """A code's label in one of the active pack's dictionaries."""
    from salesflow.rules.selectors import dictionary_label as label

    return label(dictionary, code)


def score_factor_label(factor: str) -> str | None:
    """A score factor as people read it, from the pack's dictionaries.

    Rule scores store `customer_tier = tier2a`, `behaviour: pricing_view`, `combination: <name>`;
    the learned score `customer_tier=tier2a`, `behaviour:pricing_view`, `budget_given`.
    """
    from salesflow.rules.selectors import dictionary_name

    if factor == "budget_given":
        return str(gettext_lazy("填写了预算"))
    head, sep, rest = factor.partition(":")
    if sep and head.strip() == "behaviour":
        kind = rest.strip()
        return str(gettext_lazy("行为：%(kind)s")) % {
            "kind": dictionary_label("lead_behaviour", kind) or kind
        }
    if sep and head.strip() == "combination":
        return str(gettext_lazy("行为组合：%(name)s")) % {"name": rest.strip()}
    field, sep, value = factor.partition("=")
    if sep:
        field, value = field.strip(), value.strip()
        name = dictionary_name(field) or field
        return f"{name}：{dictionary_label(field, value) or value}"
    return None


def nightly_training(now: datetime) -> bool:
    """Retrain the learned lead score once a day, at the pack's nightly hour."""
    from salesflow.core import clock
    from salesflow.core.worker import run_once_per_day
    from salesflow.leads import learned
    from salesflow.rules.selectors import active_pack

    _number, pack = active_pack()
    at = time.fromisoformat(pack.settings.customer_nightly_at)
    if clock.to_local(now).time() < at:
        return False

    def job() -> dict[str, object]:
        model = learned.train(now=now)
        return {"samples": model.samples if model else 0}

    return run_once_per_day("leads.learned_score", now, job)
