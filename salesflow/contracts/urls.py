from django.urls import path

from salesflow.contracts import views

urlpatterns = [
    path("contracts/", views.contract_list, name="contract-list"),
    path("contracts/new/", views.contract_create, name="contract-create"),
    path("contracts/<int:contract_id>/", views.contract_detail, name="contract-detail"),
    path("contracts/<int:contract_id>/edit/", views.contract_edit, name="contract-edit"),
    path("contracts/<int:contract_id>/plan/", views.contract_plan, name="contract-plan"),
    path("contracts/<int:contract_id>/review/", views.contract_review, name="contract-review"),
    path("contracts/<int:contract_id>/sign/", views.contract_sign, name="contract-sign"),
    path("contracts/<int:contract_id>/signed.pdf", views.contract_signed_pdf, name="contract-signed-pdf"),
    path("contracts/<int:contract_id>/deliver/", views.contract_deliver, name="contract-deliver"),
    path("contracts/<int:contract_id>/complete/", views.contract_complete, name="contract-complete"),
    path("contracts/<int:contract_id>/terminate/", views.contract_terminate, name="contract-terminate"),
    path("instalments/<int:instalment_id>/request/", views.instalment_request, name="instalment-request"),
    path("instalments/<int:instalment_id>/receive/", views.instalment_receive, name="instalment-receive"),
    path(
        "instalments/<int:instalment_id>/reschedule/",
        views.instalment_reschedule,
        name="instalment-reschedule",
    ),
    path("receivables/", views.receivables, name="receivables"),
]
