"""智能分单: choose a lead's owner by the pack's policy, skipping reps on leave or at their cap."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from salesflow.core import clock
from salesflow.leads.models import AssignmentCursor, Lead
from salesflow.org.choices import Role, SkillKind
from salesflow.org.models import LeavePeriod, Team, User
from salesflow.rules.schema import Assignment


class Candidate(NamedTuple):
    """A rep who may take the lead, with what the policy weighs (plain values: no model rows).

    A named tuple rather than a dataclass: 500 of them are built in every intake request.
    """

    user_id: int
    seniority: int
    max_open_workload: int
    open_leads: int
    product_lines: frozenset[str]
    tiers: frozenset[str]
    # Where the rep sits: the notice to the chosen rep reads its channels by team.
    team_id: int | None = None
    team_path: str | None = None


def candidates(*, team: Team | None, policy: Assignment, now: datetime) -> list[Candidate]:
    """Active reps (in `team`'s subtree if given), minus those on leave or at their cap.

    One set-based query (reps with their open-lead counters and skills, minus those on leave)
    and no model instances: this runs inside every intake request.
    """
    reps = User.objects.filter(role=Role.REP, is_active=True)
    if team is not None:
        reps = reps.filter(team__path__startswith=team.path)
    if policy.skip_on_leave:
        # As a subquery (the same test as org.selectors.users_on_leave): one round trip less.
        day = clock.to_local(now).date()
        away = LeavePeriod.objects.filter(starts_on__lte=day, ends_on__gte=day).order_by().values("user_id")
        reps = reps.exclude(pk__in=away)
    # Open-lead counts come from the counters the lead services keep (no aggregate over leads);
    # the skills come along as one row each (a rep without skills: one row of NULLs).
    rows: dict[int, tuple[int, int, int | None, int | None, str | None]] = {}
    by_kind: dict[str, dict[int, set[str]]] = {SkillKind.PRODUCT_LINE: {}, SkillKind.CUSTOMER_TIER: {}}
    for user_id, seniority, cap, open_leads, team_id, team_path, kind, code in reps.order_by(
        "id"
    ).values_list(
        "id",
        "seniority",
        "max_open_workload",
        "repworkload__open_leads",
        "team_id",
        "team__path",
        "skills__kind",
        "skills__code",
    ):
        rows[user_id] = (seniority, cap, open_leads, team_id, team_path)
        if kind in by_kind:
            by_kind[kind].setdefault(user_id, set()).add(code)
    lines, tiers = by_kind[SkillKind.PRODUCT_LINE], by_kind[SkillKind.CUSTOMER_TIER]
    none: frozenset[str] = frozenset()
    cap_applies = policy.respect_workload_cap
    return [
        Candidate(
            user_id,
            seniority,
            cap,
            open_leads or 0,
            frozenset(lines[user_id]) if user_id in lines else none,
            frozenset(tiers[user_id]) if user_id in tiers else none,
            team_id,
            team_path,
        )
        for user_id, (seniority, cap, open_leads, team_id, team_path) in rows.items()
        if not (cap_applies and (open_leads or 0) >= cap)
    ]


def _capable(c: Candidate, lead: Lead) -> bool:
    return (not lead.product_line or lead.product_line in c.product_lines) and (
        not lead.customer_tier or lead.customer_tier in c.tiers
    )


def _round_robin(pool: list[Candidate], scope: str) -> Candidate:
    """The next rep after the last one served in `scope` (the cursor row is locked)."""
    cursor, _created = AssignmentCursor.objects.select_for_update().get_or_create(scope=scope)
    ordered = sorted(pool, key=lambda c: c.user_id)
    chosen = next((c for c in ordered if c.user_id > cursor.last_user_id), ordered[0])
    cursor.last_user_id = chosen.user_id
    cursor.save(update_fields=["last_user_id"])
    return chosen


# The dimensions a weighted policy weighs, in the order `_scorer` returns them.
PARTS = ("tier_fit", "product_line_skill", "seniority", "open_workload")
Values = tuple[float, float, float, float]


def _scorer(lead: Lead, policy: Assignment) -> Callable[[Candidate], Values]:
    """The policy's dimensions for one candidate, each in [0, 1] (in `PARTS` order).

    The one place the formula lives; the lead's side is worked out once per decision, since
    this runs for every rep in every intake.
    """
    tier, line = lead.customer_tier, lead.product_line
    # High-value leads go to senior reps; others do not compete on seniority.
    high_value = lead.score >= policy.senior_score_threshold

    def values(c: Candidate) -> Values:
        return (
            1.0 if tier and tier in c.tiers else 0.0,
            1.0 if line and line in c.product_lines else 0.0,
            c.seniority / 5 if high_value else 0.0,
            1.0 - min(c.open_leads / max(c.max_open_workload, 1), 1.0),
        )

    return values


def _weights(policy: Assignment) -> Values:
    w = policy.weights
    return (w.get(PARTS[0], 0.0), w.get(PARTS[1], 0.0), w.get(PARTS[2], 0.0), w.get(PARTS[3], 0.0))


def _total(w: Values, v: Values) -> float:
    return w[0] * v[0] + w[1] * v[1] + w[2] * v[2] + w[3] * v[3]


def weighted_scores(
    lead: Lead, pool: list[Candidate], policy: Assignment
) -> list[tuple[float, Candidate, dict[str, float]]]:
    """Each candidate's weighted score and its parts, best first (for previews and explanations)."""
    values, w = _scorer(lead, policy), _weights(policy)
    scored = []
    for c in pool:
        v = values(c)
        scored.append((_total(w, v), c, dict(zip(PARTS, v, strict=True))))
    scored.sort(key=lambda s: (-s[0], s[1].open_leads, s[1].user_id))
    return scored


def best_pick(
    lead: Lead, pool: list[Candidate], policy: Assignment
) -> tuple[float, Candidate, dict[str, float]]:
    """The top of `weighted_scores` without sorting or explaining everyone (same order, same ties)."""
    values, w = _scorer(lead, policy), _weights(policy)
    # Ties: the least loaded, then the longest-serving account, so decisions are repeatable.
    chosen = min(pool, key=lambda c: (-_total(w, values(c)), c.open_leads, c.user_id))
    v = values(chosen)
    return _total(w, v), chosen, dict(zip(PARTS, v, strict=True))


def fit_shares(lead: Lead, pool: list[Candidate], policy: Assignment) -> dict[int, float]:
    """Each candidate's target share of leads like `lead`: fit score / sum of fit scores.

    The fit score is the weighted score without its `open_workload` part: the workload is what
    the proportional pick balances, so it must not also move the target. When nobody fits at
    all (every fit score 0), the shares are equal.
    """
    values, (wt, wp, ws, _wo) = _scorer(lead, policy), _weights(policy)
    fits = {c.user_id: _total((wt, wp, ws, 0.0), values(c)) for c in pool}
    total = sum(fits.values())
    if total <= 0:
        return {user_id: 1 / len(pool) for user_id in fits}
    return {user_id: fit / total for user_id, fit in fits.items()}


def proportional_pick(
    lead: Lead, pool: list[Candidate], policy: Assignment
) -> tuple[Candidate, dict[str, Any]]:
    """The candidate furthest below their fair share: a smooth weighted round-robin.

    Algorithm (deterministic, no random numbers, no state besides the RepWorkload counters):

    1. share_i = fit_i / sum(fit) for the eligible candidates (`fit_shares`).
    2. team = the candidates' current open leads (their RepWorkload counters) + 1 for this lead.
    3. deficit_i = share_i * team - open_i: how many leads rep i is short of their share of the
       team's open leads once this lead is given out. The deficits sum to exactly 1, so the
       largest is always positive, and a rep with share 0 never wins while anyone is short.
    4. The largest deficit wins; ties go to the larger share, then the fewer open leads, then
       the lower user id.

    Starting from equal counters, every rep's count stays within about one lead of
    share_i * (leads given out) (a simulation over random shares for 2-8 reps never saw more
    than 1.01); with equal shares this is plain round-robin (counts differ by at most 1).
    Because the target is a share of *current* open leads, a rep who already
    carries more than their share (older leads, a manual reassignment) gets fewer new leads
    until the team catches up, and a rep who converts or closes leads quickly gets more.
    """
    shares = fit_shares(lead, pool, policy)
    team = sum(c.open_leads for c in pool) + 1

    def rank(c: Candidate) -> tuple[float, float, int, int]:
        # Rounded so that float noise never decides between reps that are equally short.
        deficit = round(shares[c.user_id] * team - c.open_leads, 9)
        return (-deficit, -shares[c.user_id], c.open_leads, c.user_id)

    chosen = min(pool, key=rank)
    return chosen, {
        "share": round(shares[chosen.user_id], 4),
        "deficit": round(shares[chosen.user_id] * team - chosen.open_leads, 3),
    }


def _pick_weighted(lead: Lead, pool: list[Candidate], policy: Assignment) -> tuple[Candidate, dict[str, Any]]:
    """The weighted strategy's pick and why, by the policy's `selection`."""
    if policy.selection == "proportional":
        chosen, why = proportional_pick(lead, pool, policy)
        return chosen, {"strategy": "weighted", "selection": "proportional", **why}
    total, chosen, parts = best_pick(lead, pool, policy)
    return chosen, {"strategy": "weighted", "score": round(total, 3), "parts": parts}


def choose_owner(
    lead: Lead, *, policy: Assignment, team: Team | None, now: datetime
) -> tuple[User | None, dict[str, Any]]:
    """The rep the policy picks (None: nobody eligible, the lead goes to the pool) and why."""
    pool = candidates(team=team, policy=policy, now=now)
    if policy.strategy != "round_robin":
        pool = [c for c in pool if _capable(c, lead)] if policy.strategy == "capability" else pool
    if policy.strategy == "weighted" and lead.score >= policy.senior_score_threshold:
        seniors = [c for c in pool if c.seniority >= policy.senior_min_level]
        pool = seniors or pool
    if not pool:
        return None, {"strategy": policy.strategy, "reason": "no eligible rep"}
    if policy.strategy == "weighted":
        chosen, why = _pick_weighted(lead, pool, policy)
    else:
        chosen = _round_robin(pool, f"lead:{team.pk if team else 'all'}:{policy.strategy}")
        why = {"strategy": policy.strategy, "open_leads": chosen.open_leads}
    return _chosen_user(chosen), why


def _chosen_user(chosen: Candidate) -> User:
    """The chosen rep as a `User` built from the candidates query, with no read of its own.

    Only what that query read is set (an active rep, their team's id and path, which the new
    owner's notice reads its channels by); every other field is deferred, as `only()` leaves
    it, and loads from the row on first use, so nothing reads a blank value.
    """
    user = User.from_db(None, ["id", "is_active", "team_id"], [chosen.user_id, True, chosen.team_id])
    if chosen.team_id is not None:
        user.team = Team.from_db(None, ["id", "path"], [chosen.team_id, chosen.team_path])
    return user


def preview(leads: list[Lead], *, policy: Assignment, now: datetime) -> list[tuple[Lead, User | None]]:
    """Who `policy` would pick for each lead now, without writing anything.

    Candidates are read once; picks are counted against their workload as they are made (which
    is what the proportional selection reads), and round-robin advances a local cursor, so the
    preview is what a burst of these leads would get.
    """
    pool = candidates(team=None, policy=policy, now=now)
    load = {c.user_id: c.open_leads for c in pool}
    picks: list[tuple[Lead, int | None]] = []
    cursor = 0
    for lead in leads:
        eligible = [
            c for c in pool if not policy.respect_workload_cap or load[c.user_id] < c.max_open_workload
        ]
        eligible = [c._replace(open_leads=load[c.user_id]) for c in eligible]
        if policy.strategy == "capability":
            eligible = [c for c in eligible if _capable(c, lead)]
        if policy.strategy == "weighted" and lead.score >= policy.senior_score_threshold:
            eligible = [c for c in eligible if c.seniority >= policy.senior_min_level] or eligible
        if not eligible:
            picks.append((lead, None))
            continue
        if policy.strategy == "weighted":
            chosen = _pick_weighted(lead, eligible, policy)[0]
        else:
            ordered = sorted(eligible, key=lambda c: c.user_id)
            chosen = next((c for c in ordered if c.user_id > cursor), ordered[0])
            cursor = chosen.user_id
        load[chosen.user_id] += 1
        picks.append((lead, chosen.user_id))
    users = User.objects.in_bulk([uid for _lead, uid in picks if uid is not None])
    return [(lead, users.get(uid) if uid is not None else None) for lead, uid in picks]
