"""POST bodies of the 线索 pages, parsed; the leads services and the workflows validate and write."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from salesflow.core.forms import PostForm, text_field


class ReassignForm(PostForm):
    """改派: the rep's id and why."""

    to = text_field()
    reason = text_field()

    @staticmethod
    def user_id(value: str) -> int:
        """The chosen rep's id (0 when none was chosen or it is not a number)."""
        return int(value) if value.isdigit() else 0


class ConvertForm(PostForm):
    """转化: the new opportunity's title and amount (both optional)."""

    opportunity_title = text_field()
    amount = text_field()


class IntakeFormForm(PostForm):
    """设置 → 网站表单: a new website form; origins comma-separated."""

    name = text_field()
    code = text_field()
    default_source = text_field()
    allowed_origins = text_field()

    @staticmethod
    def origins(value: str) -> list[str]:
        """The comma-separated origins, blanks dropped."""
        return [o.strip() for o in value.split(",") if o.strip()]


class AssignmentPolicyForm(PostForm):
    """设置 → 分单规则: the policy as the page sends it, one weight field per factor (`w-<factor>`)."""

    strategy = text_field()
    selection = text_field()
    senior_score_threshold = text_field()
    senior_min_level = text_field()
    skip_on_leave = forms.BooleanField(required=False)
    respect_workload_cap = forms.BooleanField(required=False)

    def __init__(self, data: Any, *, factors: Iterable[str]) -> None:
        super().__init__(data)
        self.factors = list(factors)
        for name in self.factors:
            self.fields[f"w-{name}"] = forms.CharField(required=False)

    def policy(self) -> dict[str, Any]:
        """The pack's `assignment` section to save (the service validates it); blank weights are left out."""
        data = self.parsed()
        return {
            "strategy": data["strategy"],
            "selection": data["selection"] if "selection" in self.data else "best",
            "weights": {name: data[f"w-{name}"] for name in self.factors if data[f"w-{name}"]},
            "senior_score_threshold": data["senior_score_threshold"],
            "senior_min_level": data["senior_min_level"],
            "skip_on_leave": data["skip_on_leave"],
            "respect_workload_cap": data["respect_workload_cap"],
            "fallback": "pool",
        }


class LeadEntryForm(PostForm):
    """新建线索: the quick form's three fields and the optional ones behind 更多 (the service judges them)."""

    name = text_field()
    phone = text_field()
    company = text_field()
    email = text_field()
    title = text_field()
    industry_segment = text_field()
    customer_tier = text_field()
    product_line = text_field()
    buying_stage = text_field()
    company_size = text_field()
    budget = text_field()
    source = text_field()
    message = text_field()

    def entry(self) -> dict[str, Any]:
        """The values to hand to `lead_enter`: blanks left out, so the service's defaults apply."""
        return {name: value for name, value in self.parsed().items() if value.strip()}


class HostedForm(forms.Form):
    """A visitor's submission on /f/<key>/: whatever the intake form knows, as typed.

    Not a PostForm on purpose: the fields are the form's configuration, read by the view, and
    `intake_submit` validates them exactly as it does for the JSON endpoint.
    """

    def __init__(self, data: Any, *, names: Iterable[str]) -> None:
        super().__init__(data)
        for name in names:
            self.fields[name] = forms.CharField(required=False, strip=False)

    def submission(self) -> dict[str, str]:
        """The submitted values (a value that is not text is dropped, and then missed by name)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
