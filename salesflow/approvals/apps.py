from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    """Generic approval chains (审批) from the rule pack, on any registered record type."""

    name = "salesflow.approvals"
    label = "approvals"
    verbose_name = "Approvals"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesflow.approvals import selectors, views
        from salesflow.approvals.choices import Decision
        from salesflow.approvals.models import ApprovalRequest, ApprovalStep
        from salesflow.core import records
        from salesflow.core.context_processors import register_shell_contributor
        from salesflow.core.labels import register_event_labels, register_key_labels, register_value_labeler

        records.register(
            "approval_request",
            ApprovalRequest,
            visible_to=selectors.requests_visible_to,
            label="审批",
            detail_url_name="approval-detail",
            owner_of=lambda record: record.requester,
        )
        # The SLA of a step runs on the step: its owner is the approver it reminds, and the
        # escalation goes to that approver's manager (owner_manager).
        records.register(
            "approval_step",
            ApprovalStep,
            visible_to=selectors.steps_visible_to,
            label="审批环节",
            owner_of=lambda record: record.owner,
        )
        register_shell_contributor(views.shell_values)
        register_event_labels(
            {
                "approval.requested": _("提交审批"),
                "approval.step_opened": _("审批环节开始"),
                "approval.step_skipped": _("审批环节跳过"),
                "approval.step_decided": _("审批环节处理"),
                "approval.approved": _("审批已通过"),
                "approval.rejected": _("审批被驳回"),
                "approval.returned": _("审批退回修改"),
                "approval.withdrawn": _("审批已撤回"),
                "approval.delegation_set": _("设置审批代理"),
            }
        )
        register_key_labels(
            {
                "chain_name": _("审批流程"),
                "step": _("审批环节"),
                "comment": _("意见"),
                "decision": _("审批结果"),
                "on_behalf_of": _("代理"),
                "approvers": _("审批人"),
                "skip_reason": _("跳过原因"),
                "delegate_name": _("代理人"),
                "starts_on": _("开始日期"),
                "ends_on": _("结束日期"),
            }
        )
        labels = dict(Decision.choices)
        register_value_labeler("decision", lambda value: str(labels[value]) if value in labels else None)
