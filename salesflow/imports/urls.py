from django.urls import path

from salesflow.imports import views

urlpatterns = [
    path("settings/import/", views.import_home, name="import-home"),
    path("settings/import/<int:job_id>/", views.import_job, name="import-job"),
    path("settings/import/<int:job_id>/skipped.xlsx", views.skipped_download, name="import-skipped"),
    path("customers/export.xlsx", views.export_customers, name="customer-export"),
    path("leads/export.xlsx", views.export_leads, name="lead-export"),
    path("opportunities/export.xlsx", views.export_opportunities, name="opportunity-export"),
    path("activities/export.xlsx", views.export_activities, name="activity-export"),
    path("settings/products/export.xlsx", views.export_products, name="product-export"),
    path("quotes/export.xlsx", views.export_quotes, name="quote-export"),
    path("contracts/export.xlsx", views.export_contracts, name="contract-export"),
    path("receivables/export.xlsx", views.export_receivables, name="receivables-export"),
    path("approvals/export.xlsx", views.export_approvals, name="approval-export"),
    path("workorders/export.xlsx", views.export_workorders, name="workorder-export"),
]
