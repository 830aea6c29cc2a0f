"""Reading, validating and writing rule packs as YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from salesflow.rules import messages
from salesflow.rules.conditions import (
    ConditionError,
    check_shape,
    compile_condition,
    fact_fields,
    model_fields,
)
from salesflow.rules.schema import DEFAULT_MEETINGS, RulePack, format_errors

PACKS_DIR = Path(__file__).resolve().parent / "packs"
DEFAULT_PACK = PACKS_DIR / "default.yaml"


class PackInvalid(ValueError):
    """A pack that failed validation; `errors` lists every problem as `path: reason`."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def parse(text: str) -> RulePack:
    """Parse and validate YAML text; PackInvalid lists every error."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PackInvalid([f"not valid YAML: {exc}"]) from None
    return validate(data)


def validate(data: Any) -> RulePack:
    """Validate a parsed document: shape, durations and actions, then conditions and references.

    Both passes always run, so a pack with several kinds of mistakes gets them all listed.
    """
    if not isinstance(data, dict):
        raise PackInvalid(["the pack must be a mapping of sections"])
    errors: list[str] = []
    pack = None
    try:
        pack = RulePack.model_validate(data)
    except ValidationError as exc:
        errors.extend(format_errors(exc))
    errors.extend(e for e in _cross_check(data) if e not in errors)
    if errors or pack is None:
        raise PackInvalid(errors)
    return pack


def _items(data: dict[str, Any], section: str) -> list[dict[str, Any]]:
    value = data.get(section)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _cross_check(data: dict[str, Any]) -> list[str]:
    """What needs the whole pack or the installed models: conditions, tag values, references."""
    from salesflow.core import records

    errors: list[str] = []
    known_types = {t.name: t for t in records.registered_types()}
    dictionaries = {
        d.get("code"): {c.get("code") for c in d.get("choices") or [] if isinstance(c, dict)}
        for d in _items(data, "tag_dictionaries")
    }
    policies = {p.get("code"): p for p in _items(data, "sla_policies")}
    raw_meetings = data.get("meetings")
    meetings = set(raw_meetings) if isinstance(raw_meetings, dict) else set(DEFAULT_MEETINGS)

    def check_condition(subject: Any, tree: Any, path: str) -> None:
        if not tree:
            return
        rtype = known_types.get(subject)
        try:
            if rtype is None:
                # The app for this record type is not installed yet: check the tree's shape only.
                check_shape(tree, path=path)
            else:
                compile_condition(tree, model_fields(rtype.model), path=path)
        except ConditionError as exc:
            errors.append(f"{exc.path}: {exc.message}")

    def check_actions(actions: Any, path: str) -> None:
        for j, action in enumerate(actions if isinstance(actions, list) else []):
            if not isinstance(action, dict):
                continue
            raw_params = action.get("params")
            params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
            if action.get("type") == "set_tag":
                values = dictionaries.get(params.get("dictionary"))
                if values is None:
                    errors.append(
                        f"{path}.actions[{j}].params.dictionary: no tag dictionary "
                        f"“{params.get('dictionary')}” in this pack"
                    )
                elif params.get("value") not in values:
                    errors.append(
                        f"{path}.actions[{j}].params.value: “{params.get('value')}” "
                        f"is not a choice of {params.get('dictionary')}"
                    )
            if action.get("type") == "add_to_agenda":
                meeting = params.get("meeting", "monthly_process_review")
                if meeting not in meetings:
                    errors.append(
                        f"{path}.actions[{j}].params.meeting: no meeting “{meeting}” in this pack "
                        f"(meetings: {', '.join(sorted(meetings)) or '—'})"
                    )
            policy_ref = params.get("policy")
            if (
                action.get("type") in ("start_timer", "stop_timer")
                and policy_ref
                and policy_ref not in policies
            ):
                errors.append(f"{path}.actions[{j}].params.policy: no SLA policy “{policy_ref}” in this pack")

    for i, rule in enumerate(_items(data, "rules")):
        check_condition(rule.get("subject"), rule.get("condition"), f"rules[{i}].condition")
        check_actions(rule.get("actions"), f"rules[{i}]")
        errors.extend(messages.check_texts(rule.get("actions"), f"rules[{i}]", messages.RULE_PLACEHOLDERS))
        if isinstance(rule.get("message"), str):
            errors.extend(
                messages.check_text(rule["message"], f"rules[{i}].message", messages.RULE_PLACEHOLDERS)
            )
        trigger = str(rule.get("trigger") or "")
        if trigger.startswith("timer:"):
            policy_code, _, step = trigger.removeprefix("timer:").partition("/")
            steps = [s.get("name") for s in _items(policies.get(policy_code) or {}, "steps")]
            if step not in steps:
                errors.append(f"rules[{i}].trigger: no SLA step “{policy_code}/{step}” in this pack")
    for i, policy in enumerate(_items(data, "sla_policies")):
        for k, ladder_step in enumerate(_items(policy, "steps")):
            check_condition(
                policy.get("subject"),
                ladder_step.get("condition"),
                f"sla_policies[{i}].steps[{k}].condition",
            )
            check_actions(ladder_step.get("actions"), f"sla_policies[{i}].steps[{k}]")
            errors.extend(
                messages.check_texts(
                    ladder_step.get("actions"), f"sla_policies[{i}].steps[{k}]", messages.STEP_PLACEHOLDERS
                )
            )
    for i, chain in enumerate(_items(data, "approval_chains")):
        known = chain.get("facts") if isinstance(chain.get("facts"), dict) else {}
        for k, chain_step in enumerate(_items(chain, "steps")):
            path = f"approval_chains[{i}].steps[{k}]"
            tree = chain_step.get("condition")
            if tree:
                try:
                    compile_condition(tree, fact_fields(tree, known), path=f"{path}.condition")
                except ConditionError as exc:
                    errors.append(f"{exc.path}: {exc.message}")
            policy_ref = chain_step.get("sla_policy")
            if policy_ref and policy_ref not in policies:
                errors.append(f"{path}.sla_policy: no SLA policy “{policy_ref}” in this pack")
            elif policy_ref and policies[policy_ref].get("subject") != "approval_step":
                errors.append(f"{path}.sla_policy: “{policy_ref}” is not a policy of subject approval_step")
    chains = {c.get("code"): c for c in _items(data, "approval_chains")}
    for i, wo_type in enumerate(_items(data, "workorder_types")):
        path = f"workorder_types[{i}]"
        code = wo_type.get("code")
        for k, form_field in enumerate(_items(wo_type, "form")):
            ref = form_field.get("dictionary")
            if ref and ref not in dictionaries:
                errors.append(f"{path}.form[{k}].dictionary: no tag dictionary “{ref}” in this pack")
        chain_ref = wo_type.get("approval_chain")
        if chain_ref and chain_ref not in chains:
            errors.append(f"{path}.approval_chain: no approval chain “{chain_ref}” in this pack")
        elif chain_ref and chains[chain_ref].get("subject") != "workorder":
            errors.append(f"{path}.approval_chain: “{chain_ref}” is not a chain of subject workorder")
        refs = wo_type.get("sla_policies")
        for k, policy_ref in enumerate(refs if isinstance(refs, list) else []):
            found = policies.get(policy_ref)
            if found is None:
                errors.append(f"{path}.sla_policies[{k}]: no SLA policy “{policy_ref}” in this pack")
                continue
            if found.get("subject") != "workorder":
                errors.append(
                    f"{path}.sla_policies[{k}]: “{policy_ref}” is not a policy of subject workorder"
                )
            raw_starts = found.get("start_events")
            starts: list[Any] = raw_starts if isinstance(raw_starts, list) else []
            if not {"workorder.created", f"workorder.{code}_created"} & set(starts):
                errors.append(
                    f"{path}.sla_policies[{k}]: “{policy_ref}” starts on neither workorder.created "
                    f"nor workorder.{code}_created"
                )
    for i, tag_rule in enumerate(_items(data, "tag_rules")):
        values = dictionaries.get(tag_rule.get("tag"))
        if values is None:
            errors.append(f"tag_rules[{i}].tag: no tag dictionary “{tag_rule.get('tag')}” in this pack")
        elif tag_rule.get("value") not in values:
            value, tag = tag_rule.get("value"), tag_rule.get("tag")
            errors.append(f"tag_rules[{i}].value: “{value}” is not a choice of {tag}")
    return errors


def to_document(pack: RulePack) -> dict[str, Any]:
    """The canonical JSON-compatible form stored in the database and exported."""
    return pack.model_dump(mode="json")


def to_yaml(document: dict[str, Any]) -> str:
    """YAML a person can read: keys in schema order (JSONB does not keep order), Chinese as is."""
    ordered = RulePack.model_validate(document).model_dump(mode="json")
    return yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=100)


def load_default() -> RulePack:
    """The pack shipped with the product."""
    return parse(DEFAULT_PACK.read_text(encoding="utf-8"))
