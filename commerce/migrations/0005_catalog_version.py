from django.db import migrations, models


def create_the_row(apps, schema_editor):
    apps.get_model("commerce", "CatalogVersion").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0004_checkout_orders"),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.PositiveBigIntegerField(default=1)),
            ],
            options={"verbose_name": "catalog version"},
        ),
        migrations.RunPython(create_the_row, migrations.RunPython.noop),
    ]
