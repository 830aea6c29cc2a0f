from datetime import datetime, time

from django.apps import AppConfig


class CustomersConfig(AppConfig):
    """Customers: the company pool with claims and automatic release, notes, tags, health, search."""

    name = "salesflow.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesflow.core import records
        from salesflow.core.labels import register_event_labels, register_key_labels, register_value_labeler
        from salesflow.core.views import register_today_section
        from salesflow.core.worker import register_periodic
        from salesflow.customers import actions, selectors, views  # noqa: F401  (actions registers release_to_pool)
        from salesflow.customers.models import Customer, CustomerGrant

        records.register(
            "customer",
            Customer,
            visible_to=selectors.customers_visible_to,
            label="客户",
            detail_url_name="customer-detail",
        )
        # The pack's `customer_grant_expiry` timer runs on grants (subject `customer_grant`).
        records.register(
            "customer_grant",
            CustomerGrant,
            visible_to=selectors.grants_visible_to,
            owner_of=lambda grant: grant.customer.owner,
            label="临时授权",
        )
        register_periodic("customers.nightly", nightly_tick)
        register_today_section(views.today_section)
        register_key_labels(
            {
                "via": _("方式"),
                "ordered_on": _("下单日期"),
                "converted": _("已转化"),
                "tag": _("标签"),
                "grantee": _("被授权人"),
                "scope": _("授权范围"),
                "expires_on": _("有效期至"),
            }
        )
        via = {"create": _("新建时认领"), "import": _("导入")}
        register_value_labeler("via", lambda code: str(via[code]) if code in via else None)
        register_event_labels(
            {
                "customer.created": "创建客户",
                "customer.claimed": "认领",
                "customer.released": "退回客户池",
                "customer.interaction_logged": "有效互动",
                "customer.handed_over": "交接",
                "customer.contact_added": "添加联系人",
                "customer.order_added": "新增订单",
                "customer.updated": "修改客户资料",
                "customer.contact_updated": "修改联系人",
                "customer.order_updated": "修改订单",
                "customer.tag_set": "设置标签",
                "customer.tag_proposed": "建议标签",
                "customer.note_added": "添加备注",
                "customer.lead_attached": "线索关联到客户",
                "customer.tag_dismissed": "忽略建议分级",
                "customer.access_granted": "临时授权",
                "customer.access_revoked": "撤销临时授权",
                "customer.access_expired": "临时授权到期",
                "grant.created": "临时授权",
                "grant.revoked": "撤销临时授权",
                "grant.expired": "临时授权到期",
            }
        )


def nightly_tick(now: datetime) -> bool:
    """Once a day after the pack's `customer_nightly_at` (local time): tag rules and health."""
    from salesflow.core import clock
    from salesflow.core.worker import run_once_per_day
    from salesflow.customers.services import customers_nightly
    from salesflow.rules.selectors import active_pack

    _number, pack = active_pack()
    at = time.fromisoformat(pack.settings.customer_nightly_at)
    if clock.to_local(now).time() < at:
        return False
    return run_once_per_day("customers.nightly", now, lambda: customers_nightly(now=now))
