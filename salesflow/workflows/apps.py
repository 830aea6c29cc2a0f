from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    """Cross-app flows (lead conversion, handover) in one place, above the apps they span."""

    name = "salesflow.workflows"
    label = "workflows"
    verbose_name = "Workflows"
