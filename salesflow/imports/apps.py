from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Excel import (dry run, skipped-row workbooks) and export of customers, contacts, orders, leads."""

    name = "salesflow.imports"
    label = "imports"
    verbose_name = "Imports"
