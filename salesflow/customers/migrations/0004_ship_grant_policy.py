"""Give packs stored before temporary grants the shipped `grants` section and expiry timer.

A database migrated before grants existed holds rule-pack versions without the
`customer_grant_expiry` policy: grants there would still stop being readable at their end
(reads check the period) but would never be marked expired, announced or put on the
customer's timeline. Each stored version gets the shipped `grants` section when it has none,
and the shipped policy when it has no policy of that code. Nothing else of a version changes.
"""

from pathlib import Path

import yaml
from django.db import migrations

POLICY = "customer_grant_expiry"


def ship_grant_policy(apps, schema_editor):  # type: ignore[no-untyped-def]
    from salesflow.rules import packs

    shipped = yaml.safe_load((Path(packs.__file__).resolve().parent / "packs" / "default.yaml").read_text("utf-8"))
    section = shipped.get("grants") or {}
    policies = [p for p in shipped.get("sla_policies") or [] if p.get("code") == POLICY]
    version_model = apps.get_model("rules", "RulePackVersion")
    for version in version_model.objects.all():
        document = version.document
        if not isinstance(document, dict):
            continue
        changed = False
        if "grants" not in document:
            document["grants"] = dict(section)
            changed = True
        have = {p.get("code") for p in document.get("sla_policies") or [] if isinstance(p, dict)}
        if POLICY not in have:
            document.setdefault("sla_policies", []).extend(policies)
            changed = True
        if changed:
            version.save(update_fields=["document"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_customer_grants"), ("rules", "0003_declare_policy_purposes")]

    operations = [migrations.RunPython(ship_grant_policy, migrations.RunPython.noop)]
