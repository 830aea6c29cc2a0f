"""Squash of 0001_initial … 0005_alter_importjob_kind (5 migrations), for a fresh database (issue #15).

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

    replaces = [('imports', '0001_initial'), ('imports', '0002_alter_importjob_status'), ('imports', '0003_importjob_started_and_pruned'), ('imports', '0004_importjob_mode'), ('imports', '0005_alter_importjob_kind')]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ImportJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('customers', '客户'), ('contacts', '联系人'), ('orders', '订单'), ('leads', '线索'), ('products', '产品')], max_length=20, verbose_name='导入内容')),
                ('status', models.CharField(choices=[('uploaded', '已上传'), ('mapped', '已映射列'), ('running', '导入中'), ('done', '已完成'), ('failed', '未导入')], default='uploaded', max_length=20, verbose_name='状态')),
                ('filename', models.CharField(max_length=200, verbose_name='文件名')),
                ('source', models.BinaryField()),
                ('headers', models.JSONField(blank=True, default=list)),
                ('mapping', models.JSONField(blank=True, default=dict)),
                ('total_rows', models.IntegerField(default=0, verbose_name='行数')),
                ('created_count', models.IntegerField(default=0, verbose_name='已导入')),
                ('skipped_count', models.IntegerField(default=0, verbose_name='已跳过')),
                ('errors', models.JSONField(blank=True, default=list)),
                ('skip_bad_rows', models.BooleanField(default=False, verbose_name='跳过错误行')),
                ('skipped_file', models.BinaryField(blank=True, null=True)),
                ('created_at', models.DateTimeField()),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('pruned_at', models.DateTimeField(blank=True, null=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('mode', models.CharField(choices=[('create', '仅新建'), ('update', '仅更新'), ('upsert', '新建或更新')], default='create', max_length=10, verbose_name='导入方式')),
                ('unchanged_count', models.IntegerField(default=0, verbose_name='不变')),
                ('updated_count', models.IntegerField(default=0, verbose_name='已更新')),
            ],
            options={
                'verbose_name': '导入任务',
                'ordering': ['-id'],
            },
        ),
    ]
