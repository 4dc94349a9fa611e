"""Deletes guests' shopping lists unchanged for longer than they are kept. Safe from cron."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from commerce.services.shopping_lists import purge_expired_guest_lists


class Command(BaseCommand):
    help = "Delete guests' shopping lists unchanged for more than --days (GUEST_LIST_DAYS) days."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, days, **options):
        days = settings.STOREFRONT_GUEST_LIST_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1.")
        deleted = purge_expired_guest_lists(days=days)
        self.stdout.write(f"Deleted {deleted} guest shopping lists unchanged for {days} days.")
