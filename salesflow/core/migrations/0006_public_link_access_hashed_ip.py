"""Public link accesses keep a keyed hash of the visitor's address and a device class instead of
the address itself; the rows logged before are converted (hashed, classified) and the plain
addresses dropped."""

from django.db import migrations, models


def hash_addresses(apps, schema_editor):  # type: ignore[no-untyped-def]
    from salesflow.core.public_links import device_class, ip_hash

    access_model = apps.get_model("core", "PublicLinkAccess")
    for access in access_model.objects.exclude(ip="").iterator():
        access.ip_hash = ip_hash(access.ip)
        access.device = device_class(access.user_agent)
        access.save(update_fields=["ip_hash", "device"])


class Migration(migrations.Migration):
    dependencies = [("core", "0005_public_links")]

    operations = [
        migrations.AddField(
            model_name="publiclinkaccess",
            name="device",
            field=models.CharField(
                choices=[("phone", "手机"), ("tablet", "平板"), ("desktop", "电脑"), ("other", "其他")],
                default="other",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="publiclinkaccess",
            name="ip_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(hash_addresses, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(model_name="publiclinkaccess", name="ip"),
    ]
