"""A duration a person mistypes is named with its field and the forms a duration takes."""

from __future__ import annotations

from django.conf import settings
from django.test import Client

from salesflow.core.testing import Trio, api_client_for
from salesflow.rules import selectors

HINT = "请填写如 15m、48h、5wd"


def test_policy_form_names_the_step_and_the_forms(trio: Trio, client: Client) -> None:
    client.force_login(trio.admin)
    before = selectors.active_pack()[0]
    form = {"enabled": "on", "s0-after": "15分钟", "s0-recipients": ["owner"]}
    response = client.post("/settings/rules/policies/lead_first_contact/", form)
    html = response.content.decode()
    assert response.status_code == 422
    assert f"第 1 级「首次联系超时」· 开始后：“15分钟” 不是时长：{HINT}" in html
    # The message also sits under the step's own input, which is marked invalid.
    assert 'class="form-control is-invalid" id="s0-after"' in html
    assert f'data-testid="step-error">“15分钟” 不是时长：{HINT}<' in html
    assert "steps[0]" not in html
    assert selectors.active_pack()[0] == before


def _rule_with_age(value: str) -> dict:
    return {
        "code": "veterans",
        "name": "老员工",
        "trigger": "user.leave_added",
        "subject": "user",
        "condition": {"field": "date_joined", "op": "older_than", "value": value},
        "actions": [{"type": "notify", "params": {"to": ["owner"], "title": "老员工休假"}}],
        "enabled": False,
    }


def test_rule_api_and_form_name_the_field_in_chinese_and_english(trio: Trio, client: Client) -> None:
    api = api_client_for(trio.manager)
    response = api.put("/api/v1/rules/rules/veterans", _rule_with_age("3x"), content_type="application/json")
    assert response.status_code == 422
    errors = {e["loc"][1]: e["msg"] for e in response.json()["detail"]}
    assert HINT in errors["condition.value"]
    # Someone who chose English (the language switch's cookie) reads it in English.
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = api.put("/api/v1/rules/rules/veterans", _rule_with_age("3x"), content_type="application/json")
    assert english.status_code == 422
    message = {e["loc"][1]: e["msg"] for e in english.json()["detail"]}["condition.value"]
    assert "use e.g. 15m, 48h, 5wd" in message and "“3x”" in message

    client.force_login(trio.manager)
    form = {
        "code": "veterans",
        "name": "老员工",
        "subject": "user",
        "trigger": "user.leave_added",
        "condition_rows": "1",
        "c0-field": "date_joined",
        "c0-op": "older_than",
        "c0-value": "3x",
        "action_rows": "1",
        "a0-type": "notify",
        "a0-to": ["owner"],
        "a0-title": "老员工休假",
    }
    page = client.post("/settings/rules/new/", form).content.decode()
    assert f"条件：“3x” 不是时长：{HINT}" in page
