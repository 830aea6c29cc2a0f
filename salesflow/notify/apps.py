from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    """In-app inbox, to-do cards, and delivery to e-mail, group robots and webhooks."""

    name = "salesflow.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from salesflow.core import records
        from salesflow.core.context_processors import (
            SettingsTab,
            everyone,
            register_settings_tab,
            register_shell_contributor,
        )
        from salesflow.core.labels import register_event_labels
        from salesflow.core.views import register_today_section
        from salesflow.notify import selectors, views
        from salesflow.notify.models import Channel, Task

        post_save.connect(
            selectors.forget_enabled_channels, sender=Channel, dispatch_uid="notify.channels.saved"
        )
        post_delete.connect(
            selectors.forget_enabled_channels, sender=Channel, dispatch_uid="notify.channels.deleted"
        )
        register_today_section(views.today_section)
        register_shell_contributor(views.shell_values)
        # Everyone configures their own channels; the page shows team channels read-only.
        register_settings_tab(
            SettingsTab(
                key="channels",
                label=_("通知渠道"),
                url_name="channels",
                order=60,
                purpose=_("把提醒发到邮箱、企业微信/钉钉群机器人或 Webhook。"),
                icon="ti-send",
                allowed=everyone,
            )
        )
        records.register("task", Task, visible_to=selectors.tasks_visible_to, owner_of=lambda t: t.assignee)
        register_event_labels(
            {
                "notification.sent": _("发送通知"),
                "task.created": _("创建待办"),
                "task.completed": _("完成待办"),
                "record.task_completed": _("处理待办"),
                "record.read_through_task": _("通过待办查看"),
                "channel.created": _("添加通知渠道"),
                "channel.updated": _("修改通知渠道"),
                "channel.deleted": _("删除通知渠道"),
            }
        )
