"""Who may use which endpoint: the one table the permission matrix checks every route against.

Every Django URL pattern (pages, the admin, the Ninja API's own routes) and every OpenAPI
operation must appear here; `test_permission_matrix` fails naming any that does not, so a new
endpoint cannot ship without saying who may use it.

The cast (ROLES): `owner` owns the records made for the test; `teammate` is a rep of the same
team; `outsider` a rep of another team; `manager` is the owner's manager; `other_manager`
manages the other team; `director` is above both managers; `ops` is the ops admin; `finance`
and `presales` sit at company level outside the sales line; `anon` is not signed in.

An outcome is a status class, not a body:

- OK        allowed past the permission check: 2xx, 409, or a redirect that is not to a login page
            (for pages: and no error flash message)
- REFUSED   a page that redirects or re-renders with an error flash message (the service said no)
- INVALID   400 / 422: the request names something the caller may not use (or bad input)
- DENIED    403 or 404
- LOGIN     401, or a redirect to a login page
- NOT_ALLOWED 405
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OK = "ok"
REFUSED = "refused"
INVALID = "invalid"
DENIED = "denied"
LOGIN = "login"
NOT_ALLOWED = "405"

ROLES = (
    "owner",
    "teammate",
    "outsider",
    "manager",
    "other_manager",
    "director",
    "ops",
    "finance",
    "presales",
    "anon",
)
SIGNED_IN = ROLES[:-1]
REPS = ("owner", "teammate", "outsider")

Policy = dict[str, str]


def allow(*roles: str, others: str = DENIED, anon: str = LOGIN, **overrides: str) -> Policy:
    """`roles` get OK, the other signed-in roles `others`, the anonymous caller `anon`; then overrides."""
    unknown = (set(roles) | set(overrides)) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    policy = {role: OK if role in roles else others for role in SIGNED_IN}
    policy["anon"] = OK if "anon" in roles else anon
    policy.update(overrides)
    return policy


# The named policies (a route's entry may still override single roles).
PUBLIC = allow(*ROLES)
ANY_USER = allow(*SIGNED_IN)
# The record's owner and everyone above them in the reporting line, and the ops admin.
OWNER_SCOPE = allow("owner", "manager", "director", "ops")
# The owner and their managers: the ops admin sees the record but the service refuses (403).
OWNER_OR_MANAGERS = allow("owner", "manager", "director", ops=DENIED)
OWNER_ONLY = allow("owner")
OWNER_OR_OPS = allow("owner", "ops")
# Who may edit rules (rules.permissions.RULE_EDITORS).
RULE_EDITORS = allow("manager", "other_manager", "director", "ops")
OPS_ONLY = allow("ops")
# Who may import (imports.permissions.IMPORT_ROLES): sales management and the ops admin.
IMPORTERS = allow("manager", "other_manager", "director", "ops")
# Who may enter a lead by hand (leads.services.LEAD_ENTERERS): reps, their managers, the ops admin.
LEAD_ENTERERS = allow(*REPS, "manager", "other_manager", "director", "ops")
# Reps claim from the pools; others see the pooled record but the service refuses (403).
REPS_ONLY = allow(*REPS)
NOBODY_SIGNED_IN = allow()
# 今日战报 (analytics.battle): the sales line and the company-wide roles; TV links: their managers.
BATTLE_VIEWERS = allow(*REPS, "manager", "other_manager", "director", "ops")
TV_LINK_MANAGERS = allow("manager", "other_manager", "director", "ops")
# 日历 of the owner (calendars.selectors.parse_calendar_query): the owner, the people above them
# and company-wide roles; anyone else asking for it gets 422 naming `user`.
CALENDAR_OF_OWNER = allow("owner", "manager", "director", "ops", others=INVALID)
# 销售目标: whoever may set some target (their own subtree).
TARGET_SETTERS = allow("manager", "other_manager", "director", "ops")
# 产品与价格 (catalog.permissions.CATALOG_EDITORS): the ops admin and finance edit; everyone reads.
CATALOG_EDITORS = allow("ops", "finance")
# Quotes (quotes.selectors.quotes_visible_to): the owner's line and company-wide roles read and
# work on them; finance reads every quote but works on none (the service refuses).
QUOTE_READERS = allow("owner", "manager", "director", "ops", "finance")
QUOTE_WORKERS = allow("owner", "manager", "director", "ops", finance=DENIED)
QUOTE_PAGE_WORKERS = allow("owner", "manager", "director", "ops", finance=REFUSED)
# The world's sent quote (feedback and revisions need one).
SENT_QUOTE = {"quote_id": "sent_quote_id"}
# The sent quote's PDF (version 1) and its share link's token.
SENT_PDF = {"quote_id": "sent_quote_id", "number": "sent_version"}
SHARE_TOKEN = {"token": "share_token"}
# A draft that is no special quote (sending it needs no approval).
PLAIN_QUOTE = {"quote_id": "plain_quote_id"}
QUOTE_LINES = {"lines": [{"product_id": "@product_id", "quantity": "2", "discount_pct": "5"}]}
# Contracts (contracts.selectors.contracts_visible_to): the owner's line, company-wide roles and
# finance read them; the owner's line and the ops admin work on them; only the owner signs and
# only finance records money received.
CONTRACT_READERS = allow("owner", "manager", "director", "ops", "finance")
CONTRACT_WORKERS = allow("owner", "manager", "director", "ops", finance=DENIED)
CONTRACT_PAGE_WORKERS = allow("owner", "manager", "director", "ops", finance=REFUSED)
# A write every reader may try but the service refuses in the world's state (named in a flash).
CONTRACT_READERS_REFUSED = allow(
    owner=REFUSED, manager=REFUSED, director=REFUSED, ops=REFUSED, finance=REFUSED
)
PLAIN_CONTRACT = {"contract_id": "plain_contract_id"}
SIGNED_CONTRACT = {"contract_id": "signed_contract_id"}
RECEIPT = {"amount": "100", "received_on": "2026-01-05", "bank_reference": "MX-1"}
# Work orders (workorders.selectors.workorders_visible_to): the world's custom solution request
# is seen by its raiser (owner) and their line, the company-wide roles and presales, who
# handles it; presales (and the ops admin, company-wide) advance, assign and close it; the
# owner (the sales party) and presales acknowledge; the raiser may close it.
WORKORDER_READERS = allow("owner", "manager", "director", "ops", "presales")
WORKORDER_HANDLERS = allow("presales", "ops")
WORKORDER_PARTIES = allow("owner", "presales")
WORKORDER_CLOSERS = allow("owner", "presales", "ops")
# Roles the default pack lets see a product's standard cost and margin (field_permissions).
COST_VIEWERS = ("finance", "director")
# 月度流程复盘: its viewer roles (the director in the cast; the COO chairs, the GM reads: not in it).
REVIEW_VIEWERS = allow("director")
AGENDA_ITEM = {"item_id": "agenda_item_id"}
# A method the view does not serve: 405 (the login check comes first for pages that need one).
METHOD_NOT_ALLOWED = allow(others=NOT_ALLOWED, anon=LOGIN)
METHOD_NOT_ALLOWED_PUBLIC = allow(others=NOT_ALLOWED, anon=NOT_ALLOWED)
# The Django admin: superusers only; everyone in the cast is sent to the admin's login page.
ADMIN_SITE = allow(others=LOGIN)


@dataclass(frozen=True)
class Case:
    """The expected outcome of one route and method, with what to send.

    `fill` maps a path parameter to a key of the test world (default: the parameter's own name);
    `body` is JSON for the API and form data for pages; `files` names uploads the world makes;
    `query` is appended to the URL.
    """

    expect: Policy
    body: dict[str, Any] | None = None
    files: tuple[str, ...] = ()
    query: str = ""
    fill: dict[str, str] = field(default_factory=dict)


# One cell of the process heatmap (a stage and the Monday of a week inside the period).
HEATMAP_CELL = "start=2026-11-01&end=2026-12-31&stage=lead_registered&week=2026-11-30"


def page(policy: Policy, **kwargs: Any) -> dict[str, Case]:
    """A read-only page: GET and POST (which the view treats like GET) share the policy."""
    return {"GET": Case(policy, **kwargs), "POST": Case(policy, **kwargs)}


def post_only(policy: Policy, **kwargs: Any) -> dict[str, Case]:
    """A write that only accepts POST (`require_POST` behind the login check)."""
    return {"GET": Case(METHOD_NOT_ALLOWED, fill=kwargs.get("fill", {})), "POST": Case(policy, **kwargs)}


# Public routes opened by a token whose purpose is to show people's names: the TV battle report
# ranks the team's reps on the office wall. Records (the owner's secrets) are still checked.
# The customer's quote page names the rep who sent it.
NAMES_SHOWN_BY_TOKEN = frozenset({"/tv/<str:token>/", "/tv/<str:token>/panels/", "/q/<str:token>/"})

# ---------------------------------------------------------------------------------------------
# Pages: the Django route (as the resolver spells it) → method → Case. GET and POST are both
# declared for every page route; other methods are not used by pages.

PAGES: dict[str, dict[str, Case]] = {
    "": page(PUBLIC),  # redirects to 今日 (which then asks to log in)
    "healthz": {"GET": Case(PUBLIC), "POST": Case(METHOD_NOT_ALLOWED_PUBLIC)},
    # A redirect to the static SVG.
    "favicon.ico": {"GET": Case(PUBLIC), "POST": Case(METHOD_NOT_ALLOWED_PUBLIC)},
    "login/": page(PUBLIC),
    "logout/": {"GET": Case(METHOD_NOT_ALLOWED_PUBLIC), "POST": Case(allow(others=LOGIN))},
    "i18n/setlang/": page(PUBLIC, body={"language": "zh-hans"}),
    "today/": page(ANY_USER),
    "m/<slug:module>/": page(ANY_USER),
    # Everyone searches; what is found is scoped by each kind's selector (tests in workflows).
    "search/": {"GET": Case(ANY_USER, query="q=ab"), "POST": Case(METHOD_NOT_ALLOWED)},
    "settings/": page(ANY_USER),
    "settings/users/<int:user_id>/": page(OWNER_SCOPE),
    "records/<slug:record_type>/<int:record_id>/timeline/": page(OWNER_SCOPE),
    "records/<slug:record_type>/<int:record_id>/history/": page(OWNER_SCOPE),
    # 设置 → 规则
    "settings/rules/": page(ANY_USER),  # recent firings are scoped (the secrets check)
    "settings/rules/new/": page(RULE_EDITORS, body={"refresh": "1"}),
    "settings/rules/r/<slug:code>/": page(RULE_EDITORS, body={"refresh": "1"}, fill={"code": "rule"}),
    "settings/rules/r/<slug:code>/toggle/": post_only(RULE_EDITORS, fill={"code": "rule"}),
    "settings/rules/r/<slug:code>/simulate/": page(RULE_EDITORS, fill={"code": "rule"}),
    "settings/rules/simulate/": page(RULE_EDITORS, query="run=1"),
    "settings/rules/policies/<slug:code>/": {
        "GET": Case(RULE_EDITORS, fill={"code": "policy"}),
        "POST": Case(RULE_EDITORS, fill={"code": "policy"}, body={"enabled": "on"}),
    },
    "settings/rules/versions/": page(ANY_USER),
    "settings/rules/versions/<int:number>/": page(ANY_USER),
    "settings/rules/versions/<int:number>/activate/": post_only(RULE_EDITORS),
    "settings/rules/export.yaml": page(ANY_USER),
    "settings/rules/import/": {
        "GET": Case(RULE_EDITORS),
        "POST": Case(RULE_EDITORS, files=("pack_yaml",)),
    },
    # Notifications and to-dos
    "notifications/": page(ANY_USER),
    "notifications/<int:notification_id>/read/": post_only(OWNER_ONLY),
    "notifications/read-all/": post_only(ANY_USER),
    "tasks/<int:task_id>/done/": post_only(allow("owner", "manager", "director", ops=REFUSED)),
    "settings/channels/": {
        "GET": Case(ANY_USER),
        "POST": Case(ANY_USER, body={"kind": "email", "name": "矩阵邮件", "target": "m@example.com"}),
    },
    "settings/channels/<int:channel_id>/edit/": {
        "GET": Case(OWNER_OR_OPS),
        "POST": Case(
            OWNER_OR_OPS, body={"name": "改名", "target": "mx-owner-inbox@example.com", "enabled": "1"}
        ),
    },
    "settings/channels/<int:channel_id>/delete/": post_only(OWNER_OR_OPS),
    # The on-premise allow-list: the ops admin's alone (others do not even see it).
    "settings/channels/allowed-targets/": post_only(OPS_ONLY, body={"entry": "10.99.0.0/16", "note": "矩阵"}),
    "settings/channels/allowed-targets/<int:allowance_id>/delete/": post_only(OPS_ONLY),
    "settings/channels/<int:channel_id>/test/": post_only(OWNER_OR_OPS),
    "settings/calendar/": {
        "GET": Case(ANY_USER),
        "POST": Case(
            OPS_ONLY,
            body={"action": "day", "day-day": "2030-01-02", "day-is_workday": "0", "day-name": "矩阵"},
        ),
    },
    # Leads
    "leads/": page(ANY_USER),
    "leads/pool/": page(ANY_USER),
    "leads/<int:lead_id>/": page(OWNER_SCOPE),
    "leads/<int:lead_id>/claim/": post_only(allow(*REPS, others=REFUSED), fill={"lead_id": "pool_lead_id"}),
    "leads/<int:lead_id>/reassign/": post_only(
        allow("manager", "director", "ops"), body={"to": "@teammate", "reason": "矩阵"}
    ),
    "leads/<int:lead_id>/convert/": post_only(
        allow("owner", "manager", "director", ops=REFUSED), body={"opportunity_title": "矩阵转化"}
    ),
    # The ops admin sees the lead but may not log on it (403 here, a flash message on customers).
    "leads/<int:lead_id>/activities/": post_only(
        OWNER_OR_MANAGERS, body={"kind": "call", "duration_minutes": "3"}
    ),
    # 新建线索: the sales line and the ops admin (a repeat of the body is a 409, still allowed).
    "leads/new/": {
        "GET": Case(LEAD_ENTERERS),
        "POST": Case(
            LEAD_ENTERERS, body={"name": "矩阵手录", "phone": "13800005555", "company": "矩阵手录医院"}
        ),
    },
    # The hosted website form: public; a visitor's repeat merges into the lead (a redirect to 谢谢).
    "f/<str:key>/": page(
        PUBLIC, body={"name": "矩阵访客", "phone": "@lead_phone", "industry_segment": "@segment"}
    ),
    "settings/forms/": {
        "GET": Case(OPS_ONLY),
        "POST": Case(OPS_ONLY, body={"name": "矩阵表单", "code": "matrix"}),
    },
    # Rule editors only; the preview shows leads in the viewer's scope.
    "settings/assignment/": {
        "GET": Case(RULE_EDITORS),
        "POST": Case(
            RULE_EDITORS,
            body={
                "strategy": "weighted",
                "selection": "best",
                "senior_score_threshold": "80",
                "senior_min_level": "3",
                "w-tier_fit": "0.5",
                "w-product_line_skill": "0.5",
            },
        ),
    },
    # Imports and exports: finance opens the wizard for products only (customers: the form's error).
    "settings/import/": {
        "GET": Case(allow("manager", "other_manager", "director", "ops", "finance")),
        "POST": Case(
            allow("manager", "other_manager", "director", "ops", finance=INVALID),
            body={"kind": "customers"},
            files=("customers_xlsx",),
        ),
    },
    "settings/import/<int:job_id>/": page(allow("manager", "ops", other_manager=DENIED)),
    "settings/import/<int:job_id>/skipped.xlsx": page(allow("manager", "ops", other_manager=DENIED)),
    "customers/export.xlsx": page(ANY_USER),
    "leads/export.xlsx": page(ANY_USER),
    # Scoped like the board and the records: everyone downloads what they may see.
    "opportunities/export.xlsx": page(ANY_USER),
    "activities/export.xlsx": page(ANY_USER),
    # 设置 → 产品与价格: everyone reads (reps quote from it); the ops admin and finance edit.
    "settings/products/": page(ANY_USER),
    "settings/products/export.xlsx": page(ANY_USER),
    "settings/products/new/": {
        "GET": Case(CATALOG_EDITORS),
        "POST": Case(
            CATALOG_EDITORS,
            body={
                "sku": "MX-NEW-1",
                "name": "矩阵新产品",
                "list_price": "100",
                "unit": "件",
                "tax_rate_pct": "13",
            },
        ),
    },
    "settings/products/<int:product_id>/": {
        "GET": Case(ANY_USER),
        "POST": Case(
            CATALOG_EDITORS,
            body={
                "sku": "MX-PRODUCT-1",
                "name": "改名",
                "list_price": "120",
                "unit": "件",
                "tax_rate_pct": "13",
            },
        ),
    },
    "settings/price-lists/": {
        "GET": Case(ANY_USER),
        "POST": Case(
            CATALOG_EDITORS,
            body={"name": "矩阵新价格表", "customer_tier": "tier3a", "valid_from": "2026-01-01"},
        ),
    },
    # 报价: everyone has the list (scoped); a quote is read by its owner's line, the ops admin and
    # finance, and worked on by the owner's line and the ops admin.
    "quotes/": page(ANY_USER),
    "quotes/export.xlsx": page(ANY_USER),
    "quotes/new/": {
        "GET": Case(OWNER_SCOPE, query="opportunity=@quote_opportunity_id"),
        "POST": Case(
            OWNER_SCOPE,
            query="opportunity=@quote_opportunity_id",
            body={"product": "@product_id", "quantity": "1", "discount_pct": "0", "title": "矩阵新报价"},
        ),
    },
    "quotes/<int:quote_id>/": page(QUOTE_READERS),
    "quotes/<int:quote_id>/edit/": {
        "GET": Case(QUOTE_PAGE_WORKERS),
        "POST": Case(
            QUOTE_PAGE_WORKERS, body={"product": "@product_id", "quantity": "3", "discount_pct": "0"}
        ),
    },
    "quotes/<int:quote_id>/send/": post_only(QUOTE_PAGE_WORKERS, fill=PLAIN_QUOTE),
    "quotes/<int:quote_id>/revise/": post_only(QUOTE_PAGE_WORKERS, fill=SENT_QUOTE),
    # The world's draft quote is special (its margin is under a rep's floor): it may be submitted.
    # A director or the ops admin has no regional manager above them to approve: refused, named.
    "quotes/<int:quote_id>/submit/": post_only(
        allow("owner", "manager", finance=REFUSED, director=REFUSED, ops=REFUSED), body={"comment": "请审批"}
    ),
    "quotes/<int:quote_id>/feedback/": post_only(
        QUOTE_PAGE_WORKERS, fill=SENT_QUOTE, body={"outcome": "feedback", "note": "客户要求再议"}
    ),
    "quotes/<int:quote_id>/attachments/": post_only(
        QUOTE_PAGE_WORKERS, body={"code": "competitor_sheet"}, files=("pdf",)
    ),
    "quotes/templates/<slug:code>.xlsx": page(ANY_USER, fill={"code": "document_code"}),
    # 合同 and 应收账款: lists for everyone (scoped); the world's draft deviates from the templates.
    "contracts/": page(ANY_USER),
    "contracts/export.xlsx": page(ANY_USER),
    "receivables/": page(ANY_USER),
    "receivables/export.xlsx": page(ANY_USER),
    "approvals/export.xlsx": page(ANY_USER),
    "workorders/export.xlsx": page(ANY_USER),
    "m/workorders/": page(ANY_USER),
    "workorders/": page(ANY_USER),
    "workorders/queues/<slug:department>/": page(ANY_USER, fill={"department": "wo_department"}),
    # Raised from a customer the caller may see (404 for any other).
    "workorders/new/": {
        "GET": Case(OWNER_SCOPE, query="customer=@workorder_customer_id"),
        "POST": Case(
            OWNER_SCOPE,
            body={
                "customer": "@workorder_customer_id",
                "type": "custom_solution",
                "title": "矩阵页面工单",
                "f_requirement": "矩阵需求",
                "f_product_line": "spine",
            },
        ),
    },
    "workorders/<int:workorder_id>/": page(WORKORDER_READERS),
    "workorders/<int:workorder_id>/files/<int:attachment_id>/": page(
        WORKORDER_READERS, fill={"attachment_id": "wo_attachment_id"}
    ),
    "workorders/<int:workorder_id>/acknowledge/": post_only(
        allow("owner", "presales", manager=REFUSED, director=REFUSED, ops=REFUSED)
    ),
    "workorders/<int:workorder_id>/assign/": post_only(
        allow("presales", "ops", owner=REFUSED, manager=REFUSED, director=REFUSED),
        body={"assignee": "@presales"},
    ),
    "workorders/<int:workorder_id>/attach/": post_only(
        WORKORDER_READERS, files=("jpeg",), body={"kind": "screenshot"}
    ),
    # The world's order carries the screenshot the next state needs: its handlers move it on, the
    # other readers are told they may not.
    "workorders/<int:workorder_id>/advance/": post_only(
        allow("presales", "ops", owner=REFUSED, manager=REFUSED, director=REFUSED),
        body={"to_state": "draft_done"},
    ),
    "workorders/<int:workorder_id>/comment/": post_only(WORKORDER_READERS, body={"body": "矩阵评论"}),
    "workorders/<int:workorder_id>/close/": post_only(
        allow("owner", "presales", "ops", manager=REFUSED, director=REFUSED), body={"reason": "矩阵关闭"}
    ),
    # The draft's quote has its live contract already: every reader of the quote is told so.
    "contracts/new/": post_only(CONTRACT_READERS_REFUSED, body={"quote": "@contract_quote_id"}),
    "contracts/<int:contract_id>/": page(CONTRACT_READERS),
    "contracts/<int:contract_id>/edit/": {
        "GET": Case(CONTRACT_PAGE_WORKERS),
        "POST": Case(CONTRACT_PAGE_WORKERS, body={"title": "矩阵合同", "project_manager": "@user_id"}),
    },
    "contracts/<int:contract_id>/plan/": {
        "GET": Case(CONTRACT_PAGE_WORKERS),
        "POST": Case(CONTRACT_PAGE_WORKERS, body={"name": "全款", "milestone": "signing", "pct": "100"}),
    },
    "contracts/<int:contract_id>/review/": post_only(CONTRACT_PAGE_WORKERS, body={"comment": "矩阵"}),
    "contracts/<int:contract_id>/sign/": post_only(
        allow("owner", manager=REFUSED, director=REFUSED, ops=REFUSED, finance=REFUSED),
        fill=PLAIN_CONTRACT,
        files=("pdf",),
    ),
    "contracts/<int:contract_id>/signed.pdf": page(CONTRACT_READERS, fill=SIGNED_CONTRACT),
    "contracts/<int:contract_id>/deliver/": post_only(CONTRACT_PAGE_WORKERS, fill=SIGNED_CONTRACT),
    # Acceptance comes after delivery: the signed contract is not delivered yet.
    "contracts/<int:contract_id>/complete/": post_only(CONTRACT_READERS_REFUSED, fill=SIGNED_CONTRACT),
    "contracts/<int:contract_id>/terminate/": post_only(CONTRACT_PAGE_WORKERS, body={"reason": "矩阵终止"}),
    "instalments/<int:instalment_id>/request/": post_only(CONTRACT_PAGE_WORKERS, body={"note": "矩阵请款"}),
    "instalments/<int:instalment_id>/receive/": post_only(
        allow("finance", owner=REFUSED, manager=REFUSED, director=REFUSED, ops=REFUSED), body=RECEIPT
    ),
    "instalments/<int:instalment_id>/reschedule/": post_only(
        CONTRACT_PAGE_WORKERS, body={"due_date": "2030-01-02"}
    ),
    "quotes/<int:quote_id>/versions/<int:number>.pdf": page(QUOTE_READERS, fill=SENT_PDF),
    "quotes/<int:quote_id>/versions/<int:number>/revoke/": post_only(QUOTE_PAGE_WORKERS, fill=SENT_PDF),
    # The customer's share link: anyone holding the token reads the quote (no login).
    "q/<str:token>/": {
        "GET": Case(PUBLIC, fill=SHARE_TOKEN),
        # The customer answers on the page: whoever holds the link may accept.
        "POST": Case(PUBLIC, fill=SHARE_TOKEN, body={"outcome": "accepted", "comment": "同意"}),
    },
    "q/<str:token>/pdf": {
        "GET": Case(PUBLIC, fill=SHARE_TOKEN),
        "POST": Case(METHOD_NOT_ALLOWED_PUBLIC, fill=SHARE_TOKEN),
    },
    "q/<str:token>/read": {
        "GET": Case(METHOD_NOT_ALLOWED_PUBLIC, fill=SHARE_TOKEN),
        # The page posts JSON readings; the matrix's form post is no reading (400) for anyone.
        "POST": Case(allow(others=INVALID, anon=INVALID), fill=SHARE_TOKEN),
    },
    "settings/price-lists/<int:price_list_id>/": {
        "GET": Case(ANY_USER),
        "POST": Case(CATALOG_EDITORS, body={"action": "price", "sku": "MX-PRODUCT-1", "price": "88"}),
    },
    # 我的审批: everyone has the lists; a request is seen by its requester, the approvers asked
    # and the requester's managers (and the ops admin); only the open step's approver decides.
    "approvals/": page(ANY_USER),
    "approvals/<int:request_id>/": page(OWNER_SCOPE),
    "approvals/<int:request_id>/decide/": post_only(
        allow("manager"), body={"decision": "approve", "comment": "矩阵同意"}
    ),
    "approvals/<int:request_id>/withdraw/": post_only(allow("owner"), body={"comment": "矩阵撤回"}),
    # Everyone sets their own delegate (a bad form is re-rendered with its errors, not refused).
    "approvals/delegations/": {
        "GET": Case(ANY_USER),
        "POST": Case(
            ANY_USER, body={"delegate": "@presales", "starts_on": "2030-01-01", "ends_on": "2030-01-05"}
        ),
    },
    # The owner's delegation: the owner and the ops admin remove it; the delegate sees it (403).
    "approvals/delegations/<int:delegation_id>/delete/": post_only(allow("owner", "ops")),
    # 月度流程复盘 (pack `meetings`): the chair roles (the COO, not in the cast) act, the viewer roles
    # (the director here, and the GM) read; the director's discuss / decide are refused (403), everyone
    # else does not find the item (404) nor may open the meeting (403).
    "reviews/": {"GET": Case(REVIEW_VIEWERS), "POST": Case(METHOD_NOT_ALLOWED)},
    "reviews/<slug:meeting>/": {"GET": Case(REVIEW_VIEWERS), "POST": Case(METHOD_NOT_ALLOWED)},
    "reviews/<slug:meeting>/minutes.xlsx": {"GET": Case(REVIEW_VIEWERS), "POST": Case(METHOD_NOT_ALLOWED)},
    "reviews/<slug:meeting>/minutes.pdf": {"GET": Case(REVIEW_VIEWERS), "POST": Case(METHOD_NOT_ALLOWED)},
    "reviews/items/<int:item_id>/discuss/": post_only(NOBODY_SIGNED_IN, fill=AGENDA_ITEM),
    "reviews/items/<int:item_id>/decide/": post_only(
        NOBODY_SIGNED_IN, fill=AGENDA_ITEM, body={"decision": "矩阵决议", "owner": "@owner"}
    ),
    # Customers
    "customers/": page(ANY_USER),
    "customers/new/": post_only(ANY_USER, body={"name": "矩阵新建医院"}),
    "customers/<int:customer_id>/": page(OWNER_SCOPE),
    "customers/<int:customer_id>/opportunities/": post_only(OWNER_SCOPE, body={"title": "矩阵新商机"}),
    "customers/<int:customer_id>/claim/": post_only(
        allow(*REPS, others=REFUSED), fill={"customer_id": "pool_customer_id"}
    ),
    "customers/<int:customer_id>/release/": post_only(OWNER_SCOPE, body={"reason": "矩阵释放"}),
    "customers/<int:customer_id>/notes/": post_only(OWNER_SCOPE, body={"text": "矩阵备注"}),
    "customers/<int:customer_id>/contacts/": post_only(OWNER_SCOPE, body={"name": "矩阵联系人"}),
    "customers/<int:customer_id>/orders/": post_only(
        OWNER_SCOPE, body={"ordered_on": "2026-11-02", "amount": "100"}
    ),
    "customers/<int:customer_id>/activities/": post_only(
        allow("owner", "manager", "director", ops=REFUSED), body={"kind": "call", "duration_minutes": "3"}
    ),
    "customers/<int:customer_id>/tags/confirm/": post_only(OWNER_SCOPE, body={"accept": "1"}),
    # 临时授权: the owner and their managers grant and revoke; the ops admin sees the customer but
    # the service refuses (and the grant itself is not theirs to find); the grantee gets 404.
    "customers/<int:customer_id>/grants/": post_only(
        allow("owner", "manager", "director", ops=REFUSED),
        body={"grantee": "@presales", "days": "3", "reason": "矩阵授权"},
    ),
    "customers/<int:customer_id>/grants/<int:grant_id>/revoke/": post_only(
        OWNER_OR_MANAGERS, fill={"customer_id": "grant_customer_id"}
    ),
    # Lifting a quoting freeze: the owner's managers; the owner and the ops admin see the record
    # but the service refuses them.
    "customers/<int:customer_id>/unfreeze/": post_only(
        allow("manager", "director", owner=REFUSED, ops=REFUSED), body={"reason": "矩阵解冻"}
    ),
    # The page like its POST: the user's managers and the ops admin.
    "settings/users/<int:user_id>/handover/": {
        "GET": Case(allow("manager", "director", "ops")),
        "POST": Case(allow("manager", "director", "ops"), body={"to": "pool"}),
    },
    # 看板: everyone sees the cockpit of their own scope (a rep their own numbers).
    "dashboards/": page(ANY_USER),
    "dashboards/drill/": page(ANY_USER, query="metric=won"),
    "dashboards/drill/export.xlsx": page(ANY_USER, query="metric=won"),
    # 过程热力图 and 个人效率: everyone, within their own scope (a rep: themselves).
    "dashboards/heatmap/": page(ANY_USER),
    "dashboards/heatmap/actions/": page(ANY_USER, query=HEATMAP_CELL),
    "dashboards/heatmap/actions/export.xlsx": page(ANY_USER, query=HEATMAP_CELL),
    "dashboards/efficiency/": page(ANY_USER),
    # Process health and attribution: everyone sees their own scope (a rep their own numbers).
    "dashboards/health/": page(ANY_USER),
    "dashboards/attribution/": page(ANY_USER),
    # 漏斗数字孪生: everyone sees the forecast of their own scope (a rep: their own deals).
    "dashboards/forecast/": page(ANY_USER),
    "dashboards/forecast/backtest/": page(ANY_USER),
    # External signals of the forecast: the ops admin (and the GM, not in the cast).
    "settings/forecast-signals/": {
        "GET": Case(OPS_ONLY),
        "POST": Case(
            OPS_ONLY,
            body={
                "title": "矩阵信号",
                "product_line": "joint",
                "starts_on": "2026-12-01",
                "ends_on": "2026-12-31",
                "multiplier": "1.2",
            },
        ),
    },
    "settings/forecast-signals/<int:signal_id>/delete/": post_only(OPS_ONLY),
    # Improvement playbooks are pack text: the rule editors change them.
    "dashboards/health/playbook/<slug:code>/": {
        "GET": Case(RULE_EDITORS, fill={"code": "health_code"}),
        "POST": Case(RULE_EDITORS, fill={"code": "health_code"}, body={"playbook": "矩阵手册"}),
    },
    # Acquisition spend is the ops admin's figure.
    "dashboards/attribution/spend/": {
        "GET": Case(OPS_ONLY),
        "POST": Case(OPS_ONLY, body={"source": "wechat", "month": "2026-02", "amount": "500"}),
    },
    "dashboards/attribution/spend/<int:spend_id>/delete/": post_only(OPS_ONLY),
    "dashboards/attribution/spend/export.xlsx": page(OPS_ONLY),
    # Sent without a file: the ops admin gets the form back with the error (422), others 403.
    "dashboards/attribution/spend/import/": post_only(allow(ops=INVALID)),
    # 销售目标: sales management and the ops admin, each for their own subtree (a cell outside
    # it is simply not on their sheet); reps, finance and presales have no sheet.
    "settings/targets/": page(TARGET_SETTERS, body={"month": "2026-12", "action": "save"}),
    # 今日战报: the sales line sees its team's wall (a rep: their own team's); finance and presales
    # have no team report (403). TV links: sales management for teams in their scope (the other
    # manager's team is outside it: 400 / 404). The TV link opens for anyone holding its token.
    "battle/": {"GET": Case(BATTLE_VIEWERS), "POST": Case(METHOD_NOT_ALLOWED)},
    "battle/panels/": {"GET": Case(BATTLE_VIEWERS), "POST": Case(METHOD_NOT_ALLOWED)},
    "battle/links/": {
        "GET": Case(TV_LINK_MANAGERS),
        "POST": Case(allow("manager", "director", "ops", other_manager=INVALID), body={"team": "@team_id"}),
    },
    "battle/links/<int:link_id>/revoke/": post_only(allow("manager", "director", "ops")),
    "tv/<str:token>/": {
        "GET": Case(PUBLIC, fill={"token": "tv_token"}),
        "POST": Case(METHOD_NOT_ALLOWED_PUBLIC, fill={"token": "tv_token"}),
    },
    "tv/<str:token>/panels/": {
        "GET": Case(PUBLIC, fill={"token": "tv_token"}),
        "POST": Case(METHOD_NOT_ALLOWED_PUBLIC, fill={"token": "tv_token"}),
    },
    # 日历: anyone opens their own; a person's calendar (here the owner's) only within one's scope,
    # everyone else is told the person is not theirs to see (422 naming `user`).
    "calendar/": {"GET": Case(CALENDAR_OF_OWNER, query="user=@owner"), "POST": Case(METHOD_NOT_ALLOWED)},
    "calendar/feed/reset/": post_only(ANY_USER),
    # The feed opens by its secret token alone (the world's is the outsider's: none of the owner's
    # records; an unknown or reset token answers 404, tested in calendars).
    "cal/<str:token>.ics": {
        "GET": Case(PUBLIC, fill={"token": "cal_token"}),
        "POST": Case(METHOD_NOT_ALLOWED_PUBLIC, fill={"token": "cal_token"}),
    },
    # Pipeline
    "opportunities/": page(ANY_USER),
    "opportunities/list/": page(ANY_USER),
    "opportunities/<int:opportunity_id>/": page(OWNER_SCOPE),
    "opportunities/<int:opportunity_id>/advance/": post_only(
        OWNER_SCOPE, body={"to_stage": "proposal_quote"}
    ),
    "opportunities/<int:opportunity_id>/close/": post_only(OWNER_SCOPE, body={"outcome": "won"}),
    "opportunities/<int:opportunity_id>/evidence/": post_only(
        allow("owner", manager=REFUSED, director=REFUSED, ops=REFUSED),
        body={"requirement": "requirements_doc"},
        files=("pdf",),
    ),
    "opportunities/<int:opportunity_id>/visits/": post_only(
        allow("owner", manager=REFUSED, director=REFUSED, ops=REFUSED), body={"package": "hospital_visit"}
    ),
    "evidence/<int:evidence_id>/file/": page(OWNER_SCOPE),
    "evidence/<int:evidence_id>/delete/": post_only(
        allow("owner", manager=REFUSED, director=REFUSED, ops=REFUSED)
    ),
    "visits/<str:code>/": page(OWNER_SCOPE, fill={"code": "visit"}),
    "v/<str:code>/": page(OWNER_SCOPE, fill={"code": "visit"}),
    "v/<str:code>/evidence/": post_only(
        allow("owner", manager=REFUSED, director=REFUSED, ops=REFUSED),
        fill={"code": "visit"},
        body={"requirement": "trial_confirmation"},
        files=("pdf",),
    ),
    "v/<str:code>/complete/": post_only(
        allow("owner", manager=REFUSED, director=REFUSED, ops=REFUSED), fill={"code": "visit"}
    ),
    # The API's own routes besides the operations (the operations are in API below).
    "api/": page(allow(others=DENIED, anon=DENIED)),  # Ninja's root: nothing there (404)
    "api/openapi.json": page(PUBLIC),
    "api/docs": page(PUBLIC),
}

# Every route under this prefix is the Django admin (superusers only; nobody in the cast), GET only.
ADMIN_PREFIX = "admin/"
ADMIN_EXCEPTIONS = {
    "admin/login/": PUBLIC,
    "admin/logout/": PUBLIC,  # sends everyone back to the admin's start
}


# ---------------------------------------------------------------------------------------------
# API operations: "METHOD /path" as the OpenAPI document spells it → Case. Bodies are JSON unless
# `files` is given (multipart). "@role" in a body stands for that cast member's id.

API: dict[str, Case] = {
    "POST /api/v1/auth/token": Case(PUBLIC, body={"username": "@owner_username", "password": "@password"}),
    "GET /api/v1/me": Case(ANY_USER),
    "GET /api/v1/users": Case(ANY_USER),
    "GET /api/v1/users/{user_id}": Case(ANY_USER),  # the company directory
    "GET /api/v1/teams": Case(ANY_USER),
    "GET /api/v1/history/{record_type}/{record_id}": Case(OWNER_SCOPE),
    "GET /api/v1/timeline/{record_type}/{record_id}": Case(OWNER_SCOPE),
    "GET /api/v1/notifications": Case(ANY_USER),
    "POST /api/v1/notifications/{notification_id}/read": Case(OWNER_ONLY),
    "POST /api/v1/notifications/read-all": Case(ANY_USER),
    "GET /api/v1/tasks": Case(ANY_USER),
    "POST /api/v1/tasks/{task_id}/done": Case(OWNER_OR_MANAGERS),
    "GET /api/v1/channels": Case(ANY_USER),
    "POST /api/v1/channels": Case(
        ANY_USER, body={"kind": "email", "name": "矩阵邮件", "target": "m@example.com"}
    ),
    "PATCH /api/v1/channels/{channel_id}": Case(OWNER_OR_OPS, body={"name": "改名"}),
    "DELETE /api/v1/channels/{channel_id}": Case(OWNER_OR_OPS),
    "POST /api/v1/channels/{channel_id}/test": Case(OWNER_OR_OPS),
    "GET /api/v1/deliveries": Case(OPS_ONLY),
    "GET /api/v1/channels/allowed-targets": Case(OPS_ONLY),
    "POST /api/v1/channels/allowed-targets": Case(OPS_ONLY, body={"entry": "10.99.0.0/16", "note": "矩阵"}),
    "DELETE /api/v1/channels/allowed-targets/{allowance_id}": Case(OPS_ONLY),
    "GET /api/v1/calendar": Case(ANY_USER),
    "GET /api/v1/calendar/entries": Case(CALENDAR_OF_OWNER, query="user=@owner"),
    "POST /api/v1/calendar/feed/reset": Case(ANY_USER),
    "PUT /api/v1/calendar/{day}": Case(OPS_ONLY, body={"is_workday": False, "name": "矩阵"}),
    "GET /api/v1/deadlines": Case(OWNER_SCOPE, query="subject=customer:@customer_id"),
    "GET /api/v1/rules/pack": Case(ANY_USER),
    "GET /api/v1/rules/versions": Case(ANY_USER),
    "POST /api/v1/rules/import": Case(RULE_EDITORS, body={"yaml": "@pack_yaml_text"}),
    "POST /api/v1/rules/rollback": Case(RULE_EDITORS),
    "PUT /api/v1/rules/rules/{code}": Case(RULE_EDITORS, body={"@rule_document": ""}, fill={"code": "rule"}),
    "POST /api/v1/rules/simulate": Case(
        RULE_EDITORS, body={"rule": "@rule", "start": "2026-11-01", "end": "2026-11-30"}
    ),
    "GET /api/v1/leads": Case(ANY_USER),
    "GET /api/v1/leads/{lead_id}": Case(OWNER_SCOPE),
    "POST /api/v1/leads/{lead_id}/acknowledge": Case(OWNER_SCOPE),
    "POST /api/v1/leads/{lead_id}/claim": Case(REPS_ONLY, fill={"lead_id": "pool_lead_id"}),
    "POST /api/v1/leads/{lead_id}/reassign": Case(
        allow("manager", "director", "ops"), body={"to": "@teammate", "reason": "矩阵"}
    ),
    # Integration accounts only (nobody in the cast).
    "POST /api/v1/leads/{lead_id}/behaviour": Case(
        NOBODY_SIGNED_IN, body={"kind": "page_view", "at": "2026-11-02T10:00:00+08:00"}
    ),
    "GET /api/v1/forms": Case(OPS_ONLY),
    "POST /api/v1/leads": Case(
        LEAD_ENTERERS, body={"name": "矩阵接口录入", "phone": "13800006666", "company": "矩阵接口医院"}
    ),
    "POST /api/v1/leads/{lead_id}/convert": Case(OWNER_OR_MANAGERS, body={"opportunity_title": "矩阵转化"}),
    "GET /api/v1/intake/{key}": Case(PUBLIC),
    # The website gets an acknowledgement only: no owner, score or duplicate id.
    "POST /api/v1/intake/{key}": Case(
        PUBLIC,
        body={"name": "矩阵访客", "phone": "@lead_phone", "industry_segment": "@segment"},
    ),
    "POST /api/v1/activities": Case(
        OWNER_OR_MANAGERS,
        body={
            "customer": "@customer_id",
            "kind": "call",
            "occurred_at": "@an_hour_ago",
            "duration_seconds": 120,
        },
        # Out of scope, the record is not found (404); the ops admin sees it but may not log (403).
    ),
    "GET /api/v1/search": Case(ANY_USER, query="q=ab"),
    "GET /api/v1/customers": Case(ANY_USER),
    "POST /api/v1/customers": Case(ANY_USER, body={"name": "矩阵新建医院"}),
    "GET /api/v1/customers/{customer_id}": Case(OWNER_SCOPE),
    "POST /api/v1/customers/{customer_id}/claim": Case(REPS_ONLY, fill={"customer_id": "pool_customer_id"}),
    "POST /api/v1/customers/{customer_id}/release": Case(OWNER_SCOPE, body={"reason": "矩阵释放"}),
    "POST /api/v1/customers/{customer_id}/unfreeze": Case(
        allow("manager", "director"), body={"reason": "矩阵解冻"}
    ),
    "GET /api/v1/customers/{customer_id}/notes": Case(OWNER_SCOPE),
    "POST /api/v1/customers/{customer_id}/notes": Case(OWNER_SCOPE, body={"text": "矩阵备注"}),
    "POST /api/v1/customers/{customer_id}/contacts": Case(OWNER_SCOPE, body={"name": "矩阵联系人"}),
    "POST /api/v1/customers/{customer_id}/orders": Case(
        OWNER_SCOPE, body={"ordered_on": "2026-11-02", "amount": "100"}
    ),
    "POST /api/v1/customers/{customer_id}/tags/confirm": Case(OWNER_SCOPE, body={"accept": True}),
    # 临时授权: the owner and their managers; the ops admin sees the customer but gets 403, the
    # grantee (presales) 404 on the customer and 403 on revoking their own grant.
    "GET /api/v1/customers/{customer_id}/grants": Case(OWNER_OR_MANAGERS),
    "POST /api/v1/customers/{customer_id}/grants": Case(
        OWNER_OR_MANAGERS, body={"grantee_id": "@presales", "days": 3, "reason": "矩阵授权"}
    ),
    # What was granted to the caller: everyone has such a list (empty for most).
    "GET /api/v1/grants/received": Case(ANY_USER),
    "POST /api/v1/grants/{grant_id}/revoke": Case(OWNER_OR_MANAGERS),
    "GET /api/v1/grants/{grant_id}/reads": Case(OWNER_OR_MANAGERS),
    "POST /api/v1/users/{user_id}/handover": Case(allow("manager", "director", "ops"), body={"to": "pool"}),
    "GET /api/v1/opportunities": Case(ANY_USER),
    # Naming a customer one cannot see is a field error (422), like any unknown id in a body.
    "POST /api/v1/opportunities": Case(
        allow("owner", "manager", "director", "ops", others=INVALID),
        body={"customer": "@customer_id", "title": "矩阵新商机"},
    ),
    "GET /api/v1/opportunities/{opportunity_id}": Case(OWNER_SCOPE),
    "POST /api/v1/opportunities/{opportunity_id}/advance": Case(
        OWNER_SCOPE, body={"to_stage": "proposal_quote"}
    ),
    "POST /api/v1/opportunities/{opportunity_id}/close": Case(OWNER_SCOPE, body={"outcome": "won"}),
    "GET /api/v1/pipelines": Case(ANY_USER),
    "POST /api/v1/evidence": Case(
        OWNER_ONLY, body={"opportunity": "@opportunity_id", "requirement": "requirements_doc"}, files=("pdf",)
    ),
    "DELETE /api/v1/evidence/{evidence_id}": Case(OWNER_ONLY),
    "GET /api/v1/evidence/{evidence_id}/file": Case(OWNER_SCOPE),
    "GET /api/v1/opportunities/{opportunity_id}/evidence": Case(OWNER_SCOPE),
    "POST /api/v1/visits": Case(
        allow("owner", others=INVALID, manager=DENIED, director=DENIED, ops=DENIED),
        body={"customer": "@customer_id", "package": "hospital_visit"},
    ),
    "GET /api/v1/visits/{code}": Case(OWNER_SCOPE, fill={"code": "visit"}),
    "POST /api/v1/visits/{code}/complete": Case(OWNER_ONLY, fill={"code": "visit"}),
    "POST /api/v1/imports/{kind}": Case(
        IMPORTERS, files=("customers_xlsx",), body={"dry_run": "true", "mode": "upsert"}
    ),
    # An import job: who started it (the manager) and the ops admin.
    "GET /api/v1/imports/jobs/{job_id}": Case(allow("manager", "ops")),
    "GET /api/v1/imports/jobs/{job_id}/skipped.xlsx": Case(allow("manager", "ops")),
    "GET /api/v1/exports/{kind}.xlsx": Case(ANY_USER),
    "GET /api/v1/products": Case(ANY_USER),
    "POST /api/v1/products": Case(
        CATALOG_EDITORS, body={"sku": "MX-NEW-2", "name": "矩阵新产品", "list_price": "100"}
    ),
    "GET /api/v1/products/{product_id}": Case(ANY_USER),
    "PATCH /api/v1/products/{product_id}": Case(CATALOG_EDITORS, body={"name": "改名"}),
    # On a price list: 409 for the editors (discontinue it instead).
    "DELETE /api/v1/products/{product_id}": Case(CATALOG_EDITORS),
    # The price for a customer: scoped like the customer.
    "GET /api/v1/products/{product_id}/price": Case(OWNER_SCOPE, query="customer=@customer_id"),
    "GET /api/v1/price-lists": Case(ANY_USER),
    "POST /api/v1/price-lists": Case(
        CATALOG_EDITORS, body={"name": "矩阵新价格表", "region": "@region_id", "valid_from": "2026-01-01"}
    ),
    "GET /api/v1/price-lists/{price_list_id}": Case(ANY_USER),
    "PATCH /api/v1/price-lists/{price_list_id}": Case(CATALOG_EDITORS, body={"note": "矩阵"}),
    "DELETE /api/v1/price-lists/{price_list_id}": Case(CATALOG_EDITORS),
    "PUT /api/v1/price-lists/{price_list_id}/items/{product_id}": Case(CATALOG_EDITORS, body={"price": "77"}),
    "DELETE /api/v1/price-lists/{price_list_id}/items/{product_id}": Case(CATALOG_EDITORS),
    "GET /api/v1/quotes": Case(ANY_USER),
    "POST /api/v1/quotes": Case(
        OWNER_SCOPE, body={"opportunity_id": "@quote_opportunity_id", "title": "矩阵 API 报价", **QUOTE_LINES}
    ),
    "GET /api/v1/quotes/{quote_id}": Case(QUOTE_READERS),
    "PUT /api/v1/quotes/{quote_id}": Case(QUOTE_WORKERS, body=QUOTE_LINES),
    "POST /api/v1/quotes/{quote_id}/revise": Case(QUOTE_WORKERS, fill=SENT_QUOTE),
    "POST /api/v1/quotes/{quote_id}/submit": Case(QUOTE_WORKERS, body={"comment": "请审批"}),
    "POST /api/v1/quotes/{quote_id}/send": Case(QUOTE_WORKERS, fill=PLAIN_QUOTE),
    "POST /api/v1/quotes/{quote_id}/feedback": Case(
        QUOTE_WORKERS, fill=SENT_QUOTE, body={"outcome": "feedback", "note": "客户要求再议"}
    ),
    "POST /api/v1/quotes/{quote_id}/attachments": Case(
        QUOTE_WORKERS, body={"code": "competitor_sheet"}, files=("pdf",)
    ),
    "GET /api/v1/opportunities/{opportunity_id}/quote-defaults": Case(OWNER_SCOPE),
    "GET /api/v1/quotes/{quote_id}/versions/{number}/pdf": Case(QUOTE_READERS, fill=SENT_PDF),
    "GET /api/v1/contracts": Case(ANY_USER),
    "POST /api/v1/contracts": Case(CONTRACT_WORKERS, body={"quote_id": "@contract_quote_id"}),
    "GET /api/v1/contracts/{contract_id}": Case(CONTRACT_READERS),
    "PATCH /api/v1/contracts/{contract_id}": Case(CONTRACT_WORKERS, body={"title": "矩阵 API 合同"}),
    "PUT /api/v1/contracts/{contract_id}/plan": Case(
        CONTRACT_WORKERS, body={"instalments": [{"name": "全款", "milestone": "signing", "pct": "100"}]}
    ),
    "POST /api/v1/contracts/{contract_id}/review": Case(CONTRACT_WORKERS, body={"comment": "矩阵"}),
    "POST /api/v1/contracts/{contract_id}/sign": Case(allow("owner"), fill=PLAIN_CONTRACT, files=("pdf",)),
    "POST /api/v1/contracts/{contract_id}/deliver": Case(CONTRACT_WORKERS, fill=SIGNED_CONTRACT, body={}),
    "POST /api/v1/contracts/{contract_id}/complete": Case(CONTRACT_WORKERS, fill=SIGNED_CONTRACT, body={}),
    "POST /api/v1/contracts/{contract_id}/terminate": Case(CONTRACT_WORKERS, body={"reason": "矩阵终止"}),
    "POST /api/v1/instalments/{instalment_id}/request": Case(CONTRACT_WORKERS, body={"note": ""}),
    "POST /api/v1/instalments/{instalment_id}/receipts": Case(allow("finance"), body=RECEIPT),
    "POST /api/v1/instalments/{instalment_id}/reschedule": Case(
        CONTRACT_WORKERS, body={"due_date": "2030-01-02"}
    ),
    "GET /api/v1/receivables": Case(ANY_USER),
    "GET /api/v1/receivables/items": Case(ANY_USER),
    "GET /api/v1/approvals": Case(ANY_USER),
    "GET /api/v1/approvals/{request_id}": Case(OWNER_SCOPE),
    "POST /api/v1/approvals/{request_id}/approve": Case(allow("manager"), body={"comment": "矩阵同意"}),
    "POST /api/v1/approvals/{request_id}/reject": Case(allow("manager"), body={"comment": "矩阵驳回"}),
    "POST /api/v1/approvals/{request_id}/return": Case(allow("manager"), body={"comment": "矩阵退回"}),
    "POST /api/v1/approvals/{request_id}/withdraw": Case(allow("owner"), body={"comment": "矩阵撤回"}),
    "GET /api/v1/approval-delegations": Case(ANY_USER),
    # Naming oneself as one's delegate is a field error (the presales engineer here).
    "POST /api/v1/approval-delegations": Case(
        allow(*SIGNED_IN, presales=INVALID),
        body={"delegate": "@presales", "starts_on": "2030-01-01", "ends_on": "2030-01-05"},
    ),
    "PATCH /api/v1/approval-delegations/{delegation_id}": Case(
        allow("owner", "ops"), body={"reason": "矩阵"}
    ),
    "DELETE /api/v1/approval-delegations/{delegation_id}": Case(allow("owner", "ops")),
    "GET /api/v1/analytics/cockpit": Case(ANY_USER),
    "GET /api/v1/analytics/drill": Case(ANY_USER, query="metric=won"),
    "GET /api/v1/analytics/heatmap": Case(ANY_USER),
    "GET /api/v1/analytics/efficiency": Case(ANY_USER),
    "GET /api/v1/analytics/health": Case(ANY_USER),
    "GET /api/v1/analytics/attribution": Case(ANY_USER),
    "GET /api/v1/analytics/forecast": Case(ANY_USER),
    "GET /api/v1/analytics/forecast/backtest": Case(ANY_USER),
    "GET /api/v1/analytics/forecast-signals": Case(OPS_ONLY),
    "POST /api/v1/analytics/forecast-signals": Case(
        OPS_ONLY,
        body={
            "title": "矩阵信号",
            "product_line": "joint",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-31",
            "multiplier": "1.2",
        },
    ),
    "DELETE /api/v1/analytics/forecast-signals/{signal_id}": Case(OPS_ONLY),
    "GET /api/v1/analytics/acquisition-spend": Case(OPS_ONLY),
    "POST /api/v1/analytics/acquisition-spend": Case(
        OPS_ONLY, body={"source": "wechat", "month": "2026-03-01", "amount": "800"}
    ),
    "DELETE /api/v1/analytics/acquisition-spend/{spend_id}": Case(OPS_ONLY),
    "GET /api/v1/analytics/targets": Case(TARGET_SETTERS),
    "PUT /api/v1/analytics/targets": Case(
        allow("manager", "director", "ops", other_manager=INVALID),
        body={"month": "2026-12-01", "targets": [{"team": "@team_id", "amount": "300000"}]},
    ),
    "GET /api/v1/reviews/{meeting}/agenda": Case(REVIEW_VIEWERS),
    "GET /api/v1/reviews/{meeting}/minutes.xlsx": Case(REVIEW_VIEWERS),
    "GET /api/v1/reviews/{meeting}/minutes.pdf": Case(REVIEW_VIEWERS),
    "POST /api/v1/reviews/items/{item_id}/discuss": Case(NOBODY_SIGNED_IN, body={}, fill=AGENDA_ITEM),
    "POST /api/v1/reviews/items/{item_id}/decision": Case(
        NOBODY_SIGNED_IN, body={"decision": "矩阵决议", "owner": "@owner"}, fill=AGENDA_ITEM
    ),
    "GET /api/v1/analytics/battle": Case(BATTLE_VIEWERS),
    "GET /api/v1/analytics/battle/links": Case(TV_LINK_MANAGERS),
    "POST /api/v1/analytics/battle/links": Case(
        allow("manager", "director", "ops", other_manager=INVALID), body={"team": "@team_id"}
    ),
    "POST /api/v1/analytics/battle/links/{link_id}/revoke": Case(allow("manager", "director", "ops")),
    "GET /api/v1/workorder-types": Case(ANY_USER),
    "GET /api/v1/workorders": Case(ANY_USER),
    # Raised from a customer the caller may see; any other customer is 422 naming customer_id.
    "POST /api/v1/workorders": Case(
        allow("owner", "manager", "director", "ops", others=INVALID),
        body={
            "type": "custom_solution",
            "title": "矩阵 API 工单",
            "customer_id": "@workorder_customer_id",
            "form_values": {"requirement": "矩阵", "product_line": "spine"},
        },
    ),
    "GET /api/v1/workorder-queues/{department}": Case(ANY_USER, fill={"department": "wo_department"}),
    "GET /api/v1/workorders/{workorder_id}": Case(WORKORDER_READERS),
    "POST /api/v1/workorders/{workorder_id}/acknowledgements": Case(WORKORDER_PARTIES, body={}),
    "POST /api/v1/workorders/{workorder_id}/assign": Case(
        WORKORDER_HANDLERS, body={"assignee_id": "@presales"}
    ),
    # The world's order carries the screenshot the first state change needs: handlers move it on.
    "POST /api/v1/workorders/{workorder_id}/transitions": Case(
        WORKORDER_HANDLERS, body={"to_state": "draft_done"}
    ),
    "POST /api/v1/workorders/{workorder_id}/attachments": Case(
        WORKORDER_READERS, files=("jpeg",), body={"kind": "screenshot"}
    ),
    "POST /api/v1/workorders/{workorder_id}/comments": Case(WORKORDER_READERS, body={"body": "矩阵评论"}),
    "POST /api/v1/workorders/{workorder_id}/close": Case(WORKORDER_CLOSERS, body={"reason": "矩阵关闭"}),
}


# ---------------------------------------------------------------------------------------------
# Generic record routes (timeline, history, deadlines) for every registered record type: the
# type → the world's id of a record of that type → who may read it. A newly registered type
# fails the matrix until it is declared here.

RECORD_TYPES: dict[str, tuple[str, Policy]] = {
    "customer": ("customer_id", OWNER_SCOPE),
    "lead": ("lead_id", OWNER_SCOPE),
    "opportunity": ("opportunity_id", OWNER_SCOPE),
    "task": ("task_id", OWNER_SCOPE),  # the assignee's to-do
    "user": ("user_id", OWNER_SCOPE),  # the owner's own person record
    "team": ("team_id", ANY_USER),  # the team tree is public inside the company
    "rulepack": ("version_id", ANY_USER),  # everyone may read the rules
    "product": ("product_id", ANY_USER),  # the catalogue is read by everyone (costs masked)
    "price_list": ("price_list_id", ANY_USER),
    "quote": ("quote_id", QUOTE_READERS),
    "contract": ("contract_id", CONTRACT_READERS),
    "payment": ("instalment_id", CONTRACT_READERS),
    "approval_request": ("request_id", OWNER_SCOPE),
    "approval_step": ("step_id", OWNER_SCOPE),
    # A temporary grant: the customer's owner and their managers, and its grantee (presales).
    "customer_grant": ("grant_id", allow("owner", "manager", "director", "presales")),
    "workorder": ("workorder_id", WORKORDER_READERS),
}
RECORD_ROUTES = (
    "/records/{type}/{id}/timeline/",
    "/records/{type}/{id}/history/",
    "/api/v1/timeline/{type}/{id}",
    "/api/v1/history/{type}/{id}",
    "/api/v1/deadlines?subject={type}:{id}",
)
