"""The notify pages' POST bodies."""

from __future__ import annotations

from salesflow.core.forms import PostForm, text_field


class TaskDoneForm(PostForm):
    """完成待办: what was done (required for a rule's to-do about a record; the service says so)."""

    note = text_field()
