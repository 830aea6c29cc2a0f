"""Fixed vocabularies of quotes (the documents and clauses come from the rule pack)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class QuoteState(models.TextChoices):
    """Where a quote's current version stands."""

    DRAFT = "draft", _("草稿")
    IN_APPROVAL = "in_approval", _("审批中")
    APPROVED = "approved", _("已批准")
    SENT = "sent", _("已发出")
    ACCEPTED = "accepted", _("客户已接受")
    DECLINED = "declined", _("客户已拒绝")


# States in which the current version may still be edited in place.
EDITABLE_STATES = frozenset({QuoteState.DRAFT, QuoteState.APPROVED})
# States after which only a revision (a new version) changes the quote.
CLOSED_STATES = frozenset({QuoteState.ACCEPTED, QuoteState.DECLINED})
