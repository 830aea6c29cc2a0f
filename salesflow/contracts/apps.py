from django.apps import AppConfig


class ContractsConfig(AppConfig):
    """Contracts (合同), payment plans and collections (回款)."""

    name = "salesflow.contracts"
    label = "contracts"
    verbose_name = "Contracts"

    def ready(self) -> None:
        from django.urls import reverse
        from django.utils.translation import gettext_lazy as _

        from salesflow.approvals import registry as approvals
        from salesflow.contracts import selectors, services, views
        from salesflow.contracts.models import Contract, Instalment
        from salesflow.core import events, records
        from salesflow.core.labels import register_event_labels, register_key_labels, register_value_labeler
        from salesflow.core.panels import register_detail_panel
        from salesflow.core.templatetags.salesflow import money

        records.register(
            "contract",
            Contract,
            visible_to=selectors.contracts_visible_to,
            label="合同",
            detail_url_name="contract-detail",
        )
        # A payment's "owner" (who rules remind) is the contract's project manager, else its owner.
        records.register(
            "payment",
            Instalment,
            visible_to=selectors.instalments_visible_to,
            label="回款节点",
            owner_of=lambda i: i.contract.project_manager or i.contract.owner,
        )
        approvals.register(
            "contract",
            model=Contract,
            label="合同",
            describe=services.approval_description,
            on_decided=services.contract_on_approval_decided,
            detail_url=lambda contract: reverse("contract-detail", args=[contract.pk]),
        )
        events.subscribe(services.on_quote_accepted)
        register_detail_panel("opportunity", views.opportunity_panel)
        register_value_labeler("contract_amount", money)
        register_value_labeler("amount", money)
        register_event_labels(
            {
                "contract.created": "生成合同",
                "contract.updated": "修改合同",
                "contract.plan_changed": "修改回款计划",
                "contract.review_started": "提交法务审核",
                "contract.signed": "合同签订",
                "contract.delivered": "交付完成",
                "contract.completed": "客户验收",
                "contract.terminated": "合同终止",
                "contract.handed_over": "合同交接",
                "payment.scheduled": "回款排期",
                "payment.rescheduled": "回款改期",
                "payment.request_raised": "发起请款",
                "payment.received": "回款到账",
                "payment.partially_received": "部分回款到账",
                "payment.cancelled": "回款取消",
            }
        )
        register_key_labels(
            {
                "contract": _("合同"),
                "contract_amount": _("合同金额"),
                "deviations": _("偏离模板条款数"),
                "instalments": _("回款节点数"),
                "due_date": _("到期日"),
                "bank_reference": _("银行流水号"),
                "delivered_on": _("交付日期"),
                "accepted_on": _("验收日期"),
                "quote": _("报价"),
            }
        )
