"""Upgrading a database whose partnerships break the new constraints says which to fix."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("partnerships", "0002_initial")]
AFTER = [("partnerships", "0003_partnership_rules")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_rules_migration_names_the_partnerships_to_fix_first(tenant_a):
    old = migrate(BEFORE)
    instance = old.get_model("partnerships", "As2Instance").objects.create(
        tenant_id=tenant_a.pk, my_as2_id="me", my_name="me", my_as2_alias="me"
    )
    partner = old.get_model("partnerships", "Partner").objects.create(
        tenant_id=tenant_a.pk,
        partner_as2_id="them",
        partner_name="them",
        partner_as2_alias="them",
        partner_email="edi@them.example",
    )
    rows = old.get_model("partnerships", "Partnership").objects
    row = rows.create(
        tenant_id=tenant_a.pk,
        instance=instance,
        partner=partner,
        as2_url="ftp://them.example/as2",
        subject="one\r\nBcc: two",
    )
    try:
        with pytest.raises(
            RuntimeError,
            match=rf"partnership {row.pk} \(as2_url\), partnership {row.pk} \(subject\)",
        ):
            migrate(AFTER)
    finally:
        rows.filter(pk=row.pk).update(as2_url="https://them.example/as2", subject="EDI")
        migrate(AFTER)
        # Back to the latest migrations, which later tests expect (not only the one tested).
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
