"""A "Shop managers" group that may run the catalog and stock in the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Shop managers"
MODELS = ["product", "category", "attributedefinition", "warehouse", "stock"]
ACTIONS = ["add", "change", "delete", "view", "publish", "lock", "unlock"]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now.
    app_config = apps.get_app_config("commerce")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)

    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    ContentType = apps.get_model("contenttypes.ContentType")
    # Wagtail adds publish/lock/unlock for drafts and locking after migrations
    # (wagtail.snippets.models.create_extra_permissions); same names, made now.
    product_type = ContentType.objects.get(app_label="commerce", model="product")
    for action in ("publish", "lock", "unlock"):
        Permission.objects.get_or_create(
            content_type=product_type,
            codename=f"{action}_product",
            defaults={"name": f"Can {action} product"},
        )
    group, _ = Group.objects.get_or_create(name=GROUP)
    codenames = [f"{action}_{model}" for model in MODELS for action in ACTIONS]
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="commerce", codename__in=codenames),
        *Permission.objects.filter(
            content_type__app_label="wagtailadmin", codename="access_admin"
        ),
    )
    # Wagtail's image permissions are per collection: grant them on the root
    # collection, which covers every collection below it.
    Collection = apps.get_model("wagtailcore.Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")
    root = Collection.objects.filter(depth=1).order_by("path").first()
    if root is not None:
        for permission in Permission.objects.filter(
            content_type__app_label="wagtailimages",
            codename__in=["add_image", "change_image", "choose_image"],
        ):
            GroupCollectionPermission.objects.get_or_create(
                group=group, collection=root, permission=permission
            )


def remove_group(apps, schema_editor):
    apps.get_model("auth.Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0001_initial"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailimages", "0027_image_description"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
