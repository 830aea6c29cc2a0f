"""Rule versions compared in business language; the YAML diff is kept behind 高级."""

from __future__ import annotations

import copy
import re

from django.test import Client

from salesflow.core.testing import Trio
from salesflow.rules import packs, selectors, services
from salesflow.rules.compare import compare


def _default() -> dict:
    return packs.to_document(packs.load_default())


def test_compare_names_durations_rules_lights_settings_and_dictionaries() -> None:
    old = _default()
    new = copy.deepcopy(old)
    policy = next(p for p in new["sla_policies"] if p["code"] == "lead_first_contact")
    policy["steps"][0]["after"] = "20m"
    rule = next(r for r in new["rules"] if r["code"] == "quote_health_warning")
    rule["condition"]["value"] = 70
    rule["enabled"] = False
    new["lights"]["lead_red_without_follow_up"] = "36h"
    limit = old["settings"]["customer_claim_limit"]
    new["settings"]["customer_claim_limit"] = limit + 5
    new["tag_dictionaries"].append({"code": "hospital_grade", "name": "医院等级", "choices": []})
    tier = next(d for d in new["tag_dictionaries"] if d["code"] == "customer_tier")
    tier["choices"] = [c for c in tier["choices"] if c["code"] != "private"]

    lines = [str(c) for c in compare(old, new)]

    assert "首次联系时限 · 首次联系超时 15 分钟 → 20 分钟" in lines
    assert "停用规则「报价健康度低于 75 红色预警」" in lines
    assert "「报价健康度低于 75 红色预警」条件阈值 75 → 70" in lines
    assert "线索无跟进红灯 48 小时 → 36 小时" in lines
    assert f"每人可认领客户上限 {limit} → {limit + 5}" in lines
    assert "新增字典「医院等级」" in lines
    assert "「客户等级」删除选项：民营" in lines
    assert len(lines) == 7, lines
    # Business language only: no codes or YAML keys leak into what a manager reads.
    joined = "\n".join(lines)
    assert not re.search(r"[a-z]+_[a-z_]+", joined), joined


def test_compare_of_equal_packs_is_empty_and_unknown_sections_are_named() -> None:
    old = _default()
    assert compare(old, copy.deepcopy(old)) == []
    new = copy.deepcopy(old)
    new["commission_plans"] = []
    assert [str(c) for c in compare(old, new)] == ["提成方案已修改（详见高级）"]


def test_versions_page_reads_in_business_language_with_yaml_behind_advanced(
    trio: Trio, client: Client
) -> None:
    services.pack_import(text=packs.to_yaml(_default()), actor=trio.admin, note="出厂规则")
    client.force_login(trio.admin)
    policy = selectors.active_pack()[1].policy("lead_first_contact")
    assert policy is not None
    form = {"enabled": "on", "s0-after": "20m", "s0-recipients": ["owner", "owner_manager"]}
    response = client.post("/settings/rules/policies/lead_first_contact/", form)
    assert response.status_code == 302

    listing = client.get("/settings/rules/versions/").content.decode()
    assert "首次联系时限 · 首次联系超时 15 分钟 → 20 分钟" in listing
    assert f"· {trio.admin} ·" in listing
    assert "lead_first_contact" not in listing and "after:" not in listing

    number = selectors.active_pack()[0]
    detail = client.get(f"/settings/rules/versions/{number}/").content.decode()
    changes = detail.index('data-testid="changes"')
    advanced = detail.index('<details class="card sf-advanced"')
    assert changes < advanced < detail.index('data-testid="diff"')
    assert "首次联系时限 · 首次联系超时 15 分钟 → 20 分钟" in detail[changes:advanced]
    assert "after: 15m" in detail[advanced:] and "after: 20m" in detail[advanced:]
