"""Reads of customers, scoped to who is asking; private notes only ever reach their author."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from salesflow.core import normalize
from salesflow.core.lookups import owned_by, search_term
from salesflow.core.models import Event
from salesflow.core.pagination import EPOCH, NO_DEADLINE, OWNER_KEY, SortKey, with_light
from salesflow.customers.models import Contact, Customer, CustomerGrant, CustomerNote, GrantRead, Order
from salesflow.notify.selectors import with_open_tasks
from salesflow.org.choices import MANAGING_ROLES, Role
from salesflow.org.models import User
from salesflow.org.selectors import owned_in_team, owner_scope_q, visible_owner_ids
from salesflow.rules.selectors import active_pack
from salesflow.timers.models import Deadline


def customers_visible_to(user: User) -> QuerySet[Customer]:
    """Own customers, the pool, those one holds an open task about, and for managers their people's."""
    return Customer.objects.filter(with_open_tasks(user, owner_scope_q(user), Customer)).select_related(
        "owner", "region"
    )


@dataclass(frozen=True)
class CustomerFilters:
    """What a list of customers may be narrowed by: the API's query, the 客户 page's and the export's."""

    q: str = ""
    owner: str = ""  # "me" or a user id
    pool: bool = False
    industry_segment: str = ""
    customer_tier: str = ""
    customer_class: str = ""
    team: str = ""  # a team id: owners in this team or beneath it
    light: str = ""  # the health light: red / yellow / green / grey


TAG_FILTERS = ("industry_segment", "customer_tier", "customer_class")


def customers_list(*, user: User | None, filters: CustomerFilters) -> QuerySet[Customer]:
    """The customers `user` sees (every customer when None: the server's CLI) narrowed by `filters`.

    A value that cannot be a filter is a FieldErrors naming the query parameter.
    """
    qs = (
        customers_visible_to(user) if user is not None else Customer.objects.select_related("owner", "region")
    )
    qs = owned_in_team(qs, filters.team)
    if filters.light:
        qs = with_light(with_list_keys(qs), filters.light)
    if filters.pool:
        qs = qs.filter(owner__isnull=True)
    qs = owned_by(qs, filters.owner, user)
    for name in TAG_FILTERS:
        value = getattr(filters, name).strip()
        if value:
            qs = qs.filter(**{name: value})
    return search(qs, search_term(filters.q))


def claim_target(user: User, customer_id: int) -> Customer | None:
    """The customer a rep asks to claim: one they see, or one a colleague just took from the pool.

    A rep does not see colleagues' customers, so a pool customer claimed a moment earlier by
    someone else would answer "no such customer"; the claim service instead answers 409 naming
    the owner. Only a customer whose current ownership began with a claim from the pool (one
    every rep could see in the pool) is reached this way — never another colleague's record.
    """
    customer = customers_visible_to(user).filter(pk=customer_id).first()
    if customer is not None or user.role != Role.REP:
        return customer
    # The claim service's own event: the owner took it themselves. Creating with an owner
    # (`via`), importing (`via`) and handing over (`from`) record `customer.claimed` too.
    claimed_from_pool = Event.objects.filter(
        name="customer.claimed",
        subject_type=Customer._meta.label_lower,
        subject_id=OuterRef("pk"),
        occurred_at=OuterRef("claimed_at"),
        actor=OuterRef("owner"),
    ).exclude(Q(payload__has_key="via") | Q(payload__has_key="from"))
    return (
        Customer.objects.filter(pk=customer_id, owner__isnull=False).filter(Exists(claimed_from_pool)).first()
    )


def pool() -> QuerySet[Customer]:
    """Unowned customers (客户资源池)."""
    return Customer.objects.filter(owner__isnull=True)


# Terms this long are looked up in the trigram index (a trigram needs three characters);
# shorter ones, which no trigram index can narrow, keep the scan.
TRIGRAM_MIN = 3
# The SQLite FTS5 trigram table over `search_text` and `initials_grams` (migration 0005, kept
# current by triggers).
SEARCH_FTS = "customers_customer_search"


def search(qs: QuerySet[Customer], text: str) -> QuerySet[Customer]:
    """Match Chinese name, full pinyin, pinyin initials (`hzyl` finds 杭州…医疗…), phone or contact.

    Initials match as a subsequence anchored at the first character, so the letters of the
    words one remembers are enough; every key lives in one text column per customer. Terms of
    3+ characters go through the trigram index (`pg_trgm` on PostgreSQL, an FTS5 table on
    SQLite), which finds the same customers as the scan of shorter terms does.
    """
    text = text.strip().lower()
    if not text:
        return qs
    compact = text.replace(" ", "")
    digits = normalize.phone(text)
    by_initials = text.isascii() and text.isalpha()
    by_phone = len(digits) >= 4 and len(digits) >= len(compact.replace("-", "")) - 3
    subsequence = Q(initials__regex="^" + ".*".join(text))
    if len(compact) < TRIGRAM_MIN:
        match = Q(search_text__contains=compact)
        if by_initials:
            match |= Q(initials__startswith=text[0]) & subsequence
        if by_phone:
            match |= Q(search_text__contains=digits)
        return qs.filter(match)
    grams = _term_grams(text) if by_initials else []
    if connections[qs.db].vendor == "sqlite":
        return _search_fts(qs, compact, digits if by_phone else "", grams, subsequence)
    # PostgreSQL: every LIKE here is served by a `gin_trgm_ops` index; the regex checks only
    # the customers whose initials hold all the term's grams.
    match = Q(search_text__contains=compact)
    if grams:
        match |= Q(*[Q(initials_grams__contains=gram) for gram in grams]) & subsequence
    if by_phone:
        match |= Q(search_text__contains=digits)
    return qs.filter(match)


def _term_grams(text: str) -> list[str]:
    """The `initials_grams` words that initials holding `text` as an anchored subsequence have."""
    return sorted({text[0] + text[i] + text[i + 1] for i in range(1, len(text) - 1)})


def _search_fts(
    qs: QuerySet[Customer], compact: str, digits: str, grams: list[str], subsequence: Q
) -> QuerySet[Customer]:
    """SQLite: candidates from the FTS5 trigram table, then the exact tests on those alone.

    SQLite's LIKE cannot use an index, so one FTS5 query finds every customer that may match;
    what a user types goes in as quoted phrases, data and never FTS syntax (`"` doubled; `*`,
    `OR`, `NEAR(` stay literal). The LIKE and the regex then keep exactly the matches of the scan.
    """

    def phrase(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    alternatives = [f"search_text : {phrase(compact)}"]
    exact = Q(search_text__contains=compact)
    if grams:
        alternatives.append("(" + " AND ".join(f"initials_grams : {phrase(g)}" for g in grams) + ")")
        exact |= subsequence
    if digits and digits != compact:
        alternatives.append(f"search_text : {phrase(digits)}")
        exact |= Q(search_text__contains=digits)
    # The table name is a constant; the FTS expression is a parameter.
    candidates = f"SELECT rowid FROM {SEARCH_FTS} WHERE {SEARCH_FTS} MATCH %s"  # noqa: S608
    return qs.filter(pk__in=RawSQL(candidates, (" OR ".join(alternatives),))).filter(exact)  # noqa: S611


def notes_visible_to(user: User, customer: Customer) -> QuerySet[CustomerNote]:
    """The customer's shared notes and the user's own private ones (never anyone else's)."""
    return (
        CustomerNote.objects.filter(customer=customer)
        .filter(Q(private=False) | Q(author=user))
        .select_related("author")
    )


def contacts_of(customer: Customer) -> QuerySet[Contact]:
    """The customer's contacts."""
    return Contact.objects.filter(customer=customer)


def orders_of(customer: Customer) -> QuerySet[Order]:
    """The customer's orders, newest first."""
    return Order.objects.filter(customer=customer)


def smart_fill(customer: Customer) -> dict[str, object]:
    """What a repeat customer's history pre-fills: models last bought, product lines, payment term."""
    last = Order.objects.filter(customer=customer).order_by("-ordered_on", "-id").first()
    if last is None:
        return {"models": "", "product_lines": [], "payment_term": customer.payment_term}
    return {
        "models": last.models_bought,
        "product_lines": list(last.product_lines),
        "payment_term": last.payment_term or customer.payment_term,
    }


def release_due(customer_ids: list[int]) -> dict[int, datetime]:
    """When each owned customer returns to the pool unless someone interacts (one grouped query).

    The commitment ladder is the pack's policy declared `purpose: customer_commitment` (claim →
    warning → release); its last pending step is the release.
    """
    commitment = active_pack()[1].policy_codes_for("customer_commitment")
    rows = (
        Deadline.objects.filter(
            subject_type=Customer._meta.label_lower,
            subject_id__in=customer_ids,
            policy__in=commitment,
            status=Deadline.Status.PENDING,
        )
        .values("subject_id")
        .annotate(due=Max("due_at"))
    )
    return {r["subject_id"]: r["due"] for r in rows}


def release_due_of(customer: Customer) -> datetime | None:
    """When one customer returns to the pool, if its commitment ladder is running."""
    return release_due([customer.pk]).get(customer.pk) if customer.owner_id else None


def closest_to_release(user: User, *, limit: int = 5) -> list[tuple[Customer, datetime]]:
    """The user's customers that go back to the pool soonest (for 今日)."""
    owned = dict(Customer.objects.filter(owner=user).values_list("id", "name"))
    due = sorted(release_due(list(owned)).items(), key=lambda item: item[1])[:limit]
    customers = Customer.objects.in_bulk([cid for cid, _when in due])
    return [(customers[cid], when) for cid, when in due if cid in customers]


def health_light(score: int | None) -> str:
    """green / yellow / red for a health score by the pack's bands; grey without a score."""
    return active_pack()[1].lights.customer_health(score)


# ---------------------------------------------------------------------------------------------
# The 客户 page: the health light and the release countdown in SQL, to sort and filter by them


def with_list_keys(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """Annotate `light_rank` (0 red … 3 grey, the pack's health bands) and `due_key` (release due).

    Grey is a customer without a computed health (no orders or interactions yet), as on its page.
    """
    lights = active_pack()[1].lights
    commitment = active_pack()[1].policy_codes_for("customer_commitment")
    release = Deadline.objects.filter(
        subject_type=Customer._meta.label_lower,
        subject_id=OuterRef("pk"),
        policy__in=commitment,
        status=Deadline.Status.PENDING,
    )
    return qs.annotate(
        light_rank=Case(
            When(health_factors=[], then=Value(3)),
            When(health_score__gte=lights.customer_health_green_from, then=Value(2)),
            When(health_score__gte=lights.customer_health_yellow_from, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        # Only an owned customer's ladder counts (as `release_due_of`); its last step is the release.
        due_key=Case(
            When(
                owner__isnull=False,
                then=Coalesce(
                    Subquery(release.order_by("-due_at").values("due_at")[:1]),
                    Value(NO_DEADLINE),
                    output_field=DateTimeField(),
                ),
            ),
            default=Value(NO_DEADLINE),
            output_field=DateTimeField(),
        ),
        interaction_key=Coalesce("last_interaction_at", Value(EPOCH), output_field=DateTimeField()),
        owner_key=OWNER_KEY,
    )


LIST_SORTS = {
    "light": SortKey("light", (("light_rank", False), ("due_key", False))),
    "name": SortKey("name", (("name", False),)),
    "health": SortKey("health", (("health_score", False),)),
    "due": SortKey("due", (("due_key", False),)),
    "interaction": SortKey("interaction", (("interaction_key", True),)),
    "owner": SortKey("owner", (("owner_key", False),)),
}


def primary_phones(customer_ids: list[int]) -> dict[int, str]:
    """Each customer's first contact phone (one query), for the list's one-tap call."""
    phones: dict[int, str] = {}
    for customer_id, phone in (
        Contact.objects.filter(customer_id__in=customer_ids)
        .exclude(phone="")
        .order_by("customer_id", "id")
        .values_list("customer_id", "phone")
    ):
        phones.setdefault(customer_id, phone)
    return phones


def contacts_visible_to(user: User) -> QuerySet[Contact]:
    """Contacts of the customers `user` may open (a contact has no page of its own)."""
    return Contact.objects.filter(customer__in=customers_visible_to(user).values("pk")).select_related(
        "customer", "customer__owner"
    )


def search_contacts(qs: QuerySet[Contact], text: str) -> QuerySet[Contact]:
    """Match a contact's name, title, e-mail, or (four digits or more) phone."""
    text = search_term(text)
    if not text:
        return qs
    match = Q(name__icontains=text) | Q(title__icontains=text) | Q(email_key__icontains=text.lower())
    digits = normalize.phone(text)
    if len(digits) >= 4:
        match |= Q(phone_key__contains=digits)
    return qs.filter(match)


# ---------------------------------------------------------------------------------------------
# 临时授权 (temporary grants): a colleague reads one customer's quote history for a period.


def live_grants(now: datetime | None = None) -> QuerySet[CustomerGrant]:
    """Grants in force at `now`: started, not yet over, neither revoked nor expired."""
    from salesflow.core import clock

    now = now or clock.now()
    return CustomerGrant.objects.filter(
        revoked_at__isnull=True, expired_at__isnull=True, starts_at__lte=now, expires_at__gt=now
    )


def granted_customer_ids(user: User, *, scope: str, now: datetime | None = None) -> QuerySet[Any]:
    """The ids of the customers `user` holds a live grant of `scope` on (a subquery)."""
    return live_grants(now).filter(grantee=user, scope=scope).values("customer_id")


def live_grant_expiries(user: User, *, scope: str, now: datetime | None = None) -> dict[int, datetime]:
    """customer id → when `user`'s live grant of `scope` on it ends (the list marks its rows)."""
    rows = live_grants(now).filter(grantee=user, scope=scope).values_list("customer_id", "expires_at")
    expiries: dict[int, datetime] = {}
    for customer_id, expires_at in rows:
        expiries[customer_id] = max(expires_at, expiries.get(customer_id, expires_at))
    return expiries


def may_grant(user: User, customer: Customer) -> bool:
    """Whether `user` may grant and revoke access to `customer`: its owner or a manager over them."""
    if customer.owner_id is None or not user.is_active:
        return False
    if customer.owner_id == user.pk:
        return True
    if user.role not in MANAGING_ROLES:
        return False
    owners = visible_owner_ids(user)
    return owners is None or customer.owner_id in owners


def grants_managed_by(user: User) -> QuerySet[CustomerGrant]:
    """Grants on the customers `user` may grant (their owner's line): what the card and API list."""
    owners = visible_owner_ids(user)
    qs = CustomerGrant.objects.select_related("customer", "grantee", "granted_by", "revoked_by")
    if user.role not in MANAGING_ROLES:
        return qs.filter(customer__owner=user)
    if owners is None:
        return qs.filter(customer__owner__isnull=False)
    return qs.filter(customer__owner__in=owners)


def grants_visible_to(user: User) -> QuerySet[CustomerGrant]:
    """Grants `user` manages, and those granted to them (the record type's scope)."""
    managed = grants_managed_by(user).values("pk")
    return CustomerGrant.objects.filter(Q(pk__in=managed) | Q(grantee=user)).select_related(
        "customer", "grantee", "granted_by", "revoked_by"
    )


def grants_received_by(user: User, *, limit: int = 50) -> list[CustomerGrant]:
    """The grants given to `user` (授权给我的), the ones in force first, then the ended ones,
    newest first within each."""
    from salesflow.core import clock

    now = clock.now()
    received = (
        CustomerGrant.objects.filter(grantee=user)
        .select_related("customer", "grantee", "granted_by", "revoked_by")
        .order_by("-starts_at", "-id")[:limit]
    )
    return sorted(received, key=lambda grant: not grant.is_live(now))


def grants_of(customer: Customer, *, limit: int = 20) -> list[CustomerGrant]:
    """The customer's grants, newest first (live and ended), for its 临时授权 card."""
    return list(
        CustomerGrant.objects.filter(customer=customer)
        .select_related("grantee", "granted_by", "revoked_by")
        .order_by("-starts_at", "-id")[:limit]
    )


def grant_reads(grant_ids: list[int] | QuerySet[Any], *, limit: int = 50) -> list[GrantRead]:
    """The latest reads through the given grants, newest first."""
    return list(
        GrantRead.objects.filter(grant_id__in=grant_ids)
        .select_related("reader", "grant")
        .order_by("-read_at", "-id")[:limit]
    )


def grant_candidates(user: User, customer: Customer) -> QuerySet[User]:
    """Colleagues `user` may grant `customer` to: active, not themself, not already able to read it."""
    people = User.objects.filter(is_active=True).exclude(pk=user.pk).select_related("team")
    if customer.owner_id is not None:
        people = people.exclude(pk=customer.owner_id)
    return people.order_by("team__name", "display_name", "id")
