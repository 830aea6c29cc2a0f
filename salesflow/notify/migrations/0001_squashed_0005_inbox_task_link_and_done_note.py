"""Squash of 0001_initial … 0005_inbox_task_link_and_done_note (5 migrations), for a fresh database (issue #15).

Made by `squashmigrations`, then folded by hand-run tooling: every AddIndex, AddConstraint,
AddField, AlterField, RemoveField, RemoveIndex and AlterModelOptions of a model created here is
part of its CreateModel (Django's optimizer does not reduce across the other CreateModels,
AddIndexes and RunPythons between them). A database that has applied any of the replaced
migrations runs those instead; the schema this builds was checked to be identical to theirs
(`pg_dump -s` on PostgreSQL, tables, columns, indexes, constraints and triggers on SQLite).

Elided (marked `elidable` in the original): 0003's `scrub` of logged delivery errors; this
squash runs only where it creates `notify_delivery`, empty.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('notify', '0001_initial'), ('notify', '0002_delivery_next_attempt_at'), ('notify', '0003_scrub_reply_bodies_from_delivery_log'), ('notify', '0004_egress_allowance'), ('notify', '0005_inbox_task_link_and_done_note')]

    initial = True

    dependencies = [
        ('org', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Channel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('email', '电子邮件'), ('wecom', '企业微信群机器人'), ('dingtalk', '钉钉群机器人'), ('feishu', '飞书群机器人'), ('webhook', '通用 Webhook（HMAC 签名）')], max_length=20, verbose_name='类型')),
                ('name', models.CharField(max_length=100, verbose_name='名称')),
                ('target', models.CharField(help_text='邮箱地址或机器人 Webhook 地址', max_length=500, verbose_name='地址')),
                ('secret', models.CharField(blank=True, max_length=200, verbose_name='签名密钥')),
                ('kinds', models.JSONField(blank=True, default=list, verbose_name='只发送这些类型')),
                ('enabled', models.BooleanField(default=True, verbose_name='启用')),
                ('team', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='org.team')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='channels', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['id'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('team__isnull', False), ('user__isnull', True)), models.Q(('team__isnull', True), ('user__isnull', False)), _connector='OR'), name='channel_has_one_owner')],
            },
        ),
        migrations.CreateModel(
            name='HistoricalChannel',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('kind', models.CharField(choices=[('email', '电子邮件'), ('wecom', '企业微信群机器人'), ('dingtalk', '钉钉群机器人'), ('feishu', '飞书群机器人'), ('webhook', '通用 Webhook（HMAC 签名）')], max_length=20, verbose_name='类型')),
                ('name', models.CharField(max_length=100, verbose_name='名称')),
                ('target', models.CharField(help_text='邮箱地址或机器人 Webhook 地址', max_length=500, verbose_name='地址')),
                ('kinds', models.JSONField(blank=True, default=list, verbose_name='只发送这些类型')),
                ('enabled', models.BooleanField(default=True, verbose_name='启用')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('team', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='org.team')),
                ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical channel',
                'verbose_name_plural': 'historical channels',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalTask',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='标题')),
                ('body', models.TextField(blank=True, verbose_name='说明')),
                ('subject_type', models.CharField(blank=True, max_length=100)),
                ('subject_id', models.BigIntegerField(blank=True, null=True)),
                ('due_at', models.DateTimeField(blank=True, null=True, verbose_name='截止')),
                ('status', models.CharField(choices=[('open', '待办'), ('done', '已完成'), ('cancelled', '已取消')], default='open', max_length=20)),
                ('created_by_rule', models.CharField(blank=True, max_length=120)),
                ('created_at', models.DateTimeField()),
                ('done_at', models.DateTimeField(blank=True, null=True)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('assignee', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('done_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('done_note', models.TextField(blank=True, verbose_name='处理说明')),
            ],
            options={
                'verbose_name': 'historical task',
                'verbose_name_plural': 'historical tasks',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=60)),
                ('title', models.CharField(max_length=200)),
                ('body', models.TextField(blank=True)),
                ('subject_type', models.CharField(blank=True, max_length=100)),
                ('subject_id', models.BigIntegerField(blank=True, null=True)),
                ('created_at', models.DateTimeField()),
                ('read_at', models.DateTimeField(blank=True, null=True)),
                ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['recipient', 'read_at', 'created_at'], name='inbox')],
            },
        ),
        migrations.CreateModel(
            name='Delivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200)),
                ('body', models.TextField(blank=True)),
                ('status', models.CharField(choices=[('pending', '待发送'), ('sent', '已发送'), ('failed', '失败')], default='pending', max_length=20)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('last_error', models.TextField(blank=True)),
                ('response_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('created_at', models.DateTimeField()),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('channel', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='notify.channel')),
                ('notification', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='notify.notification')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['status', 'created_at'], name='delivery_status')],
            },
        ),
        migrations.CreateModel(
            name='Task',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='标题')),
                ('body', models.TextField(blank=True, verbose_name='说明')),
                ('subject_type', models.CharField(blank=True, max_length=100)),
                ('subject_id', models.BigIntegerField(blank=True, null=True)),
                ('due_at', models.DateTimeField(blank=True, null=True, verbose_name='截止')),
                ('status', models.CharField(choices=[('open', '待办'), ('done', '已完成'), ('cancelled', '已取消')], default='open', max_length=20)),
                ('created_by_rule', models.CharField(blank=True, max_length=120)),
                ('created_at', models.DateTimeField()),
                ('done_at', models.DateTimeField(blank=True, null=True)),
                ('assignee', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tasks', to=settings.AUTH_USER_MODEL)),
                ('done_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('done_note', models.TextField(blank=True, verbose_name='处理说明')),
            ],
            options={
                'ordering': ['status', 'due_at', 'id'],
                'indexes': [models.Index(fields=['assignee', 'status', 'due_at'], name='todo_list')],
            },
        ),
        migrations.CreateModel(
            name='EgressAllowance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('entry', models.CharField(max_length=253, unique=True, verbose_name='地址')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='说明')),
                ('created_at', models.DateTimeField()),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['entry', 'id'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalEgressAllowance',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('entry', models.CharField(db_index=True, max_length=253, verbose_name='地址')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='说明')),
                ('created_at', models.DateTimeField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical egress allowance',
                'verbose_name_plural': 'historical egress allowances',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AddField(
            model_name='notification',
            name='task',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='notify.task'),
        ),
    ]
