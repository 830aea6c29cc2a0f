"""The work-order API: raise from a record, owner / teammate / outsider scope, handlers only act
within their roles (403), the proof gate answers 409 naming what is missing, bad input 422."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from salesflow.core.testing import api_client_for
from salesflow.workorders.models import WorkOrder
from salesflow.workorders.tests.helpers import CUSTOM_FORM, Cast, pdf_bytes, png_bytes, raise_custom

pytestmark = pytest.mark.django_db


def test_types_list_the_pack_with_choices_as_labels(people: Cast) -> None:
    body = api_client_for(people.trio.owner).get("/api/v1/workorder-types").json()
    custom = next(t for t in body if t["code"] == "custom_solution")
    assert custom["name"] == "定制方案申请" and custom["department_label"] == "售前"
    assert [s["name"] for s in custom["states"]] == ["需求澄清中", "方案初稿完成", "客户确认签字"]
    line = next(f for f in custom["form"] if f["key"] == "product_line")
    assert {"code": "spine", "label": "脊柱类"} in line["choices"]


def test_the_owner_raises_from_a_customer_and_teammate_and_outsider_cannot(people: Cast) -> None:
    trio = people.trio
    payload = {
        "type": "custom_solution",
        "title": "定制吊塔",
        "customer_id": people.customer.pk,
        "form_values": CUSTOM_FORM,
    }
    for stranger in (trio.teammate, trio.outsider):
        response = api_client_for(stranger).post(
            "/api/v1/workorders", payload, content_type="application/json"
        )
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "customer_id"
    response = api_client_for(trio.owner).post("/api/v1/workorders", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["department_label"] == "售前" and body["assignee"]["name"] == "售前小王"
    assert [a["party_name"] for a in body["acknowledgements"]] == ["销售", "售前", "交付"]
    assert {"key": "product_line", "label": "产品线", "value": "脊柱类"} in body["form_values"]
    assert body["sla"]["due_at"] is not None and body["sla"]["light"] in ("green", "yellow")
    bad = api_client_for(trio.owner).post(
        "/api/v1/workorders",
        {**payload, "form_values": {"product_line": "x"}},
        content_type="application/json",
    )
    assert bad.status_code == 422
    locs = {e["loc"][-1] for e in bad.json()["detail"]}
    assert {"form_values.requirement", "form_values.product_line"} <= locs


def test_owner_and_manager_see_it_teammate_and_outsider_get_404(people: Cast) -> None:
    order = raise_custom(people)
    trio = people.trio
    for viewer in (trio.owner, trio.manager, trio.director, people.presales, people.delivery, people.coo):
        assert api_client_for(viewer).get(f"/api/v1/workorders/{order.pk}").status_code == 200
    for stranger in (trio.teammate, trio.outsider, trio.other_manager, people.legal):
        assert api_client_for(stranger).get(f"/api/v1/workorders/{order.pk}").status_code == 404
        listed = api_client_for(stranger).get("/api/v1/workorders").json()["items"]
        assert order.pk not in [o["id"] for o in listed]
    mine = api_client_for(trio.owner).get("/api/v1/workorders?mine=raised").json()["items"]
    assert [o["id"] for o in mine] == [order.pk]
    assert api_client_for(trio.owner).get("/api/v1/workorders?status=maybe").status_code == 422


def test_a_handler_outside_the_handling_roles_cannot_act(people: Cast) -> None:
    order = raise_custom(people)
    url = f"/api/v1/workorders/{order.pk}"
    # Delivery sees it (a party) and acknowledges, but may not advance or assign a presales order.
    delivery = api_client_for(people.delivery)
    assert delivery.post(f"{url}/acknowledgements", {}, content_type="application/json").status_code == 200
    move = delivery.post(f"{url}/transitions", {"to_state": "draft_done"}, content_type="application/json")
    assert move.status_code == 403
    assign = delivery.post(
        f"{url}/assign", {"assignee_id": people.presales2.pk}, content_type="application/json"
    )
    assert assign.status_code == 403
    # The rep who raised it cannot advance it either.
    owner = api_client_for(people.trio.owner)
    assert (
        owner.post(
            f"{url}/transitions", {"to_state": "draft_done"}, content_type="application/json"
        ).status_code
        == 403
    )
    # The manager sees it but is no party.
    manager = api_client_for(people.trio.manager)
    assert manager.post(f"{url}/acknowledgements", {}, content_type="application/json").status_code == 403


def test_the_proof_gate_answers_409_naming_the_missing_proof(people: Cast) -> None:
    order = raise_custom(people)
    url = f"/api/v1/workorders/{order.pk}"
    presales = api_client_for(people.presales)
    response = presales.post(
        f"{url}/transitions", {"to_state": "draft_done"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["missing"] == ["screenshot"] and "截图" in response.json()["detail"]
    fake = presales.post(
        f"{url}/attachments", {"kind": "screenshot", "file": SimpleUploadedFile("x.png", pdf_bytes())}
    )
    assert fake.status_code == 422
    shot = presales.post(
        f"{url}/attachments", {"kind": "screenshot", "file": SimpleUploadedFile("初稿.png", png_bytes())}
    )
    assert shot.status_code == 201 and shot.json()["content_type"] == "image/jpeg"
    moved = presales.post(f"{url}/transitions", {"to_state": "draft_done"}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["state_name"] == "方案初稿完成"
    assert moved.json()["transitions"][-1]["files"] == ["初稿.png"]
    unknown = presales.post(f"{url}/transitions", {"to_state": "flying"}, content_type="application/json")
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"][-1] == "to_state"


def test_comments_queues_and_close(people: Cast) -> None:
    order = raise_custom(people)
    url = f"/api/v1/workorders/{order.pk}"
    owner = api_client_for(people.trio.owner)
    made = owner.post(
        f"{url}/comments", {"body": "@presales1 周五前能出初稿吗"}, content_type="application/json"
    )
    assert made.status_code == 201 and made.json()["mentions"][0]["name"] == "售前小王"
    queue = api_client_for(people.presales).get("/api/v1/workorder-queues/presales").json()["items"]
    assert [o["id"] for o in queue] == [order.pk]
    assert api_client_for(people.presales).get("/api/v1/workorder-queues/space").status_code == 422
    assert (
        api_client_for(people.trio.owner).get("/api/v1/workorder-queues/presales").json()["items"][0]["id"]
        == order.pk
    )
    assert owner.post(f"{url}/close", {"reason": ""}, content_type="application/json").status_code == 422
    closed = owner.post(f"{url}/close", {"reason": "客户取消"}, content_type="application/json")
    assert closed.status_code == 200 and closed.json()["closed_at"] is not None
    assert WorkOrder.objects.get(pk=order.pk).closed_at is not None
    assert owner.post(f"{url}/comments", {"body": "x"}, content_type="application/json").status_code == 201
    signed = api_client_for(people.presales).post(
        f"{url}/attachments", {"kind": "signed_file", "file": SimpleUploadedFile("s.pdf", pdf_bytes())}
    )
    assert signed.status_code == 409  # closed
