"""Trigram indexes over the customer search keys, so that customer search does not scan (issue #15).

`Customer.initials_grams` (new): the initials' first letter + any two later letters, in order,
filled here for the existing rows; the anchored-subsequence match of initials (`hzyl`) needs
each `first + t[i] + t[i+1]` of the term among them, which a trigram index can look up.

PostgreSQL: the `pg_trgm` extension and GIN indexes (`gin_trgm_ops`) on `search_text`
(`customer_search_trgm`) and `initials_grams` (`customer_grams_trgm`); they serve the
`LIKE '%…%'` that `selectors.search` issues for terms of three characters or more. Reversing
drops the indexes and leaves the extension (other schemas may use it).

SQLite: an FTS5 table `customers_customer_search` with the `trigram` tokenizer over the same
two columns, as an external-content table (the text lives once, in `customers_customer`; the
FTS table keeps only its index), filled from the existing rows by `rebuild` and kept current
by three triggers. `case_sensitive 1` makes a match exactly the substring test of `LIKE` on the
lower-cased keys. Reversing drops the triggers and the table.

SQLite drops a table's triggers with the table, and Django rebuilds a SQLite table for many
schema changes (copy into `new__…`, drop, rename): a later migration that alters `Customer`
must recreate the triggers and `rebuild` the index (`SQLITE_FORWARD` below, idempotent).
`test_search_index.py` checks that the triggers exist in a fully migrated database.
"""

from django.db import migrations, models

FTS = "customers_customer_search"

POSTGRESQL_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_search_trgm ON customers_customer USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS customer_grams_trgm ON customers_customer USING gin (initials_grams gin_trgm_ops)",
]
POSTGRESQL_BACKWARD = ["DROP INDEX IF EXISTS customer_search_trgm", "DROP INDEX IF EXISTS customer_grams_trgm"]

SQLITE_FORWARD = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(
        search_text, initials_grams, content='customers_customer', content_rowid='id',
        tokenize='trigram case_sensitive 1'
    )""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_ai AFTER INSERT ON customers_customer BEGIN
        INSERT INTO {FTS}(rowid, search_text, initials_grams)
        VALUES (new.id, new.search_text, new.initials_grams);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_ad AFTER DELETE ON customers_customer BEGIN
        INSERT INTO {FTS}({FTS}, rowid, search_text, initials_grams)
        VALUES ('delete', old.id, old.search_text, old.initials_grams);
    END""",
    # Only a change of the keys touches the index: the nightly health pass updates every row.
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_au AFTER UPDATE OF search_text, initials_grams
    ON customers_customer BEGIN
        INSERT INTO {FTS}({FTS}, rowid, search_text, initials_grams)
        VALUES ('delete', old.id, old.search_text, old.initials_grams);
        INSERT INTO {FTS}(rowid, search_text, initials_grams)
        VALUES (new.id, new.search_text, new.initials_grams);
    END""",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {FTS}_ai",
    f"DROP TRIGGER IF EXISTS {FTS}_ad",
    f"DROP TRIGGER IF EXISTS {FTS}_au",
    f"DROP TABLE IF EXISTS {FTS}",
]


def initials_grams(initials):  # type: ignore[no-untyped-def]
    """`customers.services.initials_grams` as of this migration."""
    if not initials or not ("a" <= initials[0] <= "z"):
        return ""
    first, later = initials[0], [ch for ch in initials[1:] if "a" <= ch <= "z"]
    return " ".join(sorted({first + a + b for i, a in enumerate(later) for b in later[i + 1 :]}))


def fill_grams(apps, schema_editor):  # type: ignore[no-untyped-def]
    customer_model = apps.get_model("customers", "Customer")
    rows = customer_model.objects.exclude(initials="").only("id", "initials").order_by("id")
    last = 0
    while batch := list(rows.filter(id__gt=last)[:2000]):
        for customer in batch:
            customer.initials_grams = initials_grams(customer.initials)
        customer_model.objects.bulk_update(batch, ["initials_grams"])
        last = batch[-1].id


def _run(statements_by_vendor):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


# Named module-level functions (not `_run`'s closures) so that `squashmigrations` can refer to them.
def create_search_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    _run({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD})(apps, schema_editor)


def drop_search_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    _run({"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD})(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_ship_grant_policy"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="initials_grams",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(fill_grams, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_search_index, drop_search_index),
    ]
