from datetime import datetime, time

from django.apps import AppConfig


class LeadsConfig(AppConfig):
    """Leads: web-form intake, dedupe, explainable scores, smart assignment, the pool."""

    name = "salesflow.leads"
    label = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesflow.core import records
        from salesflow.core.context_processors import SettingsTab, register_settings_tab
        from salesflow.core.labels import register_event_labels
        from salesflow.core.views import register_today_section
        from salesflow.core.worker import register_periodic
        from salesflow.leads import selectors, views
        from salesflow.leads.models import Lead
        from salesflow.leads.permissions import can_manage_forms
        from salesflow.rules.permissions import can_edit_rules

        records.register(
            "lead", Lead, visible_to=selectors.leads_visible_to, label="线索", detail_url_name="lead-detail"
        )
        register_today_section(views.today_section)
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
        register_event_labels(
            {
                "lead.created": "线索创建",
                "lead.merged": "重复提交已合并",
                "lead.assigned": "分配负责人",
                "lead.pooled": "进入线索池",
                "lead.viewed": "负责人已查看",
                "lead.reassigned": "改派",
                "lead.mql": "达到 MQL",
                "lead.behaviour": "行为事件",
                "intake_form.created": "创建网站表单",
                "lead.converted": "已转化为客户",
                "lead.handed_over": "离职交接",
            }
        )


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
