"""The columns of each workbook: Chinese header, field, whether required; guessing a file's headers.

Export writes exactly these headers and import reads them back, so an exported file re-imports
unchanged ("what export writes, import reads back").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from salesflow.imports.choices import ExportKind, ImportKind


@dataclass(frozen=True)
class Column:
    """One column of a workbook."""

    field: str
    header: str
    header_en: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    # How export writes the cell: "" text, "money" (¥ #,##0.00), "date", "datetime", "number".
    fmt: str = ""
    # Column width in Excel's characters; 0 = from the header.
    width: int = 0

    @property
    def excel_width(self) -> int:
        """The width export gives the column: wide enough for the header (CJK is two wide)."""
        return self.width or max(10, 2 * len(self.header) + 4)


# Export writes the person's display name; import reads a display name (unique among the active
# users) or a username.
_OWNER = Column(
    "owner", "负责人", "Owner", aliases=("销售", "所属销售", "业务员", "owner username", "用户名"), width=14
)
_CUSTOMER = Column(
    "customer", "客户名称", "Customer", required=True, aliases=("客户", "公司名称", "单位名称"), width=30
)

COLUMNS: dict[str, list[Column]] = {
    ImportKind.CUSTOMERS: [
        Column(
            "name",
            "客户名称",
            "Name",
            required=True,
            aliases=("客户", "公司名称", "单位名称", "名称"),
            width=30,
        ),
        Column("industry_segment", "行业细分", "Industry segment", aliases=("行业",)),
        Column("customer_tier", "客户等级", "Customer tier", aliases=("等级",)),
        Column("customer_class", "客户分级", "Customer class", aliases=("分级",)),
        Column("region", "区域", "Region", aliases=("大区", "团队")),
        Column("address", "地址", "Address", aliases=("详细地址",), width=36),
        Column("payment_term", "付款条件偏好", "Payment term", aliases=("付款条件", "账期")),
        _OWNER,
    ],
    ImportKind.CONTACTS: [
        _CUSTOMER,
        Column("name", "姓名", "Name", required=True, aliases=("联系人", "联系人姓名")),
        Column("title", "职务", "Title", aliases=("职位",)),
        Column("phone", "手机", "Phone", aliases=("电话", "手机号", "联系电话", "mobile"), width=16),
        Column("email", "邮箱", "Email", aliases=("电子邮箱", "e-mail", "mail"), width=24),
    ],
    ImportKind.ORDERS: [
        _CUSTOMER,
        Column(
            "ordered_on",
            "下单日期",
            "Ordered on",
            required=True,
            aliases=("日期", "订单日期", "date"),
            fmt="date",
        ),
        Column(
            "amount",
            "金额",
            "Amount",
            required=True,
            aliases=("订单金额", "含税金额", "金额（元）"),
            fmt="money",
        ),
        Column("product_lines", "产品线", "Product lines"),
        Column("models_bought", "型号", "Models", aliases=("产品型号", "规格型号")),
        Column("payment_term", "付款条件", "Payment term", aliases=("账期",)),
        Column("reference", "订单号", "Reference", aliases=("订单编号", "单号", "erp单号"), width=18),
    ],
    ImportKind.LEADS: [
        Column("name", "姓名", "Name", required=True, aliases=("联系人", "客户姓名")),
        Column("phone", "手机", "Phone", aliases=("电话", "手机号", "联系电话", "mobile"), width=16),
        Column("email", "邮箱", "Email", aliases=("电子邮箱", "e-mail", "mail"), width=24),
        Column("company", "公司", "Company", aliases=("公司名称", "单位", "医院"), width=30),
        Column("title", "职务", "Title", aliases=("职位",)),
        Column("industry_segment", "行业细分", "Industry segment", aliases=("行业",)),
        Column("customer_tier", "客户等级", "Customer tier", aliases=("等级",)),
        Column("product_line", "产品线", "Product line"),
        Column("buying_stage", "采购阶段", "Buying stage"),
        Column("company_size", "公司规模", "Company size", aliases=("规模",)),
        Column("budget", "预算", "Budget", aliases=("预算金额",), fmt="money", width=16),
        Column("source", "来源", "Source", aliases=("线索来源", "渠道")),
        Column("message", "留言", "Message", aliases=("备注", "需求"), width=40),
        _OWNER,
    ],
    ImportKind.PRODUCTS: [
        Column(
            "sku",
            "型号",
            "SKU",
            required=True,
            aliases=("规格型号", "产品型号", "货号", "sku", "model"),
            width=18,
        ),
        Column("name", "产品名称", "Name", required=True, aliases=("产品", "名称", "品名"), width=30),
        Column("product_line", "产品线", "Product line"),
        Column("unit", "单位", "Unit", aliases=("计量单位",)),
        Column(
            "list_price",
            "目录价",
            "List price",
            required=True,
            aliases=("单价", "价格", "销售价", "目录价（元）", "list price"),
            fmt="money",
            width=16,
        ),
        # Written and read only for roles the pack lets see costs (imports.selectors.export_columns).
        Column(
            "standard_cost", "标准成本", "Standard cost", aliases=("成本", "成本价"), fmt="money", width=16
        ),
        Column("tax_rate_pct", "税率（%）", "Tax rate %", aliases=("税率", "增值税率"), fmt="number"),
        Column("active", "在售", "Active", aliases=("状态", "是否在售")),
    ],
}

# What only export writes (nothing imports these): the board's opportunities, the activities.
EXPORT_ONLY_COLUMNS: dict[str, list[Column]] = {
    ExportKind.OPPORTUNITIES: [
        Column("title", "商机名称", "Title", width=30),
        Column("customer", "客户名称", "Customer", width=30),
        Column("amount", "金额", "Amount", fmt="money", width=16),
        Column("pipeline", "销售流程", "Pipeline", width=16),
        Column("stage", "阶段", "Stage", width=14),
        Column("status", "状态", "Status"),
        Column("expected_close", "预计成交", "Expected close", fmt="date", width=12),
        Column("product_lines", "产品线", "Product lines", width=16),
        Column("owner", "负责人", "Owner", width=14),
        Column("stage_entered_at", "进入阶段时间", "Stage entered", fmt="datetime", width=17),
        Column("last_update_at", "最近更新", "Last update", fmt="datetime", width=17),
        Column("created_at", "创建时间", "Created", fmt="datetime", width=17),
    ],
    # The quote list (costs and margins never leave the quote page of those who may see them).
    ExportKind.QUOTES: [
        Column("number", "报价单号", "Quote no.", width=18),
        Column("title", "报价名称", "Title", width=30),
        Column("customer", "客户名称", "Customer", width=30),
        Column("owner", "负责人", "Owner", width=14),
        Column("version", "版本", "Version"),
        Column("state", "状态", "State"),
        Column("total", "含税总额", "Total incl. tax", fmt="money", width=16),
        Column("health_score", "健康度", "Health"),
        Column("special", "特殊报价", "Special"),
        Column("sent_at", "发出时间", "Sent", fmt="datetime", width=17),
        Column("updated_at", "更新时间", "Updated", fmt="datetime", width=17),
    ],
    ExportKind.CONTRACTS: [
        Column("number", "合同编号", "Contract no.", width=18),
        Column("title", "合同名称", "Title", width=30),
        Column("customer", "客户名称", "Customer", width=30),
        Column("owner", "负责人", "Owner", width=14),
        Column("state", "状态", "State"),
        Column("amount", "合同金额", "Amount", fmt="money", width=16),
        Column("received", "已回款", "Received", fmt="money", width=16),
        Column("collected_pct", "回款进度（%）", "Collected (%)", fmt="number"),
        Column("signed_on", "签订日期", "Signed", fmt="date", width=12),
        Column("updated_at", "更新时间", "Updated", fmt="datetime", width=17),
    ],
    # The instalments behind the receivables ageing (应收账款), as the page filters them.
    ExportKind.RECEIVABLES: [
        Column("contract", "合同编号", "Contract no.", width=18),
        Column("customer", "客户名称", "Customer", width=30),
        Column("owner", "负责人", "Owner", width=14),
        Column("team", "团队", "Team", width=14),
        Column("instalment", "回款节点", "Instalment", width=14),
        Column("due_date", "到期日", "Due", fmt="date", width=12),
        Column("bucket", "账龄", "Ageing", width=12),
        Column("amount", "应收金额", "Amount", fmt="money", width=16),
        Column("outstanding", "未回款", "Outstanding", fmt="money", width=16),
        Column("state", "状态", "State"),
    ],
    # A tab of 我的审批 (`state`: pending, mine or done), as the page lists it.
    ExportKind.APPROVALS: [
        Column("summary", "审批事项", "Subject", width=40),
        Column("chain", "审批流程", "Chain", width=16),
        Column("requester", "申请人", "Requester", width=14),
        Column("state", "状态", "State"),
        Column("current_step", "当前步骤", "Current step", width=16),
        Column("created_at", "申请时间", "Requested", fmt="datetime", width=17),
        Column("decided_at", "完成时间", "Decided", fmt="datetime", width=17),
    ],
    # The minutes of a meeting's month (`meeting`, `month`=YYYY-MM): 月度流程复盘 by default.
    ExportKind.REVIEW_MINUTES: [
        Column("group", "类别", "Group", width=14),
        Column("team", "团队", "Team", width=14),
        Column("subject", "记录", "Record", width=36),
        Column("reason", "原因", "Reason", width=30),
        Column("rule", "规则", "Rule", width=30),
        Column("created_at", "列入议程", "On the agenda", fmt="datetime", width=17),
        Column("discussed", "已讨论", "Discussed"),
        Column("discussed_at", "讨论时间", "Discussed at", fmt="datetime", width=17),
        Column("decision", "决议", "Decision", width=50),
        Column("decision_owner", "责任人", "Owner", width=14),
        Column("decided_at", "决议时间", "Decided at", fmt="datetime", width=17),
    ],
    ExportKind.WORKORDERS: [
        Column("number", "工单号", "Number", width=16),
        Column("type", "工单类型", "Type", width=14),
        Column("title", "标题", "Title", width=30),
        Column("customer", "客户名称", "Customer", width=30),
        Column("department", "处理部门", "Department"),
        Column("state", "状态", "State", width=14),
        Column("assignee", "处理人", "Handler", width=14),
        Column("raised_by", "发起人", "Raised by", width=14),
        Column("raised_at", "发起时间", "Raised", fmt="datetime", width=17),
        Column("acknowledged_at", "各方确认时间", "Acknowledged", fmt="datetime", width=17),
        Column("sla_due", "下一时限", "Next SLA", fmt="datetime", width=17),
        Column("escalations", "已升级次数", "Escalations", fmt="number"),
        Column("closed_at", "关闭时间", "Closed", fmt="datetime", width=17),
    ],
    ExportKind.ACTIVITIES: [
        Column("occurred_at", "时间", "When", fmt="datetime", width=17),
        Column("kind", "方式", "Kind"),
        Column("record", "对象", "Record", width=12),
        Column("name", "名称", "Name", width=30),
        Column("actor", "记录人", "By", width=14),
        Column("duration", "时长（分钟）", "Minutes", fmt="number"),
        Column("effective", "有效接触", "Effective"),
        Column("note", "备注", "Note", width=48),
    ],
}

# Lead sources as people say them (the 来源 column); import reads these back to the codes, and
# any other text is kept as typed.
LEAD_SOURCES: dict[str, str] = {
    "website": "官网",
    "web": "网站表单",
    "baidu": "百度",
    "wechat": "微信",
    "expo": "展会",
    "referral": "转介绍",
    "import": "Excel 导入",
    "manual": "手工录入",
    "api": "API",
}

# How each kind finds the record a row means (its natural key), for the update modes. The
# wizard and the API describe the modes with these.
NATURAL_KEYS: dict[str, Any] = {
    ImportKind.CUSTOMERS: _("客户名称（忽略空格、括号与大小写）"),
    ImportKind.CONTACTS: _("客户名称 + 手机；没有手机时客户名称 + 姓名"),
    ImportKind.ORDERS: _("客户名称 + 订单号（没有订单号的行只能新建）"),
    ImportKind.LEADS: _("手机，没有手机时邮箱（只匹配未关闭的线索）"),
    ImportKind.PRODUCTS: _("型号（忽略空格与大小写）"),
}

# Fields whose cells are codes of the pack's tag dictionary of the same name (labels accepted).
TAG_FIELDS: dict[str, dict[str, str]] = {
    ImportKind.CUSTOMERS: {
        "industry_segment": "industry_segment",
        "customer_tier": "customer_tier",
        "customer_class": "customer_class",
    },
    ImportKind.ORDERS: {"product_lines": "product_line"},
    ImportKind.LEADS: {
        f: f for f in ("industry_segment", "customer_tier", "product_line", "buying_stage", "company_size")
    },
    ImportKind.PRODUCTS: {"product_line": "product_line"},
}

_NOISE = re.compile(r"[\s*＊:：()（）]")


def _key(text: str) -> str:
    return _NOISE.sub("", str(text or "")).lower()


def columns_of(kind: str) -> list[Column]:
    """The columns of `kind` in export order (import reads those of the import kinds)."""
    return COLUMNS[kind] if kind in COLUMNS else EXPORT_ONLY_COLUMNS[kind]


def column(kind: str, field: str) -> Column:
    """The column of `kind` writing `field`."""
    return next(c for c in COLUMNS[kind] if c.field == field)


def guess_mapping(kind: str, headers: list[str]) -> dict[str, int]:
    """field → index of the file's column: exact headers (Chinese, English, field) first, then aliases."""
    mapping: dict[str, int] = {}
    keys = [_key(h) for h in headers]
    passes = [lambda c: (c.header, c.header_en, c.field), lambda c: c.aliases]
    for names_of in passes:
        for col in COLUMNS[kind]:
            if col.field in mapping:
                continue
            for name in names_of(col):
                index = keys.index(_key(name)) if _key(name) in keys else -1
                if index >= 0 and index not in mapping.values():
                    mapping[col.field] = index
                    break
    return mapping
