from __future__ import annotations

from django.test import Client

from salesflow.core.testing import Trio


def test_today_shows_navigation_and_empty_states(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    html = client.get("/today/").content.decode()
    for label in ["今日", "线索", "客户", "商机", "设置"]:
        assert f'<span class="nav-link-title">{label}</span>' in html
    # Modules that do not exist yet are not in the navigation; 工单 opens 我的工单.
    assert "/m/workorders/" not in html and "/m/dashboards/" not in html
    assert 'data-nav="workorders"' in html and 'href="/workorders/"' in html
    assert "暂无待办" in html and "暂无通知" in html


def test_english_through_language_switch(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/today/"})
    assert response.status_code == 302
    html = client.get("/today/").content.decode()
    assert '<html lang="en">' in html
    assert "Today" in html and "Leads" in html and "No to-dos" in html


def test_module_pages_say_what_comes(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    assert "尚未开放" in client.get("/m/dashboards/").content.decode()
    # The old 工单 placeholder opens 我的工单 now.
    response = client.get("/m/workorders/")
    assert response.status_code == 302 and response["Location"] == "/workorders/"
    assert client.get("/m/nonsense/").status_code == 404


def test_settings_lists_org_and_links_only_openable_people(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    html = client.get("/settings/").content.decode()
    assert "上海一组" in html and "杭州组" in html
    assert f"/settings/users/{trio.owner.pk}/" in html
    assert f"/settings/users/{trio.teammate.pk}/" not in html
    assert client.get(f"/settings/users/{trio.owner.pk}/").status_code == 200
    assert client.get(f"/settings/users/{trio.teammate.pk}/").status_code == 404
    client.force_login(trio.manager)
    assert client.get(f"/settings/users/{trio.owner.pk}/").status_code == 200


def test_main_pages_query_count_is_bounded(trio: Trio, client: Client, django_assert_max_num_queries) -> None:
    client.force_login(trio.admin)
    with django_assert_max_num_queries(12):
        client.get("/settings/")
    with django_assert_max_num_queries(8):
        client.get("/today/")


def test_openapi_docs_are_served(db: None, client: Client) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/auth/token" in spec["paths"] and "/api/v1/me" in spec["paths"]
    assert client.get("/api/docs").status_code == 200


def test_chinese_even_when_the_browser_asks_for_english(trio: Trio, client: Client) -> None:
    client.force_login(trio.owner)
    html = client.get("/today/", headers={"Accept-Language": "en-US,en;q=0.9"}).content.decode()
    assert '<html lang="zh-hans">' in html and "今日待办" in html
