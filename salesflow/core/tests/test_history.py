from __future__ import annotations

from salesflow.core import history
from salesflow.core.testing import Trio, api_client_for
from salesflow.org import services


def test_field_history_records_actor_old_and_new(trio: Trio) -> None:
    services.user_update(user=trio.owner, actor=trio.manager, seniority=3, manager=trio.other_manager)
    changes = [c for c in history.field_changes(trio.owner) if c.old is not None]
    by_field = {c.field: c for c in changes}
    assert by_field["seniority"].old == 1 and by_field["seniority"].new == 3
    assert by_field["manager"].old == "mgr" and by_field["manager"].new == "mgr2"
    assert by_field["seniority"].actor_id == trio.manager.pk


def test_history_never_shows_password(trio: Trio) -> None:
    assert all(c.field not in {"password", "last_login"} for c in history.field_changes(trio.owner))


def test_history_api_rows_and_permission_trio(trio: Trio) -> None:
    services.user_update(user=trio.owner, actor=trio.manager, max_open_workload=45)
    url = f"/api/v1/history/user/{trio.owner.pk}"

    own = api_client_for(trio.owner).get(url)
    assert own.status_code == 200
    rows = own.json()
    change = next(r for r in rows if r["field"] == "max_open_workload" and r["old"] is not None)
    assert change == {
        "at": change["at"],
        "actor": trio.manager.pk,
        "actor_name": "mgr",
        "field": "max_open_workload",
        "label": "最大在手量",
        "old": 30,
        "new": 45,
    }
    assert change["at"].endswith(("Z", "+00:00"))

    assert api_client_for(trio.manager).get(url).status_code == 200
    assert api_client_for(trio.director).get(url).status_code == 200
    assert api_client_for(trio.admin).get(url).status_code == 200
    assert api_client_for(trio.teammate).get(url).status_code == 404
    assert api_client_for(trio.outsider).get(url).status_code == 404
    assert api_client_for(trio.other_manager).get(url).status_code == 404


def test_history_of_unknown_type_is_404(trio: Trio) -> None:
    response = api_client_for(trio.owner).get("/api/v1/history/nonsense/1")
    assert response.status_code == 404
    assert "nonsense" in response.json()["detail"]


def test_history_and_timeline_tabs_render_for_the_record(trio: Trio, client) -> None:
    services.user_update(user=trio.owner, actor=trio.manager, phone="13800001111")
    client.force_login(trio.manager)
    page = client.get(f"/records/user/{trio.owner.pk}/history/")
    assert page.status_code == 200
    assert "13800001111" in page.content.decode()
    timeline = client.get(f"/records/user/{trio.owner.pk}/timeline/")
    assert "修改资料" in timeline.content.decode()
    client.force_login(trio.outsider)
    assert client.get(f"/records/user/{trio.owner.pk}/history/").status_code == 404
    assert client.get(f"/records/user/{trio.owner.pk}/timeline/").status_code == 404
