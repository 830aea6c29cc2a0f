"""Which records may be approved: each subject kind registers itself here (AppConfig.ready).

The approvals app knows nothing about quotes, work orders or payment terms: an app above it
registers a kind (e.g. "quote") with its model, how to describe a subject to the approvers,
and a hook called inside the deciding transaction when a request ends.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models

from salesflow.core.errors import FieldErrors

if TYPE_CHECKING:
    from salesflow.approvals.models import ApprovalRequest

# describe(subject), or describe(subject, viewer) to leave out what the viewer may not see
# (e.g. a margin the pack's field permissions hide from a manager).
Describe = Callable[..., list[tuple[str, str]]]
OnDecided = Callable[["ApprovalRequest"], None]
DetailUrl = Callable[[Any], str]


@dataclass(frozen=True)
class SubjectKind:
    """A registered kind of subject: its model, label and hooks."""

    kind: str
    model: type[models.Model]
    label: str
    # The labelled facts approvers see (客户, 标价, 申请折扣, 预计毛利率, 风险说明 …).
    describe: Describe

    def facts_for(self, subject: Any, viewer: Any) -> list[tuple[str, str]]:
        """The labelled facts of `subject` as `viewer` may see them."""
        if _takes_viewer(self.describe):
            return self.describe(subject, viewer)
        return self.describe(subject)

    # Called inside the deciding transaction when the request ends (approved, rejected,
    # returned or withdrawn), so the subject can change its own state.
    on_decided: OnDecided | None = None
    # The subject's page; None when it has none.
    detail_url: DetailUrl | None = None


def _takes_viewer(fn: Describe) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


_kinds: dict[str, SubjectKind] = {}


def register(
    kind: str,
    *,
    model: type[models.Model],
    label: str,
    describe: Describe,
    on_decided: OnDecided | None = None,
    detail_url: DetailUrl | None = None,
) -> None:
    """Let records of `model` be approved as `kind` (call from the subject app's AppConfig.ready)."""
    _kinds[kind] = SubjectKind(kind, model, label, describe, on_decided, detail_url)


def unregister(kind: str) -> None:
    """Forget `kind` (tests that registered a kind of their own)."""
    _kinds.pop(kind, None)


@contextmanager
def registered(kind: str, **options: Any) -> Iterator[SubjectKind]:
    """`kind` registered for the duration of a `with` block (tests)."""
    register(kind, **options)
    try:
        yield _kinds[kind]
    finally:
        unregister(kind)


def get(kind: str) -> SubjectKind | None:
    """The registered kind called `kind`, if any."""
    return _kinds.get(kind)


def require(kind: str, *, field: str = "kind") -> SubjectKind:
    """The registered kind called `kind`, or a field error naming `field`."""
    found = _kinds.get(kind)
    if found is None:
        raise FieldErrors({field: [f"“{kind}” 不是可审批的记录类型 / not an approvable kind."]})
    return found


def kinds() -> list[SubjectKind]:
    """Every registered kind."""
    return list(_kinds.values())
