"""The rule pack: every management rule of SPEC.md as data, validated by pydantic.

A pack is readable YAML for a sales manager. Sections not yet used by an installed app are
still validated for shape, so a pack written today keeps working when the app lands.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from salesflow.timers.durations import parse_duration

Code = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def duration_error(value: object) -> str:
    """What a person reads for a value that is no duration: the forms it takes, in their language."""
    from django.utils.translation import gettext

    return gettext("“%(value)s” 不是时长：请填写如 15m、48h、5wd") % {"value": value}


def _duration(value: str) -> str:
    # Keeps the text as written (15m, 48h, 5wd) but refuses anything unparseable.
    try:
        parse_duration(str(value))
    except ValueError:
        raise ValueError(duration_error(value)) from None
    return str(value)


DurationText = Annotated[str, AfterValidator(_duration)]


class ActionSpec(_Strict):
    """One action of a rule or an escalation step: a registered type and its parameters."""

    type: str
    params: dict[str, Any] = {}

    @model_validator(mode="after")
    def _known_type(self) -> ActionSpec:
        from salesflow.rules.actions import validate_action

        validate_action(self.type, self.params)
        return self


class Choice(_Strict):
    """One value of a tag dictionary."""

    code: str = Code
    label: str
    label_en: str = ""


class TagDictionary(_Strict):
    """A closed list of choices (tags are never free text)."""

    code: str = Code
    name: str
    choices: list[Choice] = Field(min_length=1)

    @field_validator("choices")
    @classmethod
    def _unique(cls, choices: list[Choice]) -> list[Choice]:
        codes = [c.code for c in choices]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"duplicate choice codes: {', '.join(duplicates)}")
        return choices


class RequiredFields(_Strict):
    """Fields a form of `subject` cannot be submitted without."""

    subject: str
    form: str = "default"
    fields: list[str] = Field(min_length=1)


class EvidenceRequirement(_Strict):
    """A piece of evidence a stage needs before it can be completed."""

    code: str = Code
    name: str
    kind: Literal[
        "document",
        "photo",
        "signed_pdf",
        "need_points",
        "gps_checkin",
        "voice_memo_text",
        "meeting_minutes",
        "milestone",
    ]
    min_count: int = Field(default=1, ge=1)
    camera_only: bool = False
    max_chars: int | None = Field(default=None, ge=1)
    dictionary: str | None = None


class Stage(_Strict):
    """A pipeline stage: fields required to enter it, evidence (incl. milestone proofs) to leave it."""

    code: str = Code
    name: str
    entry_criteria: list[str] = []
    exit_evidence: list[EvidenceRequirement] = []
    probability: int = Field(default=0, ge=0, le=100)


class VisitPackage(_Strict):
    """A visit task package (拜访任务包): the evidence a visit needs before it can be completed."""

    code: str = Code
    name: str
    items: list[EvidenceRequirement] = Field(min_length=1)


class EvidencePolicy(_Strict):
    """Limits and checks of uploaded evidence."""

    max_upload_mb: int = Field(default=10, ge=1, le=100)
    exif_max_time_gap: DurationText = "2h"
    exif_max_distance_m: int = Field(default=500, ge=1)
    # Checked from the image header before decoding: a small file may declare a huge picture
    # (a 140 KB 12000 × 12000 PNG decodes to over 400 MB).
    # At most Pillow's own bomb threshold (89 million), which refuses larger ones anyway.
    max_pixels: int = Field(default=40_000_000, ge=1_000_000, le=89_000_000)


class ImportPolicy(_Strict):
    """Bounds of Excel imports and how long their files are kept."""

    # A workbook beyond these is refused before its rows are read (named in the error).
    max_rows: int = Field(default=100_000, ge=1, le=1_000_000)
    max_columns: int = Field(default=100, ge=1, le=16_384)
    # Above this many rows an import runs only as a background job, never inside a request.
    inline_max_rows: int = Field(default=1_000, ge=1)
    # A job still uploaded, mapped or running this long after its last step was abandoned
    # (e.g. the server crashed under it) and is marked failed.
    stale_after: DurationText = "24h"
    # Uploaded workbooks and skipped-row files are deleted this many days after the upload.
    retention_days: int = Field(default=30, ge=1, le=3650)


class StageTemplate(_Strict):
    """Stages for a region and/or product line (None = any)."""

    code: str = Code
    name: str
    region: str | None = None
    product_line: str | None = None
    stages: list[Stage] = Field(min_length=2)


class ProfilePoints(_Strict):
    """Points for a lead whose profile field has a value."""

    field: str
    value: str
    points: int


class BehaviourPoints(_Strict):
    """Points for a behaviour event kind, halving every `half_life`."""

    kind: str = Code
    points: int
    half_life: DurationText = "14d"


class Combination(_Strict):
    """Extra points when several behaviours happen together within `within`."""

    name: str
    within: DurationText = "14d"
    require: dict[str, int] = Field(min_length=1)
    points: int


class LearnedScoring(_Strict):
    """A model learned from won and lost leads, shown beside the rule score once history suffices."""

    enabled: bool = True
    min_samples: int = Field(default=40, ge=10)
    min_each_outcome: int = Field(default=10, ge=2)


class Scoring(_Strict):
    """Lead scoring: profile and behaviour points, combinations, the MQL threshold."""

    mql_threshold: int = 60
    profile: list[ProfilePoints] = []
    behaviour: list[BehaviourPoints] = []
    combinations: list[Combination] = []
    learned: LearnedScoring = LearnedScoring()


class Assignment(_Strict):
    """How new leads find an owner (智能分单)."""

    strategy: Literal["round_robin", "capability", "weighted"] = "weighted"
    # How `weighted` turns scores into an owner: "best" gives every lead to the top score;
    # "proportional" gives each rep a share of leads proportional to their fit score.
    selection: Literal["best", "proportional"] = "best"
    weights: dict[str, float] = {}
    senior_score_threshold: int = 80
    senior_min_level: int = Field(default=3, ge=1, le=5)
    skip_on_leave: bool = True
    respect_workload_cap: bool = True
    fallback: Literal["pool"] = "pool"


class SlaStep(_Strict):
    """One rung of a ladder: `after` the start (or `before` / `past_anchor` the anchor date), tell, act."""

    name: str
    after: DurationText | None = None
    before: DurationText | None = None
    # This long after the record's anchor date (e.g. a payment 30d overdue), not after the start.
    past_anchor: DurationText | None = None
    recipients: list[str] = []
    condition: dict[str, Any] | None = None
    actions: list[ActionSpec] = []

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, values: list[str]) -> list[str]:
        from salesflow.rules.recipients import validate_recipient

        for value in values:
            validate_recipient(value)
        return values

    @model_validator(mode="after")
    def _one_offset(self) -> SlaStep:
        given = [o for o in (self.after, self.before, self.past_anchor) if o is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of `after` (from the start), `before` or `past_anchor` (the anchor date)"
            )
        for key in ("before", "past_anchor"):
            value = getattr(self, key)
            if value and parse_duration(value).is_working_time:
                raise ValueError(f"`{key}: {value}`: count from the anchor in calendar time (m, h, d)")
        return self

    @property
    def offset(self) -> str:
        """The step's duration text, whichever side it counts from."""
        return str(self.after or self.before or self.past_anchor)


# What a policy is for, when code outside the engine must find it: lights, release dates and
# list filters ask the pack for "the policy whose purpose is X", never for a policy code, so a
# renamed policy keeps its meaning. `general` means no code depends on it.
PolicyPurpose = Literal[
    "general",
    "lead_unread",  # an early nudge to the manager; a missed one does not turn the lead red
    "lead_first_contact",
    "lead_follow_up",
    "customer_commitment",  # the claim ladder: its last pending step is the customer's release date
    "opportunity_stall",
    "opportunity_no_update",
    "stage_breaker",  # 阶段熔断: a fired breaker turns the opportunity red
    "quote_follow_up",
    "payment_due",
    "payment_overdue",  # the overdue ladder of an instalment not yet collected
    "workorder_response",
    "grant_expiry",  # 临时授权到期: ends a temporary grant when its period is over
]
POLICY_PURPOSES: tuple[str, ...] = get_args(PolicyPurpose)


class SlaPolicy(_Strict):
    """A timer: starts on an event, stops on others, escalates step by step."""

    code: str = Code
    name: str
    purpose: PolicyPurpose = "general"
    subject: str
    start_events: list[str] = Field(min_length=1)
    stop_events: list[str] = []
    # Calendar or working time is said by each step's unit: 48h and 7d are calendar time,
    # 5wd (working days) and 4wh (working hours) follow the company's working calendar.
    steps: list[SlaStep] = Field(min_length=1)
    # Steps with `before` count back from this date or time field of the record
    # (e.g. a payment's due date), instead of forward from the start event.
    anchor_field: str | None = None
    enabled: bool = True

    @model_validator(mode="after")
    def _anchor_for_before(self) -> SlaPolicy:
        if any(s.before or s.past_anchor for s in self.steps) and not self.anchor_field:
            raise ValueError(
                "steps with `before` or `past_anchor` need the policy's `anchor_field` "
                "(the date they count from)"
            )
        return self


class Rule(_Strict):
    """Trigger (an event or `timer:<policy>/<step>`) + condition + actions; a gate may refuse."""

    code: str = Code
    name: str
    description: str = ""
    trigger: str
    subject: str
    condition: dict[str, Any] | None = None
    actions: list[ActionSpec] = []
    gate: bool = False
    message: str = ""
    enabled: bool = True

    @model_validator(mode="after")
    def _gate_has_message(self) -> Rule:
        if self.gate and not self.message:
            raise ValueError("a gate rule needs the message the user sees when it refuses")
        if not self.gate and not self.actions:
            raise ValueError("a rule needs at least one action (or gate: true)")
        return self


class TagRule(_Strict):
    """Automatic classification, e.g. A-class = ≥2 orders in 90 days and one ≥ ¥50,000."""

    code: str = Code
    name: str
    subject: str
    tag: str
    value: str
    mode: Literal["set", "propose"] = "propose"
    window: DurationText = "90d"
    min_orders: int = Field(default=0, ge=0)
    min_single_amount: Decimal = Decimal("0")


class CustomerHealth(_Strict):
    """Customer health (0–100): purchase frequency, amount trend, service requests, interactions."""

    window: DurationText = "90d"
    weights: dict[str, float] = {
        "purchase_frequency": 0.35,
        "amount_trend": 0.25,
        "service_requests": 0.15,
        "interaction_density": 0.25,
    }
    orders_for_full_marks: int = Field(default=3, ge=1)
    interactions_for_full_marks: int = Field(default=6, ge=1)
    service_requests_for_zero: int = Field(default=5, ge=1)

    @model_validator(mode="after")
    def _known_weights(self) -> CustomerHealth:
        unknown = sorted(
            set(self.weights)
            - {"purchase_frequency", "amount_trend", "service_requests", "interaction_density"}
        )
        if unknown:
            raise ValueError(f"unknown health factors: {', '.join(unknown)}")
        return self


class HealthThreshold(_Strict):
    """A process-health indicator: target, alert level and how long it must persist."""

    code: str = Code
    name: str
    unit: str = ""
    target: Decimal
    better: Literal["higher", "lower"]
    alert_value: Decimal | None = None
    alert_after: DurationText | None = None
    # The improvement playbook (改进手册) the indicator links to: free text, several lines allowed.
    playbook: str = Field(default="", max_length=4000)
    # How far back each day's value looks (collaboration density averages the customers won in
    # the last 28 days; a per-day indicator uses 1d).
    period: DurationText = "1d"
    # For a rate "within" a window: effective contact counts leads with a record within 48h.
    within: DurationText | None = None
    # Fewest records behind a value that counts (e.g. a rep's entries into a stage before their
    # conversion joins the spread across reps); smaller samples are left out, not guessed.
    min_sample: int = Field(default=1, ge=1)


class CommissionTier(_Strict):
    """Above `above_pct` % of target, this rate applies to the part above."""

    above_pct: Decimal = Field(ge=0)
    rate_pct: Decimal = Field(ge=0)


class CommissionPlan(_Strict):
    """Tiered commission (阶梯提成)."""

    code: str = Code
    name: str
    base_threshold_pct: Decimal = Field(ge=0)
    tiers: list[CommissionTier] = Field(min_length=1)


class Lights(_Strict):
    """Traffic-light thresholds shared by lists, cards and the battle report."""

    lead_red_without_follow_up: DurationText = "48h"
    quote_yellow_unconfirmed: DurationText = "72h"
    payment_green_progress_pct: int = Field(default=90, ge=0, le=100)
    opportunity_red_without_update: DurationText = "7d"
    # Customer health (0–100) colour bands: green from this score, yellow from the next, red below.
    customer_health_green_from: int = Field(default=70, ge=0, le=100)
    customer_health_yellow_from: int = Field(default=40, ge=0, le=100)

    @model_validator(mode="after")
    def _bands_in_order(self) -> Lights:
        if self.customer_health_yellow_from > self.customer_health_green_from:
            raise ValueError("customer_health_yellow_from must not be above customer_health_green_from")
        return self

    def customer_health(self, score: int | None) -> str:
        """The colour of a health score: green, yellow or red (grey when there is none)."""
        if score is None:
            return "grey"
        if score >= self.customer_health_green_from:
            return "green"
        return "yellow" if score >= self.customer_health_yellow_from else "red"


class CompletenessFields(_Strict):
    """Fields a record of `subject` must have filled to count as complete (资料完整率)."""

    subject: Literal["lead", "customer", "opportunity"]
    fields: list[str] = Field(min_length=1)


class RadarAxis(_Strict):
    """One axis of the ability radar (能力雷达): a metric the cockpit computes, and the value that
    scores 100 (for response minutes, lower is better: the target or faster scores 100)."""

    code: str = Code
    name: str
    metric: Literal[
        "response_minutes",
        "evidence_actions_per_day",
        "lead_conversion_pct",
        "win_rate_pct",
        "completeness_pct",
    ]
    target: Decimal = Field(gt=0)


class ProcessViews(_Strict):
    """Windows of the process heatmap (过程热力图) and the individual-efficiency page (个人效率)."""

    # Weeks the heatmap shows when no period is chosen (ending with this week).
    heatmap_weeks: int = Field(default=12, ge=1, le=104)
    # Days the efficiency page looks back when no period is chosen (ending today).
    efficiency_days: int = Field(default=90, ge=1, le=730)
    # Upper edges of the response-time histogram's bars, in minutes; the last bar is "longer".
    response_buckets_minutes: list[int] = Field(default=[30, 120, 480, 1440, 4320], min_length=1)

    @model_validator(mode="after")
    def _ascending(self) -> ProcessViews:
        edges = self.response_buckets_minutes
        if any(e <= 0 for e in edges) or edges != sorted(set(edges)):
            raise ValueError("response_buckets_minutes must be positive and ascending")
        return self


class ForecastPaceStage(_Strict):
    """The stage of one pipeline whose entries measure the pace of the forecast (e.g. 合同签订:
    contracts going into review); a week-on-week drop raises the pace alert."""

    pipeline: str = Code
    stage: str = Code


class ForecastMilestone(_Strict):
    """A milestone that multiplies an open opportunity's odds of winning in the forecast.

    `stage_evidence`: every exit evidence of the opportunity's current stage is collected;
    `event`: an event called `event` was recorded on the opportunity (e.g. an approval passed,
    a contract went into review) since it entered its current stage.
    """

    code: str = Code
    name: str
    kind: Literal["stage_evidence", "event"]
    event: str | None = Field(default=None, max_length=100)
    odds_multiplier: Decimal = Field(gt=0, le=20)

    @model_validator(mode="after")
    def _event_named(self) -> ForecastMilestone:
        if self.kind == "event" and not self.event:
            raise ValueError("a milestone of kind event names its event")
        return self


class Forecast(_Strict):
    """The funnel digital twin (漏斗数字孪生): Monte Carlo runs, history, pace and uplifts."""

    # Simulated futures per forecast; fewer than 10,000 makes P10/P90 jumpy.
    runs: int = Field(default=10_000, ge=10_000, le=200_000)
    # Of those, how many also draw the week-by-week curve (the month's and quarter's numbers
    # always use every run).
    curve_runs: int = Field(default=1_000, ge=500, le=200_000)
    # How far back stage stays feed transition probabilities and dwell distributions.
    history_days: int = Field(default=365, ge=30, le=1_830)
    # A scope (team) with fewer finished stays than this in a stage borrows the company's.
    min_stays: int = Field(default=20, ge=1, le=10_000)
    pace_stages: list[ForecastPaceStage] = []
    milestones: list[ForecastMilestone] = []
    # The largest win-odds multiplier an admin may give an external signal (and 1 / it the smallest).
    signal_multiplier_max: Decimal = Field(default=Decimal(5), ge=1, le=100)
    # When the weekly pace alert compares last week with the week before: ISO weekday, local time.
    pace_check_weekday: int = Field(default=1, ge=1, le=7)
    pace_check_at: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    # How many past weeks the backtest replays.
    backtest_weeks: int = Field(default=12, ge=1, le=52)
    # The band of the forecast (percentiles of the simulated signed amount).
    band_low_pct: int = Field(default=10, ge=1, le=49)
    band_high_pct: int = Field(default=90, ge=51, le=99)
    # A large company (once the cockpit's roll-ups are built) sees a forecast computed at most
    # this many minutes ago; the worker recomputes the default views every period.
    snapshot_minutes: int = Field(default=30, ge=1, le=1440)


class QuoteDocument(_Strict):
    """A supporting document the quote health score looks for (技术方案文件, 竞品对比表)."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    # Opportunity evidence of these requirement codes also counts (e.g. the stage's 技术方案文件).
    evidence: list[str] = []
    # The template a rep downloads when the piece is missing: its columns, and a line of guidance.
    template_columns: list[str] = Field(default_factory=list, max_length=30)
    template_note: str = ""


class QuoteHealth(_Strict):
    """报价健康度 (0–100): points per factor; a document factor's code is a `documents` code."""

    # Without documents declared only the two record-based factors exist.
    weights: dict[str, int] = {"purchase_frequency": 50, "price_change": 50}
    # Orders of the customer within this window count towards purchase frequency.
    window: DurationText = "365d"
    orders_for_full_marks: int = Field(default=3, ge=1)
    # Net price change against the last quote sent to the customer (same products), in percent:
    # full points up to the first, none from the second, linear between.
    price_change_full_within_pct: Decimal = Field(default=Decimal(5), ge=0, le=100)
    price_change_zero_at_pct: Decimal = Field(default=Decimal(20), gt=0, le=100)

    @model_validator(mode="after")
    def _weights_make_100(self) -> QuoteHealth:
        if any(w < 0 for w in self.weights.values()) or sum(self.weights.values()) != 100:
            raise ValueError("quotes.health.weights: non-negative points adding up to 100")
        if self.price_change_zero_at_pct <= self.price_change_full_within_pct:
            raise ValueError(
                "quotes.health: price_change_zero_at_pct must exceed price_change_full_within_pct"
            )
        return self


class ClauseTemplate(_Strict):
    """A numbered clause a quote takes (付款方式, 交货, 质保 …); `default` ones are pre-selected."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=1, max_length=2000)
    default: bool = True


class QuotePolicy(_Strict):
    """Quotes (报价): validity, per-role limits that make a quote special, documents, clauses."""

    validity_days: int = Field(default=30, ge=1, le=365)
    number_prefix: str = Field(default="BJ", pattern=r"^[A-Z]{1,6}$")
    # The approvals chain a special quote (特殊报价) goes through.
    approval_chain: str = "special_quote"
    # A line discount above the requester's role limit (%), or a margin under the role floor (%),
    # makes the quote special; a role not named has no discount right (0) and the highest floor.
    discount_limit_pct: dict[str, Decimal] = {}
    margin_floor_pct: dict[str, Decimal] = {}
    documents: list[QuoteDocument] = []
    clause_templates: list[ClauseTemplate] = []
    health: QuoteHealth = QuoteHealth()
    # Share link (报价快照): a section in view at least this long counts as one reading; a clause
    # read this many times prompts the rep to call (a to-do, once per clause and version).
    min_view_seconds: int = Field(default=3, ge=1, le=600)
    clause_views_for_call: int = Field(default=3, ge=1, le=100)

    @model_validator(mode="after")
    def _consistent(self) -> QuotePolicy:
        from salesflow.org.choices import Role

        for section in ("discount_limit_pct", "margin_floor_pct"):
            values = getattr(self, section)
            unknown = sorted(set(values) - set(Role.values))
            if unknown:
                raise ValueError(f"quotes.{section}: unknown role {', '.join(unknown)}")
            if any(not Decimal(0) <= v <= Decimal(100) for v in values.values()):
                raise ValueError(f"quotes.{section}: percentages between 0 and 100")
        documents = {d.code for d in self.documents}
        known = documents | {"purchase_frequency", "price_change"}
        unknown = sorted(set(self.health.weights) - known)
        if unknown:
            names = ", ".join(sorted(known))
            raise ValueError(f"quotes.health.weights: unknown factor {', '.join(unknown)} (known: {names})")
        for section in ("documents", "clause_templates"):
            codes = [item.code for item in getattr(self, section)]
            duplicates = sorted({c for c in codes if codes.count(c) > 1})
            if duplicates:
                raise ValueError(f"quotes.{section}: duplicate codes {', '.join(duplicates)}")
        return self

    def discount_limit(self, role: str) -> Decimal:
        """The largest line discount (%) `role` may give without approval."""
        return self.discount_limit_pct.get(role, Decimal(0))

    def margin_floor(self, role: str) -> Decimal:
        """The lowest margin (%) `role` may quote without approval."""
        if role in self.margin_floor_pct:
            return self.margin_floor_pct[role]
        return max(self.margin_floor_pct.values(), default=Decimal(0))


class PlanInstalment(_Strict):
    """One instalment of the payment plan a new contract proposes: a share of the amount, due
    `days` after a milestone (30% 7 days after signing, 60% 30 days after delivery …)."""

    name: str = Field(min_length=1, max_length=40)
    pct: Decimal = Field(gt=0, le=100)
    milestone: Literal["signing", "delivery", "acceptance"]
    days: int = Field(default=0, ge=0, le=365)


class ContractPolicy(_Strict):
    """Contracts (合同) and collections (回款): numbering, legal review, the default payment plan
    and the receivables ageing buckets."""

    number_prefix: str = Field(default="HT", pattern=r"^[A-Z]{1,6}$")
    # The approvals chain a contract whose clauses deviate from the templates goes through.
    review_chain: str = "contract_review"
    # The stage evidence (a requirement code of the pipelines) the signed contract PDF answers;
    # signing moves the deal to the stage that asks for it.
    signed_evidence: str = Field(default="signed_contract", pattern=r"^[a-z][a-z0-9_]*$")
    payment_plan: list[PlanInstalment] = [
        PlanInstalment(name="预付款", pct=Decimal(30), milestone="signing", days=7),
        PlanInstalment(name="到货款", pct=Decimal(60), milestone="delivery", days=30),
        PlanInstalment(name="验收尾款", pct=Decimal(10), milestone="acceptance", days=30),
    ]
    # Upper bounds (days overdue) of the ageing buckets after "not yet due": 1–30, 31–60, 61–90, >90.
    ageing_buckets_days: list[int] = [30, 60, 90]

    @model_validator(mode="after")
    def _consistent(self) -> ContractPolicy:
        if self.payment_plan and sum(i.pct for i in self.payment_plan) != Decimal(100):
            raise ValueError("contracts.payment_plan: the percentages must add up to 100")
        bounds = self.ageing_buckets_days
        if not bounds or any(b <= 0 for b in bounds) or bounds != sorted(set(bounds)):
            raise ValueError("contracts.ageing_buckets_days: positive days in increasing order")
        return self


class GrantPolicy(_Strict):
    """临时授权: how long a colleague may read one customer's quote history when nobody says
    (`default_days`), and at most (`max_days`)."""

    default_days: int = Field(default=7, ge=1, le=365)
    max_days: int = Field(default=30, ge=1, le=365)

    @model_validator(mode="after")
    def _default_within_max(self) -> GrantPolicy:
        if self.default_days > self.max_days:
            raise ValueError("grants.default_days must not exceed grants.max_days")
        return self


def _roles(value: list[str]) -> list[str]:
    from salesflow.org.choices import Role

    unknown = sorted(set(value) - set(Role.values))
    if unknown:
        raise ValueError(f"unknown role {', '.join(unknown)} (known: {', '.join(Role.values)})")
    return value


Roles = Annotated[list[str], AfterValidator(_roles)]


class Meeting(_Strict):
    """A recurring meeting whose agenda the `add_to_agenda` action fills (月度流程复盘): its name,
    who runs it (marks items discussed, records decisions and owners) and who may read it."""

    label: str = Field(min_length=1, max_length=60)
    chair_roles: Roles = Field(min_length=1)
    viewer_roles: Roles = []


DEFAULT_MEETINGS = {
    "monthly_process_review": Meeting(
        label="月度流程复盘", chair_roles=["coo"], viewer_roles=["gm", "director"]
    )
}


def _meeting_codes(value: dict[str, Meeting]) -> dict[str, Meeting]:
    bad = sorted(code for code in value if not re.fullmatch(r"[a-z][a-z0-9_]*", code) or len(code) > 60)
    if bad:
        raise ValueError(f"meeting codes must be lower-case words joined by _: {', '.join(bad)}")
    return value


class WorkingHours(_Strict):
    """Working hours for working-time SLAs (local time)."""

    start: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(default="18:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class EffectiveContact(_Strict):
    """An interaction that counts as real contact (stops first-contact timers)."""

    kind: Literal["call", "visit", "message", "email", "meeting"]
    min_duration_seconds: int = Field(default=0, ge=0)


class PackSettings(_Strict):
    """Single numbers the apps read; a misspelt key is an error, never a silently lost limit."""

    battle_report_refresh_seconds: int = Field(default=15, ge=1, le=3600)
    # How long a TV link of the battle report works (days) unless revoked earlier.
    battle_tv_link_days: int = Field(default=90, ge=1, le=3650)
    forecast_pace_drop_alert_pct: int = Field(default=15, ge=0, le=100)
    # Customers one rep may own at once; 0 means no limit.
    customer_claim_limit: int = Field(default=0, ge=0)
    # Local time of the nightly tag, health and lead-model pass.
    customer_nightly_at: str = Field(default="02:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    badges_for_training_seat: int = Field(default=5, ge=1)
    quote_health_red_below: int = Field(default=75, ge=0, le=100)
    # The weekly digest (每周简报) to each manager: ISO weekday (1 = Monday) and local time.
    weekly_digest_weekday: int = Field(default=1, ge=1, le=7)
    weekly_digest_at: str = Field(default="08:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    # How many days of trend the health and attribution pages draw.
    health_trend_days: int = Field(default=56, ge=7, le=366)
    # How many months the attribution board's process and result trends cover.
    attribution_months: int = Field(default=12, ge=2, le=36)
    # Each point of the acquisition-cost trend sums this many months (a rolling quarter).
    attribution_rolling_months: int = Field(default=3, ge=1, le=12)
    # Daily roll-ups of the cockpit (stage entries per day): the worker takes in the events every
    # this many minutes, so a rolled-up number is at most this old (plus one refresh's run).
    rollup_refresh_minutes: int = Field(default=5, ge=1, le=1440)
    # A company with fewer stage-history rows reads everything live (always current); at or above
    # it the worker builds the roll-ups and the cockpit reads them.
    rollup_min_stage_visits: int = Field(default=200_000, ge=0)
    # The tax rate (%) a new product gets unless its form says otherwise (增值税 13%).
    product_default_tax_rate_pct: int = Field(default=13, ge=0, le=100)


# Who approves a step, relative to the requester: their direct manager, their region's
# director, or anyone holding a role (the first of them to act decides).
APPROVER_FIXED = ("manager", "director")


def _approver(value: str) -> str:
    from salesflow.org.choices import Role

    kind, _, role = value.partition(":")
    if value in APPROVER_FIXED or (kind == "role" and role in Role.values):
        return value
    raise ValueError(
        f"“{value}” is not an approver (use manager, director or role:<{'|'.join(Role.values)}>)"
    )


class ApprovalChainStep(_Strict):
    """One step of an approval chain: who approves, when the step applies, its SLA policy."""

    code: str = Code
    name: str = Field(min_length=1, max_length=100)
    approver: Annotated[str, AfterValidator(_approver)]
    # A pack condition over the request's facts (`facts.<name>`); false → the step is skipped.
    condition: dict[str, Any] | None = None
    # An `sla_policies` entry whose subject is `approval_step` (reminder, escalation).
    sla_policy: str | None = None


class ApprovalChain(_Strict):
    """An ordered approval chain for one kind of subject (e.g. `special_quote` for quotes)."""

    code: str = Code
    name: str = Field(min_length=1, max_length=100)
    # The subject kind registered by the app that starts the requests (approvals.registry).
    subject: str = Code
    # The facts the steps' conditions read, with the label people see (申请折扣（%）…).
    facts: dict[str, str] = {}
    steps: list[ApprovalChainStep] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_steps(self) -> ApprovalChain:
        codes = [s.code for s in self.steps]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"duplicate step codes: {', '.join(duplicates)}")
        return self

    def step(self, code: str) -> ApprovalChainStep | None:
        """The step called `code`."""
        return next((s for s in self.steps if s.code == code), None)


# Fields whose values only some roles may see (SPEC §10 "margin visible to finance only"):
# `<record>.<field>` → the roles that see it. Everyone else never gets the value, in pages,
# the API, exports, search, history or the timeline.
FIELD_PERMISSION_KEYS = ("product.standard_cost", "product.margin")


def _field_permissions(value: dict[str, list[str]]) -> dict[str, list[str]]:
    from salesflow.org.choices import Role

    unknown_keys = sorted(set(value) - set(FIELD_PERMISSION_KEYS))
    if unknown_keys:
        raise ValueError(
            f"unknown field {', '.join(unknown_keys)} (known: {', '.join(FIELD_PERMISSION_KEYS)})"
        )
    for key, roles in value.items():
        unknown = sorted(set(roles) - set(Role.values))
        if unknown:
            raise ValueError(f"{key}: unknown role {', '.join(unknown)} (known: {', '.join(Role.values)})")
    return value


DEFAULT_FIELD_PERMISSIONS = {key: ["finance", "gm", "director"] for key in FIELD_PERMISSION_KEYS}


# ---------------------------------------------------------------------------------------------
# Work-order types (跨部门工单): each type's form, who handles it, its states and the proof each
# state needs, who must acknowledge it, an optional approval chain and its SLA policies.

WORKORDER_DEPARTMENTS = ("presales", "legal", "finance", "delivery", "product")
PROOF_KINDS = ("screenshot", "signed_file", "note")


def _handler_role(value: str) -> str:
    from salesflow.org.choices import Role

    if value not in Role.values:
        raise ValueError(f"“{value}” is not a role (known: {', '.join(Role.values)})")
    return value


def _party_who(value: str) -> str:
    from salesflow.org.choices import Role

    kind, _, role = value.partition(":")
    if value in ("raiser", "record_owner", "assignee") or (kind == "role" and role in Role.values):
        return value
    raise ValueError(
        f"“{value}” is not a party (use raiser, record_owner, assignee or role:<{'|'.join(Role.values)}>)"
    )


class WorkOrderField(_Strict):
    """One field of a work-order type's form: text, number, date or a choice of a tag dictionary."""

    key: str = Code
    label: str = Field(min_length=1, max_length=60)
    label_en: str = ""
    type: Literal["text", "number", "date", "choice"] = "text"
    # The tag dictionary (`tag_dictionaries`) a `choice` field offers; required for choices.
    dictionary: str | None = None
    required: bool = False
    max_length: int = Field(default=500, ge=1, le=4000)

    @model_validator(mode="after")
    def _choice_has_dictionary(self) -> WorkOrderField:
        if self.type == "choice" and not self.dictionary:
            raise ValueError("a choice field needs `dictionary` (a tag dictionary of the pack)")
        if self.type != "choice" and self.dictionary:
            raise ValueError("only a choice field takes `dictionary`")
        return self


class WorkOrderState(_Strict):
    """One state of a type's flow; entering it needs `proof` (screenshot, signed file, note)."""

    code: str = Code
    name: str = Field(min_length=1, max_length=40)
    name_en: str = ""
    proof: list[Literal["screenshot", "signed_file", "note"]] = []
    # An event recorded on entering the state (`workorder.<event>`), e.g. `plan_submitted`
    # stops the urgent-shipment plan timer.
    event: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$", max_length=60)
    # Entering this state closes the order (`workorder.closed`): the last state always does.
    closes: bool = False


class WorkOrderParty(_Strict):
    """A party that must acknowledge the order (销售, 售前, 交付 …) and who acts for it."""

    code: str = Code
    name: str = Field(min_length=1, max_length=40)
    name_en: str = ""
    # raiser (who raised it), record_owner (owner of the linked record), assignee (the handler),
    # role:<role> (anyone holding the role).
    who: Annotated[str, AfterValidator(_party_who)]


class WorkOrderType(_Strict):
    """A kind of cross-department work order (特价审批, 加急发货, 定制方案申请 …)."""

    code: str = Code
    name: str = Field(min_length=1, max_length=60)
    name_en: str = ""
    description: str = Field(default="", max_length=500)
    # The department queue it lands in (售前, 法务, 财务, 交付, 产品).
    department: Literal["presales", "legal", "finance", "delivery", "product"]
    # Roles that may handle it (assign, advance, close); its handler comes from the first role.
    handler_roles: list[Annotated[str, AfterValidator(_handler_role)]] = Field(min_length=1)
    form: list[WorkOrderField] = []
    states: list[WorkOrderState] = Field(min_length=2)
    parties: list[WorkOrderParty] = []
    # An approval chain (`approval_chains`, subject workorder) the order goes through when raised.
    approval_chain: str | None = None
    # The SLA policies (`sla_policies`, subject workorder) that run on orders of this type; they
    # start on `workorder.created` or `workorder.<code>_created`.
    sla_policies: list[str] = []
    # Orders of this type count as the customer's service requests in customer health.
    service_request: bool = False
    enabled: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> WorkOrderType:
        for section, key in (("form", "key"), ("states", "code"), ("parties", "code")):
            codes = [getattr(item, key) for item in getattr(self, section)]
            duplicates = sorted({c for c in codes if codes.count(c) > 1})
            if duplicates:
                raise ValueError(f"{section}: duplicate codes {', '.join(duplicates)}")
        if sum(1 for f in self.form if f.required) > 9:
            raise ValueError("form: at most 9 required fields")
        return self

    def state(self, code: str) -> WorkOrderState | None:
        """The state called `code`."""
        return next((s for s in self.states if s.code == code), None)

    def state_index(self, code: str) -> int:
        """The position of state `code` in the flow (-1 when unknown)."""
        return next((i for i, s in enumerate(self.states) if s.code == code), -1)

    def closes_at(self, code: str) -> bool:
        """Whether entering state `code` closes the order."""
        state = self.state(code)
        return state is not None and (state.closes or state is self.states[-1])

    def field(self, key: str) -> WorkOrderField | None:
        """The form field called `key`."""
        return next((f for f in self.form if f.key == key), None)


class RulePack(_Strict):
    """A complete, versionable set of management rules."""

    name: str
    description: str = ""
    industry: str = ""
    working_hours: WorkingHours = WorkingHours()
    tag_dictionaries: list[TagDictionary] = []
    required_fields: list[RequiredFields] = []
    stage_templates: list[StageTemplate] = []
    visit_packages: list[VisitPackage] = []
    evidence: EvidencePolicy = EvidencePolicy()
    imports: ImportPolicy = ImportPolicy()
    scoring: Scoring = Scoring()
    assignment: Assignment = Assignment()
    sla_policies: list[SlaPolicy] = []
    approval_chains: list[ApprovalChain] = []
    rules: list[Rule] = []
    tag_rules: list[TagRule] = []
    lights: Lights = Lights()
    effective_contacts: list[EffectiveContact] = [
        EffectiveContact(kind="call", min_duration_seconds=60),
        EffectiveContact(kind="visit"),
        EffectiveContact(kind="meeting"),
    ]
    customer_health: CustomerHealth = CustomerHealth()
    health_thresholds: list[HealthThreshold] = []
    commission_plans: list[CommissionPlan] = []
    contribution_points: dict[str, int] = {}
    settings: PackSettings = PackSettings()
    completeness_fields: list[CompletenessFields] = []
    ability_radar: list[RadarAxis] = []
    process_views: ProcessViews = ProcessViews()
    field_permissions: Annotated[dict[str, list[str]], AfterValidator(_field_permissions)] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_FIELD_PERMISSIONS.items()}
    )
    forecast: Forecast = Forecast()
    quotes: QuotePolicy = QuotePolicy()
    contracts: ContractPolicy = ContractPolicy()
    grants: GrantPolicy = GrantPolicy()
    # Recurring meetings fed by `add_to_agenda` (code → label, chair and viewer roles).
    meetings: Annotated[dict[str, Meeting], AfterValidator(_meeting_codes)] = Field(
        default_factory=lambda: {k: v.model_copy() for k, v in DEFAULT_MEETINGS.items()}
    )
    workorder_types: list[WorkOrderType] = []

    @model_validator(mode="after")
    def _forecast_stages_exist(self) -> RulePack:
        stages = {t.code: {s.code for s in t.stages} for t in self.stage_templates}
        for pace in self.forecast.pace_stages:
            if pace.stage not in stages.get(pace.pipeline, set()):
                where = f"{pace.pipeline}.{pace.stage}"
                raise ValueError(f"forecast.pace_stages: {where} is not a stage of the pack")
        codes = [m.code for m in self.forecast.milestones]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"forecast.milestones: duplicate codes {', '.join(duplicates)}")
        return self

    @model_validator(mode="after")
    def _unique_codes(self) -> RulePack:
        for section in (
            "tag_dictionaries",
            "stage_templates",
            "visit_packages",
            "sla_policies",
            "approval_chains",
            "rules",
            "tag_rules",
            "health_thresholds",
            "commission_plans",
            "ability_radar",
            "workorder_types",
        ):
            codes = [item.code for item in getattr(self, section)]
            duplicates = sorted({c for c in codes if codes.count(c) > 1})
            if duplicates:
                raise ValueError(f"{section}: duplicate codes {', '.join(duplicates)}")
        return self

    def rule(self, code: str) -> Rule | None:
        """The rule called `code`."""
        return next((r for r in self.rules if r.code == code), None)

    def policy(self, code: str) -> SlaPolicy | None:
        """The SLA policy called `code`."""
        return next((p for p in self.sla_policies if p.code == code), None)

    def policies_for(self, purpose: str) -> list[SlaPolicy]:
        """The SLA policies declared for `purpose` (see PolicyPurpose), in pack order."""
        return [p for p in self.sla_policies if p.purpose == purpose]

    def policy_codes_for(self, purpose: str) -> list[str]:
        """The codes of the policies declared for `purpose`."""
        return [p.code for p in self.policies_for(purpose)]

    def chain(self, code: str) -> ApprovalChain | None:
        """The approval chain called `code`."""
        return next((c for c in self.approval_chains if c.code == code), None)

    def roles_seeing(self, field_key: str) -> frozenset[str]:
        """The roles that may see `field_key` (e.g. `product.standard_cost`); unnamed keys: the default."""
        roles = self.field_permissions.get(field_key, DEFAULT_FIELD_PERMISSIONS.get(field_key, []))
        return frozenset(roles)

    def meeting(self, code: str) -> Meeting | None:
        """The meeting called `code`."""
        return self.meetings.get(code)

    def workorder_type(self, code: str) -> WorkOrderType | None:
        """The work-order type called `code`."""
        return next((t for t in self.workorder_types if t.code == code), None)

    def dictionary(self, code: str) -> TagDictionary | None:
        """The tag dictionary called `code`."""
        return next((d for d in self.tag_dictionaries if d.code == code), None)


def format_errors(exc: ValidationError) -> list[str]:
    """Each error as `path: reason`, e.g. `sla_policies[2].steps[0].after: "15x" is not …`."""
    lines = []
    for error in exc.errors():
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        lines.append(f"{path}: {message}" if path else message)
    return lines
