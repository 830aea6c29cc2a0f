"""Pipeline: evidence-gated stages, stage history, evidence checks, visits, the circuit breaker."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from PIL import ExifTags, Image

from salesflow.core import clock
from salesflow.core.testing import Trio, api_client_for
from salesflow.customers import services as customers
from salesflow.notify.models import Notification, Task
from salesflow.pipeline import selectors, services
from salesflow.pipeline.models import Evidence, Opportunity, StageVisit
from salesflow.timers import sweeper

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _opportunity(trio: Trio, *, pipeline: str = "standard", now: datetime | None = None) -> Opportunity:
    customer = customers.customer_create(name="杭州市第一人民医院", actor=None, owner=trio.owner, now=now)
    return services.opportunity_create(
        customer=customer,
        title="关节耗材采购",
        pipeline=pipeline,
        owner=trio.owner,
        actor=trio.owner,
        now=now,
    )


def _jpeg(*, taken: str | None = None, gps: tuple[float, float] | None = None, seed: int = 0) -> bytes:
    image = Image.new("RGB", (64, 64), (seed * 40 % 255, 120, 200))
    for x in range(0, 64, 8):  # some structure, so perceptual hashes differ between seeds
        for y in range(0, 64, 8):
            if (x * y + seed * 7) % 3 == 0:
                image.putpixel((x, y), (255, 255, 255))
    exif = Image.Exif()
    if taken:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken
    if gps:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(
            {1: "N", 2: (gps[0], 0.0, 0.0), 3: "E", 4: (gps[1], 0.0, 0.0)}
        )
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _advance(api: Client, opportunity: Opportunity, to: str, reason: str = "") -> Any:
    return api.post(
        f"/api/v1/opportunities/{opportunity.pk}/advance",
        {"to_stage": to, "reason": reason},
        content_type="application/json",
    )


def test_pipelines_list_stages_with_evidence_and_probabilities(trio: Trio) -> None:
    body = api_client_for(trio.owner).get("/api/v1/pipelines").json()
    standard = next(p for p in body if p["code"] == "standard")
    assert [s["code"] for s in standard["stages"]][:3] == [
        "lead_registered",
        "first_contact",
        "needs_confirmed",
    ]
    needs = standard["stages"][2]
    assert needs["evidence"] == [{"kind": "document", "code": "requirements_doc", "label": "客户需求说明书"}]
    assert needs["probability"] == 25


def test_a_stage_cannot_be_passed_without_its_evidence_and_the_409_names_it(trio: Trio) -> None:
    opportunity = _opportunity(trio)
    api = api_client_for(trio.owner)
    assert _advance(api, opportunity, "first_contact").status_code == 200
    assert _advance(api, opportunity, "needs_confirmed").status_code == 200
    refused = _advance(api, opportunity, "proposal_quote")
    assert refused.status_code == 409
    assert refused.json()["missing"] == [
        {"kind": "document", "code": "requirements_doc", "label": "客户需求说明书"}
    ]
    assert "客户需求说明书" in refused.json()["detail"]
    assert Opportunity.objects.get(pk=opportunity.pk).stage == "needs_confirmed"  # nothing written
    fake = api.post(
        "/api/v1/evidence",
        {
            "opportunity": opportunity.pk,
            "requirement": "requirements_doc",
            "file": _named(b"hello", "需求.pdf"),
        },
    )
    assert fake.status_code == 422 and fake.json()["detail"][0]["loc"][-1] == "file"
    upload = api.post(
        "/api/v1/evidence",
        {"opportunity": opportunity.pk, "requirement": "requirements_doc", "file": _named(PDF, "需求.pdf")},
    )
    assert upload.status_code == 201 and upload.json()["content_type"] == "application/pdf"
    moved = _advance(api, opportunity, "proposal_quote")
    assert moved.status_code == 200 and moved.json()["stage"] == "proposal_quote"
    # The document of a completed step is now immutable.
    assert api.delete(f"/api/v1/evidence/{upload.json()['id']}").status_code == 409


def _named(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def test_skipping_stages_needs_every_stage_evidence_on_the_way(trio: Trio) -> None:
    opportunity = _opportunity(trio)
    refused = _advance(api_client_for(trio.owner), opportunity, "delivery_payment")
    assert refused.status_code == 409
    assert [m["code"] for m in refused.json()["missing"]] == [
        "requirements_doc",
        "technical_doc",
        "signed_contract",
    ]


def test_moving_back_needs_a_reason_and_stage_history_is_exact(trio: Trio) -> None:
    start = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    opportunity = _opportunity(trio, now=start)
    services.opportunity_advance(
        opportunity=opportunity, to_stage="first_contact", actor=trio.owner, now=start + timedelta(days=2)
    )
    api = api_client_for(trio.owner)
    no_reason = _advance(api, opportunity, "lead_registered")
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["loc"][-1] == "reason"
    assert _advance(api, opportunity, "lead_registered", reason="客户换了对接人").status_code == 200
    stays = list(StageVisit.objects.filter(opportunity=opportunity).order_by("id"))
    assert [s.stage for s in stays] == ["lead_registered", "first_contact", "lead_registered"]
    assert stays[0].exited_at is not None and stays[0].exited_at - stays[0].entered_at == timedelta(days=2)
    assert stays[1].exit_reason == "客户换了对接人" and stays[2].exited_at is None


def test_closing_as_lost_needs_a_reason_from_the_pack(trio: Trio) -> None:
    opportunity = _opportunity(trio)
    api = api_client_for(trio.owner)
    url = f"/api/v1/opportunities/{opportunity.pk}/close"
    bad = api.post(url, {"outcome": "lost", "reason": "就是没成"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "reason"
    done = api.post(url, {"outcome": "lost", "reason": "competitor"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "lost" and done.json()["light"] == "grey"


def test_permissions_owner_teammate_outsider(trio: Trio) -> None:
    opportunity = _opportunity(trio)
    for user in (trio.teammate, trio.outsider):
        api = api_client_for(user)
        assert api.get(f"/api/v1/opportunities/{opportunity.pk}").status_code == 404
        assert _advance(api, opportunity, "first_contact").status_code == 404
    assert api_client_for(trio.manager).get(f"/api/v1/opportunities/{opportunity.pk}").status_code == 200
    upload = api_client_for(trio.manager).post(
        "/api/v1/evidence", {"opportunity": opportunity.pk, "requirement": "requirements_doc", "text": "x"}
    )
    assert upload.status_code == 403  # evidence comes from the owner


def test_photo_exif_is_compared_with_the_claim_and_metadata_is_stripped(trio: Trio) -> None:
    customer = customers.customer_create(name="宁波市医疗中心", actor=None, owner=trio.owner)
    visit = services.visit_create(
        customer=customer,
        package="hospital_visit",
        actor=trio.owner,
        planned_at=datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI),
        lat=Decimal("30.000000"),
        lng=Decimal("120.000000"),
    )
    far_and_late = _jpeg(taken="2026:11:18 09:00:00", gps=(31.0, 121.0))
    evidence = services.evidence_add(
        visit=visit, requirement="door_plate_photo", data=far_and_late, filename="门牌.jpg", actor=trio.owner
    )
    assert set(evidence.flags) == {"time_mismatch", "location_mismatch"}
    assert evidence.exif_lat == Decimal("31.000000")
    with Image.open(evidence.file.open("rb")) as stored:
        assert not stored.getexif()  # re-encoded: no metadata survives
    matching = _jpeg(taken="2026:11:20 10:20:00", gps=(30.0, 120.0), seed=3)
    ok = services.evidence_add(visit=visit, requirement="door_plate_photo", data=matching, actor=trio.owner)
    assert ok.flags == []


def test_a_reused_photo_is_flagged_to_the_manager(trio: Trio) -> None:
    first_customer = customers.customer_create(name="绍兴第一医院", actor=None, owner=trio.owner)
    second_customer = customers.customer_create(name="绍兴第二医院", actor=None, owner=trio.owner)
    photo = _jpeg(seed=5)
    first = services.visit_create(customer=first_customer, package="hospital_visit", actor=trio.owner)
    second = services.visit_create(customer=second_customer, package="hospital_visit", actor=trio.owner)
    services.evidence_add(visit=first, requirement="door_plate_photo", data=photo, actor=trio.owner)
    again = services.evidence_add(visit=second, requirement="door_plate_photo", data=photo, actor=trio.owner)
    assert any(flag.startswith("reused:") for flag in again.flags)
    told = Notification.objects.get(kind="evidence.reused", recipient=trio.manager)
    assert "绍兴第一医院" in told.body


def test_a_visit_completes_only_with_every_item(trio: Trio) -> None:
    customer = customers.customer_create(name="金华市中心医院", actor=None, owner=trio.owner)
    api = api_client_for(trio.owner)
    created = api.post(
        "/api/v1/visits",
        {"customer": customer.pk, "package": "hospital_visit"},
        content_type="application/json",
    )
    assert created.status_code == 201
    code = created.json()["code"]
    assert {m["code"] for m in created.json()["missing"]} == {
        "door_plate_photo",
        "trial_confirmation",
        "need_points",
    }
    refused = api.post(f"/api/v1/visits/{code}/complete", {}, content_type="application/json")
    assert refused.status_code == 409 and len(refused.json()["missing"]) == 3
    too_long = api.post(
        "/api/v1/evidence",
        {"visit": code, "requirement": "need_points", "text": "price:进口品牌价格太贵了需要降价"},
    )
    assert too_long.status_code == 422 and too_long.json()["detail"][0]["loc"][-1] == "text"
    api.post(
        "/api/v1/evidence",
        {"visit": code, "requirement": "need_points", "text": "price:嫌贵\n交期\ntraining"},
    )
    api.post(
        "/api/v1/evidence", {"visit": code, "requirement": "trial_confirmation", "file": _named(PDF, "t.pdf")}
    )
    photo = _jpeg(taken=clock.to_local(clock.now()).strftime("%Y:%m:%d %H:%M:%S"), seed=9)
    api.post(
        "/api/v1/evidence", {"visit": code, "requirement": "door_plate_photo", "file": _named(photo, "p.jpg")}
    )
    done = api.post(
        f"/api/v1/visits/{code}/complete", {"next_step": "下周试用"}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["status"] == "completed" and done.json()["missing"] == []
    customer.refresh_from_db()
    assert customer.last_interaction_at is not None  # a completed visit is an effective interaction
    evidence_id = done.json()["evidence"][0]["id"]
    assert api.delete(f"/api/v1/evidence/{evidence_id}").status_code == 409


def test_circuit_breaker_counts_working_days_across_national_day(trio: Trio) -> None:
    start = datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI)
    opportunity = _opportunity(trio, pipeline="hospital_visit", now=start)
    Evidence.objects.bulk_create(
        [
            Evidence(
                opportunity=opportunity,
                stage="hospital_visit",
                requirement=code,
                kind=kind,
                text=text,
                uploaded_by=trio.owner,
                uploaded_at=start,
            )
            for code, kind, text in (
                ("door_plate_photo", "photo", ""),
                ("trial_confirmation", "signed_pdf", ""),
                ("need_points", "need_points", "price\ndelivery\ntraining"),
            )
        ]
    )
    services.opportunity_advance(
        opportunity=opportunity, to_stage="hospital_visit", actor=trio.owner, now=start
    )
    entered = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)  # the day before the National Day holiday
    services.opportunity_advance(
        opportunity=opportunity, to_stage="tech_solution", actor=trio.owner, now=entered
    )
    # Five calendar-blind days would end on 10-07; the working calendar skips 10-01…10-07 and
    # counts the 10-10 make-up Saturday: 10-08, 10-09, 10-10, 10-12, 10-13.
    sweeper.sweep(now=datetime(2026, 10, 13, 9, 59, tzinfo=SHANGHAI))
    opportunity.refresh_from_db()
    assert not selectors.quoting_frozen(opportunity)
    sweeper.sweep(now=datetime(2026, 10, 13, 10, 1, tzinfo=SHANGHAI))
    assert selectors.quoting_frozen(opportunity)
    assert {t.assignee.username for t in Task.objects.filter(title__startswith="阶段熔断")} >= {"mgr"}
    detail = api_client_for(trio.owner).get(f"/api/v1/opportunities/{opportunity.pk}").json()
    assert detail["quoting_frozen"] is True and detail["light"] == "red"
    customer = api_client_for(trio.owner).get(f"/api/v1/customers/{opportunity.customer_id}").json()
    assert customer["quoting_frozen"] is True
    Evidence.objects.create(
        opportunity=opportunity,
        stage="tech_solution",
        requirement="solution_doc",
        kind="document",
        uploaded_by=trio.owner,
        uploaded_at=entered,
    )
    later = datetime(2026, 10, 14, 9, 0, tzinfo=SHANGHAI)
    services.opportunity_advance(opportunity=opportunity, to_stage="trial", actor=trio.owner, now=later)
    assert not selectors.quoting_frozen(opportunity)  # the freeze lifts when the stage is left


def test_team_comparison_from_stage_history(trio: Trio) -> None:
    base = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    for days in (2, 4):  # the team spent 3 days on average in 初步接触
        done = _opportunity_named(trio, f"历史商机{days}", base)
        services.opportunity_advance(opportunity=done, to_stage="first_contact", actor=trio.owner, now=base)
        Evidence.objects.create(
            opportunity=done,
            stage="first_contact",
            requirement="x",
            kind="document",
            uploaded_by=trio.owner,
            uploaded_at=base,
        )
        services.opportunity_advance(
            opportunity=done,
            to_stage="lead_registered",
            reason="回退",
            actor=trio.owner,
            now=base + timedelta(days=days),
        )
    current = _opportunity_named(trio, "当前商机", base)
    current = services.opportunity_advance(
        opportunity=current, to_stage="first_contact", actor=trio.owner, now=base
    )
    comparison = selectors.stage_comparison(current, now=base + timedelta(days=6, hours=4, minutes=48))
    assert comparison["team_average_days"] == 3.0
    assert comparison["behind_team_by_days"] == 3.2
    assert comparison["message"] == "你在本阶段已落后团队均值 3.2 天"


def _opportunity_named(trio: Trio, title: str, now: datetime) -> Opportunity:
    customer = customers.customer_create(name=f"{title}客户", actor=None, owner=trio.owner, now=now)
    return services.opportunity_create(
        customer=customer, title=title, pipeline="standard", owner=trio.owner, actor=trio.owner, now=now
    )


def test_stall_reminds_after_5_days_and_no_update_for_7_days_turns_red(trio: Trio) -> None:
    from salesflow.activities import services as activities

    start = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    opportunity = _opportunity(trio, now=start)
    sweeper.sweep(now=start + timedelta(days=5, minutes=1))
    stalled = Notification.objects.filter(kind="opportunity.stalled")
    assert {n.recipient.username for n in stalled} == {"owner", "mgr"}
    api = api_client_for(trio.owner)
    assert api.get(f"/api/v1/opportunities/{opportunity.pk}").json()["light"] in ("yellow", "red")
    day6 = start + timedelta(days=6)
    activities.activity_log(
        opportunity=opportunity,
        kind="call",
        duration_seconds=120,
        occurred_at=day6,
        actor=trio.owner,
        now=day6,
    )
    sweeper.sweep(now=start + timedelta(days=7, minutes=1))
    assert not Notification.objects.filter(kind="opportunity.red_light").exists()  # the call was an update
    sweeper.sweep(now=day6 + timedelta(days=7, minutes=1))
    assert Notification.objects.filter(kind="opportunity.red_light", recipient=trio.owner).exists()
    opportunity.refresh_from_db()
    assert selectors.light(opportunity, [], now=day6 + timedelta(days=7, minutes=1)) == "red"


def test_a_milestone_with_its_proof_unlocks_the_stage(trio: Trio) -> None:
    from salesflow.rules import services as rules
    from salesflow.rules.schema import EvidenceRequirement
    from salesflow.rules.selectors import active_pack

    _number, pack = active_pack()
    standard = next(t for t in pack.stage_templates if t.code == "standard")
    standard.stages[1].exit_evidence.append(
        EvidenceRequirement(code="committee_meeting", name="采购委员会立项会", kind="milestone")
    )
    rules.pack_version_create(pack=pack, actor=trio.admin, note="milestone")
    opportunity = _opportunity(trio)
    api = api_client_for(trio.owner)
    _advance(api, opportunity, "first_contact")
    refused = _advance(api, opportunity, "needs_confirmed")
    assert refused.status_code == 409
    assert refused.json()["missing"] == [
        {"kind": "milestone", "code": "committee_meeting", "label": "采购委员会立项会"}
    ]
    proof = api.post(
        "/api/v1/evidence",
        {"opportunity": opportunity.pk, "requirement": "committee_meeting", "file": _named(PDF, "纪要.pdf")},
    )
    assert proof.status_code == 201
    assert _advance(api, opportunity, "needs_confirmed").status_code == 200


def test_evidence_goes_to_the_current_stage_even_from_an_old_copy(trio: Trio) -> None:
    opportunity = _opportunity(trio, pipeline="hospital_visit")
    services.opportunity_advance(opportunity=opportunity, to_stage="hospital_visit", actor=trio.owner)
    assert opportunity.stage == "lead_registered"  # the caller's copy is stale
    evidence = services.evidence_add(
        opportunity=opportunity, requirement="need_points", text="price\ndelivery\ntraining", actor=trio.owner
    )
    assert evidence.stage == "hospital_visit"
