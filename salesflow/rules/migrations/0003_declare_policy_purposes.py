"""Declare the purpose of the shipped SLA policies in packs stored before `purpose` existed.

Lights, release dates and list filters now ask the pack for a policy's purpose instead of its
code. A stored version without purposes would read every policy as `general` (a pending
unread nudge would turn leads red, customers would lose their release date), so the policies
that still carry the shipped codes get the purpose those codes used to imply. Nothing else of
a stored version changes; a policy already declaring a purpose is left as it is.
"""

from django.db import migrations

SHIPPED_PURPOSES = {
    "lead_unread": "lead_unread",
    "lead_first_contact": "lead_first_contact",
    "lead_follow_up": "lead_follow_up",
    "customer_commitment": "customer_commitment",
    "opportunity_stall": "opportunity_stall",
    "opportunity_no_update": "opportunity_no_update",
    "tech_solution_breaker": "stage_breaker",
    "quote_follow_up": "quote_follow_up",
    "payment_due_reminder": "payment_due",
    "workorder_acknowledge": "workorder_response",
    "urgent_shipment_plan": "workorder_response",
}


def declare_purposes(apps, schema_editor):  # type: ignore[no-untyped-def]
    version_model = apps.get_model("rules", "RulePackVersion")
    for version in version_model.objects.all():
        changed = False
        for policy in version.document.get("sla_policies") or []:
            if isinstance(policy, dict) and "purpose" not in policy and policy.get("code") in SHIPPED_PURPOSES:
                policy["purpose"] = SHIPPED_PURPOSES[policy["code"]]
                changed = True
        if changed:
            version.save(update_fields=["document"])


class Migration(migrations.Migration):
    dependencies = [("rules", "0002_default_pack")]

    operations = [migrations.RunPython(declare_purposes, migrations.RunPython.noop)]
