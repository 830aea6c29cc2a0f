"""Codes read as labels: payload summaries, history rows, score factors, need points, firings."""

from __future__ import annotations

from django.test import Client

from salesflow.core import clock, history
from salesflow.core.templatetags.salesflow import coded, payload_summary, shown
from salesflow.core.testing import Trio
from salesflow.leads.apps import score_factor_label
from salesflow.pipeline.apps import need_points_text
from salesflow.rules.models import RuleFiring
from salesflow.rules.selectors import firing_rows


def test_payload_keys_and_codes_are_named_by_their_apps(db: None) -> None:
    summary = payload_summary(
        {"owner": 3, "strategy": "weighted", "score": 0.85, "parts": {"tier_fit": 1.0, "mystery": 2}}
    )
    assert summary == "分配方式：加权匹配 · 评分：0.85 · 匹配度：客户等级匹配: 1.0"
    assert payload_summary({"kind": "call", "duration_seconds": 180, "effective": True}) == (
        "类型：电话 · 时长：3 分钟 · 有效接触：是"
    )
    assert payload_summary({"dictionary": "customer_class", "value": "c"}) == "客户分级：C 类客户"
    assert (
        payload_summary({"requirement": "door_plate_photo", "kind": "photo"})
        == "证据项：科室门牌照片 · 类型：照片"
    )
    assert payload_summary({"amount": "480000.00", "via": "create"}) == "金额：¥480,000.00 · 方式：新建时认领"
    assert payload_summary({"outcome": "lost", "reason": "competitor"}) == "结果：输单 · 原因：竞品关系更强"
    # Free text stays as typed; a key no app named is left out rather than shown raw.
    assert payload_summary({"reason": "客户预算取消", "reason_code": "manual", "secret_key": "x"}) == (
        "原因：客户预算取消"
    )
    assert coded("wechat", "source") == "微信" and coded("某展会", "source") == "某展会"


def test_score_factors_and_need_points_read_from_the_pack(db: None) -> None:
    assert score_factor_label("customer_tier = tier2a") == "客户等级：二甲"
    assert score_factor_label("customer_tier=tier3a") == "客户等级：三甲"
    assert score_factor_label("behaviour: pricing_view") == "行为：查看价格页"
    assert score_factor_label("combination: 竞品对比 ×3") == "行为组合：竞品对比 ×3"
    assert score_factor_label("budget_given") == "填写了预算"
    assert need_points_text("consignment:科室库存\nprice", "need_points") == "寄售备货：科室库存\n价格敏感"


def test_history_names_fields_and_dictionary_values(trio: Trio) -> None:
    from salesflow.customers import services as customers

    customer = customers.customer_create(
        name="海口第二中医院", actor=trio.owner, industry_segment="hospital_public", customer_tier="tier2a"
    )
    rows = {c.label: c for c in history.field_changes(customer)}
    assert rows["行业细分"].new == "公立医院" and rows["客户等级"].new == "二甲"
    assert "created at" not in rows and "创建时间" in rows
    assert shown(["关节类", "脊柱类"]) == "关节类、脊柱类"


def test_firings_name_the_record_and_the_people(trio: Trio, client: Client) -> None:
    RuleFiring.objects.create(
        pack_version=1,
        rule_code="sla:lead_first_contact/首次联系超时",
        trigger="timer:lead_first_contact/首次联系超时",
        subject_type=trio.owner._meta.label_lower,
        subject_id=trio.owner.pk,
        fired_at=clock.now(),
        outcome="acted",
        detail={"notes": ["notified owner, mgr", "froze quoting", "set customer_class=a"]},
    )
    trio.owner.display_name = "李倩"
    trio.owner.save(update_fields=["display_name"])
    (row,) = firing_rows(list(RuleFiring.objects.all()))
    assert row["rule"] == "首次联系时限 · 首次联系超时"
    assert row["record"] == "用户 李倩" and row["outcome"] == "已执行"
    assert row["notes"] == ["通知 李倩、mgr", "冻结报价", "设为客户分级：A 类客户"]
    client.force_login(trio.admin)
    page = client.get("/settings/rules/").content.decode()
    assert "通知 李倩、mgr" in page and "org.user:" not in page and "notified" not in page
