from django.apps import AppConfig


class WorkordersConfig(AppConfig):
    """Cross-department work orders (跨部门工单): types from the pack, queues, escalation."""

    name = "salesflow.workorders"
    label = "workorders"
    verbose_name = "Work orders"

    def ready(self) -> None:
        from django.urls import reverse
        from django.utils.translation import gettext_lazy as _

        from salesflow.approvals import registry as approvals
        from salesflow.core import records
        from salesflow.core.labels import register_event_labeler, register_event_labels, register_key_labels
        from salesflow.core.panels import register_detail_panel
        from salesflow.customers.services import register_service_request_counter
        from salesflow.reviews import registry as reviews
        from salesflow.workorders import selectors, services, views
        from salesflow.workorders.models import WorkOrder

        # The SLA ladders run on the order: its owner is the handler, so the first timeout goes
        # to the handler's direct supervisor (owner_manager).
        records.register(
            "workorder",
            WorkOrder,
            visible_to=selectors.workorders_visible_to,
            label="工单",
            detail_url_name="workorder-detail",
            owner_of=lambda order: order.assignee or order.raised_by,
        )
        approvals.register(
            "workorder",
            model=WorkOrder,
            label="工单",
            describe=services.approval_description,
            on_decided=services.on_approval_decided,
            detail_url=lambda order: reverse("workorder-detail", args=[order.pk]),
        )
        register_service_request_counter(services.service_request_counts)
        # 月度流程复盘: a work order is reviewed under its type, for the team of the rep who raised it.
        reviews.register(
            "workorders.workorder",
            name=lambda order: f"{order.number} · {order.title} · {order.customer.name}",
            group=lambda order: order.type_name,
            team=lambda order: order.raised_by.team if order.raised_by is not None else None,
            select_related=("raised_by__team", "customer"),
        )
        register_event_labeler(selectors.event_label)
        for record in ("customer", "opportunity", "quote", "contract"):
            register_detail_panel(record, views.record_panel)
        register_event_labels(
            {
                "workorder.created": _("发起工单"),
                "workorder.raised": _("发起工单"),
                "workorder.party_acknowledged": _("工单确认"),
                "workorder.acknowledged": _("工单各方已确认"),
                "workorder.assigned": _("工单分派"),
                "workorder.state_changed": _("工单推进"),
                "workorder.file_attached": _("工单上传附件"),
                "workorder.commented": _("工单评论"),
                "workorder.closed": _("工单关闭"),
                "workorder.plan_submitted": _("发货方案已提交"),
                "workorder.tech_responded": _("技术已响应"),
            }
        )
        register_key_labels(
            {
                "workorder": _("工单"),
                "workorder_type": _("工单类型"),
                "party": _("确认方"),
                "assignee": _("处理人"),
                "previous": _("原处理人"),
                "state": _("状态"),
                "files": _("证据文件"),
                "file": _("文件"),
            }
        )
