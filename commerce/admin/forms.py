"""The product edit form: its attribute choices, its variants' choices, and the variant set rule.

A product's variants are an inline of its form (they are part of its revisions). Whether
the set is valid is one rule, `commerce.models.variant_set_errors`; this form only runs
it over the variants as submitted (the axes may change in the same form) and puts each
error on the variant's own field, naming the variant: "Variant 2 (COAT-M-GRN): choose an
option for Colour." Each variant's pictures are chosen from the product's gallery.
"""

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.images import get_image_model

from commerce.models import AttributeOption, Category, variant_set_errors
from commerce.services.references import variant_delete_impacts


def _option_choices(options):
    """Attribute options grouped by attribute ("Material": Steel, Wood), in one query."""
    groups: dict[str, list] = {}
    options = options.select_related("definition")
    for option in options.order_by("definition__sort_order", "definition__name", "sort_order"):
        groups.setdefault(option.definition.name, []).append((option.pk, option.value))
    return list(groups.items())


def _variant_option_choices():
    """Options of every variant axis, grouped by axis, in one query."""
    return _option_choices(AttributeOption.objects.filter(definition__varies_per_variant=True))


def _impact_note(impact) -> str:
    def count(n, word):
        return f"{n} {word}{'s' if n != 1 else ''}"

    return (
        f"In {count(impact.carts, 'cart')}, {count(impact.lists, 'shopping list')} and "
        f"{count(impact.orders, 'order')}. Deleting this variant keeps their copy of its "
        "name, SKU and price (shown as no longer available); to stop selling it and keep it, "
        "untick “active” instead."
    )


def _lower_first(message: str) -> str:
    return message[:1].lower() + message[1:]


class ProductForm(WagtailAdminModelForm):
    """The product edit form, with its attribute and variant choices loaded once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("attribute_options")
        if field is not None:
            # Ticks grouped under their attribute's name, loaded together (one query).
            field.queryset = AttributeOption.objects.filter(
                definition__varies_per_variant=False
            ).select_related("definition")
            field.choices = _option_choices(field.queryset)
        categories = self.fields.get("additional_categories")
        if categories is not None:
            categories.queryset = Category.objects.with_path_labels()
        variants = self.formsets.get("variants")
        if variants is not None:
            variants.form = self._variant_form_class(variants.form)

    def gallery_images(self):
        """The images of the product's gallery as loaded (saved or in its latest revision)."""
        ids = [item.image_id for item in self.instance.images.all() if item.image_id]
        images = get_image_model().objects.filter(pk__in=ids).order_by("title")
        return list(images)

    def _variant_form_class(self, base):
        """The variants inline's form, its choices computed once for all of its forms
        (the empty form the "Add" button copies included)."""
        option_choices = _variant_option_choices()
        picture_choices = [(image.pk, image.title) for image in self.gallery_images()]
        saved_ids = [v.pk for v in self.instance.variants.all() if v.pk] if self.instance.pk else []
        impacts = variant_delete_impacts(saved_ids) if saved_ids else {}

        class VariantForm(base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                options = self.fields.get("options")
                if options is not None:
                    options.queryset = AttributeOption.objects.filter(
                        definition__varies_per_variant=True
                    ).select_related("definition")
                    options.choices = option_choices  # no query per form
                impact = impacts.get(self.instance.pk)
                if impact and "sku" in self.fields:
                    self.fields["sku"].help_text = _impact_note(impact)
                pictures = self.fields.get("images")
                if pictures is not None:
                    # Any image validates here; ProductForm.clean says whether it is one
                    # of the gallery's, with a message that names the variant.
                    pictures.queryset = get_image_model().objects.all()
                    pictures.choices = picture_choices
                    if not picture_choices:
                        pictures.help_text = (
                            "Add pictures to the product's gallery (Product tab) and save "
                            "to choose some for this variant."
                        )

        return VariantForm

    def clean(self):
        cleaned_data = super().clean()
        variants = self.formsets.get("variants")
        if variants is None:
            return cleaned_data
        variants.errors  # noqa: B018 (validates each variant's own fields first)
        kept = [
            form
            for form in variants.forms
            if not variants._should_delete_form(form) and (form.instance.pk or form.has_changed())
        ]
        kept.sort(key=lambda form: form.cleaned_data.get("ORDER") or 0)
        if "variant_axes" in cleaned_data:
            self._check_variant_set(cleaned_data["variant_axes"], kept)
        self._check_pictures(kept)
        return cleaned_data

    @staticmethod
    def _label(position, form):
        sku = form.cleaned_data.get("sku") or form.instance.sku or "new"
        return f"Variant {position + 1} ({sku})"

    def _check_variant_set(self, axes, forms_in_order):
        class Submitted:
            def __init__(self, options):
                self._options = options

            @property
            def options(self):
                return self

            def all(self):
                return self._options

        submitted = [
            Submitted(list(form.cleaned_data.get("options") or [])) for form in forms_in_order
        ]
        for position, errors in variant_set_errors(list(axes), submitted).items():
            form = forms_in_order[position]
            for field, message in errors.items():
                if field in form.errors:
                    continue  # its own error says more
                form.add_error(field, f"{self._label(position, form)}: {_lower_first(message)}")

    def _check_pictures(self, forms_in_order):
        images = self.formsets.get("images")
        if images is None or not images.is_valid():
            return  # the gallery's own errors first
        gallery = {
            form.cleaned_data["image"].pk
            for form in images.forms
            if not images._should_delete_form(form) and form.cleaned_data.get("image")
        }
        for position, form in enumerate(forms_in_order):
            stray = [i for i in form.cleaned_data.get("images") or [] if i.pk not in gallery]
            if stray and "images" not in form.errors:
                names = ", ".join(f"“{image.title}”" for image in stray)
                form.add_error(
                    "images",
                    f"{self._label(position, form)}: a variant's pictures come from the "
                    f"product's gallery; {names} is not in it.",
                )


class GenerateVariantsForm(forms.Form):
    """The "create variants for all combinations" action: options per axis, a base SKU, a price."""

    base_sku = forms.CharField(
        label="Base SKU",
        max_length=40,
        help_text="Each new variant's SKU is this, then its options: COAT-M-GREEN.",
    )
    price = forms.DecimalField(label="Price", min_value=0, max_digits=12, decimal_places=2)

    def __init__(self, *args, axes, **kwargs):
        super().__init__(*args, **kwargs)
        self.axes = axes
        for axis in axes:
            self.fields[f"axis_{axis.pk}"] = forms.ModelMultipleChoiceField(
                label=axis.name,
                queryset=axis.options.all(),
                widget=forms.CheckboxSelectMultiple,
                required=True,
                error_messages={"required": f"Choose at least one {axis.name.lower()}."},
            )
            self.fields[f"axis_{axis.pk}"].label_from_instance = lambda option: option.value

    def clean_base_sku(self):
        return self.cleaned_data["base_sku"].strip()

    def chosen_options(self):
        return [option for axis in self.axes for option in self.cleaned_data[f"axis_{axis.pk}"]]
