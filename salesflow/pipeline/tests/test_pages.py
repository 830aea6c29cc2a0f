"""商机 pages: the board (query count pinned), drag-to-advance, the opportunity page, visit pages."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from salesflow.core import clock
from salesflow.core.testing import Trio
from salesflow.customers import services as customers
from salesflow.org.models import User
from salesflow.pipeline import services
from salesflow.pipeline.models import Opportunity, Visit
from salesflow.timers.models import Deadline

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _opportunity(owner: User, title: str = "关节耗材采购", *, stage: str = "") -> Opportunity:
    customer = customers.customer_create(name=f"{title}医院", actor=None, owner=owner)
    opportunity = services.opportunity_create(
        customer=customer, title=title, pipeline="standard", owner=owner, actor=owner, amount="1234"
    )
    for step in ("first_contact", "needs_confirmed"):
        if stage and step != opportunity.stage:
            opportunity = services.opportunity_advance(opportunity=opportunity, to_stage=step, actor=owner)
        if step == stage:
            break
    return opportunity


def _advance_json(client: Client, opportunity: Opportunity, to: str, reason: str = "") -> Any:
    return client.post(
        f"/opportunities/{opportunity.pk}/advance/",
        {"to_stage": to, "reason": reason},
        HTTP_ACCEPT="application/json",
    )


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def _board_queries(client: Client, django_assert_max_num_queries: Any, limit: int) -> str:
    # 9 for a manager: session, user, two reporting levels (scope), the column counts and sums,
    # the shown cards with customer and owner, their evidence, their deadlines, the bell's unread
    # count; 10 when the rule pack's 2-second cache is re-read. The same with 5,000 opportunities.
    with django_assert_max_num_queries(limit):
        response = client.get("/opportunities/?pipeline=standard")
    assert response.status_code == 200
    return response.content.decode()


def test_board_shows_cards_per_stage_in_a_handful_of_queries(
    trio: Trio, django_assert_max_num_queries: Any
) -> None:
    first = _opportunity(trio.owner, "脊柱耗材", stage="needs_confirmed")
    manager = _client(trio.manager)
    page = _board_queries(manager, django_assert_max_num_queries, 10)
    assert 'data-testid="column-needs_confirmed"' in page
    assert "脊柱耗材" in page and "¥1,234.00" in page and "客户需求说明书" in page
    assert 'data-light="green"' in page
    # Thirty more cards, each with timers, cost no more queries: no N+1.
    now = clock.now()
    for i in range(30):
        o = _opportunity(
            trio.owner if i % 2 else trio.teammate, f"商机{i}", stage="first_contact" if i % 3 else ""
        )
        Deadline.objects.create(
            subject_type="pipeline.opportunity",
            subject_id=o.pk,
            policy="opportunity_stall",
            step=0,
            due_at=now,
            status=Deadline.Status.FIRED,
            created_at=now,
        )
    page = _board_queries(manager, django_assert_max_num_queries, 10)
    assert page.count('class="card card-sm sf-card') == 31
    assert 'data-light="yellow"' in page and first.title in page


def test_board_filters_owner_me_and_defaults_to_a_visible_pipeline(trio: Trio) -> None:
    _opportunity(trio.owner, "我的商机")
    _opportunity(trio.teammate, "同事商机")
    manager = _client(trio.manager)
    assert "同事商机" in manager.get("/opportunities/").content.decode()
    mine = _client(trio.owner).get("/opportunities/?owner=me").content.decode()
    assert "我的商机" in mine and "同事商机" not in mine
    outsider = _client(trio.outsider).get("/opportunities/").content.decode()
    assert "我的商机" not in outsider and "暂无进行中的商机" in outsider


def test_nav_points_to_the_board(trio: Trio) -> None:
    page = _client(trio.owner).get("/today/").content.decode()
    assert 'href="/opportunities/" data-nav="opportunities"' in page


def test_drag_advance_is_refused_with_what_is_missing_then_allowed(trio: Trio) -> None:
    opportunity = _opportunity(trio.owner, stage="needs_confirmed")
    owner = _client(trio.owner)
    refused = _advance_json(owner, opportunity, "proposal_quote")
    assert refused.status_code == 409
    body = refused.json()
    assert body["ok"] is False
    assert body["message"] == "缺少证据：客户需求说明书 — 上传后即可推进"
    assert body["missing"][0]["code"] == "requirements_doc"
    assert Opportunity.objects.get(pk=opportunity.pk).stage == "needs_confirmed"
    upload = owner.post(
        f"/opportunities/{opportunity.pk}/evidence/",
        {"requirement": "requirements_doc", "file": SimpleUploadedFile("需求.pdf", PDF)},
        follow=True,
    )
    assert "证据已上传" in upload.content.decode()
    moved = _advance_json(owner, opportunity, "proposal_quote")
    assert moved.status_code == 200 and moved.json()["ok"] is True
    assert "方案报价" in moved.json()["message"]
    assert 'data-stage="proposal_quote"' in moved.json()["card"]
    # Backward needs a reason.
    back = _advance_json(owner, opportunity, "needs_confirmed")
    assert back.status_code == 422 and "原因" in back.json()["message"]
    assert _advance_json(owner, opportunity, "needs_confirmed", "客户需求变更").status_code == 200


def test_advance_form_on_the_page_shows_the_refusal(trio: Trio) -> None:
    opportunity = _opportunity(trio.owner, stage="needs_confirmed")
    page = _client(trio.owner).post(
        f"/opportunities/{opportunity.pk}/advance/", {"to_stage": "proposal_quote"}, follow=True
    )
    assert "缺少证据：客户需求说明书 — 上传后即可推进" in page.content.decode()


def test_opportunity_page_owner_manager_teammate_outsider(trio: Trio) -> None:
    opportunity = _opportunity(trio.owner, stage="needs_confirmed")
    page = _client(trio.owner).get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert 'data-testid="checklist"' in page and "客户需求说明书" in page
    assert 'data-testid="upload-requirements_doc"' in page and 'data-testid="advance-form"' in page
    assert "价格没有竞争力" in page  # lost reasons from the pack
    manager = _client(trio.manager).get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert 'data-testid="advance-form"' in manager and "只有负责人可以上传证据" in manager
    for stranger in (trio.teammate, trio.outsider):
        assert _client(stranger).get(f"/opportunities/{opportunity.pk}/").status_code == 404
        assert _advance_json(_client(stranger), opportunity, "proposal_quote").status_code == 404


def test_evidence_gallery_thumbnails_are_permission_checked_and_flags_read_in_chinese(trio: Trio) -> None:
    opportunity = _opportunity(trio.owner, stage="needs_confirmed")
    owner = _client(trio.owner)
    owner.post(
        f"/opportunities/{opportunity.pk}/evidence/",
        {"requirement": "requirements_doc", "file": SimpleUploadedFile("扫描.jpg", _jpeg())},
    )
    evidence = opportunity.evidence.get()
    evidence.flags = ["time_mismatch", f"reused:{evidence.pk}"]
    evidence.save()
    page = owner.get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert f'src="/evidence/{evidence.pk}/file/"' in page
    assert "拍摄时间与拜访时间不符" in page and "疑似重复使用的照片" in page
    assert 'data-testid="check-needs_confirmed-requirements_doc" data-done="1"' in page
    assert owner.get(f"/evidence/{evidence.pk}/file/").status_code == 200
    assert _client(trio.manager).get(f"/evidence/{evidence.pk}/file/").status_code == 200
    assert _client(trio.outsider).get(f"/evidence/{evidence.pk}/file/").status_code == 404


def test_close_as_lost_needs_a_reason_from_the_pack(trio: Trio) -> None:
    opportunity = _opportunity(trio.owner)
    owner = _client(trio.owner)
    refused = owner.post(f"/opportunities/{opportunity.pk}/close/", {"outcome": "lost"}, follow=True)
    assert "请选择输单原因" in refused.content.decode()
    owner.post(f"/opportunities/{opportunity.pk}/close/", {"outcome": "lost", "reason": "price"})
    assert Opportunity.objects.get(pk=opportunity.pk).status == "lost"


def _visit(trio: Trio) -> Visit:
    opportunity = _opportunity(trio.owner)
    response = _client(trio.owner).post(
        f"/opportunities/{opportunity.pk}/visits/", {"package": "hospital_visit"}, follow=True
    )
    assert 'data-testid="visit-qr"' in response.content.decode() and "<svg" in response.content.decode()
    return Visit.objects.get(opportunity=opportunity)


def test_visit_pages_owner_manager_teammate_outsider(trio: Trio) -> None:
    visit = _visit(trio)
    page = _client(trio.owner).get(f"/v/{visit.code}/").content.decode()
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    assert 'accept="application/pdf,.pdf"' in page and "跟台培训" in page and "完成拜访" in page
    manager = _client(trio.manager)
    assert manager.get(f"/v/{visit.code}/").status_code == 200
    assert manager.get(f"/visits/{visit.code}/").status_code == 200
    for stranger in (trio.teammate, trio.outsider):
        assert _client(stranger).get(f"/v/{visit.code}/").status_code == 404
        assert _client(stranger).get(f"/visits/{visit.code}/").status_code == 404
    assert Client().get(f"/v/{visit.code}/").status_code == 302  # login required


def test_complete_visit_is_refused_with_the_missing_items_until_everything_is_there(trio: Trio) -> None:
    visit = _visit(trio)
    owner = _client(trio.owner)
    refused = owner.post(
        f"/v/{visit.code}/complete/", {"next_step": "下周试用"}, follow=True
    ).content.decode()
    assert 'data-testid="visit-missing"' in refused
    assert "科室门牌照片" in refused and "试用确认书" in refused and "需求要点 ×3" in refused
    owner.post(
        f"/v/{visit.code}/evidence/",
        {"requirement": "door_plate_photo", "file": SimpleUploadedFile("门牌.jpg", _jpeg())},
    )
    owner.post(
        f"/v/{visit.code}/evidence/",
        {"requirement": "trial_confirmation", "file": SimpleUploadedFile("试用.pdf", PDF)},
    )
    too_long = owner.post(
        f"/v/{visit.code}/evidence/",
        {"requirement": "need_points", "point": ["price"], "detail_price": "这条需求说明超过了十个字的限制"},
        follow=True,
    ).content.decode()
    assert "不超过 10 个字" in too_long
    owner.post(
        f"/v/{visit.code}/evidence/",
        {
            "requirement": "need_points",
            "point": ["price", "delivery", "training"],
            "detail_price": "希望降价5%",
        },
    )
    done = owner.post(f"/v/{visit.code}/complete/", {"next_step": "下周试用"}, follow=True).content.decode()
    assert "拜访已完成" in done
    visit.refresh_from_db()
    assert visit.status == Visit.Status.COMPLETED and visit.next_step == "下周试用"


def test_a_column_shows_the_longest_waiting_cards_and_counts_them_all(trio: Trio) -> None:
    from salesflow.pipeline.views import COLUMN_LIMIT

    first = _opportunity(trio.owner, "最早的商机", stage="first_contact")
    customer = first.customer
    now = clock.now()
    Opportunity.objects.bulk_create(
        [
            Opportunity(
                customer=customer,
                title=f"批量{i}",
                pipeline="standard",
                stage="first_contact",
                stage_entered_at=now,
                owner=trio.owner,
                amount=Decimal("10.00"),
                created_at=now,
            )
            for i in range(COLUMN_LIMIT + 5)
        ]
    )
    Opportunity.objects.filter(pk=first.pk).update(stage_entered_at=now - timedelta(days=30))
    page = _client(trio.manager).get("/opportunities/?pipeline=standard").content.decode()
    assert page.count('class="card card-sm sf-card') == COLUMN_LIMIT
    assert f"data-count>{COLUMN_LIMIT + 6}<" in page
    assert "最早的商机" in page


def test_own_open_evidence_can_be_deleted_from_the_page_locked_cannot(trio: Trio) -> None:
    opportunity = _opportunity(trio.owner, "删除证据", stage="needs_confirmed")
    pdf = b"%PDF-1.4\n%%EOF\n"
    evidence = services.evidence_add(
        opportunity=opportunity, requirement="requirements_doc", data=pdf, filename="a.pdf", actor=trio.owner
    )
    owner = _client(trio.owner)
    page = owner.get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert 'data-testid="evidence-delete"' in page
    assert _client(trio.teammate).post(f"/evidence/{evidence.pk}/delete/").status_code == 404
    owner.post(f"/evidence/{evidence.pk}/delete/")
    assert not opportunity.evidence.exists()
    kept = services.evidence_add(
        opportunity=opportunity, requirement="requirements_doc", data=pdf, filename="b.pdf", actor=trio.owner
    )
    services.opportunity_advance(opportunity=opportunity, to_stage="proposal_quote", actor=trio.owner)
    refused = owner.post(f"/evidence/{kept.pk}/delete/", follow=True).content.decode()
    assert "不可删除" in refused and opportunity.evidence.filter(pk=kept.pk).exists()


def test_the_timeline_names_stages_and_pipelines(trio: Trio) -> None:
    opportunity = _opportunity(trio.owner, "时间线商机", stage="first_contact")
    page = _client(trio.owner).get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert "阶段：初步接触" in page and "销售流程：标准六阶段" in page
    assert "first_contact" not in page.split('data-testid="timeline"')[1]
