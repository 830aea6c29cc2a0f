from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    """Logged interactions; effective contacts stop response timers."""

    name = "salesflow.activities"
    label = "activities"
    verbose_name = "Activities"

    def ready(self) -> None:
        from salesflow.activities.selectors import effective_interactions_since
        from salesflow.core.labels import register_event_labels
        from salesflow.customers.services import register_interaction_counter

        register_interaction_counter(effective_interactions_since)

        register_event_labels({"activity.logged": "记录跟进", "lead.contacted": "首次有效联系"})
