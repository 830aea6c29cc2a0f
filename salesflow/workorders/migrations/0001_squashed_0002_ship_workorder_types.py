"""Squash of 0001_initial … 0002_ship_workorder_types (2 migrations), for a fresh database (issue #15).

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

# --- from 0002_ship_workorder_types ---
# Give packs stored before the work-order app its shipped types.
#
# A database migrated before this app holds rule-pack versions without `workorder_types`. Each
# stored version without that section gets the shipped types, plus the tag dictionaries, approval
# chains and SLA policies they name when the version has none of that code. Nothing else of a
# stored version changes; a version that already has the section is left as it is.


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

    replaces = [('workorders', '0001_initial'), ('workorders', '0002_ship_workorder_types')]

    initial = True

    dependencies = [
        ('approvals', '0002_ship_default_chain'),
        ('contracts', '0002_ship_contract_policy'),
        ('customers', '0004_ship_grant_policy'),
        ('pipeline', '0005_battle_last_update_index'),
        ('quotes', '0003_ship_quote_policy'),
        ('rules', '0003_declare_policy_purposes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalWorkOrder',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('number', models.CharField(db_index=True, max_length=30, verbose_name='工单号')),
                ('type_name', models.CharField(max_length=60, verbose_name='工单类型')),
                ('title', models.CharField(max_length=200, verbose_name='标题')),
                ('state_name', models.CharField(max_length=40, verbose_name='状态名称')),
                ('department', models.CharField(choices=[('presales', '售前'), ('legal', '法务'), ('finance', '财务'), ('delivery', '交付'), ('product', '产品')], max_length=20, verbose_name='处理部门')),
                ('approval_state', models.CharField(blank=True, choices=[('', '无需审批'), ('pending', '审批中'), ('approved', '已通过'), ('rejected', '已驳回')], default='', max_length=20, verbose_name='审批')),
                ('service_request', models.BooleanField(default=False, verbose_name='服务请求')),
                ('raised_at', models.DateTimeField(verbose_name='发起时间')),
                ('acknowledged_at', models.DateTimeField(blank=True, null=True, verbose_name='各方确认时间')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='关闭时间')),
                ('updated_at', models.DateTimeField(verbose_name='更新时间')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('assignee', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='处理人')),
                ('contract', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='contracts.contract', verbose_name='合同')),
                ('customer', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='customers.customer', verbose_name='客户')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('opportunity', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pipeline.opportunity', verbose_name='商机')),
                ('quote', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='quotes.quote', verbose_name='报价')),
                ('raised_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='发起人')),
            ],
            options={
                'verbose_name': 'historical 工单',
                'verbose_name_plural': 'historical 工单',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='WorkOrder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=30, unique=True, verbose_name='工单号')),
                ('type_code', models.CharField(max_length=60, verbose_name='类型')),
                ('type_name', models.CharField(max_length=60, verbose_name='工单类型')),
                ('title', models.CharField(max_length=200, verbose_name='标题')),
                ('form_values', models.JSONField(blank=True, default=dict, verbose_name='表单')),
                ('state', models.CharField(max_length=60, verbose_name='状态')),
                ('state_name', models.CharField(max_length=40, verbose_name='状态名称')),
                ('department', models.CharField(choices=[('presales', '售前'), ('legal', '法务'), ('finance', '财务'), ('delivery', '交付'), ('product', '产品')], max_length=20, verbose_name='处理部门')),
                ('approval_state', models.CharField(blank=True, choices=[('', '无需审批'), ('pending', '审批中'), ('approved', '已通过'), ('rejected', '已驳回')], default='', max_length=20, verbose_name='审批')),
                ('service_request', models.BooleanField(default=False, verbose_name='服务请求')),
                ('raised_at', models.DateTimeField(verbose_name='发起时间')),
                ('acknowledged_at', models.DateTimeField(blank=True, null=True, verbose_name='各方确认时间')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='关闭时间')),
                ('updated_at', models.DateTimeField(verbose_name='更新时间')),
                ('version', models.PositiveIntegerField(default=1)),
                ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='assigned_workorders', to=settings.AUTH_USER_MODEL, verbose_name='处理人')),
                ('contract', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='workorders', to='contracts.contract', verbose_name='合同')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='workorders', to='customers.customer', verbose_name='客户')),
                ('opportunity', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='workorders', to='pipeline.opportunity', verbose_name='商机')),
                ('quote', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='workorders', to='quotes.quote', verbose_name='报价')),
                ('raised_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='raised_workorders', to=settings.AUTH_USER_MODEL, verbose_name='发起人')),
            ],
            options={
                'verbose_name': '工单',
                'verbose_name_plural': '工单',
                'ordering': ['-raised_at', '-id'],
                'indexes': [models.Index(fields=['department', 'closed_at', '-raised_at', '-id'], name='wo_queue'), models.Index(fields=['raised_by', '-raised_at'], name='wo_raised_by'), models.Index(fields=['assignee', 'closed_at'], name='wo_assignee'), models.Index(fields=['customer', 'raised_at'], name='wo_customer')],
            },
        ),
        migrations.CreateModel(
            name='Transition',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('from_state', models.CharField(blank=True, max_length=60)),
                ('to_state', models.CharField(max_length=60)),
                ('to_state_name', models.CharField(max_length=40, verbose_name='状态')),
                ('note', models.TextField(blank=True, verbose_name='说明')),
                ('at', models.DateTimeField(verbose_name='时间')),
                ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('work_order', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='transitions', to='workorders.workorder')),
            ],
            options={
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Comment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('body', models.TextField(verbose_name='内容')),
                ('created_at', models.DateTimeField(verbose_name='时间')),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('mentions', models.ManyToManyField(blank=True, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('work_order', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='workorders.workorder')),
            ],
            options={
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Attachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('screenshot', '截图'), ('signed_file', '签字文件'), ('file', '附件')], max_length=20, verbose_name='类型')),
                ('file', models.FileField(upload_to='workorders/%Y/%m/')),
                ('original_name', models.CharField(max_length=200, verbose_name='文件名')),
                ('content_type', models.CharField(max_length=100)),
                ('size', models.PositiveIntegerField(default=0)),
                ('sha256', models.CharField(max_length=64)),
                ('uploaded_at', models.DateTimeField(verbose_name='上传时间')),
                ('uploaded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('transition', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='attachments', to='workorders.transition')),
                ('work_order', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attachments', to='workorders.workorder')),
            ],
            options={
                'ordering': ['uploaded_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Acknowledgement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('party', models.CharField(max_length=60)),
                ('party_name', models.CharField(max_length=40, verbose_name='确认方')),
                ('who', models.CharField(max_length=60)),
                ('order', models.PositiveSmallIntegerField(default=0)),
                ('acknowledged_at', models.DateTimeField(blank=True, null=True, verbose_name='确认时间')),
                ('acknowledged_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('work_order', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='acknowledgements', to='workorders.workorder')),
            ],
            options={
                'ordering': ['order', 'id'],
                'constraints': [models.UniqueConstraint(fields=('work_order', 'party'), name='wo_one_ack_per_party')],
            },
        ),
        migrations.RunPython(
            code=ship_types,
            reverse_code=django.db.migrations.operations.special.RunPython.noop,
        ),
    ]
