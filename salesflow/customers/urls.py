from django.urls import path

from salesflow.customers import views

urlpatterns = [
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/new/", views.create_customer, name="customer-create"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer-detail"),
    path(
        "customers/<int:customer_id>/opportunities/",
        views.create_opportunity,
        name="customer-add-opportunity",
    ),
    path("customers/<int:customer_id>/claim/", views.claim, name="customer-claim"),
    path("customers/<int:customer_id>/release/", views.release, name="customer-release"),
    path("customers/<int:customer_id>/unfreeze/", views.unfreeze, name="customer-unfreeze"),
    path("customers/<int:customer_id>/notes/", views.add_note, name="customer-add-note"),
    path("customers/<int:customer_id>/contacts/", views.add_contact, name="customer-add-contact"),
    path("customers/<int:customer_id>/orders/", views.add_order, name="customer-add-order"),
    path("customers/<int:customer_id>/activities/", views.log_activity, name="customer-log-activity"),
    path("customers/<int:customer_id>/tags/confirm/", views.confirm_tag, name="customer-confirm-tag"),
    path("customers/<int:customer_id>/grants/", views.grant_create, name="customer-grant-create"),
    path(
        "customers/<int:customer_id>/grants/<int:grant_id>/revoke/",
        views.grant_revoke,
        name="customer-grant-revoke",
    ),
    path("settings/users/<int:user_id>/handover/", views.handover_page, name="user-handover"),
]
