from wagtail.admin.ui.tables import Column


class ThumbnailColumn(Column):
    """The product's first image, small; the queryset prefetches images and renditions."""

    cell_template_name = "commerce/admin/thumbnail_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        images = list(instance.images.all())
        context["image"] = images[0].image if images else None
        return context
