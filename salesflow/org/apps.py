from django.apps import AppConfig


class OrgConfig(AppConfig):
    """Users, teams, roles, reporting lines, skills, leave and API tokens."""

    name = "salesflow.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesflow.core import records
        from salesflow.core.context_processors import SettingsTab, everyone, register_settings_tab
        from salesflow.core.labels import register_key_labels, register_value_labeler
        from salesflow.core.views import register_today_section
        from salesflow.org import selectors, views
        from salesflow.org.choices import Role, TeamKind
        from salesflow.org.models import Team, User

        records.register(
            "user",
            User,
            visible_to=selectors.user_records_visible_to,
            detail_url_name="user-detail",
            # A person's own record (leave, workload, skills) is theirs to answer for.
            owner_of=lambda user: user,
        )
        records.register("team", Team, visible_to=selectors.teams_visible_to)
        roles, kinds = dict(Role.choices), dict(TeamKind.choices)
        register_value_labeler("role", lambda code: str(roles[code]) if code in roles else None)
        register_value_labeler("kind", lambda code: str(kinds[code]) if code in kinds else None)
        register_key_labels({"changes": _("修改")})
        register_today_section(views.today_start_section)
        register_settings_tab(
            SettingsTab(
                key="org",
                label=_("组织架构"),
                url_name="settings",
                order=10,
                purpose=_("团队与成员；打开自己和下属的资料、请假与工作量。"),
                icon="ti-sitemap",
                allowed=everyone,
            )
        )
