"""Seed the working calendar from `chinese-calendar` for the years it knows (2024–2026)."""

from datetime import date

from django.db import migrations

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


class Migration(migrations.Migration):
    dependencies = [("timers", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
