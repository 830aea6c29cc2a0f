"""Squash of 0001_initial … 0004_cockpit_indexes (4 migrations), for a fresh database (issue #15).

Made by `squashmigrations`, then folded by hand-run tooling: every AddIndex, AddConstraint,
AddField, AlterField, RemoveField, RemoveIndex and AlterModelOptions of a model created here is
part of its CreateModel (Django's optimizer does not reduce across the other CreateModels,
AddIndexes and RunPythons between them). A database that has applied any of the replaced
migrations runs those instead; the schema this builds was checked to be identical to theirs
(`pg_dump -s` on PostgreSQL, tables, columns, indexes, constraints and triggers on SQLite).

Elided (marked `elidable` in the original): 0002's `count_open_leads`, which fills
`RepWorkload` from existing leads; this squash runs only where it creates the leads table, empty.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('leads', '0001_initial'), ('leads', '0002_repworkload_historicallead_converted_at_and_more'), ('leads', '0003_learnedscoremodel'), ('leads', '0004_cockpit_indexes')]

    initial = True

    dependencies = [
        ('customers', '0001_initial'),
        ('org', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AssignmentCursor',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope', models.CharField(max_length=100, unique=True)),
                ('last_user_id', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='HistoricalIntakeForm',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='名称')),
                ('code', models.SlugField(default='website', help_text='规则包 required_fields 中的 form 名称', max_length=60, verbose_name='代码')),
                ('key', models.CharField(db_index=True, help_text='Unguessable public key.', max_length=64)),
                ('required_fields', models.JSONField(blank=True, default=list, verbose_name='必填字段')),
                ('field_mapping', models.JSONField(blank=True, default=dict, help_text='网站字段名 → 线索字段名', verbose_name='字段映射')),
                ('default_source', models.CharField(blank=True, max_length=60, verbose_name='默认来源')),
                ('allowed_origins', models.JSONField(blank=True, default=list, verbose_name='允许的来源站点')),
                ('honeypot_field', models.CharField(default='hp_website', max_length=40)),
                ('active', models.BooleanField(default=True, verbose_name='启用')),
                ('created_at', models.DateTimeField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('team', models.ForeignKey(blank=True, db_constraint=False, help_text='只分配给该团队（含下级）', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='org.team')),
            ],
            options={
                'verbose_name': 'historical 网站表单',
                'verbose_name_plural': 'historical 网站表单s',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='IntakeForm',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='名称')),
                ('code', models.SlugField(default='website', help_text='规则包 required_fields 中的 form 名称', max_length=60, verbose_name='代码')),
                ('key', models.CharField(help_text='Unguessable public key.', max_length=64, unique=True)),
                ('required_fields', models.JSONField(blank=True, default=list, verbose_name='必填字段')),
                ('field_mapping', models.JSONField(blank=True, default=dict, help_text='网站字段名 → 线索字段名', verbose_name='字段映射')),
                ('default_source', models.CharField(blank=True, max_length=60, verbose_name='默认来源')),
                ('allowed_origins', models.JSONField(blank=True, default=list, verbose_name='允许的来源站点')),
                ('honeypot_field', models.CharField(default='hp_website', max_length=40)),
                ('active', models.BooleanField(default=True, verbose_name='启用')),
                ('created_at', models.DateTimeField()),
                ('team', models.ForeignKey(blank=True, help_text='只分配给该团队（含下级）', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='org.team')),
            ],
            options={
                'verbose_name': '网站表单',
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalLead',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='姓名')),
                ('phone', models.CharField(blank=True, max_length=40, verbose_name='手机')),
                ('phone_key', models.CharField(blank=True, db_index=True, editable=False, max_length=40)),
                ('email', models.CharField(blank=True, max_length=200, verbose_name='邮箱')),
                ('email_key', models.CharField(blank=True, db_index=True, editable=False, max_length=200)),
                ('company', models.CharField(blank=True, max_length=200, verbose_name='公司')),
                ('company_key', models.CharField(blank=True, db_index=True, editable=False, max_length=200)),
                ('title', models.CharField(blank=True, max_length=100, verbose_name='职务')),
                ('industry_segment', models.CharField(blank=True, max_length=50, verbose_name='行业细分')),
                ('customer_tier', models.CharField(blank=True, max_length=50, verbose_name='客户等级')),
                ('product_line', models.CharField(blank=True, max_length=50, verbose_name='产品线')),
                ('buying_stage', models.CharField(blank=True, max_length=50, verbose_name='采购阶段')),
                ('company_size', models.CharField(blank=True, max_length=50, verbose_name='公司规模')),
                ('budget', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='预算')),
                ('source', models.CharField(blank=True, max_length=60, verbose_name='来源')),
                ('utm', models.JSONField(blank=True, default=dict)),
                ('message', models.TextField(blank=True, verbose_name='留言')),
                ('status', models.CharField(choices=[('pooled', '线索池'), ('assigned', '已分配'), ('acknowledged', '已查看'), ('contacted', '已联系'), ('converted', '已转化'), ('disqualified', '无效')], default='pooled', max_length=20, verbose_name='状态')),
                ('assigned_at', models.DateTimeField(blank=True, null=True)),
                ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                ('first_contact_at', models.DateTimeField(blank=True, null=True)),
                ('last_activity_at', models.DateTimeField(blank=True, null=True)),
                ('score', models.IntegerField(default=0, verbose_name='评分')),
                ('mql_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='负责人')),
                ('form', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='leads.intakeform')),
                ('converted_at', models.DateTimeField(blank=True, null=True, verbose_name='转化时间')),
                ('customer', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='customers.customer', verbose_name='客户')),
            ],
            options={
                'verbose_name': 'historical 线索',
                'verbose_name_plural': 'historical 线索s',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Lead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='姓名')),
                ('phone', models.CharField(blank=True, max_length=40, verbose_name='手机')),
                ('phone_key', models.CharField(blank=True, db_index=True, editable=False, max_length=40)),
                ('email', models.CharField(blank=True, max_length=200, verbose_name='邮箱')),
                ('email_key', models.CharField(blank=True, db_index=True, editable=False, max_length=200)),
                ('company', models.CharField(blank=True, max_length=200, verbose_name='公司')),
                ('company_key', models.CharField(blank=True, db_index=True, editable=False, max_length=200)),
                ('title', models.CharField(blank=True, max_length=100, verbose_name='职务')),
                ('industry_segment', models.CharField(blank=True, max_length=50, verbose_name='行业细分')),
                ('customer_tier', models.CharField(blank=True, max_length=50, verbose_name='客户等级')),
                ('product_line', models.CharField(blank=True, max_length=50, verbose_name='产品线')),
                ('buying_stage', models.CharField(blank=True, max_length=50, verbose_name='采购阶段')),
                ('company_size', models.CharField(blank=True, max_length=50, verbose_name='公司规模')),
                ('budget', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='预算')),
                ('source', models.CharField(blank=True, max_length=60, verbose_name='来源')),
                ('utm', models.JSONField(blank=True, default=dict)),
                ('message', models.TextField(blank=True, verbose_name='留言')),
                ('status', models.CharField(choices=[('pooled', '线索池'), ('assigned', '已分配'), ('acknowledged', '已查看'), ('contacted', '已联系'), ('converted', '已转化'), ('disqualified', '无效')], default='pooled', max_length=20, verbose_name='状态')),
                ('assigned_at', models.DateTimeField(blank=True, null=True)),
                ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                ('first_contact_at', models.DateTimeField(blank=True, null=True)),
                ('last_activity_at', models.DateTimeField(blank=True, null=True)),
                ('score', models.IntegerField(default=0, verbose_name='评分')),
                ('score_factors', models.JSONField(blank=True, default=list)),
                ('mql_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField()),
                ('form', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='leads', to='leads.intakeform')),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='leads', to=settings.AUTH_USER_MODEL, verbose_name='负责人')),
                ('converted_at', models.DateTimeField(blank=True, null=True, verbose_name='转化时间')),
                ('customer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='leads', to='customers.customer', verbose_name='客户')),
            ],
            options={
                'verbose_name': '线索',
                'ordering': ['-id'],
                'indexes': [models.Index(fields=['owner', 'status'], name='lead_owner_status'), models.Index(fields=['status', 'created_at'], name='lead_status_created'), models.Index(fields=['assigned_at'], name='lead_assigned_at')],
            },
        ),
        migrations.CreateModel(
            name='LeadBehaviour',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=60)),
                ('at', models.DateTimeField()),
                ('url', models.CharField(blank=True, max_length=500)),
                ('dwell_seconds', models.PositiveIntegerField(default=0)),
                ('lead', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='behaviours', to='leads.lead')),
            ],
            options={
                'ordering': ['at', 'id'],
                'indexes': [models.Index(fields=['lead', 'at'], name='behaviour_lead_time')],
            },
        ),
        migrations.CreateModel(
            name='RepWorkload',
            fields=[
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, serialize=False, to=settings.AUTH_USER_MODEL)),
                ('open_leads', models.IntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='LearnedScoreModel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('trained_at', models.DateTimeField()),
                ('features', models.JSONField(default=list)),
                ('coefficients', models.JSONField(default=list)),
                ('intercept', models.FloatField(default=0.0)),
                ('samples', models.PositiveIntegerField(default=0)),
                ('won', models.PositiveIntegerField(default=0)),
                ('accuracy', models.FloatField(blank=True, help_text='Cross-validated accuracy.', null=True)),
            ],
            options={
                'ordering': ['-trained_at', '-id'],
            },
        ),
    ]
