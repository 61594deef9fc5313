"""The database itself refuses a partnership whose instance or partner is another tenant's.

Django cannot declare a composite foreign key, so triggers hold the rule on SQLite and
PostgreSQL (the two databases we run on): on a partnership's insert or update, and on a
change of tenant of an instance or partner that partnerships use. SQLite drops a table's
triggers when Django rebuilds the table, so a later migration that alters these tables must
recreate them: tests/partnerships/test_services.py fails if they are gone.
"""

from django.db import migrations
from django.db.models import F

REFUSAL = "A partnership joins an AS2 instance and a partner of its own tenant."
PAIR_OF_ANOTHER_TENANT = """
    (SELECT tenant_id FROM partnerships_as2instance WHERE id = NEW.instance_id)
        IS DISTINCT FROM NEW.tenant_id
    OR (SELECT tenant_id FROM partnerships_partner WHERE id = NEW.partner_id)
        IS DISTINCT FROM NEW.tenant_id
"""
USED_ELSEWHERE = """
    EXISTS (SELECT 1 FROM partnerships_partnership
            WHERE {column} = NEW.id AND tenant_id IS DISTINCT FROM NEW.tenant_id)
"""
# table, trigger name, event, condition
TRIGGERS = [
    (
        "partnerships_partnership",
        "partnership_same_tenant_insert",
        "INSERT",
        PAIR_OF_ANOTHER_TENANT,
    ),
    (
        "partnerships_partnership",
        "partnership_same_tenant_update",
        "UPDATE OF tenant_id, instance_id, partner_id",
        PAIR_OF_ANOTHER_TENANT,
    ),
    (
        "partnerships_as2instance",
        "as2instance_keeps_partnerships_tenant",
        "UPDATE OF tenant_id",
        USED_ELSEWHERE.format(column="instance_id"),
    ),
    (
        "partnerships_partner",
        "partner_keeps_partnerships_tenant",
        "UPDATE OF tenant_id",
        USED_ELSEWHERE.format(column="partner_id"),
    ),
]


def sqlite_sql(table: str, name: str, event: str, condition: str) -> list[str]:
    # SQLite spells IS DISTINCT FROM as IS NOT (3.39 knows both; older ones only IS NOT).
    condition = condition.replace("IS DISTINCT FROM", "IS NOT")
    return [
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW WHEN {condition} "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    ]


def postgresql_sql(table: str, name: str, event: str, condition: str) -> list[str]:
    return [
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF {condition} THEN RAISE EXCEPTION '{REFUSAL}' "
        "USING ERRCODE = 'integrity_constraint_violation'; END IF; RETURN NEW; END $$",
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
    ]


def create_triggers(apps, schema_editor):
    partnership = apps.get_model("partnerships", "Partnership")
    joined = partnership.objects.exclude(
        instance__tenant=F("tenant")
    ) | partnership.objects.exclude(partner__tenant=F("tenant"))
    broken = sorted(joined.values_list("pk", flat=True).distinct())
    if broken:
        raise RuntimeError(
            "These partnerships join two tenants' rows; delete them in the admin on the "
            f"previous version, then migrate again: {', '.join(map(str, broken))}."
        )
    make = {"sqlite": sqlite_sql, "postgresql": postgresql_sql}.get(schema_editor.connection.vendor)
    for trigger in TRIGGERS if make else []:
        for statement in make(*trigger):
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, name, _event, _condition in TRIGGERS:
        if vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


class Migration(migrations.Migration):
    dependencies = [("partnerships", "0003_partnership_rules")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
