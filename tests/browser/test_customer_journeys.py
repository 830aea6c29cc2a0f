"""客户 journeys: claim from the pool, private and shared notes, pinyin search, 转化, 离职交接."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from salesflow.core.testing import TEST_PASSWORD, make_user
from salesflow.customers import services as customers
from salesflow.customers.models import Contact, Customer, CustomerNote
from salesflow.leads import services as leads
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.pipeline.models import Opportunity
from tests.browser.conftest import SCREENSHOTS, Shot, log_in, rendered_fonts

pytestmark = pytest.mark.browser

CJK_FONTS = {"Noto Sans CJK SC", "Noto Sans CJK", "PingFang SC", "Microsoft YaHei"}
PRIVATE_NOTE = "私下：设备科主任偏好进口品牌"
SHARED_NOTE = "公开：下周三上午拜访骨科主任"
PHONE_BOTTOM = "test_rep_claims_from_the_pool_and_writes_private_and_shared_notes-phone-bottom"


def _new_rep(username: str, manager: User) -> User:
    """A rep without demo history in `manager`'s team (password TEST_PASSWORD)."""
    return make_user(username, Role.REP, manager.team, manager, display_name=f"{username}（测试）")


def _no_horizontal_overflow(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"page is {width}px wide in a {viewport}px viewport"


def test_rep_claims_from_the_pool_and_writes_private_and_shared_notes(
    page: Page, phone_page: Page, shot: Shot
) -> None:
    manager = User.objects.get(username="manager1")
    rep = _new_rep("h4rep", manager)
    customer = customers.customer_create(
        name="嘉兴南湖骨科医院", actor=None, industry_segment="hospital_private", customer_tier="private"
    )

    log_in(page, rep.username, TEST_PASSWORD)
    page.goto("/customers/?pool=1")
    expect(page.locator("h2.page-title")).to_have_text("客户池")
    row = page.locator("[data-testid=customer-table] tbody tr", has_text="嘉兴南湖骨科医院")
    expect(row).to_contain_text("客户池")
    shot(page, "pool")
    row.get_by_role("button", name="认领").click()

    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    expect(page.locator(".alert-success")).to_contain_text("已认领")
    expect(page.locator("[data-testid=customer-name]")).to_have_text("嘉兴南湖骨科医院")
    expect(page.locator("[data-testid=owner]")).to_contain_text(str(rep))
    countdown = page.locator("[data-testid=release-countdown]")
    expect(countdown).to_contain_text("自动释放")
    expect(countdown.locator("[data-countdown]")).to_contain_text("还剩")
    expect(page.locator("#claim")).to_have_count(0)
    # No orders or interactions yet: the health score is not computed, so grey, not a red 0.
    expect(page.locator("[data-testid=health]")).to_have_text("健康度 —")
    expect(page.locator("[data-testid=health]")).to_have_class(re.compile(r"bg-secondary-lt"))
    assert rendered_fonts(page, "[data-testid=release-countdown]") & CJK_FONTS
    customer.refresh_from_db()
    assert customer.owner == rep
    shot(page, "claimed")

    page.fill("#note-text", PRIVATE_NOTE)
    page.check("#note-private")
    page.click("#save-note")
    expect(page.locator(".alert-success")).to_contain_text("备注已保存")
    page.fill("#note-text", SHARED_NOTE)
    expect(page.locator("#note-private")).not_to_be_checked()
    page.click("#save-note")
    expect(page.locator(".alert-success")).to_contain_text("备注已保存")
    notes = page.locator("[data-testid=notes]")
    private_item = notes.locator(".list-group-item", has_text=PRIVATE_NOTE)
    expect(private_item).to_contain_text("仅自己可见")
    expect(notes.locator(".list-group-item", has_text=SHARED_NOTE)).not_to_contain_text("仅自己可见")
    shot(page, "notes")
    page.click("a[href='#tab-timeline']")
    timeline = page.locator("#tab-timeline")
    expect(timeline).to_contain_text("认领")
    expect(timeline.get_by_text("添加备注", exact=True)).to_have_count(1)  # the shared note only
    saved = {n.text: n.private for n in CustomerNote.objects.filter(customer=customer)}
    assert saved == {PRIVATE_NOTE: True, SHARED_NOTE: False}

    # The rep's own page on a phone: the header badges wrap, nothing runs off the side.
    log_in(phone_page, rep.username, TEST_PASSWORD)
    phone_page.goto(f"/customers/{customer.pk}/")
    expect(phone_page.locator("[data-testid=release-countdown]")).to_be_visible()
    expect(phone_page.locator("nav.sf-tabbar")).to_be_visible()
    _no_horizontal_overflow(phone_page)
    shot(phone_page, "phone")
    # Scrolled to the end, the last button sits above the bottom tab bar, not under it.
    release = phone_page.locator("#release")
    release.scroll_into_view_if_needed()
    phone_page.mouse.wheel(0, 10_000)
    phone_page.wait_for_function("window.scrollY + window.innerHeight >= document.body.scrollHeight - 2")
    button, tabbar = release.bounding_box(), phone_page.locator("nav.sf-tabbar").bounding_box()
    assert button and tabbar and button["y"] + button["height"] <= tabbar["y"], (button, tabbar)
    phone_page.screenshot(path=str(SCREENSHOTS / f"{PHONE_BOTTOM}.png"))

    # The manager sees the shared note, never the private one.
    page.context.clear_cookies()
    log_in(page, manager.username)
    page.goto(f"/customers/{customer.pk}/")
    expect(page.locator("[data-testid=customer-name]")).to_have_text("嘉兴南湖骨科医院")
    notes = page.locator("[data-testid=notes]")
    expect(notes).to_contain_text(SHARED_NOTE)
    expect(notes).not_to_contain_text("设备科主任偏好进口品牌")
    expect(page.locator("body")).not_to_contain_text("设备科主任偏好进口品牌")
    expect(notes).not_to_contain_text("仅自己可见")
    page.click("a[href='#tab-timeline']")
    expect(page.locator("#tab-timeline").get_by_text("添加备注", exact=True)).to_have_count(1)
    shot(page, "manager")


def test_top_bar_search_finds_a_customer_by_pinyin_initials(page: Page, shot: Shot) -> None:
    customers.customer_create(name="杭州滨江医疗器械有限公司", actor=None, industry_segment="distributor")
    customers.customer_create(name="上海浦东骨科门诊部", actor=None)

    log_in(page, "manager1")
    search = page.locator("header form[role=search] input[name=q]")
    expect(search).to_be_visible()
    search.fill("hzyl")
    search.press("Enter")

    # The top bar searches every kind (/search/); customers are found by initials there too.
    expect(page).to_have_url(re.compile(r"/search/\?q=hzyl$"))
    expect(page.locator("#page-search")).to_have_value("hzyl")
    table = page.locator("[data-testid=search-results] [data-group=customer]")
    expect(table.get_by_role("link", name=re.compile("杭州滨江医疗器械有限公司"))).to_be_visible()
    expect(table).not_to_contain_text("上海浦东骨科门诊部")
    shot(page)


def test_rep_converts_a_lead_into_a_customer_with_its_contact(page: Page, shot: Shot) -> None:
    manager = User.objects.get(username="manager1")
    rep = _new_rep("h4convert", manager)
    admin = User.objects.get(username="admin")
    form = leads.form_create(name="官网留言（转化）", actor=admin, default_source="website")
    lead, merged = leads.intake_submit(
        form=form,
        data={
            "name": "钱主任",
            "phone": "+86 139-0573-4404",
            "company": "湖州吴兴骨伤专科医院",
            "industry_segment": "hospital_private",
            "customer_tier": "private",
            "product_line": "trauma",
            "budget": "380000",
            "buying_stage": "budget_approved",
        },
        client="127.0.0.9",
    )
    assert lead is not None and not merged
    leads.lead_reassign(lead=lead, to=rep, reason="区域对口", actor=admin)

    log_in(page, rep.username, TEST_PASSWORD)
    page.goto(f"/leads/{lead.pk}/")
    convert = page.locator("#convert")
    expect(convert).to_contain_text("转化为客户与商机")
    convert.locator("input[name=opportunity_title]").fill("湖州吴兴骨伤 — 创伤钢板年度采购")
    convert.locator("input[name=amount]").fill("420000")
    shot(page, "lead")
    page.click("#convert-button")

    customer = Customer.objects.get(name="湖州吴兴骨伤专科医院")
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    expect(page.locator(".alert-success")).to_contain_text("已转化为客户「湖州吴兴骨伤专科医院」")
    expect(page.locator("[data-testid=customer-name]")).to_have_text("湖州吴兴骨伤专科医院")
    expect(page.locator("[data-testid=owner]")).to_contain_text(str(rep))
    contacts = page.locator("[data-testid=contacts]")
    expect(contacts).to_contain_text("钱主任")
    expect(contacts.locator("a[href^='tel:']")).to_have_text("+86 139-0573-4404")
    page.click("a[href='#tab-opportunities']")
    expect(page.locator("#tab-opportunities")).to_contain_text("湖州吴兴骨伤 — 创伤钢板年度采购")
    shot(page, "customer")
    assert customer.owner == rep
    assert list(Contact.objects.filter(customer=customer).values_list("name", flat=True)) == ["钱主任"]
    opportunity = Opportunity.objects.get(customer=customer)
    assert (opportunity.owner, str(opportunity.amount)) == (rep, "420000.00")

    page.goto(f"/leads/{lead.pk}/")
    link = page.locator("[data-testid=converted-customer]")
    expect(link).to_have_text("湖州吴兴骨伤专科医院")
    expect(page.locator("#convert")).to_have_count(0)
    shot(page, "lead-converted")
    link.click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    lead.refresh_from_db()
    assert (lead.status, lead.customer_id) == ("converted", customer.pk)


def test_manager_hands_a_leaving_reps_customers_to_a_colleague(page: Page, shot: Shot) -> None:
    manager = User.objects.get(username="manager1")
    leaving = _new_rep("h4leaving", manager)
    colleague = _new_rep("h4colleague", manager)
    moved = [
        customers.customer_create(name=name, actor=None, owner=leaving)
        for name in ("丽水市莲都骨科医院", "衢州柯城康复医院")
    ]
    untouched = customers.customer_create(name="金华婺城运动医学诊所", actor=None, owner=colleague)
    admin = User.objects.get(username="admin")
    form = leads.form_create(name="官网留言（交接）", actor=admin, default_source="website")
    lead, _merged = leads.intake_submit(
        form=form,
        data={
            "name": "孙科长",
            "phone": "+86 138-0578-2211",
            "company": "龙泉市中医院",
            "industry_segment": "hospital_public",
            "customer_tier": "tier2a",
            "product_line": "joint",
        },
        client="127.0.0.10",
    )
    assert lead is not None
    leads.lead_reassign(lead=lead, to=leaving, reason="区域对口", actor=admin)

    log_in(page, manager.username)
    page.goto(f"/settings/users/{leaving.pk}/handover/")
    expect(page.locator("h2.page-title")).to_contain_text(f"离职交接 · {leaving}")
    expect(page.locator(".card-body p").first).to_contain_text("2 个客户、1 条进行中的线索、0 个进行中的商机")
    # Nothing is preselected: a manager who forgets to choose does not empty the rep into the pool.
    expect(page.locator("#handover-to")).to_have_value("")
    page.select_option("#handover-to", str(colleague.pk))
    shot(page, "before")
    page.get_by_role("button", name="确认交接").click()

    result = page.locator("[data-testid=handover-result]")
    expect(result).to_have_text("已转交 2 个客户、1 条线索、0 个商机。")
    expect(page.locator(".alert-success", has_text="交接完成")).to_be_visible()
    expect(page.locator(".card-body p").first).to_contain_text("0 个客户")
    shot(page, "done")
    owners = dict(Customer.objects.filter(pk__in=[c.pk for c in moved]).values_list("name", "owner"))
    assert owners == {"丽水市莲都骨科医院": colleague.pk, "衢州柯城康复医院": colleague.pk}
    untouched.refresh_from_db()
    lead.refresh_from_db()
    assert untouched.owner == colleague and lead.owner == colleague

    # The colleague finds the handed-over customers under 只看我的.
    page.context.clear_cookies()
    log_in(page, colleague.username, TEST_PASSWORD)
    page.goto("/customers/?owner=me")
    table = page.locator("[data-testid=customer-table]")
    for name in ("丽水市莲都骨科医院", "衢州柯城康复医院", "金华婺城运动医学诊所"):
        expect(table).to_contain_text(name)
    shot(page, "colleague")
