"""Rule packs: the default pack round-trips; invalid packs are refused whole; versions roll back."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from salesflow.rules import packs, selectors
from salesflow.rules.models import RulePackVersion


def test_default_pack_is_valid_and_carries_the_spec_numbers() -> None:
    pack = packs.load_default()
    after = {p.code: [s.after for s in p.steps] for p in pack.sla_policies}
    assert after["lead_unread"] == ["3m"]
    assert after["lead_first_contact"] == ["15m"]
    assert after["lead_follow_up"] == ["48h"]
    assert after["customer_commitment"] == ["5d", "7d"]
    assert after["opportunity_stall"] == ["5d"]
    assert after["tech_solution_breaker"] == ["5wd"]
    assert after["quote_follow_up"] == ["72h"]
    assert after["workorder_acknowledge"] == ["4wh", "8wh", "12wh"]
    ladder = pack.policy("workorder_acknowledge")
    assert ladder is not None
    assert [s.recipients for s in ladder.steps] == [
        ["owner_manager"],
        ["owner_manager", "role:coo"],
        ["role:coo"],
    ]
    assert ladder.steps[2].actions[0].type == "add_to_agenda"
    assert pack.lights.lead_red_without_follow_up == "48h"
    assert pack.contribution_points["payment_push"] == 30
    assert pack.tag_rules[0].min_single_amount == 50000


@pytest.mark.django_db
def test_default_pack_is_version_one_after_migrate() -> None:
    version = RulePackVersion.objects.get(is_active=True)
    assert version.number == 1
    assert version.document == packs.to_document(packs.load_default())


@pytest.mark.django_db
def test_export_validate_reimport_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "pack.yaml"
    call_command("rules", "export", "--out", str(out), stdout=StringIO())
    text = out.read_text(encoding="utf-8")
    assert "首次联系时限" in text  # Chinese kept readable, not escaped
    validated = StringIO()
    call_command("rules", "validate", str(out), stdout=validated)
    assert validated.getvalue().startswith("valid:")
    imported = StringIO()
    call_command("rules", "import", str(out), stdout=imported)
    assert "nothing changed" in imported.getvalue()
    assert RulePackVersion.objects.count() == 1
    assert packs.to_yaml(selectors.versions().get(number=1).document) == text


@pytest.mark.django_db
def test_invalid_pack_is_refused_whole_with_every_error(tmp_path: Path) -> None:
    document = packs.to_document(packs.load_default())
    document["sla_policies"][2]["steps"][0]["after"] = "15x"
    document["sla_policies"][0]["steps"][0]["recipients"] = ["boss"]
    document["rules"][0]["actions"][0]["type"] = "teleport"
    document["tag_rules"][0]["value"] = "z"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    errors = StringIO()
    with pytest.raises(CommandError, match="invalid rule pack"):
        call_command("rules", "import", str(path), stdout=StringIO(), stderr=errors)
    lines = errors.getvalue().splitlines()
    assert "sla_policies[2].steps[0].after: “15x” 不是时长：请填写如 15m、48h、5wd" in lines
    assert any(
        line.startswith("sla_policies[0].steps[0].recipients: “boss” is not a recipient") for line in lines
    )
    assert any(line.startswith("rules[0].actions[0]: unknown action type “teleport”") for line in lines)
    assert RulePackVersion.objects.count() == 1  # nothing changed


def test_validation_errors_collect_across_sections() -> None:
    document = packs.to_document(packs.load_default())
    document["tag_rules"][0]["value"] = "z"
    # A rule about people (subject user): their seniority is a number, “lots” is not.
    index = next(i for i, r in enumerate(document["rules"]) if r["code"] == "leave_notice_to_manager")
    document["rules"][index]["condition"] = {"field": "seniority", "op": "gt", "value": "lots"}
    with pytest.raises(packs.PackInvalid) as err:
        packs.validate(document)
    assert "tag_rules[0].value: “z” is not a choice of customer_class" in err.value.errors
    assert any(e.startswith(f"rules[{index}].condition.value:") for e in err.value.errors)


def test_broken_yaml_is_one_clear_error() -> None:
    with pytest.raises(packs.PackInvalid) as err:
        packs.parse("name: [unclosed")
    assert err.value.errors[0].startswith("not valid YAML")


@pytest.mark.django_db
def test_import_rollback_and_versions_cli(tmp_path: Path) -> None:
    document = yaml.safe_load(packs.to_yaml(packs.to_document(packs.load_default())))
    document["sla_policies"][1]["steps"][0]["after"] = "10m"
    path = tmp_path / "faster.yaml"
    path.write_text(packs.to_yaml(document), encoding="utf-8")
    out = StringIO()
    call_command("rules", "import", str(path), "--note", "首次联系 10 分钟", stdout=out)
    assert "activated v2" in out.getvalue()
    _n, pack = selectors.active_pack()
    first_contact = pack.policy("lead_first_contact")
    assert first_contact is not None and first_contact.steps[0].after == "10m"
    call_command("rules", "rollback", stdout=StringIO())
    number, pack = selectors.active_pack()
    assert number == 1
    first_contact = pack.policy("lead_first_contact")
    assert first_contact is not None and first_contact.steps[0].after == "15m"
    listing = StringIO()
    call_command("rules", "versions", stdout=listing)
    assert "* v1" in listing.getvalue() and "v2" in listing.getvalue()


@pytest.mark.django_db
def test_rollback_of_the_first_version_is_refused() -> None:
    with pytest.raises(CommandError, match="first version"):
        call_command("rules", "rollback", stdout=StringIO())
    assert RulePackVersion.objects.filter(is_active=True).get().number == 1


def test_default_pack_carries_the_six_workorder_types() -> None:
    pack = packs.load_default()
    codes = [t.code for t in pack.workorder_types]
    assert codes == [
        "special_price_approval",
        "nonstandard_design",
        "urgent_shipment",
        "customer_complaint",
        "payment_term_change",
        "custom_solution",
    ]
    custom = pack.workorder_type("custom_solution")
    assert custom is not None
    assert [s.name for s in custom.states] == ["需求澄清中", "方案初稿完成", "客户确认签字"]
    assert [p.code for p in custom.parties] == ["sales", "presales", "delivery"]
    assert custom.states[-1].proof == ["signed_file"]
    urgent = pack.policy("urgent_shipment_plan")
    assert urgent is not None and urgent.steps[0].after == "2h"


@pytest.mark.django_db
def test_rules_validate_refuses_an_invalid_workorder_type_with_its_path(tmp_path: Path) -> None:
    document = packs.to_document(packs.load_default())
    types = document["workorder_types"]
    types[0]["form"][0]["type"] = "colour"
    types[1]["form"][1]["dictionary"] = "no_such_dictionary"
    types[2]["sla_policies"] = ["lead_unread", "missing_policy"]
    types[3]["states"] = [{"code": "only", "name": "只有一个"}]
    types[4]["parties"][0]["who"] = "boss"
    types[5]["approval_chain"] = "special_quote"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    errors = StringIO()
    with pytest.raises(CommandError, match="invalid rule pack"):
        call_command("rules", "validate", str(path), stdout=StringIO(), stderr=errors)
    lines = errors.getvalue().splitlines()
    assert any(line.startswith("workorder_types[0].form[0].type:") for line in lines), lines
    assert (
        "workorder_types[1].form[1].dictionary: no tag dictionary “no_such_dictionary” in this pack" in lines
    )
    assert "workorder_types[2].sla_policies[0]: “lead_unread” is not a policy of subject workorder" in lines
    assert "workorder_types[2].sla_policies[1]: no SLA policy “missing_policy” in this pack" in lines
    assert any(line.startswith("workorder_types[3].states:") for line in lines), lines
    assert any(line.startswith("workorder_types[4].parties[0].who: “boss” is not a party") for line in lines)
    assert "workorder_types[5].approval_chain: “special_quote” is not a chain of subject workorder" in lines


def test_a_choice_field_without_a_dictionary_is_refused() -> None:
    document = packs.to_document(packs.load_default())
    document["workorder_types"][0]["form"].append({"key": "colour", "label": "颜色", "type": "choice"})
    with pytest.raises(packs.PackInvalid) as err:
        packs.validate(document)
    assert any(
        e.startswith("workorder_types[0].form[3]: a choice field needs `dictionary`")
        for e in err.value.errors
    )
