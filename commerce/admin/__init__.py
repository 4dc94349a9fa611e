"""Wagtail admin for the shop: snippet viewsets, the stock panel and the stock editor."""
