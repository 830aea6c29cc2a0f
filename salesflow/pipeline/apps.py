from typing import Any

from django.apps import AppConfig

from salesflow.pipeline.choices import OpportunityStatus


class PipelineConfig(AppConfig):
    """Opportunities and the pipeline (商机 / 销售漏斗)."""

    name = "salesflow.pipeline"
    label = "pipeline"
    verbose_name = "Pipeline"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesflow.core import records
        from salesflow.core.labels import register_event_labels, register_key_labels, register_value_labeler
        from salesflow.pipeline import selectors
        from salesflow.pipeline.choices import EVIDENCE_KIND_LABELS, FLAG_LABELS
        from salesflow.pipeline.models import Opportunity

        records.register(
            "opportunity",
            Opportunity,
            visible_to=selectors.opportunities_visible_to,
            label="商机",
            detail_url_name="opportunity-detail",
        )
        register_value_labeler("stage", stage_name)
        register_value_labeler("pipeline", pipeline_name)
        register_value_labeler("requirement", requirement_name)
        register_value_labeler("package", package_name)
        register_value_labeler("kind", lambda code: str(EVIDENCE_KIND_LABELS.get(code, "")) or None)
        register_value_labeler("flags", lambda flag: str(FLAG_LABELS.get(flag.split(":")[0], "")) or None)
        register_value_labeler(
            "outcome", lambda code: str(dict(OpportunityStatus.choices).get(code, "")) or None
        )
        register_value_labeler("reason", close_reason)
        register_value_labeler("product_lines", product_line_name)
        register_key_labels(
            {
                "stage": _("阶段"),
                "pipeline": _("销售流程"),
                "requirement": _("证据项"),
                "flags": _("提示"),
                "outcome": _("结果"),
                "package": _("拜访任务包"),
            }
        )
        register_event_labels(
            {
                "opportunity.created": "创建商机",
                "opportunity.stage_entered": "进入阶段",
                "opportunity.stage_left": "离开阶段",
                "opportunity.closed": "关闭商机",
                "opportunity.updated": "更新商机",
                "opportunity.handed_over": "离职交接",
                "evidence.added": "上传证据",
                "evidence.deleted": "删除证据",
                "visit.created": "创建拜访任务包",
                "visit.completed": "完成拜访",
            }
        )


def stage_name(code: str) -> str | None:
    """A stage code's name in the active pack (the first template that has it)."""
    from salesflow.rules.selectors import active_pack

    _number, pack = active_pack()
    return next((s.name for t in pack.stage_templates for s in t.stages if s.code == code), None)


def pipeline_name(code: str) -> str | None:
    """A pipeline code's name in the active pack."""
    from salesflow.rules.selectors import active_pack

    _number, pack = active_pack()
    return next((t.name for t in pack.stage_templates if t.code == code), None)


def requirement_spec(code: str) -> Any:
    """An evidence requirement of the active pack: a stage's exit evidence or a visit item."""
    from salesflow.rules.selectors import active_pack

    _number, pack = active_pack()
    for template in pack.stage_templates:
        for stage in template.stages:
            for requirement in stage.exit_evidence:
                if requirement.code == code:
                    return requirement
    return next((i for p in pack.visit_packages for i in p.items if i.code == code), None)


def requirement_name(code: str) -> str | None:
    """An evidence requirement's name in the active pack."""
    spec = requirement_spec(code)
    return spec.name if spec else None


def need_points_text(text: str, requirement: str) -> str:
    """Stored need points (`consignment:科室库存`, one a line) as people read them (寄售备货：科室库存)."""
    from salesflow.rules.selectors import dictionary_label

    spec = requirement_spec(requirement)
    dictionary = getattr(spec, "dictionary", None) or "need_point"
    lines = []
    for line in text.splitlines():
        code, sep, detail = line.partition(":")
        label = dictionary_label(dictionary, code.strip()) or code.strip()
        lines.append(f"{label}：{detail.strip()}" if sep and detail.strip() else label)
    return "\n".join(lines)


def package_name(code: str) -> str | None:
    """A visit package's name in the active pack."""
    from salesflow.rules.selectors import active_pack

    _number, pack = active_pack()
    return next((p.name for p in pack.visit_packages if p.code == code), None)


def close_reason(reason: str) -> str | None:
    """A stage exit's reason (`closed:won`) or a lost reason code, by name; free text stays None."""
    from salesflow.rules.selectors import dictionary_label

    if reason.startswith("closed:"):
        status = dict(OpportunityStatus.choices).get(reason.removeprefix("closed:"))
        return str(status) if status else None
    return dictionary_label("lost_reason", reason)


def product_line_name(code: str) -> str | None:
    """A product line code's label in the pack's product_line dictionary."""
    from salesflow.rules.selectors import dictionary_label

    return dictionary_label("product_line", code)
