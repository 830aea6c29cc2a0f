"""The ops admin's in-app allow-list: on-premise targets channels may reach besides public https."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest
from django.test import Client

from salesflow.api import api
from salesflow.core.errors import PermissionDenied
from salesflow.core.models import Event
from salesflow.core.testing import Trio, api_client_for, run_ready_tasks
from salesflow.notify import egress, services
from salesflow.notify.models import Channel, Delivery, EgressAllowance
from salesflow.notify.tests.conftest import Recorder

ON_PREMISE = "10.20.1.5"
ALLOWED = "/api/v1/channels/allowed-targets"


@pytest.fixture(autouse=True)
def no_deployment_entries(settings: Any) -> None:
    """Only the in-app list counts here (the notify conftest lets loopback through by default)."""
    settings.SALESFLOW_NOTIFY_ALLOWED_TARGETS = []


@pytest.fixture
def stand_in(http_server: Recorder, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Connections to 10.20.1.5:80 reach the loopback server instead; returns the addresses asked for.

    The egress check runs for real on 10.20.1.5; only the socket it finally opens is redirected,
    as the on-premise robot does not exist on the test machine.
    """
    asked: list[tuple[str, int]] = []
    real = socket.create_connection

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        asked.append((address[0], address[1]))
        if address == (ON_PREMISE, 80):
            return real(("127.0.0.1", http_server.server_address[1]), *args, **kwargs)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(egress.socket, "create_connection", create_connection)
    return asked


def _add(client: Client, entry: str, note: str = "") -> Any:
    return client.post(ALLOWED, {"entry": entry, "note": note}, content_type="application/json")


def _channel_to(trio: Trio, target: str) -> Any:
    return api_client_for(trio.owner).post(
        "/api/v1/channels",
        {"kind": "wecom", "name": "内网机器人", "target": target},
        content_type="application/json",
    )


def test_after_the_ops_admin_allows_a_network_a_channel_there_saves_and_its_send_goes_through(
    trio: Trio, http_server: Recorder, stand_in: list[tuple[str, int]]
) -> None:
    assert _channel_to(trio, f"http://{ON_PREMISE}/hook").status_code == 422  # refused before

    response = _add(api_client_for(trio.admin), "10.20.0.0/16", "上海机房机器人")
    assert response.status_code == 201
    body = response.json()
    assert body["entry"] == "10.20.0.0/16" and body["source"] == "app" and body["removable"] is True
    assert body["created_by"] == trio.admin.pk and body["note"] == "上海机房机器人"

    saved = _channel_to(trio, f"http://{ON_PREMISE}/hook?key=1")
    assert saved.status_code == 201
    services.channel_send_test(channel=Channel.objects.get(pk=saved.json()["id"]), actor=trio.owner)
    assert run_ready_tasks() == ["sent"]
    [request] = http_server.requests
    assert request["path"] == "/hook?key=1" and request["headers"]["Host"] == ON_PREMISE
    assert (ON_PREMISE, 80) in stand_in  # connected to the checked on-premise address
    assert Delivery.objects.get().response_code == 200


def test_removing_the_entry_refuses_the_next_send_of_a_channel_saved_while_it_was_allowed(
    trio: Trio, http_server: Recorder, stand_in: list[tuple[str, int]]
) -> None:
    admin = api_client_for(trio.admin)
    allowance_id = _add(admin, "10.20.0.0/16").json()["id"]
    channel = Channel.objects.get(pk=_channel_to(trio, f"http://{ON_PREMISE}/hook").json()["id"])

    assert admin.delete(f"{ALLOWED}/{allowance_id}").status_code == 204
    assert not EgressAllowance.objects.exists()
    services.channel_send_test(channel=channel, actor=trio.owner)
    assert run_ready_tasks() == ["failed"]
    assert http_server.requests == [] and (ON_PREMISE, 80) not in stand_in
    assert Delivery.objects.get().last_error.startswith(egress.REFUSED)
    assert _channel_to(trio, f"http://{ON_PREMISE}/other").status_code == 422  # and on save again
    assert admin.delete(f"{ALLOWED}/{allowance_id}").status_code == 404  # gone


@pytest.mark.parametrize("role", ["owner", "manager", "director"])
def test_reps_and_managers_can_neither_change_nor_see_the_allow_list(
    trio: Trio, client: Client, role: str
) -> None:
    existing = services.egress_allowance_add(actor=trio.admin, entry="robot.corp.internal", note="机房")
    person = getattr(trio, role)
    api_client = api_client_for(person)
    assert api_client.get(ALLOWED).status_code == 403
    assert _add(api_client, "10.30.0.0/16").status_code == 403
    assert api_client.delete(f"{ALLOWED}/{existing.pk}").status_code == 403

    client.force_login(person)
    page = client.get("/settings/channels/").content.decode()
    assert 'data-testid="allowed-targets"' not in page and "robot.corp.internal" not in page
    assert client.post("/settings/channels/allowed-targets/", {"entry": "10.30.0.0/16"}).status_code == 403
    delete = client.post(f"/settings/channels/allowed-targets/{existing.pk}/delete/")
    assert delete.status_code == 403
    assert list(EgressAllowance.objects.values_list("entry", flat=True)) == ["robot.corp.internal"]
    with pytest.raises(PermissionDenied):
        services.egress_allowance_add(actor=person, entry="10.30.0.0/16")
    with pytest.raises(PermissionDenied):
        services.egress_allowance_remove(allowance=existing, actor=person)


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("", "请填写"),
        ("   ", "请填写"),
        ("0.0.0.0/0", "网段过大"),  # the whole IPv4 space
        ("::/0", "网段过大"),  # the whole IPv6 space
        ("10.0.0.0/7", "网段过大"),
        ("2001:db8::/31", "网段过大"),
        ("10.20.1.0/16", "主机位"),  # meant 10.20.0.0/16?
        ("10.20.300.1", "不是有效的 IP"),
        ("10.20.1", "不是有效的 IP"),
        ("::ffff:10.0.0.0/104", "IPv4"),  # judged as IPv4 at send time: an IPv6 entry never matches
        ("http://robot.corp.internal/hook", "不含 http://"),
        ("robot.corp.internal:8080", "不含 http://"),
        ("robot.corp.internal/hook", "不是有效的 IP"),
        ("fe80::1%eth0", "不含 http://"),
        ("-robot.corp", "不是有效的主机名"),
        ("robot..corp", "不是有效的主机名"),
        ("robot_1.corp", "不是有效的主机名"),
        ("a" * 64 + ".corp", "不是有效的主机名"),
        ("机器人.corp", "xn--"),
        ("0x7f.1", "点分十进制"),  # a name by RFC 1123, but the resolver reads it as 127.0.0.1
    ],
)
def test_an_invalid_or_too_broad_entry_is_422_naming_the_entry_field(
    trio: Trio, entry: str, why: str
) -> None:
    response = _add(api_client_for(trio.admin), entry)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "entry"] and why in error["msg"], error
    assert not EgressAllowance.objects.exists()


def test_a_too_long_note_is_422_naming_the_note_field(trio: Trio) -> None:
    response = _add(api_client_for(trio.admin), "10.20.0.0/16", "长" * 201)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "note"]]
    assert not EgressAllowance.objects.exists()


@pytest.mark.parametrize(
    ("entry", "stored"),
    [
        ("Robot.Corp.Internal.", "robot.corp.internal"),
        ("robot", "robot"),
        ("xn--fiq228c.corp", "xn--fiq228c.corp"),
        ("10.20.1.5/32", "10.20.1.5"),
        (" 10.20.0.0/16 ", "10.20.0.0/16"),
        ("127.0.0.1", "127.0.0.1"),
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("FD00:0:0:0::/48", "fd00::/48"),
        ("2001:db8::/32", "2001:db8::/32"),
    ],
)
def test_entries_are_stored_in_canonical_form(entry: str, stored: str) -> None:
    assert egress.canonical_entry(entry) == stored


def test_the_same_entry_twice_is_409_also_when_written_differently_or_in_the_deployment_setting(
    trio: Trio, settings: Any
) -> None:
    admin = api_client_for(trio.admin)
    assert _add(admin, "robot.corp.internal").status_code == 201
    assert _add(admin, "10.20.0.0/16").status_code == 201
    for again in ("ROBOT.corp.internal.", "10.20.0.0/16"):
        response = _add(admin, again)
        assert response.status_code == 409
        assert "已在白名单中" in response.json()["detail"]
    settings.SALESFLOW_NOTIFY_ALLOWED_TARGETS = ["10.30.0.0/16"]
    response = _add(admin, "10.30.0.0/16")
    assert response.status_code == 409 and "部署配置" in response.json()["detail"]
    assert EgressAllowance.objects.count() == 2


def test_the_list_shows_deployment_entries_read_only_and_app_entries_with_who_and_when(
    trio: Trio, settings: Any
) -> None:
    settings.SALESFLOW_NOTIFY_ALLOWED_TARGETS = ["robot.corp.internal"]
    added = services.egress_allowance_add(actor=trio.admin, entry="10.20.0.0/16", note="机房")
    items = api_client_for(trio.admin).get(ALLOWED).json()["items"]
    assert [(i["entry"], i["source"], i["removable"], i["id"]) for i in items] == [
        ("robot.corp.internal", "deployment", False, None),
        ("10.20.0.0/16", "app", True, added.pk),
    ]
    assert items[1]["created_by"] == trio.admin.pk and items[1]["created_at"] is not None


def test_adding_and_removing_each_record_an_event_and_field_history(trio: Trio) -> None:
    allowance = services.egress_allowance_add(actor=trio.admin, entry="10.20.0.0/16", note="机房")
    assert allowance.history.get().history_user == trio.admin
    services.egress_allowance_remove(allowance=allowance, actor=trio.admin)
    names = list(
        Event.objects.filter(subject_type="notify.egressallowance", subject_id=allowance.pk)
        .order_by("id")
        .values_list("name", "actor_id", "payload__entry")
    )
    assert names == [
        ("egress_allowance.added", trio.admin.pk, "10.20.0.0/16"),
        ("egress_allowance.removed", trio.admin.pk, "10.20.0.0/16"),
    ]
    history = EgressAllowance.history.filter(id=allowance.pk).order_by("history_id")
    assert [h.history_type for h in history] == ["+", "-"]


def test_the_ops_admin_manages_the_list_on_the_channels_page(
    trio: Trio, client: Client, settings: Any
) -> None:
    settings.SALESFLOW_NOTIFY_ALLOWED_TARGETS = ["robot.corp.internal"]
    client.force_login(trio.admin)
    added = client.post("/settings/channels/allowed-targets/", {"entry": "10.20.0.0/16", "note": "上海机房"})
    assert added.status_code == 302 and added["Location"].endswith("/settings/channels/#allowed-targets")
    allowance = EgressAllowance.objects.get()
    page = client.get("/settings/channels/").content.decode()
    assert 'data-testid="allowed-targets"' in page
    assert page.count('data-testid="deployment-target"') == 1 and "部署配置" in page
    assert "10.20.0.0/16" in page and "上海机房" in page and str(trio.admin) in page
    # One 删除 button: the app's entry has it, the deployment's has none.
    assert re.findall(r"allowed-targets/(\d+)/delete/", page) == [str(allowance.pk)]

    refused = client.post("/settings/channels/allowed-targets/", {"entry": "0.0.0.0/0", "note": "全部"})
    assert refused.status_code == 422
    text = refused.content.decode()
    assert "网段过大" in text and 'value="0.0.0.0/0"' in text and 'id="al-entry"' in text
    duplicate = client.post("/settings/channels/allowed-targets/", {"entry": "10.20.0.0/16"})
    assert duplicate.status_code == 409 and "已在白名单中" in duplicate.content.decode()

    removed = client.post(f"/settings/channels/allowed-targets/{allowance.pk}/delete/")
    assert removed.status_code == 302
    assert not EgressAllowance.objects.exists()
    page = client.get("/settings/channels/").content.decode()
    assert "已将「10.20.0.0/16」移出内网白名单" in page and 'data-testid="allowance"' not in page


def test_a_superuser_manages_the_list_too(trio: Trio) -> None:
    trio.director.is_superuser = True
    trio.director.save(update_fields=["is_superuser"])
    assert _add(api_client_for(trio.director), "10.20.0.0/16").status_code == 201


def test_the_openapi_document_declares_the_allow_list_operations_and_their_errors() -> None:
    paths = api.get_openapi_schema()["paths"]
    collection, item = paths[ALLOWED], paths[ALLOWED + "/{allowance_id}"]
    assert {"200", "401", "403"} <= {str(c) for c in collection["get"]["responses"]}
    assert {"201", "401", "403", "409", "422"} <= {str(c) for c in collection["post"]["responses"]}
    assert {"204", "401", "403", "404"} <= {str(c) for c in item["delete"]["responses"]}


def test_the_allow_list_section_reads_in_english_too(trio: Trio, client: Client, settings: Any) -> None:
    settings.SALESFLOW_NOTIFY_ALLOWED_TARGETS = ["robot.corp.internal"]
    services.egress_allowance_add(actor=trio.admin, entry="10.20.0.0/16")
    client.force_login(trio.admin)
    client.post("/i18n/setlang/", {"language": "en", "next": "/settings/channels/"})
    page = client.get("/settings/channels/").content.decode()
    for text in ("On-premise allow-list", "Deployment setting", "Added by", "Host name, IP or network"):
        assert text in page
    assert "部署配置" not in page and "内网白名单" not in page
