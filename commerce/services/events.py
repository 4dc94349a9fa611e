"""Signals the shop's writers send when something other systems may care about happened.

Sent inside the writer's transaction, after the change is written, so a receiver that
writes (the integrations' webhook outbox) commits and rolls back with the change. The
writers live below `commerce.integrations` in the layers (README, "Layers"), so they
announce here and never import it; the integrations connect their receivers at start-up.

- `order_placed(order=...)`: by `checkout.place_order`, once per new order.
- `order_status_changed(order=..., change=...)`: by `orders._apply`, the one place a
  status is written; `change` is the `OrderStatusChange` row.
- `stock_units_changed(before=..., after=...)`: {variant id: units in active warehouses}
  before and after a stock write (placement, `inventory.availability_changed`), the same
  counts the catalog version and back-in-stock alerts see.

Products announce themselves through Wagtail's own `published` / `unpublished` signals,
which every catalog writer sends (the editor, scheduled publishing, the catalog import and
the ERP API, which share its writer).
"""

from django.dispatch import Signal

order_placed = Signal()
order_status_changed = Signal()
stock_units_changed = Signal()
