from django.urls import path

from salesflow.approvals import views

urlpatterns = [
    path("approvals/", views.approval_list, name="approval-list"),
    path("approvals/delegations/", views.delegation_list, name="approval-delegations"),
    path(
        "approvals/delegations/<int:delegation_id>/delete/",
        views.delegation_delete,
        name="approval-delegation-delete",
    ),
    path("approvals/<int:request_id>/", views.approval_detail, name="approval-detail"),
    path("approvals/<int:request_id>/decide/", views.approval_decide, name="approval-decide"),
    path("approvals/<int:request_id>/withdraw/", views.approval_withdraw, name="approval-withdraw"),
]
