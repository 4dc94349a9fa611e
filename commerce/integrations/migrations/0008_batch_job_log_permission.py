"""The "Shop managers" group may view the ERP's batch jobs (Integrations → Batch jobs),
as it may view the webhook deliveries: the ERP's connection is theirs to run."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Shop managers"
CODENAME = "view_batchjob"


def _permission(apps):
    Permission = apps.get_model("auth.Permission")
    return Permission.objects.filter(content_type__app_label="integrations", codename=CODENAME)


def grant(apps, schema_editor):
    app_config = apps.get_app_config("integrations")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth.Group")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*_permission(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*_permission(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0007_webhooks"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
