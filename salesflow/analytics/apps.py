from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """The management cockpit (看板): funnel, conversion, dwell and results, with drill-down."""

    name = "salesflow.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesflow.analytics import health_setup
        from salesflow.analytics.targets import may_open_targets
        from salesflow.core.context_processors import SettingsTab, register_settings_tab

        health_setup.install()
        register_settings_tab(
            SettingsTab(
                key="targets",
                label=_("销售目标"),
                url_name="targets",
                order=25,
                purpose=_("按月设置团队与个人的签约目标，看完成率；可沿用上月。"),
                icon="ti-target-arrow",
                allowed=may_open_targets,
            )
        )
