"""POST bodies of the 客户 pages, parsed; the customers services validate and write."""

from __future__ import annotations

from django import forms

from salesflow.core.forms import ListField, PostForm, text_field


class CustomerForm(PostForm):
    """新建客户 on the list page."""

    name = text_field()
    industry_segment = text_field()
    customer_tier = text_field()
    address = text_field()


class ReleaseForm(PostForm):
    """释放 with a reason."""

    reason = text_field()


class UnfreezeForm(PostForm):
    """解除冻结 with a reason; `next` is the page to go back to (customer or opportunity)."""

    reason = text_field()
    next = text_field()


class NoteForm(PostForm):
    """A note; the switch makes it private."""

    text = text_field()
    private = forms.BooleanField(required=False)


class ContactForm(PostForm):
    """A contact person."""

    name = text_field()
    title = text_field()
    phone = text_field()
    email = text_field()


class OrderForm(PostForm):
    """An order entered by hand."""

    ordered_on = forms.DateField(
        input_formats=["%Y-%m-%d"],
        error_messages={"required": "下单日期格式应为 YYYY-MM-DD", "invalid": "下单日期格式应为 YYYY-MM-DD"},
    )
    amount = text_field()
    product_lines = ListField()
    models_bought = text_field()
    payment_term = text_field()


class TagConfirmForm(PostForm):
    """Confirm (accept=1) or dismiss the proposed class."""

    accept = text_field()

    @staticmethod
    def accepted(value: str) -> bool:
        """Only "1" confirms."""
        return value == "1"


class OpportunityForm(PostForm):
    """新建商机 on a customer's page."""

    title = text_field()
    amount = text_field()
    product_lines = ListField()
    pipeline = text_field()


class HandoverForm(PostForm):
    """离职交接: a rep's id or "pool"."""

    to = text_field()


class GrantForm(PostForm):
    """临时授权: a colleague, for how many days, and why (the service checks each)."""

    grantee = text_field()
    days = text_field()
    reason = text_field()
