from django.urls import path

from salesflow.analytics import views, views_health

urlpatterns = [
    path("dashboards/", views.cockpit_page, name="cockpit"),
    path("dashboards/drill/", views.drill_page, name="cockpit-drill"),
    path("dashboards/drill/export.xlsx", views.drill_export, name="cockpit-drill-export"),
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
]
