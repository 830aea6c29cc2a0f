"""Fixed vocabularies of leads (tag values come from the rule pack's dictionaries)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LeadStatus(models.TextChoices):
    """Where a lead stands."""

    POOLED = "pooled", _("线索池")
    ASSIGNED = "assigned", _("已分配")
    ACKNOWLEDGED = "acknowledged", _("已查看")
    CONTACTED = "contacted", _("已联系")
    CONVERTED = "converted", _("已转化")
    DISQUALIFIED = "disqualified", _("无效")


OPEN_STATUSES = [LeadStatus.POOLED, LeadStatus.ASSIGNED, LeadStatus.ACKNOWLEDGED, LeadStatus.CONTACTED]
OWNED_OPEN_STATUSES = [LeadStatus.ASSIGNED, LeadStatus.ACKNOWLEDGED, LeadStatus.CONTACTED]

# Lead fields whose values are codes of a rule-pack tag dictionary of the same name.
TAG_FIELDS = ["industry_segment", "customer_tier", "product_line", "buying_stage", "company_size"]

# What a website form (and the hand-entry form) may send, in the order a form shows them.
TEXT_FIELDS = ["name", "phone", "email", "company", "title", "source", "message"]
UTM_FIELDS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]
INTAKE_FIELDS = [*TEXT_FIELDS, *TAG_FIELDS, "budget", *UTM_FIELDS]
