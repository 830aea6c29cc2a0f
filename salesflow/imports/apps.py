from datetime import datetime

from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Excel import (dry run, skipped-row workbooks) and export of customers, contacts, orders, leads."""

    name = "salesflow.imports"
    label = "imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        from salesflow.core.worker import register_periodic

        register_periodic("imports.housekeeping", housekeeping_tick)


def housekeeping_tick(now: datetime) -> bool:
    """Once a day: fail import jobs a crash abandoned and delete workbooks past retention."""
    from salesflow.core.worker import run_once_per_day
    from salesflow.imports.services import import_jobs_housekeep

    return run_once_per_day("imports.housekeeping", now, lambda: import_jobs_housekeep(now=now))
