"""Domain errors: raised by services with a message a user can act on, mapped at the edges."""

from typing import Any


class DomainError(Exception):
    """A business rule refused an action; the message is shown to the user as is."""

    status_code = 400

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context


class NotFound(DomainError):
    """The record does not exist or is not visible to the caller (the two are not told apart)."""

    status_code = 404


class PermissionDenied(DomainError):
    """The caller may see the record but not do this to it."""

    status_code = 403


class Conflict(DomainError):
    """The action collides with the current state, e.g. somebody else claimed the record first."""

    status_code = 409


class AuthenticationFailed(DomainError):
    """Credentials were missing, wrong or expired."""

    status_code = 401


class Throttled(DomainError):
    """Too many attempts; `retry_after` seconds until the next one is accepted."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int, **context: Any) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after


class FieldErrors(DomainError):
    """Input failed validation; `errors` maps each field name to its messages."""

    status_code = 422

    def __init__(self, errors: dict[str, list[str]], *, location: str = "body") -> None:
        summary = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        super().__init__(summary)
        self.errors = errors
        self.location = location


def user_message(exc: DomainError) -> str:
    """What a page shows for a refused action: every field's messages, or the error's own."""
    if isinstance(exc, FieldErrors):
        return "；".join(m for msgs in exc.errors.values() for m in msgs)
    return exc.message
