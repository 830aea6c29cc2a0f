"""Pages: 今日 cards (to-dos, notifications), the inbox, and 设置 → 通知渠道."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from salesflow.core.errors import DomainError, FieldErrors
from salesflow.core.htmx import htmx_partial
from salesflow.notify import selectors, services
from salesflow.notify.models import Channel
from salesflow.org.models import Team, User


def _me(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def today_section(request: HttpRequest) -> dict[str, Any]:
    """The 今日 cards: open to-dos and the latest notifications."""
    me = _me(request)
    return {
        "template": "notify/partials/today.html",
        "tasks": list(selectors.tasks_for(me).order_by("due_at", "id")[:20]),
        "notifications": list(selectors.notifications_for(me)[:10]),
        "unread": selectors.unread_count(me),
    }


def shell_values(request: HttpRequest) -> dict[str, Any]:
    """The bell's unread count."""
    return {"unread_notifications": selectors.unread_count(_me(request))}


def _toast(response: HttpResponse, text: str) -> HttpResponse:
    response["X-Toast"] = quote(text)
    return response


@login_required
@require_POST
def task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    """Complete a to-do; htmx swaps the row."""
    task = selectors.tasks_visible_to(_me(request)).filter(pk=task_id).first()
    if task is None:
        raise Http404(task_id)
    try:
        task = services.task_complete(task=task, actor=_me(request))
    except DomainError as exc:
        if htmx_partial(request):
            return _toast(HttpResponse(status=409), exc.message)
        messages.error(request, exc.message)
        return redirect("today")
    if htmx_partial(request):
        return _toast(render(request, "notify/partials/task_row.html", {"task": task}), "已完成")
    return redirect("today")


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read."""
    note = selectors.notifications_for(_me(request)).filter(pk=notification_id).first()
    if note is None:
        raise Http404(notification_id)
    services.notification_mark_read(notification=note, actor=_me(request))
    if htmx_partial(request):
        return render(request, "notify/partials/notification_row.html", {"note": note})
    return redirect(request.POST.get("next") or "inbox")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    """Mark everything read."""
    count = services.notifications_mark_all_read(user=_me(request))
    messages.success(request, f"已将 {count} 条通知标为已读")
    return redirect(request.POST.get("next") or "inbox")


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """All notifications, filters in the URL."""
    unread_only = request.GET.get("unread") == "1"
    notes = selectors.notifications_for(_me(request), unread_only=unread_only)[:200]
    return render(request, "notify/inbox.html", {"nav": "today", "notes": notes, "unread_only": unread_only})


@login_required
def channels(request: HttpRequest) -> HttpResponse:
    """设置 → 通知渠道: list, add, test; failed deliveries for the ops admin."""
    me = _me(request)
    errors: dict[str, list[str]] = {}
    form: dict[str, Any] = {"kind": "wecom", "name": "", "target": "", "secret": "", "team": ""}
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in form}
        team = Team.objects.filter(pk=form["team"]).first() if form["team"].isdigit() else None
        try:
            services.channel_create(
                actor=me,
                kind=form["kind"],
                name=form["name"],
                target=form["target"],
                secret=form["secret"],
                team=team,
                user=None if team else me,
            )
        except FieldErrors as exc:
            errors = exc.errors
        except DomainError as exc:
            errors = {"owner": [exc.message]}
        else:
            messages.success(request, f"已添加渠道「{form['name']}」")
            return redirect("channels")
    is_admin = selectors.is_channel_admin(me)
    return render(
        request,
        "notify/channels.html",
        {
            "nav": "settings",
            "channels": selectors.channels_visible_to(me),
            "errors": errors,
            "form": form,
            "kinds": Channel.Kind.choices,
            "is_admin": is_admin,
            "teams": Team.objects.all() if is_admin else [],
            "failed": selectors.failed_deliveries()[:50] if is_admin else [],
        },
        status=422 if errors else 200,
    )


@login_required
@require_POST
def channel_test(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Queue a test message on a channel."""
    channel = selectors.channels_visible_to(_me(request)).filter(pk=channel_id).first()
    if channel is None:
        raise Http404(channel_id)
    services.channel_send_test(channel=channel, actor=_me(request))
    messages.success(request, f"测试消息已排队发送到「{channel.name}」")
    return redirect("channels")
