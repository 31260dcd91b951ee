"""Indexes for the busy read paths at 100,000 orders: the orders in review and in fulfilment
in queue order, and a trigram index for the order list's search by number (PostgreSQL
only)."""

from django.db import migrations, models


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """SQL only PostgreSQL understands (pg_trgm, GIN): the SQLite database of `make run`
    goes without it (its searches still work, by scanning)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0009_external_ref'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='salesorder',
            index=models.Index(condition=models.Q(('state__in', ['submitted', 'on_hold'])),
                               fields=['-priority', 'requested_date', 'created_at', 'id'],
                               name='order_review_priority_idx'),
        ),
        migrations.AddIndex(
            model_name='salesorder',
            index=models.Index(condition=models.Q(('state__in', ['approved', 'in_fulfilment', 'ready_to_ship',
                                                                 'partially_shipped'])),
                               fields=['-priority', 'requested_date', 'created_at', 'id'],
                               name='order_fulfilment_priority_idx'),
        ),
        # `number__icontains` is UPPER(number) LIKE UPPER('%…%'): the index is on that
        # expression. pg_trgm is a trusted extension (PostgreSQL 13+): the database owner
        # may create it. Undoing drops the index only; the extension may serve others.
        RunSQLOnPostgreSQL(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                'CREATE INDEX order_number_trgm_idx ON orders_salesorder USING gin (UPPER("number") gin_trgm_ops)',
            ],
            reverse_sql=["DROP INDEX IF EXISTS order_number_trgm_idx"],
        ),
    ]
