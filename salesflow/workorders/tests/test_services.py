"""Work orders: raising with a typed form, three-party acknowledgement, the proof gate, assignment,
comments with @mentions, closing, and complaints in customer health."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from salesflow.core.errors import Conflict, FieldErrors, PermissionDenied
from salesflow.core.models import Event
from salesflow.customers.models import Customer
from salesflow.notify.models import Notification
from salesflow.timers.models import Deadline
from salesflow.workorders import selectors, services
from salesflow.workorders.models import WorkOrder
from salesflow.workorders.tests.helpers import Cast, pdf_bytes, png_bytes, raise_custom

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 12, 14, 10, 0, tzinfo=SHANGHAI)


def test_raising_checks_the_form_against_the_type_and_names_each_bad_field(people: Cast) -> None:
    with pytest.raises(FieldErrors) as err:
        raise_custom(
            people,
            form_values={"product_line": "rockets", "budget": "lots", "wanted_by": "soon", "colour": "red"},
        )
    errors = err.value.errors
    assert set(errors) == {
        "form_values.requirement",
        "form_values.product_line",
        "form_values.budget",
        "form_values.wanted_by",
        "form_values.colour",
    }
    with pytest.raises(FieldErrors) as err:
        raise_custom(people, type_code="teleport")
    assert "type" in err.value.errors
    assert not WorkOrder.objects.exists()


def test_a_raised_order_lands_in_its_department_with_a_handler_parties_and_timeline_entries(
    people: Cast,
) -> None:
    order = raise_custom(people, now=MONDAY)
    assert order.number.startswith("GD202612")
    assert order.department == "presales" and order.assignee == people.presales
    assert order.state_name == "需求澄清中"
    assert order.form_values == {"requirement": "手术室定制吊塔", "product_line": "spine", "budget": "380000"}
    assert [(a.party, a.who) for a in order.acknowledgements.all()] == [
        ("sales", "record_owner"),
        ("presales", "role:presales"),
        ("delivery", "role:delivery"),
    ]
    names = set(Event.objects.filter(subject_type="workorders.workorder").values_list("name", flat=True))
    assert {"workorder.created", "workorder.custom_solution_created"} <= names
    # The customer's timeline shows it.
    assert Event.objects.filter(
        subject_type="customers.customer", subject_id=people.customer.pk, name="workorder.raised"
    ).exists()
    deadlines = Deadline.objects.filter(
        subject_type="workorders.workorder", subject_id=order.pk, status="pending"
    )
    assert sorted(d.step for d in deadlines) == [0, 1, 2]
    # The parties were told (the raiser is the sales party and is not told about their own order).
    told = set(Notification.objects.filter(kind="workorder").values_list("recipient__username", flat=True))
    assert {"presales1", "delivery1"} <= told and "owner" not in told
    assert [r["label"] for r in selectors.form_rows(order)] == ["客户需求", "产品线", "客户预算（元）"]
    assert selectors.form_rows(order)[1]["value"] == "脊柱类"


def test_all_three_parties_must_acknowledge_before_the_timer_stops(people: Cast) -> None:
    order = raise_custom(people, now=MONDAY)
    with pytest.raises(PermissionDenied):
        services.workorder_acknowledge(order=order, actor=people.trio.outsider)
    with pytest.raises(PermissionDenied):
        services.workorder_acknowledge(order=order, actor=people.legal, party="presales")
    services.workorder_acknowledge(order=order, actor=people.presales2, now=MONDAY)
    services.workorder_acknowledge(order=order, actor=people.delivery, now=MONDAY)
    order.refresh_from_db()
    assert order.acknowledged_at is None
    assert (
        Deadline.objects.filter(
            subject_type="workorders.workorder",
            subject_id=order.pk,
            policy="workorder_acknowledge",
            status="pending",
        ).count()
        == 3
    )
    with pytest.raises(Conflict):
        services.workorder_acknowledge(order=order, actor=people.presales, party="presales")
    services.workorder_acknowledge(order=order, actor=people.trio.owner, now=MONDAY)
    order.refresh_from_db()
    assert order.acknowledged_at == MONDAY
    assert not Deadline.objects.filter(
        subject_type="workorders.workorder",
        subject_id=order.pk,
        policy="workorder_acknowledge",
        status="pending",
    ).exists()
    assert (
        Event.objects.filter(
            subject_type="workorders.workorder", subject_id=order.pk, name="workorder.acknowledged"
        ).count()
        == 1
    )


def test_a_state_cannot_be_entered_without_its_proof(people: Cast) -> None:
    order = raise_custom(people, now=MONDAY)
    with pytest.raises(Conflict) as err:
        services.workorder_advance(order=order, actor=people.presales, to_state="draft_done")
    assert err.value.status_code == 409
    assert err.value.context["missing"] == ["screenshot"]
    assert "截图" in err.value.message
    # A screenshot is accepted by its content: a PDF named .png is not one.
    with pytest.raises(FieldErrors) as bad:
        services.workorder_attach(
            order=order, actor=people.presales, kind="screenshot", data=pdf_bytes(), filename="a.png"
        )
    assert "file" in bad.value.errors
    services.workorder_attach(
        order=order, actor=people.presales, kind="screenshot", data=png_bytes(), filename="初稿.png"
    )
    order = services.workorder_advance(order=order, actor=people.presales, to_state="draft_done", now=MONDAY)
    assert order.state_name == "方案初稿完成" and order.closed_at is None
    # The screenshot answered that step; the next one needs a signed file of its own.
    with pytest.raises(Conflict) as err:
        services.workorder_advance(order=order, actor=people.presales, to_state="customer_signed")
    assert err.value.context["missing"] == ["signed_file"]
    services.workorder_attach(
        order=order, actor=people.presales, kind="signed_file", data=pdf_bytes(), filename="签字.pdf"
    )
    order = services.workorder_advance(
        order=order, actor=people.presales, to_state="customer_signed", now=MONDAY
    )
    assert order.closed_at == MONDAY and order.state_name == "客户确认签字"
    assert Event.objects.filter(
        subject_type="workorders.workorder", subject_id=order.pk, name="workorder.closed"
    ).exists()
    assert not Deadline.objects.filter(
        subject_type="workorders.workorder", subject_id=order.pk, status="pending"
    ).exists()
    with pytest.raises(Conflict):
        services.workorder_advance(order=order, actor=people.presales, to_state="customer_signed")


def test_only_the_handling_department_advances_and_assigns(people: Cast) -> None:
    order = raise_custom(people)
    for outsider in (people.trio.owner, people.legal, people.delivery):
        with pytest.raises(PermissionDenied):
            services.workorder_advance(order=order, actor=outsider, to_state="draft_done")
        with pytest.raises(PermissionDenied):
            services.workorder_assign(order=order, actor=outsider, assignee=people.presales2)
    with pytest.raises(FieldErrors) as err:
        services.workorder_assign(order=order, actor=people.presales, assignee=people.delivery)
    assert "assignee" in err.value.errors
    order = services.workorder_assign(order=order, actor=people.presales, assignee=people.presales2)
    assert order.assignee == people.presales2
    assert Notification.objects.filter(recipient=people.presales2, title__contains="分派").exists()


def test_a_state_event_stops_its_timer(people: Cast) -> None:
    order = services.workorder_raise(
        actor=people.trio.owner,
        type_code="urgent_shipment",
        customer=people.customer,
        title="急需 20 套器械",
        form_values={
            "items": "关节器械 20 套",
            "needed_by": "2026-12-16",
            "address": "上海市瑞金二路 197 号",
        },
        now=MONDAY,
    )
    assert order.assignee == people.delivery
    policies = set(
        Deadline.objects.filter(
            subject_type="workorders.workorder", subject_id=order.pk, status="pending"
        ).values_list("policy", flat=True)
    )
    assert policies == {"workorder_acknowledge", "urgent_shipment_plan"}
    with pytest.raises(Conflict) as err:
        services.workorder_advance(order=order, actor=people.delivery, to_state="plan_submitted")
    assert err.value.context["missing"] == ["note"]
    services.workorder_advance(
        order=order, actor=people.delivery, to_state="plan_submitted", note="今晚顺丰发出"
    )
    assert not Deadline.objects.filter(
        subject_type="workorders.workorder",
        subject_id=order.pk,
        policy="urgent_shipment_plan",
        status="pending",
    ).exists()


def test_an_approval_chain_holds_the_order_until_approved(people: Cast) -> None:
    from salesflow.approvals import services as approvals
    from salesflow.approvals.models import ApprovalRequest

    order = services.workorder_raise(
        actor=people.trio.owner,
        type_code="special_price_approval",
        customer=people.customer,
        title="年度框架特价",
        form_values={"discount_pct": "12", "amount": "260000", "reason": "竞品压价"},
        now=MONDAY,
    )
    assert order.approval_state == "pending"
    request = ApprovalRequest.objects.get(subject_id=order.pk, subject_type="workorders.workorder")
    assert request.facts["discount_pct"] == "12"
    with pytest.raises(Conflict):
        services.workorder_advance(order=order, actor=people.finance, to_state="price_confirmed", note="同意")
    step = request.steps.get(state="open")
    approvals.approval_approve(step=step, actor=people.trio.manager, comment="同意")
    order.refresh_from_db()
    assert order.approval_state == "approved"
    order = services.workorder_advance(
        order=order, actor=people.finance, to_state="price_confirmed", note="按 88 折"
    )
    assert order.state == "price_confirmed"


def test_a_mention_in_a_comment_tells_the_colleague(people: Cast) -> None:
    order = raise_custom(people)
    comment = services.workorder_comment(
        order=order, actor=people.trio.owner, body="@delivery1 请评估工期 <b>x</b>"
    )
    assert list(comment.mentions.all()) == [people.delivery]
    note = Notification.objects.get(recipient=people.delivery, title__contains="提到了你")
    assert "请评估工期" in note.body
    with pytest.raises(FieldErrors):
        services.workorder_comment(order=order, actor=people.trio.owner, body="  ")


def test_the_raiser_or_a_handler_closes_with_a_reason(people: Cast) -> None:
    order = raise_custom(people)
    with pytest.raises(PermissionDenied):
        services.workorder_close(order=order, actor=people.trio.teammate, reason="不需要了")
    with pytest.raises(FieldErrors):
        services.workorder_close(order=order, actor=people.trio.owner, reason="")
    order = services.workorder_close(order=order, actor=people.trio.owner, reason="客户取消")
    assert order.closed_at is not None


def test_customer_complaints_count_as_service_requests_in_customer_health(people: Cast) -> None:
    def factor() -> dict[str, object]:
        customer = Customer.objects.get(pk=people.customer.pk)
        return next(f for f in customer.health_factors if f["factor"] == "service_requests")

    for i in range(2):
        services.workorder_raise(
            actor=people.trio.owner,
            type_code="customer_complaint",
            customer=people.customer,
            title=f"投诉 {i}",
            form_values={"category": "quality", "severity": "high", "detail": "包装破损"},
        )
    assert factor()["detail"] == "2 次"
    # 2 of the 5 that bring the factor to zero: 60 % of its 15 points.
    assert factor()["points"] == 9.0
    raise_custom(people)  # not a service request
    assert factor()["detail"] == "2 次"


def test_visibility_rep_sees_raised_handlers_their_queue_managers_their_team(people: Cast) -> None:
    order = raise_custom(people)
    trio = people.trio

    def sees(user: object) -> bool:
        return selectors.workorders_visible_to(user).filter(pk=order.pk).exists()  # type: ignore[arg-type]

    assert sees(trio.owner) and sees(trio.manager) and sees(people.presales2) and sees(people.delivery)
    assert sees(people.coo)
    assert not sees(trio.teammate) and not sees(trio.outsider) and not sees(trio.other_manager)
    assert not sees(people.legal)
