from django.urls import path

from salesflow.workflows import views

urlpatterns = [
    path("search/", views.search, name="search"),
]
