"""Squash of 0001_initial … 0002_ship_default_chain (2 migrations), for a fresh database (issue #15).

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
import simple_history.models
import yaml
from django.conf import settings
from django.db import migrations, models

# --- from 0002_ship_default_chain ---
# Give packs stored before the approvals app its shipped chain and step SLA.
#
# A database migrated before this app holds rule-pack versions without `approval_chains`, so
# `special_quote` would be unknown there. Each stored version that has no `approval_chains`
# section gets the shipped chains, and the shipped `approval_step_sla` policy when it has no
# policy of that code. Nothing else of a stored version changes; a version that already has the
# section (whatever it holds) is left as it is.


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

    replaces = [('approvals', '0001_initial'), ('approvals', '0002_ship_default_chain')]

    initial = True

    dependencies = [
        ('rules', '0003_declare_policy_purposes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ApprovalRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('subject_type', models.CharField(max_length=100)),
                ('subject_id', models.BigIntegerField()),
                ('kind', models.CharField(max_length=60, verbose_name='类型')),
                ('chain', models.CharField(max_length=60)),
                ('chain_name', models.CharField(max_length=100, verbose_name='审批流程')),
                ('state', models.CharField(choices=[('pending', '审批中'), ('approved', '已通过'), ('rejected', '已驳回'), ('returned', '已退回修改'), ('withdrawn', '已撤回')], default='pending', max_length=20, verbose_name='状态')),
                ('facts', models.JSONField(blank=True, default=dict, verbose_name='审批要素')),
                ('summary', models.CharField(max_length=300, verbose_name='摘要')),
                ('comment', models.TextField(blank=True, verbose_name='申请说明')),
                ('created_at', models.DateTimeField(verbose_name='申请时间')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='完成时间')),
                ('version', models.PositiveIntegerField(default=1)),
                ('requester', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='approval_requests', to=settings.AUTH_USER_MODEL, verbose_name='申请人')),
            ],
            options={
                'verbose_name': '审批',
                'verbose_name_plural': '审批',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['subject_type', 'subject_id', 'state'], name='approval_subject'), models.Index(fields=['requester', 'state'], name='approval_requester')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('state', 'pending')), fields=('subject_type', 'subject_id'), name='one_pending_approval_per_subject')],
            },
        ),
        migrations.CreateModel(
            name='ApprovalStep',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('order', models.PositiveSmallIntegerField()),
                ('code', models.CharField(max_length=60)),
                ('name', models.CharField(max_length=100, verbose_name='审批环节')),
                ('approver_spec', models.CharField(max_length=40)),
                ('condition', models.JSONField(blank=True, null=True)),
                ('sla_policy', models.CharField(blank=True, max_length=60)),
                ('state', models.CharField(choices=[('waiting', '待前序审批'), ('open', '待审批'), ('approved', '同意'), ('rejected', '驳回'), ('returned', '退回修改'), ('skipped', '跳过'), ('cancelled', '已取消')], default='waiting', max_length=20, verbose_name='状态')),
                ('skip_reason', models.CharField(blank=True, max_length=300, verbose_name='跳过原因')),
                ('comment', models.TextField(blank=True, verbose_name='审批意见')),
                ('opened_at', models.DateTimeField(blank=True, null=True, verbose_name='到达时间')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='处理时间')),
                ('acted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='处理人')),
                ('acted_on_behalf_of', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='代理谁')),
                ('candidates', models.ManyToManyField(blank=True, related_name='approval_steps_to_decide', to=settings.AUTH_USER_MODEL, verbose_name='审批人')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='approvals.approvalrequest')),
            ],
            options={
                'verbose_name': '审批环节',
                'verbose_name_plural': '审批环节',
                'ordering': ['request', 'order'],
                'indexes': [models.Index(fields=['state', 'request'], name='approval_step_state')],
                'constraints': [models.UniqueConstraint(fields=('request', 'order'), name='unique_approval_step_order')],
            },
        ),
        migrations.CreateModel(
            name='HistoricalApprovalDelegation',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('starts_on', models.DateField(verbose_name='开始日期')),
                ('ends_on', models.DateField(verbose_name='结束日期')),
                ('reason', models.CharField(blank=True, max_length=200, verbose_name='事由')),
                ('created_at', models.DateTimeField(verbose_name='创建时间')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('delegate', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='代理人')),
                ('delegator', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='委托人')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical 审批代理',
                'verbose_name_plural': 'historical 审批代理',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalApprovalRequest',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('chain_name', models.CharField(max_length=100, verbose_name='审批流程')),
                ('state', models.CharField(choices=[('pending', '审批中'), ('approved', '已通过'), ('rejected', '已驳回'), ('returned', '已退回修改'), ('withdrawn', '已撤回')], default='pending', max_length=20, verbose_name='状态')),
                ('summary', models.CharField(max_length=300, verbose_name='摘要')),
                ('comment', models.TextField(blank=True, verbose_name='申请说明')),
                ('created_at', models.DateTimeField(verbose_name='申请时间')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='完成时间')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('requester', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='申请人')),
            ],
            options={
                'verbose_name': 'historical 审批',
                'verbose_name_plural': 'historical 审批',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalApprovalStep',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='审批环节')),
                ('state', models.CharField(choices=[('waiting', '待前序审批'), ('open', '待审批'), ('approved', '同意'), ('rejected', '驳回'), ('returned', '退回修改'), ('skipped', '跳过'), ('cancelled', '已取消')], default='waiting', max_length=20, verbose_name='状态')),
                ('skip_reason', models.CharField(blank=True, max_length=300, verbose_name='跳过原因')),
                ('comment', models.TextField(blank=True, verbose_name='审批意见')),
                ('opened_at', models.DateTimeField(blank=True, null=True, verbose_name='到达时间')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='处理时间')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('acted_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='处理人')),
                ('acted_on_behalf_of', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='代理谁')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('request', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='approvals.approvalrequest')),
            ],
            options={
                'verbose_name': 'historical 审批环节',
                'verbose_name_plural': 'historical 审批环节',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='ApprovalDelegation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('starts_on', models.DateField(verbose_name='开始日期')),
                ('ends_on', models.DateField(verbose_name='结束日期')),
                ('reason', models.CharField(blank=True, max_length=200, verbose_name='事由')),
                ('created_at', models.DateTimeField(verbose_name='创建时间')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('delegate', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='approval_delegations_taken', to=settings.AUTH_USER_MODEL, verbose_name='代理人')),
                ('delegator', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='approval_delegations_given', to=settings.AUTH_USER_MODEL, verbose_name='委托人')),
            ],
            options={
                'verbose_name': '审批代理',
                'verbose_name_plural': '审批代理',
                'ordering': ['-starts_on', '-id'],
                'indexes': [models.Index(fields=['delegate', 'starts_on', 'ends_on'], name='delegation_lookup')],
                'constraints': [models.CheckConstraint(condition=models.Q(('ends_on__gte', models.F('starts_on'))), name='delegation_ends_after_start'), models.CheckConstraint(condition=models.Q(('delegator', models.F('delegate')), _negated=True), name='delegation_not_to_self')],
            },
        ),
        migrations.RunPython(
            code=ship_chain,
            reverse_code=django.db.migrations.operations.special.RunPython.noop,
        ),
    ]
