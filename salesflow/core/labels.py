"""Readable labels for event names; apps add theirs in `AppConfig.ready`."""

from collections.abc import Callable

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_event_labels: dict[str, str | Promise] = {}


def register_event_labels(labels: dict[str, str | Promise]) -> None:
    """Add labels for event names."""
    _event_labels.update(labels)


# Labels of event names made from data (e.g. `workorder.<type>_created` of a pack's type): an app
# registers a function that answers for the names it knows, None for the others.
EventLabeler = Callable[[str], "str | None"]
_event_labelers: list[EventLabeler] = []


def register_event_labeler(labeler: EventLabeler) -> None:
    """Add a function labelling event names that are not fixed (it returns None for others)."""
    if labeler not in _event_labelers:
        _event_labelers.append(labeler)


def event_label(name: str) -> str:
    """The label of an event name, or the name itself."""
    if name in _event_labels:
        return str(_event_labels[name])
    for labeler in _event_labelers:
        found = labeler(name)
        if found:
            return found
    return name


register_event_labels(
    {
        "team.created": _("创建团队"),
        "user.created": _("创建用户"),
        "user.updated": _("修改资料"),
        "user.skills_set": _("设置技能"),
        "user.leave_added": _("登记休假"),
        "user.token_issued": _("签发 API 令牌"),
        "user.token_revoked": _("吊销 API 令牌"),
    }
)


ValueLabeler = Callable[[str], str | None]
_value_labelers: dict[str, list[ValueLabeler]] = {}


def register_value_labeler(key: str, labeler: ValueLabeler) -> None:
    """Let an app name the codes an event payload carries under `key` (e.g. a stage's name).

    Several apps may share a key (an activity's `kind` and an evidence's `kind`); the first
    labeler that knows the value names it."""
    _value_labelers.setdefault(key, []).append(labeler)


def value_label(key: str, value: str) -> str:
    """The readable form of a payload value, or the value itself."""
    return coded_label(key, value) or value


def known_event_names() -> list[tuple[str, str]]:
    """Every event name with a label, for pickers such as the rule builder's trigger."""
    return sorted((name, str(label)) for name, label in _event_labels.items())


# Readable names of payload keys and of model fields that have no verbose name of their own,
# registered by the app whose events or models carry them. A key nobody named is left out of
# a timeline rather than shown raw.
_key_labels: dict[str, str | Promise] = {}


def register_key_labels(labels: dict[str, str | Promise]) -> None:
    """Name payload keys (and unnamed model fields) an app's events carry."""
    _key_labels.update(labels)


def key_label(key: str) -> str | None:
    """The readable name of a payload key, None when no app named it."""
    label = _key_labels.get(key)
    return str(label) if label is not None else None


# Asked when no labeler is registered for a key: the rules app answers from the pack's
# dictionary of the same code (industry_segment, customer_tier, need_point …).
_fallback_labelers: list[Callable[[str, str], str | None]] = []


def register_fallback_labeler(labeler: Callable[[str, str], str | None]) -> None:
    """Let an app name values of any key it knows by code (e.g. the pack's dictionaries)."""
    _fallback_labelers.append(labeler)


def coded_label(key: str, value: str) -> str | None:
    """The label of a coded value under `key`, None when no app knows it."""
    for labeler in _value_labelers.get(key, []):
        if found := labeler(value):
            return found
    for fallback in _fallback_labelers:
        if found := fallback(key, value):
            return found
    return None


register_key_labels(
    {
        "created_at": _("创建时间"),
        "updated_at": _("更新时间"),
        "reason": _("原因"),
        "name": _("名称"),
        "title": _("标题"),
        "due": _("到期"),
        "kind": _("类型"),
        "amount": _("金额"),
        "score": _("评分"),
        "source": _("来源"),
        "private": _("仅自己可见"),
        "at": _("时间"),
        "role": _("角色"),
        "username": _("账号"),
        "starts_on": _("开始日期"),
        "ends_on": _("结束日期"),
    }
)
