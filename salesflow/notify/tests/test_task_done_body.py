"""The complete endpoint reads a JSON body; any other body is a clear 4xx, never a 500."""

import pytest

from salesflow.core.testing import Trio, api_client_for
from salesflow.notify import services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"note": "打过电话"}, "multipart/form-data; boundary=BoUnDaRy"),
        ("note=x", "application/x-www-form-urlencoded"),
        ("not json", "application/json"),
    ],
)
def test_a_non_json_body_is_a_4xx_not_a_500(trio: Trio, body: object, content_type: str) -> None:
    task = services.task_create(assignee=trio.owner, title="回电")
    client = api_client_for(trio.owner)
    if content_type.startswith("multipart"):
        response = client.post(f"/api/v1/tasks/{task.pk}/done", body)
    else:
        response = client.post(f"/api/v1/tasks/{task.pk}/done", body, content_type=content_type)
    assert 400 <= response.status_code < 500
    task.refresh_from_db()
    assert task.status == "open"


def test_the_gm_outside_the_reporting_line_completes_a_task(trio: Trio) -> None:
    from salesflow.core.testing import make_user
    from salesflow.org.choices import Role

    gm = make_user("gm", Role.GM, trio.owner.team, None)
    task = services.task_create(assignee=trio.owner, title="回访客户")
    response = api_client_for(gm).post(f"/api/v1/tasks/{task.pk}/done", {}, content_type="application/json")
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.status == "done" and task.done_by == gm
