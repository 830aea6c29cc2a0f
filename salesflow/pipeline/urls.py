from django.urls import path

from salesflow.pipeline import views

urlpatterns = [
    path("opportunities/<int:opportunity_id>/", views.opportunity_detail, name="opportunity-detail"),
]
