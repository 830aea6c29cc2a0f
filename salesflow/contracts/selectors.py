"""Reads of contracts, instalments and receivables, scoped to who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from salesflow.contracts.choices import LIVE_STATES, OUTSTANDING_STATES, ContractState
from salesflow.contracts.models import Contract, Instalment, PaymentReceipt
from salesflow.contracts.permissions import CONTRACT_READERS_ALL
from salesflow.core.errors import FieldErrors
from salesflow.core.lookups import search_term
from salesflow.notify.selectors import with_open_tasks
from salesflow.org.models import Team, User
from salesflow.org.selectors import owner_scope_q, visible_owner_ids
from salesflow.quotes.selectors import owns_or_manages as owner_or_manager
from salesflow.rules.schema import ContractPolicy
from salesflow.rules.selectors import active_pack


def policy() -> ContractPolicy:
    """The active pack's contract section."""
    return active_pack()[1].contracts


def _scope_q(user: Any) -> Q | None:
    """The filter of contracts `user` may read (None: every contract)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if getattr(user, "role", "") in CONTRACT_READERS_ALL:
        return None
    scope = owner_scope_q(user)
    if not scope:
        return None
    return scope | Q(project_manager=user)


def contracts_visible_to(user: Any) -> QuerySet[Contract]:
    """Contracts `user` may read (see permissions.py)."""
    base = Contract.objects.select_related("owner", "customer", "opportunity", "project_manager", "quote")
    scope = _scope_q(user)
    if scope is None:
        return base
    return base.filter(with_open_tasks(user, scope, Contract))


def instalments_visible_to(user: Any) -> QuerySet[Instalment]:
    """Instalments of the contracts `user` may read."""
    base = Instalment.objects.select_related("contract", "contract__customer", "contract__owner")
    scope = _scope_q(user)
    if scope is None:
        return base
    readable = Contract.objects.filter(with_open_tasks(user, scope, Contract)).values("pk")
    return base.filter(contract__in=readable)


def owns_or_manages(user: User, contract: Contract) -> bool:
    """The contract's owner, one of their managers, or a company-wide role."""
    return owner_or_manager(user, contract.owner_id)


def may_deliver(user: User, contract: Contract) -> bool:
    """Owner, managers, or the project manager (delivery and payment requests)."""
    return owns_or_manages(user, contract) or contract.project_manager_id == user.pk


def signable(contract: Contract) -> bool:
    """A draft whose clauses follow the templates, or one legal has approved."""
    if contract.state == ContractState.DRAFT:
        return not contract.deviations
    return contract.state == ContractState.LEGAL_REVIEW and contract.reviewed_at is not None


def terminable(contract: Contract) -> bool:
    """Not finished, and not waiting for legal (a pending review is withdrawn in 审批 first)."""
    if contract.state in (ContractState.COMPLETED, ContractState.TERMINATED):
        return False
    return not (contract.state == ContractState.LEGAL_REVIEW and contract.reviewed_at is None)


def to_hand_over(user: User) -> QuerySet[Contract]:
    """A leaving rep's contracts that still need someone: not terminated, not fully collected."""
    return (
        Contract.objects.filter(owner=user)
        .exclude(state=ContractState.TERMINATED)
        .exclude(state=ContractState.COMPLETED, received_total__gte=F("amount"))
    )


@dataclass(frozen=True)
class ContractFilters:
    """What the contract list may be narrowed by (page, API and export)."""

    q: str = ""  # number, title or customer name
    state: str = ""
    opportunity: int | None = None


def contract_filters_from(params: Any) -> ContractFilters:
    """ContractFilters from a query dict, checked."""
    state = str(params.get("state", "") or "").strip()
    if state and state not in ContractState.values:
        raise FieldErrors({"state": [f"未知状态“{state}” / unknown state"]}, location="query")
    raw_opp = str(params.get("opportunity", "") or "").strip()
    if raw_opp and not raw_opp.isdigit():
        raise FieldErrors({"opportunity": ["应为商机编号 / an opportunity id"]}, location="query")
    return ContractFilters(
        q=str(params.get("q", "") or ""), state=state, opportunity=int(raw_opp) if raw_opp else None
    )


def contracts_list(*, user: Any, filters: ContractFilters) -> QuerySet[Contract]:
    """The contracts `user` may read, narrowed by `filters`, newest first."""
    qs = contracts_visible_to(user)
    term = search_term(filters.q)
    if term:
        qs = qs.filter(
            Q(number__icontains=term) | Q(title__icontains=term) | Q(customer__name__icontains=term)
        )
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.opportunity:
        qs = qs.filter(opportunity_id=filters.opportunity)
    return qs.order_by("-id")


def plan_of(contract: Contract) -> list[Instalment]:
    """The contract's instalments in order."""
    return list(contract.instalments.order_by("position"))


def receipts_of(contract: Contract) -> list[PaymentReceipt]:
    """Money received against the contract, oldest first."""
    return list(
        PaymentReceipt.objects.filter(instalment__contract=contract)
        .select_related("instalment", "recorded_by")
        .order_by("received_on", "id")
    )


def is_overdue(instalment: Instalment, today: date) -> bool:
    """Due before today with money still to collect."""
    return (
        instalment.state in OUTSTANDING_STATES
        and instalment.due_date is not None
        and instalment.due_date < today
    )


def collected_pct(contract: Contract) -> Decimal:
    """How much of the contract amount has been received, in %."""
    if not contract.amount:
        return Decimal(0)
    return (contract.received_total * 100 / contract.amount).quantize(Decimal("0.1"))


def green_pct() -> Decimal:
    """The payment light's share (pack `lights.payment_green_progress_pct`)."""
    return Decimal(active_pack()[1].lights.payment_green_progress_pct)


def green(contract: Contract) -> bool:
    """The payment light: green once the pack's share of the amount is in."""
    return collected_pct(contract) >= green_pct()


def green_q() -> Q:
    """`green` as a filter of live contracts."""
    return Q(state__in=LIVE_STATES, amount__gt=0, received_total__gte=F("amount") * green_pct() / 100)


# ---- receivables ageing (应收账款) ----


@dataclass(frozen=True)
class Bucket:
    """An ageing bucket: `key` 0 is not yet due, then days overdue up to `upto` (None: beyond)."""

    key: int
    label: str
    low: int
    upto: int | None


def buckets() -> list[Bucket]:
    """The pack's ageing buckets: 未到期, 1–30 天, 31–60 天, 61–90 天, 90 天以上 by default."""
    bounds = policy().ageing_buckets_days
    found = [Bucket(0, gettext("未到期"), 0, 0)]
    low = 1
    for index, upto in enumerate(bounds, start=1):
        found.append(Bucket(index, gettext("%(low)s–%(upto)s 天") % {"low": low, "upto": upto}, low, upto))
        low = upto + 1
    found.append(Bucket(len(bounds) + 1, gettext("%(days)s 天以上") % {"days": bounds[-1]}, low, None))
    return found


def _bucket_case(today: date) -> Case:
    whens = [When(due_date__gte=today, then=Value(0))]
    for bucket in buckets()[1:]:
        if bucket.upto is not None:
            whens.append(When(due_date__gte=today - timedelta(days=bucket.upto), then=Value(bucket.key)))
    return Case(*whens, default=Value(len(buckets()) - 1), output_field=IntegerField())


def _bucket_dates(key: int, today: date) -> Q:
    """The due dates of bucket `key` (a range on the indexed column, not on the annotation)."""
    shown = buckets()[key]
    if key == 0:
        return Q(due_date__gte=today)
    dates = Q(due_date__lte=today - timedelta(days=shown.low))
    if shown.upto is not None:
        dates &= Q(due_date__gte=today - timedelta(days=shown.upto))
    return dates


OUTSTANDING = ExpressionWrapper(
    F("amount") - F("received"), output_field=DecimalField(max_digits=14, decimal_places=2)
)


def _receivable(instalments: QuerySet[Instalment], today: date) -> QuerySet[Instalment]:
    return instalments.filter(
        state__in=OUTSTANDING_STATES, due_date__isnull=False, contract__state__in=LIVE_STATES
    ).annotate(bucket=_bucket_case(today), outstanding_amount=OUTSTANDING)


def receivables_qs(user: Any, *, today: date) -> QuerySet[Instalment]:
    """Instalments with money still to collect and a due date, of live contracts `user` may read,
    each annotated with its `bucket` and `outstanding`."""
    return _receivable(instalments_visible_to(user), today)


@dataclass
class AgeingRow:
    """One rep's or team's outstanding money per bucket."""

    key: int
    name: str
    amounts: list[Decimal]
    count: int = 0
    team: str = ""

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, Decimal(0))


@dataclass
class Ageing:
    """The ageing table: buckets, totals, rows by team and by rep."""

    buckets: list[Bucket]
    totals: list[Decimal]
    teams: list[AgeingRow] = field(default_factory=list)
    reps: list[AgeingRow] = field(default_factory=list)
    count: int = 0

    @property
    def total(self) -> Decimal:
        return sum(self.totals, Decimal(0))

    @property
    def overdue(self) -> Decimal:
        return sum(self.totals[1:], Decimal(0))


def ageing(user: Any, *, today: date, team: int | None = None, owner: int | None = None) -> Ageing:
    """Outstanding receivables by bucket, by team and by rep, in one grouped query."""
    shown = buckets()
    qs = receivables_qs(user, today=today)
    if team:
        qs = qs.filter(contract__owner__team_id=team)
    if owner:
        qs = qs.filter(contract__owner_id=owner)
    rows = (
        # `bucket` is the annotation of receivables_qs (the type stubs only know model fields).
        qs.values("contract__owner_id", *["bucket"])
        .annotate(
            total=Coalesce(Sum(OUTSTANDING), Value(Decimal(0)), output_field=DecimalField()), n=Sum(Value(1))
        )
        .order_by()
    )
    result = Ageing(shown, [Decimal(0)] * len(shown))
    by_owner: dict[int, list[Decimal]] = {}
    counts: dict[int, int] = {}
    for row in rows:
        amounts = by_owner.setdefault(row["contract__owner_id"], [Decimal(0)] * len(shown))
        total = Decimal(row["total"]).quantize(Decimal("0.01"))
        amounts[row["bucket"]] += total
        result.totals[row["bucket"]] += total
        counts[row["contract__owner_id"]] = counts.get(row["contract__owner_id"], 0) + row["n"]
        result.count += row["n"]
    people = User.objects.filter(pk__in=by_owner).select_related("team")
    teams: dict[int, AgeingRow] = {}
    for person in people:
        amounts = by_owner[person.pk]
        result.reps.append(
            AgeingRow(
                person.pk,
                person.display_name or person.username,
                amounts,
                counts[person.pk],
                str(person.team or ""),
            )
        )
        if person.team_id is not None:
            team_row = teams.setdefault(
                person.team_id, AgeingRow(person.team_id, str(person.team), [Decimal(0)] * len(shown))
            )
            team_row.amounts = [a + b for a, b in zip(team_row.amounts, amounts, strict=True)]
            team_row.count += counts[person.pk]
    result.reps.sort(key=lambda r: (-sum(r.amounts[1:], Decimal(0)), -r.total, r.name))
    result.teams = sorted(teams.values(), key=lambda r: (-sum(r.amounts[1:], Decimal(0)), -r.total, r.name))
    return result


def ageing_teams(user: Any) -> list[Team]:
    """Teams a receivables filter may offer: those of the people whose contracts `user` reads."""
    owners = visible_owner_ids(user)
    people = User.objects.all() if owners is None else User.objects.filter(pk__in=owners)
    return list(Team.objects.filter(pk__in=people.values("team_id")).order_by("name"))


def receivable_rows(
    user: Any, *, today: date, bucket: int | None = None, team: int | None = None, owner: int | None = None
) -> QuerySet[Instalment]:
    """The instalments behind an ageing cell (drill-down), most overdue first."""
    qs = receivables_qs(user, today=today)
    if bucket is not None:
        qs = qs.filter(_bucket_dates(bucket, today))
    if team:
        qs = qs.filter(contract__owner__team_id=team)
    if owner:
        qs = qs.filter(contract__owner_id=owner)
    return qs.order_by("due_date", "id")


def due_soon_and_overdue(user: Any, *, today: date) -> dict[str, Any]:
    """For panels: outstanding overdue total and count, and what falls due in the next 7 days."""
    late = Q(due_date__lt=today)
    soon = Q(due_date__gte=today, due_date__lte=today + timedelta(days=7))
    found = receivables_qs(user, today=today).aggregate(
        overdue_total=Sum(OUTSTANDING, filter=late),
        overdue_count=Count("id", filter=late),
        soon_total=Sum(OUTSTANDING, filter=soon),
        soon_count=Count("id", filter=soon),
    )
    return {key: value or (Decimal(0) if key.endswith("total") else 0) for key, value in found.items()}


def green_contracts(user: Any) -> QuerySet[Contract]:
    """Live contracts whose collection reached the pack's green share."""
    return contracts_visible_to(user).filter(green_q())


@dataclass(frozen=True)
class AgeingFilters:
    """An ageing cell or slice: bucket key, team, rep (page, API, export)."""

    bucket: int | None = None
    team: int | None = None
    owner: int | None = None


def ageing_filters_from(params: Any) -> AgeingFilters:
    """AgeingFilters from a query dict, checked."""
    values: dict[str, int | None] = {}
    errors: dict[str, list[str]] = {}
    for key in ("bucket", "team", "owner"):
        raw = str(params.get(key, "") or "").strip()
        if raw and not raw.isdigit():
            errors[key] = ["应为数字编号 / a number"]
        values[key] = int(raw) if raw.isdigit() else None
    if values["bucket"] is not None and values["bucket"] >= len(buckets()):
        errors["bucket"] = [f"账龄分组应为 0–{len(buckets()) - 1} / bucket out of range"]
    if errors:
        raise FieldErrors(errors, location="query")
    return AgeingFilters(**values)


def receivable_rows_unscoped(*, today: date) -> QuerySet[Instalment]:
    """Every receivable (the command-line export, run by an administrator)."""
    base = Instalment.objects.select_related("contract", "contract__customer", "contract__owner")
    return _receivable(base, today).order_by("due_date", "id")
