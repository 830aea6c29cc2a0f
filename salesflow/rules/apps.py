from django.apps import AppConfig


class RulesConfig(AppConfig):
    """Rule packs, conditions, actions, the engine and simulation."""

    name = "salesflow.rules"
    label = "rules"
    verbose_name = "Rules"

    def ready(self) -> None:
        from salesflow.core import events, records
        from salesflow.core.context_processors import register_shell_contributor
        from salesflow.rules import engine, selectors
        from salesflow.rules.models import RulePackVersion
        from salesflow.rules.permissions import can_edit_rules
        from salesflow.timers import sweeper

        events.subscribe(engine.on_event)
        sweeper.register_step_handler(engine.fire_step)
        records.register(
            "rulepack",
            RulePackVersion,
            visible_to=lambda user: selectors.versions(),
            owner_of=lambda v: None,
        )
        # The settings tabs hide the pages only rule editors may open (simulation, assignment).
        register_shell_contributor(lambda request: {"can_edit_rules": can_edit_rules(request.user)})
