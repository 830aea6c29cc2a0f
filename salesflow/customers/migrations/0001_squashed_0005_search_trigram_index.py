"""Squash of 0001_initial … 0005_search_trigram_index (5 migrations), for a fresh database (issue #15).

Made by `squashmigrations`, then folded by hand-run tooling: every AddIndex, AddConstraint,
AddField, AlterField, RemoveField, RemoveIndex and AlterModelOptions of a model created here is
part of its CreateModel (Django's optimizer does not reduce across the other CreateModels,
AddIndexes and RunPythons between them). A database that has applied any of the replaced
migrations runs those instead; the schema this builds was checked to be identical to theirs
(`pg_dump -s` on PostgreSQL, tables, columns, indexes, constraints and triggers on SQLite).

The RunPython functions below are copied from the replaced migrations, unchanged.

Elided (marked `elidable` in the originals): 0002's `mirror_active_freezes` and 0005's
`fill_grams`, which fill the new columns of existing customers; this squash runs only where it
creates `customers_customer`, empty. Kept: 0004's `ship_grant_policy` (it updates the rule packs
of the rules app, which may hold versions from before grants) and 0005's vendor-specific search
index (pg_trgm GIN indexes on PostgreSQL, the FTS5 table and its triggers on SQLite), last, after
every change to the customers table.
"""

from pathlib import Path

import django.db.migrations.operations.special
import django.db.models.deletion
import simple_history.models
import yaml
from django.conf import settings
from django.db import migrations, models

# --- from 0004_ship_grant_policy ---
# Give packs stored before temporary grants the shipped `grants` section and expiry timer.
#
# A database migrated before grants existed holds rule-pack versions without the
# `customer_grant_expiry` policy: grants there would still stop being readable at their end
# (reads check the period) but would never be marked expired, announced or put on the
# customer's timeline. Each stored version gets the shipped `grants` section when it has none,
# and the shipped policy when it has no policy of that code. Nothing else of a version changes.
POLICY = "customer_grant_expiry"


def ship_grant_policy(apps, schema_editor):  # type: ignore[no-untyped-def]
    from salesflow.rules import packs

    shipped = yaml.safe_load((Path(packs.__file__).resolve().parent / "packs" / "default.yaml").read_text("utf-8"))
    section = shipped.get("grants") or {}
    policies = [p for p in shipped.get("sla_policies") or [] if p.get("code") == POLICY]
    version_model = apps.get_model("rules", "RulePackVersion")
    for version in version_model.objects.all():
        document = version.document
        if not isinstance(document, dict):
            continue
        changed = False
        if "grants" not in document:
            document["grants"] = dict(section)
            changed = True
        have = {p.get("code") for p in document.get("sla_policies") or [] if isinstance(p, dict)}
        if POLICY not in have:
            document.setdefault("sla_policies", []).extend(policies)
            changed = True
        if changed:
            version.save(update_fields=["document"])

# --- from 0005_search_trigram_index ---
# Trigram indexes over the customer search keys, so that customer search does not scan (issue #15).
#
# `Customer.initials_grams` (new): the initials' first letter + any two later letters, in order,
# filled here for the existing rows; the anchored-subsequence match of initials (`hzyl`) needs
# each `first + t[i] + t[i+1]` of the term among them, which a trigram index can look up.
#
# PostgreSQL: the `pg_trgm` extension and GIN indexes (`gin_trgm_ops`) on `search_text`
# (`customer_search_trgm`) and `initials_grams` (`customer_grams_trgm`); they serve the
# `LIKE '%…%'` that `selectors.search` issues for terms of three characters or more. Reversing
# drops the indexes and leaves the extension (other schemas may use it).
#
# SQLite: an FTS5 table `customers_customer_search` with the `trigram` tokenizer over the same
# two columns, as an external-content table (the text lives once, in `customers_customer`; the
# FTS table keeps only its index), filled from the existing rows by `rebuild` and kept current
# by three triggers. `case_sensitive 1` makes a match exactly the substring test of `LIKE` on the
# lower-cased keys. Reversing drops the triggers and the table.
#
# SQLite drops a table's triggers with the table, and Django rebuilds a SQLite table for many
# schema changes (copy into `new__…`, drop, rename): a later migration that alters `Customer`
# must recreate the triggers and `rebuild` the index (`SQLITE_FORWARD` below, idempotent).
# `test_search_index.py` checks that the triggers exist in a fully migrated database.
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

    replaces = [('customers', '0001_initial'), ('customers', '0002_customer_quoting_frozen'), ('customers', '0003_customer_grants'), ('customers', '0004_ship_grant_policy'), ('customers', '0005_search_trigram_index')]

    initial = True

    dependencies = [
        ('org', '0001_initial'),
        ('rules', '0001_initial'),
        ('rules', '0003_declare_policy_purposes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Customer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200, verbose_name='客户名称')),
                ('name_key', models.CharField(db_index=True, editable=False, max_length=200)),
                ('search_text', models.TextField(blank=True, editable=False)),
                ('initials', models.CharField(blank=True, db_index=True, editable=False, max_length=200)),
                ('industry_segment', models.CharField(blank=True, max_length=50, verbose_name='行业细分')),
                ('customer_tier', models.CharField(blank=True, max_length=50, verbose_name='客户等级')),
                ('customer_class', models.CharField(blank=True, max_length=50, verbose_name='客户分级')),
                ('proposed_class', models.CharField(blank=True, max_length=50, verbose_name='待确认分级')),
                ('address', models.CharField(blank=True, max_length=300, verbose_name='地址')),
                ('payment_term', models.CharField(blank=True, max_length=100, verbose_name='付款条件偏好')),
                ('claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='认领时间')),
                ('last_interaction_at', models.DateTimeField(blank=True, null=True, verbose_name='最近有效互动')),
                ('health_score', models.IntegerField(default=0, verbose_name='健康度')),
                ('health_factors', models.JSONField(blank=True, default=list)),
                ('created_at', models.DateTimeField()),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='customers', to=settings.AUTH_USER_MODEL, verbose_name='负责人')),
                ('region', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='org.team', verbose_name='区域')),
                ('quoting_frozen', models.BooleanField(default=False, editable=False, verbose_name='报价已冻结')),
                ('initials_grams', models.TextField(blank=True, editable=False)),
            ],
            options={
                'verbose_name': '客户',
                'ordering': ['-id'],
                'indexes': [models.Index(fields=['owner', 'id'], name='customer_owner')],
            },
        ),
        migrations.CreateModel(
            name='Contact',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='姓名')),
                ('title', models.CharField(blank=True, max_length=100, verbose_name='职务')),
                ('phone', models.CharField(blank=True, max_length=40, verbose_name='手机')),
                ('phone_key', models.CharField(blank=True, db_index=True, editable=False, max_length=40)),
                ('email', models.CharField(blank=True, max_length=200, verbose_name='邮箱')),
                ('email_key', models.CharField(blank=True, db_index=True, editable=False, max_length=200)),
                ('created_at', models.DateTimeField()),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='contacts', to='customers.customer')),
            ],
            options={
                'verbose_name': '联系人',
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='CustomerNote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.TextField(verbose_name='内容')),
                ('private', models.BooleanField(default=False, verbose_name='仅自己可见')),
                ('created_at', models.DateTimeField()),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notes', to='customers.customer')),
            ],
            options={
                'verbose_name': '客户备注',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['customer', 'author'], name='note_customer_author')],
            },
        ),
        migrations.CreateModel(
            name='HistoricalContact',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='姓名')),
                ('title', models.CharField(blank=True, max_length=100, verbose_name='职务')),
                ('phone', models.CharField(blank=True, max_length=40, verbose_name='手机')),
                ('email', models.CharField(blank=True, max_length=200, verbose_name='邮箱')),
                ('created_at', models.DateTimeField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('customer', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='customers.customer')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical 联系人',
                'verbose_name_plural': 'historical 联系人s',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalCustomer',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('name', models.CharField(max_length=200, verbose_name='客户名称')),
                ('industry_segment', models.CharField(blank=True, max_length=50, verbose_name='行业细分')),
                ('customer_tier', models.CharField(blank=True, max_length=50, verbose_name='客户等级')),
                ('customer_class', models.CharField(blank=True, max_length=50, verbose_name='客户分级')),
                ('proposed_class', models.CharField(blank=True, max_length=50, verbose_name='待确认分级')),
                ('address', models.CharField(blank=True, max_length=300, verbose_name='地址')),
                ('payment_term', models.CharField(blank=True, max_length=100, verbose_name='付款条件偏好')),
                ('claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='认领时间')),
                ('last_interaction_at', models.DateTimeField(blank=True, null=True, verbose_name='最近有效互动')),
                ('health_score', models.IntegerField(default=0, verbose_name='健康度')),
                ('created_at', models.DateTimeField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='负责人')),
                ('region', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='org.team', verbose_name='区域')),
            ],
            options={
                'verbose_name': 'historical 客户',
                'verbose_name_plural': 'historical 客户s',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalOrder',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('ordered_on', models.DateField(verbose_name='下单日期')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='金额')),
                ('product_lines', models.JSONField(blank=True, default=list, verbose_name='产品线')),
                ('models_bought', models.CharField(blank=True, max_length=300, verbose_name='型号')),
                ('payment_term', models.CharField(blank=True, max_length=100, verbose_name='付款条件')),
                ('reference', models.CharField(blank=True, max_length=60, verbose_name='订单号')),
                ('created_at', models.DateTimeField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('customer', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='customers.customer')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical 订单',
                'verbose_name_plural': 'historical 订单s',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Order',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('ordered_on', models.DateField(verbose_name='下单日期')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='金额')),
                ('product_lines', models.JSONField(blank=True, default=list, verbose_name='产品线')),
                ('models_bought', models.CharField(blank=True, max_length=300, verbose_name='型号')),
                ('payment_term', models.CharField(blank=True, max_length=100, verbose_name='付款条件')),
                ('reference', models.CharField(blank=True, max_length=60, verbose_name='订单号')),
                ('created_at', models.DateTimeField()),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='orders', to='customers.customer')),
            ],
            options={
                'verbose_name': '订单',
                'ordering': ['-ordered_on', '-id'],
                'indexes': [models.Index(fields=['customer', 'ordered_on'], name='order_customer_date')],
            },
        ),
        migrations.CreateModel(
            name='CustomerGrant',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope', models.CharField(choices=[('quotes', '报价记录')], default='quotes', max_length=20, verbose_name='授权范围')),
                ('reason', models.CharField(max_length=200, verbose_name='授权原因')),
                ('starts_at', models.DateTimeField(verbose_name='开始时间')),
                ('expires_at', models.DateTimeField(verbose_name='到期时间')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='撤销时间')),
                ('expired_at', models.DateTimeField(blank=True, null=True, verbose_name='到期收回时间')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='grants', to='customers.customer', verbose_name='客户')),
                ('granted_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='授权人')),
                ('grantee', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='customer_grants', to=settings.AUTH_USER_MODEL, verbose_name='被授权人')),
                ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '临时授权',
                'ordering': ['-starts_at', '-id'],
                'indexes': [models.Index(fields=['grantee', 'scope', 'expires_at'], name='grant_grantee_live'), models.Index(fields=['customer', 'starts_at'], name='grant_customer')],
            },
        ),
        migrations.CreateModel(
            name='GrantRead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('list', '报价列表'), ('quote', '报价详情'), ('pdf', '报价快照 PDF'), ('export', '导出报价')], max_length=20, verbose_name='查看内容')),
                ('object_id', models.BigIntegerField(blank=True, null=True)),
                ('object_label', models.CharField(blank=True, max_length=100)),
                ('read_at', models.DateTimeField(verbose_name='查看时间')),
                ('grant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reads', to='customers.customergrant')),
                ('reader', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '授权查看记录',
                'ordering': ['-read_at', '-id'],
                'indexes': [models.Index(fields=['grant', 'read_at'], name='grant_read_time')],
            },
        ),
        migrations.CreateModel(
            name='HistoricalCustomerGrant',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('scope', models.CharField(choices=[('quotes', '报价记录')], default='quotes', max_length=20, verbose_name='授权范围')),
                ('reason', models.CharField(max_length=200, verbose_name='授权原因')),
                ('starts_at', models.DateTimeField(verbose_name='开始时间')),
                ('expires_at', models.DateTimeField(verbose_name='到期时间')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='撤销时间')),
                ('expired_at', models.DateTimeField(blank=True, null=True, verbose_name='到期收回时间')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('customer', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='customers.customer', verbose_name='客户')),
                ('granted_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='授权人')),
                ('grantee', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='被授权人')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('revoked_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical 临时授权',
                'verbose_name_plural': 'historical 临时授权s',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(
            code=ship_grant_policy,
            reverse_code=django.db.migrations.operations.special.RunPython.noop,
        ),
        migrations.RunPython(
            code=create_search_index,
            reverse_code=drop_search_index,
        ),
    ]
