from django.urls import path

from salesflow.notify import views

urlpatterns = [
    path("notifications/", views.inbox, name="inbox"),
    path(
        "notifications/<int:notification_id>/read/",
        views.notification_read,
        name="notification-read",
    ),
    path("notifications/read-all/", views.notifications_read_all, name="notifications-read-all"),
    path("tasks/<int:task_id>/done/", views.task_done, name="task-done"),
    path("settings/channels/", views.channels, name="channels"),
    path("settings/channels/allowed-targets/", views.allowance_add, name="allowance-add"),
    path(
        "settings/channels/allowed-targets/<int:allowance_id>/delete/",
        views.allowance_delete,
        name="allowance-delete",
    ),
    path("settings/channels/<int:channel_id>/edit/", views.channel_edit, name="channel-edit"),
    path("settings/channels/<int:channel_id>/delete/", views.channel_delete, name="channel-delete"),
    path("settings/channels/<int:channel_id>/test/", views.channel_test, name="channel-test"),
]
