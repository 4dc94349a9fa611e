from wagtail.admin.forms import WagtailAdminModelForm

from commerce.models import AttributeOption


class ProductForm(WagtailAdminModelForm):
    """The product edit form, with its attribute choices loaded in one query."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("attribute_options")
        if field is not None:
            # Each option's label names its attribute: fetch them together.
            field.queryset = AttributeOption.objects.select_related("definition").order_by(
                "definition__sort_order", "definition__name", "sort_order"
            )
