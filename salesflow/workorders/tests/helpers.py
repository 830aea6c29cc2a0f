"""Shared set-up of the work-order tests: the trio plus presales, delivery, legal and the COO."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image

from salesflow.core.testing import Trio, make_user
from salesflow.customers import services as customers
from salesflow.customers.models import Customer
from salesflow.org import services as org
from salesflow.org.choices import Role, TeamKind
from salesflow.org.models import User
from salesflow.workorders import services
from salesflow.workorders.models import WorkOrder


@dataclass
class Cast:
    """Who takes part in a work order."""

    trio: Trio
    presales_head: User
    presales: User
    presales2: User
    delivery_head: User
    delivery: User
    legal: User
    finance: User
    coo: User
    gm: User
    customer: Customer


def cast(trio: Trio) -> Cast:
    """Presales and delivery departments with their heads, legal, finance, the COO and GM."""
    company = trio.admin.team
    presales_team = org.team_create(name="售前部", kind=TeamKind.TEAM, parent=company, actor=None)
    delivery_team = org.team_create(name="交付部", kind=TeamKind.TEAM, parent=company, actor=None)
    coo = make_user("coo", Role.COO, company, None, display_name="运营总监")
    presales_head = make_user("presales_head", Role.MANAGER, presales_team, coo, display_name="售前主管")
    delivery_head = make_user("delivery_head", Role.MANAGER, delivery_team, coo, display_name="交付主管")
    return Cast(
        trio=trio,
        presales_head=presales_head,
        presales=make_user("presales1", Role.PRESALES, presales_team, presales_head, display_name="售前小王"),
        presales2=make_user(
            "presales2", Role.PRESALES, presales_team, presales_head, display_name="售前小李"
        ),
        delivery_head=delivery_head,
        delivery=make_user("delivery1", Role.DELIVERY, delivery_team, delivery_head, display_name="交付小张"),
        legal=make_user("legal1", Role.LEGAL, company, None),
        finance=make_user("finance1", Role.FINANCE, company, None),
        coo=coo,
        gm=make_user("gm", Role.GM, company, None),
        customer=customers.customer_create(name="瑞金医院", actor=trio.owner, owner=trio.owner),
    )


CUSTOM_FORM = {"requirement": "手术室定制吊塔", "product_line": "spine", "budget": "380000"}


def raise_custom(people: Cast, **kw: Any) -> WorkOrder:
    """A custom solution request raised by the owner rep on their customer."""
    options: dict[str, Any] = {
        "actor": people.trio.owner,
        "type_code": "custom_solution",
        "customer": people.customer,
        "title": "手术室吊塔定制方案",
        "form_values": dict(CUSTOM_FORM),
    }
    options.update(kw)
    return services.workorder_raise(**options)


def png_bytes() -> bytes:
    """A small real PNG (a screenshot)."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    """A minimal PDF (a signed confirmation)."""
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
