"""Squash of 0001_initial … 0003_ship_quote_policy (3 migrations), for a fresh database (issue #15).

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

# --- from 0003_ship_quote_policy ---
# Give packs stored before quotes existed the shipped `quotes` section and the send gate.
#
# A database migrated before this app holds rule-pack versions without `quotes`: their defaults
# would give a rep no discount right at all and no documents for the health score. Each stored
# version without the section gets the shipped one, and the shipped `quote_frozen_send_gate` rule
# when it has no rule of that code. Nothing else of a stored version changes.


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

    replaces = [('quotes', '0001_initial'), ('quotes', '0002_pdf_snapshots_and_reading'), ('quotes', '0003_ship_quote_policy')]

    initial = True

    dependencies = [
        ('catalog', '0001_initial'),
        ('core', '0005_public_links'),
        ('customers', '0002_customer_quoting_frozen'),
        ('pipeline', '0004_cockpit_indexes'),
        ('rules', '0003_declare_policy_purposes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalQuote',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('number', models.CharField(db_index=True, max_length=30, verbose_name='报价单号')),
                ('title', models.CharField(max_length=200, verbose_name='报价名称')),
                ('state', models.CharField(choices=[('draft', '草稿'), ('in_approval', '审批中'), ('approved', '已批准'), ('sent', '已发出'), ('accepted', '客户已接受'), ('declined', '客户已拒绝')], default='draft', max_length=20, verbose_name='状态')),
                ('current_version', models.PositiveIntegerField(default=1, verbose_name='当前版本')),
                ('total', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='含税总额')),
                ('health_score', models.IntegerField(default=0, verbose_name='健康度')),
                ('special', models.BooleanField(default=False, verbose_name='特殊报价')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='发出时间')),
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
            ],
            options={
                'verbose_name': 'historical 报价',
                'verbose_name_plural': 'historical 报价',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Quote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=30, unique=True, verbose_name='报价单号')),
                ('title', models.CharField(max_length=200, verbose_name='报价名称')),
                ('state', models.CharField(choices=[('draft', '草稿'), ('in_approval', '审批中'), ('approved', '已批准'), ('sent', '已发出'), ('accepted', '客户已接受'), ('declined', '客户已拒绝')], default='draft', max_length=20, verbose_name='状态')),
                ('current_version', models.PositiveIntegerField(default=1, verbose_name='当前版本')),
                ('total', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='含税总额')),
                ('health_score', models.IntegerField(default=0, verbose_name='健康度')),
                ('special', models.BooleanField(default=False, verbose_name='特殊报价')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='发出时间')),
                ('created_at', models.DateTimeField(verbose_name='创建时间')),
                ('updated_at', models.DateTimeField(verbose_name='更新时间')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='quotes', to='customers.customer', verbose_name='客户')),
                ('opportunity', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='quotes', to='pipeline.opportunity', verbose_name='商机')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='quotes', to=settings.AUTH_USER_MODEL, verbose_name='负责人')),
            ],
            options={
                'verbose_name': '报价',
                'verbose_name_plural': '报价',
                'ordering': ['-id'],
                'indexes': [models.Index(fields=['owner', 'state'], name='quote_owner_state'), models.Index(fields=['customer', 'sent_at'], name='quote_customer_sent')],
            },
        ),
        migrations.CreateModel(
            name='QuoteAttachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=40, verbose_name='材料')),
                ('file', models.FileField(upload_to='quotes/%Y/%m/')),
                ('original_name', models.CharField(max_length=200, verbose_name='文件名')),
                ('content_type', models.CharField(max_length=100)),
                ('size', models.PositiveIntegerField()),
                ('sha256', models.CharField(max_length=64)),
                ('uploaded_at', models.DateTimeField()),
                ('quote', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attachments', to='quotes.quote')),
                ('uploaded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '报价附件',
                'ordering': ['uploaded_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='QuoteVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(verbose_name='版本')),
                ('valid_until', models.DateField(verbose_name='有效期至')),
                ('payment_terms', models.CharField(blank=True, max_length=200, verbose_name='付款条件')),
                ('delivery_terms', models.CharField(blank=True, max_length=200, verbose_name='交货条件')),
                ('clauses', models.JSONField(blank=True, default=list, verbose_name='条款')),
                ('risk_note', models.CharField(blank=True, max_length=500, verbose_name='风险说明')),
                ('list_total', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='标价合计')),
                ('subtotal', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='未税合计')),
                ('tax', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='税额')),
                ('total', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='含税合计')),
                ('max_discount_pct', models.DecimalField(decimal_places=1, default=0, max_digits=5, verbose_name='最大折扣（%）')),
                ('cost_total', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True)),
                ('margin_pct', models.DecimalField(blank=True, decimal_places=1, max_digits=6, null=True)),
                ('health_score', models.IntegerField(default=0, verbose_name='健康度')),
                ('health_factors', models.JSONField(blank=True, default=list)),
                ('special', models.BooleanField(default=False, verbose_name='特殊报价')),
                ('special_reasons', models.JSONField(blank=True, default=list)),
                ('approved_at', models.DateTimeField(blank=True, null=True, verbose_name='审批通过时间')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='发出时间')),
                ('created_at', models.DateTimeField()),
                ('updated_at', models.DateTimeField()),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('quote', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='quotes.quote')),
                ('sent_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('pdf', models.FileField(blank=True, upload_to='quotes/pdf/%Y/%m/')),
                ('pdf_sha256', models.CharField(blank=True, max_length=64)),
                ('share_link', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='core.publiclink')),
            ],
            options={
                'verbose_name': '报价版本',
                'ordering': ['quote', 'number'],
                'constraints': [models.UniqueConstraint(fields=('quote', 'number'), name='unique_quote_version')],
            },
        ),
        migrations.CreateModel(
            name='QuoteLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField()),
                ('sku', models.CharField(max_length=60, verbose_name='型号')),
                ('name', models.CharField(max_length=200, verbose_name='产品名称')),
                ('unit', models.CharField(max_length=20, verbose_name='单位')),
                ('quantity', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='数量')),
                ('list_price', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='标价')),
                ('discount_pct', models.DecimalField(decimal_places=1, default=0, max_digits=5, verbose_name='折扣（%）')),
                ('net_price', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='成交单价')),
                ('line_total', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='小计（未税）')),
                ('tax_rate_pct', models.DecimalField(decimal_places=2, max_digits=5, verbose_name='税率（%）')),
                ('unit_cost', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True)),
                ('product', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.product')),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='quotes.quoteversion')),
            ],
            options={
                'verbose_name': '报价行',
                'ordering': ['version', 'position'],
            },
        ),
        migrations.CreateModel(
            name='QuoteSectionView',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('section', models.CharField(max_length=40)),
                ('views', models.PositiveIntegerField(default=0)),
                ('seconds', models.PositiveIntegerField(default=0)),
                ('last_viewed_at', models.DateTimeField()),
                ('prompted_at', models.DateTimeField(blank=True, null=True)),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='section_views', to='quotes.quoteversion')),
            ],
            options={
                'verbose_name': '报价阅读记录',
                'ordering': ['version', 'section'],
                'constraints': [models.UniqueConstraint(fields=('version', 'section'), name='unique_quote_section_view')],
            },
        ),
        migrations.RunPython(
            code=ship_quote_policy,
            reverse_code=django.db.migrations.operations.special.RunPython.noop,
        ),
    ]
