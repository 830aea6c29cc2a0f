from django.apps import AppConfig


class CustomersConfig(AppConfig):
    """Customers: the company pool with claims and automatic release, notes, tags, health, search."""

    name = "salesflow.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from salesflow.core import records
        from salesflow.core.labels import register_event_labels
        from salesflow.customers import actions, selectors  # noqa: F401  (registers the release action)
        from salesflow.customers.models import Customer

        records.register(
            "customer",
            Customer,
            visible_to=selectors.customers_visible_to,
            label="客户",
            detail_url_name="customer-detail",
        )
        register_event_labels(
            {
                "customer.created": "创建客户",
                "customer.claimed": "认领",
                "customer.released": "退回客户池",
                "customer.interaction_logged": "有效互动",
                "customer.handed_over": "交接",
                "customer.contact_added": "添加联系人",
                "customer.order_added": "新增订单",
                "customer.tag_set": "设置标签",
                "customer.tag_proposed": "建议标签",
                "customer.note_added": "添加备注",
                "customer.lead_attached": "线索关联到客户",
            }
        )
