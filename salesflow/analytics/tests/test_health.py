"""Process health (过程健康度): each indicator on a hand-computed history, breaches, and alerts
that fire once when the breach has lasted the pack's window — not one day before.

December 2026 (Asia/Shanghai). Dec 1 is a Tuesday; Dec 5–6 and 12–13 are weekends.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from salesflow.activities.models import Activity
from salesflow.analytics import health
from salesflow.analytics.models import HealthAlert
from salesflow.analytics.testing import SHANGHAI, deal
from salesflow.core.testing import Trio, make_user
from salesflow.leads.models import Lead
from salesflow.notify.models import Notification
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.pipeline.models import Evidence, Opportunity
from salesflow.rules.schema import HealthThreshold
from salesflow.rules.selectors import active_pack, company_calendar

pytestmark = pytest.mark.django_db


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def lead(owner: User, assigned: datetime, *replies: datetime) -> Lead:
    """A lead assigned at `assigned`, with a call logged at each of `replies`."""
    record = Lead.objects.create(
        name="客户",
        status="assigned",
        owner=owner,
        assigned_at=assigned,
        created_at=assigned - timedelta(minutes=1),
    )
    for when in replies:
        Activity.objects.create(lead=record, kind="call", occurred_at=when, actor=owner, created_at=when)
    return record


def evidence(person: User, when: datetime, opportunity: Opportunity | None = None) -> Evidence:
    return Evidence.objects.create(
        opportunity=opportunity, requirement="photo", kind="photo", uploaded_by=person, uploaded_at=when
    )


def team_scope(trio: Trio) -> health.Scope:
    return next(s for s in health.team_scopes() if s.team == trio.team)


def series(code: str, trio: Trio, days: list[date], now: datetime) -> list[float | None]:
    scope = team_scope(trio)
    return health.daily_series(code, [scope], days, now=now)[scope.key]


# ---------------------------------------------------------------------------------------------
# The indicators, hand-computed


def test_median_lead_response_per_day(trio: Trio) -> None:
    # Dec 1: owner 30 min, teammate 120 min, owner 10 min (a call before assignment does not count).
    lead(trio.owner, at(12, 1, 10), at(12, 1, 10, 30))
    lead(trio.teammate, at(12, 1, 11), at(12, 1, 13))
    lead(trio.owner, at(12, 1, 12), at(12, 1, 9), at(12, 1, 12, 10))
    # Dec 2: one lead nobody has answered: it counts with the minutes it has waited (to Dec 2 12:00).
    lead(trio.owner, at(12, 2, 10))
    # The other team's lead is not this team's.
    lead(trio.outsider, at(12, 1, 10), at(12, 1, 10, 5))
    days = [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)]
    assert series("median_lead_response", trio, days, at(12, 2, 12)) == [30.0, 120.0, None]
    other = next(s for s in health.team_scopes() if s.team == trio.other_team)
    assert health.daily_series("median_lead_response", [other], days, now=at(12, 2, 12))[other.key][0] == 5.0


def test_evidence_actions_per_rep_per_working_day(trio: Trio) -> None:
    # Dec 1: owner 3 evidence + 1 effective call (+ 1 call that is not effective), teammate 2
    # evidence: (3 + 1 + 2) / 2 reps = 3.0 — the manager is no rep and does not divide.
    for minute in (0, 10, 20):
        evidence(trio.owner, at(12, 1, 9, minute))
    Activity.objects.create(
        kind="call", occurred_at=at(12, 1, 15), actor=trio.owner, created_at=at(12, 1, 15), effective=True
    )
    Activity.objects.create(
        kind="call", occurred_at=at(12, 1, 16), actor=trio.owner, created_at=at(12, 1, 16)
    )
    evidence(trio.teammate, at(12, 1, 11))
    evidence(trio.teammate, at(12, 1, 23, 30))  # late evening local time is still Dec 1
    evidence(trio.outsider, at(12, 1, 11))
    # Saturday counts for nothing (the indicator's window is in working days).
    evidence(trio.owner, at(12, 5, 11))
    days = [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 5)]
    assert series("evidence_actions_per_rep_day", trio, days, at(12, 6)) == [3.0, 0.0, None]


def test_collaboration_density_over_the_trailing_period(trio: Trio) -> None:
    presales = make_user("presales", Role.PRESALES, trio.team.parent, None)
    x = deal(
        trio.owner,
        "X",
        created=at(11, 1),
        stays=[("lead_registered", at(11, 1), at(12, 1))],
        status="won",
        amount="1",
    )
    y = deal(
        trio.teammate,
        "Y",
        created=at(11, 1),
        stays=[("lead_registered", at(11, 1), at(12, 3))],
        status="won",
        amount="1",
    )
    # X: the owner, the teammate (an activity on the customer) and presales (evidence) = 3 people.
    Activity.objects.create(
        customer=x.customer, kind="visit", occurred_at=at(11, 20), actor=trio.teammate, created_at=at(11, 20)
    )
    Activity.objects.create(
        opportunity=x, kind="call", occurred_at=at(11, 21), actor=trio.owner, created_at=at(11, 21)
    )
    evidence(presales, at(11, 22), opportunity=x)
    # Y: only its owner = 1 person.
    Activity.objects.create(
        customer=y.customer, kind="call", occurred_at=at(11, 20), actor=trio.teammate, created_at=at(11, 20)
    )
    days = [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 3), date(2026, 12, 29)]
    # Nov 30: nothing won yet; Dec 1: X (3); Dec 3: (3 + 1) / 2; Dec 29: X fell out of the
    # 28-day window (Dec 2 – Dec 29), Y (1) remains.
    assert series("collaboration_density", trio, days, at(12, 30)) == [None, 3.0, 2.0, 1.0]


# ---------------------------------------------------------------------------------------------
# Breaches


def threshold(code: str) -> HealthThreshold:
    _n, pack = active_pack()
    found = health.threshold_of(pack, code)
    assert found is not None
    return found


def test_a_breach_spans_the_days_without_a_value_and_ends_at_a_good_day() -> None:
    t = threshold("median_lead_response")  # alert above 180 after 3d
    days = [date(2026, 12, d) for d in range(1, 7)]
    calendar = company_calendar()
    breach = health.current_breach(days, [100, 200, None, 250, 190, None], t, calendar)
    assert breach == health.Breach(
        started_on=date(2026, 12, 2), last_on=date(2026, 12, 5), value=190, lasted=True
    )
    assert health.current_breach(days, [200, 200, 200, 200, 100, None], t, calendar) is None
    # Exactly 180 is not above the alert level.
    assert health.current_breach(days, [None, None, None, None, 180, None], t, calendar) is None
    two_days = health.current_breach(days, [None, None, None, 100, 200, 200], t, calendar)
    assert two_days is not None and not two_days.lasted


def test_working_day_windows_skip_the_weekend() -> None:
    calendar = company_calendar()
    # Mon Nov 30 … Fri Dec 4 = 5 working days; Mon … Thu = 4.
    assert health.lasted_long_enough(date(2026, 11, 30), date(2026, 12, 4), "5wd", calendar)
    assert not health.lasted_long_enough(date(2026, 11, 30), date(2026, 12, 3), "5wd", calendar)
    # Wed Dec 2 … Tue Dec 8 spans a weekend: 5 working days.
    assert health.lasted_long_enough(date(2026, 12, 2), date(2026, 12, 8), "5wd", calendar)
    assert not health.lasted_long_enough(date(2026, 12, 2), date(2026, 12, 7), "5wd", calendar)
    assert health.lasted_long_enough(date(2026, 12, 1), date(2026, 12, 14), "14d", calendar)
    assert not health.lasted_long_enough(date(2026, 12, 1), date(2026, 12, 13), "14d", calendar)


# ---------------------------------------------------------------------------------------------
# Alerts: the nightly tick swept day by day


def sweep(first: date, last: date, trio: Trio, indicator: str) -> dict[date, list[int]]:
    """Run the worker's health tick at 01:00 (too early: nothing) and 03:00 local each day;
    the alerts of `trio.team` on `indicator` fired per day."""
    mine = HealthAlert.objects.filter(team=trio.team, indicator=indicator)
    fired: dict[date, list[int]] = {}
    day = first
    while day <= last:
        with time_machine.travel(
            datetime.combine(day, datetime.min.time(), SHANGHAI) + timedelta(hours=1), tick=False
        ):
            assert (
                health.health_tick(datetime.combine(day, datetime.min.time(), SHANGHAI) + timedelta(hours=1))
                is False
            )
        now = datetime.combine(day, datetime.min.time(), SHANGHAI) + timedelta(hours=3)
        before = set(mine.values_list("pk", flat=True))
        with time_machine.travel(now, tick=False):
            health.health_tick(now)
            health.health_tick(now)  # a second tick the same day does nothing
        fired[day] = sorted(set(mine.values_list("pk", flat=True)) - before)
        day += timedelta(days=1)
    return fired


def test_slow_response_alerts_after_three_days_once_and_again_after_recovery(trio: Trio) -> None:
    for d in (1, 2, 3, 4):
        lead(trio.owner, at(12, d, 10), at(12, d, 13, 20))  # 200 minutes
    lead(trio.owner, at(12, 5, 10), at(12, 5, 10, 10))  # recovered on Dec 5
    for d in (6, 7, 8):
        lead(trio.teammate, at(12, d, 10), at(12, d, 14))  # 240 minutes
    fired = sweep(date(2026, 12, 2), date(2026, 12, 10), trio, "median_lead_response")
    mine = HealthAlert.objects.filter(team=trio.team, indicator="median_lead_response").order_by("pk")
    first, second = list(mine)
    # Dec 1–3 breached: the check on Dec 4 (reading up to Dec 3) fires; Dec 3's did not.
    assert fired[date(2026, 12, 3)] == [] and fired[date(2026, 12, 4)] == [first.pk]
    assert first.breach_started_on == date(2026, 12, 1)
    assert first.recovered_on == date(2026, 12, 5)  # the check on Dec 6 saw Dec 5's good day
    # The new breach Dec 6–8 fires on Dec 9, not on Dec 8.
    assert fired[date(2026, 12, 8)] == [] and fired[date(2026, 12, 9)] == [second.pk]
    assert fired[date(2026, 12, 10)] == []
    assert second.breach_started_on == date(2026, 12, 6) and second.recovered_on is None
    # The manager and the director hear of each alert once; the other team's people do not.
    notes = Notification.objects.filter(kind=health.ALERT_KIND, subject_id=first.pk)
    assert sorted(n.recipient.username for n in notes) == ["dir", "mgr"]
    note = notes.first()
    assert note is not None and "线索响应中位时长" in note.title and "检查分单规则" in note.body
    mine_ids = list(HealthAlert.objects.filter(team=trio.team).values_list("pk", flat=True))
    outside = Notification.objects.filter(kind=health.ALERT_KIND, subject_id__in=mine_ids)
    assert not outside.filter(recipient__in=[trio.other_manager, trio.owner, trio.outsider]).exists()
    # The other team (no evidence at all) has its own single alert, to its own manager.
    assert Notification.objects.filter(kind=health.ALERT_KIND, recipient=trio.other_manager).count() == 1


def test_few_actions_alert_after_five_working_days_not_four(trio: Trio) -> None:
    # Fri Nov 27: a good day (6 actions per rep); from Mon Nov 30 nothing.
    for person in (trio.owner, trio.teammate):
        for minute in range(6):
            evidence(person, at(11, 27, 10, minute))
    fired = sweep(date(2026, 11, 30), date(2026, 12, 8), trio, "evidence_actions_per_rep_day")
    alerts = list(HealthAlert.objects.filter(team=trio.team, indicator="evidence_actions_per_rep_day"))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.breach_started_on == date(2026, 11, 30)
    # Mon–Thu = 4 working days (the Fri Dec 4 check): nothing; Mon–Fri (Sat Dec 5 check): fires.
    assert fired[date(2026, 12, 4)] == [] and fired[date(2026, 12, 5)] == [alert.pk]
    assert all(fired[d] == [] for d in fired if d != date(2026, 12, 5))


def test_low_collaboration_alerts_after_two_weeks(trio: Trio) -> None:
    # One deal won Nov 30 with its owner alone: density 1 from Nov 30 for 28 days.
    deal(
        trio.owner,
        "Z",
        created=at(11, 1),
        stays=[("lead_registered", at(11, 1), at(11, 30))],
        status="won",
        amount="1",
    )
    fired = sweep(date(2026, 12, 13), date(2026, 12, 15), trio, "collaboration_density")
    alert = HealthAlert.objects.get(team=trio.team, indicator="collaboration_density")
    # Nov 30 … Dec 12 is 13 days (the Dec 13 check): nothing; … Dec 13 (Dec 14 check): fires.
    assert fired[date(2026, 12, 13)] == []
    assert fired[date(2026, 12, 14)] == [alert.pk]
    assert fired[date(2026, 12, 15)] == []
    assert alert.value == Decimal("1.00")


# ---------------------------------------------------------------------------------------------
# Scope


def test_scopes_owner_teammate_outsider(trio: Trio) -> None:
    assert [s.key for s in health.scopes_for(trio.owner)] == [f"u{trio.owner.pk}"]
    assert [s.team for s in health.scopes_for(trio.manager)] == [trio.team]
    assert {s.team for s in health.scopes_for(trio.director)} == {trio.team, trio.other_team}
    assert {s.team for s in health.scopes_for(trio.admin)} == {trio.team, trio.other_team}
    team = team_scope(trio)
    assert team.members == {trio.owner.pk, trio.teammate.pk, trio.manager.pk} and team.reps == 2
    # A rep's own row holds their own leads only: the teammate's slow lead is not in it.
    lead(trio.owner, at(12, 1, 10), at(12, 1, 10, 30))
    lead(trio.teammate, at(12, 1, 10), at(12, 1, 15))
    mine = health.scopes_for(trio.owner)
    values = health.daily_series("median_lead_response", mine, [date(2026, 12, 1)], now=at(12, 2))
    assert values[mine[0].key] == [30.0]


# ---------------------------------------------------------------------------------------------
# The stored series the daily check keeps for the page


def _rows(board: health.HealthBoard, code: str) -> dict[str, list[float | None]]:
    block = next(b for b in board.indicators if b.threshold.code == code)
    return {row.scope.key: row.values for row in block.rows}


def test_the_page_reads_the_daily_checks_series_and_says_when_it_ran(trio: Trio, client: Client) -> None:
    lead(trio.owner, at(12, 1, 10), at(12, 1, 10, 30))
    lead(trio.teammate, at(12, 2, 10), at(12, 2, 12))
    with time_machine.travel(at(12, 4, 12), tick=False):
        live = health.health_board(trio.director)
        assert live.computed_at is None
        health.health_check(now=at(12, 4, 2))
        stored = health.health_board(trio.director)
    assert stored.computed_at == at(12, 4, 2)
    for code in health.HEALTH_CODES:
        assert _rows(stored, code) == _rows(live, code)
    # What happens after the check waits for the next one: the page shows the checked numbers.
    lead(trio.owner, at(12, 3, 10), at(12, 3, 11))
    with time_machine.travel(at(12, 4, 12), tick=False):
        again = health.health_board(trio.director)
        client.force_login(trio.manager)
        page = client.get("/dashboards/health/").content.decode()
        api = client.get("/api/v1/analytics/health").json()
    key = f"t{trio.team.pk}"
    assert _rows(again, "median_lead_response")[key][-1] is None  # Dec 3 as checked: no lead yet
    assert 'data-testid="health-computed-at"' in page and "12-04 02:00" in page
    assert api["computed_at"].startswith("2026-12-03T18:00")  # UTC


def test_a_series_that_no_longer_matches_is_computed_live(trio: Trio) -> None:
    lead(trio.owner, at(12, 1, 10), at(12, 1, 10, 30))
    with time_machine.travel(at(12, 4, 12), tick=False):
        health.health_check(now=at(12, 4, 2))
        assert health.health_board(trio.manager).computed_at == at(12, 4, 2)
    # The next day's page wants other days: the stored series does not stand for them.
    with time_machine.travel(at(12, 5, 12), tick=False):
        assert health.health_board(trio.manager).computed_at is None
    # A new member of the team: its numbers add up other people.
    make_user("newcomer", role=Role.REP, team=trio.team, manager=trio.manager)
    with time_machine.travel(at(12, 4, 12), tick=False):
        board = health.health_board(User.objects.get(pk=trio.manager.pk))  # as a new request would
    assert board.computed_at is None
    dec_1 = board.days.index(date(2026, 12, 1))
    assert _rows(board, "median_lead_response")[f"t{trio.team.pk}"][dec_1] == 30.0
