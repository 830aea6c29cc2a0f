from django.apps import AppConfig


class LeadsConfig(AppConfig):
    """Leads: web-form intake, dedupe, explainable scores, smart assignment, the pool."""

    name = "salesflow.leads"
    label = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from salesflow.core import records
        from salesflow.core.labels import register_event_labels
        from salesflow.core.views import register_today_section
        from salesflow.leads import selectors, views
        from salesflow.leads.models import Lead

        records.register(
            "lead", Lead, visible_to=selectors.leads_visible_to, label="线索", detail_url_name="lead-detail"
        )
        register_today_section(views.today_section)
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
            }
        )
