"""What the integrations keep: API keys (stored hashed) and links to ERP customers."""

import hashlib
import hmac
import re
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from commerce.tokens import token_regex

KEY_MARKER = "sfk_"
PREFIX_CHARS = 12  # hex characters after the marker, stored to find the key's row
LAST_USED_RESOLUTION = timedelta(minutes=1)
SECRET_BYTES = 32
# What `ApiKey.create` makes; anything else is refused before the database is asked.
KEY_FORMAT = re.compile(rf"{KEY_MARKER}[0-9a-f]{{{PREFIX_CHARS}}}{token_regex(SECRET_BYTES)}")


def hash_key(key: str) -> str:
    """SHA-256 of the whole key. The key is 256 random bits, so no salt or stretching."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str | None:
    """The stored lookup prefix of a presented key, or None if it can't be one of ours."""
    if not KEY_FORMAT.fullmatch(key):
        return None
    return key[: len(KEY_MARKER) + PREFIX_CHARS]


class Scope(models.TextChoices):
    """What a key may do. Each endpoint names the one scope it needs (`auth.key_auth`)."""

    READ_CATALOG = "read_catalog", "Read the catalog: products, categories, stock, promotions"
    WRITE_CATALOG = "write_catalog", "Write the catalog: products, categories, files, relations"
    WRITE_STOCK = "write_stock", "Set stock levels and stock locations"
    READ_ORDERS = "read_orders", "Read orders"
    CHANGE_ORDERS = "change_orders", "Change the status of orders"
    CREATE_ORDERS = "create_orders", "Create orders"


# The permission a member of staff needs to give a key each scope: a key never does more
# than the person who gave it its powers could do in the admin.
SCOPE_PERMISSIONS = {
    Scope.READ_CATALOG: None,  # what anyone who manages keys may give
    Scope.WRITE_CATALOG: "commerce.change_product",
    Scope.WRITE_STOCK: "commerce.change_stock",
    Scope.READ_ORDERS: "commerce.view_order",
    Scope.CHANGE_ORDERS: "commerce.change_order",
    Scope.CREATE_ORDERS: "integrations.create_orders",
}


def default_scopes() -> list[str]:
    """A new key reads the catalog, and nothing more until staff say so."""
    return [Scope.READ_CATALOG.value]


def scopes_beyond(user, scopes) -> list[Scope]:
    """Of `scopes`, those `user` may not give a key (they lack the permission behind it)."""
    return [
        Scope(scope)
        for scope in scopes
        if SCOPE_PERMISSIONS[Scope(scope)] is not None
        and not user.has_perm(SCOPE_PERMISSIONS[Scope(scope)])
    ]


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """One integration's key. Only a hash of the key is kept: it is shown once, at creation.

    The key reads `sfk_<12 hex><43 url-safe characters>`; the first 16 characters
    are stored in clear (`prefix`) to find the row and to let staff tell keys apart.
    """

    name = models.CharField(max_length=100, help_text="Who uses it, e.g. “ERP” or “Ceneo feed”.")
    prefix = models.CharField(
        max_length=len(KEY_MARKER) + PREFIX_CHARS, unique=True, editable=False
    )
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A list of Scope values (JSON: SQLite has no arrays).
    scopes = models.JSONField(
        default=default_scopes, help_text="What requests with this key may do."
    )

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    def set_new_key(self) -> str:
        """Gives the (unsaved) row a fresh key and returns it: the only time it is readable."""
        prefix = secrets.token_hex(PREFIX_CHARS // 2)
        key = f"{KEY_MARKER}{prefix}{secrets.token_urlsafe(SECRET_BYTES)}"
        self.prefix = key_prefix(key)
        self.key_hash = hash_key(key)
        return key

    def allows(self, scope: Scope) -> bool:
        return isinstance(self.scopes, list) and scope.value in self.scopes

    def matches(self, key: str) -> bool:
        return hmac.compare_digest(self.key_hash, hash_key(key))

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            ApiKey.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
                revoked_at=self.revoked_at
            )

    def touch(self, now=None):
        """Records use, writing at most once per LAST_USED_RESOLUTION (one cheap UPDATE)."""
        now = now or timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= LAST_USED_RESOLUTION:
            self.last_used_at = now
            ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)


class CustomerLink(models.Model):
    """Ties a shop account to the customer's id in the ERP (`customer_external_id`).

    The create-order API finds a customer by our user id (`customer_id`) or
    through this link. The model also carries the API's permission.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="integration_link"
    )
    external_id = models.CharField(
        "external id", max_length=64, unique=True, help_text="The customer's id in the ERP."
    )

    class Meta:
        verbose_name = "customer link"
        permissions = [("create_orders", "Can create orders through the create-order API")]

    def __str__(self):
        return f"{self.external_id} → {self.user}"


class TokenFamilyQuerySet(models.QuerySet):
    def revoked(self):
        return self.filter(revoked_at__isnull=False)

    def expired(self, *, longest_lifetime: timedelta, now=None):
        return self.filter(last_issued_at__lt=(now or timezone.now()) - longest_lifetime)


class TokenFamily(models.Model):
    """One sign-in to the create-order API (`sid`), and the one refresh token it may use.

    Refresh tokens rotate: each refresh answers a new pair and makes the new
    refresh token the family's only valid one (`refresh_jti`). A refresh token
    that is not the current one was used before, so someone holds a copy: the
    whole family is revoked, and its access tokens stop working too. Only the
    token's id (a random `jti`) is stored, never a token.
    """

    sid = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token_families"
    )
    refresh_jti = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the last pair was issued: once its tokens have expired, the row can go.
    last_issued_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TokenFamilyQuerySet.as_manager()

    class Meta:
        verbose_name = "API sign-in"

    def __str__(self):
        return f"{self.sid} ({self.user})"


class PriceFeedBuildQuerySet(models.QuerySet):
    def of(self, feed: str, site_id: int):
        """This feed's builds for this site, newest first."""
        return self.filter(feed=feed, site_id=site_id).order_by("-generated_at", "-pk")


class PriceFeedBuild(models.Model):
    """A finished price-comparison feed: a file in the default (media) storage.

    A row, not a directory listing, says which file is newest, so every app server
    finds the same feed with one indexed query, whatever the storage (listing an S3
    prefix on each request would cost a round trip and see deletions late).
    Written only by `services.price_feeds.build_feed`, under its lock.
    """

    feed = models.CharField(max_length=16)
    site = models.ForeignKey("wagtailcore.Site", on_delete=models.CASCADE, related_name="+")
    version = models.BigIntegerField(help_text="The catalog version it was built from.")
    generated_at = models.DateTimeField()
    file_name = models.CharField(max_length=255, help_text="Name in the default storage.")
    size = models.BigIntegerField()

    objects = PriceFeedBuildQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["feed", "site", "-generated_at"], name="price_feed_newest")]

    def __str__(self):
        return f"{self.feed} feed of site {self.site_id}, v{self.version}"

    def is_stale(self, current_version: int, now=None) -> bool:
        """Built from an older catalog, or `STOREFRONT_FEED_MAX_AGE_SECONDS` old: stock
        counts change without a version bump (0: only a new version makes it stale)."""
        if self.version != current_version:
            return True
        max_age = settings.STOREFRONT_FEED_MAX_AGE_SECONDS
        now = now or timezone.now()
        return max_age > 0 and (now - self.generated_at).total_seconds() >= max_age


class BatchJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class BatchJobQuerySet(models.QuerySet):
    def of_key(self, api_key):
        return self.filter(api_key=api_key)

    def finished_before(self, moment):
        return self.filter(
            status__in=[BatchJobStatus.DONE, BatchJobStatus.FAILED], finished_at__lt=moment
        )


class BatchJob(models.Model):
    """A batch write accepted with `Prefer: respond-async` (202), written by a task.

    Written only by `services.batch_jobs`. The items are kept as the JSON text the client
    sent, not as jsonb: the job must check them exactly as the synchronous answer would
    (a number stays the number typed, 0.1 never a float; jsonb also refuses `\\u0000`,
    which an item may carry and must get an `error` for, not crash the job). The report
    is JSON text for the same reason (field names and external ids are echoed back).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="batch_jobs")
    kind = models.CharField(max_length=40)
    status = models.CharField(
        max_length=10, choices=BatchJobStatus.choices, default=BatchJobStatus.QUEUED
    )
    item_count = models.PositiveIntegerField()
    items = models.TextField(help_text="The items, as the JSON text sent; emptied when done.")
    params = models.JSONField(default=dict, blank=True)
    report = models.TextField(blank=True, help_text="The per-item answer (JSON), once done.")
    error = models.TextField(blank=True, help_text="Why the last try crashed, if it did.")
    tries = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = BatchJobQuerySet.as_manager()

    class Meta:
        verbose_name = "batch job"
        indexes = [
            models.Index(fields=["api_key", "-created_at"], name="batch_job_of_key"),
            models.Index(fields=["status", "finished_at"], name="batch_job_finished"),
        ]

    def __str__(self):
        return f"{self.kind} job {self.public_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (BatchJobStatus.DONE, BatchJobStatus.FAILED)
