from django.apps import AppConfig


class RulesConfig(AppConfig):
    """Rule packs, conditions, actions, the engine and simulation."""

    name = "salesflow.rules"
    label = "rules"
    verbose_name = "Rules"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesflow.core import events, records
        from salesflow.core.context_processors import register_shell_contributor
        from salesflow.core.labels import register_event_labels
        from salesflow.rules import engine, selectors
        from salesflow.rules.models import RulePackVersion
        from salesflow.rules.permissions import can_edit_rules
        from salesflow.timers import sweeper
        from salesflow.timers.calendar import register_calendar_source

        events.subscribe(engine.on_event)
        register_calendar_source(selectors.company_calendar)
        register_event_labels({"record.frozen": _("冻结"), "record.unfrozen": _("解除冻结")})
        sweeper.register_step_handler(engine.fire_step)
        records.register(
            "rulepack",
            RulePackVersion,
            visible_to=lambda user: selectors.versions(),
            owner_of=lambda v: None,
        )
        # The settings tabs hide the pages only rule editors may open (simulation, assignment).
        register_shell_contributor(lambda request: {"can_edit_rules": can_edit_rules(request.user)})
