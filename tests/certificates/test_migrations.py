"""Migration 0002: public_key_url becomes public_key_key, and existing rows get their number."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("certificates", "0001_initial")]
AFTER = [("certificates", "0002_public_key_key")]


@pytest.fixture
def migrated_back_to_the_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # what later tests expect


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrated_back_to_the_latest")
def test_existing_certificates_keep_their_files_and_get_their_file_number():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    tenant = apps.get_model("serverless_as2", "Tenant").objects.create(name="Old")
    instance = apps.get_model("partnerships", "As2Instance").objects.create(
        tenant=tenant, my_as2_id="me", my_name="me", my_as2_alias="me"
    )
    Partner = apps.get_model("partnerships", "Partner")
    Partnership = apps.get_model("partnerships", "Partnership")
    Certificate = apps.get_model("certificates", "Certificate")
    folder = f"private/{tenant.id}/a_b/me/cert"
    for as2_id, name in (("a b", "me-a_b"), ("a_b", "me-a_b-2")):
        partner = Partner.objects.create(
            tenant=tenant,
            partner_as2_id=as2_id,
            partner_name=as2_id,
            partner_as2_alias="them",
            partner_email="edi@them.example",
        )
        partnership = Partnership.objects.create(
            tenant=tenant, instance=instance, partner=partner, as2_url="https://them.example/as2"
        )
        now = timezone.now()
        Certificate.objects.create(
            tenant=tenant,
            partnership=partnership,
            origin="generated",
            private_key_alias="me",
            partner_alias="them",
            password_sealed="sealed",
            keystore_key=f"{folder}/{name}.p12",
            public_key_url=f"{folder}/{name}.cer",
            my_cert_pem="PEM",
            my_not_before=now,
            my_not_after=now,
        )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    rows = apps.get_model("certificates", "Certificate").objects.order_by("pk")
    assert [(row.public_key_key, row.storage_number) for row in rows] == [
        (f"{folder}/me-a_b.cer", 1),
        (f"{folder}/me-a_b-2.cer", 2),
    ]
