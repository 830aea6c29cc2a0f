"""Writes of quotes: create, edit, revise, submit for approval, send, record the customer's answer,
attach supporting documents.

Every write runs in one transaction and records its event, so the rules engine sees it: the
pack's `quote_frozen_gate` refuses `quote.created` and `quote_frozen_send_gate` refuses
`quote.sent` while the customer's quoting is frozen (409 with the freeze message),
`quote.sent` starts the 72-hour follow-up timer, `quote.scored` lets `quote_health_warning`
warn below the threshold. Events never carry a cost or margin.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from salesflow.catalog.models import Product
from salesflow.catalog.selectors import price_for
from salesflow.core import clock, events
from salesflow.core.errors import Conflict, FieldErrors, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.org.models import User
from salesflow.pipeline import evidence as evidence_checks
from salesflow.pipeline.choices import OpportunityStatus
from salesflow.pipeline.models import Opportunity
from salesflow.quotes import health
from salesflow.quotes.choices import EDITABLE_STATES, QuoteState
from salesflow.quotes.models import Quote, QuoteAttachment, QuoteLine, QuoteSectionView, QuoteVersion
from salesflow.quotes.selectors import may_work_on, owns_or_manages, policy
from salesflow.rules.schema import QuotePolicy
from salesflow.rules.selectors import active_pack

MAX_LINES = 200
MAX_QUANTITY = Decimal("1000000")
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
TEXT_LIMITS = {"title": 200, "payment_terms": 200, "delivery_terms": 200, "risk_note": 500}


@dataclass(frozen=True)
class LineInput:
    """A line as a person or program sends it: which product, how many, what discount (%)."""

    product: Any
    quantity: Any
    discount_pct: Any = 0


@dataclass(frozen=True)
class QuoteInput:
    """The editable content of a version; None leaves a field as it is (on edit) or defaulted."""

    lines: list[LineInput]
    title: str | None = None
    valid_until: date | None = None
    payment_terms: str | None = None
    delivery_terms: str | None = None
    clauses: list[str] | None = None  # clause template codes, in order
    risk_note: str | None = None


def _decimal(raw: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        value = Decimal(str(raw).replace(",", "").replace("%", "").strip())
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(f"不是数字“{raw}” / Not a number.")
        return None
    if not value.is_finite():
        errors.setdefault(field, []).append("不是有限的数字 / Not a finite number.")
        return None
    return value


def _clean_lines(
    lines: list[LineInput], customer: Any, errors: dict[str, list[str]], *, on: date
) -> list[QuoteLine]:
    """Checked lines priced for `customer` (price list before list price); errors name the line."""
    if not lines:
        errors.setdefault("lines", []).append("至少需要一行产品 / At least one product line.")
        return []
    if len(lines) > MAX_LINES:
        errors.setdefault("lines", []).append(f"最多 {MAX_LINES} 行 / At most {MAX_LINES} lines.")
        return []
    ids = [
        line.product for line in lines if isinstance(line.product, int) and not isinstance(line.product, bool)
    ]
    products = {p.pk: p for p in Product.objects.filter(pk__in=ids)}
    built: list[QuoteLine] = []
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        product = products.get(line.product) if isinstance(line.product, int) else None
        if product is None:
            errors.setdefault(f"{where}.product", []).append(
                "请选择目录中的产品 / Choose a catalogue product."
            )
            continue
        if not product.active:
            errors.setdefault(f"{where}.product", []).append(f"{product.sku} 已停售 / Discontinued.")
            continue
        quantity = _decimal(line.quantity, f"{where}.quantity", errors)
        discount = _decimal(
            line.discount_pct if line.discount_pct not in (None, "") else 0, f"{where}.discount_pct", errors
        )
        if quantity is not None and not (Decimal(0) < quantity <= MAX_QUANTITY):
            errors.setdefault(f"{where}.quantity", []).append(
                "数量应大于 0 且不超过 100 万 / 0 < quantity ≤ 1,000,000."
            )
            quantity = None
        if discount is not None and not (Decimal(0) <= discount < Decimal(100)):
            errors.setdefault(f"{where}.discount_pct", []).append(
                "折扣应在 0 到 100 之间 / 0 ≤ discount < 100."
            )
            discount = None
        if quantity is None or discount is None:
            continue
        quantity, discount = quantity.quantize(CENT), discount.quantize(TENTH)
        price = price_for(product, customer, on).price
        net = (price * (100 - discount) / 100).quantize(CENT)
        built.append(
            QuoteLine(
                position=index + 1,
                product=product,
                sku=product.sku,
                name=product.name,
                unit=product.unit,
                quantity=quantity,
                list_price=price,
                discount_pct=discount,
                net_price=net,
                line_total=(net * quantity).quantize(CENT),
                tax_rate_pct=product.tax_rate_pct,
                unit_cost=product.standard_cost,
            )
        )
    return built


def _totals(version: QuoteVersion, lines: list[QuoteLine]) -> None:
    """Fill the version's totals, maximum discount, cost and margin from its lines."""
    version.list_total = sum(((line.list_price * line.quantity).quantize(CENT) for line in lines), Decimal(0))
    version.subtotal = sum((line.line_total for line in lines), Decimal(0))
    version.tax = sum(
        ((line.line_total * line.tax_rate_pct / 100).quantize(CENT) for line in lines), Decimal(0)
    )
    version.total = version.subtotal + version.tax
    version.max_discount_pct = max((line.discount_pct for line in lines), default=Decimal(0))
    costs = [line.unit_cost for line in lines]
    if lines and all(c is not None for c in costs):
        version.cost_total = sum(
            (
                (c * line.quantity).quantize(CENT)
                for c, line in zip(costs, lines, strict=True)
                if c is not None
            ),
            Decimal(0),
        )
        version.margin_pct = (
            ((version.subtotal - version.cost_total) * 100 / version.subtotal).quantize(TENTH)
            if version.subtotal > 0
            else None
        )
    else:
        # A line without a standard cost leaves the margin unknown (it cannot make a quote special).
        version.cost_total, version.margin_pct = None, None


def _special_reasons(version: QuoteVersion, owner: User, quotes: QuotePolicy) -> list[dict[str, Any]]:
    """Why the version is a special quote (needs approval): discount over the owner's role limit,
    margin under the role floor. Stored as codes and numbers; pages show the margin numbers only
    to those who may see margins."""
    reasons: list[dict[str, Any]] = []
    limit = quotes.discount_limit(owner.role)
    if version.max_discount_pct > limit:
        reasons.append({"code": "discount", "value": str(version.max_discount_pct), "limit": str(limit)})
    floor = quotes.margin_floor(owner.role)
    if version.margin_pct is not None and version.margin_pct < floor:
        reasons.append({"code": "margin", "value": str(version.margin_pct), "limit": str(floor)})
    return reasons


def _clauses(
    codes: list[str] | None, quotes: QuotePolicy, errors: dict[str, list[str]]
) -> list[dict[str, str]]:
    templates = {c.code: c for c in quotes.clause_templates}
    if codes is None:
        chosen = [c for c in quotes.clause_templates if c.default]
    else:
        unknown = [c for c in codes if c not in templates]
        if unknown:
            errors.setdefault("clauses", []).append(
                f"未知条款 {', '.join(unknown)} / unknown clause (known: {', '.join(templates)})"
            )
        chosen = [templates[c] for c in dict.fromkeys(codes) if c in templates]
    return [{"code": c.code, "title": c.title, "text": c.text} for c in chosen]


def _texts(data: QuoteInput, errors: dict[str, list[str]]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for field, limit in TEXT_LIMITS.items():
        value = getattr(data, field)
        if value is None:
            continue
        if not isinstance(value, str) or len(value.strip()) > limit:
            errors.setdefault(field, []).append(f"应为不超过 {limit} 字的文本 / At most {limit} characters.")
            continue
        clean[field] = value.strip()
    return clean


def _fill_version(
    version: QuoteVersion,
    quote: Quote,
    data: QuoteInput,
    *,
    now: datetime,
    errors: dict[str, list[str]],
) -> tuple[list[QuoteLine], dict[str, str]]:
    """Check `data` and put it on `version` (not saved); the lines to write and the texts."""
    quotes = policy()
    today = clock.to_local(now).date()
    texts = _texts(data, errors)
    lines = _clean_lines(data.lines, quote.customer, errors, on=today)
    if data.valid_until is not None:
        if data.valid_until < today:
            errors.setdefault("valid_until", []).append("有效期不能早于今天 / Must not be in the past.")
        version.valid_until = data.valid_until
    elif version.valid_until is None:
        version.valid_until = today + timedelta(days=quotes.validity_days)
    if data.clauses is not None or not version.clauses:
        version.clauses = _clauses(data.clauses, quotes, errors)
    for field in ("payment_terms", "delivery_terms", "risk_note"):
        if field in texts:
            setattr(version, field, texts[field])
    if lines:
        _totals(version, lines)
        version.special_reasons = _special_reasons(version, quote.owner, quotes)
        version.special = bool(version.special_reasons)
    return lines, texts


def _write_lines(version: QuoteVersion, lines: list[QuoteLine]) -> None:
    QuoteLine.objects.filter(version=version).delete()
    for line in lines:
        line.version = version
    QuoteLine.objects.bulk_create(lines)


def _rescore(
    quote: Quote, version: QuoteVersion, lines: list[QuoteLine], *, actor: User | None, now: datetime
) -> None:
    """Recompute the health score; a changed score is recorded as `quote.scored` (the warning rule)."""
    score, factors = health.score(quote=quote, lines=lines, policy=policy(), now=now)
    changed = score != version.health_score or not version.health_factors
    version.health_score, version.health_factors = score, [f.as_json() for f in factors]
    version.save(update_fields=["health_score", "health_factors"])
    quote.health_score = score
    quote.save(update_fields=["health_score"])
    if changed:
        events.record(
            name="quote.scored",
            subject=quote,
            actor=actor,
            occurred_at=now,
            payload={
                "health_score": score,
                "missing": [f.name for f in factors if f.missing],
                "version": version.number,
            },
        )


def _mirror(quote: Quote, version: QuoteVersion) -> None:
    quote.total, quote.special = version.total, version.special


def quote_create(
    *, opportunity: Opportunity, actor: User, data: QuoteInput, now: datetime | None = None
) -> Quote:
    """Make a quote (version 1, a draft) for an open opportunity and its customer; the pack's
    freeze gate refuses it while the customer's quoting is frozen."""
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        locked = (
            Opportunity.objects.select_for_update(of=("self",))
            .select_related("customer", "owner")
            .get(pk=opportunity.pk)
        )
        if not owns_or_manages(actor, locked.owner_id):
            raise PermissionDenied("只有商机负责人或其上级可以报价 / Only the owner or their managers quote.")
        if locked.status != OpportunityStatus.OPEN:
            raise Conflict("商机已关闭，不能报价 / The opportunity is closed.", status=locked.status)
        quote = Quote(
            number=f"tmp-{now.timestamp()}-{actor.pk}",
            opportunity=locked,
            customer=locked.customer,
            owner=locked.owner or actor,
            title=(data.title or "").strip() or locked.title,
            created_at=now,
            updated_at=now,
        )
        version = QuoteVersion(quote=quote, number=1, created_by=actor, created_at=now, updated_at=now)
        if data.payment_terms is None:
            from salesflow.quotes.selectors import smart_fill_for

            data = QuoteInput(
                **{**data.__dict__, "payment_terms": smart_fill_for(locked)["payment_terms"][:200]}
            )
        lines, texts = _fill_version(version, quote, data, now=now, errors=errors)
        if texts.get("title"):
            quote.title = texts["title"]
        if errors:
            raise FieldErrors(errors)
        _mirror(quote, version)
        attach_actor(quote, actor, now)
        quote.save()
        prefix = policy().number_prefix
        quote.number = f"{prefix}{clock.to_local(now):%Y%m}-{quote.pk:05d}"
        quote.save(update_fields=["number"])
        version.quote = quote
        version.save()
        _write_lines(version, lines)
        events.record(
            name="quote.created",
            subject=quote,
            actor=actor,
            occurred_at=now,
            payload={"number": quote.number, "opportunity": locked.title, "quote_total": str(version.total)},
        )
        _rescore(quote, version, lines, actor=actor, now=now)
    return quote


def _lock(quote: Quote, actor: User) -> Quote:
    locked = (
        Quote.objects.select_for_update(of=("self",))
        .select_related("customer", "owner", "opportunity")
        .get(pk=quote.pk)
    )
    if not may_work_on(actor, locked):
        raise PermissionDenied("只有报价负责人或其上级可以操作 / Only the owner or their managers.")
    return locked


def quote_update(*, quote: Quote, actor: User, data: QuoteInput, now: datetime | None = None) -> Quote:
    """Edit the current version in place while it is a draft (or approved: the approval lapses and
    a still-special quote must be approved again). A sent version never changes: revise instead."""
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        locked = _lock(quote, actor)
        if locked.state not in EDITABLE_STATES:
            raise Conflict(
                f"报价{locked.get_state_display()}，不能修改；已发出的报价请新建版本 / "
                "Only a draft can be edited; revise a sent quote.",
                state=locked.state,
            )
        version = QuoteVersion.objects.select_for_update().get(quote=locked, number=locked.current_version)
        lines, texts = _fill_version(version, locked, data, now=now, errors=errors)
        if errors:
            raise FieldErrors(errors)
        if texts.get("title"):
            locked.title = texts["title"]
        version.approved_at = None
        version.updated_at = now
        version.save()
        _write_lines(version, lines)
        _mirror(locked, version)
        locked.state = QuoteState.DRAFT
        locked.updated_at = now
        attach_actor(locked, actor, now)
        locked.save()
        events.record(
            name="quote.updated",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"version": version.number, "quote_total": str(version.total)},
        )
        _rescore(locked, version, lines, actor=actor, now=now)
    return locked


def quote_revise(*, quote: Quote, actor: User, now: datetime | None = None) -> Quote:
    """Start the next version (a draft copy of the current one) of a sent or answered quote."""
    now = now or clock.now()
    with transaction.atomic():
        locked = _lock(quote, actor)
        if locked.state in EDITABLE_STATES or locked.state == QuoteState.IN_APPROVAL:
            raise Conflict(
                "当前版本尚未发出，直接修改即可 / The current version is not sent yet.", state=locked.state
            )
        source = QuoteVersion.objects.get(quote=locked, number=locked.current_version)
        lines = list(QuoteLine.objects.filter(version=source).order_by("position"))
        version = QuoteVersion(
            quote=locked,
            number=source.number + 1,
            valid_until=max(
                source.valid_until, clock.to_local(now).date() + timedelta(days=policy().validity_days)
            ),
            payment_terms=source.payment_terms,
            delivery_terms=source.delivery_terms,
            clauses=source.clauses,
            risk_note=source.risk_note,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        for line in lines:
            line.pk = None
        _totals(version, lines)
        version.special_reasons = _special_reasons(version, locked.owner, policy())
        version.special = bool(version.special_reasons)
        version.save()
        _write_lines(version, lines)
        locked.current_version = version.number
        locked.state = QuoteState.DRAFT
        _mirror(locked, version)
        locked.updated_at = now
        attach_actor(locked, actor, now)
        locked.save()
        events.record(
            name="quote.revised",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"version": version.number},
        )
        _rescore(locked, version, lines, actor=actor, now=now)
    return locked


SHARE_PURPOSE = "quote_share"


@dataclass(frozen=True)
class SentQuote:
    """A sent quote and its share link (the raw URL exists only now; the PDF prints it as a QR)."""

    quote: Quote
    share_url: str


def quote_send(*, quote: Quote, actor: User, share_base_url: str, now: datetime | None = None) -> SentQuote:
    """Send the current version: a special quote only once approved; the freeze gate refuses it
    while the customer's quoting is frozen. The version is frozen from here on: its PDF snapshot
    is rendered with a QR code of a new share link (valid until the quote's validity ends) and
    stored with its SHA-256, and the pack's follow-up timer starts."""
    from salesflow.core.public_links import public_link_issue
    from salesflow.quotes import documents

    now = now or clock.now()
    with transaction.atomic():
        locked = _lock(quote, actor)
        version = QuoteVersion.objects.select_for_update().get(quote=locked, number=locked.current_version)
        if locked.state not in EDITABLE_STATES:
            raise Conflict(
                f"报价{locked.get_state_display()}，不能发出 / Cannot send now.", state=locked.state
            )
        if version.special and version.approved_at is None:
            raise Conflict(
                "特殊报价须审批通过后才能发出，请先提交审批 / A special quote is sent only once approved.",
                state=locked.state,
            )
        if version.valid_until < clock.to_local(now).date():
            raise FieldErrors({"valid_until": ["有效期已过，请修改后再发出 / The validity has passed."]})
        version.sent_at, version.sent_by, version.updated_at = now, actor, now
        locked.state, locked.sent_at, locked.updated_at = QuoteState.SENT, now, now
        attach_actor(locked, actor, now)
        locked.save(update_fields=["state", "sent_at", "updated_at"])
        # The gate rules run here: a frozen customer's quote stops before anything is rendered.
        events.record(
            name="quote.sent",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"version": version.number, "quote_total": str(version.total)},
        )
        link, token = public_link_issue(
            purpose=SHARE_PURPOSE,
            payload={"quote": locked.pk, "version": version.number},
            created_by=actor,
            expires_at=clock.local_midnight(version.valid_until + timedelta(days=1)),
            label=locked.number,
            now=now,
        )
        share_url = share_base_url.rstrip("/") + f"/q/{token}/"
        lines = list(QuoteLine.objects.filter(version=version).order_by("position"))
        pdf = documents.render_pdf(
            documents.quote_html(quote=locked, version=version, lines=lines, share_url=share_url)
        )
        version.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        version.pdf.save(f"{locked.number}-v{version.number}.pdf", ContentFile(pdf), save=False)
        version.share_link = link
        version.save(update_fields=["sent_at", "sent_by", "updated_at", "pdf", "pdf_sha256", "share_link"])
    return SentQuote(locked, share_url)


FEEDBACK_OUTCOMES = {
    "feedback": ("quote.feedback_received", None),
    "accepted": ("quote.accepted", QuoteState.ACCEPTED),
    "declined": ("quote.rejected", QuoteState.DECLINED),
}


def _record_answer(
    locked: Quote, *, outcome: str, payload: dict[str, Any], actor: User | None, now: datetime
) -> None:
    """Put a sent quote's answer on it (inside the caller's transaction): its state, and the event
    that stops the follow-up timer."""
    event, state = FEEDBACK_OUTCOMES[outcome]
    if state is not None:
        locked.state = state
    locked.updated_at = now
    attach_actor(locked, actor, now)
    locked.save(update_fields=["state", "updated_at"])
    events.record(
        name=event,
        subject=locked,
        actor=actor,
        occurred_at=now,
        payload={**payload, "version": locked.current_version},
    )


def quote_feedback(
    *, quote: Quote, actor: User, outcome: str, note: str, now: datetime | None = None
) -> Quote:
    """Record the customer's answer to a sent quote: feedback (still open), accepted or declined.
    Any answer stops the 72-hour follow-up timer."""
    now = now or clock.now()
    note = (note or "").strip() if isinstance(note, str) else ""
    errors: dict[str, list[str]] = {}
    if outcome not in FEEDBACK_OUTCOMES:
        errors["outcome"] = [
            f"应为 {', '.join(FEEDBACK_OUTCOMES)} 之一 / one of {', '.join(FEEDBACK_OUTCOMES)}"
        ]
    if not note:
        errors["note"] = ["请写下客户的反馈 / Write down what the customer said."]
    elif len(note) > 1000:
        errors["note"] = ["最多 1000 字 / At most 1000 characters."]
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        locked = _lock(quote, actor)
        if locked.state != QuoteState.SENT:
            raise Conflict(
                "只有已发出的报价可以记录客户反馈 / Only a sent quote gets feedback.", state=locked.state
            )
        _record_answer(locked, outcome=outcome, payload={"answer": note}, actor=actor, now=now)
    return locked


def quote_attach(
    *, quote: Quote, actor: User, code: str, data: bytes, filename: str, now: datetime | None = None
) -> QuoteAttachment:
    """Attach a supporting document of the pack's `quotes.documents` (checked by its content: a
    PDF or an Office file), then rescore the current version."""
    now = now or clock.now()
    documents = {d.code: d for d in policy().documents}
    errors: dict[str, list[str]] = {}
    if code not in documents:
        errors["code"] = [f"未知材料“{code}” / unknown document (known: {', '.join(documents)})"]
    _number, pack = active_pack()
    limit = pack.evidence.max_upload_mb * 1024 * 1024
    checked = None
    if not data:
        errors["file"] = ["请上传文件 / A file is required."]
    elif len(data) > limit:
        errors["file"] = [f"文件超过 {pack.evidence.max_upload_mb} MB / Larger than the limit."]
    else:
        try:
            checked = evidence_checks.check_file(data, kind="document", max_pixels=pack.evidence.max_pixels)
        except evidence_checks.ContentRefused as exc:
            errors["file"] = [str(exc)]
    if errors or checked is None:
        raise FieldErrors(errors)
    with transaction.atomic():
        locked = _lock(quote, actor)
        attachment = QuoteAttachment(
            quote=locked,
            code=code,
            original_name=(filename or "document")[:200],
            content_type=checked.content_type,
            size=len(checked.data),
            sha256=hashlib.sha256(checked.data).hexdigest(),
            uploaded_by=actor,
            uploaded_at=now,
        )
        attachment.file.save(
            f"{attachment.sha256[:16]}.{checked.extension}", ContentFile(checked.data), save=False
        )
        attachment.save()
        events.record(
            name="quote.document_attached",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"document": documents[code].name, "file": attachment.original_name},
        )
        version = QuoteVersion.objects.select_for_update().get(quote=locked, number=locked.current_version)
        _rescore(locked, version, list(QuoteLine.objects.filter(version=version)), actor=actor, now=now)
    return attachment


def shared_version(link: Any) -> QuoteVersion:
    """The sent version a share link shows (NotFound when it no longer exists)."""
    from salesflow.core.errors import NotFound

    payload = link.payload or {}
    quote_id, number = payload.get("quote"), payload.get("version")
    version = (
        QuoteVersion.objects.select_related("quote", "quote__customer", "quote__owner")
        .filter(quote_id=int(quote_id or 0), number=int(number or 0), sent_at__isnull=False)
        .first()
    )
    if version is None:
        raise NotFound("报价不存在 / No such quote.")
    return version


def quote_share_opened(*, version: QuoteVersion, now: datetime | None = None) -> None:
    """The customer opened the share link: recorded on the quote's timeline (the owner sees it)."""
    now = now or clock.now()
    with transaction.atomic():
        events.record(
            name="quote.viewed",
            subject=version.quote,
            actor=None,
            occurred_at=now,
            payload={"version": version.number},
        )


def sections_of(version: QuoteVersion) -> dict[str, str]:
    """The sections of a shared version a reading may name: code → name."""
    sections = {"lines": "产品明细", "totals": "合计金额"}
    sections.update({c["code"]: c["title"] for c in version.clauses})
    return sections


def quote_section_read(
    *, version: QuoteVersion, section: str, seconds: Any, now: datetime | None = None
) -> QuoteSectionView | None:
    """One reading of a section through the share link (sent by the page when the section leaves
    the screen). Readings shorter than the pack's `min_view_seconds` only add time; a clause read
    `clause_views_for_call` times gives the owner a to-do to call, once."""
    from salesflow.notify.services import task_create

    now = now or clock.now()
    names = sections_of(version)
    errors: dict[str, list[str]] = {}
    if section not in names:
        errors["section"] = ["未知段落 / Unknown section."]
    try:
        spent = int(seconds)
    except (TypeError, ValueError):
        spent = -1
    if not 0 <= spent <= 3600:
        errors["seconds"] = ["应为 0 到 3600 之间的整数 / 0 to 3600."]
    if errors:
        raise FieldErrors(errors)
    quotes = policy()
    counted = spent >= quotes.min_view_seconds
    with transaction.atomic():
        row, _created = QuoteSectionView.objects.select_for_update().get_or_create(
            version=version, section=section, defaults={"last_viewed_at": now}
        )
        row.seconds = min(row.seconds + spent, 10**9)
        row.views += 1 if counted else 0
        row.last_viewed_at = now
        is_clause = section not in ("lines", "totals")
        prompt = is_clause and row.prompted_at is None and row.views >= quotes.clause_views_for_call
        if prompt:
            row.prompted_at = now
        row.save()
        if prompt:
            quote = version.quote
            task_create(
                assignee=quote.owner,
                title=(
                    f"客户反复查看报价 {quote.number} 的「{names[section]}」条款（{row.views} 次），"
                    "建议电话沟通"
                ),
                body=f"{quote.customer.name} 在分享链接上已阅读该条款 {row.views} 次，共 {row.seconds} 秒。",
                subject=quote,
                kind="quote.clause_interest",
                now=now,
            )
    return row


def quote_share_revoke(
    *, quote: Quote, number: int, actor: User, now: datetime | None = None
) -> QuoteVersion:
    """Revoke the share link of version `number` (the customer's link stops working at once)."""
    from salesflow.core.public_links import public_link_revoke

    now = now or clock.now()
    with transaction.atomic():
        locked = _lock(quote, actor)
        version = (
            QuoteVersion.objects.filter(quote=locked, number=number).select_related("share_link").first()
        )
        if version is None or version.share_link is None:
            raise FieldErrors({"number": ["该版本没有分享链接 / This version has no share link."]})
        public_link_revoke(link=version.share_link, actor=actor, now=now)
        events.record(
            name="quote.share_revoked",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"version": number},
        )
    return version


def approval_facts(version: QuoteVersion) -> dict[str, Any]:
    """What the special-quote chain's conditions read: the largest discount, the amount after
    tax and the margin (left out when a line has no cost, so no step reads an unknown margin)."""
    facts: dict[str, Any] = {"discount_pct": version.max_discount_pct, "amount": version.total}
    if version.margin_pct is not None:
        facts["margin_pct"] = version.margin_pct
    return facts


def quote_submit(*, quote: Quote, actor: User, comment: str = "", now: datetime | None = None) -> Quote:
    """Ask for a special quote to be approved through the pack's chain (`quotes.approval_chain`);
    the quote waits in 审批中 and cannot change until the chain ends."""
    from salesflow.approvals.services import approval_request_start

    now = now or clock.now()
    with transaction.atomic():
        locked = _lock(quote, actor)
        version = QuoteVersion.objects.select_for_update().get(quote=locked, number=locked.current_version)
        if locked.state != QuoteState.DRAFT:
            raise Conflict(
                f"报价{locked.get_state_display()}，不能提交审批 / Only a draft is submitted.",
                state=locked.state,
            )
        if not version.special:
            raise Conflict(
                "不是特殊报价，无需审批，可以直接发出 / Not a special quote: send it.", state=locked.state
            )
        approval_request_start(
            subject=locked,
            chain_code=policy().approval_chain,
            requester=actor,
            facts=approval_facts(version),
            summary=f"{locked.number} {locked.customer.name} {locked.title}",
            comment=(comment or version.risk_note or "").strip(),
            now=now,
        )
        # A chain whose every step is skipped approved the quote already (the hook ran).
        locked.refresh_from_db(fields=["state"])
        if locked.state == QuoteState.DRAFT:
            locked.state = QuoteState.IN_APPROVAL
            locked.updated_at = now
            attach_actor(locked, actor, now)
            locked.save(update_fields=["state", "updated_at"])
    return locked


def quote_on_approval_decided(request: Any) -> None:
    """The approvals app's hook when a quote's request ends (inside its transaction): approved —
    the version may be sent; rejected, returned or withdrawn — back to a draft to revise."""
    from salesflow.approvals.choices import RequestState

    quote = Quote.objects.select_for_update().get(pk=request.subject_id)
    version = QuoteVersion.objects.select_for_update().get(quote=quote, number=quote.current_version)
    now = request.decided_at or clock.now()
    if request.state == RequestState.APPROVED:
        version.approved_at = now
        version.save(update_fields=["approved_at"])
        quote.state = QuoteState.APPROVED
    else:
        quote.state = QuoteState.DRAFT
    quote.updated_at = now
    quote.save(update_fields=["state", "updated_at"])


def approval_description(quote: Quote, viewer: Any) -> list[tuple[str, str]]:
    """What an approver reads of a special quote (特殊报价): customer, list price, requested
    discount, expected margin (only for those the pack lets see margins), risk note, health."""
    from salesflow.core.templatetags.salesflow import money
    from salesflow.quotes.permissions import sees_margin

    version = QuoteVersion.objects.get(quote=quote, number=quote.current_version)
    facts = [
        ("客户", quote.customer.name),
        ("报价", f"{quote.number} 第 {version.number} 版"),
        ("标价合计", money(version.list_total)),
        ("申请折扣", f"最大 {version.max_discount_pct}%"),
        ("含税合计", money(version.total)),
    ]
    if sees_margin(viewer):
        facts.append(("预计毛利率", f"{version.margin_pct}%" if version.margin_pct is not None else "缺成本"))
    facts += [("风险说明", version.risk_note or "—"), ("报价健康度", str(version.health_score))]
    return facts


# What the customer may answer on the share page: accept, or ask for changes (both with words).
CUSTOMER_ANSWERS = {"accepted": "接受报价", "feedback": "提出修改意见"}


def quote_customer_answer(
    *, version: QuoteVersion, outcome: str, comment: str, now: datetime | None = None
) -> Quote:
    """The customer's own answer on the share page: accept, or ask for changes with a comment.
    Like the rep's record of an answer it stops the follow-up timer; the owner is told."""
    from salesflow.notify.services import notify

    now = now or clock.now()
    comment = comment.strip() if isinstance(comment, str) else ""
    errors: dict[str, list[str]] = {}
    if outcome not in CUSTOMER_ANSWERS:
        errors["outcome"] = ["请选择接受报价或提出修改意见 / Accept or ask for changes."]
    if outcome == "feedback" and not comment:
        errors["comment"] = ["请写下需要修改的地方 / Say what should change."]
    if len(comment) > 1000:
        errors["comment"] = ["最多 1000 字 / At most 1000 characters."]
    if errors:
        raise FieldErrors(errors)
    event = FEEDBACK_OUTCOMES[outcome][0]
    with transaction.atomic():
        locked = (
            Quote.objects.select_for_update().select_related("owner", "customer").get(pk=version.quote_id)
        )
        if locked.current_version != version.number:
            raise Conflict("该报价已有新版本，请联系销售代表 / A newer version exists.", state=locked.state)
        if locked.state != QuoteState.SENT:
            raise Conflict("该报价已答复或不再等待答复 / This quote is no longer awaiting an answer.")
        _record_answer(
            locked,
            outcome=outcome,
            payload={"answer": comment or CUSTOMER_ANSWERS[outcome], "source": "客户在线答复"},
            actor=None,
            now=now,
        )
        notify(
            recipients=[locked.owner],
            kind=event,
            title=f"{locked.customer.name} 在线{CUSTOMER_ANSWERS[outcome]}：{locked.number}",
            body=comment,
            subject=locked,
            actor=None,
            now=now,
        )
    return locked


def quote_reads_log(*, reader: User, quotes: list[Quote], kind: str, number: int | None = None) -> None:
    """Log the reads of `quotes` a temporary grant (临时授权) allowed `reader`: those they see only
    through a grant on the customer (`kind`: list, quote, PDF or export; `number` a version)."""
    from salesflow.customers.services import grant_reads_log
    from salesflow.quotes.selectors import reads_own

    granted = [q for q in quotes if not reads_own(reader, q)]
    if not granted:
        return
    single = len(granted) == 1
    grant_reads_log(
        reader=reader,
        customer_ids=[q.customer_id for q in granted],
        kind=kind,
        object_id=granted[0].pk if single else None,
        object_label=(granted[0].number + (f" v{number}" if number else "")) if single else "",
    )


def quote_export_reads_log(*, reader: User, filters: dict[str, Any]) -> None:
    """Log an export of the quote list (`filters` as the export got them) once per temporary grant
    whose customer's quotes it held."""
    from salesflow.customers.choices import GrantReadKind, GrantScope
    from salesflow.customers.selectors import granted_customer_ids
    from salesflow.customers.services import grant_reads_log
    from salesflow.quotes.selectors import quote_filters_from, quotes_list

    granted = granted_customer_ids(reader, scope=GrantScope.QUOTES)
    customer_ids = set(
        quotes_list(user=reader, filters=quote_filters_from(filters))
        .filter(customer_id__in=granted)
        .order_by()
        .values_list("customer_id", flat=True)
    )
    grant_reads_log(reader=reader, customer_ids=sorted(customer_ids), kind=GrantReadKind.EXPORT)
