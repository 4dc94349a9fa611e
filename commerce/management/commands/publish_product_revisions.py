"""Gives live products that have no published revision one. Safe to run again.

Products seeded before the seed published revisions are live without one, and
Wagtail would take them off the shop the moment an editor schedules a change
(see commerce/services/product_revisions.py).
"""

from django.core.management.base import BaseCommand

from commerce.services.product_revisions import repair_product_revisions


class Command(BaseCommand):
    help = "Publish a first revision for every live product that has none."

    def handle(self, *args, **options):
        repair = repair_product_revisions()
        self.stdout.write(f"Published a first revision for {repair.published} live products.")
        if repair.lost_to_schedule:
            self.stdout.write(
                "Taken off the shop by a scheduled change before they had a published "
                "revision (their row already holds the scheduled values; check and publish "
                "them in the admin): " + ", ".join(repair.lost_to_schedule)
            )
