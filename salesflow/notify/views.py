"""Pages: 今日 cards (to-dos, notifications), the inbox, and 设置 → 通知渠道 (with the allow-list)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesflow.core.errors import Conflict, DomainError, FieldErrors, PermissionDenied, user_message
from salesflow.core.htmx import htmx_partial
from salesflow.core.lookups import visible_or_404
from salesflow.core.pagination import keyset_page
from salesflow.notify import egress, selectors, services
from salesflow.notify.choices import notification_kinds
from salesflow.notify.forms import NotificationReadForm, TaskDoneForm
from salesflow.notify.models import Channel, Delivery
from salesflow.org.choices import Role
from salesflow.org.models import Team, User
from salesflow.org.selectors import current_user

INBOX_PAGE = 30


def _unread(request: HttpRequest) -> int:
    # The bell and the 今日 card both show it; count once per request.
    cached = getattr(request, "_salesflow_unread", None)
    if cached is None:
        cached = selectors.unread_count(current_user(request))
        request._salesflow_unread = cached  # type: ignore[attr-defined]
    return int(cached)


def _reps_for(me: User, items: list[selectors.InboxItem]) -> list[User]:
    # The 改派 choice lists what the lead page lists; only read when a row offers 改派.
    if not any(i.reassign_lead for row in items for i in (row, *row.more)):
        return []
    return list(User.objects.filter(role=Role.REP, is_active=True).select_related("team").order_by("id"))


def today_section(request: HttpRequest) -> dict[str, Any]:
    """The 今日 cards: open to-dos (soonest due first) and the latest notifications, grouped."""
    me = current_user(request)
    tasks = selectors.inbox_items(me, tasks=selectors.open_tasks_for_inbox(me, limit=20))
    notes = selectors.inbox_items(
        me, notes=list(selectors.notifications_for(me, without_tasks=True).order_by("-id")[:10])
    )
    return {
        "template": "notify/partials/today.html",
        "tasks": tasks,
        "notifications": notes,
        "reps": _reps_for(me, tasks),
        "unread": _unread(request),
    }


def shell_values(request: HttpRequest) -> dict[str, Any]:
    """The bell's unread count."""
    return {"unread_notifications": _unread(request)}


def _toast(response: HttpResponse, text: str) -> HttpResponse:
    response["X-Toast"] = quote(text)
    return response


def _next_or(request: HttpRequest, fallback: str) -> str:
    """The `next` field when it points inside this site, else `fallback` (no open redirect)."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(fallback)


@login_required
@require_POST
def task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    """Complete a to-do with what was done; htmx swaps the row, a plain POST goes back to `next`."""
    me = current_user(request)
    task = visible_or_404(selectors.tasks_visible_to(me), task_id)
    try:
        data = TaskDoneForm(request.POST).parsed()
        task = services.task_complete(task=task, actor=me, note=data["note"])
    except DomainError as exc:
        if htmx_partial(request):
            return _toast(HttpResponse(status=exc.status_code), user_message(exc))
        messages.error(request, user_message(exc))
        return redirect(_next_or(request, "today"))
    done = _("待办已完成：%(title)s") % {"title": task.title}
    if htmx_partial(request):
        [row] = selectors.inbox_items(me, tasks=[task])
        return _toast(render(request, "notify/partials/task_row.html", {"item": row}), done)
    messages.success(request, done)
    return redirect(_next_or(request, "today"))


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read (and the rest of its group, `also`); htmx swaps the row."""
    me = current_user(request)
    note = visible_or_404(selectors.notifications_for(me), notification_id)
    services.notification_mark_read(notification=note, actor=me)
    also = NotificationReadForm(request.POST).ids()
    if also:
        services.notifications_mark_read_many(user=me, ids=also)
    if htmx_partial(request):
        group = [
            note,
            *selectors.notifications_for(me).filter(pk__in=also).exclude(pk=note.pk).order_by("-id"),
        ]
        # `also` is whatever was posted: the clicked notification's row is the one swapped in.
        row = selectors.inbox_items(me, notes=group)[0]
        return render(request, "notify/partials/notification_row.html", {"item": row})
    return redirect(_next_or(request, "inbox"))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    """Mark everything read."""
    count = services.notifications_mark_all_read(user=current_user(request))
    messages.success(request, _("已将 %(count)d 条通知标为已读") % {"count": count})
    return redirect(_next_or(request, "inbox"))


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Open to-dos on top, then notifications newest first, each grouped by record and rule.

    A to-do's own announcement is not listed again (one escalation, one item). Filters
    (未读, 类型) and the page cursor live in the URL and apply to the notifications.
    """
    me = current_user(request)
    unread_only = request.GET.get("unread") == "1"
    kind = request.GET.get("kind") or None
    try:
        notes, next_cursor = keyset_page(
            selectors.notifications_for(me, unread_only=unread_only, kind=kind, without_tasks=True),
            cursor=request.GET.get("cursor") or None,
            limit=INBOX_PAGE,
            newest_first=True,
        )
    except FieldErrors as exc:
        raise Http404(exc.message) from exc
    filters = {k: v for k, v in (("unread", "1" if unread_only else ""), ("kind", kind or "")) if v}
    first_page = not request.GET.get("cursor")
    tasks = selectors.inbox_items(me, tasks=selectors.open_tasks_for_inbox(me)) if first_page else []
    return render(
        request,
        "notify/inbox.html",
        {
            "nav": "today",
            "tasks": tasks,
            "reps": _reps_for(me, tasks),
            "notes": selectors.inbox_items(me, notes=notes),
            "unread_only": unread_only,
            "kind": kind or "",
            "kinds": notification_kinds(extra=[kind] if kind else None),
            "filters": urlencode(filters),
            "next_url": f"?{urlencode({**filters, 'cursor': next_cursor})}" if next_cursor else "",
            "unread": _unread(request),
        },
    )


def _posted_channel(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    return {
        "kind": post.get("kind", "").strip(),
        "name": post.get("name", "").strip(),
        "target": post.get("target", "").strip(),
        "secret": post.get("secret", "").strip(),
        "clear_secret": post.get("clear_secret") == "1",
        "team": post.get("team", "").strip(),
        "kinds": [k for k in post.getlist("kinds") if k],
        "enabled": post.get("enabled") == "1",
    }


def _form_context(me: User, form: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    is_admin = selectors.is_channel_admin(me)
    return {
        "form": form,
        "errors": errors,
        # Field errors show under their input; the rest (owner, kinds …) on top of the form.
        "general_errors": {k: v for k, v in errors.items() if k not in ("kind", "name", "target", "secret")},
        "channel_kinds": Channel.Kind.choices,
        "notification_kinds": notification_kinds(extra=form.get("kinds")),
        "is_admin": is_admin,
        "teams": list(Team.objects.all()) if is_admin else [],
    }


@login_required
def channels(request: HttpRequest) -> HttpResponse:
    """设置 → 通知渠道: the list, the add form, and for the ops admin the failing deliveries."""
    me = current_user(request)
    errors: dict[str, list[str]] = {}
    form = _blank_channel_form()
    if request.method == "POST":
        form = _posted_channel(request)
        team = Team.objects.filter(pk=form["team"]).first() if form["team"].isdigit() else None
        if form["team"] and team is None:
            errors = {"owner": [_("所选团队不存在")]}
        else:
            try:
                channel = services.channel_create(
                    actor=me,
                    kind=form["kind"],
                    name=form["name"],
                    target=form["target"],
                    secret=form["secret"],
                    kinds=form["kinds"],
                    team=team,
                    user=None if team else me,
                    enabled=form["enabled"],
                )
            except FieldErrors as exc:
                errors = exc.errors
            except DomainError as exc:
                errors = {"owner": [exc.message]}
            else:
                messages.success(request, _("已添加渠道「%(name)s」") % {"name": channel.name})
                return redirect("channels")
    return _channels_page(request, me, form=form, errors=errors)


def _channels_page(
    request: HttpRequest,
    me: User,
    *,
    form: dict[str, Any],
    errors: dict[str, list[str]],
    allowance_form: dict[str, str] | None = None,
    allowance_errors: dict[str, list[str]] | None = None,
    status: int | None = None,
) -> HttpResponse:
    """The 通知渠道 page with the channel form (and, for the ops admin, the allow-list form)."""
    rows = list(selectors.with_last_delivery(selectors.channels_visible_to(me)))
    for row in rows:
        row.manageable = selectors.may_manage_channel(me, owner_user_id=row.user_id)  # type: ignore[attr-defined]
        row.shown_target = row.target if row.manageable else selectors.masked_target(row)  # type: ignore[attr-defined]
    is_admin = selectors.is_channel_admin(me)
    troubled = (
        list(
            Delivery.objects.filter(
                Q(status=Delivery.Status.FAILED) | Q(status=Delivery.Status.PENDING, attempts__gt=0)
            )
            .select_related("channel")
            .order_by("-id")[:50]
        )
        if is_admin
        else []
    )
    return render(
        request,
        "notify/channels.html",
        {
            "nav": "settings",
            "channels": rows,
            "troubled": troubled,
            # The deployment's entries are read-only here: the server's configuration owns them.
            "deployment_targets": egress.deployment_entries() if is_admin else [],
            "allowances": list(selectors.allowances_visible_to(me)),
            "allowance_form": allowance_form or {"entry": "", "note": ""},
            "allowance_errors": allowance_errors or {},
            **_form_context(me, form, errors),
        },
        status=status or (422 if errors else 200),
    )


def _ops_admin(request: HttpRequest) -> User:
    me = current_user(request)
    if not selectors.is_channel_admin(me):
        raise PermissionDenied(_("只有运营管理员可以修改内网白名单"))
    return me


def _blank_channel_form() -> dict[str, Any]:
    return {"kind": "wecom", "name": "", "target": "", "secret": "", "team": "", "kinds": [], "enabled": True}


@login_required
@require_POST
def allowance_add(request: HttpRequest) -> HttpResponse:
    """Add an entry to the in-app allow-list (ops admin); errors re-render the page under the field."""
    me = _ops_admin(request)
    posted = {"entry": request.POST.get("entry", "").strip(), "note": request.POST.get("note", "").strip()}
    try:
        allowance = services.egress_allowance_add(actor=me, entry=posted["entry"], note=posted["note"])
    except FieldErrors as exc:
        errors, status = exc.errors, 422
    except Conflict as exc:
        errors, status = {"entry": [exc.message]}, 409
    else:
        messages.success(request, _("已将「%(entry)s」加入内网白名单") % {"entry": allowance.entry})
        return redirect(reverse("channels") + "#allowed-targets")
    return _channels_page(
        request,
        me,
        form=_blank_channel_form(),
        errors={},
        allowance_form=posted,
        allowance_errors=errors,
        status=status,
    )


@login_required
@require_POST
def allowance_delete(request: HttpRequest, allowance_id: int) -> HttpResponse:
    """Remove an entry from the in-app allow-list (ops admin); sends to it are refused from now on."""
    me = _ops_admin(request)
    allowance = visible_or_404(selectors.allowances_visible_to(me), allowance_id)
    entry = allowance.entry
    services.egress_allowance_remove(allowance=allowance, actor=me)
    messages.success(request, _("已将「%(entry)s」移出内网白名单") % {"entry": entry})
    return redirect(reverse("channels") + "#allowed-targets")


def _manageable_channel(request: HttpRequest, channel_id: int) -> Channel:
    """A channel the user sees (404 otherwise); changing it is checked by the service (403)."""
    channel = visible_or_404(selectors.channels_visible_to(current_user(request)), channel_id)
    return channel


@login_required
def channel_edit(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Edit a channel: name, address, secret (blank keeps it), kinds filter, enabled."""
    me = current_user(request)
    channel = _manageable_channel(request, channel_id)
    if not selectors.may_manage_channel(me, owner_user_id=channel.user_id):
        raise PermissionDenied(_("无权修改此渠道"))
    errors: dict[str, list[str]] = {}
    form: dict[str, Any] = {
        "kind": channel.kind,
        "name": channel.name,
        "target": channel.target,
        "secret": "",
        "team": str(channel.team_id or ""),
        "kinds": list(channel.kinds),
        "enabled": channel.enabled,
    }
    if request.method == "POST":
        posted = _posted_channel(request)
        form.update({k: posted[k] for k in ("name", "target", "kinds", "enabled")})
        changes: dict[str, Any] = {
            "name": posted["name"],
            "target": posted["target"],
            "kinds": posted["kinds"],
            "enabled": posted["enabled"],
        }
        if posted["clear_secret"]:
            changes["secret"] = ""
        elif posted["secret"]:
            changes["secret"] = posted["secret"]
        try:
            services.channel_update(channel=channel, actor=me, **changes)
        except FieldErrors as exc:
            errors = exc.errors
        else:
            messages.success(request, _("已保存渠道「%(name)s」") % {"name": channel.name})
            return redirect("channels")
    return render(
        request,
        "notify/channel_edit.html",
        {"nav": "settings", "channel": channel, "editing": True, **_form_context(me, form, errors)},
        status=422 if errors else 200,
    )


@login_required
@require_POST
def channel_delete(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Remove a channel."""
    channel = _manageable_channel(request, channel_id)
    name = channel.name
    services.channel_delete(channel=channel, actor=current_user(request))
    messages.success(request, _("已删除渠道「%(name)s」") % {"name": name})
    return redirect("channels")


@login_required
@require_POST
def channel_test(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Queue a test message on a channel; its outcome shows in the list's 最近投递 column."""
    channel = _manageable_channel(request, channel_id)
    services.channel_send_test(channel=channel, actor=current_user(request))
    text = _("测试消息已排队发送到「%(name)s」，稍后刷新查看结果") % {"name": channel.name}
    if htmx_partial(request):
        return _toast(HttpResponse(status=204), text)
    messages.success(request, text)
    return redirect("channels")
