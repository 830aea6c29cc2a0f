"""设置 → 产品与价格 on the demo company: finance creates a product (a field error first), puts it on
the 三甲 price list, and a rep on a phone finds the price one of their hospitals gets."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, log_in

pytestmark = pytest.mark.browser

NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


def test_finance_creates_a_product_and_a_rep_sees_its_price_for_a_customer(
    page: Page, phone_page: Page, shot: Shot
) -> None:
    from salesflow.customers.models import Customer

    log_in(page, "finance1")
    page.goto("/settings/")
    page.locator("[data-testid=settings-tabs] [data-tab=catalog]").click()
    expect(page).to_have_url(re.compile(r"/settings/products/$"))
    expect(page.locator("[data-testid=product-row]").first).to_be_visible()
    shot(page, "list")
    page.locator("[data-testid=product-new]").click()
    page.fill("#p-sku", "jt-knee ps5")
    page.fill("#p-name", "后稳定型膝关节假体 5 号")
    page.select_option("#p-line", label="关节类")
    page.fill("#p-unit", "套")
    page.fill("#p-price", "四万")
    page.fill("#p-cost", "19800")
    page.locator("[data-testid=product-save]").click()
    expect(page.locator("[data-error-for=list_price]")).to_contain_text("金额不正确")
    expect(page.locator("#p-name")).to_have_value("后稳定型膝关节假体 5 号")
    shot(page, "error")
    page.fill("#p-price", "43800")
    page.locator("[data-testid=product-save]").click()
    expect(page).to_have_url(re.compile(r"/settings/products/\d+/$"))
    expect(page.locator("#p-sku")).to_have_value("JT-KNEEPS5")
    product_url = page.url

    page.goto("/settings/price-lists/")
    page.locator("[data-testid=price-list-row]", has_text="三甲医院协议价").click()
    page.fill("[data-testid=price-set] input[name=sku]", "JT-KNEEPS5")
    page.fill("[data-testid=price-set] input[name=price]", "39800")
    page.locator("[data-testid=price-set] button").click()
    expect(page.locator("[data-testid=price-item]", has_text="JT-KNEEPS5")).to_contain_text("¥39,800.00")
    shot(page, "price-list")

    customer = Customer.objects.filter(owner__username="rep1").order_by("id").first()
    assert customer is not None
    Customer.objects.filter(pk=customer.pk).update(customer_tier="tier3a")
    log_in(phone_page, "rep1")
    phone_page.goto(product_url)
    expect(phone_page.locator("[data-testid=product-readonly]")).to_contain_text("¥43,800.00")
    expect(phone_page.locator("[data-testid=product-readonly]")).not_to_contain_text("19,800")
    phone_page.fill("[data-testid=price-check-q]", customer.name)
    phone_page.locator("[data-testid=price-check] button").click()
    row = phone_page.locator("[data-testid=price-check-row]", has_text=customer.name)
    expect(row.locator("[data-testid=price-check-price]")).to_have_text("¥39,800.00")
    expect(row).to_contain_text("三甲医院协议价")
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "phone-price")
    phone_page.goto("/settings/products/")
    expect(phone_page.locator("[data-testid=product-card]").first).to_be_visible()
    assert phone_page.evaluate(NO_OVERFLOW)
    shot(phone_page, "phone-list")
