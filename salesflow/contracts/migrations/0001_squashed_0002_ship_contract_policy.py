"""Squash of 0001_initial … 0002_ship_contract_policy (2 migrations), for a fresh database (issue #15).

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

# --- from 0002_ship_contract_policy ---
# Give packs stored before contracts existed the shipped `contracts` section, the legal review
# chain and the overdue ladder.
#
# A stored pack version without them would offer no payment plan and could not send a contract
# to legal. Each version gets the shipped section when it has none, and the shipped
# `contract_review` chain and `payment_overdue` policy when it has nothing of that code.
# Nothing else of a stored version changes.


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

    replaces = [('contracts', '0001_initial'), ('contracts', '0002_ship_contract_policy')]

    initial = True

    dependencies = [
        ('customers', '0002_customer_quoting_frozen'),
        ('pipeline', '0005_battle_last_update_index'),
        ('quotes', '0003_ship_quote_policy'),
        ('rules', '0003_declare_policy_purposes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ContractSequence',
            fields=[
                ('year', models.PositiveIntegerField(primary_key=True, serialize=False)),
                ('last', models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='Contract',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=30, unique=True, verbose_name='合同编号')),
                ('quote_version', models.PositiveIntegerField(verbose_name='报价版本')),
                ('title', models.CharField(max_length=200, verbose_name='合同名称')),
                ('state', models.CharField(choices=[('draft', '草稿'), ('legal_review', '法务审核中'), ('signed', '已签订'), ('in_delivery', '交付中'), ('completed', '已完成'), ('terminated', '已终止')], default='draft', max_length=20, verbose_name='状态')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='合同金额（含税）')),
                ('lines', models.JSONField(default=list, verbose_name='合同明细')),
                ('clauses', models.JSONField(blank=True, default=list, verbose_name='条款')),
                ('deviations', models.PositiveIntegerField(default=0, verbose_name='偏离模板条款数')),
                ('payment_terms', models.CharField(blank=True, max_length=200, verbose_name='付款条件')),
                ('delivery_terms', models.CharField(blank=True, max_length=200, verbose_name='交货条件')),
                ('reviewed_at', models.DateTimeField(blank=True, null=True, verbose_name='法务审核通过时间')),
                ('signed_on', models.DateField(blank=True, null=True, verbose_name='签订日期')),
                ('signed_file', models.FileField(blank=True, upload_to='contracts/%Y/%m/')),
                ('signed_sha256', models.CharField(blank=True, max_length=64)),
                ('delivered_on', models.DateField(blank=True, null=True, verbose_name='交付日期')),
                ('accepted_on', models.DateField(blank=True, null=True, verbose_name='验收日期')),
                ('termination_reason', models.CharField(blank=True, max_length=500, verbose_name='终止原因')),
                ('received_total', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='已回款')),
                ('created_at', models.DateTimeField(verbose_name='创建时间')),
                ('updated_at', models.DateTimeField(verbose_name='更新时间')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='contracts', to='customers.customer', verbose_name='客户')),
                ('opportunity', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='contracts', to='pipeline.opportunity', verbose_name='商机')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='contracts', to=settings.AUTH_USER_MODEL, verbose_name='负责人')),
                ('project_manager', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='managed_contracts', to=settings.AUTH_USER_MODEL, verbose_name='项目经理')),
                ('quote', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='contracts', to='quotes.quote', verbose_name='报价')),
            ],
            options={
                'verbose_name': '合同',
                'verbose_name_plural': '合同',
                'ordering': ['-id'],
                'indexes': [models.Index(fields=['owner', 'state'], name='contract_owner_state')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('state', 'terminated'), _negated=True), fields=('quote',), name='one_live_contract_per_quote')],
            },
        ),
        migrations.CreateModel(
            name='HistoricalContract',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('number', models.CharField(db_index=True, max_length=30, verbose_name='合同编号')),
                ('quote_version', models.PositiveIntegerField(verbose_name='报价版本')),
                ('title', models.CharField(max_length=200, verbose_name='合同名称')),
                ('state', models.CharField(choices=[('draft', '草稿'), ('legal_review', '法务审核中'), ('signed', '已签订'), ('in_delivery', '交付中'), ('completed', '已完成'), ('terminated', '已终止')], default='draft', max_length=20, verbose_name='状态')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='合同金额（含税）')),
                ('lines', models.JSONField(default=list, verbose_name='合同明细')),
                ('clauses', models.JSONField(blank=True, default=list, verbose_name='条款')),
                ('deviations', models.PositiveIntegerField(default=0, verbose_name='偏离模板条款数')),
                ('payment_terms', models.CharField(blank=True, max_length=200, verbose_name='付款条件')),
                ('delivery_terms', models.CharField(blank=True, max_length=200, verbose_name='交货条件')),
                ('reviewed_at', models.DateTimeField(blank=True, null=True, verbose_name='法务审核通过时间')),
                ('signed_on', models.DateField(blank=True, null=True, verbose_name='签订日期')),
                ('signed_file', models.TextField(blank=True, max_length=100)),
                ('signed_sha256', models.CharField(blank=True, max_length=64)),
                ('delivered_on', models.DateField(blank=True, null=True, verbose_name='交付日期')),
                ('accepted_on', models.DateField(blank=True, null=True, verbose_name='验收日期')),
                ('termination_reason', models.CharField(blank=True, max_length=500, verbose_name='终止原因')),
                ('received_total', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='已回款')),
                ('created_at', models.DateTimeField(verbose_name='创建时间')),
                ('updated_at', models.DateTimeField(verbose_name='更新时间')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('customer', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='customers.customer', verbose_name='客户')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('opportunity', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pipeline.opportunity', verbose_name='商机')),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='负责人')),
                ('project_manager', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='项目经理')),
                ('quote', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='quotes.quote', verbose_name='报价')),
            ],
            options={
                'verbose_name': 'historical 合同',
                'verbose_name_plural': 'historical 合同',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalInstalment',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('position', models.PositiveIntegerField()),
                ('name', models.CharField(max_length=40, verbose_name='回款节点')),
                ('pct', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True, verbose_name='比例（%）')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='金额')),
                ('milestone', models.CharField(choices=[('signing', '签订后'), ('delivery', '交付后'), ('acceptance', '验收后'), ('date', '固定日期')], max_length=12, verbose_name='触发节点')),
                ('days', models.PositiveIntegerField(default=0, verbose_name='节点后天数')),
                ('due_date', models.DateField(blank=True, null=True, verbose_name='到期日')),
                ('state', models.CharField(choices=[('planned', '未请款'), ('requested', '已请款'), ('partly_paid', '部分回款'), ('paid', '已回款'), ('cancelled', '已取消')], default='planned', max_length=12, verbose_name='状态')),
                ('received', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='已回款')),
                ('requested_at', models.DateTimeField(blank=True, null=True, verbose_name='请款时间')),
                ('request_note', models.CharField(blank=True, max_length=500, verbose_name='请款说明')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('contract', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='contracts.contract')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('requested_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical 回款节点',
                'verbose_name_plural': 'historical 回款节点s',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Instalment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField()),
                ('name', models.CharField(max_length=40, verbose_name='回款节点')),
                ('pct', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True, verbose_name='比例（%）')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='金额')),
                ('milestone', models.CharField(choices=[('signing', '签订后'), ('delivery', '交付后'), ('acceptance', '验收后'), ('date', '固定日期')], max_length=12, verbose_name='触发节点')),
                ('days', models.PositiveIntegerField(default=0, verbose_name='节点后天数')),
                ('due_date', models.DateField(blank=True, null=True, verbose_name='到期日')),
                ('state', models.CharField(choices=[('planned', '未请款'), ('requested', '已请款'), ('partly_paid', '部分回款'), ('paid', '已回款'), ('cancelled', '已取消')], default='planned', max_length=12, verbose_name='状态')),
                ('received', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='已回款')),
                ('requested_at', models.DateTimeField(blank=True, null=True, verbose_name='请款时间')),
                ('request_note', models.CharField(blank=True, max_length=500, verbose_name='请款说明')),
                ('contract', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='instalments', to='contracts.contract')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '回款节点',
                'ordering': ['contract', 'position'],
                'indexes': [models.Index(fields=['state', 'due_date'], name='instalment_state_due')],
                'constraints': [models.UniqueConstraint(fields=('contract', 'position'), name='unique_instalment_position')],
            },
        ),
        migrations.CreateModel(
            name='PaymentReceipt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='回款金额')),
                ('received_on', models.DateField(verbose_name='到账日期')),
                ('bank_reference', models.CharField(max_length=60, verbose_name='银行流水号')),
                ('recorded_at', models.DateTimeField()),
                ('instalment', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='receipts', to='contracts.instalment')),
                ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '回款记录',
                'ordering': ['received_on', 'id'],
                'constraints': [models.UniqueConstraint(fields=('instalment', 'bank_reference'), name='unique_receipt_reference')],
            },
        ),
        migrations.RunPython(
            code=ship_contract_policy,
            reverse_code=django.db.migrations.operations.special.RunPython.noop,
        ),
    ]
