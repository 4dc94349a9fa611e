"""The products' search documents, kept current when a row they copy from changes.

Wagtail's search framework (modelsearch) reindexes a product when the product itself
is saved (its post_save queues `insert_or_update_object_task`). A product's document
also holds the names of its main category and of every category above it
(`Product.search_category_names`), so renaming a category or moving it under another
parent (for every product in its branch), or deleting one (its products'
`main_category` is set to NULL by a queryset update, which sends no signal), leaves
those products findable by the old name and not by the new one until each is saved
again. These receivers queue `reindex_products_task` for the affected products instead.

Variants are not in the documents (SKUs and EANs are looked up through their own
indexes: `services.catalog.search.search_product_ids`), so a variant write needs no
reindex, and neither do attributes, stock or prices.
"""

from __future__ import annotations

from django.db.models import Q
from django.db.models.signals import post_save, pre_delete, pre_save

from commerce.models import Category, Product
from commerce.services.tasks import background_task, enqueue_on_commit


@background_task
def reindex_products_task(product_ids: list[int]) -> int:
    """Rewrites these products' search documents; returns how many it wrote (deleted
    products are skipped). Idempotent: a document is replaced, never added twice."""
    from wagtail.search import index

    products = Product.objects.filter(pk__in=product_ids).select_related("main_category")
    count = 0
    for product in products.order_by("pk"):
        index.insert_or_update_object(product)
        count += 1
    return count


def queue_reindex(product_ids) -> None:
    ids = sorted(set(product_ids))
    if ids:
        enqueue_on_commit(reindex_products_task, ids)


# --- Receivers --------------------------------------------------------------------------------


def remember_category_name(sender, instance, raw=False, **kwargs):
    """pre_save: the name and parent before this save, to tell a rename or a move from
    any other edit (one indexed query per category save; categories are saved rarely)."""
    if raw or instance.pk is None:
        instance._name_before_save = None
        return
    instance._name_before_save = (
        Category.objects.filter(pk=instance.pk).values_list("name", "parent_id").first()
    )


def reindex_after_rename(sender, instance, raw=False, created=False, **kwargs):
    before = getattr(instance, "_name_before_save", None)
    if raw or created or before is None or before == (instance.name, instance.parent_id):
        return
    # Every product in the branch carries this category's name (and, after a move, its
    # new parents' names) in its document.
    branch = Q(main_category=instance) | Q(
        main_category__slug_path__startswith=instance.slug_path + "/"
    )
    queue_reindex(Product.objects.filter(branch).values_list("pk", flat=True))


def reindex_before_delete(sender, instance, **kwargs):
    """pre_delete: afterwards the products no longer point at the category."""
    queue_reindex(instance.main_products.values_list("pk", flat=True))


def connect_search_index():
    """Called once from CommerceConfig.ready()."""
    pre_save.connect(remember_category_name, sender=Category, dispatch_uid="search_category_pre")
    post_save.connect(reindex_after_rename, sender=Category, dispatch_uid="search_category_name")
    pre_delete.connect(reindex_before_delete, sender=Category, dispatch_uid="search_category_del")
