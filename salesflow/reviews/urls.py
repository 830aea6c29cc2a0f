from django.urls import path

from salesflow.reviews import views

urlpatterns = [
    path("reviews/", views.review_home, name="review-home"),
    path("reviews/items/<int:item_id>/discuss/", views.review_discuss, name="review-discuss"),
    path("reviews/items/<int:item_id>/decide/", views.review_decide, name="review-decide"),
    path("reviews/<slug:meeting>/", views.review_meeting, name="review-meeting"),
    path("reviews/<slug:meeting>/minutes.xlsx", views.minutes_xlsx, name="review-minutes-xlsx"),
    path("reviews/<slug:meeting>/minutes.pdf", views.minutes_pdf, name="review-minutes-pdf"),
]
