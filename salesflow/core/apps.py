from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting plumbing: clock, events, record registry, demo and worker hooks."""

    name = "salesflow.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from salesflow.core.history import cache_history_managers

        cache_history_managers()
