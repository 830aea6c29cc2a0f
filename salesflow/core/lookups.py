"""One way to fetch the record a request names: from a permission-scoped queryset, or a 404."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

from salesflow.core.errors import NotFound

M = TypeVar("M", bound=models.Model)


def visible_or_404(queryset: models.QuerySet[M], value: Any, *, field: str = "pk", message: str = "") -> M:
    """The row of `queryset` (already scoped to the caller) whose `field` is `value`, else NotFound.

    NotFound is a 404 everywhere: the API answers its JSON error, a page the error page (the
    DomainError middleware). Invisible and missing are not told apart. The default message is
    "No <model> <value>." with `id` (or the field's name) in the error's context.
    """
    found = queryset.filter(**{field: value}).first()
    if found is None:
        model = queryset.model._meta.model_name
        raise NotFound(message or f"No {model} {value}.", **{"id" if field == "pk" else field: value})
    return found
