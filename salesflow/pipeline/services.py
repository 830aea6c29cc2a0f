"""Writes of opportunities: open one in a pack pipeline, hand a rep's open ones over."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import models, transaction

from salesflow.core import clock, events
from salesflow.core.errors import Conflict, DomainError, FieldErrors, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.customers.models import Customer
from salesflow.leads.models import Lead
from salesflow.org.models import User
from salesflow.org.selectors import team_and_ancestor_names
from salesflow.pipeline import evidence as evidence_checks
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Evidence, Opportunity, StageVisit, Visit
from salesflow.pipeline.selectors import evidence_status, evidence_status_by_stage
from salesflow.rules.schema import EvidenceRequirement, Stage, StageTemplate
from salesflow.rules.selectors import active_pack
from salesflow.timers.durations import parse_duration


def pipeline_for(
    code: str | None, *, product_lines: list[str] | None = None, regions: list[str] | None = None
) -> StageTemplate | None:
    """The pack's stage template `code`; without one, the best fit for the regions and product lines.

    `regions` are the names of the owner's team and the teams above it (nearest first): a
    template with a `region` applies only there. Among the templates that apply, one for a
    product line of the deal comes first (a region's own before the general one), then the
    region's own general template, then the first template without a region.
    """
    _number, pack = active_pack()
    templates = pack.stage_templates
    if code:
        return next((t for t in templates if t.code == code), None)
    names = [r for r in regions or [] if r]
    applicable = [t for t in templates if t.region is None or t.region in names]

    def rank(template: StageTemplate) -> int:
        # Nearer teams first: a team's own template beats its region's, which beats the general one.
        return names.index(template.region) if template.region in names else len(names)

    for line in product_lines or []:
        matches = sorted((t for t in applicable if t.product_line == line), key=rank)
        if matches:
            return matches[0]
    general = sorted((t for t in applicable if t.product_line is None), key=rank)
    if general:
        return general[0]
    unregioned = [t for t in templates if t.region is None]
    return unregioned[0] if unregioned else (templates[0] if templates else None)


def regions_of(owner: User | None, customer: Customer | None = None) -> list[str]:
    """Names of the owner's team and every team above it, nearest first (else the customer's region)."""
    if owner is not None and owner.team_id is not None and owner.team is not None:
        return team_and_ancestor_names(owner.team)
    if customer is not None and customer.region_id is not None and customer.region is not None:
        return team_and_ancestor_names(customer.region)
    return []


def opportunity_create(
    *,
    customer: Customer,
    title: str,
    actor: User | None,
    owner: User | None,
    pipeline: str | None = None,
    amount: Decimal | str = "0",
    expected_close: date | None = None,
    product_lines: list[str] | None = None,
    lead: Lead | None = None,
    now: datetime | None = None,
) -> Opportunity:
    """Open an opportunity in the first stage of a pack pipeline."""
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = ["必填 / This field is required."]
    elif len(title) > 200:
        errors["title"] = ["最多 200 字 / At most 200 characters."]
    try:
        value = Decimal(str(amount).replace(",", "").strip() or "0")
        if value < 0 or value >= Decimal("1e12"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["amount"] = ["应为金额，例如 480000 / Must be an amount."]
        value = Decimal("0")
    template = pipeline_for(pipeline, product_lines=product_lines, regions=regions_of(owner, customer))
    if template is None or not template.stages:
        errors["pipeline"] = [f"规则包中没有销售流程 “{pipeline}” / No such pipeline in the rule pack."]
    _number, pack = active_pack()
    dictionary = pack.dictionary("product_line")
    unknown = [p for p in product_lines or [] if dictionary and p not in [c.code for c in dictionary.choices]]
    if unknown:
        errors["product_lines"] = [f"未知产品线 / unknown product lines: {', '.join(unknown)}"]
    if errors:
        raise FieldErrors(errors)
    assert template is not None
    with transaction.atomic():
        opportunity = Opportunity(
            customer=customer,
            title=title,
            amount=value.quantize(Decimal("0.01")),
            expected_close=expected_close,
            product_lines=product_lines or [],
            pipeline=template.code,
            stage=template.stages[0].code,
            stage_entered_at=now,
            last_update_at=now,
            owner=owner,
            lead=lead,
            created_at=now,
        )
        attach_actor(opportunity, actor, now)
        opportunity.save()
        events.record(
            name="opportunity.created",
            subject=opportunity,
            actor=actor,
            occurred_at=now,
            payload={
                "customer": customer.pk,
                "lead": lead.pk if lead else None,
                "amount": str(opportunity.amount),
            },
        )
        _enter(opportunity, opportunity.stage, actor=actor, reason="", now=now)
    return opportunity


def opportunities_hand_over(*, user: User, to: User | None, actor: User, now: datetime) -> int:
    """Move `user`'s open opportunities to `to` (None: unowned), an event on each; the count."""
    with transaction.atomic():
        moved = list(
            Opportunity.objects.select_for_update().filter(owner=user, status=OpportunityStatus.OPEN)
        )
        for opportunity in moved:
            opportunity.owner = to
            attach_actor(opportunity, actor, now)
            opportunity.save(update_fields=["owner"])
            events.record(
                name="opportunity.handed_over",
                subject=opportunity,
                actor=actor,
                occurred_at=now,
                payload={"from": user.pk, "to": to.pk if to else None},
            )
    return len(moved)


def opportunity_activity_record(
    *, opportunity: Opportunity, payload: dict[str, object], actor: User, now: datetime
) -> Opportunity:
    """An activity was logged on the opportunity: it counts as an update (field history, timeline)."""
    with transaction.atomic():
        locked = Opportunity.objects.select_for_update(of=("self",)).get(pk=opportunity.pk)
        locked.last_update_at = now
        attach_actor(locked, actor, now)
        locked.save(update_fields=["last_update_at"])
        # Recorded on the opportunity: its timeline shows it and its no-update timer restarts.
        events.record(name="activity.logged", subject=locked, actor=actor, occurred_at=now, payload=payload)
    return locked


class EvidenceMissing(DomainError):
    """The step is locked until its evidence is there (动作锁); `missing` names every piece."""

    status_code = 409


def _stage_index(template: StageTemplate, code: str) -> int:
    return next((i for i, s in enumerate(template.stages) if s.code == code), -1)


def missing_for_entry(opportunity: Opportunity, stage: Stage) -> list[dict[str, str]]:
    """Fields the stage requires to be filled before entering it."""
    labels = {f.name: str(f.verbose_name) for f in Opportunity._meta.fields}
    return [
        {"kind": "field", "code": name, "label": labels.get(name, name)}
        for name in stage.entry_criteria
        if getattr(opportunity, name, None) in (None, "", [], 0)
    ]


def _points(text: str) -> list[str]:
    return [p for p in (text or "").split("\n") if p.strip()]


def _enter(opportunity: Opportunity, stage: str, *, actor: User | None, reason: str, now: datetime) -> None:
    StageVisit.objects.create(
        opportunity=opportunity,
        pipeline=opportunity.pipeline,
        stage=stage,
        entered_at=now,
        entered_by=actor,
        entry_reason=reason,
        team_id=opportunity.owner.team_id if opportunity.owner else None,
    )
    payload = {"pipeline": opportunity.pipeline, "stage": stage, "reason": reason}
    # A per-stage event lets the pack time one stage (e.g. the 技术方案确认 circuit breaker);
    # both go in with one INSERT, then the listeners see them in order.
    events.record_many(
        subject=opportunity,
        actor=actor,
        occurred_at=now,
        entries=[("opportunity.stage_entered", payload), (f"opportunity.entered_{stage}", payload)],
    )


def _leave(opportunity: Opportunity, *, actor: User | None, reason: str, now: datetime) -> None:
    StageVisit.objects.filter(opportunity=opportunity, exited_at__isnull=True).update(
        exited_at=now,
        exited_by=actor,
        exit_reason=reason,
        team_id=opportunity.owner.team_id if opportunity.owner else None,
    )
    # Evidence of a completed step can no longer be removed.
    Evidence.objects.filter(opportunity=opportunity, stage=opportunity.stage, locked_at__isnull=True).update(
        locked_at=now
    )
    payload = {"pipeline": opportunity.pipeline, "stage": opportunity.stage, "reason": reason}
    events.record_many(
        subject=opportunity,
        actor=actor,
        occurred_at=now,
        entries=[("opportunity.stage_left", payload), (f"opportunity.left_{opportunity.stage}", payload)],
    )


def _may_work_on(actor: User, opportunity: Opportunity) -> bool:
    from salesflow.org.selectors import visible_owner_ids

    owners = visible_owner_ids(actor)
    return owners is None or opportunity.owner_id in owners


def opportunity_advance(
    *, opportunity: Opportunity, to_stage: str, actor: User, reason: str = "", now: datetime | None = None
) -> Opportunity:
    """Move to another stage: forward only with every piece of evidence, backward only with a reason."""
    now = now or clock.now()
    reason = (reason or "").strip()
    # Its events (the stage left and entered, the timers restarted) go in with one INSERT at the end.
    with transaction.atomic(), events.one_insert():
        locked = (
            Opportunity.objects.select_for_update(of=("self",))
            .select_related("owner", "customer")  # the answer names the customer
            .get(pk=opportunity.pk)
        )
        if not _may_work_on(actor, locked):
            raise PermissionDenied("只有负责人或其上级可以推进商机 / Only the owner or their managers.")
        if locked.status != OpportunityStatus.OPEN:
            raise Conflict("商机已关闭 / The opportunity is closed.", status=locked.status)
        template = pipeline_for(locked.pipeline)
        assert template is not None
        current, target = _stage_index(template, locked.stage), _stage_index(template, to_stage)
        if target < 0:
            raise FieldErrors(
                {"to_stage": [f"“{to_stage}” 不是该流程的阶段 / not a stage of {template.code}"]}
            )
        if target == current:
            raise FieldErrors({"to_stage": ["商机已在该阶段 / Already in that stage."]})
        if target < current and not reason:
            raise FieldErrors({"reason": ["退回上一阶段需要填写原因 / Moving back needs a reason."]})
        if target > current:
            # The stages passed and the one entered, in one read: the entered stage's status is
            # the answer's checklist (advancing does not change that stage's evidence).
            passed, entered = template.stages[current:target], template.stages[target]
            statuses = evidence_status_by_stage(locked, [*passed, entered])
            locked.current_evidence = statuses[entered.code]
            missing = [item for stage in passed for item in statuses[stage.code].missing]
            missing += missing_for_entry(locked, entered)
            if missing:
                labels = "、".join(m["label"] for m in missing)
                raise EvidenceMissing(
                    f"缺少证据：{labels} — 补齐后即可推进 / Missing: {labels}",
                    missing=missing,
                )
        _leave(locked, actor=actor, reason=reason, now=now)
        locked.stage, locked.stage_entered_at, locked.last_update_at = to_stage, now, now
        attach_actor(locked, actor, now)
        locked.save(update_fields=["stage", "stage_entered_at", "last_update_at"])
        _enter(locked, to_stage, actor=actor, reason=reason, now=now)
    return locked


def opportunity_close(
    *, opportunity: Opportunity, outcome: str, actor: User, reason: str = "", now: datetime | None = None
) -> Opportunity:
    """Close as won, or as lost with a reason from the pack's `lost_reason` dictionary."""
    now = now or clock.now()
    _number, pack = active_pack()
    errors: dict[str, list[str]] = {}
    if outcome not in (OpportunityStatus.WON, OpportunityStatus.LOST):
        errors["outcome"] = ["应为 won 或 lost / Use won or lost."]
    reasons = pack.dictionary("lost_reason")
    codes = [c.code for c in reasons.choices] if reasons else []
    if outcome == OpportunityStatus.LOST and reason not in codes:
        errors["reason"] = [f"请选择输单原因 / Choose a lost reason ({', '.join(codes)})."]
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        locked = (
            Opportunity.objects.select_for_update(of=("self",)).select_related("owner").get(pk=opportunity.pk)
        )
        if not _may_work_on(actor, locked):
            raise PermissionDenied("只有负责人或其上级可以关闭商机 / Only the owner or their managers.")
        if locked.status != OpportunityStatus.OPEN:
            raise Conflict("商机已关闭 / The opportunity is closed already.", status=locked.status)
        _leave(locked, actor=actor, reason=f"closed:{outcome}", now=now)
        locked.status, locked.closed_at, locked.last_update_at = outcome, now, now
        locked.lost_reason = reason if outcome == OpportunityStatus.LOST else ""
        attach_actor(locked, actor, now)
        locked.save(update_fields=["status", "closed_at", "last_update_at", "lost_reason"])
        events.record(
            name="opportunity.closed",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"outcome": outcome, "reason": locked.lost_reason},
        )
    return locked


def _requirements(
    *, opportunity: Opportunity | None, visit: Visit | None
) -> tuple[str, list[EvidenceRequirement]]:
    """(stage code, requirements) the evidence may answer: the current stage's, or the visit package's."""
    _number, pack = active_pack()
    if visit is not None:
        package = next((p for p in pack.visit_packages if p.code == visit.package), None)
        return "", list(package.items) if package else []
    assert opportunity is not None
    template = pipeline_for(opportunity.pipeline)
    stage = next((s for s in template.stages if s.code == opportunity.stage), None) if template else None
    return opportunity.stage, list(stage.exit_evidence) if stage else []


def _need_points(text: str, requirement: EvidenceRequirement, errors: dict[str, list[str]]) -> str:
    """Each line: a choice of the requirement's dictionary, optionally `choice: detail` (≤ max_chars)."""
    _number, pack = active_pack()
    dictionary = pack.dictionary(requirement.dictionary) if requirement.dictionary else None
    by_label = {c.label: c.code for c in dictionary.choices} if dictionary else {}
    codes = set(by_label.values())
    lines = []
    for raw in _points(text):
        choice, _sep, detail = raw.strip().partition(":")
        code = by_label.get(choice.strip(), choice.strip())
        if dictionary and code not in codes:
            errors.setdefault("text", []).append(f"“{choice}” 不在「{dictionary.name}」中 / not a choice.")
        if requirement.max_chars and len(detail.strip() or choice.strip()) > requirement.max_chars:
            errors.setdefault("text", []).append(
                f"每条需求要点不超过 {requirement.max_chars} 个字 / "
                f"At most {requirement.max_chars} characters each."
            )
        lines.append(f"{code}:{detail.strip()}" if detail.strip() else code)
    if not lines:
        errors.setdefault("text", []).append("请填写需求要点，每行一条 / One need point per line.")
    return "\n".join(lines)


def evidence_add(
    *,
    requirement: str,
    actor: User,
    opportunity: Opportunity | None = None,
    visit: Visit | None = None,
    data: bytes | None = None,
    filename: str = "",
    text: str = "",
    captured_at: datetime | None = None,
    lat: Decimal | None = None,
    lng: Decimal | None = None,
    now: datetime | None = None,
) -> Evidence:
    """Attach a piece of evidence, checked by content; photos are compared with the claimed time,
    place and every photo used before (a reused photo is flagged to the manager)."""
    now = now or clock.now()
    _number, pack = active_pack()
    errors: dict[str, list[str]] = {}
    if (opportunity is None) == (visit is None):
        raise FieldErrors({"subject": ["请指定商机或拜访之一 / Give an opportunity or a visit."]})
    if opportunity is not None:
        # The caller's copy may predate an advance: the stage and owner are read afresh.
        opportunity = Opportunity.objects.get(pk=opportunity.pk)
    record_owner = opportunity.owner_id if opportunity else visit.owner_id  # type: ignore[union-attr]
    if record_owner != actor.pk:
        raise PermissionDenied("只有负责人可以上传证据 / Only the owner uploads evidence.")
    stage, requirements = _requirements(opportunity=opportunity, visit=visit)
    spec = next((r for r in requirements if r.code == requirement), None)
    if spec is None:
        codes = ", ".join(r.code for r in requirements) or "—"
        raise FieldErrors({"requirement": [f"当前步骤不需要 “{requirement}” / not needed now ({codes})."]})
    if visit is not None and visit.status == Visit.Status.COMPLETED:
        raise Conflict("拜访已完成，证据不可更改 / The visit is completed.")
    if captured_at is not None and captured_at > now + clock.SKEW_TOLERANCE:
        errors["captured_at"] = ["不能晚于当前时间 / Must not be in the future."]
    if (lat is None) != (lng is None) or (lat is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180)):  # type: ignore[operator]
        errors["lat"] = ["请同时提供有效的经纬度 / Give a valid lat and lng together."]
    checked: evidence_checks.Checked | None = None
    stored_text = (text or "").strip()
    limit = pack.evidence.max_upload_mb * 1024 * 1024
    if spec.kind in ("photo", "signed_pdf", "document"):
        if not data:
            errors["file"] = ["请上传文件 / A file is required."]
        elif len(data) > limit:
            errors["file"] = [f"文件超过 {pack.evidence.max_upload_mb} MB / Larger than the limit."]
        else:
            try:
                checked = evidence_checks.check_file(
                    data, kind=spec.kind, max_pixels=pack.evidence.max_pixels
                )
            except evidence_checks.ContentRefused as exc:
                errors["file"] = [str(exc)]
    elif spec.kind in ("meeting_minutes", "milestone") and data:
        try:
            checked = evidence_checks.check_file(data, kind=spec.kind, max_pixels=pack.evidence.max_pixels)
        except evidence_checks.ContentRefused as exc:
            errors["file"] = [str(exc)]
    elif spec.kind == "need_points":
        stored_text = _need_points(stored_text, spec, errors)
    elif spec.kind == "gps_checkin":
        if lat is None:
            errors["lat"] = ["签到需要定位 / A check-in needs lat and lng."]
    elif not stored_text and not data:
        errors["text"] = ["请填写内容 / Text is required."]
    if len(stored_text) > 10000:
        errors["text"] = ["内容过长 / At most 10000 characters."]
    if errors:
        raise FieldErrors(errors)
    flags: list[str] = []
    if checked is not None and spec.kind == "photo":
        flags = _photo_flags(
            checked, spec=spec, captured_at=captured_at, lat=lat, lng=lng, visit=visit, now=now
        )
    with transaction.atomic():
        evidence = Evidence(
            opportunity=opportunity,
            visit=visit,
            stage=stage,
            requirement=requirement,
            kind=spec.kind,
            original_name=filename[:200],
            text=stored_text,
            captured_at=captured_at or now,
            lat=lat,
            lng=lng,
            uploaded_by=actor,
            uploaded_at=now,
            flags=flags,
        )
        if checked is not None:
            evidence.content_type, evidence.size = checked.content_type, len(checked.data)
            evidence.sha256 = hashlib.sha256(checked.data).hexdigest()
            evidence.phash = checked.phash
            evidence.exif_taken_at, evidence.exif_lat, evidence.exif_lng = (
                checked.exif_taken_at,
                checked.exif_lat,
                checked.exif_lng,
            )
            evidence.file.save(
                f"{secrets.token_hex(12)}.{checked.extension}", ContentFile(checked.data), save=False
            )
        evidence.save()
        subject: models.Model = opportunity if opportunity is not None else visit  # type: ignore[assignment]
        events.record(
            name="evidence.added",
            subject=subject,
            actor=actor,
            occurred_at=now,
            payload={"evidence": evidence.pk, "requirement": requirement, "kind": spec.kind, "flags": flags},
        )
        if opportunity is not None:
            Opportunity.objects.filter(pk=opportunity.pk).update(last_update_at=now)
        reused = next((f for f in flags if f.startswith("reused:")), None)
        if reused:
            _tell_manager_of_reuse(evidence, reused, actor=actor, now=now)
    return evidence


def _photo_flags(
    checked: evidence_checks.Checked,
    *,
    spec: EvidenceRequirement,
    captured_at: datetime | None,
    lat: Decimal | None,
    lng: Decimal | None,
    visit: Visit | None,
    now: datetime,
) -> list[str]:
    """Where the photo's own metadata disagrees with the claim, and whether it was used before."""
    _number, pack = active_pack()
    flags = []
    claimed_at = captured_at or (visit.planned_at if visit and visit.planned_at else now)
    if checked.exif_taken_at is None:
        if spec.camera_only:
            flags.append("no_camera_time")
    elif (
        abs(checked.exif_taken_at - claimed_at)
        > parse_duration(pack.evidence.exif_max_time_gap).as_timedelta()
    ):
        flags.append("time_mismatch")
    place = (
        (lat, lng)
        if lat is not None
        else ((visit.lat, visit.lng) if visit and visit.lat is not None else None)
    )
    if place and place[0] is not None and checked.exif_lat is not None and checked.exif_lng is not None:
        gap = evidence_checks.distance_m(place[0], place[1], checked.exif_lat, checked.exif_lng)  # type: ignore[arg-type]
        if gap > pack.evidence.exif_max_distance_m:
            flags.append("location_mismatch")
    if checked.phash:
        earlier = Evidence.objects.filter(phash=checked.phash).order_by("uploaded_at").first()
        if earlier is not None:
            flags.append(f"reused:{earlier.pk}")
    return flags


def _tell_manager_of_reuse(evidence: Evidence, flag: str, *, actor: User, now: datetime) -> None:
    from salesflow.notify import services as notify
    from salesflow.org.selectors import managers_above

    earlier = Evidence.objects.select_related("visit__customer", "opportunity__customer").get(
        pk=int(flag.split(":")[1])
    )
    where = earlier.visit or earlier.opportunity
    customer = where.customer if where is not None else None
    when = clock.to_local(earlier.uploaded_at).strftime("%Y-%m-%d")
    notify.notify(
        recipients=managers_above(actor)[:1],
        kind="evidence.reused",
        title=f"照片疑似重复使用：{actor}",
        body=f"这张照片已用于 {when} 对「{customer}」的拜访 / "
        f"This photo was already used for the visit to {customer} on {when}.",
        subject=evidence.opportunity or evidence.visit,
        actor=actor,
        now=now,
    )


def evidence_delete(*, evidence: Evidence, actor: User, now: datetime | None = None) -> None:
    """Remove a piece of evidence — only its uploader, and never once its step is complete."""
    now = now or clock.now()
    with transaction.atomic():
        locked = Evidence.objects.select_for_update().get(pk=evidence.pk)
        if locked.locked_at is not None or (locked.visit and locked.visit.status == Visit.Status.COMPLETED):
            raise Conflict("该步骤已完成，证据不可删除 / Evidence of a completed step cannot be deleted.")
        if locked.uploaded_by_id != actor.pk:
            raise PermissionDenied("只能删除自己上传的证据 / Only the uploader may delete it.")
        subject: models.Model = locked.opportunity or locked.visit  # type: ignore[assignment]
        events.record(
            name="evidence.deleted",
            subject=subject,
            actor=actor,
            occurred_at=now,
            payload={
                "evidence": locked.pk,
                "requirement": locked.requirement,
                "uploaded_at": locked.uploaded_at.isoformat(),
            },
        )
        locked.delete()


def visit_create(
    *,
    customer: Customer,
    package: str,
    actor: User,
    opportunity: Opportunity | None = None,
    planned_at: datetime | None = None,
    address: str = "",
    lat: Decimal | None = None,
    lng: Decimal | None = None,
    now: datetime | None = None,
) -> Visit:
    """A visit task package with an unguessable code (its link is shown as a QR code)."""
    now = now or clock.now()
    _number, pack = active_pack()
    if not any(p.code == package for p in pack.visit_packages):
        codes = ", ".join(p.code for p in pack.visit_packages)
        raise FieldErrors({"package": [f"规则包中没有任务包 “{package}” / no such package ({codes})."]})
    if customer.owner_id != actor.pk:
        raise PermissionDenied("只有客户负责人可以创建拜访 / Only the customer's owner.")
    with transaction.atomic():
        visit = Visit(
            code=secrets.token_urlsafe(12),
            package=package,
            customer=customer,
            opportunity=opportunity,
            owner=actor,
            planned_at=planned_at,
            address=address or customer.address,
            lat=lat,
            lng=lng,
            created_at=now,
        )
        attach_actor(visit, actor, now)
        visit.save()
        events.record(
            name="visit.created", subject=visit, actor=actor, occurred_at=now, payload={"package": package}
        )
    return visit


def visit_missing(visit: Visit) -> list[dict[str, str]]:
    """The package items the visit still lacks."""
    return evidence_status(visit=visit).missing


def visit_complete(
    *,
    visit: Visit,
    actor: User,
    need_change: str = "",
    competitor_news: str = "",
    next_step: str = "",
    now: datetime | None = None,
) -> Visit:
    """Complete the visit once every item is there; it counts as an effective customer interaction."""
    from salesflow.customers import services as customer_services

    now = now or clock.now()
    errors = {
        name: ["最多 200 字 / At most 200 characters."]
        for name, value in (
            ("need_change", need_change),
            ("competitor_news", competitor_news),
            ("next_step", next_step),
        )
        if len(value) > 200
    }
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.owner_id != actor.pk:
            raise PermissionDenied("只有拜访负责人可以完成 / Only the visit's owner.")
        if locked.status == Visit.Status.COMPLETED:
            raise Conflict("拜访已完成 / The visit is completed already.")
        missing = visit_missing(locked)
        if missing:
            labels = "、".join(m["label"] for m in missing)
            raise EvidenceMissing(f"缺少：{labels} — 补齐后才能完成拜访 / Missing: {labels}", missing=missing)
        locked.status, locked.completed_at = Visit.Status.COMPLETED, now
        locked.need_change, locked.competitor_news, locked.next_step = need_change, competitor_news, next_step
        attach_actor(locked, actor, now)
        locked.save()
        locked.evidence.update(locked_at=now)
        events.record(name="visit.completed", subject=locked, actor=actor, occurred_at=now, payload={})
        customer_services.customer_interaction(
            customer=locked.customer, actor=actor, occurred_at=now, now=now
        )
    return locked
