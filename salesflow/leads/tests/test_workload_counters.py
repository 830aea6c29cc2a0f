"""The RepWorkload counters 智能分单 reads always equal the real count of open owned leads."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connections, transaction
from django.db.models import Count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesflow.core import clock
from salesflow.core.errors import DomainError
from salesflow.core.testing import Trio
from salesflow.leads import services
from salesflow.leads.choices import OPEN_STATUSES, OWNED_OPEN_STATUSES
from salesflow.leads.models import IntakeForm, Lead, RepWorkload
from salesflow.org import services as org
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.workflows import services as workflows

# A few companies and phones, so intakes sometimes merge into an open lead and sometimes
# attach to a customer a conversion created (and go to its owner).
COMPANIES = ["杭州瑞康医疗器械有限公司", "上海仁济医院", "苏州博爱骨科医院", ""]

REP = st.integers(0, 2)
LEAD = st.integers(0, 30)
STEP = st.one_of(
    st.tuples(st.just("intake"), st.integers(0, 9), st.sampled_from(COMPANIES)),
    st.tuples(st.just("create"), st.integers(0, 9), st.one_of(st.none(), REP)),
    st.tuples(st.just("claim"), LEAD, REP),
    st.tuples(st.just("reassign"), LEAD, REP),
    st.tuples(st.just("acknowledge"), LEAD),
    st.tuples(st.just("convert"), LEAD),
    st.tuples(st.just("hand_over"), REP, st.one_of(st.none(), REP)),
)


def counters_drift() -> dict[str, tuple[int, int]]:
    """Per rep whose counter is wrong: (counter, real open owned leads)."""
    real = dict(
        Lead.objects.filter(owner__isnull=False, status__in=OWNED_OPEN_STATUSES)
        .values_list("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    kept = dict(RepWorkload.objects.values_list("user_id", "open_leads"))
    return {
        User.objects.get(pk=pk).username: (kept.get(pk, 0), real.get(pk, 0))
        for pk in set(real) | set(kept)
        if kept.get(pk, 0) != real.get(pk, 0)
    }


def _nth_open(index: int) -> Lead | None:
    leads = list(Lead.objects.filter(status__in=OPEN_STATUSES).order_by("id"))
    return leads[index % len(leads)] if leads else None


def _apply(step: tuple[Any, ...], n: int, *, form: IntakeForm, reps: list[User], manager: User) -> None:
    now = clock.now()
    kind = step[0]
    if kind == "intake":
        _kind, phone, company = step
        data = {
            "name": f"客户{n}",
            "phone": f"1381234{phone:04d}",
            "company": company,
            "industry_segment": "hospital_public",
            "customer_tier": "tier3a",
            "product_line": "joint",
        }
        services.intake_submit(form=form, data=data, client=f"c{n}", now=now)
        return
    if kind == "create":  # entered by hand or imported, with or without an owner
        _kind, phone, owner = step
        services.lead_create(
            name=f"录入{n}",
            phone=f"1391234{phone:04d}",
            industry_segment="hospital_public",
            owner=None if owner is None else reps[owner],
            actor=manager,
            now=now,
        )
        return
    if kind == "hand_over":
        _kind, source, target = step
        services.leads_hand_over(
            user=reps[source], to=None if target is None else reps[target], actor=manager, now=now
        )
        return
    lead = _nth_open(step[1])
    if lead is None:
        return
    if kind == "claim":
        services.lead_claim(lead=lead, actor=reps[step[2]], now=now)
    elif kind == "reassign":
        services.lead_reassign(lead=lead, to=reps[step[2]], reason="测试改派", actor=manager, now=now)
    elif kind == "acknowledge":
        services.lead_acknowledge(lead=lead, actor=lead.owner or manager, now=now)
    elif kind == "convert":
        workflows.lead_convert(lead=lead, actor=lead.owner or manager, now=now)


@pytest.mark.django_db
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    caps=st.lists(st.integers(0, 4), min_size=3, max_size=3), steps=st.lists(STEP, min_size=1, max_size=25)
)
def test_workload_counters_equal_the_open_owned_leads_after_any_sequence(
    trio: Trio, website: IntakeForm, caps: list[int], steps: list[tuple[Any, ...]]
) -> None:
    reps = [trio.owner, trio.teammate, trio.outsider]
    with transaction.atomic():
        # Small caps: intakes also pool leads, which claims and reassignments then take.
        for rep, cap in zip(reps, caps, strict=True):
            org.user_update(user=rep, actor=None, max_open_workload=cap)
        for n, step in enumerate(steps):
            try:
                with transaction.atomic():
                    _apply(step, n, form=website, reps=reps, manager=trio.manager)
            except DomainError:
                pass  # refused (claimed already, closed, not allowed): nothing may have changed
            assert counters_drift() == {}, (n, step)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_handover_to_the_pool_and_conversion_release_the_counter(trio: Trio, website: IntakeForm) -> None:
    data = {"name": "王", "phone": "13800000001", "industry_segment": "hospital_public"}
    lead, _merged = services.intake_submit(form=website, data=data, client="a")
    assert lead is not None and lead.owner is not None
    owner = lead.owner
    other, _merged = services.intake_submit(
        form=website, data={**data, "name": "赵", "phone": "13800000002"}, client="b"
    )
    assert other is not None
    services.lead_reassign(lead=other, to=owner, reason="集中跟进", actor=trio.manager)
    assert RepWorkload.objects.get(user=owner).open_leads == 2
    workflows.lead_convert(lead=lead, actor=owner)
    assert RepWorkload.objects.get(user=owner).open_leads == 1
    assert services.leads_hand_over(user=owner, to=None, actor=trio.manager, now=clock.now()) == 1
    assert RepWorkload.objects.get(user=owner).open_leads == 0
    assert counters_drift() == {}
    assert User.objects.filter(role=Role.REP, repworkload__open_leads__lt=0).count() == 0


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_first_leads_of_a_rep_at_once_both_count(trio: Trio) -> None:
    """A rep's first counter row created by two transactions at once: no IntegrityError, count 2.

    The first transaction inserts the row and holds it uncommitted; the second finds no row to
    update, so its insert must wait for the first and then add to it instead of failing.
    """
    inserted = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                services.workload_move(from_id=None, to_id=trio.owner.pk)
                inserted.set()
                time.sleep(0.5)  # the second transaction reaches its insert meanwhile
        except BaseException as exc:
            errors.append(exc)
            inserted.set()
        finally:
            connections.close_all()

    def second() -> None:
        inserted.wait()
        try:
            with transaction.atomic():
                services.workload_move(from_id=None, to_id=trio.owner.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert RepWorkload.objects.get(user=trio.owner).open_leads == 2
