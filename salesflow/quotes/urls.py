from django.urls import path

from salesflow.quotes import views, views_share

urlpatterns = [
    path("quotes/", views.quote_list, name="quote-list"),
    path("quotes/new/", views.quote_create, name="quote-create"),
    path("quotes/<int:quote_id>/", views.quote_detail, name="quote-detail"),
    path("quotes/<int:quote_id>/edit/", views.quote_edit, name="quote-edit"),
    path("quotes/<int:quote_id>/send/", views.quote_send, name="quote-send"),
    path("quotes/<int:quote_id>/versions/<int:number>.pdf", views.quote_pdf, name="quote-pdf"),
    path(
        "quotes/<int:quote_id>/versions/<int:number>/revoke/",
        views.quote_share_revoke,
        name="quote-share-revoke",
    ),
    path("quotes/<int:quote_id>/revise/", views.quote_revise, name="quote-revise"),
    path("quotes/<int:quote_id>/submit/", views.quote_submit, name="quote-submit"),
    path("quotes/<int:quote_id>/feedback/", views.quote_feedback, name="quote-feedback"),
    path("quotes/<int:quote_id>/attachments/", views.quote_attach, name="quote-attach"),
    path("quotes/templates/<slug:code>.xlsx", views.document_template, name="quote-document-template"),
    path("q/<str:token>/", views_share.share_page, name="quote-share"),
    path("q/<str:token>/pdf", views_share.share_pdf, name="quote-share-pdf"),
    path("q/<str:token>/read", views_share.share_beacon, name="quote-share-beacon"),
]
