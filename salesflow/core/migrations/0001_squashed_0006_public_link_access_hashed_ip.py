"""Squash of 0001_initial … 0006_public_link_access_hashed_ip (6 migrations), for a fresh database (issue #15).

Made by `squashmigrations`, then folded by hand-run tooling: every AddIndex, AddConstraint,
AddField, AlterField, RemoveField, RemoveIndex and AlterModelOptions of a model created here is
part of its CreateModel (Django's optimizer does not reduce across the other CreateModels,
AddIndexes and RunPythons between them). A database that has applied any of the replaced
migrations runs those instead; the schema this builds was checked to be identical to theirs
(`pg_dump -s` on PostgreSQL, tables, columns, indexes, constraints and triggers on SQLite).

Elided (marked `elidable` in the original): 0006's `hash_addresses`, which converts the
accesses logged before it; this squash runs only where `core_publiclinkaccess` is created by it, empty.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('core', '0001_initial'), ('core', '0002_initial'), ('core', '0003_ratewindow'), ('core', '0004_dailyrun'), ('core', '0005_public_links'), ('core', '0006_public_link_access_hashed_ip')]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RateWindow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('bucket', models.CharField(max_length=200)),
                ('window_start', models.DateTimeField()),
                ('count', models.PositiveIntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('bucket', 'window_start'), name='one_rate_window')],
            },
        ),
        migrations.CreateModel(
            name='DailyRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100)),
                ('day', models.DateField()),
                ('started_at', models.DateTimeField()),
                ('result', models.JSONField(blank=True, default=dict)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('name', 'day'), name='daily_run_once')],
            },
        ),
        migrations.CreateModel(
            name='PublicLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('purpose', models.CharField(db_index=True, max_length=40)),
                ('token_digest', models.CharField(max_length=64, unique=True)),
                ('label', models.CharField(blank=True, max_length=100)),
                ('payload', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField()),
                ('expires_at', models.DateTimeField()),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('last_used_at', models.DateTimeField(blank=True, null=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Event',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(db_index=True, max_length=100)),
                ('subject_type', models.CharField(max_length=100)),
                ('subject_id', models.BigIntegerField()),
                ('payload', models.JSONField(blank=True, default=dict)),
                ('occurred_at', models.DateTimeField()),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['occurred_at', 'id'],
                'indexes': [models.Index(fields=['subject_type', 'subject_id', 'occurred_at'], name='event_subject'), models.Index(fields=['name', 'occurred_at'], name='event_name_time'), models.Index(fields=['occurred_at'], name='event_time')],
            },
        ),
        migrations.CreateModel(
            name='PublicLinkAccess',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField()),
                ('user_agent', models.CharField(blank=True, max_length=200)),
                ('kind', models.CharField(default='open', max_length=20)),
                ('link', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='accesses', to='core.publiclink')),
                ('device', models.CharField(choices=[('phone', '手机'), ('tablet', '平板'), ('desktop', '电脑'), ('other', '其他')], default='other', max_length=10)),
                ('ip_hash', models.CharField(blank=True, max_length=64)),
            ],
            options={
                'ordering': ['-at', '-id'],
                'indexes': [models.Index(fields=['link', 'at'], name='public_link_access_time')],
            },
        ),
    ]
