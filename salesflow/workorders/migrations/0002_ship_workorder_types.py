"""Give packs stored before the work-order app its shipped types.

A database migrated before this app holds rule-pack versions without `workorder_types`. Each
stored version without that section gets the shipped types, plus the tag dictionaries, approval
chains and SLA policies they name when the version has none of that code. Nothing else of a
stored version changes; a version that already has the section is left as it is.
"""

from pathlib import Path

import yaml
from django.db import migrations


def ship_types(apps, schema_editor):  # type: ignore[no-untyped-def]
    from salesflow.rules import packs

    shipped = yaml.safe_load((Path(packs.__file__).resolve().parent / "packs" / "default.yaml").read_text("utf-8"))
    types = shipped.get("workorder_types") or []
    wanted = {
        "tag_dictionaries": {f.get("dictionary") for t in types for f in t.get("form", []) if f.get("dictionary")},
        "approval_chains": {t.get("approval_chain") for t in types if t.get("approval_chain")},
        "sla_policies": {p for t in types for p in t.get("sla_policies", [])},
    }
    chains = [c for c in shipped.get("approval_chains") or [] if c.get("code") in wanted["approval_chains"]]
    wanted["sla_policies"] |= {s.get("sla_policy") for c in chains for s in c.get("steps", []) if s.get("sla_policy")}
    version_model = apps.get_model("rules", "RulePackVersion")
    for version in version_model.objects.all():
        document = version.document
        if not isinstance(document, dict) or "workorder_types" in document:
            continue
        for section, codes in wanted.items():
            have = {i.get("code") for i in document.get(section) or [] if isinstance(i, dict)}
            extra = [i for i in shipped.get(section) or [] if i.get("code") in codes and i.get("code") not in have]
            if extra:
                document.setdefault(section, []).extend(extra)
        document["workorder_types"] = types
        version.save(update_fields=["document"])


class Migration(migrations.Migration):
    dependencies = [
        ("workorders", "0001_initial"),
        ("rules", "0003_declare_policy_purposes"),
        ("approvals", "0002_ship_default_chain"),
    ]

    operations = [migrations.RunPython(ship_types, migrations.RunPython.noop)]
