"""Walk the demo company's record pages and rules pages: what a user reads holds no codes.

Timelines, the 历史 tab, evidence tiles, score factors and rule firings are rendered for every
demo lead, opportunity and a sample of customers; the visible text (not attributes, scripts or
the YAML behind 高级) must not contain a pack dictionary's code, a stage / evidence / timer code,
an `app.model:id` reference or a username.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone

from salesflow.activities.models import ActivityKind
from salesflow.customers.models import Customer
from salesflow.leads.models import Lead
from salesflow.org.models import User
from salesflow.pipeline.choices import EVIDENCE_KIND_LABELS
from salesflow.pipeline.models import Opportunity
from salesflow.rules.selectors import active_pack

# Containers whose text is not read as labels: the YAML diff behind 高级 is code by design.
_SKIPPED = {"script", "style", "details", "template"}


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    """The text a person reads on a page (attributes, scripts and 高级 left out)."""
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def _forbidden_codes() -> set[str]:
    _number, pack = active_pack()
    codes = {d.code for d in pack.tag_dictionaries}
    codes |= {c.code for d in pack.tag_dictionaries for c in d.choices if "_" in c.code or len(c.code) >= 5}
    for template in pack.stage_templates:
        codes.add(template.code)
        for stage in template.stages:
            codes.add(stage.code)
            codes |= {r.code for r in stage.exit_evidence}
    codes |= {i.code for p in pack.visit_packages for i in p.items}
    codes |= {p.code for p in pack.sla_policies} | {r.code for r in pack.rules}
    codes |= set(EVIDENCE_KIND_LABELS) | {str(k) for k in ActivityKind.values}
    codes |= {"weighted", "round_robin", "capability", "tier_fit", "product_line_skill", "open_workload"}
    # Event names the pack's rules and timers start and stop on (`quote.sent`, `opportunity.left_…`).
    codes |= {r.trigger for r in pack.rules}
    codes |= {e for p in pack.sla_policies for e in [*p.start_events, *p.stop_events]}
    return codes


def _offences(text: str, codes: set[str], usernames: set[str]) -> list[str]:
    words = set(re.findall(r"(?<![\w.:/-])[a-z][a-z0-9_]*(?![\w-])", text))
    words |= set(re.findall(r"(?<![\w.:/@-])[a-z]+\.[a-z_]+(?![\w.@-])", text))
    found = sorted((words & codes) | (words & usernames))
    found += re.findall(r"\b[a-z]+\.[a-z]+:\d+\b", text)
    found += [line for line in text.splitlines() if re.search(r"\b(created|updated) at\b", line)]
    return found


@pytest.fixture
def demo(db: None) -> None:
    from salesflow.core.demo import build_context, run_demo

    run_demo(build_context(seed=7, reps=12, months=1, now=timezone.now(), password_hash=make_password("x")))


def test_record_and_rules_pages_show_labels_not_codes(demo: None, client: Client) -> None:
    client.force_login(User.objects.get(username="admin"))
    codes = _forbidden_codes()
    usernames = set(User.objects.values_list("username", flat=True)) - {"admin"}
    pages = ["/settings/rules/", "/settings/rules/versions/"]
    for lead in Lead.objects.order_by("pk"):
        pages += [f"/leads/{lead.pk}/", f"/records/lead/{lead.pk}/history/"]
    for opportunity in Opportunity.objects.order_by("pk"):
        pages += [f"/opportunities/{opportunity.pk}/", f"/records/opportunity/{opportunity.pk}/history/"]
    for customer in Customer.objects.exclude(owner=None).order_by("pk")[:25]:
        pages += [f"/customers/{customer.pk}/", f"/records/customer/{customer.pk}/history/"]
    number = active_pack()[0]
    pages.append(f"/settings/rules/versions/{number}/")

    problems = {}
    rendered = 0
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        rendered += len(text)
        if found := _offences(text, codes, usernames):
            problems[url] = found
    assert problems == {}
    assert rendered > 50_000  # the walk really read the pages

    # The walk covered what it claims to: factors, evidence tiles, history, firings.
    lead_page = client.get(f"/leads/{Lead.objects.exclude(score_factors=[]).first().pk}/").content.decode()  # type: ignore[union-attr]
    assert "客户等级：" in visible_text(lead_page) or "采购阶段：" in visible_text(lead_page)
    rules_page = visible_text(client.get("/settings/rules/").content.decode())
    assert "通知 " in rules_page and "客户 " in rules_page


def test_the_checker_catches_codes() -> None:
    codes = {"tier2a", "door_plate_photo", "quote.sent"}
    text = (
        "客户等级：tier2a\n证据 door_plate_photo\n通知 rep26\n开始于 quote.sent\n"
        "customers.customer:109\ncreated at"
    )
    found = _offences(text, codes, {"rep26"})
    assert found == [
        "door_plate_photo",
        "quote.sent",
        "rep26",
        "tier2a",
        "customers.customer:109",
        "created at",
    ]
