"""Durations and the working calendar (Chinese statutory holidays, 调休, years without data)."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from salesflow.core.errors import FieldErrors
from salesflow.core.events import events_for
from salesflow.core.models import Event
from salesflow.core.testing import Trio, api_client_for
from salesflow.timers import services
from salesflow.timers.calendar import WorkingCalendar, calendar_warnings
from salesflow.timers.durations import Duration, add_duration, parse_duration
from salesflow.timers.models import CalendarDay

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


# --- durations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", Duration(15, "m")),
        ("3m", Duration(3, "m")),
        ("48h", Duration(48, "h")),
        ("7d", Duration(7, "d")),
        ("5wd", Duration(5, "wd")),
        (" 4wh ", Duration(4, "wh")),
    ],
)
def test_durations_parse_and_print_back(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected
    assert str(parse_duration(text)) == text.strip()


@pytest.mark.parametrize("text", ["15x", "", "h", "-3d", "1.5h", "15M", "１５m", "5 days"])
def test_bad_duration_message_quotes_the_input(text: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_duration(text)
    assert str(err.value) == f'"{text}" is not a duration (use 15m, 48h, 5wd)'


@pytest.mark.django_db
def test_calendar_durations_ignore_the_calendar() -> None:
    calendar = WorkingCalendar()
    # 7 days over the whole National Day holiday is still 7 × 24 hours.
    assert add_duration(at(2026, 9, 30), parse_duration("7d"), calendar=calendar) == at(2026, 10, 7)
    assert add_duration(at(2026, 9, 30, 23, 58), parse_duration("3m"), calendar=calendar) == at(
        2026, 10, 1, 0, 1
    )


# --- working days and hours on the 2026 statutory calendar ---------------------------------


@pytest.mark.django_db
def test_national_day_2026_and_its_makeup_saturday() -> None:
    calendar = WorkingCalendar()
    assert not calendar.is_workday(date(2026, 10, 5))  # a Monday inside 国庆 (1–7 Oct)
    assert calendar.is_workday(date(2026, 10, 10))  # the Saturday 调休 workday
    # One working day after 30 Sept is 8 Oct; five after 8 Oct are 9, 10 (the make-up
    # Saturday), 12, 13, 14 — without the 调休 day it would be the 15th.
    assert add_duration(at(2026, 9, 30), parse_duration("1wd"), calendar=calendar) == at(2026, 10, 8)
    assert add_duration(at(2026, 10, 8), parse_duration("5wd"), calendar=calendar) == at(2026, 10, 14)


@pytest.mark.django_db
def test_makeup_sunday_before_national_day_counts_as_a_working_day() -> None:
    calendar = WorkingCalendar()
    assert calendar.is_workday(date(2026, 9, 20))  # Sunday 20 Sept 2026: 国庆调休上班
    # Friday 18 Sept + 1wd lands on that Sunday, not on Monday the 21st.
    assert add_duration(at(2026, 9, 18, 15), parse_duration("1wd"), calendar=calendar) == at(2026, 9, 20, 15)
    # Saturday 19 Sept (rest) 11:00: counting starts at the Sunday's opening.
    assert calendar.next_opening(at(2026, 9, 19, 11)) == at(2026, 9, 20, 9)


@pytest.mark.django_db
def test_working_days_from_outside_working_hours_start_at_the_next_opening() -> None:
    calendar = WorkingCalendar()
    # Friday 20:00 → opening Monday 09:00 → one working day later: Tuesday 09:00.
    assert add_duration(at(2026, 11, 20, 20), parse_duration("1wd"), calendar=calendar) == at(2026, 11, 24, 9)
    # Early morning counts from that morning's opening.
    assert add_duration(at(2026, 11, 24, 7), parse_duration("5wd"), calendar=calendar) == at(2026, 12, 1, 9)


@pytest.mark.django_db
def test_working_hours_skip_nights_weekends_and_holidays() -> None:
    calendar = WorkingCalendar()
    # Friday 16:00 + 4 working hours: 2 h on Friday, then Monday 09:00 + 2 h.
    assert add_duration(at(2026, 11, 20, 16), parse_duration("4wh"), calendar=calendar) == at(
        2026, 11, 23, 11
    )
    # Started at night: counting begins at the next opening.
    assert add_duration(at(2026, 11, 23, 22), parse_duration("1wh"), calendar=calendar) == at(
        2026, 11, 24, 10
    )
    # 30 Sept 17:00 + 2 wh runs over the whole National Day holiday.
    assert add_duration(at(2026, 9, 30, 17), parse_duration("2wh"), calendar=calendar) == at(2026, 10, 8, 10)
    assert add_duration(at(2026, 11, 20, 16), parse_duration("48h"), calendar=calendar) == at(
        2026, 11, 22, 16
    )


@pytest.mark.django_db
def test_custom_working_hours() -> None:
    calendar = WorkingCalendar(work_start=time(8, 30), work_end=time(17, 30))
    assert add_duration(at(2026, 11, 23, 17), parse_duration("1wh"), calendar=calendar) == at(2026, 11, 24, 9)
    with pytest.raises(ValueError):
        WorkingCalendar(work_start=time(18, 0), work_end=time(9, 0))


@pytest.mark.django_db
def test_the_calendar_reads_each_year_once(django_assert_num_queries: object) -> None:
    calendar = WorkingCalendar()
    with django_assert_num_queries(1):  # type: ignore[operator]
        for day in range(1, 31):
            calendar.is_workday(date(2026, 9, day))
        add_duration(at(2026, 9, 30), parse_duration("20wd"), calendar=calendar)
    with django_assert_num_queries(1):  # type: ignore[operator]
        add_duration(at(2026, 12, 30), parse_duration("3wd"), calendar=calendar)  # into 2027


@pytest.mark.django_db
def test_the_migration_seeded_2024_to_2026_from_the_library() -> None:
    seeded = CalendarDay.objects.filter(source=CalendarDay.Source.LIBRARY)
    assert {d.year for d in seeded.values_list("day", flat=True)} == {2024, 2025, 2026}
    national_day = CalendarDay.objects.get(day=date(2026, 10, 1))
    assert (national_day.kind, national_day.name) == (CalendarDay.Kind.HOLIDAY, "国庆节")


# --- a year nobody filled in -------------------------------------------------------------


@pytest.mark.django_db
def test_a_year_nobody_filled_in_is_weekends_only_with_a_warning() -> None:
    calendar = WorkingCalendar()
    assert calendar.years_without_data([2026, 2027]) == [2027]
    assert calendar.is_workday(date(2027, 1, 1))  # a Friday: no statutory data, so a workday
    assert not calendar.is_workday(date(2027, 1, 2))
    # Arithmetic over the gap works (weekends only), it never crashes.
    assert add_duration(at(2026, 12, 31, 17), parse_duration("5wd"), calendar=calendar) == at(2027, 1, 7, 17)
    assert add_duration(at(2030, 2, 1, 17), parse_duration("2wh"), calendar=calendar) == at(2030, 2, 4, 10)
    assert calendar_warnings(at(2026, 12, 1)) == [
        "2027 年的法定节假日尚未录入，按周末休息计算。请在 设置 → 工作日历 导入国务院公布的安排。"
    ]
    assert len(calendar_warnings(at(2027, 3, 1))) == 2  # 2027 and 2028
    assert calendar_warnings(at(2025, 3, 1)) == []


@pytest.mark.django_db
def test_seeding_skips_years_the_library_does_not_know(trio: Trio) -> None:
    CalendarDay.objects.filter(day__year=2026).delete()
    seeded = services.calendar_seed_from_library(years=[2026, 2027], actor=trio.admin, now=at(2026, 1, 1))
    assert seeded == {"seeded": [2026], "skipped": [2027]}
    assert CalendarDay.objects.filter(day__year=2026, source="library").count() > 20
    assert not CalendarDay.objects.filter(day__year=2027).exists()
    # Seeding again adds nothing and keeps the ops admin's own edits.
    services.calendar_day_set(
        day=date(2026, 10, 7), is_workday=False, name="国庆（公司安排）", actor=trio.admin
    )
    before = CalendarDay.objects.count()
    services.calendar_seed_from_library(years=[2026], actor=None, now=at(2026, 1, 1))
    assert CalendarDay.objects.count() == before
    kept = CalendarDay.objects.get(day=date(2026, 10, 7))
    assert (kept.name, kept.source) == ("国庆（公司安排）", "manual")


# --- editing the calendar ----------------------------------------------------------------


@pytest.mark.django_db
def test_ops_admin_imports_next_years_arrangement(trio: Trio) -> None:
    count = services.calendar_import_rows(
        rows=[(date(2027, 1, 1), False, "元旦"), (date(2027, 2, 6), True, "春节调休")],
        actor=trio.admin,
    )
    assert count == 2
    calendar = WorkingCalendar()
    assert not calendar.is_workday(date(2027, 1, 1))
    assert calendar.is_workday(date(2027, 2, 6))  # a Saturday made a workday
    assert calendar.years_without_data([2027]) == []
    new_year = CalendarDay.objects.get(day=date(2027, 1, 1))
    assert new_year.source == "manual" and new_year.kind == "holiday"
    assert new_year.history.get().history_user == trio.admin
    assert [e.name for e in events_for(new_year)] == ["calendar.day_set"]
    # Importing the same rows again changes nothing and records nothing.
    events_before = Event.objects.filter(name="calendar.day_set").count()
    services.calendar_import_rows(rows=[(date(2027, 1, 1), False, "元旦")], actor=trio.admin)
    assert Event.objects.filter(name="calendar.day_set").count() == events_before


@pytest.mark.django_db
def test_setting_a_day_back_to_normal_removes_the_exception(trio: Trio) -> None:
    row = services.calendar_day_set(day=date(2027, 2, 6), is_workday=True, name="春节调休", actor=trio.admin)
    assert row is not None
    row_id = row.pk
    assert (
        services.calendar_day_set(day=date(2027, 2, 6), is_workday=False, name="", actor=trio.admin) is None
    )
    assert not WorkingCalendar().is_workday(date(2027, 2, 6))
    assert not CalendarDay.objects.filter(day=date(2027, 2, 6)).exists()
    history = CalendarDay.history.filter(id=row_id).order_by("history_date", "history_id")
    assert [h.history_type for h in history] == ["+", "-"]
    trail = Event.objects.filter(subject_type="timers.calendarday", subject_id=row_id)
    assert [e.payload["is_workday"] for e in trail] == [True, False]


@pytest.mark.django_db
def test_bad_calendar_input_is_refused_by_field(trio: Trio) -> None:
    with pytest.raises(FieldErrors) as err:
        services.calendar_day_set(day=date(2027, 3, 1), is_workday=False, name="x" * 51, actor=trio.admin)
    assert list(err.value.errors) == ["name"]
    with pytest.raises(FieldErrors) as err:
        services.calendar_import_rows(
            rows=[(date(2027, 1, 1), False, "元旦"), (date(2027, 1, 1), True, "again")], actor=trio.admin
        )
    assert err.value.errors["rows"] == ["第 2 行：2027-01-01 与第 1 行重复"]
    with pytest.raises(FieldErrors):
        services.calendar_import_rows(rows=[], actor=trio.admin)
    assert not CalendarDay.objects.filter(day__year=2027).exists()  # all or nothing


# --- API -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_calendar_api_ops_admin_only(trio: Trio) -> None:
    body = {"is_workday": False, "name": "公司年会"}
    assert (
        api_client_for(trio.owner)
        .put("/api/v1/calendar/2027-03-01", body, content_type="application/json")
        .status_code
        == 403
    )
    assert not CalendarDay.objects.filter(day=date(2027, 3, 1)).exists()
    response = api_client_for(trio.admin).put(
        "/api/v1/calendar/2027-03-01", body, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["exception"] is True
    listing = api_client_for(trio.owner).get("/api/v1/calendar", {"year": 2027}).json()
    assert listing["filled"] and listing["days"][0]["name"] == "公司年会" and listing["warnings"] == []
    empty = api_client_for(trio.owner).get("/api/v1/calendar", {"year": 2028}).json()
    assert not empty["filled"] and "2028 年的法定节假日尚未录入" in empty["warnings"][0]


@pytest.mark.django_db
def test_calendar_api_names_the_bad_field(trio: Trio) -> None:
    admin = api_client_for(trio.admin)
    bad_date = admin.put(
        "/api/v1/calendar/2027-13-01", {"is_workday": False}, content_type="application/json"
    )
    assert bad_date.status_code == 422 and "day" in bad_date.json()["detail"][0]["loc"]
    long_name = admin.put(
        "/api/v1/calendar/2027-03-01",
        {"is_workday": False, "name": "年" * 60},
        content_type="application/json",
    )
    assert long_name.status_code == 422
    assert long_name.json()["detail"][0]["loc"] == ["body", "name"]
    no_flag = admin.put("/api/v1/calendar/2027-03-01", {"name": "x"}, content_type="application/json")
    assert no_flag.status_code == 422 and "is_workday" in no_flag.json()["detail"][0]["loc"]
    bad_year = admin.get("/api/v1/calendar", {"year": 99999})
    assert bad_year.status_code == 422 and bad_year.json()["detail"][0]["loc"] == ["query", "year"]


# --- 设置 → 工作日历 --------------------------------------------------------------------------


@pytest.mark.django_db
def test_everyone_reads_the_calendar_page_with_the_missing_year_warning(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    with time_machine.travel(at(2026, 12, 1), tick=False):
        page = client.get("/settings/calendar/?year=2026")
    html = page.content.decode()
    assert page.status_code == 200
    assert "2027 年的法定节假日尚未录入" in html and 'data-testid="calendar-warning"' in html
    assert "2026-10-01" in html and "2026-10-10" in html
    assert 'data-testid="calendar-day-form"' not in html  # reps read only
    assert client.get("/settings/calendar/?year=abc").status_code == 200  # a bad year falls back


@pytest.mark.django_db
def test_ops_admin_sets_one_day_and_sees_field_errors(trio: Trio, client: Client) -> None:
    client.force_login(trio.admin)
    bad = client.post(
        "/settings/calendar/?year=2027",
        {"action": "day", "day-day": "2027-02-30", "day-is_workday": "0", "day-name": "x"},
    )
    assert bad.status_code == 422 and "is-invalid" in bad.content.decode()
    too_long = client.post(
        "/settings/calendar/",
        {"action": "day", "day-day": "2027-03-01", "day-is_workday": "0", "day-name": "年" * 51},
    )
    assert too_long.status_code == 422
    assert not CalendarDay.objects.filter(day__year=2027).exists()
    ok = client.post(
        "/settings/calendar/",
        {"action": "day", "day-day": "2027-03-01", "day-is_workday": "0", "day-name": "公司年会"},
    )
    assert ok.status_code == 302 and ok["Location"].endswith("?year=2027")
    assert CalendarDay.objects.get(day=date(2027, 3, 1)).name == "公司年会"


@pytest.mark.django_db
def test_calendar_page_imports_pasted_lines_and_reports_bad_ones(trio: Trio, client: Client) -> None:
    client.force_login(trio.admin)
    bad = client.post(
        "/settings/calendar/?year=2027",
        {"action": "import", "import-rows": "2027-01-01,休息,元旦\nnot-a-date,上班,x\n2027-01-02,maybe,x"},
    )
    html = bad.content.decode()
    assert bad.status_code == 422 and "第 2 行" in html and "第 3 行" in html
    assert WorkingCalendar().years_without_data([2027]) == [2027]  # nothing imported
    ok = client.post(
        "/settings/calendar/?year=2027",
        {"action": "import", "import-rows": "日期,上班,名称\n2027-01-01,休息,元旦"},
    )
    assert ok.status_code == 302
    assert not WorkingCalendar().is_workday(date(2027, 1, 1))
    client.force_login(trio.owner)
    denied = client.post("/settings/calendar/", {"action": "import", "import-rows": "2027-01-04,休息,x"})
    assert denied.status_code == 403
    assert WorkingCalendar().is_workday(date(2027, 1, 4))


@pytest.mark.django_db
def test_calendar_page_imports_a_gbk_csv_and_an_xlsx(trio: Trio, client: Client) -> None:
    client.force_login(trio.admin)
    csv_file = SimpleUploadedFile("2027.csv", "日期,上班/休息,名称\n2027-01-01,休息,元旦\n".encode("gb18030"))
    assert (
        client.post("/settings/calendar/", {"action": "import", "import-file": csv_file}).status_code == 302
    )
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["日期", "上班", "名称"])
    sheet.append([date(2027, 2, 6), 1, "春节调休"])
    sheet.append([datetime(2027, 2, 11), "休息", "春节"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    xlsx = SimpleUploadedFile("2027.xlsx", buffer.getvalue())
    assert client.post("/settings/calendar/", {"action": "import", "import-file": xlsx}).status_code == 302
    calendar = WorkingCalendar()
    assert not calendar.is_workday(date(2027, 1, 1))
    assert calendar.is_workday(date(2027, 2, 6))
    assert not calendar.is_workday(date(2027, 2, 11))
    junk = SimpleUploadedFile("2027.xlsx", b"not a zip")
    refused = client.post("/settings/calendar/", {"action": "import", "import-file": junk})
    assert refused.status_code == 422 and "不是有效的 Excel" in refused.content.decode()
    pdf = SimpleUploadedFile("2027.pdf", b"%PDF")
    assert client.post("/settings/calendar/", {"action": "import", "import-file": pdf}).status_code == 422
