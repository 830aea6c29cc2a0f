from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """The management cockpit (看板): funnel, conversion, dwell and results, with drill-down."""

    name = "salesflow.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesflow.analytics import battle_money, health_setup, rollup_setup
        from salesflow.analytics.forecast_services import may_edit_signals
        from salesflow.analytics.targets import may_open_targets
        from salesflow.core.context_processors import SettingsTab, register_settings_tab
        from salesflow.core.labels import register_event_labels

        health_setup.install()
        rollup_setup.install()
        battle_money.install()
        # The forecast's milestone events (pack `forecast.milestones`), recorded by the approvals
        # and contracts apps.
        register_event_labels({"approval.approved": _("审批已通过")})
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
        register_settings_tab(
            SettingsTab(
                key="forecast_signals",
                label=_("外部信号"),
                url_name="forecast-signals",
                order=95,
                purpose=_("录入政策、原材料价格等外部信号，调整预测中某产品线的赢率。"),
                icon="ti-antenna-bars-5",
                allowed=may_edit_signals,
            )
        )
