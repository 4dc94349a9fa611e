"""The "Shop managers" group also runs orders, coupons, delivery and payment methods.

Orders: view (list, export, order page) and change (= change an order's status; nobody
edits an order as a form, see commerce/admin/order_viewsets.py).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Shop managers"
FULL = ["add", "change", "delete", "view"]
CODENAMES = [
    *(f"{action}_{model}" for model in ("coupon", "deliverymethod", "paymentmethod") for action in FULL),
    "view_order",
    "change_order",
]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now.
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
        ("commerce", "0006_search_vector_index"),
        ("commerce", "0002_shop_managers_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
