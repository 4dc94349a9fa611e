"""pg_trgm and a trigram index on product and category names, for "Did you mean …?"
(`services.catalog.search.did_you_mean`).

pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it
without superuser rights. Other databases (SQLite in `make run`) get neither: the
shop's search then offers no corrections.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "storefront_product_name_trgm": "commerce_product",
    "storefront_category_name_trgm": "commerce_category",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, table in INDEXES.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (lower(name) gin_trgm_ops)"
            )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("commerce", "0025_product_stock_alerts_related_settings")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
