"""POST bodies of the 商机 and visit pages, parsed; the pipeline services validate and write."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms

from salesflow.core.forms import ListField, PostForm, text_field


class AdvanceForm(PostForm):
    """推进 (board drag or the page's form): the target stage and, going back, why."""

    to_stage = text_field()
    reason = text_field()


class CloseForm(PostForm):
    """关闭: won or lost, with a lost reason."""

    outcome = text_field()
    reason = text_field()


class VisitForm(PostForm):
    """A new visit task package."""

    package = text_field()


class VisitFinishForm(PostForm):
    """完成拜访: what changed, competitor news, the next step (trimmed)."""

    need_change = forms.CharField(required=False)
    competitor_news = forms.CharField(required=False)
    next_step = forms.CharField(required=False)


@dataclass(frozen=True)
class EvidenceInput:
    """What a page's evidence form says, as `evidence_add` takes it (the file aside)."""

    requirement: str
    text: str
    lat: Decimal | None
    lng: Decimal | None


def _decimal(value: str) -> Decimal | None:
    # A browser without a position sends nothing or junk: no coordinates rather than an error.
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


class EvidenceForm(PostForm):
    """One piece of evidence from a page: a requirement, text or need-point chips, a position.

    Chips arrive as repeated `point` values, each with an optional `detail_<code>`; they become
    one line per point, `code:detail` when a detail was typed. The file comes from request.FILES.
    """

    requirement = text_field()
    text = text_field()
    point = ListField()
    lat = text_field()
    lng = text_field()

    def evidence(self) -> EvidenceInput:
        """requirement, text, lat and lng as `evidence_add` takes them."""
        data = self.parsed()
        text_value = data["text"]
        if data["point"]:
            lines = []
            for code in data["point"]:
                detail = str(self.data.get(f"detail_{code}", "")).strip()
                lines.append(f"{code}:{detail}" if detail else code)
            text_value = "\n".join(lines)
        return EvidenceInput(
            requirement=data["requirement"],
            text=text_value,
            lat=_decimal(data["lat"]),
            lng=_decimal(data["lng"]),
        )
