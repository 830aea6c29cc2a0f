from django.urls import path

from salesflow.calendars import views

urlpatterns = [
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/feed/reset/", views.feed_reset, name="calendar-feed-reset"),
    path("cal/<str:token>.ics", views.feed, name="calendar-feed"),
]
