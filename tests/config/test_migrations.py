"""Migrations: they agree with the models, and none locks a table the platform writes to."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import AddIndex, CreateModel

from trousse.migration_operations import AddIndexConcurrently

# Written before the platform opened, when their tables were empty: each also adds the
# column it indexes and marks the existing rows, which cannot share a migration with a
# concurrent build (atomic = False would leave them half applied on a failure).
BUILT_BEFORE_LAUNCH = {("payments", "0005_donation_confirmation_sent_at"), ("payments", "0006_refund_notice_sent_at")}


def _project_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    ours = {config.label for config in apps.get_app_configs() if config.name.startswith("trousse.")}
    return [migration for (app_label, _name), migration in sorted(loader.disk_migrations.items()) if app_label in ours]


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit:
        pytest.fail(f"a model change has no migration: run makemigrations\n{out.getvalue()}")


def test_an_index_on_an_existing_table_is_built_without_blocking_writes():
    created_in: dict[tuple[str, str], str] = {}
    for migration in _project_migrations():
        for operation in migration.operations:
            if isinstance(operation, CreateModel):
                created_in[(migration.app_label, operation.name_lower)] = migration.name
    blocking = []
    for migration in _project_migrations():
        for operation in migration.operations:
            if type(operation) is not AddIndex:
                continue
            same_migration_created_it = created_in.get((migration.app_label, operation.model_name_lower)) == migration.name
            if not same_migration_created_it and (migration.app_label, migration.name) not in BUILT_BEFORE_LAUNCH:
                blocking.append(f"{migration.app_label}.{migration.name}: {operation.index.name}")
    assert not blocking, f"use trousse.migration_operations.AddIndexConcurrently: {blocking}"


def test_a_concurrent_build_runs_alone_outside_a_transaction():
    for migration in _project_migrations():
        if any(isinstance(operation, AddIndexConcurrently) for operation in migration.operations):
            assert migration.atomic is False, f"{migration.app_label}.{migration.name} needs atomic = False"
            assert all(isinstance(operation, AddIndexConcurrently) for operation in migration.operations), (
                f"{migration.app_label}.{migration.name}: other operations would be left half applied by a failed build"
            )


@pytest.mark.django_db
def test_the_public_messages_index_exists_on_this_database():
    # Built by AddIndexConcurrently: concurrently on PostgreSQL (CI), plainly on SQLite.
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "payments_donation")
    assert indexes["donation_public_messages"]["index"] is True


# Outside the test's transaction: a concurrent build refuses to be written inside one.
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_index_is_written_concurrently():
    out = io.StringIO()
    call_command("sqlmigrate", "payments", "0004", stdout=out)
    sql = out.getvalue()
    if connection.vendor == "postgresql":
        assert 'CREATE INDEX CONCURRENTLY "donation_public_messages"' in sql
    else:
        assert 'CREATE INDEX "donation_public_messages"' in sql
