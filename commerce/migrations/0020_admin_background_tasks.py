"""The "Background tasks" report's model (a proxy of django-tasks-db's queue row, no table)
and its permissions: view the report, retry a failed task. The "Shop managers" group gets
both: a failed order e-mail is theirs to see and send again, without a shell.

Django makes a new model's permissions after all migrations; they are made here the same
way (create_permissions), so that they can be granted now.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Shop managers"
CODENAMES = ["view_backgroundtask", "retry_backgroundtask"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("commerce")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)

    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="commerce", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="commerce", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0019_background_work"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.CreateModel(
            name="BackgroundTask",
            fields=[],
            options={
                "verbose_name": "background task",
                "permissions": [("retry_backgroundtask", "Can retry background task")],
                "proxy": True,
                "default_permissions": ("view",),
                "indexes": [],
                "constraints": [],
            },
            bases=("django_tasks_database.dbtaskresult",),
        ),
        migrations.RunPython(grant, revoke),
    ]
