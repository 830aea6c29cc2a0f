from django.apps import AppConfig


class TimersConfig(AppConfig):
    """SLA timers as rows, the working calendar, and the exactly-once sweeper."""

    name = "salesflow.timers"
    label = "timers"
    verbose_name = "Timers"

    def ready(self) -> None:
        from datetime import datetime

        from django.utils.translation import gettext_lazy as _

        from salesflow.core.context_processors import SettingsTab, everyone, register_settings_tab
        from salesflow.core.labels import register_event_labels
        from salesflow.core.worker import register_periodic
        from salesflow.timers import sweeper

        def sweep_due(now: datetime) -> object:
            return sweeper.sweep(now=now, max_batches=10)

        register_periodic("timers.sweep", sweep_due)
        # Everyone reads the calendar; the page itself lets only the ops admin change days.
        register_settings_tab(
            SettingsTab(
                key="calendar",
                label=_("工作日历"),
                url_name="calendar",
                order=50,
                purpose=_("法定节假日与调休；按工作日计算的时限以此为准。"),
                icon="ti-calendar",
                allowed=everyone,
            )
        )
        register_event_labels(
            {
                "timer.started": "开始计时",
                "timer.stopped": "停止计时",
                "calendar.day_set": "修改工作日历",
            }
        )
