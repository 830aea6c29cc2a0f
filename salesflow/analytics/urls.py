from django.urls import path

from salesflow.analytics import (
    views,
    views_battle,
    views_forecast,
    views_health,
    views_process,
    views_targets,
)

urlpatterns = [
    path("dashboards/", views.cockpit_page, name="cockpit"),
    path("dashboards/drill/", views.drill_page, name="cockpit-drill"),
    path("dashboards/drill/export.xlsx", views.drill_export, name="cockpit-drill-export"),
    path("dashboards/heatmap/", views_process.heatmap_page, name="heatmap"),
    path("dashboards/heatmap/actions/", views_process.heatmap_actions, name="heatmap-actions"),
    path(
        "dashboards/heatmap/actions/export.xlsx",
        views_process.heatmap_actions_export,
        name="heatmap-actions-export",
    ),
    path("dashboards/efficiency/", views_process.efficiency_page, name="efficiency"),
    path("dashboards/health/", views_health.health_page, name="health-dashboard"),
    path("dashboards/health/playbook/<slug:code>/", views_health.playbook_edit, name="health-playbook"),
    path("dashboards/attribution/", views_health.attribution_page, name="attribution-dashboard"),
    path("dashboards/attribution/spend/", views_health.spend_page, name="attribution-spend"),
    path("dashboards/attribution/spend/import/", views_health.spend_import, name="attribution-spend-import"),
    path(
        "dashboards/attribution/spend/export.xlsx", views_health.spend_export, name="attribution-spend-export"
    ),
    path(
        "dashboards/attribution/spend/<int:spend_id>/delete/",
        views_health.spend_delete,
        name="attribution-spend-delete",
    ),
    path("settings/targets/", views_targets.targets_page, name="targets"),
    # 漏斗数字孪生
    path("dashboards/forecast/", views_forecast.forecast_page, name="forecast"),
    path("dashboards/forecast/backtest/", views_forecast.backtest_page, name="forecast-backtest"),
    path("settings/forecast-signals/", views_forecast.signals_page, name="forecast-signals"),
    path(
        "settings/forecast-signals/<int:signal_id>/delete/",
        views_forecast.signal_delete,
        name="forecast-signal-delete",
    ),
    # 今日战报
    path("battle/", views_battle.battle_page, name="battle"),
    path("battle/panels/", views_battle.battle_panels, name="battle-panels"),
    path("battle/links/", views_battle.tv_links_page, name="battle-links"),
    path("battle/links/<int:link_id>/revoke/", views_battle.tv_link_revoke, name="battle-link-revoke"),
    path("tv/<str:token>/", views_battle.tv_page, name="battle-tv"),
    path("tv/<str:token>/panels/", views_battle.tv_panels, name="battle-tv-panels"),
]
