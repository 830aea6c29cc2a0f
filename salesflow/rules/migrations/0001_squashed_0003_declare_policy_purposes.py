"""Squash of 0001_initial … 0003_declare_policy_purposes (3 migrations), for a fresh database (issue #15).

Made by `squashmigrations`, then folded by hand-run tooling: every AddIndex, AddConstraint,
AddField, AlterField, RemoveField, RemoveIndex and AlterModelOptions of a model created here is
part of its CreateModel (Django's optimizer does not reduce across the other CreateModels,
AddIndexes and RunPythons between them). A database that has applied any of the replaced
migrations runs those instead; the schema this builds was checked to be identical to theirs
(`pg_dump -s` on PostgreSQL, tables, columns, indexes, constraints and triggers on SQLite).

The RunPython functions below are copied from the replaced migrations, unchanged.
"""

from pathlib import Path

import django.db.migrations.operations.special
import django.db.models.deletion
import yaml
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

# --- from 0002_default_pack ---
# Install the shipped default rule pack as version 1.


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

# --- from 0003_declare_policy_purposes ---
# Declare the purpose of the shipped SLA policies in packs stored before `purpose` existed.
#
# Lights, release dates and list filters now ask the pack for a policy's purpose instead of its
# code. A stored version without purposes would read every policy as `general` (a pending
# unread nudge would turn leads red, customers would lose their release date), so the policies
# that still carry the shipped codes get the purpose those codes used to imply. Nothing else of
# a stored version changes; a policy already declaring a purpose is left as it is.
SHIPPED_PURPOSES = {
    "lead_unread": "lead_unread",
    "lead_first_contact": "lead_first_contact",
    "lead_follow_up": "lead_follow_up",
    "customer_commitment": "customer_commitment",
    "opportunity_stall": "opportunity_stall",
    "opportunity_no_update": "opportunity_no_update",
    "tech_solution_breaker": "stage_breaker",
    "quote_follow_up": "quote_follow_up",
    "payment_due_reminder": "payment_due",
    "workorder_acknowledge": "workorder_response",
    "urgent_shipment_plan": "workorder_response",
}


def declare_purposes(apps, schema_editor):  # type: ignore[no-untyped-def]
    version_model = apps.get_model("rules", "RulePackVersion")
    for version in version_model.objects.all():
        changed = False
        for policy in version.document.get("sla_policies") or []:
            if isinstance(policy, dict) and "purpose" not in policy and policy.get("code") in SHIPPED_PURPOSES:
                policy["purpose"] = SHIPPED_PURPOSES[policy["code"]]
                changed = True
        if changed:
            version.save(update_fields=["document"])


class Migration(migrations.Migration):

    replaces = [('rules', '0001_initial'), ('rules', '0002_default_pack'), ('rules', '0003_declare_policy_purposes')]

    initial = True

    dependencies = [
        ('notify', '0001_initial'),
        ('timers', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AgendaItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('meeting', models.CharField(max_length=60)),
                ('subject_type', models.CharField(max_length=100)),
                ('subject_id', models.BigIntegerField()),
                ('reason', models.CharField(max_length=300)),
                ('rule_code', models.CharField(blank=True, max_length=120)),
                ('created_at', models.DateTimeField()),
                ('resolved_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='Freeze',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('subject_type', models.CharField(max_length=100)),
                ('subject_id', models.BigIntegerField()),
                ('scope', models.CharField(max_length=50)),
                ('reason', models.CharField(max_length=300)),
                ('rule_code', models.CharField(blank=True, max_length=120)),
                ('created_at', models.DateTimeField()),
                ('lifted_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'indexes': [models.Index(fields=['subject_type', 'subject_id', 'scope'], name='freeze_lookup')],
            },
        ),
        migrations.CreateModel(
            name='RuleFiring',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('pack_version', models.PositiveIntegerField()),
                ('rule_code', models.CharField(max_length=120)),
                ('trigger', models.CharField(max_length=120)),
                ('subject_type', models.CharField(max_length=100)),
                ('subject_id', models.BigIntegerField()),
                ('event_id', models.BigIntegerField(blank=True, null=True)),
                ('deadline_id', models.BigIntegerField(blank=True, null=True)),
                ('fired_at', models.DateTimeField()),
                ('outcome', models.CharField(max_length=20)),
                ('detail', models.JSONField(blank=True, default=dict)),
            ],
            options={
                'ordering': ['-fired_at', '-id'],
                'indexes': [models.Index(fields=['rule_code', 'fired_at'], name='firing_rule_time'), models.Index(fields=['subject_type', 'subject_id'], name='firing_subject')],
            },
        ),
        migrations.CreateModel(
            name='RulePackVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(unique=True)),
                ('name', models.CharField(max_length=200)),
                ('document', models.JSONField(help_text='The validated pack, as exported to YAML.')),
                ('note', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField()),
                ('is_active', models.BooleanField(default=False)),
                ('activated_at', models.DateTimeField(blank=True, null=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '规则包版本',
                'ordering': ['-number'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('is_active', True)), fields=('is_active',), name='one_active_rule_pack')],
            },
        ),
        migrations.CreateModel(
            name='Watcher',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('subject_type', models.CharField(max_length=100)),
                ('subject_id', models.BigIntegerField()),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('subject_type', 'subject_id', 'user'), name='unique_watcher')],
            },
        ),
        migrations.RunPython(
            code=install_default_pack,
            reverse_code=remove_default_pack,
        ),
        migrations.RunPython(
            code=declare_purposes,
            reverse_code=django.db.migrations.operations.special.RunPython.noop,
        ),
    ]
