"""Give packs stored before quotes existed the shipped `quotes` section and the send gate.

A database migrated before this app holds rule-pack versions without `quotes`: their defaults
would give a rep no discount right at all and no documents for the health score. Each stored
version without the section gets the shipped one, and the shipped `quote_frozen_send_gate` rule
when it has no rule of that code. Nothing else of a stored version changes.
"""

from pathlib import Path

import yaml
from django.db import migrations


def ship_quote_policy(apps, schema_editor):  # type: ignore[no-untyped-def]
    from salesflow.rules import packs

    shipped = yaml.safe_load((Path(packs.__file__).resolve().parent / "packs" / "default.yaml").read_text("utf-8"))
    section = shipped.get("quotes") or {}
    gates = [r for r in shipped.get("rules") or [] if r.get("code") == "quote_frozen_send_gate"]
    version_model = apps.get_model("rules", "RulePackVersion")
    for version in version_model.objects.all():
        document = version.document
        if not isinstance(document, dict) or "quotes" in document:
            continue
        document["quotes"] = section
        have = {r.get("code") for r in document.get("rules") or [] if isinstance(r, dict)}
        document.setdefault("rules", []).extend(r for r in gates if r["code"] not in have)
        version.save(update_fields=["document"])


class Migration(migrations.Migration):
    dependencies = [("quotes", "0002_pdf_snapshots_and_reading"), ("rules", "0003_declare_policy_purposes")]

    operations = [migrations.RunPython(ship_quote_policy, migrations.RunPython.noop)]
