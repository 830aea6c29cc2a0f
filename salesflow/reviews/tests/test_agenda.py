"""A month's agenda: months in local time, groups by type and team, names only for those who may
see the record, any record type (registered or not), and the pack's meetings section."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.reviews import registry, selectors, services, subjects
from salesflow.reviews.tests.helpers import (
    LADDER_LABEL,
    MEETING,
    NOVEMBER,
    Cast,
    customer,
    opportunity,
    put_on_agenda,
)
from salesflow.rules import packs
from salesflow.rules.models import AgendaItem

pytestmark = pytest.mark.django_db
DEC = date(2026, 12, 1)


def test_an_item_belongs_to_the_local_month_it_was_put_on_the_agenda(people: Cast) -> None:
    record = customer(people.trio.owner)
    # 2026-11-30 17:00 UTC is 2026-12-01 01:00 in Shanghai: December's meeting.
    late = put_on_agenda(record, at=datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    early = put_on_agenda(record, at=datetime(2026, 11, 30, 15, 59, tzinfo=UTC))
    assert list(selectors.items_in(MEETING, DEC)) == [late]
    assert list(selectors.items_in(MEETING, date(2026, 11, 1))) == [early]
    # Once the meeting acts the month is stored with the item and stays.
    services.agenda_item_discuss(item=early, actor=people.coo)
    assert early.review.month == date(2026, 11, 1)
    assert list(selectors.items_in(MEETING, date(2026, 11, 1))) == [early]


def test_rows_are_grouped_by_type_and_team_with_labels_not_codes(people: Cast) -> None:
    trio = people.trio
    put_on_agenda(customer(trio.owner, "东方医院"), reason="客户承诺超时")
    put_on_agenda(opportunity(trio.outsider, "骨科耗材"), reason="熔断")
    put_on_agenda(customer(trio.teammate, "西区医院"))
    put_on_agenda(customer(trio.owner, "十一月医院"), at=NOVEMBER)
    rows = selectors.agenda_for(people.coo, meeting_code=MEETING, month=DEC)
    groups = [(g.group, g.team, [r.name for r in g.rows]) for g in selectors.grouped(rows)]
    assert groups == [
        ("商机", "杭州组", ["骨科耗材 · 骨科耗材医院"]),
        ("客户", "上海一组", ["东方医院", "西区医院"]),
    ]
    row = rows[0]
    assert row.rule_label == LADDER_LABEL and row.visible
    assert row.url == f"/customers/{row.item.subject_id}/"
    assert row.timeline_url == f"/records/customer/{row.item.subject_id}/timeline/"


def test_a_viewer_outside_the_record_s_scope_reads_its_type_and_number_only(people: Cast) -> None:
    far = customer(people.far_rep, "北京机密医院")
    near = customer(people.trio.owner, "上海医院")
    put_on_agenda(far)
    put_on_agenda(near)
    director_rows = {
        r.item.subject_id: r
        for r in selectors.agenda_for(people.trio.director, meeting_code=MEETING, month=DEC)
    }
    assert director_rows[near.pk].name == "上海医院"
    hidden = director_rows[far.pk]
    assert hidden.name == f"客户 #{far.pk}" and hidden.url is None and hidden.timeline_url is None
    assert not hidden.visible and hidden.team == "北京组"
    gm_rows = {r.item.subject_id: r for r in selectors.agenda_for(people.gm, meeting_code=MEETING, month=DEC)}
    assert gm_rows[far.pk].name == "北京机密医院"


@pytest.mark.parametrize("who", ["owner", "manager", "admin"])
def test_people_outside_the_meeting_read_nothing(people: Cast, who: str) -> None:
    with pytest.raises(PermissionDenied):
        selectors.agenda_for(getattr(people.trio, who), meeting_code=MEETING, month=DEC)


def test_any_record_type_shows_and_a_registered_type_groups_its_own_way(people: Cast) -> None:
    # A record type whose app is not installed (an app since removed): a readable label.
    AgendaItem.objects.create(
        meeting=MEETING,
        subject_type="retired.thing",
        subject_id=77,
        reason="工单三次超时未响应",
        rule_code="sla:workorder_acknowledge/第三次超时 → 月度流程复盘会",
        created_at=datetime(2026, 12, 2, tzinfo=UTC),
    )
    (row,) = selectors.agenda_for(people.coo, meeting_code=MEETING, month=DEC)
    assert (row.name, row.group, row.team, row.url) == ("记录 #77", "记录", "未分配团队", None)
    # An app registers its type: the group is its own (a work order's type, say).
    record = opportunity(people.trio.owner, "定制方案")
    put_on_agenda(record)
    registry.register("pipeline.opportunity", name=lambda o: f"《{o.title}》", group=lambda o: "定制方案申请")
    try:
        rows = selectors.agenda_for(people.coo, meeting_code=MEETING, month=DEC)
        mine = next(r for r in rows if r.item.subject_id == record.pk and r.type_name == "opportunity")
        assert (mine.name, mine.group, mine.team) == ("《定制方案》", "定制方案申请", "上海一组")
    finally:
        subjects.install()


def test_months_are_yyyy_mm_and_a_bad_one_names_the_field() -> None:
    assert selectors.parse_month("2026-02") == date(2026, 2, 1)
    for bad in ("2026-13", "26-01", "2026-1", "december"):
        with pytest.raises(FieldErrors) as exc:
            selectors.parse_month(bad)
        assert list(exc.value.errors) == ["month"]
    assert selectors.previous_month(date(2026, 1, 1)) == date(2025, 12, 1)
    assert selectors.next_month(date(2026, 12, 1)) == date(2027, 1, 1)


def test_the_pack_names_who_chairs_and_who_reads_each_meeting() -> None:
    pack = packs.load_default()
    meeting = pack.meeting(MEETING)
    assert meeting is not None and meeting.label == "月度流程复盘"
    assert meeting.chair_roles == ["coo"] and set(meeting.viewer_roles) == {"gm", "director"}
    document = packs.to_document(pack)
    document["meetings"][MEETING]["chair_roles"] = ["chief"]
    with pytest.raises(packs.PackInvalid) as bad_role:
        packs.validate(document)
    assert any(
        e.startswith("meetings.monthly_process_review.chair_roles: unknown role chief")
        for e in bad_role.value.errors
    )
    document = packs.to_document(pack)
    del document["meetings"][MEETING]
    with pytest.raises(packs.PackInvalid) as missing:
        packs.validate(document)
    assert any(
        ".params.meeting: no meeting “monthly_process_review” in this pack" in e
        and e.startswith("sla_policies[")
        for e in missing.value.errors
    ), missing.value.errors


def test_a_work_order_is_reviewed_under_its_type_for_the_team_of_its_raiser(people: Cast) -> None:
    from salesflow.workorders import services as workorders

    record = customer(people.trio.owner, "定制方案医院")
    order = workorders.workorder_raise(
        actor=people.trio.owner,
        type_code="custom_solution",
        customer=record,
        title="脊柱定制方案",
        form_values={"requirement": "需求", "product_line": "spine"},
    )
    put_on_agenda(order)
    (row,) = [
        r
        for r in selectors.agenda_for(people.coo, meeting_code=MEETING, month=DEC)
        if r.item.subject_type == "workorders.workorder"
    ]
    assert row.group == "定制方案申请" and row.team == people.trio.team.name
    assert row.name == f"{order.number} · 脊柱定制方案 · 定制方案医院"
