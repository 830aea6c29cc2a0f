from django.urls import path

from salesflow.pipeline import views

urlpatterns = [
    path("opportunities/", views.pipeline_board, name="pipeline-board"),
    path("opportunities/list/", views.opportunity_list, name="opportunity-list"),
    path("opportunities/<int:opportunity_id>/", views.opportunity_detail, name="opportunity-detail"),
    path(
        "opportunities/<int:opportunity_id>/advance/", views.opportunity_advance, name="opportunity-advance"
    ),
    path("opportunities/<int:opportunity_id>/close/", views.opportunity_close, name="opportunity-close"),
    path("opportunities/<int:opportunity_id>/evidence/", views.evidence_upload, name="opportunity-evidence"),
    path("opportunities/<int:opportunity_id>/visits/", views.visit_new, name="opportunity-visit-new"),
    path("evidence/<int:evidence_id>/file/", views.evidence_file, name="evidence-file"),
    path("evidence/<int:evidence_id>/delete/", views.evidence_remove, name="evidence-delete"),
    path("visits/<str:code>/", views.visit_package, name="visit-package"),
    path("v/<str:code>/", views.visit_page, name="visit-page"),
    path("v/<str:code>/evidence/", views.visit_evidence, name="visit-evidence"),
    path("v/<str:code>/complete/", views.visit_finish, name="visit-complete"),
]
