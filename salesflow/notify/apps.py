from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """In-app inbox, to-do cards, and delivery to e-mail, group robots and webhooks."""

    name = "salesflow.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from salesflow.core import records
        from salesflow.core.context_processors import register_shell_contributor
        from salesflow.core.labels import register_event_labels
        from salesflow.core.views import register_today_section
        from salesflow.notify import selectors, views
        from salesflow.notify.models import Task

        register_today_section(views.today_section)
        register_shell_contributor(views.shell_values)
        records.register("task", Task, visible_to=selectors.tasks_visible_to, owner_of=lambda t: t.assignee)
        register_event_labels(
            {
                "task.created": "创建待办",
                "task.completed": "完成待办",
                "channel.created": "添加通知渠道",
                "channel.updated": "修改通知渠道",
                "channel.deleted": "删除通知渠道",
            }
        )
