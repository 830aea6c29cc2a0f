from datetime import datetime

from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Excel import (dry run, skipped-row workbooks) and export of customers, contacts, orders, leads."""

    name = "salesflow.imports"
    label = "imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesflow.core.context_processors import SettingsTab, register_settings_tab
        from salesflow.core.worker import register_periodic
        from salesflow.imports.permissions import can_import

        register_periodic("imports.housekeeping", housekeeping_tick)
        register_settings_tab(
            SettingsTab(
                key="import",
                label=_("导入"),
                url_name="import-home",
                order=90,
                purpose=_("从 Excel 导入客户、联系人、订单与线索。"),
                icon="ti-file-import",
                allowed=can_import,
            )
        )


def housekeeping_tick(now: datetime) -> bool:
    """Once a day: fail import jobs a crash abandoned and delete workbooks past retention."""
    from salesflow.core.worker import run_once_per_day
    from salesflow.imports.services import import_jobs_housekeep

    return run_once_per_day("imports.housekeeping", now, lambda: import_jobs_housekeep(now=now))
