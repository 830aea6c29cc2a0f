"""A quote as one reader may see it, shared by the page and the API: the current version, its
lines, the special-quote reasons in words (margin numbers only for those who may see margins)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from salesflow.quotes import selectors
from salesflow.quotes.models import Quote, QuoteAttachment, QuoteLine, QuoteVersion


def person(user: Any) -> str:
    """A person's name as shown (never a login or an id)."""
    return str(user) if user is not None else ""


@dataclass(frozen=True)
class Reason:
    """Why a quote is special, in words."""

    code: str
    text: str


@dataclass(frozen=True)
class QuoteDetail:
    """Everything one reader sees of a quote."""

    quote: Quote
    version: QuoteVersion
    lines: list[QuoteLine]
    versions: list[QuoteVersion]
    attachments: list[QuoteAttachment]
    cost: selectors.CostView
    reasons: list[Reason]
    document_names: dict[str, str] = field(default_factory=dict)


def special_reasons(version: QuoteVersion, cost: selectors.CostView) -> list[Reason]:
    """The stored reasons in words; the margin's numbers only for margin readers."""
    shown = []
    for reason in version.special_reasons:
        if reason["code"] == "discount":
            text = f"最大折扣 {reason['value']}% 超过权限 {reason['limit']}%"
        elif cost.margin:
            text = f"毛利率 {reason['value']}% 低于下限 {reason['limit']}%"
        else:
            text = "毛利率低于权限下限"
        shown.append(Reason(reason["code"], text))
    return shown


def quote_detail(user: Any, quote: Quote) -> QuoteDetail:
    """The quote as `user` may see it."""
    version = selectors.current_version(quote)
    cost = selectors.cost_view(user)
    return QuoteDetail(
        quote=quote,
        version=version,
        lines=selectors.version_lines(version),
        versions=selectors.versions_of(quote),
        attachments=selectors.attachments_of(quote),
        cost=cost,
        reasons=special_reasons(version, cost),
        document_names={d.code: d.name for d in selectors.policy().documents},
    )
