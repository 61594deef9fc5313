"""public_key_url holds a storage key, not a URL: rename it (the product's label stays)."""

from django.db import migrations, models

from serverless_as2 import storage_keys


def storage_numbers(apps, schema_editor):
    """Which "-<n>" file name each existing certificate got (1 unless AS2 IDs collided)."""
    Certificate = apps.get_model("certificates", "Certificate")
    rows = Certificate.objects.select_related(
        "tenant", "partnership__instance", "partnership__partner"
    )
    for row in rows:
        ids = {
            "partner_as2_id": row.partnership.partner.partner_as2_id,
            "my_as2_id": row.partnership.instance.my_as2_id,
        }
        for number in range(2, storage_keys.MAX_CERTIFICATE_NUMBER + 1):
            if storage_keys.public_key_key(row.tenant, **ids, number=number) == row.public_key_key:
                Certificate.objects.filter(pk=row.pk).update(storage_number=number)
                break


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(
            model_name="certificate",
            old_name="public_key_url",
            new_name="public_key_key",
        ),
        migrations.AddField(
            model_name="certificate",
            name="storage_number",
            field=models.PositiveSmallIntegerField(default=1, editable=False),
        ),
        migrations.RunPython(storage_numbers, migrations.RunPython.noop),
    ]
