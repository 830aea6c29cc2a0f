"""Give packs stored before contracts existed the shipped `contracts` section, the legal review
chain and the overdue ladder.

A stored pack version without them would offer no payment plan and could not send a contract
to legal. Each version gets the shipped section when it has none, and the shipped
`contract_review` chain and `payment_overdue` policy when it has nothing of that code.
Nothing else of a stored version changes.
"""

from pathlib import Path

import yaml
from django.db import migrations


def ship_contract_policy(apps, schema_editor):  # type: ignore[no-untyped-def]
    from salesflow.rules import packs

    shipped = yaml.safe_load((Path(packs.__file__).resolve().parent / "packs" / "default.yaml").read_text("utf-8"))
    chains = [c for c in shipped.get("approval_chains") or [] if c.get("code") == "contract_review"]
    policies = [p for p in shipped.get("sla_policies") or [] if p.get("code") == "payment_overdue"]
    version_model = apps.get_model("rules", "RulePackVersion")
    for version in version_model.objects.all():
        document = version.document
        if not isinstance(document, dict):
            continue
        changed = False
        if "contracts" not in document:
            document["contracts"] = shipped.get("contracts") or {}
            changed = True
        for section, shipped_items in (("approval_chains", chains), ("sla_policies", policies)):
            have = {item.get("code") for item in document.get(section) or [] if isinstance(item, dict)}
            missing = [item for item in shipped_items if item["code"] not in have]
            if missing:
                document.setdefault(section, []).extend(missing)
                changed = True
        if changed:
            version.save(update_fields=["document"])


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_initial"), ("rules", "0003_declare_policy_purposes")]

    operations = [migrations.RunPython(ship_contract_policy, migrations.RunPython.noop)]
