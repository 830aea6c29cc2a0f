"""The pack's `approval_chains`: the default special-quote chain and validation with error paths."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from salesflow.rules import packs


def test_the_default_chain_is_manager_finance_then_gm_above_the_packs_thresholds() -> None:
    pack = packs.load_default()
    chain = pack.chain("special_quote")
    assert chain is not None and chain.subject == "quote"
    assert [(s.code, s.approver) for s in chain.steps] == [
        ("regional_manager", "manager"),
        ("finance", "role:finance"),
        ("general_manager", "role:gm"),
    ]
    assert chain.steps[2].condition == {
        "any": [
            {"field": "facts.discount_pct", "op": "gt", "value": 20},
            {"field": "facts.amount", "op": "gt", "value": 500000},
        ]
    }
    policy = pack.policy("approval_step_sla")
    assert policy is not None and policy.subject == "approval_step"
    assert policy.start_events == ["approval.step_opened"] and policy.stop_events == ["approval.step_decided"]
    assert [s.recipients for s in policy.steps] == [["owner"], ["owner_manager"]]
    assert all(s.sla_policy == "approval_step_sla" for s in chain.steps)


def test_validate_names_the_path_of_each_chain_error(tmp_path: Path) -> None:
    document = packs.to_document(packs.load_default())
    steps = document["approval_chains"][0]["steps"]
    steps[0]["approver"] = "boss"
    steps[1]["sla_policy"] = "lead_unread"  # a policy of leads, not of approval steps
    steps[2]["condition"] = {"field": "facts.discount", "op": "gt", "value": 20}  # not a declared fact
    steps.append({"code": "finance", "name": "重复", "approver": "manager", "sla_policy": "nope"})
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    errors = StringIO()
    with pytest.raises(CommandError):
        call_command("rules", "validate", str(path), stdout=StringIO(), stderr=errors)
    lines = errors.getvalue().splitlines()
    assert any(
        line.startswith("approval_chains[0].steps[0].approver: “boss” is not an approver") for line in lines
    )
    assert (
        "approval_chains[0].steps[1].sla_policy: “lead_unread” is not a policy of subject approval_step"
        in lines
    )
    assert "approval_chains[0].steps[2].condition.field: unknown field “facts.discount”" in lines
    assert "approval_chains[0].steps[3].sla_policy: no SLA policy “nope” in this pack" in lines


def test_a_number_fact_compared_with_text_is_refused() -> None:
    document = packs.to_document(packs.load_default())
    document["approval_chains"][0]["steps"][2]["condition"] = {
        "field": "facts.amount",
        "op": "contains",
        "value": 5,
    }
    with pytest.raises(packs.PackInvalid) as err:
        packs.validate(document)
    assert any(e.startswith("approval_chains[0].steps[2].condition.op:") for e in err.value.errors)


def test_duplicate_step_codes_are_refused() -> None:
    document = packs.to_document(packs.load_default())
    steps = document["approval_chains"][0]["steps"]
    steps.append({**steps[1], "name": "再次财务审批"})
    with pytest.raises(packs.PackInvalid) as err:
        packs.validate(document)
    assert "approval_chains[0]: duplicate step codes: finance" in err.value.errors
