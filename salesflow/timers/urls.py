from django.urls import path

from salesflow.timers import views

urlpatterns = [path("settings/calendar/", views.calendar_page, name="calendar")]
