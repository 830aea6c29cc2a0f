"""Sending a quote: the PDF snapshot (CJK text, amount in capitals, fonts embedded, stored with
its SHA-256) and the share link (public, logged, expiring, revocable; readings of a clause prompt
the rep to call)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
from datetime import timedelta
from typing import Any, cast

import pytest
from django.test import Client
from pypdf import PdfReader

from salesflow.core import clock
from salesflow.core.models import Event, PublicLinkAccess
from salesflow.core.public_links import public_link_revoke
from salesflow.core.testing import Trio, api_client_for
from salesflow.notify.models import Notification, Task
from salesflow.quotes import selectors, services
from salesflow.quotes.models import QuoteSectionView
from salesflow.timers.models import Deadline

from .helpers import deal, products, quote

pytestmark = pytest.mark.django_db


def _send(trio: Trio) -> services.SentQuote:
    hip, screw = products(trio)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (hip, 1, 5), (screw, 2, 0))
    return services.quote_send(quote=made, actor=trio.owner, share_base_url="https://crm.example.cn/")


def test_the_pdf_snapshot_prints_the_quote_in_chinese_with_embedded_fonts(trio: Trio) -> None:
    sent = _send(trio)
    version = selectors.current_version(sent.quote)
    data = version.pdf.read()
    assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == version.pdf_sha256
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    assert sent.quote.number in text and "仁和医院" in text and "髋关节假体" in text
    # ¥12,995.00 in capitals, and the clause templates.
    assert "壹万贰仟玖佰玖拾伍元整" in text and "付款方式" in text
    fonts: list[Any] = [
        font.get_object()
        for page in reader.pages
        for font in (cast(Any, page["/Resources"]).get_object().get("/Font") or {}).values()
    ]
    assert fonts
    for font in fonts:
        descriptor = (
            font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        )
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font
    assert sent.share_url.startswith("https://crm.example.cn/q/")


def test_poppler_reads_the_customer_and_the_amount_in_capitals_and_lists_the_cjk_font_embedded(
    trio: Trio, tmp_path: Any
) -> None:
    """What a customer's PDF reader sees, checked with poppler's own tools (installed by `make install`)."""
    for tool in ("pdftotext", "pdffonts"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: install Debian's poppler-utils (make install does)")
    sent = _send(trio)
    path = tmp_path / "quote.pdf"
    path.write_bytes(selectors.current_version(sent.quote).pdf.read())
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    )
    assert "仁和医院" in text.stdout and "壹万贰仟玖佰玖拾伍元整" in text.stdout
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, check=True, text=True
    ).stdout.splitlines()
    # name, type, encoding, emb, sub, uni, object, id: every font row says "yes" to embedded.
    rows = [line.split() for line in fonts[2:] if line.strip()]
    assert rows and any("Noto-Sans-CJK" in row[0] for row in rows), fonts
    assert all(row[-5] == "yes" for row in rows), fonts


def test_the_share_link_shows_the_quote_without_a_login_and_logs_the_open(trio: Trio) -> None:
    sent = _send(trio)
    path = sent.share_url.removeprefix("https://crm.example.cn")
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
    page = Client().get(path, HTTP_USER_AGENT=iphone, REMOTE_ADDR="203.0.113.7")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    opened = PublicLinkAccess.objects.get(kind="open")
    assert opened.device == "phone" and opened.ip_hash and "203.0.113.7" not in str(opened.__dict__)
    text = page.content.decode()
    assert sent.quote.number in text and "壹万贰仟玖佰玖拾伍元整" in text
    assert "4321.87" not in text and "4,321.87" not in text  # never a cost
    assert PublicLinkAccess.objects.filter(kind="open").count() == 1
    assert Event.objects.filter(name="quote.viewed", subject_id=sent.quote.pk).count() == 1
    pdf = Client().get(path + "pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    version = selectors.current_version(sent.quote)
    assert version.share_link is not None
    public_link_revoke(link=version.share_link, actor=trio.owner)
    gone = Client().get(path)
    assert gone.status_code == 410 and "已失效" in gone.content.decode()
    assert Client().get("/q/not-a-token/").status_code == 404


def test_the_link_expires_when_the_quote_validity_ends(trio: Trio) -> None:
    sent = _send(trio)
    version = selectors.current_version(sent.quote)
    end = clock.local_midnight(version.valid_until + timedelta(days=1))
    assert version.share_link is not None and version.share_link.expires_at == end


def test_repeated_reading_of_a_clause_prompts_the_rep_to_call_once(trio: Trio) -> None:
    sent = _send(trio)
    path = sent.share_url.removeprefix("https://crm.example.cn") + "read"
    client = Client()

    def read(section: str, seconds: object) -> int:
        body = json.dumps({"section": section, "seconds": seconds})
        return client.post(path, body, content_type="application/json").status_code

    assert read("payment", 1) == 204  # too short to count as a reading
    assert read("payment", 8) == 204 and read("payment", 5) == 204
    assert not Task.objects.filter(assignee=trio.owner, subject_type="quotes.quote").exists()
    assert read("payment", 4) == 204
    task = Task.objects.get(assignee=trio.owner, subject_type="quotes.quote")
    assert "付款方式" in task.title and "3 次" in task.title
    assert read("payment", 9) == 204 and read("lines", 30) == 204
    assert Task.objects.filter(subject_type="quotes.quote").count() == 1
    row = QuoteSectionView.objects.get(section="payment")
    assert row.views == 4 and row.seconds == 27
    assert read("nonsense", 5) == 400 and read("payment", -3) == 400 and read("payment", "x") == 400
    assert client.post(path, "not json", content_type="application/json").status_code == 400


def test_the_api_returns_the_share_link_once_and_the_pdf_to_readers(trio: Trio) -> None:
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (hip, 1, 0))
    sent = api_client_for(trio.owner).post(
        f"/api/v1/quotes/{made.pk}/send", {}, content_type="application/json"
    )
    assert sent.status_code == 200 and "/q/" in sent.json()["share_url"]
    again = api_client_for(trio.owner).get(f"/api/v1/quotes/{made.pk}").json()
    assert "share_url" not in again
    pdf = api_client_for(trio.manager).get(f"/api/v1/quotes/{made.pk}/versions/1/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert api_client_for(trio.outsider).get(f"/api/v1/quotes/{made.pk}/versions/1/pdf").status_code == 404
    assert api_client_for(trio.owner).get(f"/api/v1/quotes/{made.pk}/versions/2/pdf").status_code == 404


def test_the_quote_page_links_the_pdf_counts_opens_and_revokes_the_link(trio: Trio) -> None:
    sent = _send(trio)
    Client().get(sent.share_url.removeprefix("https://crm.example.cn"))
    owner = Client()
    owner.force_login(trio.owner)
    page = owner.get(f"/quotes/{sent.quote.pk}/").content.decode()
    assert f"/quotes/{sent.quote.pk}/versions/1.pdf" in page and "客户打开 1 次" in page
    owner.post(f"/quotes/{sent.quote.pk}/versions/1/revoke/")
    assert Client().get(sent.share_url.removeprefix("https://crm.example.cn")).status_code == 410
    assert "客户链接已撤销" in owner.get(f"/quotes/{sent.quote.pk}/").content.decode()
    teammate = Client()
    teammate.force_login(trio.teammate)
    assert teammate.post(f"/quotes/{sent.quote.pk}/versions/1/revoke/").status_code == 404


def test_the_customer_accepts_or_asks_for_changes_on_the_share_page(trio: Trio) -> None:
    sent = _send(trio)
    path = sent.share_url.removeprefix("https://crm.example.cn")
    customer = Client()
    page = customer.get(path).content.decode()
    assert 'data-testid="share-answer"' in page
    missing = customer.post(path, {"outcome": "feedback", "comment": ""})
    assert missing.status_code == 400 and 'data-error-for="comment"' in missing.content.decode()
    asked = customer.post(path, {"outcome": "feedback", "comment": "付款改为 40% 预付"})
    assert asked.status_code == 200 and 'data-testid="share-answered"' in asked.content.decode()
    sent.quote.refresh_from_db()
    assert sent.quote.state == "sent"  # changes asked: still open for the rep to revise
    pending = Deadline.objects.filter(
        subject_id=sent.quote.pk, policy="quote_follow_up", status=Deadline.Status.PENDING
    )
    assert not pending.exists()
    told = Notification.objects.filter(recipient=trio.owner, kind="quote.feedback_received")
    assert told.count() == 1 and "提出修改意见" in told.get().title
    accepted = customer.post(path, {"outcome": "accepted", "comment": ""})
    sent.quote.refresh_from_db()
    assert accepted.status_code == 200 and sent.quote.state == "accepted"
    again = customer.post(path, {"outcome": "accepted"})
    assert again.status_code == 409 and "已答复" in again.content.decode()


def test_the_rep_sees_what_the_customer_read_and_a_yellow_light_after_72_hours(trio: Trio) -> None:
    hip, _screw = products(trio)
    _customer, opportunity = deal(trio)
    made = quote(opportunity, trio.owner, (hip, 1, 0))
    sent = services.quote_send(
        quote=made,
        actor=trio.owner,
        share_base_url="https://crm.example.cn",
        now=clock.now() - timedelta(hours=73),
    )
    read = sent.share_url.removeprefix("https://crm.example.cn") + "read"
    Client().post(read, json.dumps({"section": "warranty", "seconds": 42}), content_type="application/json")
    owner = Client()
    owner.force_login(trio.owner)
    page = owner.get(f"/quotes/{made.pk}/").content.decode()
    assert 'data-testid="readings"' in page and "质保" in page and "看了 1 次" in page
    listed = owner.get("/quotes/").content.decode()
    assert 'data-testid="quote-yellow"' in listed and "超过 72 小时未确认" in listed
