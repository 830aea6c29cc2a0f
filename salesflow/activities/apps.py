from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    """Logged interactions; effective contacts stop response timers."""

    name = "salesflow.activities"
    label = "activities"
    verbose_name = "Activities"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesflow.activities.models import ActivityKind
        from salesflow.activities.selectors import effective_interactions_since
        from salesflow.core.labels import register_event_labels, register_key_labels, register_value_labeler
        from salesflow.customers.services import register_interaction_counter

        register_interaction_counter(effective_interactions_since)

        register_event_labels({"activity.logged": "记录跟进", "lead.contacted": "首次有效联系"})
        register_key_labels({"effective": _("有效接触"), "duration_seconds": _("时长"), "first": _("首次")})
        register_value_labeler("kind", lambda code: str(dict(ActivityKind.choices).get(code, "")) or None)
