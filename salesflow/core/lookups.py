"""One way to fetch the record a request names: from a permission-scoped queryset, or a 404."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

from salesflow.core.errors import FieldErrors, NotFound

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


# Longest search text a list accepts (a longer one is a field error, not a slow query).
SEARCH_MAX = 100


def owned_by(queryset: models.QuerySet[M], owner: str, user: Any) -> models.QuerySet[M]:
    """`queryset` narrowed by a list's `owner` filter: "me" (the caller; none for the CLI) or a user id."""
    owner = owner.strip()
    if owner == "me":
        return queryset.filter(owner=user) if user is not None else queryset
    if not owner:
        return queryset
    if not owner.isdigit():
        raise FieldErrors({"owner": ["应为 me 或用户 id / use me or a user id"]}, location="query")
    return queryset.filter(owner_id=int(owner))


def search_term(text: str) -> str:
    """A list's `q` filter, stripped; longer than SEARCH_MAX characters is a field error."""
    text = text.strip()
    if len(text) > SEARCH_MAX:
        raise FieldErrors(
            {"q": [f"最多 {SEARCH_MAX} 个字符 / At most {SEARCH_MAX} characters."]}, location="query"
        )
    return text


class InSubqueryArray(models.Lookup):
    """`InSubqueryArray(F("pk"), <one-column queryset>)`: the same rows as `pk__in=`, written so
    that PostgreSQL can OR it with indexed conditions.

    `x IN (SELECT …)` inside an OR becomes a hashed subplan, which no index can serve, so a
    permission scope such as "own, pooled, or one I hold a task about" read every row of the
    table. `x = ANY(ARRAY(SELECT …))` is evaluated once (an InitPlan) and is then an indexable
    array comparison: the scope becomes a BitmapOr of index scans. Elsewhere a plain IN.
    """

    lookup_name = "in_subquery_array"

    def _sides(self, compiler: Any, connection: Any) -> tuple[str, str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return lhs, rhs if rhs.startswith("(") else f"({rhs})", [*lhs_params, *rhs_params]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} IN {rhs}", params

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", params


class InArray(models.Lookup):
    """`InArray(F("customer_id"), ids)`: the rows of `customer_id__in=ids`, for batches of
    thousands of ids.

    On PostgreSQL the ids go as one array parameter, `customer_id = ANY(%s)`: as thousands of
    placeholders, Django preparing each value and psycopg splitting the statement and quoting
    each one (client-side binding) cost ~9 ms a query of 2,000 ids, as much as the query
    itself (the nightly customer pass, issue #15). Elsewhere the plain IN of `__in`.
    """

    lookup_name = "in_array"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        sql, params = models.lookups.In(self.lhs, self.rhs).as_sql(compiler, connection)
        return sql, list(params)

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]
