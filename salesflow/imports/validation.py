"""Checking a whole workbook before anything is written: set-based, one query per lookup.

Every problem becomes a RowError (Excel row number, the file's column header, a reason a
person can act on). Nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from salesflow.catalog.models import Product
from salesflow.catalog.permissions import can_see_cost
from salesflow.catalog.services import PRODUCT_EDITABLE, normalise_sku, parse_rate
from salesflow.core import clock, normalize
from salesflow.core.errors import FieldErrors
from salesflow.customers.models import Contact, Customer, Order
from salesflow.customers.selectors import customers_visible_to
from salesflow.customers.services import CONTACT_EDITABLE, CUSTOMER_EDITABLE, ORDER_EDITABLE
from salesflow.imports.choices import ImportKind, ImportMode, RowAction
from salesflow.imports.spec import LEAD_SOURCES, TAG_FIELDS, Column, columns_of
from salesflow.imports.xlsx import Sheet
from salesflow.leads.choices import OPEN_STATUSES
from salesflow.leads.models import Lead
from salesflow.leads.selectors import leads_visible_to
from salesflow.leads.services import LEAD_EDITABLE
from salesflow.org.models import Team, User
from salesflow.org.selectors import visible_owner_ids
from salesflow.rules.selectors import active_pack

# Stay well under SQLite's bound on query parameters.
CHUNK = 5000
LIMITS: dict[str, dict[str, int]] = {
    ImportKind.CUSTOMERS: {"name": 200, "address": 300, "payment_term": 100},
    ImportKind.CONTACTS: {"name": 100, "title": 100, "phone": 40, "email": 200},
    ImportKind.ORDERS: {"models_bought": 300, "payment_term": 100, "reference": 60},
    ImportKind.LEADS: {
        "name": 100,
        "phone": 40,
        "email": 200,
        "company": 200,
        "title": 100,
        "source": 60,
        "message": 4000,
    },
    ImportKind.PRODUCTS: {"sku": 60, "name": 200, "unit": 20},
}
_SPLIT = re.compile(r"[,，、;；/|\s]+")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class RowError:
    """One problem of one row: Excel row number, column header, reason."""

    row: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """The API and job shape."""
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class Checked:
    """A validated workbook: clean rows ready to write, and every bad row's problems."""

    kind: str
    headers: list[str]
    good: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    bad: dict[int, list[RowError]] = field(default_factory=dict)
    raw: dict[int, list[Any]] = field(default_factory=dict)
    mode: str = ImportMode.CREATE
    # Good row → what the import does with it (新建 / 更新 / 不变) and, for 更新, the changed
    # columns (the file's headers).
    actions: dict[int, str] = field(default_factory=dict)
    changed: dict[int, list[str]] = field(default_factory=dict)

    def count(self, action: str) -> int:
        """How many rows the import creates, updates or leaves (RowAction), or rows in error."""
        if action == RowAction.ERROR:
            return len(self.bad)
        return sum(1 for a in self.actions.values() if a == action)

    def outcomes(self) -> list[dict[str, Any]]:
        """Every row in order: its action, changed columns, problems (the dry run's table)."""
        rows = sorted({*self.actions, *self.bad})
        return [
            {
                "row": n,
                "action": RowAction.ERROR if n in self.bad else self.actions[n],
                "changed": self.changed.get(n, []),
                "errors": [e.reason for e in self.bad.get(n, [])],
            }
            for n in rows
        ]

    @property
    def errors(self) -> list[RowError]:
        """All problems, in row order."""
        return [e for row in sorted(self.bad) for e in self.bad[row]]


def cell_text(value: Any) -> str:
    """A cell as text: integral numbers without `.0` (phones typed as numbers), dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def tag_lookup(dictionary_code: str) -> tuple[str, dict[str, str]]:
    """(dictionary name, {code / Chinese label / English label → code}) of a pack dictionary."""
    _number, pack = active_pack()
    dictionary = pack.dictionary(dictionary_code)
    if dictionary is None:
        return dictionary_code, {}
    lookup: dict[str, str] = {}
    for choice in dictionary.choices:
        for name in (choice.code, choice.label, choice.label_en):
            if name:
                lookup[_squash(name)] = choice.code
    return dictionary.name, lookup


def tag_labels(dictionary_code: str) -> dict[str, str]:
    """code → Chinese label of a pack dictionary (what export writes)."""
    _number, pack = active_pack()
    dictionary = pack.dictionary(dictionary_code)
    return {c.code: c.label for c in dictionary.choices} if dictionary else {}


def parse_amount(text: str) -> Decimal | None:
    """`50,000.00`, `¥50000`, `50000元` → Decimal('50000.00'); None when not an amount."""
    try:
        value = Decimal(text.replace(",", "").replace("，", "").replace("¥", "").replace("元", "").strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        return None
    return value.quantize(Decimal("0.01"))


def parse_date(value: Any) -> date | None:
    """A date cell, or text in the usual Chinese spellings; None when not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


class _Row:
    """Collects one row's clean values and problems."""

    def __init__(self, number: int, headers: dict[str, str]) -> None:
        self.number = number
        self.headers = headers
        self.values: dict[str, Any] = {}
        self.errors: list[RowError] = []

    def error(self, fieldname: str, reason: str) -> None:
        self.errors.append(RowError(self.number, self.headers[fieldname], reason))


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


class _Context:
    """Lookups shared by every row, each loaded with one query."""

    def __init__(self, kind: str, actor: User | None, mode: str = ImportMode.CREATE) -> None:
        self.kind = kind
        self.actor = actor
        self.mode = mode
        self._ambiguous: set[str] = set()
        self.tags = {f: tag_lookup(d) for f, d in TAG_FIELDS.get(kind, {}).items()}
        self._users: dict[str, User] | None = None
        self._teams: dict[str, Team] | None = None
        self.scope = visible_owner_ids(actor) if actor is not None else None

    def owner(self, text: str) -> User | None:
        if self._users is None:
            users = list(User.objects.filter(is_active=True).order_by("id"))
            names: dict[str, list[User]] = {}
            for user in users:
                if user.display_name:
                    names.setdefault(user.display_name, []).append(user)
            self._users = {name: found[0] for name, found in names.items() if len(found) == 1}
            self._ambiguous = {name for name, found in names.items() if len(found) > 1}
            self._users.update({user.username.lower(): user for user in users})
        return self._users.get(text.lower()) or self._users.get(text)

    def ambiguous(self, text: str) -> bool:
        """Whether `text` is the display name of more than one active user (and no username)."""
        return text in self._ambiguous

    def found(self, row: _Row, fieldname: str, pk: int, message: str) -> None:
        """The row's record exists: an error when only creating, else the record to update."""
        if self.mode == ImportMode.CREATE:
            row.error(fieldname, message)
        else:
            row.values["_match"] = pk

    def key(self, row: _Row, fieldname: str) -> None:
        """The column a row is matched by (named when update-only finds nothing)."""
        row.values["_key_field"] = fieldname

    def team(self, text: str) -> Team | None:
        if self._teams is None:
            self._teams = {}
            for team in Team.objects.order_by("-id"):
                self._teams[team.name] = team
        return self._teams.get(text)


def _common(row: _Row, raw: dict[str, str], columns: list[Column], ctx: _Context) -> None:
    """Required fields, lengths, tags and owner, shared by every kind."""
    limits = LIMITS[ctx.kind]
    for col in columns:
        text = raw.get(col.field, "")
        if col.required and not text:
            row.error(col.field, f"必填项「{col.header}」为空 / {col.header_en} is required.")
        elif col.field in limits and len(text) > limits[col.field]:
            row.error(col.field, f"不能超过 {limits[col.field]} 字 / At most {limits[col.field]} characters.")
    for fieldname, (name, lookup) in ctx.tags.items():
        text = raw.get(fieldname, "")
        if not text:
            continue
        parts = [p for p in _SPLIT.split(text) if p] if fieldname == "product_lines" else [text]
        codes = []
        for part in parts:
            code = lookup.get(_squash(part))
            if code is None:
                row.error(fieldname, f"未知标签“{part}”，不在「{name}」中 / Unknown tag for {name}.")
            else:
                codes.append(code)
        row.values[fieldname] = codes if fieldname == "product_lines" else (codes[0] if codes else "")
    if raw.get("owner"):
        owner = ctx.owner(raw["owner"])
        if owner is None and ctx.ambiguous(raw["owner"]):
            row.error("owner", f"有多位同名的“{raw['owner']}”，请填写用户名 / Several users have this name.")
        elif owner is None:
            row.error("owner", f"未知负责人“{raw['owner']}” / No active user with this name.")
        elif ctx.scope is not None and owner.pk not in ctx.scope:
            row.error("owner", f"无权把记录分给“{raw['owner']}” / Outside your team.")
        else:
            row.values["owner"] = owner


def _phone_email(row: _Row, raw: dict[str, str]) -> None:
    phone, email = raw.get("phone", ""), raw.get("email", "")
    if phone and len(normalize.phone(phone)) < 7:
        row.error("phone", f"电话号码不完整“{phone}” / Not a complete phone number.")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            row.error("email", f"邮箱格式不正确“{email}” / Not a valid e-mail address.")
    row.values["phone_key"] = normalize.phone(phone)
    row.values["email_key"] = normalize.email(email)


def _customers_by_key(keys: set[str], actor: User | None) -> dict[str, int]:
    """name_key → id of the customers the importer may see (oldest first wins)."""
    qs = customers_visible_to(actor) if actor is not None else Customer.objects.all()
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(keys)):
        for key, pk in qs.filter(name_key__in=chunk).order_by("-id").values_list("name_key", "id"):
            found[key] = pk
    return found


def validate(
    kind: str, sheet: Sheet, mapping: dict[str, int], *, actor: User | None, mode: str = ImportMode.CREATE
) -> Checked:
    """Check every row of `sheet` (columns per `mapping`: field → column index).

    `mode` (ImportMode) says what a row whose record exists means: an error (仅新建), or the
    record to update (仅更新 / 新建或更新; only the columns whose cells differ are written, and
    an empty cell leaves the field as it is). Every good row gets its action.
    """
    if mode not in ImportMode.values:
        raise FieldErrors({"mode": [f"应为 {', '.join(ImportMode.values)} 之一 / Unknown mode."]})
    columns = columns_of(kind)
    missing = [c.header for c in columns if c.required and c.field not in mapping]
    if missing:
        raise FieldErrors({"file": [f"缺少必填列 / Missing columns: {'、'.join(missing)}"]})
    if (
        kind == ImportKind.PRODUCTS
        and "standard_cost" in mapping
        and actor is not None
        and not can_see_cost(actor)
    ):
        raise FieldErrors(
            {
                "file": [
                    "你的角色无权导入标准成本，请删除「标准成本」列或不映射它 / "
                    "Your role may not import standard costs: drop that column."
                ]
            }
        )
    width = len(sheet.headers)
    bad_index = [f for f, i in mapping.items() if not 0 <= i < width]
    if bad_index:
        raise FieldErrors({"mapping": [f"列不存在 / No such column for: {', '.join(bad_index)}"]})
    headers = {
        c.field: (sheet.headers[mapping[c.field]] or c.header) if c.field in mapping else c.header
        for c in columns
    }
    ctx = _Context(kind, actor, mode)
    checked = Checked(kind=kind, headers=sheet.headers, mode=mode)
    rows: list[tuple[_Row, dict[str, str]]] = []
    for number, cells in sheet.rows:
        raw = {f: cell_text(cells[i]) if i < len(cells) else "" for f, i in mapping.items()}
        row = _Row(number, headers)
        _common(row, raw, columns, ctx)
        checked.raw[number] = cells
        rows.append((row, raw))
        if kind in (ImportKind.CONTACTS, ImportKind.LEADS):
            _phone_email(row, raw)
        if kind in (ImportKind.CONTACTS, ImportKind.ORDERS):
            row.values["customer_key"] = normalize.company(raw.get("customer", ""))
        if kind == ImportKind.ORDERS:
            _order_values(row, raw, cells, mapping)
        if kind == ImportKind.PRODUCTS:
            _product_values(row, raw)
    _KIND_CHECKS[kind](rows, ctx)
    for row, raw in rows:
        for fieldname, text in raw.items():  # plain text columns, and empty optional ones
            row.values.setdefault(fieldname, text)
    _match(rows, ctx, mapping, checked)
    for row, _raw in rows:
        if row.errors:
            checked.bad[row.number] = row.errors
        else:
            checked.good.append((row.number, row.values))
    return checked


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _differs(fieldname: str, new: Any, record: Any) -> bool:
    if fieldname in ("owner", "region"):
        return bool(new.pk != getattr(record, f"{fieldname}_id"))
    old = getattr(record, fieldname)
    if isinstance(new, str):
        return new.strip() != (old or "").strip()
    if isinstance(new, Decimal):
        return old is None or Decimal(old) != new
    return bool(new != old)


def _match(
    rows: list[tuple[_Row, dict[str, str]]], ctx: _Context, mapping: dict[str, int], checked: Checked
) -> None:
    """Each good row's action: 新建, 更新 (with the columns that differ) or 不变 — or, when only
    updating, an error naming the key column for a row whose record is not there."""
    model, editable = _MATCHED[ctx.kind]
    ids = {r.values["_match"] for r, _raw in rows if not r.errors and "_match" in r.values}
    records = model.objects.in_bulk(sorted(ids)) if ids else {}
    if ids and ctx.actor is not None and ctx.kind in _SCOPES:
        visible = set(_SCOPES[ctx.kind](ctx.actor).filter(pk__in=ids).values_list("pk", flat=True))
    else:
        visible = ids
    for row, _raw in rows:
        if row.errors:
            continue
        pk = row.values.get("_match")
        if pk is None:
            if ctx.mode == ImportMode.UPDATE:
                fieldname = row.values.get("_key_field") or _KEY_FIELDS[ctx.kind]
                row.error(fieldname, "找不到要更新的记录 / No existing record matches this row.")
            else:
                checked.actions[row.number] = RowAction.CREATE
            continue
        if pk not in visible:
            row.error(_KEY_FIELDS[ctx.kind], "该记录不在你的范围内，不能更新 / Outside your scope.")
            continue
        record = records[pk]
        changes = {
            f: row.values[f]
            for f in editable
            if f in mapping and not _empty(row.values.get(f)) and _differs(f, row.values[f], record)
        }
        row.values["_changes"] = changes
        checked.actions[row.number] = RowAction.UPDATE if changes else RowAction.UNCHANGED
        if changes:
            checked.changed[row.number] = [row.headers[f] for f in changes]


def _order_values(row: _Row, raw: dict[str, str], cells: list[Any], mapping: dict[str, int]) -> None:
    if raw.get("ordered_on"):
        index = mapping["ordered_on"]
        day = parse_date(cells[index] if index < len(cells) else None)
        if day is None:
            row.error("ordered_on", f"日期格式不正确“{raw['ordered_on']}”，例如 2025-03-01 / Not a date.")
        elif day > clock.to_local(clock.now()).date():
            row.error("ordered_on", f"下单日期不能晚于今天“{raw['ordered_on']}” / Must not be in the future.")
        else:
            row.values["ordered_on"] = day
    if raw.get("amount"):
        amount = parse_amount(raw["amount"])
        if amount is None:
            row.error("amount", f"金额不正确“{raw['amount']}”，例如 50000.00 / Not an amount.")
        else:
            row.values["amount"] = amount


_YES = {"是", "在售", "y", "yes", "true", "1", "启用", "有效"}
_NO = {"否", "停售", "n", "no", "false", "0", "停用", "下架"}


def _product_values(row: _Row, raw: dict[str, str]) -> None:
    """Money, tax rate and the on-sale flag of a product row (empty cells stay empty)."""
    for fieldname in ("list_price", "standard_cost"):
        if raw.get(fieldname):
            amount = parse_amount(raw[fieldname])
            if amount is None:
                row.error(fieldname, f"金额不正确“{raw[fieldname]}”，例如 12800.00 / Not an amount.")
            else:
                row.values[fieldname] = amount
    if raw.get("tax_rate_pct"):
        errors: dict[str, list[str]] = {}
        rate = parse_rate(raw["tax_rate_pct"], errors)
        if rate is None:
            row.error("tax_rate_pct", f"税率不正确“{raw['tax_rate_pct']}”，应为 0–100，例如 13 / Not a rate.")
        else:
            row.values["tax_rate_pct"] = rate
    if raw.get("active"):
        text = _squash(raw["active"])
        if text in _YES:
            row.values["active"] = True
        elif text in _NO:
            row.values["active"] = False
        else:
            row.error("active", f"应为“是”或“否”（在售/停售），而不是“{raw['active']}” / Yes or no.")


def _duplicate_in_file(row: _Row, fieldname: str, key: Any, seen: dict[Any, int]) -> bool:
    if key in seen:
        row.error(fieldname, f"与第 {seen[key]} 行重复 / Duplicate of row {seen[key]} in this file.")
        return True
    seen[key] = row.number
    return False


def _check_customers(rows: list[tuple[_Row, dict[str, str]]], ctx: _Context) -> None:
    seen: dict[Any, int] = {}
    for row, raw in rows:
        key = normalize.company(raw.get("name", ""))
        row.values["name_key"] = key
        if key:
            _duplicate_in_file(row, "name", key, seen)
        if raw.get("region"):
            team = ctx.team(raw["region"])
            if team is None:
                row.error("region", f"未知区域“{raw['region']}” / No team with this name.")
            else:
                row.values["region"] = team
    keys = sorted(seen)
    existing: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(keys):
        for pk, key, name in (
            Customer.objects.filter(name_key__in=chunk).order_by("-id").values_list("id", "name_key", "name")
        ):
            existing[key] = (pk, name)
    for row, _raw in rows:
        found = existing.get(row.values["name_key"])
        if found is not None and not row.errors:
            ctx.found(row, "name", found[0], f"客户已存在：{found[1]} / Exists already in the database.")


def _check_contacts(rows: list[tuple[_Row, dict[str, str]]], ctx: _Context) -> None:
    customers = _customers_by_key(
        {r.values["customer_key"] for r, _ in rows if r.values["customer_key"]}, ctx.actor
    )
    existing: dict[tuple[int, str], int] = {}
    ids = sorted(set(customers.values()))
    for start in range(0, len(ids), CHUNK):
        for pk, owner_id, phone_key, name in (
            Contact.objects.filter(customer_id__in=ids[start : start + CHUNK])
            .order_by("-id")
            .values_list("id", "customer_id", "phone_key", "name")
        ):
            existing[(owner_id, phone_key or f"name:{name}")] = pk
    seen: dict[Any, int] = {}
    for row, raw in rows:
        if not row.values["customer_key"]:
            continue
        customer_id = customers.get(row.values["customer_key"])
        if customer_id is None:
            row.error("customer", f"未找到客户“{raw['customer']}”，请先导入客户 / Unknown customer.")
            continue
        row.values["customer_id"] = customer_id
        key = (customer_id, row.values["phone_key"] or f"name:{raw.get('name', '')}")
        fieldname = "phone" if row.values["phone_key"] else "name"
        ctx.key(row, fieldname)
        if _duplicate_in_file(row, fieldname, key, seen):
            continue
        if key in existing:
            ctx.found(
                row,
                fieldname,
                existing[key],
                "该客户已有此联系人 / This contact exists already in the database.",
            )


def _check_orders(rows: list[tuple[_Row, dict[str, str]]], ctx: _Context) -> None:
    customers = _customers_by_key(
        {r.values["customer_key"] for r, _ in rows if r.values["customer_key"]}, ctx.actor
    )
    ids = sorted(set(customers.values()))
    existing: dict[tuple[int, str], int] = {}
    for start in range(0, len(ids), CHUNK):
        for pk, order_customer, reference in (
            Order.objects.filter(customer_id__in=ids[start : start + CHUNK])
            .exclude(reference="")
            .order_by("-id")
            .values_list("id", "customer_id", "reference")
        ):
            existing[(order_customer, reference)] = pk
    seen: dict[Any, int] = {}
    for row, raw in rows:
        if not row.values["customer_key"]:
            continue
        customer_id = customers.get(row.values["customer_key"])
        if customer_id is None:
            row.error("customer", f"未找到客户“{raw['customer']}”，请先导入客户 / Unknown customer.")
            continue
        row.values["customer_id"] = customer_id
        reference = raw.get("reference", "")
        if not reference:
            continue
        if _duplicate_in_file(row, "reference", (customer_id, reference), seen):
            continue
        if (customer_id, reference) in existing:
            ctx.found(
                row,
                "reference",
                existing[(customer_id, reference)],
                f"订单号已存在“{reference}” / This order exists already in the database.",
            )


def _check_leads(rows: list[tuple[_Row, dict[str, str]]], ctx: _Context) -> None:
    _number, pack = active_pack()
    required: set[str] = set()
    for entry in pack.required_fields:
        if entry.subject == "lead" and entry.form in ("import", "default"):
            required |= set(entry.fields)
    phones = sorted({r.values["phone_key"] for r, _ in rows if r.values["phone_key"]})
    emails = sorted({r.values["email_key"] for r, _ in rows if r.values["email_key"]})
    open_leads = Lead.objects.filter(status__in=OPEN_STATUSES)
    known_phones: dict[str, int] = {}
    known_emails: dict[str, int] = {}
    for chunk in _chunks(phones):
        known_phones.update(
            open_leads.filter(phone_key__in=chunk).order_by("-id").values_list("phone_key", "id")
        )
    for chunk in _chunks(emails):
        known_emails.update(
            open_leads.filter(email_key__in=chunk).order_by("-id").values_list("email_key", "id")
        )
    seen: dict[Any, int] = {}
    for row, raw in rows:
        for fieldname in sorted(required):
            if fieldname in row.headers and not raw.get(fieldname) and fieldname != "name":
                row.error(
                    fieldname, f"规则包要求必填「{row.headers[fieldname]}」 / Required by the rule pack."
                )
        if raw.get("budget"):
            budget = parse_amount(raw["budget"])
            if budget is None:
                row.error("budget", f"预算不正确“{raw['budget']}”，例如 480000 / Not an amount.")
            else:
                row.values["budget"] = budget
        if raw.get("source"):
            row.values["source"] = _SOURCE_CODES.get(_squash(raw["source"]), raw["source"])
        for fieldname, known in (("phone", known_phones), ("email", known_emails)):
            key = row.values[f"{fieldname}_key"]
            if not key or any(e.column == row.headers[fieldname] for e in row.errors):
                continue
            ctx.key(row, fieldname)
            if _duplicate_in_file(row, fieldname, (fieldname, key), seen):
                break
            if key in known:
                ctx.found(
                    row,
                    fieldname,
                    known[key],
                    f"已有相同{row.headers[fieldname]}的未关闭线索 / An open lead exists already.",
                )
                break


def _check_products(rows: list[tuple[_Row, dict[str, str]]], ctx: _Context) -> None:
    seen: dict[Any, int] = {}
    for row, raw in rows:
        sku = normalise_sku(raw.get("sku", ""))
        row.values["sku"] = sku
        if sku:
            _duplicate_in_file(row, "sku", sku, seen)
    existing: dict[str, int] = {}
    keys = sorted(seen)
    for chunk in _chunks(keys):
        existing.update(Product.objects.filter(sku__in=chunk).values_list("sku", "id"))
    for row, _raw in rows:
        ctx.key(row, "sku")
        found = existing.get(row.values["sku"])
        if found is not None and not row.errors:
            ctx.found(row, "sku", found, f"型号已存在：{row.values['sku']} / This SKU exists already.")


_SOURCE_CODES = {_squash(label): code for code, label in LEAD_SOURCES.items()} | {
    _squash(code): code for code in LEAD_SOURCES
}
# Per kind: the model a row updates and the columns an update may write (the services' lists).
_MATCHED: dict[str, tuple[Any, tuple[str, ...]]] = {
    ImportKind.CUSTOMERS: (Customer, CUSTOMER_EDITABLE),
    ImportKind.CONTACTS: (Contact, CONTACT_EDITABLE),
    ImportKind.ORDERS: (Order, ORDER_EDITABLE),
    ImportKind.LEADS: (Lead, (*LEAD_EDITABLE, "owner")),
    ImportKind.PRODUCTS: (Product, tuple(f for f in PRODUCT_EDITABLE if f != "sku")),
}
# The column an update-only row is matched by when the row says nothing else.
_KEY_FIELDS: dict[str, str] = {
    ImportKind.CUSTOMERS: "name",
    ImportKind.CONTACTS: "name",
    ImportKind.ORDERS: "reference",
    ImportKind.LEADS: "phone",
    ImportKind.PRODUCTS: "sku",
}
# Whose records an importer may update (contacts and orders were matched on visible customers).
_SCOPES: dict[str, Callable[[User], Any]] = {
    ImportKind.CUSTOMERS: customers_visible_to,
    ImportKind.LEADS: leads_visible_to,
}

_KIND_CHECKS: dict[str, Callable[[list[tuple[_Row, dict[str, str]]], _Context], None]] = {
    ImportKind.CUSTOMERS: _check_customers,
    ImportKind.CONTACTS: _check_contacts,
    ImportKind.ORDERS: _check_orders,
    ImportKind.LEADS: _check_leads,
    ImportKind.PRODUCTS: _check_products,
}
