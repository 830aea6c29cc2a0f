from django.urls import path

from salesflow.analytics import views, views_process

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
]
