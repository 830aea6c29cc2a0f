from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """The management cockpit (看板): funnel, conversion, dwell and results, with drill-down."""

    name = "salesflow.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from salesflow.analytics import health_setup, rollup_setup

        health_setup.install()
        rollup_setup.install()
