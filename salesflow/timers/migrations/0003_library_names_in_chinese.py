"""Name the seeded statutory days in Chinese ("National Day" → "国庆节"), as the UI is Chinese."""

from django.db import migrations


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
    dependencies = [("timers", "0002_seed_statutory_calendar")]

    operations = [migrations.RunPython(to_chinese, to_english)]
