"""智能分单: choose a lead's owner by the pack's policy, skipping reps on leave or at their cap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from salesflow.core import clock
from salesflow.leads.choices import OWNED_OPEN_STATUSES
from salesflow.leads.models import AssignmentCursor, Lead
from salesflow.org import selectors as org_selectors
from salesflow.org.choices import Role, SkillKind
from salesflow.org.models import Team, User
from salesflow.rules.schema import Assignment


@dataclass(frozen=True)
class Candidate:
    """A rep who may take the lead, with what the policy weighs."""

    user: User
    open_leads: int
    product_lines: frozenset[str]
    tiers: frozenset[str]


def candidates(*, team: Team | None, policy: Assignment, now: datetime) -> list[Candidate]:
    """Active reps (in `team`'s subtree if given), minus those on leave or at their cap."""
    reps = User.objects.filter(role=Role.REP, is_active=True)
    if team is not None:
        reps = reps.filter(team__path__startswith=team.path)
    if policy.skip_on_leave:
        reps = reps.exclude(pk__in=org_selectors.users_on_leave(clock.to_local(now).date()))
    reps = (
        reps.annotate(open_leads=Count("leads", filter=Q(leads__status__in=OWNED_OPEN_STATUSES)))
        .prefetch_related("skills")
        .order_by("id")
    )
    found = []
    for rep in reps:
        open_leads = getattr(rep, "open_leads", 0)
        if policy.respect_workload_cap and open_leads >= rep.max_open_workload:
            continue
        skills = list(rep.skills.all())
        found.append(
            Candidate(
                user=rep,
                open_leads=open_leads,
                product_lines=frozenset(s.code for s in skills if s.kind == SkillKind.PRODUCT_LINE),
                tiers=frozenset(s.code for s in skills if s.kind == SkillKind.CUSTOMER_TIER),
            )
        )
    return found


def _capable(c: Candidate, lead: Lead) -> bool:
    return (not lead.product_line or lead.product_line in c.product_lines) and (
        not lead.customer_tier or lead.customer_tier in c.tiers
    )


def _round_robin(pool: list[Candidate], scope: str) -> Candidate:
    """The next rep after the last one served in `scope` (the cursor row is locked)."""
    cursor, _created = AssignmentCursor.objects.select_for_update().get_or_create(scope=scope)
    ordered = sorted(pool, key=lambda c: c.user.pk)
    chosen = next((c for c in ordered if c.user.pk > cursor.last_user_id), ordered[0])
    cursor.last_user_id = chosen.user.pk
    cursor.save(update_fields=["last_user_id"])
    return chosen


def weighted_scores(
    lead: Lead, pool: list[Candidate], policy: Assignment
) -> list[tuple[float, Candidate, dict[str, float]]]:
    """Each candidate's weighted score and its parts (for previews and explanations)."""
    weights = policy.weights
    high_value = lead.score >= policy.senior_score_threshold
    scored = []
    for c in pool:
        cap = max(c.user.max_open_workload, 1)
        parts = {
            "tier_fit": 1.0 if lead.customer_tier and lead.customer_tier in c.tiers else 0.0,
            "product_line_skill": 1.0 if lead.product_line and lead.product_line in c.product_lines else 0.0,
            # High-value leads go to senior reps; others do not compete on seniority.
            "seniority": c.user.seniority / 5 if high_value else 0.0,
            "open_workload": 1.0 - min(c.open_leads / cap, 1.0),
        }
        total = sum(weights.get(name, 0.0) * value for name, value in parts.items())
        scored.append((total, c, parts))
    # Ties: the least loaded, then the longest-serving account, so decisions are repeatable.
    scored.sort(key=lambda s: (-s[0], s[1].open_leads, s[1].user.pk))
    return scored


def choose_owner(
    lead: Lead, *, policy: Assignment, team: Team | None, now: datetime
) -> tuple[User | None, dict[str, Any]]:
    """The rep the policy picks (None: nobody eligible, the lead goes to the pool) and why."""
    pool = candidates(team=team, policy=policy, now=now)
    if policy.strategy != "round_robin":
        pool = [c for c in pool if _capable(c, lead)] if policy.strategy == "capability" else pool
    if policy.strategy == "weighted" and lead.score >= policy.senior_score_threshold:
        seniors = [c for c in pool if c.user.seniority >= policy.senior_min_level]
        pool = seniors or pool
    if not pool:
        return None, {"strategy": policy.strategy, "reason": "no eligible rep"}
    if policy.strategy == "weighted":
        total, chosen, parts = weighted_scores(lead, pool, policy)[0]
        return chosen.user, {"strategy": "weighted", "score": round(total, 3), "parts": parts}
    scope = f"lead:{team.pk if team else 'all'}:{policy.strategy}"
    chosen = _round_robin(pool, scope)
    return chosen.user, {"strategy": policy.strategy, "open_leads": chosen.open_leads}
