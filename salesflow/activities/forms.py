"""The 记录跟进 form (on a lead's and a customer's page): kind, duration in minutes, note."""

from __future__ import annotations

from django import forms

from salesflow.core.forms import PostForm, text_field

MINUTES = "时长应为分钟数 / Duration must be minutes."


class ActivityForm(PostForm):
    """One logged interaction as the pages send it; the duration arrives in minutes."""

    kind = text_field()
    # The bound only keeps the conversion to seconds finite; the service enforces the real limit.
    duration_minutes = forms.FloatField(
        required=False, max_value=1e6, error_messages={"invalid": MINUTES, "max_value": MINUTES}
    )
    note = text_field()

    @staticmethod
    def seconds(minutes: float | None) -> int:
        """The parsed minutes as whole seconds."""
        return round((minutes or 0) * 60)
