"""Writes of the cockpit's own data: sales targets (销售目标), acquisition spend (获客投入), playbooks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from salesflow.analytics.models import AcquisitionSpend, SalesTarget
from salesflow.core import clock
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.core.history import attach_actor
from salesflow.org.choices import COMPANY_WIDE_ROLES, Role
from salesflow.org.models import Team, User
from salesflow.org.selectors import managers_above

# Sixteen digits with two decimals: up to a trillion yuan.
MAX_TARGET = Decimal("1e14")


def may_set_target(actor: User, *, team: Team | None = None, person: User | None = None) -> bool:
    """Company-wide roles set any target; a manager or director those of their own team subtree
    and the people in it."""
    if actor.is_superuser or actor.role in COMPANY_WIDE_ROLES:
        return True
    if actor.role not in (Role.MANAGER, Role.DIRECTOR) or actor.team_id is None:
        return False
    own_path = Team.objects.values_list("path", flat=True).get(pk=actor.team_id)
    if team is not None:
        return team.path.startswith(own_path)
    return person is not None and actor.pk in {boss.pk for boss in managers_above(person)}


def target_set(
    *,
    actor: User,
    month: date,
    amount: Decimal,
    team: Team | None = None,
    person: User | None = None,
    now: datetime | None = None,
) -> SalesTarget:
    """Set (create or replace) the monthly target of `team` or `person`."""
    errors: dict[str, list[str]] = {}
    if (team is None) == (person is None):
        errors["team"] = ["请选择团队或人员之一 / Choose either a team or a person."]
    if not Decimal(0) <= amount < MAX_TARGET:
        errors["amount"] = ["目标应为 0 到 1 万亿元之间 / The target is out of range."]
    if errors:
        raise FieldErrors(errors)
    if not may_set_target(actor, team=team, person=person):
        raise PermissionDenied(
            "只有上级主管或运营管理员可以设置此目标 / Only a manager above or the ops admin may set it."
        )
    now = now or clock.now()
    with transaction.atomic():
        target, _created = SalesTarget.objects.select_for_update().get_or_create(
            team=team,
            person=person,
            month=month.replace(day=1),
            defaults={"amount": amount, "updated_at": now},
        )
        target.amount = amount
        target.set_by = actor
        target.updated_at = now
        attach_actor(target, actor, now)
        target.save()
    return target


@dataclass(frozen=True)
class TargetEntry:
    """One cell of the target sheet to save: a team's or a person's target (None clears it);
    `field` is the name errors are reported under (the form field or API field)."""

    field: str
    amount: Decimal | None
    team: Team | None = None
    person: User | None = None


def _entry_errors(actor: User, entry: TargetEntry) -> list[str]:
    if entry.amount is not None and not Decimal(0) <= entry.amount < MAX_TARGET:
        return ["目标应为 0 到 1 万亿元之间 / The target is out of range."]
    if not may_set_target(actor, team=entry.team, person=entry.person):
        return ["您不能设置这一行的目标 / You may not set this target."]
    return []


def target_sheet_save(
    *, actor: User, month: date, entries: Sequence[TargetEntry], now: datetime | None = None
) -> int:
    """Save a month's sheet at once: every entry is checked first (errors name each entry's
    field and nothing is written), then changed targets are set and emptied ones removed.
    Returns how many targets changed."""
    errors = {e.field: msgs for e in entries if (msgs := _entry_errors(actor, e))}
    if errors:
        raise FieldErrors(errors)
    month = month.replace(day=1)
    now = now or clock.now()
    changed = 0
    with transaction.atomic():
        for entry in entries:
            current = (
                SalesTarget.objects.select_for_update()
                .filter(team=entry.team, person=entry.person, month=month)
                .first()
            )
            if entry.amount is None:
                if current is not None:
                    attach_actor(current, actor, now)
                    current.delete()
                    changed += 1
                continue
            if current is not None and current.amount == entry.amount:
                continue
            target_set(
                actor=actor, month=month, amount=entry.amount, team=entry.team, person=entry.person, now=now
            )
            changed += 1
    return changed


def target_copy_previous(*, actor: User, month: date, now: datetime | None = None) -> int:
    """Give every team and person the actor may set, and that has no target in `month`, the
    target they had the month before. Returns how many were copied."""
    month = month.replace(day=1)
    previous = (month - timedelta(days=1)).replace(day=1)
    taken = set(SalesTarget.objects.filter(month=month).values_list("team_id", "person_id"))
    entries = [
        TargetEntry(field="month", amount=t.amount, team=t.team, person=t.person)
        for t in SalesTarget.objects.filter(month=previous).select_related("team", "person")
        if (t.team_id, t.person_id) not in taken and may_set_target(actor, team=t.team, person=t.person)
    ]
    return target_sheet_save(actor=actor, month=month, entries=entries, now=now)


# ---------------------------------------------------------------------------------------------
# Acquisition spend (获客投入) and the health playbooks


def may_edit_spend(actor: User) -> bool:
    """Acquisition spend is the ops admin's figure (and a superuser's)."""
    return bool(actor.is_superuser or actor.role == Role.OPS_ADMIN)


def _spend_errors(source: str, month: date | None, amount: Decimal | None) -> dict[str, list[str]]:
    from salesflow.rules.selectors import active_pack

    _number, pack = active_pack()
    sources = pack.dictionary("lead_source")
    codes = [c.code for c in sources.choices] if sources else []
    errors: dict[str, list[str]] = {}
    if source not in codes:
        errors["source"] = ["请选择线索来源 / Choose a lead source of the rule pack."]
    if month is None:
        errors["month"] = ["请填写月份 / Enter the month."]
    elif not 2000 <= month.year <= 2099:
        errors["month"] = ["月份应在 2000–2099 年之间 / Out of range."]
    if amount is None:
        errors["amount"] = ["请填写金额 / Enter the amount."]
    elif amount < 0 or amount >= Decimal("1e14"):
        errors["amount"] = ["金额应为 0 到 1 万亿之间 / The amount is out of range."]
    return errors


def spend_set(
    *,
    actor: User,
    source: str,
    month: date | None,
    amount: Decimal | None,
    note: str = "",
    now: datetime | None = None,
) -> AcquisitionSpend:
    """Set (create or replace) the acquisition spend of one lead source in one month."""
    if not may_edit_spend(actor):
        raise PermissionDenied(
            "只有运营管理员可以录入获客投入 / Only the ops admin may enter acquisition spend."
        )
    errors = _spend_errors(source, month, amount)
    if errors:
        raise FieldErrors(errors)
    assert month is not None and amount is not None
    now = now or clock.now()
    with transaction.atomic():
        spend, _created = AcquisitionSpend.objects.select_for_update().get_or_create(
            source=source, month=month.replace(day=1), defaults={"amount": amount, "updated_at": now}
        )
        spend.amount = amount
        spend.note = note[:200]
        spend.set_by = actor
        spend.updated_at = now
        attach_actor(spend, actor, now)
        spend.save()
    return spend


def spend_delete(*, actor: User, spend: AcquisitionSpend, now: datetime | None = None) -> None:
    """Remove one month's spend of a source (a row entered by mistake)."""
    if not may_edit_spend(actor):
        raise PermissionDenied(
            "只有运营管理员可以录入获客投入 / Only the ops admin may enter acquisition spend."
        )
    now = now or clock.now()
    with transaction.atomic():
        attach_actor(spend, actor, now)
        spend.delete()


def playbook_save(*, actor: User, code: str, playbook: str, now: datetime | None = None) -> None:
    """Replace the improvement playbook (改进手册) of one health indicator: a new pack version."""
    from salesflow.rules import packs
    from salesflow.rules.permissions import can_edit_rules
    from salesflow.rules.selectors import active_pack
    from salesflow.rules.services import pack_version_create

    if not can_edit_rules(actor):
        raise PermissionDenied(
            "只有销售管理者或运营管理员可以修改改进手册 / Only rule editors may change it."
        )
    _number, pack = active_pack()
    document = packs.to_document(pack)
    items = document.get("health_thresholds", [])
    index = next((i for i, t in enumerate(items) if t["code"] == code), None)
    if index is None:
        raise FieldErrors({"code": ["没有这个指标 / No such indicator."]})
    items[index]["playbook"] = playbook.replace("\r\n", "\n").strip()
    try:
        new_pack = packs.validate(document)
    except packs.PackInvalid as exc:
        raise FieldErrors({"playbook": [line.partition(": ")[2] or line for line in exc.errors]}) from None
    with transaction.atomic():
        pack_version_create(pack=new_pack, actor=actor, note=f"改进手册「{items[index]['name']}」", now=now)


SPEND_HEADERS = ["线索来源", "月份", "金额（元）", "备注"]


def _cell_month(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    text = str(value or "").strip().replace("/", "-").replace("年", "-").replace("月", "")
    try:
        return date.fromisoformat(text + "-01" if len(text) <= 7 else text[:10]).replace(day=1)
    except ValueError:
        return None


def _cell_amount(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("¥", ""))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def spend_import(*, actor: User, data: bytes, now: datetime | None = None) -> int:
    """Set the spend rows of a workbook (线索来源, 月份, 金额（元）, 备注 — what the spend export
    writes): all or nothing; FieldErrors under `file` name each bad row. Returns the rows set."""
    from salesflow.imports import xlsx
    from salesflow.rules.selectors import active_pack

    if not may_edit_spend(actor):
        raise PermissionDenied(
            "只有运营管理员可以录入获客投入 / Only the ops admin may enter acquisition spend."
        )
    sheet = xlsx.read(data, field="file")
    headers = [str(h or "").strip() for h in sheet.headers]
    missing = [h for h in SPEND_HEADERS[:3] if h not in headers]
    if missing:
        raise FieldErrors({"file": [f"缺少列：{'、'.join(missing)} / Missing columns."]})
    at = {h: headers.index(h) for h in SPEND_HEADERS if h in headers}
    _number, pack = active_pack()
    sources = pack.dictionary("lead_source")
    by_label = {c.label: c.code for c in sources.choices} if sources else {}
    by_label.update({c.code: c.code for c in sources.choices} if sources else {})
    parsed, errors = [], []
    for number, cells in sheet.rows:
        cell = {h: (cells[i] if i < len(cells) else None) for h, i in at.items()}
        source = by_label.get(str(cell["线索来源"] or "").strip(), "")
        month, amount = _cell_month(cell["月份"]), _cell_amount(cell["金额（元）"])
        row_errors = _spend_errors(source, month, amount)
        if row_errors:
            errors.append(
                f"第 {number} 行：" + "；".join(m.split(" / ")[0] for ms in row_errors.values() for m in ms)
            )
        else:
            parsed.append((source, month, amount, str(cell.get("备注") or "")[:200]))
    if errors:
        raise FieldErrors({"file": errors[:20]})
    with transaction.atomic():
        for source, month, amount, note in parsed:
            spend_set(actor=actor, source=source, month=month, amount=amount, note=note, now=now)
    return len(parsed)
