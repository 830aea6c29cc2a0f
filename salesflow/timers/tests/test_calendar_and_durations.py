"""Durations and the working calendar (Chinese statutory holidays, 调休, years without data)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from salesflow.core.testing import Trio, api_client_for
from salesflow.timers import services
from salesflow.timers.calendar import WorkingCalendar, calendar_warnings
from salesflow.timers.durations import Duration, add_duration, parse_duration

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", Duration(15, "m")),
        ("48h", Duration(48, "h")),
        ("5wd", Duration(5, "wd")),
        (" 4wh ", Duration(4, "wh")),
    ],
)
def test_durations_parse(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected
    assert str(parse_duration(text)) == text.strip()


@pytest.mark.parametrize("text", ["15x", "", "h", "-3d", "1.5h"])
def test_bad_duration_message_quotes_the_input(text: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_duration(text)
    assert str(err.value) == f'"{text}" is not a duration (use 15m, 48h, 5wd)'


@pytest.mark.django_db
def test_national_day_2026_and_its_makeup_saturday() -> None:
    calendar = WorkingCalendar()
    assert not calendar.is_workday(date(2026, 10, 5))  # a Monday inside 国庆
    assert calendar.is_workday(date(2026, 10, 10))  # the Saturday 调休 workday
    # One working day after 30 Sept is 8 Oct; five after 8 Oct are 9, 10 (the make-up
    # Saturday), 12, 13, 14 — without the 调休 day it would be the 15th.
    assert add_duration(at(2026, 9, 30), parse_duration("1wd"), calendar=calendar) == at(2026, 10, 8)
    assert add_duration(at(2026, 10, 8), parse_duration("5wd"), calendar=calendar) == at(2026, 10, 14)


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


@pytest.mark.django_db
def test_a_year_nobody_filled_in_is_weekends_only_with_a_warning() -> None:
    calendar = WorkingCalendar()
    assert calendar.years_without_data([2026, 2027]) == [2027]
    assert calendar.is_workday(date(2027, 1, 1))  # a Friday: no statutory data, so a workday
    assert not calendar.is_workday(date(2027, 1, 2))
    warnings = calendar_warnings(at(2026, 12, 1))
    assert len(warnings) == 1 and "2027" in warnings[0]
    seeded = services.calendar_seed_from_library(years=[2026, 2027])
    assert seeded == {"seeded": [2026], "skipped": [2027]}


@pytest.mark.django_db
def test_ops_admin_imports_next_years_arrangement(trio: Trio) -> None:
    services.calendar_import_rows(
        rows=[(date(2027, 1, 1), False, "元旦"), (date(2027, 2, 6), True, "春节调休")],
        actor=trio.admin,
    )
    calendar = WorkingCalendar()
    assert not calendar.is_workday(date(2027, 1, 1))
    assert calendar.is_workday(date(2027, 2, 6))  # a Saturday made a workday
    assert calendar.years_without_data([2027]) == []
    # Setting a day back to its weekday default removes the exception.
    services.calendar_day_set(day=date(2027, 2, 6), is_workday=False, name="", actor=trio.admin)
    assert not WorkingCalendar().is_workday(date(2027, 2, 6))


@pytest.mark.django_db
def test_calendar_api_ops_admin_only(trio: Trio) -> None:
    body = {"is_workday": False, "name": "公司年会"}
    assert (
        api_client_for(trio.owner)
        .put("/api/v1/calendar/2027-03-01", body, content_type="application/json")
        .status_code
        == 403
    )
    response = api_client_for(trio.admin).put(
        "/api/v1/calendar/2027-03-01", body, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["exception"] is True
    listing = api_client_for(trio.owner).get("/api/v1/calendar", {"year": 2027}).json()
    assert listing["filled"] and listing["days"][0]["name"] == "公司年会"
    bad = api_client_for(trio.admin).put("/api/v1/calendar/2027-13-01", body, content_type="application/json")
    assert bad.status_code == 422


@pytest.mark.django_db
def test_calendar_page_imports_and_reports_bad_lines(trio: Trio, client: Client) -> None:
    client.force_login(trio.admin)
    bad = client.post("/settings/calendar/?year=2027", {"rows": "2027-01-01,休息,元旦\nnot-a-date,上班,x"})
    assert bad.status_code == 422 and "第 2 行" in bad.content.decode()
    assert WorkingCalendar().years_without_data([2027]) == [2027]  # nothing imported
    ok = client.post("/settings/calendar/?year=2027", {"rows": "2027-01-01,休息,元旦"})
    assert ok.status_code == 302
    client.force_login(trio.owner)
    assert client.post("/settings/calendar/", {"rows": "2027-01-04,休息,x"}).status_code == 403
