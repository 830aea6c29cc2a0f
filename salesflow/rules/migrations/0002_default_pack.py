"""Install the shipped default rule pack as version 1."""

from pathlib import Path

import yaml
from django.db import migrations
from django.utils import timezone


def install_default_pack(apps, schema_editor):  # type: ignore[no-untyped-def]
    version_model = apps.get_model("rules", "RulePackVersion")
    if version_model.objects.exists():
        return
    # The document is validated by the schema at runtime; here it is stored as shipped,
    # normalised through the same pydantic model so exports round-trip unchanged.
    from salesflow.rules import packs

    text = (Path(packs.__file__).resolve().parent / "packs" / "default.yaml").read_text(encoding="utf-8")
    document = packs.to_document(packs.validate(yaml.safe_load(text)))
    now = timezone.now()
    version_model.objects.create(
        number=1, name=document["name"], document=document, note="出厂默认规则包", created_at=now,
        is_active=True, activated_at=now,
    )


def remove_default_pack(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("rules", "RulePackVersion").objects.filter(number=1).delete()


class Migration(migrations.Migration):
    dependencies = [("rules", "0001_initial"), ("timers", "0001_initial"), ("notify", "0001_initial")]

    operations = [migrations.RunPython(install_default_pack, remove_default_pack)]
