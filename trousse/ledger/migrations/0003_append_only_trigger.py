"""Ledger rows are append-only, enforced by PostgreSQL itself (DESIGN.md, Money).

The models refuse save() on an existing row and delete(), and the admin is
read-only; this trigger also refuses a raw SQL UPDATE or DELETE, from a shell,
a script or a bug. SQLite (the embedded default) has no such trigger: the
model guards are what it gets.
"""

from django.db import migrations

TABLES = ("ledger_ledgerentry", "ledger_ledgertransaction")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only (% on %): post a reversing transaction instead', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None: the % of RAISE are PL/pgSQL placeholders, not the driver's.
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
        )
        # TRUNCATE is left alone on purpose: Django's `flush` (transactional tests) uses it,
        # and it needs a table owner's rights that the application role should not have.


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS ledger_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_money_out")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
