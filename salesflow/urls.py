"""URL map: pages, the REST API under /api/, health check, admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import RedirectView

from salesflow.api import api
from salesflow.core import error_views
from salesflow.core import views as core_views
from salesflow.org import views as org_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="today", permanent=False)),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("login/", org_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("today/", core_views.today, name="today"),
    # The old placeholder of 工单 now opens 我的工单.
    path(
        "m/workorders/",
        login_required(RedirectView.as_view(pattern_name="workorder-mine", permanent=False)),
    ),
    path("m/<slug:module>/", core_views.module_home, name="module-home"),
    path("settings/", org_views.settings_home, name="settings"),
    path("settings/users/<int:user_id>/", org_views.user_detail, name="user-detail"),
    path(
        "records/<slug:record_type>/<int:record_id>/timeline/",
        core_views.record_timeline,
        name="record-timeline",
    ),
    path(
        "records/<slug:record_type>/<int:record_id>/history/",
        core_views.record_history,
        name="record-history",
    ),
    path("settings/rules/", include("salesflow.rules.urls")),
    path("", include("salesflow.notify.urls")),
    path("", include("salesflow.timers.urls")),
    path("", include("salesflow.leads.urls")),
    path("", include("salesflow.imports.urls")),
    path("", include("salesflow.customers.urls")),
    path("", include("salesflow.pipeline.urls")),
    path("", include("salesflow.catalog.urls")),
    path("", include("salesflow.approvals.urls")),
    path("", include("salesflow.quotes.urls")),
    path("", include("salesflow.contracts.urls")),
    path("", include("salesflow.workorders.urls")),
    path("", include("salesflow.activities.urls")),
    path("", include("salesflow.workflows.urls")),
    path("", include("salesflow.analytics.urls")),
    path("", include("salesflow.calendars.urls")),
    path("", include("salesflow.reviews.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

handler403 = error_views.permission_denied
handler404 = error_views.page_not_found
handler500 = error_views.server_error
