"""今日战报 — the live battle report: today's numbers of one team (or the company) for a wall TV.

The report is a list of panels from a registry: each panel is a code, a title, a builder that
computes its data from a `BattleContext` with a few set-based queries (so the page costs the
same for ten reps or a thousand), and the template that draws it. Records that arrive later
(quotes: yellow > 72 h unconfirmed; payments: green ≥ 90 % collected, pack `lights`) join as one
`register_battle_panel(...)` call in their own app.

Scope: a team subtree (`owner__team__path__startswith`), not a viewer's owner ids, because a
TV link shows a team without anyone signed in. Who may open which team is `battle_scope_for`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from salesflow.activities.models import Activity
from salesflow.analytics.selectors import month_of, team_target
from salesflow.core import clock
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.leads.choices import OPEN_STATUSES
from salesflow.leads.models import Lead
from salesflow.org.choices import COMPANY_WIDE_ROLES, Role
from salesflow.org.models import Team, User
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Evidence, Opportunity
from salesflow.rules.schema import RulePack
from salesflow.rules.selectors import active_pack
from salesflow.timers.durations import parse_duration
from salesflow.timers.models import Deadline

# How many rows a list panel shows on the wall; the panel's count says how many there are.
LIST_ROWS = 8
# How many reps the ranking shows (the rest are summed in the team total).
RANKING_ROWS = 15
# Roles whose battle report is a team subtree they manage (their own team and below).
MANAGING = (Role.MANAGER, Role.DIRECTOR)
# Timer states that count as fired for a light (as `light()` reads them).
FIRED = [Deadline.Status.FIRED, Deadline.Status.FAILED]
# Link purpose of the TV battle report (core.public_links).
TV_PURPOSE = "battle_tv"


# ---------------------------------------------------------------------------------------------
# Scope


@dataclass(frozen=True)
class BattleScope:
    """Whose numbers the report adds up: a team with every team beneath it, or the whole
    company (`team` None)."""

    team: Team | None
    name: str

    def q(self, prefix: str = "owner") -> Q:
        """Records whose `prefix` person (owner, actor, uploaded_by) belongs to the scope."""
        if self.team is None:
            return Q(**{f"{prefix}__isnull": False})
        return Q(**{f"{prefix}__team__path__startswith": self.team.path})


def company_name() -> str:
    """The company's name (the root of the team tree) for the company-wide report's title."""
    root = Team.objects.filter(parent__isnull=True).order_by("pk").values_list("name", flat=True).first()
    return root or str(_("全公司"))


def is_company_wide(user: User) -> bool:
    """Whether `user` sees every team's report (ops admin, COO, GM, superuser)."""
    return bool(user.is_superuser or user.role in COMPANY_WIDE_ROLES)


def battle_teams_for(user: User) -> list[Team] | None:
    """The teams whose report `user` may open: None means every team and the company as a whole.

    A manager or director: their team and the teams beneath it; a rep: their own team (the
    report their office's TV shows anyway); other roles (finance, presales …): none.
    """
    if is_company_wide(user):
        return None
    if user.team is None:
        return []
    if user.role in MANAGING:
        return list(Team.objects.filter(path__startswith=user.team.path).order_by("path"))
    if user.role == Role.REP:
        return [user.team]
    return []


def can_manage_tv_links(user: User) -> bool:
    """Who creates and revokes TV links: sales management and the company-wide roles."""
    return is_company_wide(user) or (user.role in MANAGING and user.team is not None)


def battle_scope_for(user: User, team: str | int | None = None) -> BattleScope:
    """The report `user` asked for: `team` (an id) or their default (own team; the company for
    company-wide roles). PermissionDenied for a role without a battle report; FieldErrors for a
    team outside the caller's scope."""
    teams = battle_teams_for(user)
    if teams == []:
        raise PermissionDenied("今日战报面向销售团队；你的角色没有可查看的团队。")
    raw = str(team or "").strip()
    if not raw:
        if teams is None:
            return BattleScope(team=None, name=company_name())
        chosen = user.team if user.team in teams else teams[0]
        return BattleScope(team=chosen, name=chosen.name)
    if not raw.isdigit() or len(raw) > 12:
        raise FieldErrors({"team": ["应为团队 id / Use a team id."]}, location="query")
    team_id = int(raw)
    if teams is None:
        found = Team.objects.filter(pk=team_id).first()
    else:
        found = next((t for t in teams if t.pk == team_id), None)
    if found is None:
        raise FieldErrors({"team": ["不在你可查看的团队范围内 / Not a team you may see."]}, location="query")
    return BattleScope(team=found, name=found.name)


def scope_of_link(payload: dict[str, Any]) -> BattleScope | None:
    """The scope a TV link's payload names (None when its team no longer exists)."""
    team_id = payload.get("team")
    team = Team.objects.filter(pk=team_id).first() if isinstance(team_id, int) else None
    return BattleScope(team=team, name=team.name) if team else None


# ---------------------------------------------------------------------------------------------
# The panel registry


@dataclass(frozen=True)
class BattleContext:
    """What every panel builder receives: the scope, the instant, today's and this month's
    bounds (local days, as UTC instants) and the active pack."""

    scope: BattleScope
    now: datetime
    today: date
    day_start: datetime
    day_end: datetime
    month_start: datetime
    month_end: datetime
    pack: RulePack


PanelBuilder = Callable[[BattleContext], dict[str, Any] | None]


@dataclass(frozen=True)
class BattlePanel:
    """A registered panel: `builder` returns its data (None hides it), `template` draws it;
    `size` is "normal", "tall" (two rows) or "full" (the wall's whole width)."""

    code: str
    title: Any
    builder: PanelBuilder
    template: str
    order: int = 100
    size: str = "normal"


@dataclass
class PanelData:
    """One panel of one report: the registration and what its builder computed."""

    panel: BattlePanel
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.panel.code


_panels: dict[str, BattlePanel] = {}


def register_battle_panel(
    code: str, builder: PanelBuilder, template: str, *, title: Any, order: int = 100, size: str = "normal"
) -> BattlePanel:
    """Add a panel to every battle report (a later app: quotes, payments). Registering the same
    code again replaces it."""
    panel = BattlePanel(code=code, title=title, builder=builder, template=template, order=order, size=size)
    _panels[code] = panel
    return panel


def registered_panels() -> list[BattlePanel]:
    """The panels in their order."""
    return sorted(_panels.values(), key=lambda p: (p.order, p.code))


def battle_context(scope: BattleScope, *, now: datetime | None = None) -> BattleContext:
    """The context of a report of `scope` at `now`."""
    now = now or clock.now()
    zone = clock.local_zone()
    today = clock.to_local(now).date()
    first, last = month_of(today)
    _number, pack = active_pack()
    return BattleContext(
        scope=scope,
        now=now,
        today=today,
        day_start=datetime.combine(today, time.min, tzinfo=zone),
        day_end=datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone),
        month_start=datetime.combine(first, time.min, tzinfo=zone),
        month_end=datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
        pack=pack,
    )


def battle_report(scope: BattleScope, *, now: datetime | None = None) -> list[PanelData]:
    """Every registered panel's data for `scope` at `now` (panels whose builder says None are left out)."""
    ctx = battle_context(scope, now=now)
    result = []
    for panel in registered_panels():
        data = panel.builder(ctx)
        if data is not None:
            result.append(PanelData(panel=panel, data=data))
    return result


def refresh_seconds() -> int:
    """How often the wall refreshes (pack `settings.battle_report_refresh_seconds`)."""
    _number, pack = active_pack()
    return int(pack.settings.battle_report_refresh_seconds)


# ---------------------------------------------------------------------------------------------
# The panels of the records that exist now


def person_label(user: User | None) -> str:
    return str(user) if user else ""


def _stage_names(pack: RulePack) -> dict[tuple[str, str], str]:
    return {(t.code, s.code): s.name for t in pack.stage_templates for s in t.stages}


def deals_today(ctx: BattleContext) -> dict[str, Any]:
    """今日成交: deals won today (local), their total and the latest of them."""
    won = Opportunity.objects.filter(
        ctx.scope.q(), status=OpportunityStatus.WON, closed_at__gte=ctx.day_start, closed_at__lt=ctx.day_end
    )
    totals = won.aggregate(n=Count("id"), amount=Sum("amount"))
    rows = won.select_related("owner", "customer").order_by("-closed_at", "-id")[:LIST_ROWS]
    return {
        "count": totals["n"] or 0,
        "amount": totals["amount"] or Decimal("0"),
        "items": [
            {
                "title": o.title,
                "customer": o.customer.name,
                "owner": person_label(o.owner),
                "amount": o.amount,
                "at": o.closed_at,
            }
            for o in rows
        ],
    }


def actions_ranking(ctx: BattleContext) -> dict[str, Any]:
    """今日有效动作: per person, today's evidence-backed actions — effective activities (the pack's
    contact rules decide `effective`) plus evidence uploaded — ranked; active reps at zero are
    listed too (a zero on the wall is the point)."""
    day = Q(occurred_at__gte=ctx.day_start, occurred_at__lt=ctx.day_end)
    counts: dict[int, int] = {}
    for actor_id, n in (
        Activity.objects.filter(day, ctx.scope.q("actor"), effective=True)
        .values("actor_id")
        .annotate(n=Count("id"))
        .values_list("actor_id", "n")
    ):
        counts[actor_id] = counts.get(actor_id, 0) + n
    for uploader_id, n in (
        Evidence.objects.filter(
            ctx.scope.q("uploaded_by"), uploaded_at__gte=ctx.day_start, uploaded_at__lt=ctx.day_end
        )
        .values("uploaded_by_id")
        .annotate(n=Count("id"))
        .values_list("uploaded_by_id", "n")
    ):
        counts[uploader_id] = counts.get(uploader_id, 0) + n
    if ctx.scope.team is not None:
        people = User.objects.filter(
            Q(pk__in=list(counts))
            | Q(team__path__startswith=ctx.scope.team.path, role=Role.REP, is_active=True)
        )
    else:
        people = User.objects.filter(Q(pk__in=list(counts)) | Q(role=Role.REP, is_active=True))
    ranked = sorted(
        ((counts.get(p.pk, 0), str(p), p.pk) for p in people.only("pk", "display_name", "username")),
        key=lambda r: (-r[0], r[1], r[2]),
    )
    top = ranked[0][0] if ranked else 0
    rows, place, previous = [], 0, None
    for position, (n, name, _pk) in enumerate(ranked, start=1):
        if n != previous:
            place, previous = position, n
        rows.append({"rank": place, "name": name, "count": n, "pct": round(100 * n / top) if top else 0})
    return {
        "total": sum(counts.values()),
        "people": len(ranked),
        "idle": sum(1 for r in rows if r["count"] == 0),
        "items": rows[:RANKING_ROWS],
    }


def _red_leads(ctx: BattleContext, limit: timedelta) -> QuerySet[Lead]:
    """The scope's leads whose light (leads `with_list_keys`) is red: owned, open, and waiting
    for a first follow-up past `limit` since assignment, or with a breached timer (the lead's
    `sla_breached`, kept by the timers) before the first contact."""
    waiting = Q(assigned_at__isnull=False, last_activity_at__isnull=True, assigned_at__lte=ctx.now - limit)
    breached = Q(sla_breached=True, first_contact_at__isnull=True)
    return Lead.objects.filter(ctx.scope.q(), status__in=OPEN_STATUSES, owner__isnull=False).filter(
        waiting | breached
    )


def red_leads(ctx: BattleContext) -> dict[str, Any]:
    """红灯线索: owned open leads without follow-up past the pack's
    `lights.lead_red_without_follow_up` (or with a missed response time) — the leads list's red."""
    limit = parse_duration(ctx.pack.lights.lead_red_without_follow_up).as_timedelta()
    red = _red_leads(ctx, limit)
    rows = red.select_related("owner").order_by("assigned_at", "id")[:LIST_ROWS]
    return {
        "count": red.count(),
        "limit": limit,
        "items": [
            {
                "name": lead.name,
                "company": lead.company,
                "owner": person_label(lead.owner),
                "waiting": ctx.now - (lead.last_activity_at or lead.assigned_at or lead.created_at),
            }
            for lead in rows
        ],
    }


def _fired_here(ctx: BattleContext) -> tuple[set[int], set[int]]:
    """(open deals of the scope with a fired stage breaker in their current stage, those with any
    fired timer there): the timer half of the 商机 list's light (pipeline `with_list_keys`).

    Read from the deals that have a fired or failed timer at all — a few — rather than by a
    correlated check on every open deal of the scope."""
    label = Opportunity._meta.label_lower
    timers = Deadline.objects.filter(subject_type=label, subject_id=OuterRef("pk"))
    started_here = Deadline.objects.filter(
        subject_type=label,
        subject_id=OuterRef(OuterRef("pk")),
        policy=OuterRef("policy"),
        created_at__gte=OuterRef(OuterRef("stage_entered_at")),
    )
    fired_here = timers.filter(status__in=FIRED).filter(Exists(started_here))
    breakers = ctx.pack.policy_codes_for("stage_breaker")
    rows = (
        Opportunity.objects.filter(ctx.scope.q(), status=OpportunityStatus.OPEN)
        .filter(pk__in=Deadline.objects.filter(subject_type=label, status__in=FIRED).values("subject_id"))
        .annotate(fired=Exists(fired_here), breaker=Exists(fired_here.filter(policy__in=breakers)))
        .filter(fired=True)
        .values_list("pk", "breaker")
    )
    broken: set[int] = set()
    fired: set[int] = set()
    for pk, breaker in rows:
        fired.add(pk)
        if breaker:
            broken.add(pk)
    return broken, fired


def _opportunities(ctx: BattleContext, rank: int, order: str) -> tuple[int, list[Opportunity]]:
    """The open deals of the scope whose light is red (`rank` 0) or yellow (1), counted, and the
    first LIST_ROWS by `order`: the light of pipeline `with_list_keys` without computing it for
    every open deal — red is a stale last update (an index range on it) or a fired stage
    breaker, yellow any other timer fired in the current stage of a deal not yet stale."""
    red_after = parse_duration(ctx.pack.lights.opportunity_red_without_update).as_timedelta()
    broken, fired = _fired_here(ctx)
    qs = Opportunity.objects.filter(ctx.scope.q(), status=OpportunityStatus.OPEN).annotate(
        last_update_key=Coalesce("last_update_at", "stage_entered_at")
    )
    stale = Q(last_update_key__lte=ctx.now - red_after)
    if rank == 0:
        qs = qs.filter(stale | Q(pk__in=sorted(broken)))
    else:
        fresh = Q(last_update_key__gt=ctx.now - red_after) | Q(last_update_key__isnull=True)
        qs = qs.filter(fresh, pk__in=sorted(fired - broken))
    return qs.count(), list(qs.select_related("owner", "customer").order_by(order, "id")[:LIST_ROWS])


def red_opportunities(ctx: BattleContext) -> dict[str, Any]:
    """红灯商机: open deals without an update past the pack's `lights.opportunity_red_without_update`
    (or with a fired stage breaker) — the 商机 list's red."""
    limit = parse_duration(ctx.pack.lights.opportunity_red_without_update).as_timedelta()
    count, rows = _opportunities(ctx, 0, "last_update_key")
    return {
        "count": count,
        "limit": limit,
        "items": [
            {
                "title": o.title,
                "customer": o.customer.name,
                "owner": person_label(o.owner),
                "amount": o.amount,
                "waiting": ctx.now - (o.last_update_at or o.stage_entered_at),
            }
            for o in rows
        ],
    }


def stalled_deals(ctx: BattleContext) -> dict[str, Any]:
    """停滞商机: open deals whose stage timer has fired in their current stage (the 商机 list's
    yellow: past the pack's stall window, not yet red)."""
    names = _stage_names(ctx.pack)
    count, rows = _opportunities(ctx, 1, "stage_entered_at")
    return {
        "count": count,
        "items": [
            {
                "title": o.title,
                "customer": o.customer.name,
                "owner": person_label(o.owner),
                "stage": names.get((o.pipeline, o.stage), ""),
                "amount": o.amount,
                "in_stage": ctx.now - o.stage_entered_at,
            }
            for o in rows
        ],
    }


def target_progress(ctx: BattleContext) -> dict[str, Any]:
    """本月目标进度: won amount this month against the team's target (the company's: its root
    teams' targets added up)."""
    won = Opportunity.objects.filter(
        ctx.scope.q(),
        status=OpportunityStatus.WON,
        closed_at__gte=ctx.month_start,
        closed_at__lt=ctx.month_end,
    ).aggregate(amount=Sum("amount"))["amount"] or Decimal("0")
    first, last = month_of(ctx.today)
    teams = [ctx.scope.team] if ctx.scope.team else list(Team.objects.filter(parent__isnull=True))
    targets = [t for t in (team_target(team, first, last) for team in teams) if t is not None]
    target = sum(targets, Decimal("0")) if targets else None
    pct = round(float(100 * won / target), 1) if target else None
    days = (last - first).days + 1
    return {
        "won": won,
        "target": target,
        "pct": pct,
        "bar": min(100.0, pct) if pct is not None else 0.0,
        "gap": max(Decimal("0"), target - won) if target else None,
        # How far through the month today is, so the wall shows ahead of or behind pace.
        "elapsed_pct": round(100 * (ctx.today - first).days / days + 100 / days, 1),
        "month": first,
    }


register_battle_panel(
    "target",
    target_progress,
    "analytics/battle/panel_target.html",
    title=_("本月目标进度"),
    order=10,
    size="full",
)
register_battle_panel(
    "deals_today", deals_today, "analytics/battle/panel_deals.html", title=_("今日成交"), order=20
)
register_battle_panel(
    "actions",
    actions_ranking,
    "analytics/battle/panel_actions.html",
    title=_("今日有效动作排行"),
    order=30,
    size="tall",
)
register_battle_panel(
    "red_leads", red_leads, "analytics/battle/panel_red_leads.html", title=_("红灯线索"), order=40
)
register_battle_panel(
    "red_opportunities",
    red_opportunities,
    "analytics/battle/panel_red_opportunities.html",
    title=_("红灯商机"),
    order=50,
)
register_battle_panel(
    "stalled", stalled_deals, "analytics/battle/panel_stalled.html", title=_("停滞商机"), order=60
)
