"""日历: entries from each source, scope (owner / teammate / outsider / managers), the page, the
API with its 422s, and the secret iCalendar feed (parse, reset, unknown token).

The week is in helpers.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from salesflow.calendars import registry, selectors, services
from salesflow.calendars.registry import CalendarEntry, EntrySource, SourceRequest
from salesflow.calendars.tests.helpers import MONDAY, NOW, Week, at, make_week
from salesflow.core.errors import FieldErrors, NotFound
from salesflow.core.models import PublicLink
from salesflow.core.testing import Trio, api_client_for
from salesflow.org.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(trio: Trio) -> Iterator[Week]:
    with time_machine.travel(NOW, tick=False):
        yield make_week(trio)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _entries(viewer: User, **params: str) -> list[CalendarEntry]:
    query = selectors.parse_calendar_query({"start": MONDAY.isoformat(), **params}, user=viewer)
    return selectors.calendar_entries(viewer, query, now=NOW)


def _uids(entries: list[CalendarEntry]) -> set[str]:
    return {e.uid for e in entries}


# ---------------------------------------------------------------------------------------------
# Sources


def test_each_source_puts_its_records_on_the_owners_week(trio: Trio, week: Week) -> None:
    entries = _entries(trio.owner)
    by_kind = {e.kind: [x for x in entries if x.kind == e.kind] for e in entries}
    (visit,) = by_kind["visit"]
    assert visit.title == "拜访 仁和医院" and visit.start == at(10, 14) and visit.end == at(10, 15)
    assert visit.url == f"/v/{week.visit.code}/" and visit.detail == "上海市徐汇区" and not visit.late
    (meeting,) = by_kind["meeting"]
    assert meeting.title == "会议 仁和医院" and meeting.start == at(8, 15)
    assert meeting.end == at(8, 15, 45) and meeting.url == f"/customers/{week.visit.customer_id}/"
    (quote,) = by_kind["quote"]
    assert quote.all_day and quote.start == date(2026, 12, 12) and quote.url == f"/quotes/{week.quote.pk}/"
    assert week.quote.number in quote.title and "报价医院" in quote.title
    tasks = by_kind["task"]
    assert [t.title for t in tasks] == ["待办 补交周报", "待办 回电仁和医院"]  # the done to-do is not shown
    assert tasks[0].late and not tasks[1].late and tasks[1].start == at(11, 18)
    # In order: by day, all-day first, then by time.
    assert [e.kind for e in entries] == ["task", "meeting", "visit", "task", "quote"]
    assert {e.owner_id for e in entries} == {trio.owner.pk}


def test_entries_outside_the_window_are_left_out_and_found_in_their_own_week(trio: Trio, week: Week) -> None:
    assert f"visit-{week.far_visit.pk}@salesflow" not in _uids(_entries(trio.owner))
    later = selectors.parse_calendar_query({"start": "2027-01-18"}, user=trio.owner)
    found = _uids(selectors.calendar_entries(trio.owner, later, now=NOW))
    assert found == {f"visit-{week.far_visit.pk}@salesflow"}


def test_a_quote_no_longer_awaiting_an_answer_leaves_the_calendar(trio: Trio, week: Week) -> None:
    from salesflow.quotes.choices import QuoteState
    from salesflow.quotes.models import Quote

    Quote.objects.filter(pk=week.quote.pk).update(state=QuoteState.ACCEPTED)
    assert "quote" not in {e.kind for e in _entries(trio.owner)}


def test_kinds_filter_keeps_only_the_chosen_sources(trio: Trio, week: Week) -> None:
    assert {e.kind for e in _entries(trio.owner, kinds="visit,quote")} == {"visit", "quote"}


def test_a_registered_source_joins_the_calendar_without_other_changes(
    trio: Trio, week: Week, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the contracts app will do for payment due dates."""
    monkeypatch.setattr(registry, "_sources", dict(registry._sources))

    def payments(request: SourceRequest) -> list[CalendarEntry]:
        return [
            CalendarEntry(
                uid=f"payment-{owner}@salesflow",
                kind="payment",
                title="回款到期",
                start=request.first_day,
                all_day=True,
                url="/today/",
                owner_id=owner,
                owner_name="",
            )
            for owner in sorted(request.owners)
        ]

    registry.register_source(EntrySource(code="payment", label="回款到期", fetch=payments, order=50))
    assert "payment" in {e.kind for e in _entries(trio.owner)}
    assert {e.kind for e in _entries(trio.owner, kinds="payment")} == {"payment"}


# ---------------------------------------------------------------------------------------------
# Scope


def test_a_rep_sees_only_their_own_calendar(trio: Trio, week: Week) -> None:
    uids = _uids(_entries(trio.teammate))
    assert uids == {f"visit-{week.teammate_visit.pk}@salesflow"}
    with pytest.raises(FieldErrors) as refused:
        _entries(trio.teammate, user=str(trio.owner.pk))
    assert "user" in refused.value.errors
    with pytest.raises(FieldErrors) as refused:
        _entries(trio.teammate, team=str(trio.team.pk))
    assert "team" in refused.value.errors


def test_a_manager_sees_a_person_and_the_team_but_not_another_team(trio: Trio, week: Week) -> None:
    owner_week = _entries(trio.manager, user=str(trio.owner.pk))
    assert _uids(owner_week) == _uids(_entries(trio.owner))
    team = _entries(trio.manager, team=str(trio.team.pk))
    assert {e.owner_id for e in team} == {trio.owner.pk, trio.teammate.pk}
    assert f"visit-{week.outsider_visit.pk}@salesflow" not in _uids(team)
    with pytest.raises(FieldErrors) as refused:
        _entries(trio.manager, user=str(trio.outsider.pk))
    assert "user" in refused.value.errors
    with pytest.raises(FieldErrors) as refused:
        _entries(trio.manager, team=str(trio.other_team.pk))
    assert "team" in refused.value.errors
    # The manager's own calendar holds their own records only (none this week).
    assert _entries(trio.manager) == []


def test_a_director_and_the_ops_admin_see_both_teams(trio: Trio, week: Week) -> None:
    for viewer in (trio.director, trio.admin):
        other = _entries(viewer, team=str(trio.other_team.pk))
        assert _uids(other) == {f"visit-{week.outsider_visit.pk}@salesflow"}


def test_a_person_outside_the_chosen_team_is_refused(trio: Trio, week: Week) -> None:
    with pytest.raises(FieldErrors) as refused:
        _entries(trio.director, user=str(trio.outsider.pk), team=str(trio.team.pk))
    assert "user" in refused.value.errors


def test_bad_dates_and_ranges_name_the_field(trio: Trio) -> None:
    cases = [
        ({"start": "2026-13-01"}, "start"),
        ({"start": "2026-12-07", "end": "nope"}, "end"),
        ({"start": "2026-12-07", "end": "2026-12-01"}, "end"),
        ({"start": "2026-01-01", "end": "2026-12-31"}, "end"),
        ({"start": "1900-01-01"}, "start"),
        ({"kinds": "visit,party"}, "kinds"),
        ({"user": "abc"}, "user"),
        ({"team": "99999"}, "team"),
    ]
    for params, field in cases:
        with pytest.raises(FieldErrors) as refused:
            selectors.parse_calendar_query(params, user=trio.director)
        assert field in refused.value.errors, params


# ---------------------------------------------------------------------------------------------
# Page


def test_the_page_shows_the_week_with_labels_and_links(trio: Trio, week: Week) -> None:
    with time_machine.travel(NOW, tick=False):
        response = _client(trio.owner).get(reverse("calendar"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "拜访 仁和医院" in html and "14:00" in html and f"/v/{week.visit.code}/" in html
    assert "报价到期" in html and "全天" in html and "已逾期" in html
    assert "2026-12-07 – 2026-12-13" in html
    assert "同组医院" not in html and "外组医院" not in html
    assert 'id="f-user"' not in html and 'id="f-team"' not in html  # a rep has no picker
    assert 'data-testid="calendar-empty"' not in html


def test_an_empty_week_tells_a_manager_where_to_look(trio: Trio, week: Week) -> None:
    with time_machine.travel(NOW, tick=False):
        html = _client(trio.manager).get(reverse("calendar")).content.decode()
    assert 'data-testid="calendar-empty"' in html and "选择人员或团队" in html


def test_the_page_lets_a_manager_open_the_team_and_refuses_a_rep(trio: Trio, week: Week) -> None:
    with time_machine.travel(NOW, tick=False):
        html = _client(trio.manager).get(reverse("calendar"), {"team": trio.team.pk}).content.decode()
        refused = _client(trio.teammate).get(reverse("calendar"), {"user": trio.owner.pk})
    assert "拜访 仁和医院" in html and "拜访 同组医院" in html and "外组医院" not in html
    assert 'id="f-user"' in html and 'id="f-team"' in html
    assert refused.status_code == 422 and "仁和医院" not in refused.content.decode()
    assert "不在你可查看的人员范围内" in refused.content.decode()


def test_the_page_answers_a_bad_date_with_the_form_and_the_reason(trio: Trio) -> None:
    response = _client(trio.owner).get(reverse("calendar"), {"start": "12/07/2026"})
    assert response.status_code == 422
    assert "日期格式应为 YYYY-MM-DD" in response.content.decode()


def test_the_page_in_english_shows_labels_not_codes(trio: Trio, week: Week) -> None:
    client = _client(trio.owner)
    client.cookies["django_language"] = "en"
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("calendar"), headers={"accept-language": "en"}).content.decode()
    assert "Calendar" in html and "Visit 仁和医院" in html and "Quote expires" in html


# ---------------------------------------------------------------------------------------------
# API


def test_the_api_lists_the_entries_with_local_times(trio: Trio, week: Week) -> None:
    with time_machine.travel(NOW, tick=False):
        response = api_client_for(trio.owner).get(
            "/api/v1/calendar/entries", {"start": "2026-12-07", "end": "2026-12-13", "kinds": "visit,quote"}
        )
    assert response.status_code == 200
    body = response.json()
    assert body["start"] == "2026-12-07" and body["owners"] == [trio.owner.pk]
    visit, quote = body["items"]
    assert visit["kind_label"] == "拜访" and visit["start"] == "2026-12-10T14:00:00+08:00"
    assert quote["all_day"] and quote["start"] == "2026-12-12"


def test_the_api_scopes_and_names_bad_fields(trio: Trio, week: Week) -> None:
    rep = api_client_for(trio.teammate)
    manager = api_client_for(trio.manager)
    with time_machine.travel(NOW, tick=False):
        refused = rep.get("/api/v1/calendar/entries", {"user": trio.owner.pk})
        team = manager.get("/api/v1/calendar/entries", {"team": str(trio.team.pk), "start": "2026-12-07"})
        bad = manager.get("/api/v1/calendar/entries", {"start": "2026-12-07", "end": "2027-12-07"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "user"]
    assert team.status_code == 200
    assert {i["owner_id"] for i in team.json()["items"]} == {trio.owner.pk, trio.teammate.pk}
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "end"]
    assert Client().get("/api/v1/calendar/entries").status_code == 401


# ---------------------------------------------------------------------------------------------
# The iCalendar feed


def _feed_url(user: User) -> str:
    _link, token = services.calendar_feed_reset(user=user)
    return reverse("calendar-feed", args=[token])


def test_the_feed_is_valid_icalendar_with_the_owners_entries(trio: Trio, week: Week) -> None:
    with time_machine.travel(NOW, tick=False):
        url = _feed_url(trio.owner)
        response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar") and response["Cache-Control"] == "no-store"
    cal = Calendar.from_ical(response.content)
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    # The owner's own calendar, −30 … +180 days: the far visit too, nobody else's.
    assert set(events) == {
        f"visit-{week.visit.pk}@salesflow",
        f"visit-{week.far_visit.pk}@salesflow",
        f"meeting-{week.visit.customer.activities.get().pk}@salesflow",
        f"quote-{week.quote.pk}-v1@salesflow",
        f"task-{week.task.pk}@salesflow",
        f"task-{week.late_task.pk}@salesflow",
    }
    visit = events[f"visit-{week.visit.pk}@salesflow"]
    assert str(visit["SUMMARY"]) == "拜访 仁和医院"
    assert visit.decoded("DTSTART") == at(10, 14) and visit.decoded("DTEND") == at(10, 15)
    assert visit.decoded("DTSTAMP") == NOW
    assert str(visit["URL"]) == f"http://testserver/v/{week.visit.code}/"
    quote = events[f"quote-{week.quote.pk}-v1@salesflow"]
    start, end = quote.decoded("DTSTART"), quote.decoded("DTEND")
    assert not isinstance(start, datetime) and start == date(2026, 12, 12) and end == date(2026, 12, 13)
    # Every line of the document is CRLF-terminated and folded to at most 75 octets (RFC 5545 §3.1).
    lines = response.content.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)


def test_the_uids_are_stable_between_two_fetches(trio: Trio, week: Week) -> None:
    with time_machine.travel(NOW, tick=False):
        url = _feed_url(trio.owner)
        first = Client().get(url).content
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        second = Client().get(url).content

    def uids(body: bytes) -> list[str]:
        return sorted(str(e["UID"]) for e in Calendar.from_ical(body).walk("VEVENT"))

    assert uids(first) == uids(second)


def test_reset_kills_the_old_url(trio: Trio, week: Week) -> None:
    old = _feed_url(trio.owner)
    assert Client().get(old).status_code == 200
    new = _feed_url(trio.owner)
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200
    assert PublicLink.objects.filter(purpose=selectors.FEED_PURPOSE, revoked_at__isnull=True).count() == 1
    # Only the digest is stored.
    token = new.rsplit("/", 1)[-1].removesuffix(".ics")
    assert not PublicLink.objects.filter(token_digest=token).exists()


def test_an_unknown_token_and_an_inactive_owner_answer_404(trio: Trio, week: Week) -> None:
    assert Client().get("/cal/not-a-token.ics").status_code == 404
    url = _feed_url(trio.owner)
    User.objects.filter(pk=trio.owner.pk).update(is_active=False)
    assert Client().get(url).status_code == 404
    with pytest.raises(NotFound):
        services.calendar_feed_open(token="nope")


def test_the_page_shows_a_new_url_once_and_the_api_resets_too(trio: Trio, week: Week) -> None:
    client = _client(trio.owner)
    first = client.get(reverse("calendar")).content.decode()
    assert "生成订阅地址" in first and 'data-testid="feed-url"' not in first
    shown = client.post(reverse("calendar-feed-reset")).content.decode()
    assert 'data-testid="feed-url"' in shown and "http://testserver/cal/" in shown
    again = client.get(reverse("calendar")).content.decode()
    assert 'data-testid="feed-url"' not in again and "订阅地址创建于" in again and "重置订阅地址" in again
    page_url = shown.split('value="http://testserver', 1)[1].split('"', 1)[0]
    response = api_client_for(trio.owner).post("/api/v1/calendar/feed/reset")
    assert response.status_code == 200
    api_url = response.json()["url"]
    assert api_url.startswith("http://testserver/cal/") and api_url.endswith(".ics")
    assert Client().get(page_url).status_code == 404
    assert Client().get(api_url.removeprefix("http://testserver")).status_code == 200


def test_a_feed_reset_touches_only_the_callers_link(trio: Trio, week: Week) -> None:
    mine = _feed_url(trio.owner)
    _feed_url(trio.teammate)
    assert Client().get(mine).status_code == 200
    teammate_feed = Calendar.from_ical(Client().get(_feed_url(trio.teammate)).content)
    uids = {str(e["UID"]) for e in teammate_feed.walk("VEVENT")}
    assert uids == {f"visit-{week.teammate_visit.pk}@salesflow"}


def test_the_team_page_costs_a_bounded_number_of_queries(
    trio: Trio, week: Week, django_assert_max_num_queries: Any
) -> None:
    """A fixed number of queries whatever the number of entries (no N+1 over visits or to-dos):
    one per source (five, with payments), plus the reporting tree each app's scoped selector walks
    (two levels here)."""
    client = _client(trio.manager)
    with time_machine.travel(NOW, tick=False):
        client.get(reverse("calendar"), {"team": trio.team.pk})  # warm the pack cache
        with django_assert_max_num_queries(37):
            response = client.get(reverse("calendar"), {"team": trio.team.pk})
    assert response.status_code == 200 and "拜访 同组医院" in response.content.decode()
