"""Give packs stored before the approvals app its shipped chain and step SLA.

A database migrated before this app holds rule-pack versions without `approval_chains`, so
`special_quote` would be unknown there. Each stored version that has no `approval_chains`
section gets the shipped chains, and the shipped `approval_step_sla` policy when it has no
policy of that code. Nothing else of a stored version changes; a version that already has the
section (whatever it holds) is left as it is.
"""

from pathlib import Path

import yaml
from django.db import migrations


def ship_chain(apps, schema_editor):  # type: ignore[no-untyped-def]
    from salesflow.rules import packs

    shipped = yaml.safe_load((Path(packs.__file__).resolve().parent / "packs" / "default.yaml").read_text("utf-8"))
    chains = shipped.get("approval_chains") or []
    needed = {s.get("sla_policy") for c in chains for s in c.get("steps", [])}
    policies = [p for p in shipped.get("sla_policies") or [] if p.get("code") in needed]
    version_model = apps.get_model("rules", "RulePackVersion")
    for version in version_model.objects.all():
        document = version.document
        if not isinstance(document, dict) or "approval_chains" in document:
            continue
        document["approval_chains"] = chains
        have = {p.get("code") for p in document.get("sla_policies") or [] if isinstance(p, dict)}
        document.setdefault("sla_policies", []).extend(p for p in policies if p["code"] not in have)
        version.save(update_fields=["document"])


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial"), ("rules", "0003_declare_policy_purposes")]

    operations = [migrations.RunPython(ship_chain, migrations.RunPython.noop)]
