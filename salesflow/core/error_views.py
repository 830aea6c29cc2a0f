"""Error pages: 403, 404, CSRF failure and 500 inside the product's look, JSON under /api/.

403 and 404 render inside the base layout (a signed-in user keeps the navigation) and
say the reason the server knows. The 500 page renders a standalone template without
context processors: when the database is what failed, asking it for the user or the
unread count would fail again.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

_CJK = re.compile(r"[\u3400-\u9fff]")


def localized_reason(message: object) -> str:
    """The user-facing part of an error message in the active language, or "".

    Messages meant for people are written in Chinese (the source language), some as
    "中文 / English" pairs; anything else ("Not visible", a record id, Django's resolver
    details) is for the log, not the page.
    """
    if isinstance(message, Promise):  # a gettext_lazy reason
        message = str(message)
    if not isinstance(message, str) or not _CJK.search(message):
        return ""
    chinese, separator, english = message.partition(" / ")
    if separator and translation.get_language() == "en" and english.strip():
        return english.strip()
    return gettext(chinese.strip())


def _first_arg(exception: Exception | None) -> object:
    return exception.args[0] if exception is not None and exception.args else ""


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def render_error(
    request: HttpRequest, *, status: int, title: str, reason: str, default_reason: str
) -> HttpResponse:
    """The layout's error page (or the API's JSON shape) for a refused request."""
    if _is_api(request):
        return JsonResponse(
            {"detail": reason or default_reason}, status=status, json_dumps_params={"ensure_ascii": False}
        )
    context = {
        "status": status,
        "title": title,
        "message": reason or default_reason,
        "back_url": _safe_referer(request),
    }
    return render(request, "core/error.html", context, status=status)


def _safe_referer(request: HttpRequest) -> str:
    """The page the user came from when it is on this site (for 返回), else ""."""
    from django.utils.http import url_has_allowed_host_and_scheme

    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return ""


# Status → (title, what to say when the server knows no better reason).
TITLES = {
    403: (_("没有权限"), _("你没有权限查看此页面或执行此操作。")),
    404: (_("找不到页面"), _("页面或记录不存在，或你无权查看。")),
}


def render_refusal(request: HttpRequest, *, status: int, message: object) -> HttpResponse:
    """The 403 or 404 page: its title, and `message` where it is meant for people."""
    title, default_reason = TITLES[status]
    return render_error(
        request,
        status=status,
        title=str(title),
        reason=localized_reason(message),
        default_reason=str(default_reason),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403: the reason (e.g. "只有运营管理员可以管理网站表单") and a way back."""
    return render_refusal(request, status=403, message=_first_arg(exception))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: the page or record does not exist or is not visible to this user."""
    return render_refusal(request, status=404, message=_first_arg(exception))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """403 for a form whose security token expired (a tab left open over a login)."""
    return render_error(
        request,
        status=403,
        title=str(_("页面已过期")),
        reason="",
        default_reason=str(_("表单已过期（可能已重新登录）。请刷新页面后再提交一次。")),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """500 from a standalone template: no database, no user, no context processors."""
    if _is_api(request):
        return JsonResponse(
            {"detail": gettext("服务器内部错误，请稍后重试。")},
            status=500,
            json_dumps_params={"ensure_ascii": False},
        )
    html = loader.get_template("500.html").render({"language_code": translation.get_language() or "zh-hans"})
    return HttpResponse(html, status=500)
