"""The "Shop managers" group also runs promotions: add, change, delete, view, publish
(and so schedule), lock and unlock.

Wagtail makes the publish/lock/unlock permissions of snippets after all migrations; they
are made here the same way (same codenames and names), so that they can be granted now.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Shop managers"
ACTIONS = ["add", "change", "delete", "view", "publish", "lock", "unlock"]
EXTRA = ["publish", "lock", "unlock"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("commerce")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)

    ContentType = apps.get_model("contenttypes.ContentType")
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="commerce", model="promotion")
    for action in EXTRA:
        Permission.objects.get_or_create(
            content_type=content_type,
            codename=f"{action}_promotion",
            defaults={"name": f"Can {action} promotion"},
        )
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type=content_type, codename__in=[f"{a}_promotion" for a in ACTIONS]
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="commerce",
                codename__in=[f"{a}_promotion" for a in ACTIONS],
            )
        )


class Migration(migrations.Migration):
    dependencies = [("commerce", "0017_history_seed")]

    operations = [migrations.RunPython(grant, revoke)]
