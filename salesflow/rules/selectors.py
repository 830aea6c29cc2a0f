"""Reads of the rule engine: the active pack (cached per version), versions, firings, freezes."""

from __future__ import annotations

import difflib
import operator
import re
import threading
import time
from datetime import time as time_of_day
from functools import reduce

from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _l

from salesflow.core import records
from salesflow.org.choices import Role
from salesflow.org.models import User
from salesflow.org.selectors import visible_owner_ids
from salesflow.rules import compare, packs
from salesflow.rules.models import AgendaItem, Freeze, RuleFiring, RulePackVersion
from salesflow.rules.schema import RulePack
from salesflow.timers.calendar import WorkingCalendar

_cache = threading.local()
# How long a process may act on the pack it last read before asking the database again.
# Changes made in this process clear the cache at once; other processes see them within this.
PACK_TTL_SECONDS = 2.0


def forget_active_pack() -> None:
    """Drop this thread's cached pack (called when a version is created or activated)."""
    _cache.entry = None


def active_version() -> RulePackVersion | None:
    """The active version row, if any."""
    return RulePackVersion.objects.filter(is_active=True).first()


def active_pack() -> tuple[int, RulePack]:
    """The active pack and its version number; parsed once per version per thread.

    Every event consults the pack, so it is re-read at most every `PACK_TTL_SECONDS`.
    Falls back to the shipped default pack (version 0) when nothing was ever imported.
    """
    entry = getattr(_cache, "entry", None)
    if entry is not None and time.monotonic() - entry[0] < PACK_TTL_SECONDS:
        return entry[1], entry[2]
    row = RulePackVersion.objects.filter(is_active=True).values_list("number", "document").first()
    number, pack = (0, _cached(0, None)) if row is None else (row[0], _cached(row[0], row[1]))
    _cache.entry = (time.monotonic(), number, pack)
    return number, pack


def _cached(number: int, document: dict | None) -> RulePack:
    cached = getattr(_cache, "pack", None)
    if cached is not None and cached[0] == number and (number != 0):
        return cached[1]
    pack = packs.validate(document) if document is not None else packs.load_default()
    _cache.pack = (number, pack)
    return pack


def calendar_for(pack: RulePack) -> WorkingCalendar:
    """The company working calendar with `pack`'s working hours: the one calendar every
    working-time duration (SLA steps, simulation, task due dates, `timers` CLI) is added on."""
    return WorkingCalendar(
        work_start=time_of_day.fromisoformat(pack.working_hours.start),
        work_end=time_of_day.fromisoformat(pack.working_hours.end),
    )


def company_calendar() -> WorkingCalendar:
    """`calendar_for` the active pack."""
    return calendar_for(active_pack()[1])


def versions() -> models.QuerySet[RulePackVersion]:
    """Every version, newest first."""
    return RulePackVersion.objects.select_related("created_by").order_by("-number")


def version_diff(older: RulePackVersion | None, newer: RulePackVersion) -> str:
    """A unified diff of two versions' YAML."""
    before = packs.to_yaml(older.document).splitlines() if older else []
    after = packs.to_yaml(newer.document).splitlines()
    return "\n".join(
        difflib.unified_diff(
            before,
            after,
            fromfile=f"v{older.number}" if older else "(none)",
            tofile=f"v{newer.number}",
            lineterm="",
        )
    )


def version_changes(older: RulePackVersion | None, newer: RulePackVersion) -> list[compare.Change] | None:
    """What `newer` changed against `older` in business language; None for the first version."""
    if older is None:
        return None
    return compare.compare(older.document, newer.document)


def versions_with_changes(limit: int = 100) -> list[tuple[RulePackVersion, list[compare.Change] | None]]:
    """The newest versions, each with its changes against the version before it."""
    rows = list(versions()[: limit + 1])
    return [
        (v, version_changes(rows[i + 1] if i + 1 < len(rows) else None, v))
        for i, v in enumerate(rows[:limit])
    ]


def may_review_firings(user: User) -> bool:
    """Company-wide roles, managers and directors review firings: each names a record and whom it told."""
    return visible_owner_ids(user) is None or user.role in (Role.MANAGER, Role.DIRECTOR)


def firings_visible_to(user: User, *, rule_code: str | None = None, limit: int = 50) -> list[RuleFiring]:
    """The latest rule and step firings `user` may review: all, those in their scope, or none."""
    if not may_review_firings(user):
        return []
    qs = RuleFiring.objects.all()
    if visible_owner_ids(user) is not None:
        qs = qs.filter(
            reduce(
                operator.or_,
                [
                    Q(subject_type=t.model._meta.label_lower, subject_id__in=t.visible_to(user).values("pk"))
                    for t in records.registered_types()
                ],
                Q(pk__in=[]),
            )
        )
    if rule_code:
        qs = qs.filter(rule_code=rule_code)
    return list(qs[:limit])


def _active_freezes(model: type[models.Model], scope: str) -> models.QuerySet[Freeze]:
    return Freeze.objects.filter(subject_type=model._meta.label_lower, scope=scope, lifted_at__isnull=True)


def is_frozen(record: models.Model, scope: str) -> Freeze | None:
    """The active freeze of `scope` on `record`, if any (quoting checks this)."""
    return _active_freezes(type(record), scope).filter(subject_id=record.pk).first()


def frozen_ids(model: type[models.Model], ids: set[int], scope: str) -> set[int]:
    """Which of the `model` records `ids` have an active freeze of `scope` (one query, a list)."""
    if not ids:
        return set()
    return set(_active_freezes(model, scope).filter(subject_id__in=ids).values_list("subject_id", flat=True))


def open_agenda(meeting: str) -> models.QuerySet[AgendaItem]:
    """Unresolved items of a meeting's agenda."""
    return AgendaItem.objects.filter(meeting=meeting, resolved_at__isnull=True)


def dictionary_label(dictionary: str, code: str) -> str | None:
    """The active pack's label of `code` in the dictionary `dictionary` (None when not in it)."""
    found = active_pack()[1].dictionary(dictionary)
    return next((c.label for c in found.choices if c.code == code), None) if found else None


def dictionary_name(code: str) -> str | None:
    """The name of one of the active pack's dictionaries (客户分级 for customer_class)."""
    found = active_pack()[1].dictionary(code)
    return found.name if found else None


def rule_reference_label(reference: str) -> str | None:
    """A rule or SLA step reference (`sla:lead_follow_up/48 小时无跟进`, `rule:x`) by its names."""
    pack = active_pack()[1]
    kind, _sep, rest = reference.partition(":")
    if kind == "sla":
        code, _sep, step = rest.partition("/")
        policy = pack.policy(code)
        return f"{policy.name} · {step}" if policy and step else (policy.name if policy else None)
    rule = pack.rule(rest if kind == "rule" else reference)
    return rule.name if rule else None


def policy_name(code: str) -> str | None:
    """An SLA policy's name in the active pack."""
    policy = active_pack()[1].policy(code)
    return policy.name if policy else None


# What a firing's notes say (written in English for the audit), as people read them. Each
# pattern's names are usernames or codes, named again when the row is shown.
_NOTE_PATTERNS: list[tuple[re.Pattern[str], str | Promise]] = [
    (re.compile(r"^notified (?P<people>.+)$"), _l("通知 {people}")),
    (re.compile(r"^escalated to (?P<people>.+)$"), _l("升级至 {people}")),
    (re.compile(r"^task for (?P<people>.+)$"), _l("待办派给 {people}")),
    (re.compile(r"^assigned to (?P<people>.+)$"), _l("分配给 {people}")),
    (re.compile(r"^task not created: nobody to assign$"), _l("未建待办：无人可派")),
    (re.compile(r"^not assigned: nobody is (?P<people>.+)$"), _l("未分配：没有可分配的 {people}")),
    (re.compile(r"^sent to the pool$"), _l("进入线索池")),
    (re.compile(r"^released to the pool$"), _l("退回客户池")),
    (re.compile(r"^already in the pool$"), _l("已在客户池")),
    (re.compile(r"^froze (?P<scope>\w+)$"), _l("冻结{scope}")),
    (re.compile(r"^unfroze (?P<scope>\w+)$"), _l("解除冻结{scope}")),
    (re.compile(r"^started (?P<policy>\w+)$"), _l("开始计时「{policy}」")),
    (re.compile(r"^stopped all timers$"), _l("停止全部计时")),
    (re.compile(r"^stopped (?P<policy>\w+)$"), _l("停止计时「{policy}」")),
    (
        re.compile(r"^(?P<verb>proposed|set) (?P<dictionary>\w+)=(?P<value>.+)$"),
        "{verb}{dictionary}：{value}",
    ),
    (re.compile(r"^on the (?P<meeting>.+) agenda$"), _l("列入{meeting}议程")),
    (re.compile(r"^policy or step no longer in the pack$"), _l("时限或步骤已不在规则包中")),
]
_OUTCOMES = {"acted": _l("已执行"), "skipped": _l("条件不符，未执行"), "refused": _l("已拒绝")}


def _note_text(note: str, names: dict[str, str]) -> str:
    from salesflow.core.labels import coded_label

    for pattern, template in _NOTE_PATTERNS:
        match = pattern.match(note)
        if match is None:
            continue
        parts = match.groupdict()
        if "people" in parts:
            people = [p.strip() for p in parts["people"].split(",")]
            parts["people"] = "、".join(
                str(_l("无人")) if p == "nobody" else names.get(p) or coded_label("recipient", p) or p
                for p in people
            )
        if "scope" in parts:
            parts["scope"] = coded_label("scope", parts["scope"]) or parts["scope"]
        if "policy" in parts:
            parts["policy"] = policy_name(parts["policy"]) or parts["policy"]
        if "dictionary" in parts:
            dictionary = parts["dictionary"]
            parts["value"] = dictionary_label(dictionary, parts["value"]) or parts["value"]
            parts["dictionary"] = dictionary_name(dictionary) or dictionary
            parts["verb"] = str(_l("建议设为") if parts["verb"] == "proposed" else _l("设为"))
        return str(template).format(**parts)
    return note


def firing_rows(firings: list[RuleFiring]) -> list[dict[str, object]]:
    """Firings as the rules page shows them: “客户 方秀云 · 通知 李倩”, never `app.model:id` or usernames.

    One query per record type and one for the people the notes name.
    """
    wanted: dict[str, set[int]] = {}
    for firing in firings:
        wanted.setdefault(firing.subject_type, set()).add(firing.subject_id)
    subjects: dict[tuple[str, int], tuple[str, str]] = {}
    for label_lower, ids in wanted.items():
        rtype = records.type_for_label(label_lower)
        if rtype is None:
            continue
        for pk, obj in rtype.model._default_manager.in_bulk(list(ids)).items():
            subjects[(label_lower, pk)] = (str(rtype.label), str(obj))
    usernames = {
        person.strip()
        for firing in firings
        for note in firing.detail.get("notes", [])
        for pattern in _NOTE_PATTERNS[:6]
        if (match := pattern[0].match(note)) and "people" in match.groupdict()
        for person in match.group("people").split(",")
    }
    names = {u.username: u.display_name or u.username for u in User.objects.filter(username__in=usernames)}
    rows = []
    for firing in firings:
        kind, name = subjects.get((firing.subject_type, firing.subject_id), ("", ""))
        rows.append(
            {
                "firing": firing,
                "rule": rule_reference_label(firing.rule_code) or firing.rule_code,
                "outcome": str(_OUTCOMES.get(firing.outcome, firing.outcome)),
                "record": f"{kind} {name}".strip() or str(_l("已删除的记录")),
                "url": records.url_for(firing.subject_type, firing.subject_id),
                "notes": [_note_text(note, names) for note in firing.detail.get("notes", [])],
            }
        )
    return rows
