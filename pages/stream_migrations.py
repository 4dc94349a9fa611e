"""StreamField data migration steps of our own (Wagtail's `MigrateStreamData` runs them).

Kept out of the migration files so the home and pages migrations share one, and so a
test can run it on a value of the old shape.
"""

from django.utils.deconstruct import deconstructible
from wagtail.blocks.migrations.operations import BaseBlockOperation


@deconstructible
class WrapStreamChildrenOperation(BaseBlockOperation):
    """Puts the bare value of each stream child of type `block_name` under the key `into`.

    `{"type": "rich_text", "value": "<p>…</p>"}` becomes `{"type": "rich_text", "value":
    {"text": "<p>…</p>"}}`: a block that became a StructBlock (campaign windows) keeps its
    type name and id, and its window fields take their defaults. Children already wrapped
    are left alone, so running it twice changes nothing.
    """

    def __init__(self, block_name, into):
        super().__init__()
        self.block_name = block_name
        self.into = into

    def apply(self, block_value):
        return [
            {**child, "value": {self.into: child["value"]}}
            if child["type"] == self.block_name and not isinstance(child["value"], dict)
            else child
            for child in block_value
        ]

    @property
    def operation_name_fragment(self):
        return f"wrap_{self.block_name}_in_{self.into}"
