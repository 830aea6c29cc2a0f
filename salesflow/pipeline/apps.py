from django.apps import AppConfig


class PipelineConfig(AppConfig):
    """Opportunities and the pipeline (商机 / 销售漏斗)."""

    name = "salesflow.pipeline"
    label = "pipeline"
    verbose_name = "Pipeline"

    def ready(self) -> None:
        from salesflow.core import records
        from salesflow.core.labels import register_event_labels, register_value_labeler
        from salesflow.pipeline import selectors
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
        register_event_labels(
            {
                "opportunity.created": "创建商机",
                "opportunity.stage_entered": "进入阶段",
                "opportunity.stage_left": "离开阶段",
                "opportunity.closed": "关闭商机",
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
