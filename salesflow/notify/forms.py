"""The notify pages' POST bodies."""

from __future__ import annotations

from salesflow.core.forms import ListField, PostForm, text_field


class TaskDoneForm(PostForm):
    """完成待办: what was done (required for a rule's to-do about a record; the service says so)."""

    note = text_field()


class NotificationReadForm(PostForm):
    """已读 on a grouped row: the other notifications of the group (`also`) are read with it."""

    also = ListField()

    def ids(self) -> list[int]:
        """The grouped notifications' ids (non-numbers dropped)."""
        return [int(v) for v in self.parsed()["also"] if v.isdigit() and len(v) < 19]
