"""The authentication backend: Django's password check, through the shared login throttle."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from salesflow.core.errors import AuthenticationFailed, Throttled
from salesflow.core.security import client_address
from salesflow.org import services
from salesflow.org.models import User


class LoginThrottleBackend(ModelBackend):
    """`authenticate()` for the login page, the admin login and anything else that calls it.

    The check itself is `services.login_check`, the same one the token endpoint uses, so a
    name locked out on one way in is locked out on all of them. A throttled attempt is noted
    on the request (`login_throttled`) for the form to say so instead of "wrong password".
    Permissions still come from ModelBackend.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        client = client_address(request) if request is not None else "local"
        try:
            return services.login_check(username=username, password=password, client=client)
        except Throttled as exc:
            if request is not None:
                request.login_throttled = exc  # type: ignore[attr-defined]
            return None
        except AuthenticationFailed:
            return None
