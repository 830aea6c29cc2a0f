"""商机 pages (the pipeline issue adds the board, the stage checklist and evidence)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from salesflow.core import events
from salesflow.org.models import User
from salesflow.pipeline import selectors
from salesflow.pipeline.services import pipeline_for


@login_required
def opportunity_detail(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """An opportunity: customer, amount, stage within its pipeline, timeline."""
    assert isinstance(request.user, User)
    opportunity = selectors.opportunities_visible_to(request.user).filter(pk=opportunity_id).first()
    if opportunity is None:
        raise Http404("Not visible")
    template = pipeline_for(opportunity.pipeline)
    return render(
        request,
        "pipeline/detail.html",
        {
            "nav": "opportunities",
            "opportunity": opportunity,
            "stages": template.stages if template else [],
            "pipeline_name": template.name if template else opportunity.pipeline,
            "events": events.events_for(opportunity),
        },
    )
