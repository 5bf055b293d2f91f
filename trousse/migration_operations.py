"""Migration operations that keep the platform writable while they run.

`AddIndexConcurrently`: on PostgreSQL, CREATE INDEX CONCURRENTLY, so webhooks and
donations keep writing to a table of a million rows while its index builds (a
plain CREATE INDEX blocks every write for the minutes that takes). Elsewhere
(SQLite, the embedded mode) a plain index, built at once on small tables.

A migration using it sets `atomic = False` (PostgreSQL cannot build an index
concurrently inside a transaction) and holds nothing else: a failure midway
would leave the other operations half applied. A build that fails leaves an
INVALID index behind: drop it (DROP INDEX CONCURRENTLY name) and migrate again.
"""

from django.contrib.postgres.operations import AddIndexConcurrently as PostgresAddIndexConcurrently
from django.db.migrations.operations import AddIndex


class AddIndexConcurrently(PostgresAddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)
        return super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
        return super().database_backwards(app_label, schema_editor, from_state, to_state)

    def deconstruct(self):
        # Migrations name this class, not Django's PostgreSQL-only one.
        _name, args, kwargs = super().deconstruct()
        return self.__class__.__name__, args, kwargs
