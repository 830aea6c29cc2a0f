"""Squash of 0001_initial … 0003_library_names_in_chinese (3 migrations), for a fresh database (issue #15).

Made by `squashmigrations`, then folded by hand-run tooling: every AddIndex, AddConstraint,
AddField, AlterField, RemoveField, RemoveIndex and AlterModelOptions of a model created here is
part of its CreateModel (Django's optimizer does not reduce across the other CreateModels,
AddIndexes and RunPythons between them). A database that has applied any of the replaced
migrations runs those instead; the schema this builds was checked to be identical to theirs
(`pg_dump -s` on PostgreSQL, tables, columns, indexes, constraints and triggers on SQLite).

The RunPython functions below are copied from the replaced migrations, unchanged.
"""

from datetime import date

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

# --- from 0002_seed_statutory_calendar ---
# Seed the working calendar from `chinese-calendar` for the years it knows (2024–2026).
SEED_YEARS = [2024, 2025, 2026]


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    import chinese_calendar

    calendar_day = apps.get_model("timers", "CalendarDay")
    existing = set(calendar_day.objects.values_list("day", flat=True))
    rows = []
    for year in SEED_YEARS:
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:  # the installed library stops before this year
            continue
        for day, name in chinese_calendar.holidays.items():
            if day.year == year and day not in existing:
                rows.append(calendar_day(day=day, is_workday=False, kind="holiday", name=str(name), source="library"))
        for day, name in chinese_calendar.workdays.items():
            if day.year == year and day not in existing:
                rows.append(calendar_day(day=day, is_workday=True, kind="makeup_workday", name=str(name),
                                         source="library"))
    calendar_day.objects.bulk_create(rows)


def unseed(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("timers", "CalendarDay").objects.filter(source="library", day__year__in=SEED_YEARS).delete()

# --- from 0003_library_names_in_chinese ---
# Name the seeded statutory days in Chinese ("National Day" → "国庆节"), as the UI is Chinese.


def to_chinese(apps, schema_editor):  # type: ignore[no-untyped-def]
    from chinese_calendar.constants import Holiday

    calendar_day = apps.get_model("timers", "CalendarDay")
    for holiday in Holiday:
        calendar_day.objects.filter(source="library", name=holiday.value).update(name=holiday.chinese)


def to_english(apps, schema_editor):  # type: ignore[no-untyped-def]
    from chinese_calendar.constants import Holiday

    calendar_day = apps.get_model("timers", "CalendarDay")
    for holiday in Holiday:
        calendar_day.objects.filter(source="library", name=holiday.chinese).update(name=holiday.value)


class Migration(migrations.Migration):

    replaces = [('timers', '0001_initial'), ('timers', '0002_seed_statutory_calendar'), ('timers', '0003_library_names_in_chinese')]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CalendarDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(unique=True, verbose_name='日期')),
                ('is_workday', models.BooleanField(verbose_name='上班')),
                ('kind', models.CharField(choices=[('holiday', '法定节假日'), ('makeup_workday', '调休上班')], max_length=20, verbose_name='类型')),
                ('name', models.CharField(blank=True, max_length=50, verbose_name='名称')),
                ('source', models.CharField(choices=[('library', 'chinese-calendar'), ('manual', '手工录入')], default='manual', max_length=20, verbose_name='来源')),
            ],
            options={
                'verbose_name': '工作日历',
                'ordering': ['day'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalCalendarDay',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('day', models.DateField(db_index=True, verbose_name='日期')),
                ('is_workday', models.BooleanField(verbose_name='上班')),
                ('kind', models.CharField(choices=[('holiday', '法定节假日'), ('makeup_workday', '调休上班')], max_length=20, verbose_name='类型')),
                ('name', models.CharField(blank=True, max_length=50, verbose_name='名称')),
                ('source', models.CharField(choices=[('library', 'chinese-calendar'), ('manual', '手工录入')], default='manual', max_length=20, verbose_name='来源')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical 工作日历',
                'verbose_name_plural': 'historical 工作日历s',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Deadline',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('subject_type', models.CharField(max_length=100)),
                ('subject_id', models.BigIntegerField()),
                ('policy', models.CharField(max_length=60)),
                ('policy_name', models.CharField(blank=True, max_length=200)),
                ('step', models.PositiveSmallIntegerField()),
                ('step_name', models.CharField(blank=True, max_length=200)),
                ('due_at', models.DateTimeField()),
                ('status', models.CharField(choices=[('pending', '计时中'), ('claimed', '处理中'), ('fired', '已触发'), ('cancelled', '已停止'), ('failed', '失败')], default='pending', max_length=20)),
                ('payload', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField()),
                ('fired_at', models.DateTimeField(blank=True, null=True)),
                ('cancelled_at', models.DateTimeField(blank=True, null=True)),
                ('claimed_by', models.CharField(blank=True, max_length=100)),
                ('claimed_at', models.DateTimeField(blank=True, null=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('last_error', models.TextField(blank=True)),
                ('started_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['due_at', 'id'],
                'indexes': [models.Index(fields=['status', 'due_at'], name='deadline_due'), models.Index(fields=['subject_type', 'subject_id', 'status'], name='deadline_subject')],
            },
        ),
        migrations.RunPython(
            code=seed,
            reverse_code=unseed,
        ),
        migrations.RunPython(
            code=to_chinese,
            reverse_code=to_english,
        ),
    ]
