"""Squash of 0001_initial … 0005_effective_time_index (5 migrations), for a fresh database (issue #15).

Made by `squashmigrations`, then folded by hand-run tooling: every AddIndex, AddConstraint,
AddField, AlterField, RemoveField, RemoveIndex and AlterModelOptions of a model created here is
part of its CreateModel (Django's optimizer does not reduce across the other CreateModels,
AddIndexes and RunPythons between them). A database that has applied any of the replaced
migrations runs those instead; the schema this builds was checked to be identical to theirs
(`pg_dump -s` on PostgreSQL, tables, columns, indexes, constraints and triggers on SQLite).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('activities', '0001_initial'), ('activities', '0002_activity_customer'), ('activities', '0003_activity_opportunity_activity_activity_customer_time'), ('activities', '0004_cockpit_indexes'), ('activities', '0005_effective_time_index')]

    initial = True

    dependencies = [
        ('customers', '0001_initial'),
        ('leads', '0001_initial'),
        ('leads', '0002_repworkload_historicallead_converted_at_and_more'),
        ('leads', '0003_learnedscoremodel'),
        ('leads', '0004_cockpit_indexes'),
        ('pipeline', '0001_initial'),
        ('pipeline', '0003_dwell_index_team_first'),
        ('pipeline', '0005_battle_last_update_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Activity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('call', '电话'), ('visit', '拜访'), ('message', '消息'), ('email', '邮件'), ('meeting', '会议')], max_length=20, verbose_name='类型')),
                ('occurred_at', models.DateTimeField(verbose_name='发生时间')),
                ('duration_seconds', models.PositiveIntegerField(default=0, verbose_name='时长（秒）')),
                ('note', models.TextField(blank=True, verbose_name='备注')),
                ('effective', models.BooleanField(default=False, verbose_name='有效接触')),
                ('created_at', models.DateTimeField()),
                ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='activities', to=settings.AUTH_USER_MODEL)),
                ('lead', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='activities', to='leads.lead')),
                ('customer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='activities', to='customers.customer')),
                ('opportunity', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='activities', to='pipeline.opportunity')),
            ],
            options={
                'ordering': ['-occurred_at', '-id'],
                'indexes': [models.Index(fields=['lead', 'occurred_at'], name='activity_lead_time'), models.Index(fields=['actor', 'occurred_at'], name='activity_actor_time'), models.Index(fields=['customer', 'occurred_at'], name='activity_customer_time'), models.Index(fields=['occurred_at'], name='activity_time'), models.Index(condition=models.Q(('effective', True)), fields=['occurred_at', 'actor', 'id'], name='activity_effective_time')],
            },
        ),
    ]
