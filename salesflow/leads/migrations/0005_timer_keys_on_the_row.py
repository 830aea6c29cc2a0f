"""The 线索 list's timer keys on the lead row (issue #15): `next_due_at` (the nearest pending
deadline of the current assignment) and `sla_breached` (one of its deadlines, not a nudge, fired
or failed). The list's light and countdown read them instead of every lead's deadlines; from now
on the timers keep them (`leads.services.refresh_timer_keys`).

The existing rows are filled here from their deadlines in one set-based UPDATE per engine, with
the nudge policies (purpose `lead_unread`) of the active pack, as the list computed it so far.
Only leads that have deadlines at all can hold anything but the defaults.

`lead_open_owned`: the open owned leads' owner with every column the list's scope and light
order read (INCLUDE, PostgreSQL only), so a page's ids come from the index alone.
"""

from datetime import UTC, datetime

from django.db import migrations, models
from django.db.models import DateTimeField, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def fill(apps, schema_editor):
    from salesflow.rules.selectors import active_pack

    Lead = apps.get_model("leads", "Lead")
    Deadline = apps.get_model("timers", "Deadline")
    nudges = active_pack()[1].policy_codes_for("lead_unread")
    since = Coalesce(OuterRef("assigned_at"), Value(EPOCH), output_field=DateTimeField())
    timers = Deadline.objects.filter(subject_type="leads.lead", subject_id=OuterRef("pk"), created_at__gte=since)
    pending = timers.filter(status="pending").order_by("due_at").values("due_at")[:1]
    breached = timers.filter(status__in=["fired", "failed"]).exclude(policy__in=nudges)
    timed = Deadline.objects.filter(subject_type="leads.lead").values("subject_id")
    Lead.objects.filter(pk__in=timed).update(next_due_at=Subquery(pending), sla_breached=Exists(breached))


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0001_squashed_0004_cockpit_indexes"),
        ("rules", "0001_squashed_0003_declare_policy_purposes"),
        ("timers", "0001_squashed_0003_library_names_in_chinese"),
    ]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="next_due_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="lead",
            name="sla_breached",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("owner__isnull", False), ("status__in", ["pooled", "assigned", "acknowledged", "contacted"])),
                fields=["owner"],
                include=(
                    "id",
                    "status",
                    "assigned_at",
                    "last_activity_at",
                    "first_contact_at",
                    "acknowledged_at",
                    "sla_breached",
                    "next_due_at",
                ),
                name="lead_open_owned",
            ),
        ),
    ]
