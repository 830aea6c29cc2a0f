"""Writes of imports: run a validated workbook through the services, bulk paths for big files, jobs.

A workbook is validated whole first (validation.py, set-based); then every good row is
written in ONE transaction, so a real run is all-or-nothing unless bad rows are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from simple_history.utils import bulk_create_with_history

from salesflow.core import clock, events
from salesflow.core.errors import Conflict, FieldErrors, PermissionDenied
from salesflow.core.models import Event
from salesflow.customers import services as customer_services
from salesflow.customers.models import Contact, Customer, Order
from salesflow.imports import xlsx
from salesflow.imports.choices import ImportKind, JobStatus
from salesflow.imports.models import ImportJob
from salesflow.imports.permissions import can_import
from salesflow.imports.spec import columns_of, guess_mapping
from salesflow.imports.validation import CHUNK, Checked, RowError, validate
from salesflow.leads import services as lead_services
from salesflow.org.models import User
from salesflow.rules.selectors import active_pack
from salesflow.timers.durations import parse_duration

BATCH = 1000
# A job keeps this many problems for its result page; the skipped-rows workbook has them all.
STORED_ERRORS = 5000
REASON_HEADER = "错误原因"

Progress = Callable[[int, int], None]


@dataclass
class ImportResult:
    """What an import did (or, on a dry run or a refused run, would have done)."""

    kind: str
    total: int
    valid: int
    created: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False
    skipped_xlsx: bytes | None = None

    def as_dict(self) -> dict[str, Any]:
        """The API / CLI shape."""
        return {
            "kind": self.kind,
            "total": self.total,
            "valid": self.valid,
            "created": self.created,
            "skipped": self.skipped,
            "dry_run": self.dry_run,
            "written": self.written,
            "errors": [e.as_dict() for e in self.errors],
        }


def _pack_reacts(subject: str, name: str) -> bool:
    """Whether the active pack has a rule or SLA timer on event `name` of `subject` records."""
    _number, pack = active_pack()
    return any(r.enabled and r.trigger == name and r.subject == subject for r in pack.rules) or any(
        p.enabled and p.subject == subject and (name in p.start_events or name in p.stop_events)
        for p in pack.sla_policies
    )


def _record_many(subject: str, prepared: list[Event], actor: User | None) -> None:
    """Append prepared events: in bulk when no rule listens, one by one (rules run) when one does."""
    by_name: dict[str, list[Event]] = {}
    for event in prepared:
        by_name.setdefault(event.name, []).append(event)
    for name, batch in by_name.items():
        if _pack_reacts(subject, name):
            for event in batch:
                events.record(
                    name=event.name,
                    subject=event.subject_model,  # type: ignore[attr-defined]
                    actor=actor,
                    payload=event.payload,
                    occurred_at=event.occurred_at,
                )
        else:
            events.bulk_record(batch)


def _event(name: str, subject: Any, actor: User | None, now: datetime, payload: dict[str, Any]) -> Event:
    event = Event(
        name=name,
        subject_type=events.subject_type_of(subject),
        subject_id=subject.pk,
        actor_id=getattr(actor, "pk", None),
        payload=payload,
        occurred_at=now,
    )
    event.subject_model = subject  # type: ignore[attr-defined]
    return event


def customers_bulk_create(
    *, rows: list[dict[str, Any]], actor: User | None, now: datetime, progress: Progress | None = None
) -> list[Customer]:
    """Create many validated customers at once: rows with search keys, history rows and events.

    Why not `customer_create` per row: it costs ~6 queries a customer (dedupe, insert, history,
    events), about 150 rows/s; 100,000 customers would take over ten minutes. Here each batch
    of 1,000 is one INSERT of customers, one of history and one of events, with exactly what
    `customer_create` writes (name_key, search keys, claimed_at, `customer.created` and
    `customer.claimed`). Events some pack rule or timer listens to (the 7-day commitment clock
    on `customer.claimed`) are recorded one by one so the rules engine sees them.
    The caller validated the rows (validation.py); duplicates are checked again here, inside
    the transaction, in case someone created one since.
    """
    with transaction.atomic():
        keys = [r["name_key"] for r in rows]
        for start in range(0, len(keys), CHUNK):
            clash = Customer.objects.filter(name_key__in=keys[start : start + CHUNK]).first()
            if clash is not None:
                raise Conflict(f"客户已存在：{clash.name} / This customer exists already.")
        created: list[Customer] = []
        for start in range(0, len(rows), BATCH):
            batch = []
            for values in rows[start : start + BATCH]:
                owner = values.get("owner") or None
                customer = Customer(
                    name=values["name"],
                    name_key=values["name_key"],
                    region=values.get("region") or None,
                    industry_segment=values.get("industry_segment") or "",
                    customer_tier=values.get("customer_tier") or "",
                    customer_class=values.get("customer_class") or "",
                    address=values.get("address") or "",
                    payment_term=values.get("payment_term") or "",
                    owner=owner,
                    claimed_at=now if owner else None,
                    created_at=now,
                )
                customer.search_text, customer.initials = customer_services.search_keys(values["name"], [])
                batch.append(customer)
            saved = bulk_create_with_history(
                batch, Customer, batch_size=BATCH, default_user=actor, default_date=now
            )
            prepared = []
            for customer in saved:
                prepared.append(
                    _event("customer.created", customer, actor, now, {"name": customer.name, "via": "import"})
                )
                if customer.owner_id is not None:
                    payload = {"owner": customer.owner_id, "via": "import"}
                    prepared.append(_event("customer.claimed", customer, actor, now, payload))
            _record_many("customer", prepared, actor)
            created += saved
            if progress:
                progress(len(created), len(rows))
    return created


def contacts_bulk_add(
    *, rows: list[dict[str, Any]], actor: User | None, now: datetime, progress: Progress | None = None
) -> list[Contact]:
    """Add many validated contacts at once, with history and events; customers' search keys relearn."""
    with transaction.atomic():
        created: list[Contact] = []
        for start in range(0, len(rows), BATCH):
            batch = [
                Contact(
                    customer_id=values["customer_id"],
                    name=values["name"],
                    title=values.get("title") or "",
                    phone=values.get("phone") or "",
                    email=values.get("email") or "",
                    phone_key=values.get("phone_key") or "",
                    email_key=values.get("email_key") or "",
                    created_at=now,
                )
                for values in rows[start : start + BATCH]
            ]
            saved = bulk_create_with_history(
                batch, Contact, batch_size=BATCH, default_user=actor, default_date=now
            )
            prepared = [
                _event(
                    "customer.contact_added",
                    Customer(pk=c.customer_id),
                    actor,
                    now,
                    {"contact": c.pk, "name": c.name, "via": "import"},
                )
                for c in saved
            ]
            _record_many("customer", prepared, actor)
            created += saved
            if progress:
                progress(len(created), len(rows))
        _refresh_search_keys(sorted({c.customer_id for c in created}))
    return created


def _refresh_search_keys(customer_ids: list[int]) -> None:
    """Recompute customers' search keys from their names and all their contacts (set-based)."""
    for start in range(0, len(customer_ids), CHUNK):
        ids = customer_ids[start : start + CHUNK]
        people: dict[int, list[tuple[str, str]]] = {}
        for customer_id, name, phone in Contact.objects.filter(customer_id__in=ids).values_list(
            "customer_id", "name", "phone"
        ):
            people.setdefault(customer_id, []).append((name, phone))
        customers = list(Customer.objects.filter(pk__in=ids).only("id", "name"))
        for customer in customers:
            customer.search_text, customer.initials = customer_services.search_keys(
                customer.name, people.get(customer.pk, [])
            )
        Customer.objects.bulk_update(customers, ["search_text", "initials"], batch_size=BATCH)


def orders_bulk_add(
    *, rows: list[dict[str, Any]], actor: User | None, now: datetime, progress: Progress | None = None
) -> list[Order]:
    """Add many validated orders, with history and events; tag rules and health run once per customer."""
    with transaction.atomic():
        created: list[Order] = []
        for start in range(0, len(rows), BATCH):
            batch = [
                Order(
                    customer_id=values["customer_id"],
                    ordered_on=values["ordered_on"],
                    amount=values["amount"],
                    product_lines=values.get("product_lines") or [],
                    models_bought=values.get("models_bought") or "",
                    payment_term=values.get("payment_term") or "",
                    reference=(values.get("reference") or "")[:60],
                    created_at=now,
                )
                for values in rows[start : start + BATCH]
            ]
            saved = bulk_create_with_history(
                batch, Order, batch_size=BATCH, default_user=actor, default_date=now
            )
            prepared = [
                _event(
                    "customer.order_added",
                    Customer(pk=o.customer_id),
                    actor,
                    now,
                    {
                        "order": o.pk,
                        "amount": str(o.amount),
                        "ordered_on": o.ordered_on.isoformat(),
                        "via": "import",
                    },
                )
                for o in saved
            ]
            _record_many("customer", prepared, actor)
            created += saved
            if progress:
                progress(len(created), len(rows))
        # What order_add does after each order, once per customer: the pack's tag rules, health.
        for customer in Customer.objects.select_for_update().filter(
            pk__in=sorted({o.customer_id for o in created})
        ):
            customer_services.tags_evaluate(customer=customer, now=now)
            customer_services.health_recompute(customer=customer, now=now)
    return created


def _leads_create(
    *, rows: list[dict[str, Any]], actor: User | None, now: datetime, progress: Progress | None = None
) -> list[Any]:
    """Leads one by one through `lead_create`: each is scored and given to its owner (timers start)."""
    created = []
    for values in rows:
        created.append(
            lead_services.lead_create(
                name=values["name"],
                phone=values.get("phone") or "",
                email=values.get("email") or "",
                company=values.get("company") or "",
                title=values.get("title") or "",
                industry_segment=values.get("industry_segment") or "",
                customer_tier=values.get("customer_tier") or "",
                product_line=values.get("product_line") or "",
                buying_stage=values.get("buying_stage") or "",
                company_size=values.get("company_size") or "",
                budget=values.get("budget") or None,
                source=values.get("source") or "import",
                message=values.get("message") or "",
                owner=values.get("owner") or None,
                actor=actor,
                now=now,
            )
        )
        if progress and (len(created) % 100 == 0 or len(created) == len(rows)):
            progress(len(created), len(rows))
    return created


_WRITERS: dict[str, Callable[..., list[Any]]] = {
    ImportKind.CUSTOMERS: customers_bulk_create,
    ImportKind.CONTACTS: contacts_bulk_add,
    ImportKind.ORDERS: orders_bulk_add,
    ImportKind.LEADS: _leads_create,
}


def skipped_workbook(checked: Checked) -> bytes:
    """The bad rows as they were uploaded, with a 错误原因 column naming column and reason."""
    width = len(checked.headers)
    rows = []
    for number in sorted(checked.bad):
        cells = list(checked.raw[number])[:width]
        cells += [None] * (width - len(cells))
        reason = "；".join(f"第 {e.row} 行「{e.column}」：{e.reason}" for e in checked.bad[number])
        rows.append([*cells, reason])
    return xlsx.write([*checked.headers, REASON_HEADER], rows, title="跳过的行")


def import_run(
    *,
    kind: str,
    sheet: xlsx.Sheet,
    actor: User | None,
    mapping: dict[str, int] | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate the whole sheet, then write its good rows in one transaction — or nothing.

    A dry run writes nothing. Without `skip_bad_rows` one bad row means nothing is written;
    with it, the good rows are written and the bad ones come back as an xlsx with reasons.
    """
    if kind not in ImportKind.values:
        raise FieldErrors({"kind": [f"应为 {', '.join(ImportKind.values)} 之一 / Unknown kind."]})
    if actor is not None and not can_import(actor):
        raise PermissionDenied("只有运营管理员和主管可以导入 / Only ops admins and managers may import.")
    now = now or clock.now()
    checked = validate(
        kind, sheet, mapping if mapping is not None else guess_mapping(kind, sheet.headers), actor=actor
    )
    result = ImportResult(
        kind=kind, total=len(sheet.rows), valid=len(checked.good), errors=checked.errors, dry_run=dry_run
    )
    if checked.bad and skip_bad_rows:
        result.skipped = len(checked.bad)
        result.skipped_xlsx = skipped_workbook(checked)
    if dry_run or (checked.bad and not skip_bad_rows) or not checked.good:
        return result
    with transaction.atomic():
        written = _WRITERS[kind](
            rows=[values for _n, values in checked.good], actor=actor, now=now, progress=progress
        )
    result.created, result.written = len(written), True
    return result


def import_job_create(
    *, kind: str, filename: str, data: bytes, actor: User, now: datetime | None = None
) -> ImportJob:
    """Store an uploaded workbook for the wizard, with its headers and a guessed column mapping.

    Cheap whatever the file: the pack's bounds are checked on the sheet's declared size and
    only the first `imports.inline_max_rows` rows are read (`is_big` tells the rest).
    """
    if not can_import(actor):
        raise PermissionDenied("只有运营管理员和主管可以导入 / Only ops admins and managers may import.")
    if kind not in ImportKind.values:
        raise FieldErrors({"kind": [f"应为 {', '.join(ImportKind.values)} 之一 / Unknown kind."]})
    if not filename.lower().endswith(".xlsx"):
        raise FieldErrors({"file": ["请上传 .xlsx 文件 / Upload an .xlsx workbook."]})
    # Only the first rows are read here: a big workbook is read whole in the background.
    sheet = xlsx.read(data, stop_after=inline_max_rows())
    total = len(sheet.rows)
    if sheet.truncated:
        total = max(total + 1, sheet.declared_rows or 0)  # counted exactly when the job runs
    now = now or clock.now()
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            filename=filename[:200],
            source=data,
            headers=sheet.headers,
            mapping=guess_mapping(kind, sheet.headers),
            total_rows=total,
            created_by=actor,
            created_at=now,
        )
        events.record(
            name="import.uploaded",
            subject=job,
            actor=actor,
            occurred_at=now,
            payload={"kind": kind, "rows": job.total_rows},
        )
    return job


def inline_max_rows() -> int:
    """Above this many rows an import runs only as a background job (the pack's number)."""
    return active_pack()[1].imports.inline_max_rows


def is_big(job: ImportJob) -> bool:
    """Whether the job's workbook is too big to import (or preview whole) inside a request."""
    return job.total_rows > inline_max_rows()


def import_job_map(*, job: ImportJob, mapping: dict[str, int], actor: User) -> ImportJob:
    """Save the column mapping the importer chose (field → column index)."""
    if job.status not in (JobStatus.UPLOADED, JobStatus.MAPPED):
        raise Conflict("该导入已完成 / This import has finished.")
    fields = {c.field for c in columns_of(job.kind)}
    errors = [f for f, i in mapping.items() if f not in fields or not 0 <= i < len(job.headers)]
    if errors:
        raise FieldErrors({"mapping": [f"无效的列映射 / Invalid mapping: {', '.join(errors)}"]})
    missing = [c.header for c in columns_of(job.kind) if c.required and c.field not in mapping]
    if missing:
        raise FieldErrors(
            {"mapping": [f"请为必填列选择文件中的列 / Map the required columns: {'、'.join(missing)}"]}
        )
    if len(set(mapping.values())) != len(mapping):
        raise FieldErrors({"mapping": ["同一列不能映射到两个字段 / One column maps to one field only."]})
    with transaction.atomic():
        job.mapping, job.status = mapping, JobStatus.MAPPED
        job.save(update_fields=["mapping", "status"])
    return job


def import_job_start(*, job: ImportJob, skip_bad_rows: bool, actor: User) -> ImportJob:
    """Confirm a job: it runs as a background task (enqueued in this transaction)."""
    from salesflow.imports.tasks import run_import_job

    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status in (JobStatus.DONE, JobStatus.RUNNING):
            raise Conflict("该导入已开始或已完成 / This import has started already.")
        if locked.pruned_at is not None:
            raise Conflict("文件已过保留期删除，请重新上传 / The file was deleted; upload it again.")
        locked.status, locked.skip_bad_rows = JobStatus.RUNNING, skip_bad_rows
        locked.started_at = clock.now()
        locked.save(update_fields=["status", "skip_bad_rows", "started_at"])
        run_import_job.enqueue(job_id=locked.pk, user_id=actor.pk, skip_bad_rows=skip_bad_rows)
    return locked


def import_job_run(
    *,
    job: ImportJob,
    skip_bad_rows: bool,
    actor: User,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Confirm a mapped job: run the import and keep counts, problems and the skipped rows on the job."""
    now = now or clock.now()
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status in (JobStatus.DONE,):
            raise Conflict("该导入已完成 / This import has finished.")
        result = import_run(
            kind=locked.kind,
            sheet=xlsx.read(bytes(locked.source)),
            mapping={k: int(v) for k, v in locked.mapping.items()},
            actor=actor,
            skip_bad_rows=skip_bad_rows,
            dry_run=dry_run,
            now=now,
            progress=progress,
        )
        if dry_run:
            return result
        locked.status = JobStatus.DONE if result.written or not result.errors else JobStatus.FAILED
        locked.skip_bad_rows = skip_bad_rows
        locked.created_count, locked.skipped_count = result.created, result.skipped
        locked.total_rows = result.total
        locked.errors = [e.as_dict() for e in result.errors[:STORED_ERRORS]]
        locked.skipped_file = result.skipped_xlsx
        locked.finished_at = now
        locked.save()
        events.record(
            name="import.finished",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={
                "kind": locked.kind,
                "created": result.created,
                "skipped": result.skipped,
                "errors": len(result.errors),
            },
        )
    job.refresh_from_db()
    return result


def import_job_fail(
    *, job: ImportJob, reason: str, actor: User | None, now: datetime | None = None
) -> ImportJob:
    """Mark a job failed with `reason` (its run was refused or lost); a finished job is left alone."""
    now = now or clock.now()
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status in (JobStatus.DONE, JobStatus.FAILED):
            return locked
        locked.status, locked.finished_at = JobStatus.FAILED, now
        locked.errors = [{"row": 0, "column": "", "reason": reason}]
        locked.save(update_fields=["status", "finished_at", "errors"])
        events.record(
            name="import.failed",
            subject=locked,
            actor=actor,
            occurred_at=now,
            payload={"kind": locked.kind, "reason": reason},
        )
    return locked


def import_jobs_housekeep(*, now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Fail jobs abandoned mid-way and delete old workbooks, by the pack's `imports` numbers.

    A job still uploaded or mapped `stale_after` after its upload, or running that long after
    confirm, was left by a crashed server or worker (or by its importer): it is failed. The
    workbook and skipped rows of every job uploaded more than `retention_days` ago are deleted;
    counts and problems stay. Idempotent: run it as often as you like.
    """
    now = now or clock.now()
    policy = active_pack()[1].imports
    stale_before = now - parse_duration(policy.stale_after).as_timedelta()
    waiting = ImportJob.objects.filter(
        status__in=[JobStatus.UPLOADED, JobStatus.MAPPED], created_at__lt=stale_before
    )
    running = ImportJob.objects.filter(status=JobStatus.RUNNING).filter(
        Q(started_at__lt=stale_before) | Q(started_at__isnull=True, created_at__lt=stale_before)
    )
    stale = list((waiting | running).only("id", "status", "kind"))
    expired = ImportJob.objects.filter(
        pruned_at__isnull=True, created_at__lt=now - timedelta(days=policy.retention_days)
    ).exclude(status=JobStatus.RUNNING)
    if dry_run:
        return {"failed": len(stale), "pruned": expired.count()}
    for job in stale:
        import_job_fail(
            job=job,
            reason=f"导入未完成（超过 {policy.stale_after} 无进展），请重新上传 / Abandoned: "
            f"no progress for {policy.stale_after}.",
            actor=None,
            now=now,
        )
    with transaction.atomic():
        pruned = list(expired.select_for_update().values_list("id", flat=True))
        ImportJob.objects.filter(pk__in=pruned).update(source=b"", skipped_file=None, pruned_at=now)
        events.bulk_record(
            [
                Event(
                    name="import.pruned",
                    subject_type=ImportJob._meta.label_lower,
                    subject_id=pk,
                    actor_id=None,
                    payload={"retention_days": policy.retention_days},
                    occurred_at=now,
                )
                for pk in pruned
            ]
        )
    return {"failed": len(stale), "pruned": len(pruned)}
