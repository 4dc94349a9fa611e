"""The catalog version: one number that changes whenever what shoppers see changes."""

from django.db import models


class CatalogVersion(models.Model):
    """A single row (pk 1) whose `version` is part of every cached storefront page's key.

    It lives in the database, not in the cache, so that it is bumped in the same
    transaction as the change it stands for: every gunicorn worker sees the new
    number exactly when it sees the new data, whatever cache backend each one uses.
    See `commerce.services.catalog_version` (and `services.page_cache`, which keys on it).
    """

    version = models.PositiveBigIntegerField(default=1)

    class Meta:
        verbose_name = "catalog version"

    def __str__(self):
        return f"catalog version {self.version}"
