"""External signals (外部信号): entered by the ops admin or GM, validated field by field, and
applied by the forecast to the win odds of one product line's deals closing in the range."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from salesflow.analytics import forecast as fc
from salesflow.analytics.forecast_services import signal_create
from salesflow.analytics.models import ForecastSignal
from salesflow.analytics.testing import at, make_november
from salesflow.core.testing import Trio, api_client_for, make_user
from salesflow.org.choices import Role
from salesflow.pipeline.models import Opportunity
from salesflow.rules.selectors import active_pack

pytestmark = pytest.mark.django_db
BODY = {
    "title": "集采政策公布",
    "product_line": "joint",
    "starts_on": "2026-12-01",
    "ends_on": "2026-12-31",
    "multiplier": "0.5",
    "note": "关节类集采降价",
}


def test_the_gm_and_the_ops_admin_manage_signals_others_may_not(trio: Trio) -> None:
    gm = make_user("gm", Role.GM, None, None)
    response = api_client_for(gm).post(
        "/api/v1/analytics/forecast-signals", BODY, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["product_line_label"] == "关节类" and created["multiplier"] == "0.50"
    listed = api_client_for(trio.admin).get("/api/v1/analytics/forecast-signals").json()["items"]
    assert [s["title"] for s in listed] == ["集采政策公布"]
    for user in (trio.manager, trio.director, trio.owner):
        assert api_client_for(user).get("/api/v1/analytics/forecast-signals").status_code == 403
        client = Client()
        client.force_login(user)
        assert client.get("/settings/forecast-signals/").status_code == 403
    deleted = api_client_for(trio.admin).delete(f"/api/v1/analytics/forecast-signals/{created['id']}")
    assert deleted.status_code == 204
    assert not ForecastSignal.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("product_line", "nope"),
        ("starts_on", "2026-13-01"),
        ("ends_on", "2026-11-30"),
        ("multiplier", "0"),
        ("multiplier", "abc"),
        ("multiplier", "50"),
    ],
)
def test_bad_input_names_the_field(trio: Trio, field: str, value: str) -> None:
    response = api_client_for(trio.admin).post(
        "/api/v1/analytics/forecast-signals", {**BODY, field: value}, content_type="application/json"
    )
    assert response.status_code == 422
    assert [d["loc"][-1] for d in response.json()["detail"]] == [field]
    client = Client()
    client.force_login(trio.admin)
    page = client.post("/settings/forecast-signals/", {**BODY, field: value})
    assert page.status_code == 422
    assert "is-invalid" in page.content.decode()
    assert not ForecastSignal.objects.exists()


def test_the_settings_page_adds_lists_and_deletes(trio: Trio) -> None:
    client = Client()
    client.force_login(trio.admin)
    response = client.post("/settings/forecast-signals/", BODY, follow=True)
    html = response.content.decode()
    assert "已添加外部信号“集采政策公布”" in html
    assert "关节类" in html and "2026-12-01 ~ 2026-12-31" in html and "×0.5" in html
    signal = ForecastSignal.objects.get()
    client.post(f"/settings/forecast-signals/{signal.pk}/delete/")
    assert not ForecastSignal.objects.exists()
    settings_home = client.get("/settings/").content.decode()
    assert "外部信号" in settings_home


def test_a_signal_multiplies_the_odds_of_its_product_line_closing_in_range(trio: Trio) -> None:
    """H (teammate, in first_contact: the company's stays move forward 3:1) is made a joint deal
    closing Dec 15; a ×3 signal for joint in December lifts its chance; a signal for another
    range does nothing."""
    make_november(trio)
    h = Opportunity.objects.get(title="H")
    h.product_lines = ["joint"]
    h.expected_close = date(2026, 12, 15)
    h.save()
    _n, pack = active_pack()
    scope = fc.Scope(owners=frozenset({trio.teammate.pk}))
    with time_machine.travel(at(12, 1), tick=False):
        plain = fc.forecast(scope, pack, seed=3)
        signal_create(
            actor=trio.admin,
            title="明年再说",
            product_line="joint",
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 3, 31),
            multiplier=Decimal(3),
        )
        assert fc.forecast(scope, pack, seed=3).applied == []
        signal_create(
            actor=trio.admin,
            title="集采政策公布",
            product_line="joint",
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 12, 31),
            multiplier=Decimal(3),
        )
        lifted = fc.forecast(scope, pack, seed=3)
    assert [(a.kind, a.name, a.multiplier, a.deals) for a in lifted.applied] == [
        ("signal", "集采政策公布", 3.0, 1)
    ]
    assert lifted.quarter.band.mean > plain.quarter.band.mean
