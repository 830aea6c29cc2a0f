from django.urls import path

from salesflow.leads import views

urlpatterns = [
    path("leads/", views.lead_list, name="lead-list"),
    path("leads/new/", views.lead_new, name="lead-new"),
    path("leads/pool/", views.pool_page, name="lead-pool"),
    path("leads/<int:lead_id>/", views.lead_detail, name="lead-detail"),
    path("leads/<int:lead_id>/claim/", views.claim, name="lead-claim"),
    path("leads/<int:lead_id>/reassign/", views.reassign, name="lead-reassign"),
    path("leads/<int:lead_id>/convert/", views.convert, name="lead-convert"),
    # A website form as a page of its own (public; may be framed by other sites).
    path("f/<str:key>/", views.hosted_form, name="hosted-form"),
    path("settings/forms/", views.forms_page, name="lead-forms"),
    path("settings/assignment/", views.assignment_page, name="lead-assignment"),
]
