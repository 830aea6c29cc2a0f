"""Customer search through the trigram index (pg_trgm on PostgreSQL, FTS5 trigram on SQLite)."""

from __future__ import annotations

import importlib
import re

import pytest
from django.db import connection

from salesflow.core import normalize
from salesflow.core.testing import Trio
from salesflow.customers import selectors, services
from salesflow.customers.models import Customer

pytestmark = pytest.mark.django_db


def _found(trio: Trio, text: str) -> list[int]:
    visible = selectors.customers_visible_to(trio.owner)
    return list(selectors.search(visible, text).values_list("id", flat=True))


def test_terms_of_three_characters_or_more_use_the_index(trio: Trio) -> None:
    target = services.customer_create(name="杭州滨江医疗器械有限公司", actor=None)
    services.customer_create(name="上海骨科医院", actor=None)
    visible = selectors.customers_visible_to(trio.owner)
    sql = str(selectors.search(visible, "滨江医疗").query)
    if connection.vendor == "sqlite":
        assert selectors.SEARCH_FTS in sql and "MATCH" in sql
    assert _found(trio, "滨江医疗") == [target.pk]
    assert _found(trio, "binjiang") == [target.pk]
    assert _found(trio, "yiliaoqixie") == [target.pk]


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '""',
        'a"b',
        '"滨江"',
        "滨江*",
        "bin*",
        "* OR *",
        "binjiang OR shanghai",
        "NEAR(bin jiang)",
        "NEAR(",
        "bin AND",
        "NOT bin",
        "^bin",
        "{search_text}: bin",
        "search_text:bin",
        "(bin",
        "bin)",
        "'bin'",
        "-bin",
        "+bin",
        "%",
        "_ia",
        "\\\\",
        "bin%jiang",
        "b_njiang",
    ],
)
def test_fts_syntax_in_a_term_is_data_never_an_error(trio: Trio, text: str) -> None:
    target = services.customer_create(name="杭州滨江医疗器械有限公司", actor=None)
    services.customer_create(name="上海骨科医院", actor=None)
    # None of these is a substring of a key: no match, and no FTS5 syntax error either.
    assert _found(trio, text) == []
    assert _found(trio, "binjiang") == [target.pk]


def test_a_quoted_term_matches_keys_that_contain_its_quotes(trio: Trio) -> None:
    quoted = services.customer_create(name='"星光"医疗', actor=None)
    services.customer_create(name="星光医疗", actor=None)
    assert _found(trio, '"星光"') == [quoted.pk]
    assert _found(trio, '光"医') == [quoted.pk]


def test_a_renamed_customer_is_found_by_its_new_name_only(trio: Trio) -> None:
    customer = services.customer_create(name="温州医科大学附属医院", actor=None)
    assert _found(trio, "医科大学") == [customer.pk]
    services.customer_update(customer=customer, changes={"name": "宁波康复医院"}, actor=None)
    assert _found(trio, "宁波康复") == [customer.pk]
    assert _found(trio, "ningbokangfu") == [customer.pk]
    assert _found(trio, "医科大学") == []
    assert _found(trio, "wenzhou") == []


def test_a_contact_added_later_is_found_by_name_and_mobile(trio: Trio) -> None:
    customer = services.customer_create(name="上海骨科医院", actor=None)
    services.contact_add(customer=customer, name="欧阳明", phone="139 8765 4321", actor=None)
    assert _found(trio, "欧阳明") == [customer.pk]
    assert _found(trio, "ouyangming") == [customer.pk]
    assert _found(trio, "87654321") == [customer.pk]


def test_a_deleted_customer_is_gone_from_the_index(trio: Trio) -> None:
    gone = services.customer_create(name="苏州精密制造有限公司", actor=None)
    kept = services.customer_create(name="苏州精密仪器有限公司", actor=None)
    assert _found(trio, "苏州精密") == [kept.pk, gone.pk]
    Customer.objects.filter(pk=gone.pk).delete()
    assert _found(trio, "苏州精密") == [kept.pk]
    assert _found(trio, "精密制造") == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM customers_customer_search WHERE customers_customer_search MATCH %s",
                ['"精密制造"'],
            )
            assert cursor.fetchall() == []


def test_the_index_stays_in_step_with_the_table(trio: Trio) -> None:
    """SQLite drops a table's triggers when Django rebuilds the table in a later migration."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'customers_customer'"
            )
            triggers = {row[0] for row in cursor.fetchall()}
            assert {f"{selectors.SEARCH_FTS}_{suffix}" for suffix in ("ai", "ad", "au")} <= triggers
            cursor.execute(
                "INSERT INTO customers_customer_search(customers_customer_search) VALUES ('integrity-check')"
            )
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'customer_search_trgm'")
            assert "gin_trgm_ops" in cursor.fetchone()[0]


def test_short_terms_keep_the_scan(trio: Trio) -> None:
    target = services.customer_create(name="杭州滨江医疗器械有限公司", actor=None)
    visible = selectors.customers_visible_to(trio.owner)
    assert selectors.SEARCH_FTS not in str(selectors.search(visible, "滨江").query)
    assert _found(trio, "滨江") == [target.pk]
    assert _found(trio, "hz") == [target.pk]


def test_initials_match_as_an_anchored_subsequence_through_the_grams(trio: Trio) -> None:
    target = services.customer_create(name="杭州滨江医疗器械有限公司", actor=None)  # hzbjylqxyxgs
    other = services.customer_create(name="上海骨科医院", actor=None)  # shgkyy
    assert _found(trio, "hzyl") == [target.pk]
    assert _found(trio, "hbq") == [target.pk]
    assert _found(trio, "hzylqxyxgs") == [target.pk]
    assert _found(trio, "sgy") == [other.pk]
    assert _found(trio, "hlzy") == []  # the letters out of order
    assert _found(trio, "zylq") == []  # not anchored at the first letter


def test_grams_only_narrow_the_subsequence_test(trio: Trio) -> None:
    """Initials `abcab` hold every gram of `acbc` (acb, abc) but not `acbc` as a subsequence."""
    customer = services.customer_create(name="测试客户", actor=None)
    Customer.objects.filter(pk=customer.pk).update(
        search_text="测试客户", initials="abcab", initials_grams=services.initials_grams("abcab")
    )
    assert _found(trio, "acbc") == []
    assert _found(trio, "acab") == [customer.pk]


def test_the_migration_fills_grams_as_the_service_computes_them() -> None:
    migration = importlib.import_module("salesflow.customers.migrations.0005_search_trigram_index")
    for initials in ["", "hzbjylqxyxgs", "hzdsdyrmyy123", "1abc", "a", "ab", "aaaa", "abcab", "é-ab"]:
        assert migration.initials_grams(initials) == services.initials_grams(initials)


TERMS = [
    "h",
    "hz",
    "hzy",
    "hzyl",
    "hzly",
    "zylq",
    "hangzhou",
    "HangZhou",
    "yiliao",
    "yl",
    "滨",
    "滨江",
    "滨江医",
    "医院",
    "骨科医院",
    "shgk",
    "sgk",
    "skyy",
    "139",
    "1391",
    "13912345678",
    "139-1234-5678",
    "+86 139 1234",
    "5678",
    "li ming",
    "liming",
    "李明",
    "明",
    "wang",
    "wxy",
    "n",
    "ningbo",
    "nbd",
    "nbdr",
    "'",
    '"',
    "%",
    "_",
]


@pytest.mark.parametrize("term", TERMS)
def test_the_index_finds_what_the_scan_finds(trio: Trio, term: str) -> None:
    """Every term (short, long, initials, phone, odd characters) against a plain-Python reference."""
    for name, contacts in [
        ("杭州滨江医疗器械有限公司", [("李明", "+86 139-1234-5678")]),
        ("上海骨科医院", [("王小燕", "13800005678")]),
        ("宁波第二人民医院", []),
        ("宁波德润医疗科技有限公司", [("王秀英", "186 0000 1391")]),
        ("温州医科大学附属医院", [("明华", "")]),
    ]:
        customer = services.customer_create(name=name, actor=None)
        for person, phone in contacts:
            services.contact_add(customer=customer, name=person, phone=phone, actor=None)
    text = term.strip().lower()
    compact, digits = text.replace(" ", ""), normalize.phone(text)
    by_phone = len(digits) >= 4 and len(digits) >= len(compact.replace("-", "")) - 3
    expected = sorted(
        (
            c.pk
            for c in Customer.objects.all()
            if compact in c.search_text
            or (text.isascii() and text.isalpha() and re.match("^" + ".*".join(text), c.initials))
            or (by_phone and digits in c.search_text)
        ),
        reverse=True,
    )
    assert _found(trio, term) == expected
