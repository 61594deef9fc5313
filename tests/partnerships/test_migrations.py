"""Upgrading a database whose partnerships break the new rules says which ones to fix."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("partnerships", "0002_initial")]
AFTER = [("partnerships", "0003_partnership_rules")]
LATEST = [("partnerships", "0004_partnership_same_tenant")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def old_rows(apps, tenant, partner_tenant):
    instance = apps.get_model("partnerships", "As2Instance").objects.create(
        tenant_id=tenant.pk, my_as2_id="me", my_name="me", my_as2_alias="me"
    )
    partner = apps.get_model("partnerships", "Partner").objects.create(
        tenant_id=partner_tenant.pk,
        partner_as2_id="them",
        partner_name="them",
        partner_as2_alias="them",
        partner_email="edi@them.example",
    )
    return instance, partner


@pytest.mark.django_db(transaction=True)
def test_the_rules_migration_names_the_partnerships_to_fix_first(tenant_a):
    old = migrate(BEFORE)
    instance, partner = old_rows(old, tenant_a, tenant_a)
    rows = old.get_model("partnerships", "Partnership").objects
    row = rows.create(
        tenant_id=tenant_a.pk,
        instance=instance,
        partner=partner,
        as2_url="http://them.example/as2",
        encrypt="none",
    )
    try:
        with pytest.raises(RuntimeError, match=rf"partnership {row.pk} \(encrypt or as2_url\)"):
            migrate(AFTER)
    finally:
        rows.filter(pk=row.pk).update(encrypt="aes256")
        migrate(LATEST)


@pytest.mark.django_db(transaction=True)
def test_the_same_tenant_migration_names_partnerships_that_join_tenants(tenant_a, tenant_b):
    old = migrate(AFTER)
    instance, partner = old_rows(old, tenant_a, tenant_b)
    rows = old.get_model("partnerships", "Partnership").objects
    row = rows.create(
        tenant_id=tenant_a.pk, instance=instance, partner=partner, as2_url="https://t.example/"
    )
    try:
        with pytest.raises(RuntimeError, match=rf"delete them in the admin .*: {row.pk}\.$"):
            migrate(LATEST)
    finally:
        rows.filter(pk=row.pk).delete()
        migrate(LATEST)
