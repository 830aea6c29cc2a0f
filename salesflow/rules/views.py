"""设置 → 规则: read and edit rules, SLA ladders, versions with diff and rollback, simulation."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from salesflow.core import clock, records
from salesflow.core.errors import DomainError, FieldErrors
from salesflow.core.labels import coded_label, event_label, known_event_names
from salesflow.core.lookups import visible_or_404
from salesflow.org.models import User
from salesflow.rules import builder, packs, recipients, selectors, services, simulation
from salesflow.rules import messages as rule_messages
from salesflow.rules.permissions import can_edit_rules


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _require_editor(request: HttpRequest) -> None:
    if not can_edit_rules(request.user):
        raise DjangoPermissionDenied("只有销售管理者和运营管理员可以修改规则")


def _subject_choices(pack: Any) -> list[tuple[str, str]]:
    installed = {t.name: str(t.label) for t in records.registered_types() if t.name != "rulepack"}
    for item in [*pack.rules, *pack.sla_policies]:
        installed.setdefault(item.subject, f"{item.subject}（模块未安装）")
    return sorted(installed.items())


# Events the factory pack names for modules still to come (quotes and payments, work orders).
# Those apps register these labels themselves when they land; until then the rules page still
# reads them in Chinese, marked as not installed.
_PLANNED_EVENTS = {
    "quote.created": gettext_lazy("报价创建"),
    "quote.scored": gettext_lazy("报价健康度评分"),
    "quote.sent": gettext_lazy("报价已发送"),
    "quote.feedback_received": gettext_lazy("收到报价反馈"),
    "quote.accepted": gettext_lazy("报价已接受"),
    "quote.rejected": gettext_lazy("报价被拒绝"),
    "payment.scheduled": gettext_lazy("回款计划创建"),
    "payment.rescheduled": gettext_lazy("回款计划调整"),
    "payment.request_raised": gettext_lazy("已发起请款"),
    "payment.received": gettext_lazy("回款到账"),
}


def _event_label(name: str) -> str:
    """A pack event as people read it: registered, per-stage, planned (not installed), or raw."""
    # Names made from data (a work-order type's `workorder.<type>_created` …) by their app's labeler.
    if (labelled := event_label(name)) != name:
        return labelled
    if planned := _PLANNED_EVENTS.get(name):
        return _("%(event)s（模块未安装）") % {"event": planned}
    return _stage_event_label(name) or name


def _trigger_choices(pack: Any) -> list[tuple[str, str]]:
    names = dict(known_event_names())
    for rule in pack.rules:
        names.setdefault(rule.trigger, _event_label(rule.trigger))
    for policy in pack.sla_policies:
        for event in [*policy.start_events, *policy.stop_events]:
            names.setdefault(event, _event_label(event))
        for step in policy.steps:
            trigger = f"timer:{policy.code}/{step.name}"
            names.setdefault(trigger, f"计时到期：{policy.name} · {step.name}")
    return sorted(names.items())


_STAGE_EVENT = re.compile(r"^opportunity\.(entered|left)_(\w+)$")


def _stage_event_label(name: str) -> str | None:
    """`opportunity.entered_tech_solution` → 进入阶段「技术方案确认」 (the per-stage timer events)."""
    match = _STAGE_EVENT.match(name)
    stage = coded_label("stage", match.group(2)) if match else None
    if match is None or stage is None:
        return None
    verb = _("进入阶段") if match.group(1) == "entered" else _("离开阶段")
    return f"{verb}「{stage}」"


WORKORDER_DEPARTMENT_LABELS = {
    "presales": gettext_lazy("售前"),
    "legal": gettext_lazy("法务"),
    "finance": gettext_lazy("财务"),
    "delivery": gettext_lazy("交付"),
    "product": gettext_lazy("产品"),
}
PROOF_LABELS = {
    "screenshot": gettext_lazy("截图"),
    "signed_file": gettext_lazy("签字文件"),
    "note": gettext_lazy("说明"),
}


def _workorder_type_rows(pack: Any) -> list[dict[str, Any]]:
    """The pack's work-order types as people read them: labels, never codes."""
    from salesflow.org.choices import Role

    roles = dict(Role.choices)
    rows = []
    for wo_type in pack.workorder_types:
        chain = pack.chain(wo_type.approval_chain) if wo_type.approval_chain else None
        rows.append(
            {
                "type": wo_type,
                "department": WORKORDER_DEPARTMENT_LABELS.get(wo_type.department, wo_type.department),
                "handlers": "、".join(str(roles.get(r, r)) for r in wo_type.handler_roles),
                "states": [
                    {"name": s.name, "proof": "、".join(str(PROOF_LABELS[p]) for p in s.proof)}
                    for s in wo_type.states
                ],
                "parties": "、".join(p.name for p in wo_type.parties),
                "chain": chain.name if chain else "",
                "policies": "、".join(
                    p.name for p in (pack.policy(code) for code in wo_type.sla_policies) if p is not None
                ),
                "fields": "、".join(f.label + ("*" if f.required else "") for f in wo_type.form),
            }
        )
    return rows


@login_required
def rules_home(request: HttpRequest) -> HttpResponse:
    """The active pack: rules, SLA ladders, and links to versions and simulation."""
    number, pack = selectors.active_pack()
    me = _actor(request)
    return render(
        request,
        "rules/home.html",
        {
            "nav": "settings",
            "pack": pack,
            "number": number,
            "can_edit": can_edit_rules(request.user),
            "recipient_labels": dict(builder.recipient_choices()),
            "event_labels": dict(_trigger_choices(pack)),
            "subject_labels": dict(_subject_choices(pack)),
            "action_labels": dict(builder.action_choices()),
            "workorder_types": _workorder_type_rows(pack),
            "firings": (
                selectors.firing_rows(selectors.firings_visible_to(me, limit=15))
                if selectors.may_review_firings(me)
                else None
            ),
        },
    )


@login_required
def rule_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Build a new rule or change one: trigger, conditions from fields and operators, actions."""
    _require_editor(request)
    number, pack = selectors.active_pack()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        state = builder.from_post(request.POST)
        if code:
            state.code = code
        if "add_condition" in request.POST:
            state.conditions.append(builder.ConditionRow())
        elif "add_action" in request.POST:
            state.actions.append(builder.ActionRow())
        elif "refresh" not in request.POST:
            try:
                services.pack_rule_save(
                    rule=builder.to_rule(state),
                    actor=_actor(request),
                    note=f"规则「{state.name}」",
                )
            except FieldErrors as exc:
                errors = exc.errors
            else:
                messages.success(
                    request,
                    f"已保存规则「{state.name}」" + ("并启用" if state.enabled else "（未启用，可先模拟）"),
                )
                return (
                    redirect("rules-simulate-rule", code=state.code)
                    if not state.enabled
                    else redirect("rules-home")
                )
    elif code:
        rule = pack.rule(code)
        if rule is None:
            raise Http404(code)
        state = builder.from_rule(rule.model_dump(mode="json"))
    else:
        state = builder.BuilderState(
            subject=request.GET.get("subject", "user"), trigger=request.GET.get("trigger", "")
        )
    if not state.conditions:
        state.conditions.append(builder.ConditionRow())
    if not state.actions:
        state.actions.append(builder.ActionRow(type="notify"))
    fields = builder.subject_fields(state.subject)
    return render(
        request,
        "rules/rule_form.html",
        {
            "nav": "settings",
            "state": state,
            "editing": code,
            "errors": errors,
            "error_rows": [(_rule_field_label(key), m) for key, messages in errors.items() for m in messages],
            "number": number,
            "subjects": _subject_choices(pack),
            "triggers": _trigger_choices(pack),
            "fields": fields,
            "field_kinds": {k: v.kind for k, v in fields.items()},
            "operators": builder.operator_choices(),
            "action_choices": builder.action_choices(),
            "recipient_choices": builder.recipient_choices(),
            "policies": pack.sla_policies,
            "dictionaries": pack.tag_dictionaries,
            "param_fields": builder.ACTION_PARAM_FIELDS,
            "placeholders": rule_messages.RULE_PLACEHOLDERS,
        },
        status=422 if errors else 200,
    )


@login_required
@require_POST
def rule_toggle(request: HttpRequest, code: str) -> HttpResponse:
    """Switch a rule on or off (a new pack version)."""
    _require_editor(request)
    _number, pack = selectors.active_pack()
    rule = pack.rule(code)
    if rule is None:
        raise Http404(code)
    document = rule.model_dump(mode="json")
    document["enabled"] = not rule.enabled
    services.pack_rule_save(
        rule=document,
        actor=_actor(request),
        note=f"{'启用' if document['enabled'] else '停用'}规则「{rule.name}」",
    )
    messages.success(request, f"规则「{rule.name}」已{'启用' if document['enabled'] else '停用'}")
    return redirect("rules-home")


@login_required
def policy_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Change an SLA ladder: each step's offset, recipients and message texts."""
    _require_editor(request)
    _number, pack = selectors.active_pack()
    policy = pack.policy(code)
    if policy is None:
        raise Http404(code)
    document = policy.model_dump(mode="json")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        document["enabled"] = request.POST.get("enabled") == "on"
        for i, step in enumerate(document["steps"]):
            side = next((k for k in ("before", "past_anchor") if step.get(k)), "after")
            step[side] = request.POST.get(f"s{i}-after", step[side]).strip()
            step["recipients"] = request.POST.getlist(f"s{i}-recipients")
            for j, action in enumerate(step.get("actions", [])):
                for key in rule_messages.TEXT_PARAMS:
                    posted = request.POST.get(f"s{i}-a{j}-{key}")
                    if posted is not None and key in action.get("params", {}):
                        action["params"][key] = posted.strip()
        try:
            services.pack_policy_save(policy=document, actor=_actor(request), note=f"时限「{policy.name}」")
        except FieldErrors as exc:
            errors = exc.errors
            # Shown under the step's own input (the document is only re-rendered, never saved).
            for index, step_messages in _step_errors(document, errors).items():
                document["steps"][index]["errors"] = step_messages
        else:
            messages.success(request, f"已保存「{policy.name}」")
            return redirect("rules-home")
    return render(
        request,
        "rules/policy_form.html",
        {
            "nav": "settings",
            "policy": document,
            "event_labels": dict(_trigger_choices(pack)),
            "errors": _readable_errors(document, errors),
            "recipient_choices": builder.recipient_choices(),
            "text_params": rule_messages.TEXT_PARAMS,
            "placeholders": rule_messages.STEP_PLACEHOLDERS,
        },
        status=422 if errors else 200,
    )


_RULE_FIELDS = {
    "name": gettext_lazy("名称"),
    "code": gettext_lazy("代码"),
    "trigger": gettext_lazy("触发事件"),
    "subject": gettext_lazy("对象"),
    "message": gettext_lazy("门禁提示"),
    "condition": gettext_lazy("条件"),
    "actions": gettext_lazy("动作"),
}
_INDEXED = re.compile(r"\[(\d+)\]")


def _rule_field_label(key: str) -> str:
    """An error's field as the rule form names it: 条件 · 第 2 条, 动作 · 第 1 个 …"""
    head = re.split(r"[.\[]", key, maxsplit=1)[0]
    label = str(_RULE_FIELDS.get(head, head))
    index = _INDEXED.search(key)
    if index and head == "actions":
        return _("第 %(n)d 个动作") % {"n": int(index.group(1)) + 1}
    if index and head == "condition":
        return _("第 %(n)d 条条件") % {"n": int(index.group(1)) + 1}
    return label


_STEP_FIELD = re.compile(r"^steps\[(\d+)\]\.(after|before|past_anchor)$")
_STEP_SIDES = {
    "before": gettext_lazy("到期日前"),
    "past_anchor": gettext_lazy("逾期"),
    "after": gettext_lazy("开始后"),
}


def _step_errors(policy: dict[str, Any], errors: dict[str, list[str]]) -> dict[int, list[str]]:
    """Errors of each step's duration, shown under that step's input."""
    found: dict[int, list[str]] = {}
    for key, texts in errors.items():
        match = _STEP_FIELD.match(key)
        if match and int(match.group(1)) < len(policy["steps"]):
            found.setdefault(int(match.group(1)), []).extend(texts)
    return found


def _readable_errors(policy: dict[str, Any], errors: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Each error with the field it is about named as the form names it (第 1 级「…」· 开始后)."""
    rows: list[tuple[str, str]] = []
    for key, texts in errors.items():
        match = _STEP_FIELD.match(key)
        if match and int(match.group(1)) < len(policy["steps"]):
            index = int(match.group(1))
            side = _STEP_SIDES[match.group(2)]
            label = _("第 %(n)d 级「%(name)s」· %(side)s") % {
                "n": index + 1,
                "name": policy["steps"][index]["name"],
                "side": side,
            }
        else:
            label = _("此时限")
        rows.extend((label, text) for text in texts)
    return rows


def _period(request: HttpRequest) -> tuple[datetime, datetime, str, str]:
    today = clock.to_local(clock.now()).date()
    default_start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    default_end = today.replace(day=1) - timedelta(days=1)
    start_text = request.GET.get("from") or default_start.isoformat()
    end_text = request.GET.get("to") or default_end.isoformat()
    zone = clock.local_zone()
    try:
        start = datetime.combine(datetime.fromisoformat(start_text).date(), time.min, tzinfo=zone)
        end = datetime.combine(datetime.fromisoformat(end_text).date(), time.max, tzinfo=zone)
    except ValueError:
        raise FieldErrors({"from": ["请使用 YYYY-MM-DD 日期格式"]}) from None
    return start, end, start_text, end_text


def _outcomes_for_page(outcomes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The replay's outcomes as people read them: names instead of usernames, local times."""
    usernames = {name for outcome in outcomes for name in outcome["by_person"]}
    names = dict(User.objects.filter(username__in=usernames).values_list("username", "display_name"))
    return [
        {
            **outcome,
            "people": [(names.get(u) or u, n) for u, n in outcome["by_person"].items()],
            "samples": [{**s, "at": datetime.fromisoformat(s["at"])} for s in outcome["samples"]],
        }
        for outcome in outcomes
    ]


@login_required
def simulate(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Replay a period against one rule (or the whole pack) and show what would have fired.

    Rule editors only, over their own data scope, within the configured event and time limits.
    """
    _require_editor(request)
    _number, pack = selectors.active_pack()
    selected = code or request.GET.get("rule") or ""
    result: simulation.SimulationResult | None = None
    error = ""
    try:
        start, end, start_text, end_text = _period(request)
    except FieldErrors as exc:
        error = "; ".join(m for msgs in exc.errors.values() for m in msgs)
        start_text, end_text = request.GET.get("from", ""), request.GET.get("to", "")
    else:
        if selected or request.GET.get("run"):
            codes = {selected} if selected else None
            if selected and pack.rule(selected) is None and pack.policy(selected) is None:
                raise Http404(selected)
            try:
                with simulation.slot():
                    result = simulation.simulate(
                        pack,
                        start=start,
                        end=end,
                        rule_codes=codes,
                        viewer=_actor(request),
                        limits=simulation.Limits.from_settings(),
                    )
            except DomainError as exc:
                error = exc.message
    rule = pack.rule(selected) if selected else None
    return render(
        request,
        "rules/simulate.html",
        {
            "nav": "settings",
            "pack": pack,
            "selected": selected,
            "rule": rule,
            "results": _outcomes_for_page(result.outcomes) if result else None,
            "result": result,
            "from": start_text,
            "to": end_text,
            "error": error,
            "can_edit": can_edit_rules(request.user),
        },
    )


@login_required
def versions(request: HttpRequest) -> HttpResponse:
    """Pack versions, newest first, with links to their diffs."""
    return render(
        request,
        "rules/versions.html",
        {
            "nav": "settings",
            "rows": selectors.versions_with_changes(100),
            "can_edit": can_edit_rules(request.user),
        },
    )


@login_required
def version_detail(request: HttpRequest, number: int) -> HttpResponse:
    """One version's YAML and its diff against the version before."""
    version = visible_or_404(selectors.versions(), number, field="number")
    previous = selectors.versions().filter(number__lt=number).first()
    return render(
        request,
        "rules/version_detail.html",
        {
            "nav": "settings",
            "version": version,
            "previous": previous,
            "diff": selectors.version_diff(previous, version),
            "changes": selectors.version_changes(previous, version),
            "yaml": packs.to_yaml(version.document),
            "can_edit": can_edit_rules(request.user),
        },
    )


@login_required
@require_POST
def version_activate(request: HttpRequest, number: int) -> HttpResponse:
    """Make a version active again (rollback or roll-forward)."""
    _require_editor(request)
    version = visible_or_404(selectors.versions(), number, field="number")
    try:
        services.pack_activate(version=version, actor=_actor(request))
    except packs.PackInvalid as exc:
        messages.error(request, "该版本已不符合当前规则格式：" + "；".join(exc.errors[:5]))
    else:
        messages.success(request, f"已启用 v{number}")
    return redirect("rules-versions")


@login_required
def export_yaml(request: HttpRequest) -> HttpResponse:
    """Download the active pack as YAML."""
    number, pack = selectors.active_pack()
    response = HttpResponse(
        packs.to_yaml(packs.to_document(pack)), content_type="application/x-yaml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="salesflow-rules-v{number}.yaml"'
    return response


@login_required
def import_yaml(request: HttpRequest) -> HttpResponse:
    """Upload a pack file: validated whole, every error listed, nothing changed when invalid."""
    _require_editor(request)
    errors: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = ["file: 请选择一个 YAML 文件"]
        else:
            try:
                version = services.pack_import(
                    text=upload.read().decode("utf-8", errors="replace"),
                    actor=_actor(request),
                    note=request.POST.get("note", ""),
                )
            except packs.PackInvalid as exc:
                errors = exc.errors
            except DomainError as exc:
                errors = [exc.message]
            else:
                if version is None:
                    messages.info(request, "与当前版本相同，未做修改")
                else:
                    messages.success(request, f"已导入并启用 v{version.number}")
                return redirect("rules-versions")
    return render(
        request,
        "rules/import.html",
        {"nav": "settings", "errors": errors},
        status=422 if errors else 200,
    )


def recipient_label(spec: str) -> str:
    """A readable label for a recipient spec (used by templates)."""
    return dict(builder.recipient_choices()).get(spec, recipients.LABELS.get(spec, spec))
