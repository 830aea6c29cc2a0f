"""The approvals API: lists by tab, one request, decisions, withdrawal, delegations; who may do what."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from salesflow.approvals.tests.helpers import Cast, opportunity, start
from salesflow.core.testing import api_client_for

pytestmark = pytest.mark.django_db


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def _ids(client: Client, state: str) -> list[int]:
    response = client.get(f"/api/v1/approvals?state={state}")
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_pending_mine_and_done_lists(people: Cast) -> None:
    trio = people.trio
    request = start(opportunity(trio.owner), trio.owner)
    manager, owner = api_client_for(trio.manager), api_client_for(trio.owner)
    assert _ids(manager, "pending") == [request.pk]
    assert _ids(owner, "pending") == [] and _ids(owner, "mine") == [request.pk]
    assert _ids(api_client_for(people.finance), "pending") == []
    response = _post(manager, f"/api/v1/approvals/{request.pk}/approve", {"comment": "同意"})
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "pending" and body["steps"][0]["state"] == "approved"
    assert body["steps"][0]["acted_by"]["id"] == trio.manager.pk
    assert _ids(manager, "done") == [request.pk] and _ids(manager, "pending") == []
    assert _ids(api_client_for(people.finance2), "pending") == [request.pk]
    assert manager.get("/api/v1/approvals?state=everything").status_code == 422


def test_detail_shows_the_subjects_facts_to_those_in_scope_only(people: Cast) -> None:
    trio = people.trio
    request = start(opportunity(trio.owner, title="机密商机"), trio.owner)
    url = f"/api/v1/approvals/{request.pk}"
    seen = api_client_for(trio.manager).get(url).json()
    assert {"label": "客户", "value": "机密商机医院"} in seen["subject"]["facts"]
    assert seen["can_decide"] is True
    for user in (trio.owner, trio.director, trio.admin):
        assert api_client_for(user).get(url).status_code == 200
    # Teammate, outsider, the other team's manager, and finance before their step opens: 404.
    for user in (trio.teammate, trio.outsider, trio.other_manager, people.finance):
        assert api_client_for(user).get(url).status_code == 404


def test_decisions_need_a_comment_and_the_right_person(people: Cast) -> None:
    trio = people.trio
    request = start(opportunity(trio.owner), trio.owner)
    url = f"/api/v1/approvals/{request.pk}/reject"
    missing = _post(api_client_for(trio.manager), url, {"comment": "  "})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "comment"]
    assert _post(api_client_for(trio.owner), url, {"comment": "自己批"}).status_code == 403
    assert _post(api_client_for(trio.director), url, {"comment": "越级"}).status_code == 403
    assert _post(api_client_for(trio.outsider), url, {"comment": "外人"}).status_code == 404
    assert _post(api_client_for(trio.manager), url, {"comment": "不同意"}).status_code == 200
    again = _post(api_client_for(trio.manager), url, {"comment": "再驳回"})
    assert again.status_code == 409 and "已由他人处理" in again.json()["detail"]


def test_withdraw_through_the_api(people: Cast) -> None:
    trio = people.trio
    request = start(opportunity(trio.owner), trio.owner)
    url = f"/api/v1/approvals/{request.pk}/withdraw"
    assert _post(api_client_for(trio.manager), url, {"comment": "替他撤"}).status_code == 403
    response = _post(api_client_for(trio.owner), url, {"comment": "客户改需求"})
    assert response.status_code == 200 and response.json()["state"] == "withdrawn"
    assert _post(api_client_for(trio.owner), url, {"comment": "再撤"}).status_code == 409


def test_delegation_crud(people: Cast) -> None:
    trio = people.trio
    manager = api_client_for(trio.manager)
    body = {
        "delegate": trio.other_manager.pk,
        "starts_on": "2026-12-20",
        "ends_on": "2026-12-31",
        "reason": "年假",
    }
    created = _post(manager, "/api/v1/approval-delegations", body)
    assert created.status_code == 201, created.content
    delegation_id = created.json()["id"]
    assert _post(manager, "/api/v1/approval-delegations", body).status_code == 409  # overlaps
    bad = _post(manager, "/api/v1/approval-delegations", {**body, "delegate": trio.manager.pk})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "delegate"
    # The delegate sees it but may not change it; an outsider does not see it.
    delegate = api_client_for(trio.other_manager)
    assert [d["id"] for d in delegate.get("/api/v1/approval-delegations").json()] == [delegation_id]
    url = f"/api/v1/approval-delegations/{delegation_id}"
    patch = delegate.patch(url, json.dumps({"reason": "改"}), content_type="application/json")
    assert patch.status_code == 403
    assert api_client_for(trio.outsider).delete(url).status_code == 404
    changed = manager.patch(url, json.dumps({"ends_on": "2027-01-03"}), content_type="application/json")
    assert changed.status_code == 200 and changed.json()["ends_on"] == "2027-01-03"
    assert manager.delete(url).status_code == 204
    assert manager.get("/api/v1/approval-delegations").json() == []


def test_list_queries_do_not_grow_with_rows(people: Cast) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    trio = people.trio
    client = api_client_for(trio.manager)
    counts = []
    for batch in (2, 6):
        for n in range(batch):
            start(opportunity(trio.owner, title=f"商机{batch}-{n}"), trio.owner)
        with CaptureQueriesContext(connection) as queries:
            ids = _ids(client, "pending")
        counts.append(len(queries))
    assert len(ids) == 8
    assert counts[1] <= counts[0], counts


def test_the_second_finance_person_hears_already_decided_not_forbidden(people: Cast) -> None:
    trio = people.trio
    request = start(opportunity(trio.owner), trio.owner, discount="25")
    url = f"/api/v1/approvals/{request.pk}/approve"
    assert _post(api_client_for(trio.manager), url, {"comment": "同意"}).status_code == 200
    assert _post(api_client_for(people.finance), url, {"comment": "同意"}).status_code == 200
    # The GM's step is open now; the other finance person was an approver of the step just decided.
    late = _post(api_client_for(people.finance2), url, {"comment": "同意"})
    assert late.status_code == 409 and "已由他人处理" in late.json()["detail"]
    assert _post(api_client_for(trio.outsider), url, {"comment": "同意"}).status_code == 404
    assert _post(api_client_for(trio.director), url, {"comment": "同意"}).status_code == 403
