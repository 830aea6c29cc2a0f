"""Lead fixtures: a website form and a few reps with skills."""

from __future__ import annotations

import pytest

from salesflow.core.testing import Trio
from salesflow.leads import services
from salesflow.leads.models import IntakeForm
from salesflow.org import services as org


@pytest.fixture
def website(trio: Trio) -> IntakeForm:
    """The website form of the trio's company (all reps eligible)."""
    org.user_set_skills(
        user=trio.owner, actor=None, product_lines=["joint", "spine"], customer_tiers=["tier3a"]
    )
    org.user_set_skills(user=trio.teammate, actor=None, product_lines=["trauma"], customer_tiers=["tier2a"])
    org.user_set_skills(user=trio.outsider, actor=None, product_lines=["joint"], customer_tiers=["private"])
    return services.form_create(name="官网表单", actor=trio.admin, default_source="website")
