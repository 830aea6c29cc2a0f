"""Squash of 0001_initial … 0005_battle_last_update_index (5 migrations), for a fresh database (issue #15).

Made by `squashmigrations`, then folded by hand-run tooling: every AddIndex, AddConstraint,
AddField, AlterField, RemoveField, RemoveIndex and AlterModelOptions of a model created here is
part of its CreateModel (Django's optimizer does not reduce across the other CreateModels,
AddIndexes and RunPythons between them). A database that has applied any of the replaced
migrations runs those instead; the schema this builds was checked to be identical to theirs
(`pg_dump -s` on PostgreSQL, tables, columns, indexes, constraints and triggers on SQLite).
"""

import django.db.models.deletion
import django.db.models.functions.comparison
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('pipeline', '0001_initial'), ('pipeline', '0002_historicalopportunity_closed_at_and_more'), ('pipeline', '0003_dwell_index_team_first'), ('pipeline', '0004_cockpit_indexes'), ('pipeline', '0005_battle_last_update_index')]

    initial = True

    dependencies = [
        ('customers', '0001_initial'),
        ('leads', '0002_repworkload_historicallead_converted_at_and_more'),
        ('leads', '0004_cockpit_indexes'),
        ('org', '0001_initial'),
        ('org', '0002_drop_failedlogin_for_shared_login_throttle'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalOpportunity',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='商机名称')),
                ('amount', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='金额')),
                ('expected_close', models.DateField(blank=True, null=True, verbose_name='预计成交')),
                ('product_lines', models.JSONField(blank=True, default=list, verbose_name='产品线')),
                ('pipeline', models.CharField(max_length=60, verbose_name='销售流程')),
                ('stage', models.CharField(max_length=60, verbose_name='阶段')),
                ('stage_entered_at', models.DateTimeField(verbose_name='进入阶段时间')),
                ('status', models.CharField(choices=[('open', '进行中'), ('won', '赢单'), ('lost', '输单')], default='open', max_length=10, verbose_name='状态')),
                ('created_at', models.DateTimeField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('customer', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='customers.customer', verbose_name='客户')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('lead', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='leads.lead', verbose_name='来源线索')),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='负责人')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='关闭时间')),
                ('last_update_at', models.DateTimeField(blank=True, null=True, verbose_name='最近更新')),
                ('lost_reason', models.CharField(blank=True, max_length=60, verbose_name='输单原因')),
            ],
            options={
                'verbose_name': 'historical 商机',
                'verbose_name_plural': 'historical 商机s',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Opportunity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='商机名称')),
                ('amount', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='金额')),
                ('expected_close', models.DateField(blank=True, null=True, verbose_name='预计成交')),
                ('product_lines', models.JSONField(blank=True, default=list, verbose_name='产品线')),
                ('pipeline', models.CharField(max_length=60, verbose_name='销售流程')),
                ('stage', models.CharField(max_length=60, verbose_name='阶段')),
                ('stage_entered_at', models.DateTimeField(verbose_name='进入阶段时间')),
                ('status', models.CharField(choices=[('open', '进行中'), ('won', '赢单'), ('lost', '输单')], default='open', max_length=10, verbose_name='状态')),
                ('created_at', models.DateTimeField()),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='opportunities', to='customers.customer', verbose_name='客户')),
                ('lead', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='opportunity', to='leads.lead', verbose_name='来源线索')),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='opportunities', to=settings.AUTH_USER_MODEL, verbose_name='负责人')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='关闭时间')),
                ('last_update_at', models.DateTimeField(blank=True, null=True, verbose_name='最近更新')),
                ('lost_reason', models.CharField(blank=True, max_length=60, verbose_name='输单原因')),
            ],
            options={
                'verbose_name': '商机',
                'ordering': ['-id'],
                'indexes': [models.Index(fields=['owner', 'status'], name='opportunity_owner_status'), models.Index(fields=['closed_at'], name='opportunity_closed_at'), models.Index(django.db.models.functions.comparison.Coalesce(models.F('last_update_at'), models.F('stage_entered_at')), models.F('id'), condition=models.Q(('status', 'open')), name='opportunity_open_last_update')],
            },
        ),
        migrations.CreateModel(
            name='HistoricalVisit',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('code', models.CharField(db_index=True, max_length=32)),
                ('package', models.CharField(max_length=60, verbose_name='任务包')),
                ('planned_at', models.DateTimeField(blank=True, null=True, verbose_name='计划时间')),
                ('address', models.CharField(blank=True, max_length=300, verbose_name='地点')),
                ('lat', models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True)),
                ('lng', models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True)),
                ('status', models.CharField(choices=[('open', '待完成'), ('completed', '已完成')], default='open', max_length=12)),
                ('need_change', models.CharField(blank=True, max_length=200, verbose_name='需求变化')),
                ('competitor_news', models.CharField(blank=True, max_length=200, verbose_name='竞品动态')),
                ('next_step', models.CharField(blank=True, max_length=200, verbose_name='下一步')),
                ('created_at', models.DateTimeField()),
                ('completed_at', models.DateTimeField(blank=True, null=True)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('customer', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='customers.customer')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('opportunity', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pipeline.opportunity')),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical 拜访',
                'verbose_name_plural': 'historical 拜访s',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Visit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=32, unique=True)),
                ('package', models.CharField(max_length=60, verbose_name='任务包')),
                ('planned_at', models.DateTimeField(blank=True, null=True, verbose_name='计划时间')),
                ('address', models.CharField(blank=True, max_length=300, verbose_name='地点')),
                ('lat', models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True)),
                ('lng', models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True)),
                ('status', models.CharField(choices=[('open', '待完成'), ('completed', '已完成')], default='open', max_length=12)),
                ('need_change', models.CharField(blank=True, max_length=200, verbose_name='需求变化')),
                ('competitor_news', models.CharField(blank=True, max_length=200, verbose_name='竞品动态')),
                ('next_step', models.CharField(blank=True, max_length=200, verbose_name='下一步')),
                ('created_at', models.DateTimeField()),
                ('completed_at', models.DateTimeField(blank=True, null=True)),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='customers.customer')),
                ('opportunity', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='visits', to='pipeline.opportunity')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='visits', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '拜访',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='StageVisit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('pipeline', models.CharField(max_length=60)),
                ('stage', models.CharField(max_length=60)),
                ('entered_at', models.DateTimeField()),
                ('entry_reason', models.CharField(blank=True, max_length=300)),
                ('exited_at', models.DateTimeField(blank=True, null=True)),
                ('exit_reason', models.CharField(blank=True, max_length=300)),
                ('entered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('exited_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('opportunity', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='stage_visits', to='pipeline.opportunity')),
                ('team', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='org.team')),
            ],
            options={
                'ordering': ['entered_at', 'id'],
                'indexes': [models.Index(fields=['opportunity', 'entered_at'], name='stagevisit_opportunity'), models.Index(fields=['pipeline', 'team', 'stage'], name='stagevisit_dwell'), models.Index(fields=['pipeline', 'entered_at'], name='stagevisit_pipeline_entered'), models.Index(fields=['pipeline', 'exited_at'], name='stagevisit_pipeline_exited')],
            },
        ),
        migrations.CreateModel(
            name='Evidence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('stage', models.CharField(blank=True, max_length=60)),
                ('requirement', models.CharField(max_length=60)),
                ('kind', models.CharField(max_length=30)),
                ('file', models.FileField(blank=True, upload_to='evidence/%Y/%m/')),
                ('original_name', models.CharField(blank=True, max_length=200)),
                ('content_type', models.CharField(blank=True, max_length=100)),
                ('size', models.PositiveIntegerField(default=0)),
                ('sha256', models.CharField(blank=True, db_index=True, max_length=64)),
                ('phash', models.CharField(blank=True, db_index=True, max_length=16)),
                ('text', models.TextField(blank=True)),
                ('captured_at', models.DateTimeField(blank=True, null=True)),
                ('lat', models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True)),
                ('lng', models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True)),
                ('exif_taken_at', models.DateTimeField(blank=True, null=True)),
                ('exif_lat', models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True)),
                ('exif_lng', models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True)),
                ('flags', models.JSONField(blank=True, default=list)),
                ('uploaded_at', models.DateTimeField()),
                ('locked_at', models.DateTimeField(blank=True, null=True)),
                ('opportunity', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='evidence', to='pipeline.opportunity')),
                ('uploaded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('visit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='evidence', to='pipeline.visit')),
            ],
            options={
                'verbose_name': '证据',
                'ordering': ['uploaded_at', 'id'],
                'indexes': [models.Index(fields=['opportunity', 'stage'], name='evidence_opportunity_stage'), models.Index(fields=['uploaded_at'], name='evidence_uploaded_at')],
            },
        ),
    ]
