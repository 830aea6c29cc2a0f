from django.urls import path

from salesflow.activities import views

urlpatterns = [path("leads/<int:lead_id>/activities/", views.log_on_lead, name="lead-log-activity")]
