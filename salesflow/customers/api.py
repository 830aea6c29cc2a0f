"""REST endpoints of customers: the list and pool, claim and release, notes, contacts, orders, handover,
and temporary grants (临时授权) with their read log."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from salesflow.core import clock
from salesflow.core.api import OwnerRef
from salesflow.core.errors import FieldErrors, NotFound, PermissionDenied
from salesflow.core.lookups import visible_or_404
from salesflow.core.pagination import keyset_page
from salesflow.customers import selectors, services
from salesflow.customers.models import Customer, CustomerGrant
from salesflow.notify.services import readable_or_404
from salesflow.org.api import current_user
from salesflow.org.models import User
from salesflow.rules.selectors import is_frozen
from salesflow.timers.selectors import deadlines_for, sla_rows
from salesflow.workflows import services as workflows

router = Router(tags=["customers"])


class HealthFactor(Schema):
    factor: str
    points: float
    detail: str


class CustomerOut(Schema):
    id: int
    name: str
    region: str | None
    industry_segment: str
    customer_tier: str
    customer_class: str
    proposed_class: str
    address: str
    payment_term: str
    owner: OwnerRef | None
    claimed_at: datetime | None
    last_interaction_at: datetime | None
    release_due_at: datetime | None
    health_score: int
    health_factors: list[HealthFactor]
    quoting_frozen: bool
    created_at: datetime


def _out(
    customer: Customer, *, release_due_at: datetime | None = None, quoting_frozen: bool = False
) -> CustomerOut:
    owner = customer.owner
    return CustomerOut(
        id=customer.pk,
        name=customer.name,
        region=customer.region.name if customer.region else None,
        industry_segment=customer.industry_segment,
        customer_tier=customer.customer_tier,
        customer_class=customer.customer_class,
        proposed_class=customer.proposed_class,
        address=customer.address,
        payment_term=customer.payment_term,
        owner=OwnerRef(id=owner.pk, username=owner.username) if owner else None,
        claimed_at=customer.claimed_at,
        last_interaction_at=customer.last_interaction_at,
        release_due_at=release_due_at,
        health_score=customer.health_score,
        health_factors=[HealthFactor(**f) for f in customer.health_factors],
        quoting_frozen=quoting_frozen,
        created_at=customer.created_at,
    )


class CustomerPage(Schema):
    items: list[CustomerOut]
    next: str | None


@router.get("/customers", response=CustomerPage)
def list_customers(
    request: HttpRequest,
    pool: bool = False,
    q: str = "",
    owner: str | None = None,
    industry_segment: str = "",
    customer_tier: str = "",
    customer_class: str = "",
    cursor: str | None = None,
    limit: int = 50,
) -> CustomerPage:
    """Visible customers; `pool=true` lists the unowned ones; `q` searches name, pinyin, initials, phone."""
    filters = selectors.CustomerFilters(
        q=q,
        owner=owner or "",
        pool=pool,
        industry_segment=industry_segment,
        customer_tier=customer_tier,
        customer_class=customer_class,
    )
    qs = selectors.customers_list(user=current_user(request), filters=filters)
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit, newest_first=True)
    return CustomerPage(items=[_out(c) for c in rows], next=next_cursor)


class CustomerIn(Schema):
    name: str
    industry_segment: str = ""
    customer_tier: str = ""
    address: str = ""
    payment_term: str = ""
    claim: bool = True


@router.post("/customers", response={201: CustomerOut})
def create_customer(request: HttpRequest, payload: CustomerIn) -> Status[CustomerOut]:
    """Create a customer (owned by the creating rep when `claim`, else in the pool); 409 on a duplicate."""
    me = current_user(request)
    customer = services.customer_create(
        name=payload.name,
        industry_segment=payload.industry_segment,
        customer_tier=payload.customer_tier,
        address=payload.address,
        payment_term=payload.payment_term,
        owner=me if payload.claim and me.role == "rep" else None,
        actor=me,
    )
    return Status(201, _out(customer, release_due_at=selectors.release_due_of(customer)))


def visible(request: HttpRequest, customer_id: int) -> Customer:
    """One customer the caller may see, or 404."""
    me = current_user(request)
    return readable_or_404(selectors.customers_visible_to(me), customer_id, reader=me)


class ContactOut(Schema):
    id: int
    name: str
    title: str
    phone: str
    email: str


class OrderOut(Schema):
    id: int
    ordered_on: date
    amount: Decimal
    product_lines: list[str]
    models_bought: str
    payment_term: str
    reference: str


class CustomerDetail(CustomerOut):
    contacts: list[ContactOut]
    orders: list[OrderOut]
    sla: list[dict[str, Any]]
    smart_fill: dict[str, Any]


@router.get("/customers/{customer_id}", response=CustomerDetail)
def get_customer(request: HttpRequest, customer_id: int) -> CustomerDetail:
    """One customer with contacts, recent orders, health factors, timers and smart-fill defaults."""
    customer = visible(request, customer_id)
    deadlines = list(deadlines_for(customer).order_by("due_at"))
    frozen = is_frozen(customer, "quoting") is not None
    base = _out(customer, release_due_at=selectors.release_due_of(customer), quoting_frozen=frozen)
    return CustomerDetail(
        **base.dict(),
        contacts=[ContactOut.from_orm(c) for c in selectors.contacts_of(customer)],
        orders=[OrderOut.from_orm(o) for o in selectors.orders_of(customer)[:50]],
        sla=sla_rows(deadlines, now=clock.now()),
        smart_fill=selectors.smart_fill(customer),
    )


@router.post("/customers/{customer_id}/claim", response=CustomerOut)
def claim(request: HttpRequest, customer_id: int) -> CustomerOut:
    """Take a pool customer; 409 names the owner when someone else was first."""
    me = current_user(request)
    target = selectors.claim_target(me, customer_id)
    if target is None:
        raise NotFound(f"No customer {customer_id}.", id=customer_id)
    customer = services.customer_claim(customer=target, actor=me)
    return _out(customer, release_due_at=selectors.release_due_of(customer))


class ReleaseIn(Schema):
    reason: str


@router.post("/customers/{customer_id}/release", response=CustomerOut)
def release(request: HttpRequest, customer_id: int, payload: ReleaseIn) -> CustomerOut:
    """Return a customer to the pool by hand, with a reason (owner or their managers)."""
    customer = services.customer_release(
        customer=visible(request, customer_id), reason=payload.reason, actor=current_user(request)
    )
    return _out(customer)


class UnfreezeIn(Schema):
    reason: str
    scope: str = "quoting"


@router.post("/customers/{customer_id}/unfreeze", response=CustomerOut)
def unfreeze(request: HttpRequest, customer_id: int, payload: UnfreezeIn) -> CustomerOut:
    """Lift a quoting freeze (阶段熔断) by hand with a reason: a manager, director or GM over the owner."""
    customer = services.customer_unfreeze(
        customer=visible(request, customer_id),
        reason=payload.reason,
        scope=payload.scope,
        actor=current_user(request),
    )
    return _out(
        customer,
        release_due_at=selectors.release_due_of(customer),
        quoting_frozen=is_frozen(customer, "quoting") is not None,
    )


class NoteIn(Schema):
    text: str
    private: bool = False


class NoteOut(Schema):
    id: int
    text: str
    private: bool
    author: OwnerRef
    created_at: datetime


def _note_out(note: Any) -> NoteOut:
    return NoteOut(
        id=note.pk,
        text=note.text,
        private=note.private,
        author=OwnerRef(id=note.author.pk, username=note.author.username),
        created_at=note.created_at,
    )


@router.get("/customers/{customer_id}/notes", response=list[NoteOut])
def list_notes(request: HttpRequest, customer_id: int) -> list[NoteOut]:
    """Shared notes and the caller's own private ones; nobody else's private notes, whoever asks."""
    customer = visible(request, customer_id)
    return [_note_out(n) for n in selectors.notes_visible_to(current_user(request), customer)]


@router.post("/customers/{customer_id}/notes", response={201: NoteOut})
def add_note(request: HttpRequest, customer_id: int, payload: NoteIn) -> Status[NoteOut]:
    """Write a note; `private: true` keeps it to its author."""
    note = services.note_add(
        customer=visible(request, customer_id),
        author=current_user(request),
        text=payload.text,
        private=payload.private,
    )
    return Status(201, _note_out(note))


class ContactIn(Schema):
    name: str
    title: str = ""
    phone: str = ""
    email: str = ""


@router.post("/customers/{customer_id}/contacts", response={201: ContactOut})
def add_contact(request: HttpRequest, customer_id: int, payload: ContactIn) -> Status[ContactOut]:
    """Add a contact person."""
    contact = services.contact_add(
        customer=visible(request, customer_id), actor=current_user(request), **payload.dict()
    )
    return Status(201, ContactOut.from_orm(contact))


class OrderIn(Schema):
    ordered_on: date
    amount: Decimal
    product_lines: list[str] = []
    models_bought: str = ""
    payment_term: str = ""
    reference: str = ""


@router.post("/customers/{customer_id}/orders", response={201: OrderOut})
def add_order(request: HttpRequest, customer_id: int, payload: OrderIn) -> Status[OrderOut]:
    """Record an order; tag rules and health are evaluated at once."""
    order = services.order_add(
        customer=visible(request, customer_id), actor=current_user(request), **payload.dict()
    )
    return Status(201, OrderOut.from_orm(order))


class ConfirmIn(Schema):
    accept: bool


@router.post("/customers/{customer_id}/tags/confirm", response=CustomerOut)
def confirm_tag(request: HttpRequest, customer_id: int, payload: ConfirmIn) -> CustomerOut:
    """Confirm or dismiss the proposed customer class."""
    customer = services.tag_confirm(
        customer=visible(request, customer_id), accept=payload.accept, actor=current_user(request)
    )
    return _out(customer)


class HandoverIn(Schema):
    to: int | str


class HandoverOut(Schema):
    customers: int
    leads: int
    opportunities: int
    contracts: int


@router.post("/users/{user_id}/handover", response=HandoverOut)
def handover(request: HttpRequest, user_id: int, payload: HandoverIn) -> HandoverOut:
    """Move a leaving rep's customers, leads and open opportunities to `to` (a user id) or "pool"."""
    me = current_user(request)
    user = visible_or_404(User.objects.all(), user_id)
    if payload.to == "pool":
        to = None
    else:
        to = User.objects.filter(pk=int(payload.to)).first() if str(payload.to).isdigit() else None
        if to is None:
            raise FieldErrors({"to": ['应为在职销售的 id 或 "pool" / a user id or "pool"']})
    return HandoverOut(**workflows.user_handover(user=user, to=to, actor=me))


# 临时授权 (temporary grants) ------------------------------------------------------------------


class GrantIn(Schema):
    grantee_id: int | None = None
    days: int | None = None
    reason: str = ""
    scope: str = "quotes"


class GrantOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    grantee: OwnerRef
    granted_by: OwnerRef
    scope: str
    scope_label: str
    reason: str
    starts_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: OwnerRef | None
    expired_at: datetime | None
    live: bool


def _ref(user: User | None) -> OwnerRef | None:
    return OwnerRef(id=user.pk, username=user.username) if user is not None else None


def _grant_out(grant: CustomerGrant) -> GrantOut:
    grantee, granted_by = _ref(grant.grantee), _ref(grant.granted_by)
    assert grantee is not None and granted_by is not None
    return GrantOut(
        id=grant.pk,
        customer_id=grant.customer_id,
        customer_name=grant.customer.name,
        grantee=grantee,
        granted_by=granted_by,
        scope=grant.scope,
        scope_label=str(grant.get_scope_display()),
        reason=grant.reason,
        starts_at=grant.starts_at,
        expires_at=grant.expires_at,
        revoked_at=grant.revoked_at,
        revoked_by=_ref(grant.revoked_by),
        expired_at=grant.expired_at,
        live=grant.is_live(clock.now()),
    )


def _grantable(request: HttpRequest, customer_id: int) -> Customer:
    """A customer the caller may see (else 404) and grant access to (else 403)."""
    customer = visible(request, customer_id)
    if not selectors.may_grant(current_user(request), customer):
        raise PermissionDenied(
            "只有客户负责人或其上级可以管理临时授权 / Only the owner or their managers manage grants."
        )
    return customer


@router.get("/customers/{customer_id}/grants", response=list[GrantOut])
def list_grants(request: HttpRequest, customer_id: int) -> list[GrantOut]:
    """The customer's temporary grants (临时授权), newest first: for its owner and their managers."""
    customer = _grantable(request, customer_id)
    return [_grant_out(g) for g in selectors.grants_of(customer, limit=200)]


@router.post("/customers/{customer_id}/grants", response={201: GrantOut})
def create_grant(request: HttpRequest, customer_id: int, payload: GrantIn) -> Status[GrantOut]:
    """Let a colleague (`grantee_id`) read the customer's quotes for `days` (the pack's default when
    left out, at most its `grants.max_days`), with a `reason`; 422 names the bad field."""
    customer = _grantable(request, customer_id)
    grantee = User.objects.filter(pk=payload.grantee_id).first() if payload.grantee_id else None
    grant = services.grant_create(
        customer=customer,
        grantee=grantee,
        actor=current_user(request),
        days=payload.days,
        reason=payload.reason,
        scope=payload.scope,
    )
    return Status(201, _grant_out(grant))


@router.get("/grants/received", response=list[GrantOut])
def list_received_grants(request: HttpRequest) -> list[GrantOut]:
    """The temporary grants given to the caller (授权给我的): those in force first (`live`), then
    the ended ones; a customer's quotes are `GET /quotes?customer=<customer_id>`."""
    return [_grant_out(g) for g in selectors.grants_received_by(current_user(request), limit=200)]


@router.post("/grants/{grant_id}/revoke", response=GrantOut)
def revoke_grant(request: HttpRequest, grant_id: int) -> GrantOut:
    """End a live grant at once (the customer's owner, their managers or the granter); 409 when it
    already ended."""
    me = current_user(request)
    grant = visible_or_404(selectors.grants_visible_to(me), grant_id)
    return _grant_out(services.grant_revoke(grant=grant, actor=me))


class GrantReadOut(Schema):
    id: int
    grant_id: int
    reader: OwnerRef
    kind: str
    kind_label: str
    object_id: int | None
    object_label: str
    read_at: datetime


@router.get("/grants/{grant_id}/reads", response=list[GrantReadOut])
def list_grant_reads(request: HttpRequest, grant_id: int) -> list[GrantReadOut]:
    """Every read made through a grant, newest first: for the customer's owner and their managers."""
    grant = visible_or_404(selectors.grants_managed_by(current_user(request)), grant_id)
    return [
        GrantReadOut(
            id=r.pk,
            grant_id=r.grant_id,
            reader=OwnerRef(id=r.reader.pk, username=r.reader.username),
            kind=r.kind,
            kind_label=str(r.get_kind_display()),
            object_id=r.object_id,
            object_label=r.object_label,
            read_at=r.read_at,
        )
        for r in selectors.grant_reads([grant.pk], limit=1000)
    ]
