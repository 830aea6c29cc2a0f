"""A manager's inbox: one grouped escalation naming the rep and the record, completed with a note.

The escalations are real: a demo-like lead is given to a rep, nobody opens it, the timers engine
sweeps past 3 minutes; the lead goes to a teammate and the same happens again.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from salesflow.core import clock
from salesflow.leads import services as leads
from salesflow.leads.models import Lead
from salesflow.notify.models import Task
from salesflow.org.models import User
from salesflow.timers import sweeper
from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

NOTE = "已电话提醒负责人，10 分钟内回访方秀云"


def _twice_escalated_lead() -> tuple[Lead, User, User]:
    """A lead unread for 3 minutes by its rep, then by the teammate it was moved to: two to-dos."""
    rep = User.objects.get(username="rep1")
    teammate = User.objects.get(username="rep2")
    manager = rep.manager
    assert manager is not None and teammate.manager == manager
    now = clock.now()
    lead = leads.lead_create(
        name="方秀云",
        phone="13800001111",
        company="海口第二中医院",
        industry_segment="hospital_public",
        actor=manager,
        owner=rep,
        now=now - timedelta(minutes=8),
    )
    sweeper.sweep(now=now - timedelta(minutes=4, seconds=50))
    leads.lead_reassign(
        lead=lead, to=teammate, reason="负责人外出", actor=manager, now=now - timedelta(minutes=4)
    )
    sweeper.sweep(now=now)
    tasks = Task.objects.filter(
        assignee=manager, subject_id=lead.pk, created_by_rule__startswith="sla:lead_unread"
    )
    assert tasks.count() == 2
    lead.refresh_from_db()
    return lead, teammate, manager


def _no_horizontal_overflow(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"


def test_manager_completes_a_grouped_escalation_with_a_note(page: Page, phone_page: Page, shot: Shot) -> None:
    lead, teammate, manager = _twice_escalated_lead()

    # Desktop: one row for the record and rule, naming the rep and the record, with a count.
    log_in(page, manager.username)
    page.goto("/notifications/")
    row = page.locator("[data-testid=task-row]", has_text="方秀云（海口第二中医院）")
    expect(row).to_have_count(1)
    expect(row.locator("[data-testid=inbox-person]")).to_have_text(str(teammate))
    expect(row.locator("[data-testid=inbox-record]")).to_have_text("方秀云（海口第二中医院）")
    expect(row).to_contain_text("3 分钟未读")
    expect(row).to_contain_text("×2")
    expect(row).to_contain_text("分单未读升级")
    expect(row).not_to_contain_text("sla:")
    expect(row.locator("[data-testid=inbox-call]")).to_have_attribute("href", "tel:13800001111")
    expect(row.locator("[data-testid=inbox-reassign] summary")).to_be_visible()
    row.locator("[data-testid=inbox-group] summary").click()
    expect(row.locator("[data-testid=inbox-group]")).to_contain_text("新线索分配")
    shot(page, "desktop-grouped")

    # Completing asks what was done; the browser will not send an empty note.
    row.locator("[data-testid=inbox-complete] summary").click()
    note = row.locator("[data-testid=inbox-complete] textarea[name=note]")
    expect(note).to_be_visible()
    assert note.evaluate("el => el.required") is True
    note.fill(NOTE)
    shot(page, "desktop-note")
    row.locator("[data-testid=inbox-complete] button").click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    expect(page.get_by_text("待办已完成")).to_be_visible()
    remaining = page.locator("[data-testid=task-row]", has_text="方秀云（海口第二中医院）")
    expect(remaining).to_have_count(1)
    expect(remaining).not_to_contain_text("×2")  # the older one of the pair is still open
    done = Task.objects.get(assignee=manager, subject_id=lead.pk, status="done")
    assert done.done_note == NOTE and done.done_by == manager

    # The to-do links to the record; the note is on its timeline.
    remaining.locator("[data-testid=inbox-open]").click()
    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))
    timeline = page.locator("[data-testid=timeline]")
    expect(timeline).to_contain_text("处理待办")
    expect(timeline).to_contain_text(NOTE)
    shot(page, "desktop-timeline")

    # Phone, 390×844: the inbox and 今日's cards fit, their actions are big enough to tap.
    log_in(phone_page, manager.username)
    for path in ("/notifications/", "/today/"):
        phone_page.goto(path)
        row = phone_page.locator("[data-testid=task-row]", has_text="方秀云（海口第二中医院）").first
        expect(row).to_be_visible()
        _no_horizontal_overflow(phone_page)
        for action in ("inbox-open", "inbox-call"):
            box = row.locator(f"[data-testid={action}]").bounding_box()
            assert (
                box is not None and box["height"] >= 36 and box["x"] >= 0 and box["x"] + box["width"] <= 390
            )
        row.locator("[data-testid=inbox-complete] summary").click()
        textarea_box = row.locator("textarea[name=note]").bounding_box()
        assert textarea_box is not None and textarea_box["x"] + textarea_box["width"] <= 390
        _no_horizontal_overflow(phone_page)
        shot(phone_page, "phone" + path.replace("/", "-").rstrip("-"))
