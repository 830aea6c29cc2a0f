from django.apps import AppConfig


class RulesConfig(AppConfig):
    """Rule packs, conditions, actions, the engine and simulation."""

    name = "salesflow.rules"
    label = "rules"
    verbose_name = "Rules"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesflow.core import events, records
        from salesflow.core.context_processors import (
            SettingsTab,
            everyone,
            register_settings_tab,
            register_shell_contributor,
        )
        from salesflow.core.labels import (
            register_event_labels,
            register_fallback_labeler,
            register_key_labels,
            register_value_labeler,
        )
        from salesflow.rules import engine, selectors
        from salesflow.rules.models import RulePackVersion
        from salesflow.rules.permissions import can_edit_rules
        from salesflow.timers import sweeper
        from salesflow.timers.calendar import register_calendar_source

        events.subscribe(engine.on_event)
        register_calendar_source(selectors.company_calendar)
        register_event_labels({"record.frozen": _("冻结"), "record.unfrozen": _("解除冻结")})
        # Codes of the pack's dictionaries read as their labels wherever a payload or a
        # history row carries them under the dictionary's code (customer_tier, need_point …).
        register_fallback_labeler(selectors.dictionary_label)
        register_value_labeler("dictionary", selectors.dictionary_name)
        register_value_labeler("rule", selectors.rule_reference_label)
        register_value_labeler("policy", selectors.policy_name)
        scopes = {"quoting": _("报价")}
        register_value_labeler("scope", lambda code: str(scopes[code]) if code in scopes else None)
        register_key_labels({"rule": _("规则"), "scope": _("冻结范围"), "policy": _("时限")})
        sweeper.register_step_handler(engine.fire_step)
        records.register(
            "rulepack",
            RulePackVersion,
            visible_to=lambda user: selectors.versions(),
            owner_of=lambda v: None,
        )
        # Pages show their edit buttons to rule editors only.
        register_shell_contributor(lambda request: {"can_edit_rules": can_edit_rules(request.user)})
        tabs = [
            ("rules", _("规则"), "rules-home", _("时限、升级与自动化规则，以及最近的触发记录。"), everyone),
            (
                "simulate",
                _("规则模拟"),
                "rules-simulate",
                _("用过去的事件回放草稿规则，看它会提醒谁。"),
                can_edit_rules,
            ),
            ("versions", _("规则版本"), "rules-versions", _("规则包的历次版本、差异与回滚。"), everyone),
        ]
        icons = {"rules": "ti-bolt", "simulate": "ti-player-play", "versions": "ti-history"}
        for order, (key, label, url_name, purpose, allowed) in enumerate(tabs, start=2):
            register_settings_tab(
                SettingsTab(key, label, url_name, order * 10, purpose, icons[key], allowed=allowed)
            )
