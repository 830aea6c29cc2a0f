"""The permission matrix: every route and API operation, run as every member of a fixed cast.

The expected outcomes live in `permission_matrix.py` next to this file. The cast and the
records (owned by the cast's `owner`) are built once for the module; every request runs in a
savepoint that is rolled back, so a write never changes what a later case sees.

Besides the status class, a response that a role outside the owner's line is allowed to see
must not contain the owner's records (their names, or `type:id` references): that catches a
page that answers 200 but shows data outside the viewer's scope.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver
from openpyxl import Workbook
from PIL import Image

from salesflow.analytics import battle_services
from salesflow.api import api
from salesflow.approvals import registry as approvals_registry
from salesflow.calendars import services as calendar_services
from salesflow.core import clock, records
from salesflow.core.error_views import TITLES
from salesflow.core.testing import TEST_PASSWORD, make_user
from salesflow.customers import services as customers
from salesflow.customers.models import Customer
from salesflow.imports import services as imports
from salesflow.leads import services as leads
from salesflow.notify import services as notify
from salesflow.org import services as org
from salesflow.org.choices import Role, TeamKind
from salesflow.org.models import User
from salesflow.pipeline import services as pipeline
from salesflow.pipeline.models import Opportunity
from salesflow.rules import packs
from salesflow.rules import services as rules_services
from salesflow.rules.models import RuleFiring
from salesflow.rules.selectors import active_pack, forget_active_pack, versions

from .permission_matrix import (
    ADMIN_EXCEPTIONS,
    ADMIN_PREFIX,
    ADMIN_SITE,
    API,
    COST_VIEWERS,
    DENIED,
    INVALID,
    LOGIN,
    NAMES_SHOWN_BY_TOKEN,
    NOT_ALLOWED,
    OK,
    PAGES,
    RECORD_ROUTES,
    RECORD_TYPES,
    REFUSED,
    ROLES,
    Case,
)

# Roles that must never see the owner's records (outside the owner's reporting line).
OUTSIDE_SCOPE = ("teammate", "outsider", "other_manager", "finance", "presales", "anon")
# Marked so pytest-django sets the test database up; each test runs in a savepoint of the world's.
pytestmark = pytest.mark.django_db
# The approvals app approves registered kinds only; the matrix approves an opportunity.
MATRIX_KIND = "matrix_opportunity"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


# ---------------------------------------------------------------------------------------------
# The world: the cast, their sessions and tokens, and the owner's records


@dataclass
class World:
    """What every case needs: who is who, how they sign in, and the values of path parameters."""

    users: dict[str, User]
    sessions: dict[str, str]
    tokens: dict[str, str]
    values: dict[str, Any]
    secrets: list[re.Pattern[str]] = field(default_factory=list)
    private: list[str] = field(default_factory=list)
    # A product's standard cost as pages and the API show it: only COST_VIEWERS may get it.
    costs: list[str] = field(default_factory=list)


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def build_world() -> World:
    """The cast (ten roles) and a lead, customer, opportunity, evidence, visit, notification,
    task, channel and import job owned by (or about) the owner rep, plus a pooled lead and customer,
    and an entry on the ops admin's allow-list."""
    company = org.team_create(name="矩阵公司", kind=TeamKind.COMPANY, parent=None, actor=None)
    region = org.team_create(name="矩阵大区", kind=TeamKind.REGION, parent=company, actor=None)
    team = org.team_create(name="矩阵一组", kind=TeamKind.TEAM, parent=region, actor=None)
    other_team = org.team_create(name="矩阵二组", kind=TeamKind.TEAM, parent=region, actor=None)
    director = make_user("mx_director", Role.DIRECTOR, region, None)
    manager = make_user("mx_manager", Role.MANAGER, team, director)
    other_manager = make_user("mx_other_manager", Role.MANAGER, other_team, director)
    users = {
        "owner": make_user("mx_owner", Role.REP, team, manager),
        "teammate": make_user("mx_teammate", Role.REP, team, manager),
        "outsider": make_user("mx_outsider", Role.REP, other_team, other_manager),
        "manager": manager,
        "other_manager": other_manager,
        "director": director,
        "ops": make_user("mx_ops", Role.OPS_ADMIN, company, None),
        "finance": make_user("mx_finance", Role.FINANCE, company, None),
        "presales": make_user("mx_presales", Role.PRESALES, company, None),
    }
    owner = users["owner"]
    # Legal reviews contracts (not in the cast: a contract's reader like finance, tested there).
    make_user("mx_legal", Role.LEGAL, company, None)

    customer = customers.customer_create(name="矩阵秘密医院", actor=owner, owner=owner)
    customers.contact_add(customer=customer, name="矩阵秘密联系人", phone="13900000001", actor=owner)
    customers.note_add(customer=customer, author=owner, text="矩阵私密备注", private=True)
    # A proposed class waits for confirmation, so 确认分级 has something to confirm.
    Customer.objects.filter(pk=customer.pk).update(proposed_class="a")
    # A quoting freeze, so 解除冻结 has something to lift (each case's savepoint restores it).
    rules_services.freeze_set(
        record=customer, scope="quoting", reason="矩阵熔断", rule_code="matrix", actor=None, now=clock.now()
    )
    pool_customer = customers.customer_create(name="矩阵公海医院", actor=None, owner=None)
    lead = leads.lead_create(
        name="矩阵秘密线索", phone="13900000002", company="矩阵秘密公司", actor=None, owner=owner
    )
    pool_lead = leads.lead_create(name="矩阵公海线索", phone="13900000003", actor=None, owner=None)
    opportunity = pipeline.opportunity_create(
        customer=customer, title="矩阵秘密商机", pipeline="standard", owner=owner, actor=owner, amount="1000"
    )
    for stage in ("first_contact", "needs_confirmed"):
        opportunity = pipeline.opportunity_advance(opportunity=opportunity, to_stage=stage, actor=owner)
    evidence = pipeline.evidence_add(
        opportunity=opportunity, requirement="requirements_doc", data=PDF, filename="需求.pdf", actor=owner
    )
    visit = pipeline.visit_create(
        customer=customer, package="hospital_visit", opportunity=opportunity, actor=owner
    )
    (notification,) = notify.notify(
        recipients=[owner], kind="matrix", title="矩阵通知", body="", subject=customer, actor=None
    )
    task = notify.task_create(assignee=owner, title="矩阵待办", subject=customer)
    channel = notify.channel_create(
        actor=owner,
        kind="email",
        name="矩阵个人邮箱",
        target="mx-owner-inbox@example.com",
        user=owner,
        team=None,
    )
    allowance = notify.egress_allowance_add(actor=users["ops"], entry="10.98.0.0/16", note="矩阵白名单")
    from datetime import date as _date
    from decimal import Decimal as _Decimal

    from salesflow.analytics.services import spend_set

    spend = spend_set(actor=users["ops"], source="baidu", month=_date(2026, 1, 1), amount=_Decimal("1000"))
    from salesflow.analytics.forecast_services import signal_create

    signal = signal_create(
        actor=users["ops"],
        title="矩阵信号",
        product_line="joint",
        starts_on=_date(2026, 12, 1),
        ends_on=_date(2026, 12, 31),
        multiplier=_Decimal("1.2"),
    )
    # An import by the owner's manager with one bad row, so there is a skipped-rows workbook.
    job = imports.import_job_create(
        kind="customers",
        filename="客户.xlsx",
        data=_xlsx([["客户名称", "地址"], ["矩阵导入医院", "上海"], ["", "缺名称"]]),
        actor=manager,
    )
    imports.import_job_run(job=job, skip_bad_rows=True, actor=manager)
    form = leads.form_create(name="矩阵官网", actor=users["ops"], default_source="website")
    # A TV link of the owner's team's battle report, made by their manager.
    tv_link, tv_token = battle_services.tv_link_create(actor=manager, team=team)
    _cal_link, cal_token = calendar_services.calendar_feed_reset(user=users["outsider"])
    # A rule firing about the owner's lead: 设置 → 规则 lists recent firings, which must be scoped.
    RuleFiring.objects.create(
        pack_version=1,
        rule_code="matrix_rule",
        trigger="lead.assigned",
        subject_type="leads.lead",
        subject_id=lead.pk,
        fired_at=clock.now(),
        outcome="acted",
        detail={"notes": ["矩阵秘密线索"]},
    )

    # A product on a price list, with a cost only finance and directors may see.
    from salesflow.catalog import services as catalog

    product = catalog.product_create(
        sku="MX-PRODUCT-1",
        name="矩阵产品",
        list_price="9000",
        standard_cost="7654.32",
        actor=users["finance"],
    )
    price_list = catalog.price_list_create(
        name="矩阵价格表", customer_tier="tier3a", valid_from=_date(2026, 1, 1), actor=users["finance"]
    )
    catalog.price_set(price_list=price_list, product=product, price="8500", actor=users["finance"])
    # The owner's quotes, on a customer whose quoting is not frozen: a draft of the product (its
    # cost is the secret above) and a sent one.
    from salesflow.quotes import services as quotes

    quote_customer = customers.customer_create(name="矩阵报价医院", actor=None, owner=owner)
    quote_opportunity = pipeline.opportunity_create(
        customer=quote_customer, title="矩阵报价商机", owner=owner, actor=owner, amount="9000"
    )

    # A product without a cost: a quote of it is no special quote (its margin is unknown), so it
    # can be sent without an approval.
    plain_product = catalog.product_create(
        sku="MX-PRODUCT-2", name="矩阵服务", list_price="500", actor=users["finance"]
    )

    def _quote(title: str, item: Any) -> Any:
        return quotes.quote_create(
            opportunity=quote_opportunity,
            actor=owner,
            data=quotes.QuoteInput(
                title=title, lines=[quotes.LineInput(product=item.pk, quantity="1", discount_pct="0")]
            ),
        )

    quote = _quote("矩阵报价", product)
    plain_quote = _quote("矩阵待发报价", plain_product)
    sent = quotes.quote_send(
        quote=_quote("矩阵已发报价", plain_product), actor=owner, share_base_url="http://testserver"
    )
    sent_quote = sent.quote
    share_token = sent.share_url.rstrip("/").rsplit("/", 1)[-1]

    # Contracts of a deal in 合同签订: accepted quotes make drafts. One draft has a clause that
    # deviates from the templates (legal review), one follows them (may be signed), one is signed
    # (its first instalment is due).
    from salesflow.contracts import services as contract_services
    from salesflow.contracts.models import Contract

    contract_customer = customers.customer_create(name="矩阵合同医院", actor=None, owner=owner)
    contract_opportunity = pipeline.opportunity_create(
        customer=contract_customer, title="矩阵合同商机", owner=owner, actor=owner, amount="9000"
    )
    Opportunity.objects.filter(pk=contract_opportunity.pk).update(stage="contract_signed")

    def _accepted(title: str) -> Any:
        made = quotes.quote_create(
            opportunity=contract_opportunity,
            actor=owner,
            data=quotes.QuoteInput(
                title=title,
                lines=[quotes.LineInput(product=plain_product.pk, quantity="2", discount_pct="0")],
            ),
        )
        made = quotes.quote_send(quote=made, actor=owner, share_base_url="http://testserver").quote
        quotes.quote_feedback(quote=made, actor=owner, outcome="accepted", note="同意")
        return Contract.objects.get(quote=made)

    draft_contract = contract_services.contract_update(
        contract=_accepted("矩阵合同草稿"),
        actor=owner,
        clauses=[contract_services.ClauseInput(title="付款方式", text="货到后 180 天付清。", code="payment")],
    )
    plain_contract = _accepted("矩阵待签合同")
    signed_contract = contract_services.contract_sign(
        contract=_accepted("矩阵已签合同"), actor=owner, data=PDF, filename="合同.pdf"
    )
    instalment = signed_contract.instalments.order_by("position")[0]

    # A temporary grant (临时授权) of another of the owner's customers (no quotes) to presales:
    # something to revoke and a read log, without widening what presales reads elsewhere.
    grant_customer = customers.customer_create(name="矩阵授权医院", actor=None, owner=owner)
    grant = customers.grant_create(
        customer=grant_customer, grantee=users["presales"], actor=owner, reason="矩阵授权", days=3
    )

    # A special-price request by the owner on their opportunity, waiting for their manager (the
    # test kind is registered by the `world` fixture), and a delegation the owner gives.
    from salesflow.approvals import services as approvals

    forget_active_pack()
    document = packs.to_document(active_pack()[1])
    (special,) = [c for c in document["approval_chains"] if c["code"] == "special_quote"]
    document["approval_chains"].append({**special, "code": "matrix_chain", "subject": MATRIX_KIND})
    rules_services.pack_import(text=packs.to_yaml(document), actor=None, note="matrix approvals")
    forget_active_pack()
    approval = approvals.approval_request_start(
        subject=opportunity,
        chain_code="matrix_chain",
        requester=owner,
        facts={"discount_pct": 10, "amount": 1000, "margin_pct": 30},
        summary="矩阵秘密商机 特价",
    )
    approval_step = approval.steps.get(state="open")
    # The owner's secret customer on the monthly process review (run by the COO, not in the cast;
    # read by the director).
    agenda_item = rules_services.agenda_add(
        record=customer, meeting="monthly_process_review", reason="矩阵议程", rule_code="", now=clock.now()
    )
    delegation = approvals.delegation_create(
        delegator=owner,
        delegate=users["teammate"],
        starts_on=_date(2029, 1, 1),
        ends_on=_date(2029, 1, 5),
        actor=owner,
    )

    # A custom solution request (定制方案申请) the owner raised on another of their customers:
    # presales handles it (the company-level presales engineer), finance has no part in it.
    from salesflow.workorders import services as workorders

    forget_active_pack()
    workorder_customer = customers.customer_create(name="矩阵工单医院", actor=None, owner=owner)
    workorder = workorders.workorder_raise(
        actor=owner,
        type_code="custom_solution",
        customer=workorder_customer,
        title="矩阵定制方案",
        form_values={"requirement": "矩阵需求", "product_line": "spine"},
    )
    workorder_file = workorders.workorder_attach(
        order=workorder, actor=users["presales"], kind="screenshot", data=_jpeg(), filename="矩阵截图.jpg"
    )

    forget_active_pack()
    number, pack = active_pack()
    if not versions().exists():
        # A fresh database runs on the shipped pack without a stored version; store it.
        rules_services.pack_import(text=packs.to_yaml(packs.to_document(pack)), actor=None, note="matrix")
        forget_active_pack()
        number, pack = active_pack()
    rule = pack.rules[0]
    segments = pack.dictionary("industry_segment")
    assert segments is not None
    pack_yaml = packs.to_yaml(packs.to_document(pack))

    sessions, tokens = {}, {}
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
        _token, raw = org.api_token_issue(username=user.username, password=TEST_PASSWORD, client="matrix")
        tokens[role] = raw

    values: dict[str, Any] = {
        "customer_id": customer.pk,
        "pool_customer_id": pool_customer.pk,
        "lead_id": lead.pk,
        "pool_lead_id": pool_lead.pk,
        "opportunity_id": opportunity.pk,
        "evidence_id": evidence.pk,
        "visit": visit.code,
        "notification_id": notification.pk,
        "task_id": task.pk,
        "channel_id": channel.pk,
        "allowance_id": allowance.pk,
        "spend_id": spend.pk,
        "signal_id": signal.pk,
        "health_code": "median_lead_response",
        "job_id": job.pk,
        "key": form.key,
        "user_id": owner.pk,
        "record_type": "customer",
        "record_id": customer.pk,
        "team_id": team.pk,
        "region_id": region.pk,
        "product_id": product.pk,
        "price_list_id": price_list.pk,
        "quote_id": quote.pk,
        "quote_opportunity_id": quote_opportunity.pk,
        "sent_quote_id": sent_quote.pk,
        "grant_id": grant.pk,
        "grant_customer_id": grant_customer.pk,
        "plain_quote_id": plain_quote.pk,
        "contract_id": draft_contract.pk,
        "contract_quote_id": draft_contract.quote_id,
        "plain_contract_id": plain_contract.pk,
        "signed_contract_id": signed_contract.pk,
        "instalment_id": instalment.pk,
        "share_token": share_token,
        "sent_version": 1,
        "document_code": "competitor_sheet",
        "link_id": tv_link.pk,
        "request_id": approval.pk,
        "step_id": approval_step.pk,
        "delegation_id": delegation.pk,
        "agenda_item_id": agenda_item.pk,
        "meeting": "monthly_process_review",
        "workorder_id": workorder.pk,
        "wo_attachment_id": workorder_file.pk,
        "workorder_customer_id": workorder_customer.pk,
        "wo_department": "presales",
        "tv_token": tv_token,
        "cal_token": cal_token,
        "version_id": versions().get(number=number).pk,
        "module": "workorders",
        "number": number,
        "rule": rule.code,
        "rule_document": rule.model_dump(mode="json"),
        "policy": pack.sla_policies[0].code,
        "day": "2030-01-02",
        "segment": segments.choices[0].code,
        "kind": "customers",
        "owner_username": owner.username,
        "password": TEST_PASSWORD,
        "lead_phone": lead.phone,
        "an_hour_ago": (clock.now() - timedelta(hours=1)).isoformat(),
        "pack_yaml_text": pack_yaml,
        **{role: user.pk for role, user in users.items()},
    }
    secrets = [
        re.compile(re.escape(text))
        for text in (
            "矩阵秘密医院",
            "矩阵秘密联系人",
            "矩阵秘密线索",
            "矩阵秘密公司",
            "矩阵秘密商机",
            "矩阵通知",
            "矩阵待办",
            "mx-owner-inbox@example.com",
        )
    ] + [
        re.compile(rf"\b{re.escape(label)}:{pk}\b")
        for label, pk in (
            ("customers.customer", customer.pk),
            ("leads.lead", lead.pk),
            ("pipeline.opportunity", opportunity.pk),
        )
    ]
    return World(
        users=users,
        sessions=sessions,
        tokens=tokens,
        values=values,
        secrets=secrets,
        private=["矩阵私密备注"],
        costs=["7654.32", "7,654.32"],
    )


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The cast and records, made once per module inside a transaction rolled back at the end."""
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        approvals_registry.registered(
            MATRIX_KIND,
            model=Opportunity,
            label="商机",
            describe=lambda o: [("客户", o.customer.name), ("商机", o.title)],
            detail_url=lambda o: f"/opportunities/{o.pk}/",
        ),
    ):
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def in_world(world: World, settings: Any) -> Iterator[World]:
    """The world, with throttles out of the way."""
    # The matrix sends one intake and one token request per role; throttles are not its subject.
    settings.SALESFLOW_INTAKE_LIMIT_PER_IP = 10_000
    yield world


# ---------------------------------------------------------------------------------------------
# Enumerating every route


def walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Every URL pattern with its full route, as the resolver spells it."""
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def all_routes() -> list[str]:
    """Every route of the URL map (duplicates from several methods on one Ninja path once)."""
    return list(dict.fromkeys(route for route, _p in walk(get_resolver().url_patterns)))


def openapi_operations() -> list[str]:
    """Every OpenAPI operation as "METHOD /path"."""
    schema = api.get_openapi_schema()
    return [f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops]


def _api_route_to_path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def page_cases() -> list[tuple[str, str]]:
    """(route, method) for every page route declared (the admin's by prefix)."""
    cases = []
    for route in all_routes():
        if route.startswith("api/v1/"):
            continue
        if route.startswith(ADMIN_PREFIX):
            cases.append((route, "GET"))
            continue
        for method in PAGES.get(route, {"GET": None}):
            cases.append((route, method))
    return cases


# ---------------------------------------------------------------------------------------------
# Running one case


def _value(world: World, key: str) -> Any:
    return world.values[key]


def _resolve(world: World, value: Any) -> Any:
    """ "@name" → the world's value (in strings, lists and dicts)."""
    if isinstance(value, str) and value.startswith("@"):
        return _value(world, value[1:])
    if isinstance(value, list):
        return [_resolve(world, v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)).startswith("@"):
            return _value(world, next(iter(value))[1:])
        return {k: _resolve(world, v) for k, v in value.items()}
    return value


def _fill(world: World, route: str, case: Case | None) -> str:
    """A concrete URL for a route: path parameters from the world (admin routes: any value)."""
    fill = case.fill if case else {}

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(_value(world, fill.get(name, name)))

    if route.startswith(ADMIN_PREFIX):
        url = re.sub(r"\(\?P<app_label>[^)]*\)", "org", route)
        url = re.sub(r"\(\?P<url>[^)]*\)", "matrix-unknown/", url)
        url = url.replace("([^/]+)", "1").replace("^", "").replace("$", "")
        url = re.sub(r"<(?:\w+:)?(\w+)>", "1", url)
    elif route.startswith("/api/"):
        url = re.sub(r"\{(\w+)\}", one, route)[1:]
    else:
        url = re.sub(r"<(?:\w+:)?(\w+)>", one, route)
    url = "/" + url
    if case and case.query:
        url += "?" + re.sub(r"@(\w+)", lambda m: str(_value(world, str(m.group(1)))), case.query)
    return url


def _files(world: World, names: tuple[str, ...]) -> dict[str, Any]:
    makers = {
        "pdf": lambda: SimpleUploadedFile("证据.pdf", PDF, "application/pdf"),
        "jpeg": lambda: SimpleUploadedFile("照片.jpg", _jpeg(), "image/jpeg"),
        "customers_xlsx": lambda: SimpleUploadedFile("客户.xlsx", _xlsx([["客户名称"], ["矩阵上传医院"]])),
        "pack_yaml": lambda: SimpleUploadedFile(
            "pack.yaml", world.values["pack_yaml_text"].encode(), "application/x-yaml"
        ),
    }
    # Every form of the app uploads a single file in the field `file`.
    (name,) = names
    return {"file": makers[name]()}


# The 403 page's fallback text: every refusal in the product says its own reason instead.
GENERIC_403 = str(TITLES[403][1])


def classify(response: HttpResponse, *, page: bool) -> str:
    """The status class of a response (see permission_matrix's docstring)."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if status == 401:
        return LOGIN
    if status in (301, 302, 303, 307, 308) and "/login/" in response.get("Location", ""):
        return LOGIN
    if status in (403, 404):
        return DENIED
    if status == 405:
        return NOT_ALLOWED
    if status in (400, 422):
        return INVALID
    if page and status < 400:
        request = getattr(response, "wsgi_request", None)
        if request is not None and any(m.level >= message_levels.ERROR for m in get_messages(request)):
            return REFUSED
    return OK


def run(world: World, role: str, method: str, url: str, case: Case | None, *, is_api: bool) -> Any:
    """Send one request as `role` inside a savepoint that is rolled back afterwards."""
    client = Client(raise_request_exception=False)
    headers: dict[str, str] = {}
    if role != "anon":
        if is_api:
            headers["Authorization"] = f"Bearer {world.tokens[role]}"
        else:
            client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    body = _resolve(world, case.body) if case and case.body is not None else None
    files = _files(world, case.files) if case and case.files else {}
    with transaction.atomic():
        if files or (not is_api and method == "POST"):
            response = client.generic(
                method, url, **_encode_multipart({**(body or {}), **files}), headers=headers
            )
        elif body is not None or method in ("POST", "PUT", "PATCH"):
            response = client.generic(
                method,
                url,
                json.dumps(body if body is not None else {}, default=str),
                content_type="application/json",
                headers=headers,
            )
        else:
            response = client.generic(method, url, headers=headers)
        transaction.set_rollback(True)
    forget_active_pack()
    return response


def _encode_multipart(data: dict[str, Any]) -> dict[str, Any]:
    return {"data": encode_multipart(BOUNDARY, data), "content_type": MULTIPART_CONTENT}


def check(world: World, label: str, method: str, url: str, case: Case, *, is_api: bool) -> list[str]:
    """Every role's mismatch for one route and method (empty when all match)."""
    problems = []
    for role in ROLES:
        expected = case.expect[role]
        response = run(world, role, method, url, case, is_api=is_api)
        got = classify(response, page=not is_api)
        if got != expected:
            problems.append(f"{role}: expected {expected}, got {got} ({response.status_code})")
            continue
        if response.status_code == 403 and GENERIC_403 in response.content.decode("utf-8", errors="replace"):
            problems.append(f"{role}: a 403 without the reason the server knows")
        if got == OK and role != "owner":
            text = response.content.decode("utf-8", errors="replace") if not response.streaming else ""
            shown = [p for p in world.private if p in text]
            if shown:
                problems.append(f"{role}: the answer shows the owner's private note: {shown}")
        if got == OK and role not in COST_VIEWERS:
            text = response.content.decode("utf-8", errors="replace") if not response.streaming else ""
            shown = [c for c in world.costs if c in text]
            if shown:
                problems.append(
                    f"{role}: the answer shows a standard cost the pack hides from the role: {shown}"
                )
        if got == OK and role in OUTSIDE_SCOPE:
            text = response.content.decode("utf-8", errors="replace") if not response.streaming else ""
            leaked = [p.pattern for p in world.secrets if p.search(text)]
            if role == "anon" and label not in NAMES_SHOWN_BY_TOKEN:
                leaked += [u.username for u in world.users.values() if u.username in text]
            if leaked:
                problems.append(f"{role}: allowed, but the answer shows the owner's records: {leaked}")
    return [f"{method} {label} — {p}" for p in problems]


# ---------------------------------------------------------------------------------------------
# The tests


def test_every_route_declares_who_may_use_it() -> None:
    """A route or operation missing from the table fails here, by name."""
    routes = all_routes()
    operations = set(openapi_operations())
    api_paths = {op.split(" ", 1)[1] for op in operations}
    undeclared = [
        r for r in routes if not r.startswith(ADMIN_PREFIX) and not r.startswith("api/v1/") and r not in PAGES
    ]
    undeclared += [
        f"{r} (not an OpenAPI path)"
        for r in routes
        if r.startswith("api/v1/") and _api_route_to_path(r) not in api_paths
    ]
    undeclared += sorted(operations - set(API))
    stale = sorted(set(PAGES) - set(routes)) + sorted(set(API) - operations)
    missing_methods = [r for r, methods in PAGES.items() if set(methods) != {"GET", "POST"}]
    assert not undeclared, "Declare who may use these in tests/security/permission_matrix.py: " + ", ".join(
        undeclared
    )
    assert not stale, "Declared but no longer routed (remove them): " + ", ".join(stale)
    assert not missing_methods, "Declare both GET and POST for: " + ", ".join(missing_methods)


@pytest.mark.parametrize(("route", "method"), page_cases())
def test_page_route(in_world: World, route: str, method: str) -> None:
    """Each page route and method answers every role as the table says."""
    if route.startswith(ADMIN_PREFIX):
        case: Case | None = Case(ADMIN_EXCEPTIONS.get(route, ADMIN_SITE))
    else:
        case = PAGES.get(route, {}).get(method)
    assert case is not None, f"{method} /{route} is not declared in permission_matrix.PAGES"
    url = _fill(in_world, route, case)
    problems = check(in_world, "/" + route, method, url, case, is_api=False)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("operation", openapi_operations())
def test_api_operation(in_world: World, operation: str) -> None:
    """Each OpenAPI operation answers every role as the table says."""
    case = API.get(operation)
    assert case is not None, f"{operation} is not declared in permission_matrix.API"
    method, path = operation.split(" ", 1)
    url = _fill(in_world, path, case)
    problems = check(in_world, path, method, url, case, is_api=True)
    assert not problems, "\n".join(problems)


def test_the_cast_is_what_the_table_assumes(in_world: World) -> None:
    """The table's roles are the people the world made (a broken fixture must not pass quietly)."""
    assert set(in_world.users) | {"anon"} == set(ROLES)
    assert {OK, DENIED} <= {c.expect["owner"] for c in API.values()}


def test_the_secrets_check_can_see_the_owners_records(in_world: World) -> None:
    """The content check looks for what the owner's own pages really show (it can fail)."""
    url = f"/customers/{in_world.values['customer_id']}/"
    own = run(in_world, "owner", "GET", url, None, is_api=False).content.decode()
    managed = run(in_world, "manager", "GET", url, None, is_api=False).content.decode()
    assert any(p.search(own) for p in in_world.secrets) and "矩阵私密备注" in own
    assert any(p.search(managed) for p in in_world.secrets) and "矩阵私密备注" not in managed


def test_every_record_type_declares_who_may_read_it() -> None:
    """A registered record type missing from RECORD_TYPES fails here, by name."""
    registered = {t.name for t in records.registered_types()}
    assert registered == set(RECORD_TYPES), (
        f"Declare in permission_matrix.RECORD_TYPES: {sorted(registered - set(RECORD_TYPES))}; "
        f"no longer registered: {sorted(set(RECORD_TYPES) - registered)}"
    )


@pytest.mark.parametrize("record_type", sorted(RECORD_TYPES))
def test_record_routes_of_each_record_type(in_world: World, record_type: str) -> None:
    """Timeline, history and deadlines of a record answer every role as its type's policy says."""
    key, policy = RECORD_TYPES[record_type]
    problems = []
    for route in RECORD_ROUTES:
        url = route.format(type=record_type, id=in_world.values[key])
        is_api = url.startswith("/api/")
        problems += check(in_world, url, "GET", url, Case(policy), is_api=is_api)
    assert not problems, "\n".join(problems)
