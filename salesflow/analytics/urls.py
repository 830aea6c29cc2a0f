from django.urls import path

from salesflow.analytics import views

urlpatterns = [
    path("dashboards/", views.cockpit_page, name="cockpit"),
    path("dashboards/drill/", views.drill_page, name="cockpit-drill"),
    path("dashboards/drill/export.xlsx", views.drill_export, name="cockpit-drill-export"),
]
