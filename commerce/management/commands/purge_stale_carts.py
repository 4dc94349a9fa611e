"""Deletes guest carts nobody has touched for a while. Safe to run from cron."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from commerce.services.cart import purge_stale_guest_carts


class Command(BaseCommand):
    help = (
        "Delete guest carts (and their open checkouts) idle for more than --days "
        "(STALE_CART_DAYS) days."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, days, **options):
        days = settings.STOREFRONT_STALE_CART_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1.")
        deleted = purge_stale_guest_carts(days=days)
        self.stdout.write(f"Deleted {deleted} guest carts idle for more than {days} days.")
