"""Readable labels for event names; apps add theirs in `AppConfig.ready`."""

from collections.abc import Callable

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_event_labels: dict[str, str | Promise] = {}


def register_event_labels(labels: dict[str, str | Promise]) -> None:
    """Add labels for event names."""
    _event_labels.update(labels)


def event_label(name: str) -> str:
    """The label of an event name, or the name itself."""
    return str(_event_labels.get(name, name))


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
_value_labelers: dict[str, ValueLabeler] = {}


def register_value_labeler(key: str, labeler: ValueLabeler) -> None:
    """Let an app name the codes an event payload carries under `key` (e.g. a stage's name)."""
    _value_labelers[key] = labeler


def value_label(key: str, value: str) -> str:
    """The readable form of a payload value, or the value itself."""
    labeler = _value_labelers.get(key)
    return (labeler(value) if labeler else None) or value


def known_event_names() -> list[tuple[str, str]]:
    """Every event name with a label, for pickers such as the rule builder's trigger."""
    return sorted((name, str(label)) for name, label in _event_labels.items())
