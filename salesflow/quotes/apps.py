from django.apps import AppConfig


class QuotesConfig(AppConfig):
    """Quotes (报价): versions, health score, special quotes, sending and the customer's answer."""

    name = "salesflow.quotes"
    label = "quotes"
    verbose_name = "Quotes"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesflow.core import records
        from salesflow.core.labels import register_event_labels, register_key_labels, register_value_labeler
        from salesflow.core.panels import register_detail_panel
        from salesflow.core.templatetags.salesflow import money
        from salesflow.quotes import selectors, views
        from salesflow.quotes.models import Quote

        records.register(
            "quote",
            Quote,
            visible_to=selectors.quotes_visible_to,
            label="报价",
            detail_url_name="quote-detail",
        )
        register_detail_panel("opportunity", views.opportunity_panel)
        from django.urls import reverse

        from salesflow.approvals import registry as approvals
        from salesflow.quotes import services

        approvals.register(
            "quote",
            model=Quote,
            label="报价",
            describe=services.approval_description,
            on_decided=services.quote_on_approval_decided,
            detail_url=lambda quote: reverse("quote-detail", args=[quote.pk]),
        )
        register_value_labeler("quote_total", money)
        register_event_labels(
            {
                "quote.created": "新建报价",
                "quote.updated": "修改报价",
                "quote.revised": "新建报价版本",
                "quote.scored": "报价健康度评分",
                "quote.sent": "发出报价",
                "quote.feedback_received": "客户反馈",
                "quote.accepted": "客户接受报价",
                "quote.rejected": "客户拒绝报价",
                "quote.document_attached": "上传报价材料",
                "quote.viewed": "客户查看报价",
                "quote.share_revoked": "撤销客户链接",
            }
        )
        register_key_labels(
            {
                "number": _("报价单号"),
                "health_score": _("健康度"),
                "missing": _("缺少材料"),
                "version": _("版本"),
                "quote_total": _("含税合计"),
                "document": _("材料"),
                "file": _("文件"),
                "answer": _("客户反馈"),
                "source": _("来源"),
            }
        )
