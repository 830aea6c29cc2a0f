"""How the review names the record behind an agenda item: other apps register their record types.

An agenda item points at any record (`subject_type` is the model label, e.g. `pipeline.opportunity`).
The page needs its name, its page, the team responsible and the group it is reviewed under
(a work order's type, say). An app registers what it knows (call from its `AppConfig.ready`):

    registry.register("workorders.workorder", name=lambda w: w.title, group=lambda w: w.type_label,
                      team=lambda w: w.team, select_related=("team",))

Anything not registered still shows: its name is `str(record)`, its page and type label come from
`core.records`, its team is its owner's team, and its group is its type's label. A record type no
app knows (its app removed) shows as “记录 #id”.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Describe = Callable[[Any], str]
TeamOf = Callable[[Any], Any]


@dataclass(frozen=True)
class SubjectKind:
    """What the review knows about one record type (by model label)."""

    subject_type: str
    # The record's name on the agenda (e.g. a customer's name, a quote's number and customer).
    name: Describe | None = None
    # The group it is reviewed under; default: the record type's label (线索, 客户 …).
    group: Describe | None = None
    # The team responsible (a `org.Team` or None); default: the owner's team.
    team: TeamOf | None = None
    # Relations to load with the records (one query per type on the page).
    select_related: tuple[str, ...] = ()


_kinds: dict[str, SubjectKind] = {}


def register(
    subject_type: str,
    *,
    name: Describe | None = None,
    group: Describe | None = None,
    team: TeamOf | None = None,
    select_related: tuple[str, ...] = (),
) -> None:
    """Tell the review how to show records of `subject_type` (a model label such as `quotes.quote`)."""
    _kinds[subject_type] = SubjectKind(subject_type, name, group, team, tuple(select_related))


def unregister(subject_type: str) -> None:
    """Forget `subject_type` (tests that registered a type of their own)."""
    _kinds.pop(subject_type, None)


def get(subject_type: str) -> SubjectKind:
    """What is registered for `subject_type`, or the defaults."""
    return _kinds.get(subject_type) or SubjectKind(subject_type)
