"""API fuzzing: schemathesis sends generated requests to every OpenAPI operation, in process.

Runs on PostgreSQL (the engine production uses) as a rep and as the ops admin, bounded: a fixed
number of examples per operation and role, derandomised (a fixed seed), no deadline. Every
response must be a non-5xx, and its status code, content type and body must be the ones the
OpenAPI document declares. A failure names the operation and role and prints a curl command
reproducing the request (the token is masked; issue one with POST /api/v1/auth/token).

Strings with NUL bytes are not generated here: that class of bad input (with lone surrogates,
which the UTF-8 codec used here cannot produce, and deep JSON) has its own fix and tests
(issue 10, bad input).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from salesflow.core.testing import TEST_PASSWORD, make_user
from salesflow.customers import services as customers
from salesflow.leads import services as leads
from salesflow.org import services as org
from salesflow.org.choices import Role, TeamKind
from salesflow.pipeline import services as pipeline

# Examples per operation and role: 65 operations x 2 roles x 20 (2,600 requests) take 35–60 s here.
EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Requests sent per operation (a run that sends nothing must not pass).
SENT: dict[str, int] = {}
CONFIG = {"generation": {"allow-x00": False, "mode": "all"}}


def _world() -> tuple[dict[str, str], dict[str, Any]]:
    """A rep and the ops admin with tokens, and a few records whose ids the fuzzer may also use."""
    company = org.team_create(name="模糊公司", kind=TeamKind.COMPANY, parent=None, actor=None)
    team = org.team_create(name="模糊一组", kind=TeamKind.TEAM, parent=company, actor=None)
    manager = make_user("fz_manager", Role.MANAGER, team, None)
    rep = make_user("fz_rep", Role.REP, team, manager)
    ops = make_user("fz_ops", Role.OPS_ADMIN, company, None)
    customer = customers.customer_create(name="模糊医院", actor=rep, owner=rep)
    lead = leads.lead_create(name="模糊线索", phone="13900000009", actor=None, owner=rep)
    opportunity = pipeline.opportunity_create(
        customer=customer, title="模糊商机", pipeline="standard", owner=rep, actor=rep, amount="10"
    )
    visit = pipeline.visit_create(
        customer=customer, package="hospital_visit", opportunity=opportunity, actor=rep
    )
    form = leads.form_create(name="模糊官网", actor=ops)
    tokens = {
        role: org.api_token_issue(username=user.username, password=TEST_PASSWORD, client="fuzz")[1]
        for role, user in (("rep", rep), ("ops", ops))
    }
    known = {
        "customer_id": customer.pk,
        "lead_id": lead.pk,
        "opportunity_id": opportunity.pk,
        "code": visit.code,
        "key": form.key,
        "user_id": rep.pk,
        "record_type": "customer",
        "record_id": customer.pk,
        "kind": "customers",
    }
    return tokens, known


def _fuzz(operation: Any, role: str, token: str, known: dict[str, Any]) -> None:
    """Run one operation's examples as `role`; raise with a reproducible request on the first failure."""
    names = {p.name for p in operation.path_parameters}
    real = {k: v for k, v in known.items() if k in names}
    strategies = [operation.as_strategy()]
    if real and len(real) == len(names):
        # Some examples on records that exist, so the fuzzer gets past the 404s.
        strategies.append(operation.as_strategy(path_parameters=real))
    if operation.body or operation.query or operation.path_parameters:
        # Invalid input (wrong types, missing fields, out-of-range values) must be a documented 4xx.
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    strategy = st.one_of(*strategies)
    SENT[operation.label] = SENT.get(operation.label, 0)
    headers = {"Authorization": f"Bearer {token}"}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        SENT[operation.label] += 1
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:
            # Schemathesis' message names the check and ends with a curl command reproducing the request.
            raise AssertionError(f"{operation.label} as {role}: {exc}") from None

    run()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_every_api_operation_survives_generated_requests_and_answers_as_documented(settings: Any) -> None:
    """Zero 5xx, and every response matches its declared status, content type and schema."""
    # Generated requests hit the public intake and the token endpoint many times a minute.
    settings.SALESFLOW_INTAKE_LIMIT_PER_IP = 1_000_000
    settings.SALESFLOW_INTAKE_LIMIT_PER_FORM = 1_000_000
    settings.SALESFLOW_LOGIN_FAILURE_LIMIT = 1_000_000
    tokens, known = _world()
    config = schemathesis.Config.from_dict(CONFIG)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler(), config=config)
    failures: list[str] = []
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"The OpenAPI document is invalid: {result}"
        operations.append(result.ok())
    assert len(operations) > 50
    for operation in operations:
        for role, token in tokens.items():
            try:
                _fuzz(operation, role, token, known)
            except (AssertionError, BaseExceptionGroup) as exc:
                failures.append(str(exc))
    silent = sorted(label for label, count in SENT.items() if count < EXAMPLES // 2)
    assert not silent, f"These operations were hardly exercised: {silent}"
    print(f"fuzzed {len(SENT)} operations with {sum(SENT.values())} requests")
    assert not failures, f"{len(failures)} failing operation/role pairs:\n\n" + "\n\n".join(failures)
