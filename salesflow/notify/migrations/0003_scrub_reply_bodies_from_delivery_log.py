"""Delivery errors once quoted up to 300 bytes of the target's reply; keep only the status."""

import re

from django.db import migrations

# "HTTP 500: b'…'" (an error reply) and "errcode=93000: …" (a robot's own words).
QUOTED_REPLY = re.compile(r"^(HTTP \d{3}|[A-Za-z]+=-?\d+): .*$", re.DOTALL)


def scrub(apps, schema_editor):
    Delivery = apps.get_model("notify", "Delivery")
    for delivery in Delivery.objects.exclude(last_error="").only("pk", "last_error").iterator():
        match = QUOTED_REPLY.match(delivery.last_error)
        if match:
            Delivery.objects.filter(pk=delivery.pk).update(last_error=match.group(1))


class Migration(migrations.Migration):
    dependencies = [("notify", "0002_delivery_next_attempt_at")]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop, elidable=True)]
