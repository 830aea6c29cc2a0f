"""The cockpit's parts of the demo company, each in its own module (autodiscovery imports this
one): process actions for the heatmap, today's battle report and targets, spend and health."""

from salesflow.analytics import demo_battle, demo_health, demo_process  # noqa: F401  (they register parts)
