"""Forms of the organisation pages: the login forms that say when the throttle refused."""

from __future__ import annotations

import math
from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import Throttled

THROTTLED_MESSAGE = _("登录失败次数过多，请 %(minutes)s 分钟后再试。")


class _SaysWhenThrottled:
    """Answer a throttled attempt with the wait, not with "wrong username or password"."""

    request: Any
    error_messages: dict[str, Any]

    def get_invalid_login_error(self) -> ValidationError:
        throttled = getattr(self.request, "login_throttled", None)
        if isinstance(throttled, Throttled):
            return ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": math.ceil(throttled.retry_after / 60)},
            )
        return super().get_invalid_login_error()  # type: ignore[misc]


class LoginForm(_SaysWhenThrottled, AuthenticationForm):
    """The /login/ form."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("用户名或密码错误，请重试。"),
        "throttled": THROTTLED_MESSAGE,
    }


class AdminLoginForm(_SaysWhenThrottled, AdminAuthenticationForm):
    """The /admin/login/ form."""

    error_messages = {**AdminAuthenticationForm.error_messages, "throttled": THROTTLED_MESSAGE}
