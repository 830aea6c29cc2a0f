"""REST endpoints of the rule engine: the pack, versions, import, rollback, rules, simulation."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from salesflow.core import clock
from salesflow.core.errors import FieldErrors, NotFound, PermissionDenied
from salesflow.rules import packs, selectors, services, simulation
from salesflow.rules.permissions import can_edit_rules

router = Router(tags=["rules"])


def _editor(request: HttpRequest) -> Any:
    if not can_edit_rules(request.user):
        raise PermissionDenied(
            "只有销售管理者和运营管理员可以修改规则 / Only managers and ops may change rules."
        )
    return request.user


class PackOut(Schema):
    version: int
    document: dict[str, Any]


class VersionOut(Schema):
    number: int
    name: str
    note: str
    created_at: datetime
    created_by: int | None
    is_active: bool


def _version_out(v: Any) -> VersionOut:
    return VersionOut(
        number=v.number,
        name=v.name,
        note=v.note,
        created_at=v.created_at,
        created_by=v.created_by_id,
        is_active=v.is_active,
    )


@router.get("/rules/pack", response=PackOut)
def get_pack(request: HttpRequest) -> PackOut:
    """The active rule pack."""
    number, pack = selectors.active_pack()
    return PackOut(version=number, document=packs.to_document(pack))


@router.get("/rules/versions", response=list[VersionOut])
def list_versions(request: HttpRequest) -> list[VersionOut]:
    """Every pack version, newest first."""
    return [_version_out(v) for v in selectors.versions()[:200]]


class ImportIn(Schema):
    yaml: str
    note: str = ""


def _pack_errors(exc: packs.PackInvalid) -> FieldErrors:
    errors: dict[str, list[str]] = {}
    for line in exc.errors:
        path, _, message = line.partition(": ")
        errors.setdefault(path or "yaml", []).append(message or line)
    return FieldErrors(errors)


@router.post("/rules/import", response={201: VersionOut, 200: dict[str, str]})
def import_pack(request: HttpRequest, payload: ImportIn) -> Any:
    """Validate YAML and activate it as a new version; 422 lists every error by path."""
    actor = _editor(request)
    try:
        version = services.pack_import(text=payload.yaml, actor=actor, note=payload.note)
    except packs.PackInvalid as exc:
        raise _pack_errors(exc) from None
    if version is None:
        return Status(200, {"detail": "identical to the active version; nothing changed"})
    return Status(201, _version_out(version))


@router.post("/rules/rollback", response=VersionOut)
def rollback(request: HttpRequest) -> VersionOut:
    """Return to the version before the active one."""
    return _version_out(services.pack_rollback(actor=_editor(request)))


class RuleIn(Schema):
    code: str
    name: str
    description: str = ""
    trigger: str
    subject: str
    condition: dict[str, Any] | None = None
    actions: list[dict[str, Any]] = []
    gate: bool = False
    message: str = ""
    enabled: bool = False


@router.put("/rules/rules/{code}", response=VersionOut)
def save_rule(request: HttpRequest, code: str, payload: RuleIn) -> VersionOut:
    """Add or replace a rule (a new active version); 422 names the rule's bad fields."""
    actor = _editor(request)
    if payload.code != code:
        raise FieldErrors({"code": [f"must match the URL (“{code}”)"]})
    return _version_out(services.pack_rule_save(rule=payload.dict(), actor=actor))


class SimulateIn(Schema):
    rule: str | None = None
    yaml: str | None = None
    start: date
    end: date


class OutcomeOut(Schema):
    code: str
    name: str
    kind: str
    count: int
    by_person: dict[str, int]
    samples: list[dict[str, Any]]


class SimulationOut(Schema):
    outcomes: list[OutcomeOut]
    events_examined: int
    truncated: bool
    truncated_by: str
    replayed_until: datetime | None
    scoped: bool
    message: str


@router.post("/rules/simulate", response=SimulationOut)
def simulate(request: HttpRequest, payload: SimulateIn) -> dict[str, Any]:
    """Replay the period against a rule of the active pack or a draft pack; changes nothing.

    Rule editors only; the replay covers the caller's data scope and stops at the configured
    event and time limits with `truncated: true` and a message saying how far it got.
    """
    viewer = _editor(request)
    if payload.end < payload.start:
        raise FieldErrors({"end": ["must not be before start"]})
    if payload.yaml:
        try:
            pack = packs.parse(payload.yaml)
        except packs.PackInvalid as exc:
            raise _pack_errors(exc) from None
        codes = None
    else:
        _number, pack = selectors.active_pack()
        if not payload.rule or (pack.rule(payload.rule) is None and pack.policy(payload.rule) is None):
            raise NotFound(f"No rule or SLA policy “{payload.rule}” in the active pack.")
        codes = {payload.rule}
    zone = clock.local_zone()
    with simulation.slot():
        result = simulation.simulate(
            pack,
            start=datetime.combine(payload.start, time.min, tzinfo=zone),
            end=datetime.combine(payload.end, time.max, tzinfo=zone),
            rule_codes=codes,
            viewer=viewer,
            limits=simulation.Limits.from_settings(),
        )
    return result.as_dict()
