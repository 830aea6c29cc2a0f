"""Customer pages: list, pool, detail (private notes hidden), claim, release, handover, convert."""

from __future__ import annotations

import pytest
from django.test import Client

from salesflow.core.testing import Trio
from salesflow.customers import services
from salesflow.customers.models import Customer
from salesflow.leads.models import Lead

pytestmark = pytest.mark.django_db


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_pool_page_claim_and_detail(trio: Trio) -> None:
    customer = services.customer_create(
        name="温州医科大学附属医院", actor=None, industry_segment="hospital_public"
    )
    rep = _client(trio.owner)
    pool = rep.get("/customers/?pool=1").content.decode()
    assert "温州医科大学附属医院" in pool and "认领" in pool
    response = rep.post(f"/customers/{customer.pk}/claim/", follow=True)
    page = response.content.decode()
    assert 'data-testid="release-countdown"' in page
    customer.refresh_from_db()
    assert customer.owner == trio.owner


def test_search_box_finds_by_initials(trio: Trio) -> None:
    services.customer_create(name="杭州滨江医疗器械有限公司", actor=None)
    services.customer_create(name="上海骨科医院", actor=None)
    page = _client(trio.owner).get("/customers/?q=hzyl").content.decode()
    assert "杭州滨江医疗器械有限公司" in page and "上海骨科医院" not in page


def test_private_note_from_the_page_is_hidden_from_the_manager(trio: Trio) -> None:
    customer = services.customer_create(name="宁波第二医院", actor=None)
    services.customer_claim(customer=customer, actor=trio.owner)
    owner = _client(trio.owner)
    owner.post(f"/customers/{customer.pk}/notes/", {"text": "私下：主任偏好进口品牌", "private": "on"})
    owner.post(f"/customers/{customer.pk}/notes/", {"text": "公开：下周三拜访"})
    assert "私下：主任偏好进口品牌" in owner.get(f"/customers/{customer.pk}/").content.decode()
    for viewer in (trio.manager, trio.director, trio.admin):
        page = _client(viewer).get(f"/customers/{customer.pk}/").content.decode()
        assert "公开：下周三拜访" in page
        assert "主任偏好进口品牌" not in page, viewer.username
        history = _client(viewer).get(f"/records/customer/{customer.pk}/history/").content.decode()
        assert "主任偏好进口品牌" not in history


def test_detail_permissions_owner_teammate_outsider(trio: Trio) -> None:
    customer = services.customer_create(name="台州医院", actor=None)
    services.customer_claim(customer=customer, actor=trio.owner)
    assert _client(trio.owner).get(f"/customers/{customer.pk}/").status_code == 200
    assert _client(trio.manager).get(f"/customers/{customer.pk}/").status_code == 200
    assert _client(trio.teammate).get(f"/customers/{customer.pk}/").status_code == 404
    assert _client(trio.outsider).get(f"/customers/{customer.pk}/").status_code == 404


def test_release_from_the_page_needs_a_reason(trio: Trio) -> None:
    customer = services.customer_create(name="嘉兴医院", actor=None)
    services.customer_claim(customer=customer, actor=trio.owner)
    rep = _client(trio.owner)
    page = rep.post(f"/customers/{customer.pk}/release/", {"reason": ""}, follow=True).content.decode()
    assert "请填写释放原因" in page
    rep.post(f"/customers/{customer.pk}/release/", {"reason": "客户已停止采购"})
    customer.refresh_from_db()
    assert customer.owner is None


def test_handover_page_moves_customers(trio: Trio) -> None:
    customer = services.customer_create(name="湖州医院", actor=None)
    services.customer_claim(customer=customer, actor=trio.owner)
    page = (
        _client(trio.manager)
        .post(f"/settings/users/{trio.owner.pk}/handover/", {"to": str(trio.teammate.pk)}, follow=True)
        .content.decode()
    )
    assert 'data-testid="handover-result"' in page
    assert Customer.objects.get(pk=customer.pk).owner == trio.teammate


def test_handover_page_shows_a_reps_book_only_to_who_may_hand_it_over(trio: Trio) -> None:
    customer = services.customer_create(name="嘉兴医院", actor=None)
    services.customer_claim(customer=customer, actor=trio.owner)
    url = f"/settings/users/{trio.owner.pk}/handover/"
    for user in (trio.owner, trio.teammate, trio.outsider, trio.other_manager):
        page = _client(user).get(url)
        assert page.status_code == 403
        assert "进行中的商机" not in page.content.decode()
    for user in (trio.manager, trio.director, trio.admin):
        assert _client(user).get(url).status_code == 200


def test_convert_from_the_lead_page(trio: Trio) -> None:
    from salesflow.core import clock
    from salesflow.leads import services as lead_services

    lead = Lead.objects.create(
        name="王芳",
        company="丽水市人民医院",
        phone="13800001111",
        owner=trio.owner,
        status="assigned",
        created_at=clock.now(),
    )
    lead_services.workload_move(from_id=None, to_id=trio.owner.pk)
    response = _client(trio.owner).post(f"/leads/{lead.pk}/convert/", {"amount": "120000"}, follow=True)
    page = response.content.decode()
    assert "丽水市人民医院" in page and "王芳" in page  # the customer page with the new contact
    lead.refresh_from_db()
    assert lead.status == "converted" and lead.customer is not None
    again = _client(trio.owner).post(f"/leads/{lead.pk}/convert/", follow=True).content.decode()
    assert "线索已转化" in again


def test_create_customer_and_opportunity_from_the_pages(trio: Trio) -> None:
    rep = _client(trio.owner)
    bad = rep.post("/customers/new/", {"name": ""}, follow=True).content.decode()
    assert "必填" in bad and not Customer.objects.exists()
    page = rep.post("/customers/new/", {"name": "衢州人民医院", "customer_tier": "tier2a"}, follow=True)
    customer = Customer.objects.get(name="衢州人民医院")
    assert customer.owner == trio.owner and customer.customer_tier == "tier2a"
    assert "衢州人民医院" in page.content.decode()
    created = rep.post(
        f"/customers/{customer.pk}/opportunities/",
        {"title": "脊柱耗材", "amount": "88000", "product_lines": "spine"},
        follow=True,
    ).content.decode()
    assert "脊柱耗材" in created and "¥88,000.00" in created
    assert customer.opportunities.get().pipeline == "standard"


def test_today_lists_my_customers_closest_to_release(trio: Trio) -> None:
    soon = services.customer_create(name="丽水中心医院", actor=None)
    later = services.customer_create(name="舟山医院", actor=None)
    from datetime import timedelta

    from salesflow.core import clock

    services.customer_claim(customer=soon, actor=trio.owner, now=clock.now() - timedelta(days=3))
    services.customer_claim(customer=later, actor=trio.owner)
    page = _client(trio.owner).get("/today/").content.decode()
    assert 'data-testid="today-customers"' in page
    assert page.index("丽水中心医院") < page.index("舟山医院")  # the sooner release first
    assert 'data-testid="today-customers"' not in _client(trio.teammate).get("/today/").content.decode()
