from django.urls import path

from salesflow.workorders import views

urlpatterns = [
    path("workorders/", views.my_workorders, name="workorder-mine"),
    path("workorders/new/", views.raise_form, name="workorder-new"),
    path("workorders/queues/<slug:department>/", views.queue, name="workorder-queue"),
    path("workorders/<int:workorder_id>/", views.detail, name="workorder-detail"),
    path(
        "workorders/<int:workorder_id>/files/<int:attachment_id>/",
        views.attachment_file,
        name="workorder-file",
    ),
    path("workorders/<int:workorder_id>/acknowledge/", views.acknowledge, name="workorder-acknowledge"),
    path("workorders/<int:workorder_id>/assign/", views.assign, name="workorder-assign"),
    path("workorders/<int:workorder_id>/attach/", views.attach, name="workorder-attach"),
    path("workorders/<int:workorder_id>/advance/", views.advance, name="workorder-advance"),
    path("workorders/<int:workorder_id>/comment/", views.comment, name="workorder-comment"),
    path("workorders/<int:workorder_id>/close/", views.close, name="workorder-close"),
]
