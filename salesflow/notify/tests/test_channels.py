"""Channels through the API and 设置 → 通知渠道: who sees, who may change, field errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from salesflow.core.models import Event
from salesflow.core.testing import Trio, api_client_for
from salesflow.notify import services
from salesflow.notify.models import Channel, Delivery

ROBOT = "http://127.0.0.1:9/cgi-bin/webhook/send?key=secret-robot-key"


def _json(client: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    call = getattr(client, method)
    return call(path, body or {}, content_type="application/json")


@pytest.fixture
def personal(trio: Trio) -> Channel:
    return services.channel_create(
        actor=trio.owner, kind="wecom", name="我的群", target=ROBOT, user=trio.owner
    )


@pytest.fixture
def team_robot(trio: Trio) -> Channel:
    return services.channel_create(
        actor=trio.admin, kind="dingtalk", name="上海一组群", target=ROBOT, secret="SECx", team=trio.team
    )


def test_who_sees_which_channel_and_robot_urls_stay_with_those_who_manage_them(
    trio: Trio, personal: Channel, team_robot: Channel
) -> None:
    def listed(user: Any) -> dict[int, dict[str, Any]]:
        return {c["id"]: c for c in api_client_for(user).get("/api/v1/channels").json()["items"]}

    mine = listed(trio.owner)
    assert set(mine) == {personal.pk, team_robot.pk}
    assert mine[personal.pk]["target"] == ROBOT and mine[personal.pk]["manageable"] is True
    assert mine[team_robot.pk]["manageable"] is False
    assert mine[team_robot.pk]["target"] == "http://127.0.0.1:9/…"  # the access key is not shown
    assert mine[team_robot.pk]["has_secret"] is True and "secret" not in mine[team_robot.pk]
    assert set(listed(trio.teammate)) == {team_robot.pk}  # the teammate's team robot, not my channel
    assert set(listed(trio.outsider)) == set()
    assert set(listed(trio.manager)) == {team_robot.pk}  # personal channels are personal
    admin_view = listed(trio.admin)
    assert set(admin_view) == {personal.pk, team_robot.pk}
    assert admin_view[team_robot.pk]["target"] == ROBOT


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("teammate", 404), ("outsider", 404), ("manager", 404), ("admin", 200)],
)
def test_patch_a_personal_channel(trio: Trio, personal: Channel, who: str, expected: int) -> None:
    response = _json(
        api_client_for(getattr(trio, who)), "patch", f"/api/v1/channels/{personal.pk}", {"enabled": False}
    )
    assert response.status_code == expected
    personal.refresh_from_db()
    assert personal.enabled is (expected != 200)


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 403), ("teammate", 403), ("outsider", 404), ("manager", 403), ("admin", 200)],
)
def test_patch_a_team_channel(trio: Trio, team_robot: Channel, who: str, expected: int) -> None:
    response = _json(
        api_client_for(getattr(trio, who)), "patch", f"/api/v1/channels/{team_robot.pk}", {"name": "改名"}
    )
    assert response.status_code == expected
    team_robot.refresh_from_db()
    assert (team_robot.name == "改名") is (expected == 200)


@pytest.mark.parametrize(("who", "expected"), [("teammate", 404), ("outsider", 404), ("owner", 202)])
def test_send_test_message(trio: Trio, personal: Channel, who: str, expected: int) -> None:
    response = api_client_for(getattr(trio, who)).post(f"/api/v1/channels/{personal.pk}/test")
    assert response.status_code == expected
    assert Delivery.objects.filter(channel=personal).count() == (1 if expected == 202 else 0)
    if expected == 202:
        assert response.json()["status"] == "pending" and response.json()["notification"] is None


def test_delete_trio_and_team_channel_is_the_admins(
    trio: Trio, personal: Channel, team_robot: Channel
) -> None:
    assert api_client_for(trio.teammate).delete(f"/api/v1/channels/{personal.pk}").status_code == 404
    assert api_client_for(trio.outsider).delete(f"/api/v1/channels/{personal.pk}").status_code == 404
    assert api_client_for(trio.owner).delete(f"/api/v1/channels/{team_robot.pk}").status_code == 403
    assert api_client_for(trio.owner).post(f"/api/v1/channels/{team_robot.pk}/test").status_code == 403
    assert api_client_for(trio.owner).delete(f"/api/v1/channels/{personal.pk}").status_code == 204
    assert api_client_for(trio.admin).delete(f"/api/v1/channels/{team_robot.pk}").status_code == 204
    assert not Channel.objects.exists()
    assert Event.objects.filter(name="channel.deleted").count() == 2


def test_create_channels_for_oneself_and_for_a_team(trio: Trio) -> None:
    body = {"kind": "feishu", "name": "飞书群", "target": ROBOT, "kinds": ["sla.escalated", "lead.assigned"]}
    mine = _json(api_client_for(trio.owner), "post", "/api/v1/channels", body)
    assert mine.status_code == 201
    assert mine.json()["user"] == trio.owner.pk and mine.json()["kinds"] == ["lead.assigned", "sla.escalated"]
    team_body = {**body, "team": trio.team.pk}
    assert _json(api_client_for(trio.owner), "post", "/api/v1/channels", team_body).status_code == 403
    assert _json(api_client_for(trio.manager), "post", "/api/v1/channels", team_body).status_code == 403
    made = _json(api_client_for(trio.admin), "post", "/api/v1/channels", team_body)
    assert made.status_code == 201 and made.json()["team"] == trio.team.pk and made.json()["user"] is None
    assert Event.objects.filter(name="channel.created").count() == 2


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"kind": "webhook", "name": "", "target": "ftp://x", "secret": "short"},
            {"name", "target", "secret"},
        ),
        ({"kind": "webhook", "name": "ERP", "target": "https://erp.example.cn/hook"}, {"secret"}),
        ({"kind": "wecom", "name": "群", "target": "qyapi.weixin.qq.com/cgi-bin/webhook"}, {"target"}),
        ({"kind": "email", "name": "邮箱", "target": "not-an-address"}, {"target"}),
        ({"kind": "sms", "name": "短信", "target": "https://x.cn"}, {"kind"}),
        ({"kind": "wecom", "name": "群" * 101, "target": ROBOT}, {"name"}),
        ({"kind": "wecom", "name": "群", "target": ROBOT, "kinds": [""]}, {"kinds"}),
        ({"kind": "wecom", "name": "群", "target": ROBOT, "team": 999999}, {"team"}),
    ],
)
def test_bad_channel_input_is_422_naming_the_field(
    trio: Trio, body: dict[str, Any], fields: set[str]
) -> None:
    response = _json(api_client_for(trio.admin), "post", "/api/v1/channels", body)
    assert response.status_code == 422
    assert {e["loc"][-1] for e in response.json()["detail"]} == fields
    assert not Channel.objects.exists()


def test_bad_patch_is_422_and_changes_nothing(trio: Trio, personal: Channel) -> None:
    api = api_client_for(trio.owner)
    response = _json(api, "patch", f"/api/v1/channels/{personal.pk}", {"target": "javascript:alert(1)"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "target"]
    personal.refresh_from_db()
    assert personal.target == ROBOT


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider", "manager", "director"])
def test_the_delivery_log_is_the_ops_admins(trio: Trio, who: str) -> None:
    assert api_client_for(getattr(trio, who)).get("/api/v1/deliveries").status_code == 403


def test_delivery_log_filters_and_rejects_unknown_status(trio: Trio, personal: Channel) -> None:
    services.channel_send_test(channel=personal, actor=trio.owner)
    api = api_client_for(trio.admin)
    assert [d["status"] for d in api.get("/api/v1/deliveries").json()["items"]] == ["pending"]
    assert api.get("/api/v1/deliveries", {"status": "failed"}).json() == {"items": [], "next": None}
    bad = api.get("/api/v1/deliveries", {"status": "broken"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "status"]


# ---- 设置 → 通知渠道 -------------------------------------------------------------------------


def test_settings_page_lists_channels_and_masks_team_robots(
    trio: Trio, personal: Channel, team_robot: Channel, client: Client, django_assert_max_num_queries: Any
) -> None:
    client.force_login(trio.owner)
    with django_assert_max_num_queries(10):
        page = client.get("/settings/channels/")
    html = page.content.decode()
    assert page.status_code == 200 and "我的群" in html and "上海一组群" in html
    assert f"/settings/channels/{personal.pk}/edit/" in html
    assert f"/settings/channels/{team_robot.pk}/edit/" not in html
    team_row = html.split(f'id="channel-{team_robot.pk}"')[1].split("</tr>")[0]
    mine_row = html.split(f'id="channel-{personal.pk}"')[1].split("</tr>")[0]
    assert "secret-robot-key" in mine_row and "secret-robot-key" not in team_row  # the robot's key
    assert "http://127.0.0.1:9/…" in team_row
    assert "由运营管理员配置" in html
    client.force_login(trio.outsider)
    html = client.get("/settings/channels/").content.decode()
    assert "我的群" not in html and "上海一组群" not in html and "还没有通知渠道" in html


def test_add_form_shows_field_errors_then_creates(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    bad = client.post(
        "/settings/channels/", {"kind": "webhook", "name": "", "target": "ftp://x", "secret": ""}
    )
    html = bad.content.decode()
    assert bad.status_code == 422 and html.count("is-invalid") == 3
    assert "请填写名称" in html and "Webhook 地址不可用：请输入 https:// 开头的地址" in html and "16" in html
    assert 'value="ftp://x"' in html  # what was typed stays
    good = client.post(
        "/settings/channels/",
        {"kind": "wecom", "name": "企微群", "target": ROBOT, "kinds": ["sla.escalated"], "enabled": "1"},
    )
    assert good.status_code == 302
    channel = Channel.objects.get()
    assert (channel.user, channel.kinds, channel.enabled) == (trio.owner, ["sla.escalated"], True)


def test_ops_admin_adds_a_team_channel_from_the_page(trio: Trio, client: Client) -> None:
    client.force_login(trio.admin)
    response = client.post(
        "/settings/channels/",
        {"kind": "wecom", "name": "团队群", "target": ROBOT, "team": str(trio.team.pk), "enabled": "1"},
    )
    assert response.status_code == 302 and Channel.objects.get().team == trio.team
    client.force_login(trio.owner)  # a rep's form has no team select; a forged one is refused
    forged = client.post(
        "/settings/channels/",
        {"kind": "wecom", "name": "伪造", "target": ROBOT, "team": str(trio.team.pk), "enabled": "1"},
    )
    assert forged.status_code == 422 and Channel.objects.count() == 1


def test_edit_page_trio_keeps_or_clears_the_secret(trio: Trio, team_robot: Channel, client: Client) -> None:
    mine = services.channel_create(
        actor=trio.owner, kind="dingtalk", name="钉钉", target=ROBOT, secret="SECold", user=trio.owner
    )
    edit = f"/settings/channels/{mine.pk}/edit/"
    client.force_login(trio.teammate)
    assert client.get(edit).status_code == 404
    client.force_login(trio.owner)
    assert client.get(f"/settings/channels/{team_robot.pk}/edit/").status_code == 403
    form = client.get(edit).content.decode()
    assert "钉钉" in form and "SECold" not in form and "已设置，留空则保持不变" in form
    bad = client.post(edit, {"name": "钉钉", "target": "nope"})
    assert bad.status_code == 422 and "is-invalid" in bad.content.decode()
    assert (
        client.post(edit, {"name": "钉钉2", "target": ROBOT, "enabled": "1", "secret": ""}).status_code == 302
    )
    mine.refresh_from_db()
    assert (mine.name, mine.secret, mine.enabled) == ("钉钉2", "SECold", True)
    client.post(edit, {"name": "钉钉2", "target": ROBOT, "clear_secret": "1"})
    mine.refresh_from_db()
    assert (mine.secret, mine.enabled) == ("", False)


def test_delete_and_test_buttons(trio: Trio, personal: Channel, client: Client) -> None:
    client.force_login(trio.teammate)
    assert client.post(f"/settings/channels/{personal.pk}/test/").status_code == 404
    assert client.post(f"/settings/channels/{personal.pk}/delete/").status_code == 404
    client.force_login(trio.owner)
    assert client.post(f"/settings/channels/{personal.pk}/test/").status_code == 302
    assert Delivery.objects.filter(channel=personal, notification=None).count() == 1
    htmx = client.post(f"/settings/channels/{personal.pk}/test/", headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx["X-Toast"]
    assert client.post(f"/settings/channels/{personal.pk}/delete/").status_code == 302
    assert not Channel.objects.exists()
