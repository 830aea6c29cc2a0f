"""Fixed vocabularies of the organisation model."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a person does; drives data scope and who is notified or escalated to."""

    REP = "rep", _("销售")
    MANAGER = "manager", _("销售主管")
    DIRECTOR = "director", _("销售总监")
    PRESALES = "presales", _("售前工程师")
    LEGAL = "legal", _("法务")
    FINANCE = "finance", _("财务")
    DELIVERY = "delivery", _("交付")
    OPS_ADMIN = "ops_admin", _("销售运营")
    COO = "coo", _("运营总监")
    GM = "gm", _("总经理")
    INTEGRATION = "integration", _("集成账号")


class TeamKind(models.TextChoices):
    """A level of the team tree: company → region → team."""

    COMPANY = "company", _("公司")
    REGION = "region", _("大区")
    TEAM = "team", _("团队")


class SkillKind(models.TextChoices):
    """What a skill code refers to in the rule pack's dictionaries."""

    PRODUCT_LINE = "product_line", _("产品线")
    CUSTOMER_TIER = "customer_tier", _("客户等级")


# Roles that may do what a manager may over the records in their scope (a team, a region,
# the company): SPEC — "a director and the GM may do what a manager may".
MANAGING_ROLES = frozenset({Role.MANAGER, Role.DIRECTOR, Role.GM})

# Roles that see every record of the company.
COMPANY_WIDE_ROLES = {Role.OPS_ADMIN, Role.COO, Role.GM}
