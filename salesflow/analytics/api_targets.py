"""REST endpoints of the target sheet (销售目标): read a month, save several targets at once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from salesflow.analytics import services
from salesflow.analytics.services import TargetEntry
from salesflow.analytics.targets import TargetRow, may_open_targets, parse_month, target_sheet, this_month
from salesflow.core.errors import FieldErrors, PermissionDenied
from salesflow.org.api import TeamRef, UserRef, current_user
from salesflow.org.models import User

router = Router(tags=["analytics"])


class TargetRowOut(Schema):
    kind: str = Field(description="team | person")
    team: TeamRef
    person: UserRef | None
    depth: int
    amount: Decimal | None = Field(description="the row's own target in yuan (None: not set)")
    covered: Decimal | None = Field(description="own target, else what the sub-teams add up to")
    signed: Decimal = Field(description="won amount of the month (its subtree for a team)")
    completion: float | None = Field(description="signed over the (covered) target, in percent")
    editable: bool


class TargetSheetOut(Schema):
    month: date
    rows: list[TargetRowOut]


class TargetIn(Schema):
    team: int | None = None
    person: int | None = None
    amount: Decimal | None = Field(description="yuan; null clears the target")


class TargetsIn(Schema):
    month: date
    targets: list[TargetIn] = Field(max_length=2000)


def _row_out(row: TargetRow) -> TargetRowOut:
    team = row.team
    person = row.person
    return TargetRowOut(
        kind=row.kind,
        team=TeamRef(id=team.pk, name=team.name, kind=team.kind),
        person=UserRef(id=person.pk, username=person.username, display_name=str(person)) if person else None,
        depth=row.depth,
        amount=row.amount,
        covered=row.covered,
        signed=row.signed,
        completion=row.completion,
        editable=row.editable,
    )


def _require_opener(request: HttpRequest) -> User:
    me = current_user(request)
    if not may_open_targets(me):
        raise PermissionDenied("只有主管、总监和运营管理员可以设置销售目标 / Managers and up only.")
    return me


@router.get("/analytics/targets", response=TargetSheetOut)
def targets(request: HttpRequest, month: str = "") -> TargetSheetOut:
    """The month's target sheet (`month=2026-12`, default this month): the caller's team subtree
    (every team for company-wide roles) with each team's and person's target and signed amount."""
    me = _require_opener(request)
    first = parse_month(month, default=this_month())
    if first is None:
        raise FieldErrors({"month": ["月份格式应为 2026-12 / Use a month like 2026-12."]}, location="query")
    return TargetSheetOut(month=first, rows=[_row_out(row) for row in target_sheet(me, first)])


@router.put("/analytics/targets", response=TargetSheetOut)
def targets_save(request: HttpRequest, payload: TargetsIn) -> TargetSheetOut:
    """Set or clear (`amount: null`) several targets of one month at once; all or nothing.
    Each target names exactly one of `team` and `person` from the caller's sheet."""
    me = _require_opener(request)
    rows = target_sheet(me, payload.month.replace(day=1))
    teams = {row.team.pk: row.team for row in rows if row.kind == "team"}
    people = {row.person.pk: row.person for row in rows if row.person is not None}
    entries: list[TargetEntry] = []
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(payload.targets):
        field = f"targets.{index}"
        if (item.team is None) == (item.person is None):
            errors[f"{field}.team"] = ["请指定团队或人员之一 / Name either a team or a person."]
        elif item.team is not None and item.team not in teams:
            errors[f"{field}.team"] = ["不在您可设置目标的团队中 / Not a team of your sheet."]
        elif item.person is not None and item.person not in people:
            errors[f"{field}.person"] = ["不在您可设置目标的人员中 / Not a person of your sheet."]
        elif item.amount is not None and not item.amount.is_finite():
            errors[f"{field}.amount"] = ["请填写金额 / Enter the amount."]
        else:
            entries.append(
                TargetEntry(
                    field=f"{field}.amount",
                    amount=item.amount,
                    team=teams.get(item.team) if item.team is not None else None,
                    person=people.get(item.person) if item.person is not None else None,
                )
            )
    if errors:
        raise FieldErrors(errors)
    services.target_sheet_save(actor=me, month=payload.month, entries=entries)
    first = payload.month.replace(day=1)
    return TargetSheetOut(month=first, rows=[_row_out(row) for row in target_sheet(me, first)])
