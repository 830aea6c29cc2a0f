"""A learned lead score (scikit-learn logistic regression over won and lost leads), explained by factors.

The rule score stays the one that drives MQL and assignment; the learned score is shown beside it
once the pack's minimum history exists. The model is stored as plain coefficients, so reading it
needs no pickle and no scikit-learn at request time.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from salesflow.leads.choices import TAG_FIELDS, LeadStatus
from salesflow.leads.models import Lead, LeadBehaviour, LearnedScoreModel
from salesflow.rules.selectors import active_pack

# Log-odds are shown as points: ten points per unit, so factors read like the rule score's.
POINTS_PER_LOG_ODDS = 10


def outcome_filter() -> Q:
    """Leads whose outcome is known: won through their opportunity, or lost / disqualified."""
    return Q(status=LeadStatus.DISQUALIFIED) | Q(
        status=LeadStatus.CONVERTED, opportunity__status__in=["won", "lost"]
    )


def features_of(lead: Lead, behaviour_counts: dict[str, int]) -> dict[str, float]:
    """The model's inputs for one lead: its tags one-hot, behaviour counts (log), budget given."""
    values: dict[str, float] = {}
    for field in TAG_FIELDS:
        value = getattr(lead, field, "")
        if value:
            values[f"{field}={value}"] = 1.0
    for kind, count in behaviour_counts.items():
        values[f"behaviour:{kind}"] = math.log1p(count)
    if lead.budget:
        values["budget_given"] = 1.0
    return values


def _behaviour_counts(lead_ids: list[int]) -> dict[int, Counter[str]]:
    counts: dict[int, Counter[str]] = {i: Counter() for i in lead_ids}
    for lead_id, kind in LeadBehaviour.objects.filter(lead_id__in=lead_ids).values_list("lead_id", "kind"):
        counts[lead_id][kind] += 1
    return counts


def train(*, now: datetime) -> LearnedScoreModel | None:
    """Fit the model on every lead with a known outcome; None while history is short (pack minimums)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    _number, pack = active_pack()
    spec = pack.scoring.learned
    if not spec.enabled:
        return None
    leads = list(Lead.objects.filter(outcome_filter()).select_related("opportunity"))
    labels = [
        1 if lead.status == LeadStatus.CONVERTED and lead.opportunity.status == "won" else 0 for lead in leads
    ]
    won = sum(labels)
    if len(leads) < spec.min_samples or min(won, len(leads) - won) < spec.min_each_outcome:
        return None
    counts = _behaviour_counts([lead.pk for lead in leads])
    rows = [features_of(lead, counts[lead.pk]) for lead in leads]
    names = sorted({name for row in rows for name in row})
    matrix = [[row.get(name, 0.0) for name in names] for row in rows]
    model = LogisticRegression(C=1.0, max_iter=1000)
    folds = min(5, won, len(leads) - won)
    accuracy = float(cross_val_score(model, matrix, labels, cv=folds).mean()) if folds >= 2 else None
    model.fit(matrix, labels)
    with transaction.atomic():
        return LearnedScoreModel.objects.create(
            trained_at=now,
            features=names,
            coefficients=[float(c) for c in model.coef_[0]],
            intercept=float(model.intercept_[0]),
            samples=len(leads),
            won=won,
            accuracy=accuracy,
        )


def current_model() -> LearnedScoreModel | None:
    """The newest trained model, if any."""
    return LearnedScoreModel.objects.order_by("-trained_at", "-id").first()


def predict(lead: Lead, model: LearnedScoreModel | None = None) -> dict[str, Any] | None:
    """The learned win probability (0–100) and the factors that moved it most; None without a model."""
    model = model or current_model()
    if model is None:
        return None
    counts = _behaviour_counts([lead.pk])[lead.pk] if lead.pk else Counter()
    values = features_of(lead, counts)
    weights = dict(zip(model.features, model.coefficients, strict=True))
    contributions = [(name, weights[name] * value) for name, value in values.items() if name in weights]
    logit = model.intercept + sum(c for _name, c in contributions)
    contributions.sort(key=lambda item: -abs(item[1]))
    return {
        "score": round(100 / (1 + math.exp(-logit))),
        "factors": [
            {"factor": name, "points": round(c * POINTS_PER_LOG_ODDS, 1), "at": None}
            for name, c in contributions[:5]
            if abs(c) >= 0.01
        ],
        "trained_at": model.trained_at,
        "samples": model.samples,
        "accuracy": model.accuracy,
    }
