"""The cockpit's parts of the demo company, each in its own module (autodiscovery imports this
one): process actions for the heatmap, today's battle report and targets, a year of deal flow
and targets for the forecast, spend and health."""

from salesflow.analytics import (  # noqa: F401  (they register parts)
    demo_battle,
    demo_forecast,
    demo_health,
    demo_process,
)
