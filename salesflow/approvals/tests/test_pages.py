"""我的审批 pages: tabs with the count badge, the request page with facts and step ladder, the
htmx decision form with inline errors, withdrawal, delegations; who may open what."""

from __future__ import annotations

import pytest
from django.test import Client

from salesflow.approvals.choices import RequestState, StepState
from salesflow.approvals.models import ApprovalDelegation
from salesflow.approvals.tests.helpers import Cast, opportunity, start
from salesflow.org.models import User

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_pending_tab_and_the_navigation_badge_count_what_waits_for_me(people: Cast) -> None:
    trio = people.trio
    request = start(opportunity(trio.owner, title="特价商机"), trio.owner)
    page = _client(trio.manager).get("/approvals/").content.decode()
    assert 'data-testid="approvals-badge">1<' in page
    assert 'data-testid="tab-pending-count">1<' in page
    assert f"/approvals/{request.pk}/" in page
    mine = _client(trio.owner).get("/approvals/?tab=mine").content.decode()
    assert f"/approvals/{request.pk}/" in mine and 'data-testid="approvals-badge"' not in mine
    assert "暂无待我审批" in _client(trio.owner).get("/approvals/").content.decode()


def test_the_request_page_shows_facts_link_and_ladder_to_those_in_scope(people: Cast) -> None:
    trio = people.trio
    subject = opportunity(trio.owner, title="特价商机")
    request = start(subject, trio.owner)
    url = f"/approvals/{request.pk}/"
    page = _client(trio.manager).get(url).content.decode()
    assert "特价商机医院" in page and f'href="/opportunities/{subject.pk}/"' in page
    assert page.count('data-testid="step"') == 3 and "不满足条件" in page
    assert 'data-testid="decide-form"' in page
    # The requester and the director see it without the buttons.
    for user in (trio.owner, trio.director):
        response = _client(user).get(url)
        assert response.status_code == 200 and 'data-testid="decide-form"' not in response.content.decode()
    for user in (trio.teammate, trio.outsider, trio.other_manager):
        assert _client(user).get(url).status_code == 404


def test_deciding_without_a_comment_shows_the_error_in_the_form(people: Cast) -> None:
    trio = people.trio
    request = start(opportunity(trio.owner), trio.owner)
    url = f"/approvals/{request.pk}/decide/"
    client = _client(trio.manager)
    assert (
        f'name="step" value="{request.steps.get(order=0).pk}"'
        in client.get(f"/approvals/{request.pk}/").content.decode()
    )
    response = client.post(url, {"decision": "approve", "comment": ""}, headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-error-for="comment"' in body and "请填写审批意见" in body
    assert request.steps.get(order=0).state == StepState.OPEN
    done = client.post(url, {"decision": "approve", "comment": "同意"}, headers=HTMX)
    assert done.status_code == 200 and "X-Toast" in done.headers
    assert request.steps.get(order=0).state == StepState.APPROVED
    assert request.steps.get(order=1).state == StepState.OPEN
    # A second click from the same page (it names the step it showed) finds the step decided:
    # said in the form, and nothing changes.
    first = request.steps.get(order=0)
    again = client.post(url, {"decision": "reject", "comment": "驳回", "step": first.pk}, headers=HTMX)
    assert "已由他人处理" in again.content.decode()
    assert request.steps.get(order=1).state == StepState.OPEN
    assert _client(trio.owner).post(url, {"decision": "approve", "comment": "我自己"}).status_code == 403


def test_withdraw_from_the_page(people: Cast) -> None:
    trio = people.trio
    request = start(opportunity(trio.owner), trio.owner)
    client = _client(trio.owner)
    response = client.post(f"/approvals/{request.pk}/withdraw/", {"comment": "客户改单"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == RequestState.WITHDRAWN


def test_the_subjects_timeline_shows_every_step(people: Cast) -> None:
    trio = people.trio
    subject = opportunity(trio.owner)
    request = start(subject, trio.owner)
    _client(trio.manager).post(
        f"/approvals/{request.pk}/decide/", {"decision": "return", "comment": "请补充资料"}
    )
    timeline = _client(trio.owner).get(f"/records/opportunity/{subject.pk}/timeline/").content.decode()
    for label in ("提交审批", "审批环节开始", "审批环节跳过", "审批环节处理", "审批退回修改", "请补充资料"):
        assert label in timeline, label


def test_delegation_page_adds_and_removes(people: Cast) -> None:
    trio = people.trio
    client = _client(trio.manager)
    bad = client.post("/approvals/delegations/", {"delegate": "", "starts_on": "2026-12-20", "ends_on": ""})
    assert bad.status_code == 200 and 'data-error-for="delegate"' in bad.content.decode()
    assert 'data-error-for="ends_on"' in bad.content.decode()
    ok = client.post(
        "/approvals/delegations/",
        {"delegate": str(trio.other_manager.pk), "starts_on": "2026-12-20", "ends_on": "2026-12-31"},
    )
    assert ok.status_code == 302
    delegation = ApprovalDelegation.objects.get()
    assert _client(trio.outsider).post(f"/approvals/delegations/{delegation.pk}/delete/").status_code == 404
    assert (
        _client(trio.other_manager).post(f"/approvals/delegations/{delegation.pk}/delete/").status_code == 403
    )
    assert client.post(f"/approvals/delegations/{delegation.pk}/delete/").status_code == 302
    assert not ApprovalDelegation.objects.exists()


def test_the_requests_own_history_and_timeline_open_for_those_in_scope(people: Cast) -> None:
    trio = people.trio
    request = start(opportunity(trio.owner), trio.owner)
    decide = {"decision": "reject", "comment": "不同意"}
    _client(trio.manager).post(f"/approvals/{request.pk}/decide/", decide)
    history = _client(trio.owner).get(f"/records/approval_request/{request.pk}/history/")
    assert history.status_code == 200 and "已驳回" in history.content.decode()
    assert _client(trio.outsider).get(f"/records/approval_request/{request.pk}/history/").status_code == 404
    detail = _client(trio.owner).get(f"/approvals/{request.pk}/").content.decode()
    assert f"/records/approval_request/{request.pk}/history/" in detail
    assert f"/records/opportunity/{request.subject_id}/timeline/" in detail


def test_each_tab_exports_to_xlsx_with_labels_and_only_what_the_tab_lists(people: Cast) -> None:
    import io

    from openpyxl import load_workbook

    trio = people.trio
    request = start(opportunity(trio.owner, title="特价商机"), trio.owner)
    page = _client(trio.manager).get("/approvals/?tab=pending").content.decode()
    assert "/approvals/export.xlsx?state=pending" in page

    def rows(user: User, state: str) -> list[tuple[object, ...]]:
        response = _client(user).get(f"/approvals/export.xlsx?state={state}")
        assert response.status_code == 200, response.content
        return list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))

    header, *pending = rows(trio.manager, "pending")
    assert header[:4] == ("审批事项", "审批流程", "申请人", "状态")
    assert [(r[0], r[3]) for r in pending] == [(request.summary, "审批中")]
    assert pending[0][4]  # the open step's name, never a code
    assert [r[0] for r in rows(trio.owner, "mine")[1:]] == [request.summary]
    assert rows(trio.owner, "pending")[1:] == [] and rows(trio.outsider, "mine")[1:] == []
    bad = _client(trio.owner).get("/approvals/export.xlsx?state=everything")
    assert bad.status_code == 422 and "state" in bad.content.decode()
