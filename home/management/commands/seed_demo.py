"""`python manage.py seed_demo`: demo pages, images, menu, footer and a local admin."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from home.demo import DEFAULT_DEMO_PRODUCTS, seed_demo_content

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "changeme"  # noqa: S105 - local demo only; refused with DEBUG off


class Command(BaseCommand):
    help = (
        "Builds demo content idempotently: a homepage using every block, content pages in the "
        "menu and footer, branding, and a local admin user (DEBUG only, unless a password is "
        "given)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--admin-password",
            help="Password for the admin user. Required to create one when DEBUG is off.",
        )
        parser.add_argument("--no-admin", action="store_true", help="Do not create an admin user.")
        parser.add_argument(
            "--products",
            type=int,
            default=DEFAULT_DEMO_PRODUCTS,
            help="Top the catalog up to this many demo products (default %(default)s).",
        )

    def handle(self, *args, admin_password=None, no_admin=False, products=None, **options):
        if products is not None and products < 0:
            raise CommandError("--products cannot be negative.")
        report = seed_demo_content(
            products=DEFAULT_DEMO_PRODUCTS if products is None else products,
            progress_stream=self.stderr,
        )
        self.stdout.write(
            f"Demo content: {len(report.created)} item(s) created, {len(report.kept)} kept as "
            "they were."
        )
        for label in report.created:
            self.stdout.write(f"  + {label}")
        if not no_admin:
            self.ensure_admin(admin_password)

    def ensure_admin(self, password):
        User = get_user_model()
        user = User.objects.filter(username=DEMO_USERNAME).first()
        if user is not None:
            self.stdout.write(
                f"Admin user '{DEMO_USERNAME}' exists; its password was left unchanged."
            )
            return
        if password is None:
            if not settings.DEBUG:
                self.stdout.write(
                    self.style.WARNING(
                        "DEBUG is off: no admin user created, because a default password has "
                        "no place on a real server. Use `manage.py createsuperuser`, or pass "
                        f"--admin-password (e.g. {secrets.token_urlsafe(16)})."
                    )
                )
                return
            password = DEMO_PASSWORD
        User.objects.create_superuser(DEMO_USERNAME, "admin@localhost", password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin user created: username '{DEMO_USERNAME}', password '{password}' "
                "(log in at /admin/)."
            )
        )
