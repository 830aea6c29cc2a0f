"""visible_or_404, the current-user helper and the POST-body forms behave the same on every page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.test import Client
from django.utils.datastructures import MultiValueDict

from salesflow.activities.forms import ActivityForm
from salesflow.core.errors import AuthenticationFailed, FieldErrors, NotFound
from salesflow.core.lookups import visible_or_404
from salesflow.core.testing import Trio, api_client_for
from salesflow.customers import services as customers
from salesflow.customers.forms import OrderForm
from salesflow.customers.selectors import customers_visible_to
from salesflow.org.selectors import current_user
from salesflow.pipeline.forms import EvidenceForm


@pytest.mark.django_db
def test_visible_or_404_is_a_404_naming_the_record_for_whoever_may_not_see_it(trio: Trio) -> None:
    customer = customers.customer_create(name="瑞金医院", actor=None, owner=trio.owner)
    assert visible_or_404(customers_visible_to(trio.owner), customer.pk) == customer
    with pytest.raises(NotFound) as caught:
        visible_or_404(customers_visible_to(trio.outsider), customer.pk)
    assert caught.value.message == f"No customer {customer.pk}." and caught.value.context == {
        "id": customer.pk
    }
    with pytest.raises(NotFound) as by_code:
        visible_or_404(customers_visible_to(trio.owner), "x", field="name", message="没有 / none")
    assert by_code.value.context == {"name": "x"} and by_code.value.message == "没有 / none"
    # The API and the page answer the outsider the same status.
    api = api_client_for(trio.outsider).get(f"/api/v1/customers/{customer.pk}")
    assert api.status_code == 404 and api.json() == {
        "detail": f"No customer {customer.pk}.",
        "id": customer.pk,
    }
    page = Client()
    page.force_login(trio.outsider)
    assert page.get(f"/customers/{customer.pk}/").status_code == 404
    assert page.post(f"/customers/{customer.pk}/notes/", {"text": "偷看"}).status_code == 404


@pytest.mark.django_db
def test_current_user_is_the_signed_in_user_and_refuses_anonymous(trio: Trio) -> None:
    request = HttpRequest()
    request.user = trio.owner
    assert current_user(request) == trio.owner
    request.user = AnonymousUser()
    with pytest.raises(AuthenticationFailed):
        current_user(request)


def test_forms_parse_what_they_can_and_name_the_field_they_cannot() -> None:
    with pytest.raises(FieldErrors) as bad_date:
        OrderForm({"ordered_on": "2024/01/02", "amount": "1"}).parsed()
    assert bad_date.value.errors == {"ordered_on": ["下单日期格式应为 YYYY-MM-DD"]}
    order = OrderForm(
        MultiValueDict({"ordered_on": ["2024-01-02"], "product_lines": ["joint", "spine"]})
    ).parsed()
    assert order["product_lines"] == ["joint", "spine"] and order["amount"] == ""
    with pytest.raises(FieldErrors) as bad_minutes:
        ActivityForm({"duration_minutes": "1e400"}).parsed()
    assert list(bad_minutes.value.errors) == ["duration_minutes"]
    assert ActivityForm.seconds(ActivityForm({"duration_minutes": "1.5"}).parsed()["duration_minutes"]) == 90
    chips = MultiValueDict(
        {"requirement": ["need_points"], "point": ["price", "delivery"], "detail_price": [" 贵 "]}
    )
    piece = EvidenceForm(chips).evidence()
    assert piece.text == "price:贵\ndelivery" and piece.lat is None
    located = EvidenceForm({"requirement": "gps", "lat": "30.1", "lng": "not a number"}).evidence()
    assert located.lat == Decimal("30.1") and located.lng is None
