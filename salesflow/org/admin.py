from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from salesflow.org.forms import AdminLoginForm
from salesflow.org.models import LeavePeriod, Team, User

# The admin login says when the shared login throttle refused (the check is the backend's).
admin.site.login_form = AdminLoginForm


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """Admin for looking only: every change goes through services so events and rules apply."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(ReadOnlyHistoryAdmin):
    """People, for support staff to look up."""

    list_display = ["username", "display_name", "role", "team", "manager", "is_active"]
    list_filter = ["role", "team"]
    search_fields = ["username", "display_name", "phone"]
    exclude = ["password"]


admin.site.register(Team, ReadOnlyHistoryAdmin)
admin.site.register(LeavePeriod, ReadOnlyHistoryAdmin)
