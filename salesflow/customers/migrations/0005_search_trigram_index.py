"""A trigram index over `Customer.search_text`, so that customer search does not scan (issue #15).

PostgreSQL: the `pg_trgm` extension and a GIN index `customer_search_trgm` (`gin_trgm_ops`) on
`search_text`; it serves the `LIKE '%…%'` that `selectors.search` issues for terms of three
characters or more. Reversing drops the index and leaves the extension (other schemas may use it).

SQLite: an FTS5 table `customers_customer_search` with the `trigram` tokenizer over the same
column, as an external-content table (the text lives once, in `customers_customer`; the FTS
table keeps only its index), filled from the existing rows by `rebuild` and kept current by
three triggers. `case_sensitive 1` makes a match exactly the substring test of `LIKE` on the
lower-cased keys. Reversing drops the triggers and the table.

SQLite drops a table's triggers with the table, and Django rebuilds a SQLite table for many
schema changes (copy into `new__…`, drop, rename): a later migration that alters `Customer`
must recreate the triggers and `rebuild` the index (`SQLITE_FORWARD` below, idempotent).
`test_search_index.py` checks that the triggers exist in a fully migrated database.
"""

from django.db import migrations

FTS = "customers_customer_search"

POSTGRESQL_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_search_trgm ON customers_customer USING gin (search_text gin_trgm_ops)",
]
POSTGRESQL_BACKWARD = ["DROP INDEX IF EXISTS customer_search_trgm"]

SQLITE_FORWARD = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(
        search_text, content='customers_customer', content_rowid='id',
        tokenize='trigram case_sensitive 1'
    )""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_ai AFTER INSERT ON customers_customer BEGIN
        INSERT INTO {FTS}(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_ad AFTER DELETE ON customers_customer BEGIN
        INSERT INTO {FTS}({FTS}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    END""",
    # Only a change of the keys touches the index: the nightly health pass updates every row.
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_au AFTER UPDATE OF search_text ON customers_customer BEGIN
        INSERT INTO {FTS}({FTS}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO {FTS}(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {FTS}_ai",
    f"DROP TRIGGER IF EXISTS {FTS}_ad",
    f"DROP TRIGGER IF EXISTS {FTS}_au",
    f"DROP TABLE IF EXISTS {FTS}",
]


def _run(statements_by_vendor):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_ship_grant_policy"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
