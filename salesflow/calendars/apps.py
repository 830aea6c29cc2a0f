"""日历 (calendars): per person and per team, and a secret iCalendar feed per user."""

from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    """The calendar app; its label is `calendars` (`calendar` would shadow the standard library)."""

    name = "salesflow.calendars"
    label = "calendars"
    verbose_name = "日历"

    def ready(self) -> None:
        # The built-in entry sources register themselves on import.
        from salesflow.calendars import sources  # noqa: F401
