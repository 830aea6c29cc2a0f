"""Parsing a page's POST body with a Django form: the form shapes the input, the services judge it.

Fields are optional text unless declared otherwise, so a missing key reads as "" as before;
a value that cannot even be parsed (a date, a number) becomes a FieldErrors naming the field,
which the page shows like any other refusal.
"""

from __future__ import annotations

from typing import Any

from django import forms

from salesflow.core.errors import FieldErrors


def text_field(**kwargs: Any) -> forms.CharField:
    """An optional text field kept as typed (the services strip and bound it)."""
    return forms.CharField(required=False, strip=False, **kwargs)


class ListField(forms.Field):
    """Every value of a repeated key (checkboxes, multi-selects), as strings."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> list[str]:
        return [str(v) for v in value or []]


class PostForm(forms.Form):
    """A page's POST body; `parsed()` gives the values or raises FieldErrors."""

    def parsed(self) -> dict[str, Any]:
        """The cleaned values; a value that cannot be parsed is a FieldErrors naming its field."""
        if not self.is_valid():
            raise FieldErrors({name: [str(m) for m in msgs] for name, msgs in self.errors.items()})
        return self.cleaned_data
