"""Squash of 0001_sales_targets … 0006_health_series (6 migrations), for a fresh database (issue #15).

Made by `squashmigrations`, then folded by hand-run tooling: every AddIndex, AddConstraint,
AddField, AlterField, RemoveField, RemoveIndex and AlterModelOptions of a model created here is
part of its CreateModel (Django's optimizer does not reduce across the other CreateModels,
AddIndexes and RunPythons between them). A database that has applied any of the replaced
migrations runs those instead; the schema this builds was checked to be identical to theirs
(`pg_dump -s` on PostgreSQL, tables, columns, indexes, constraints and triggers on SQLite).
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('analytics', '0001_sales_targets'), ('analytics', '0002_health_attribution'), ('analytics', '0003_forecast_signals'), ('analytics', '0004_rollups'), ('analytics', '0005_cockpit_rollups'), ('analytics', '0006_health_series')]

    initial = True

    dependencies = [
        ('customers', '0001_initial'),
        ('org', '0002_drop_failedlogin_for_shared_login_throttle'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalSalesTarget',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('month', models.DateField(verbose_name='月份')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='目标签约额')),
                ('updated_at', models.DateTimeField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('person', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('set_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('team', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='org.team')),
            ],
            options={
                'verbose_name': 'historical 销售目标',
                'verbose_name_plural': 'historical 销售目标',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='SalesTarget',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(verbose_name='月份')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='目标签约额')),
                ('updated_at', models.DateTimeField()),
                ('person', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='sales_targets', to=settings.AUTH_USER_MODEL)),
                ('set_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('team', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='sales_targets', to='org.team')),
            ],
            options={
                'verbose_name': '销售目标',
                'verbose_name_plural': '销售目标',
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('person__isnull', True), ('team__isnull', False)), models.Q(('person__isnull', False), ('team__isnull', True)), _connector='OR'), name='sales_target_one_scope'), models.UniqueConstraint(fields=('team', 'month'), name='sales_target_team_month'), models.UniqueConstraint(fields=('person', 'month'), name='sales_target_person_month')],
            },
        ),
        migrations.CreateModel(
            name='HistoricalAcquisitionSpend',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('source', models.CharField(max_length=60, verbose_name='线索来源')),
                ('month', models.DateField(verbose_name='月份')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='获客投入')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='备注')),
                ('updated_at', models.DateTimeField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('set_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical 获客投入',
                'verbose_name_plural': 'historical 获客投入',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='AcquisitionSpend',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(max_length=60, verbose_name='线索来源')),
                ('month', models.DateField(verbose_name='月份')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='获客投入')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='备注')),
                ('updated_at', models.DateTimeField()),
                ('set_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '获客投入',
                'verbose_name_plural': '获客投入',
                'ordering': ['-month', 'source'],
                'constraints': [models.UniqueConstraint(fields=('source', 'month'), name='acquisition_spend_source_month')],
            },
        ),
        migrations.CreateModel(
            name='DigestSent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('week', models.DateField()),
                ('sent_at', models.DateTimeField()),
                ('manager', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('manager', 'week'), name='digest_once_per_week')],
            },
        ),
        migrations.CreateModel(
            name='HealthAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('indicator', models.CharField(max_length=60, verbose_name='指标')),
                ('breach_started_on', models.DateField(verbose_name='开始超标日期')),
                ('breach_last_on', models.DateField(verbose_name='最近超标日期')),
                ('value', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='最近数值')),
                ('fired_at', models.DateTimeField(verbose_name='预警时间')),
                ('recovered_on', models.DateField(blank=True, null=True, verbose_name='恢复日期')),
                ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='health_alerts', to='org.team')),
            ],
            options={
                'verbose_name': '健康度预警',
                'verbose_name_plural': '健康度预警',
                'ordering': ['-fired_at', '-id'],
                'constraints': [models.UniqueConstraint(fields=('team', 'indicator', 'breach_started_on'), name='health_alert_once_per_breach')],
            },
        ),
        migrations.CreateModel(
            name='HistoricalForecastSignal',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('title', models.CharField(max_length=100, verbose_name='信号')),
                ('product_line', models.CharField(max_length=60, verbose_name='产品线')),
                ('starts_on', models.DateField(verbose_name='开始日期')),
                ('ends_on', models.DateField(verbose_name='结束日期')),
                ('multiplier', models.DecimalField(decimal_places=2, max_digits=5, verbose_name='赢率倍数')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='说明')),
                ('created_at', models.DateTimeField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical 外部信号',
                'verbose_name_plural': 'historical 外部信号',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='ForecastSignal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=100, verbose_name='信号')),
                ('product_line', models.CharField(max_length=60, verbose_name='产品线')),
                ('starts_on', models.DateField(verbose_name='开始日期')),
                ('ends_on', models.DateField(verbose_name='结束日期')),
                ('multiplier', models.DecimalField(decimal_places=2, max_digits=5, verbose_name='赢率倍数')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='说明')),
                ('created_at', models.DateTimeField()),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '外部信号',
                'verbose_name_plural': '外部信号',
                'ordering': ['-starts_on', '-id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('ends_on__gte', models.F('starts_on'))), name='forecast_signal_range'), models.CheckConstraint(condition=models.Q(('multiplier__gt', 0)), name='forecast_signal_multiplier_positive')],
            },
        ),
        migrations.CreateModel(
            name='PaceAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('week', models.DateField()),
                ('entries_this_week', models.PositiveIntegerField()),
                ('entries_last_week', models.PositiveIntegerField()),
                ('gap', models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True)),
                ('message', models.CharField(max_length=300)),
                ('fired_at', models.DateTimeField()),
                ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='org.team')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('team', 'week'), name='pace_alert_once_per_week')],
            },
        ),
        migrations.CreateModel(
            name='RollupState',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=60, unique=True)),
                ('last_event_id', models.BigIntegerField(default=0)),
                ('refreshed_at', models.DateTimeField()),
                ('rebuilt_at', models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name='ActionDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('pipeline', models.CharField(max_length=60)),
                ('day', models.DateField()),
                ('stage', models.CharField(max_length=60)),
                ('actions', models.PositiveIntegerField()),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['pipeline', 'day'], name='actionday_pipeline_day')],
            },
        ),
        migrations.CreateModel(
            name='StageEntryDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('pipeline', models.CharField(max_length=60)),
                ('day', models.DateField()),
                ('stage', models.CharField(max_length=60)),
                ('previous_day', models.DateField(blank=True, null=True)),
                ('advanced', models.BooleanField()),
                ('stays', models.PositiveIntegerField()),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['pipeline', 'day'], name='stageentryday_pipeline_day')],
            },
        ),
        migrations.CreateModel(
            name='StageEntryMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('pipeline', models.CharField(max_length=60)),
                ('month', models.DateField()),
                ('stage', models.CharField(max_length=60)),
                ('entered', models.PositiveIntegerField()),
                ('advanced', models.PositiveIntegerField()),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['pipeline', 'month'], name='stageentrymonth_pipeline_month')],
            },
        ),
        migrations.CreateModel(
            name='CustomerPeople',
            fields=[
                ('customer', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='customers.customer')),
                ('people', models.PositiveIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name='CompletenessSnapshot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('subject', models.CharField(max_length=30)),
                ('total', models.PositiveIntegerField()),
                ('complete', models.PositiveIntegerField()),
                ('owner', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['owner'], name='completeness_snapshot_owner')],
            },
        ),
        migrations.CreateModel(
            name='DwellDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('pipeline', models.CharField(max_length=60)),
                ('day', models.DateField()),
                ('stage', models.CharField(max_length=60)),
                ('tenths', models.IntegerField()),
                ('stays', models.PositiveIntegerField()),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['pipeline', 'day'], name='dwellday_pipeline_day')],
            },
        ),
        migrations.CreateModel(
            name='HealthSeries',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('indicator', models.CharField(max_length=60)),
                ('first_day', models.DateField()),
                ('last_day', models.DateField()),
                ('members_key', models.CharField(max_length=64)),
                ('pack_version', models.PositiveIntegerField()),
                ('values', models.JSONField(default=list)),
                ('computed_at', models.DateTimeField()),
                ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='org.team')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('team', 'indicator'), name='health_series_per_team_indicator')],
            },
        ),
    ]
