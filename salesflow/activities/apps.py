from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    """Logged interactions; effective contacts stop response timers."""

    name = "salesflow.activities"
    label = "activities"
    verbose_name = "Activities"

    def ready(self) -> None:
        from salesflow.core.labels import register_event_labels

        register_event_labels({"activity.logged": "记录跟进", "lead.contacted": "首次有效联系"})
