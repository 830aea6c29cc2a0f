from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    """月度流程复盘: the agenda the escalation ladders fill, discussed and decided by the meeting."""

    name = "salesflow.reviews"
    label = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesflow.core.context_processors import register_shell_contributor
        from salesflow.core.labels import register_event_labels, register_key_labels, register_value_labeler
        from salesflow.reviews import subjects, views

        subjects.install()
        register_shell_contributor(views.shell_values)
        register_event_labels(
            {
                "review.discussed": _("复盘会已讨论"),
                "review.undiscussed": _("复盘会取消“已讨论”"),
                "review.decided": _("复盘会形成决议"),
            }
        )
        register_key_labels({"meeting": _("会议"), "resolution": _("决议"), "decision_owner": _("责任人")})
        register_value_labeler("meeting", _meeting_label)


def _meeting_label(code: str) -> str | None:
    from salesflow.rules.selectors import active_pack

    found = active_pack()[1].meeting(code)
    return found.label if found is not None else None
