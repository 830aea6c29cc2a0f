from django.apps import AppConfig


class TimersConfig(AppConfig):
    """SLA timers as rows, the working calendar, and the exactly-once sweeper."""

    name = "salesflow.timers"
    label = "timers"
    verbose_name = "Timers"

    def ready(self) -> None:
        from datetime import datetime

        from salesflow.core.labels import register_event_labels
        from salesflow.core.worker import register_periodic
        from salesflow.timers import sweeper

        def sweep_due(now: datetime) -> object:
            return sweeper.sweep(now=now, max_batches=10)

        register_periodic("timers.sweep", sweep_due)
        register_event_labels(
            {
                "timer.started": "开始计时",
                "timer.stopped": "停止计时",
                "calendar.day_set": "修改工作日历",
            }
        )
