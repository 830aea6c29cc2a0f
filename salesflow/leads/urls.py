from django.urls import path

from salesflow.leads import views

urlpatterns = [
    path("leads/", views.lead_list, name="lead-list"),
    path("leads/pool/", views.pool_page, name="lead-pool"),
    path("leads/<int:lead_id>/", views.lead_detail, name="lead-detail"),
    path("leads/<int:lead_id>/claim/", views.claim, name="lead-claim"),
    path("leads/<int:lead_id>/reassign/", views.reassign, name="lead-reassign"),
    path("leads/<int:lead_id>/convert/", views.convert, name="lead-convert"),
    path("settings/forms/", views.forms_page, name="lead-forms"),
    path("settings/assignment/", views.assignment_page, name="lead-assignment"),
]
