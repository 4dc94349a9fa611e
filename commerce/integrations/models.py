"""What the integrations keep: API keys (stored hashed), links to ERP customers, price-feed
builds, and webhook subscriptions with their deliveries."""

import hashlib
import hmac
import ipaddress
import re
import secrets
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from requests_hardened.ip_filter import InvalidIPAddress, get_ip_address

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

    # Shown in the admin as a log, not a snippet anything refers through: without this,
    # Wagtail's reference index queues a task for every save of a job (4 per job).
    wagtail_reference_index_ignore = True

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


# --- Outgoing webhooks ----------------------------------------------------------------------
# The rules of sending (signing, retries, switching a subscriber off) are in
# services/webhooks.py; these are the rows it keeps.

WEBHOOK_SECRET_MARKER = "whsec_"  # noqa: S105 - a prefix, not a secret
WEBHOOK_LAST_ERROR_LENGTH = 500
WEBHOOK_URL_LENGTH = 500


class WebhookEvent(models.TextChoices):
    ORDER_CREATED = "order.created", "Order created"
    ORDER_STATUS_CHANGED = "order.status_changed", "Order status changed"
    PRODUCT_CHANGED = "product.changed", "Product changed (published or unpublished)"
    STOCK_BELOW_THRESHOLD = "stock.below_threshold", "Stock fell below the threshold"


def new_webhook_secret() -> str:
    return f"{WEBHOOK_SECRET_MARKER}{secrets.token_urlsafe(SECRET_BYTES)}"


def private_addresses_allowed() -> bool:
    """Whether subscribers may be on loopback or private networks: with DEBUG (receivers on
    the developer's machine) or STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES (an ERP on the shop's
    own network). Otherwise whoever may add a webhook could make the server send requests
    inside its network (SSRF): to the cloud's metadata address, an admin port, a database."""
    return settings.DEBUG or getattr(settings, "STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES", False)


def private_address_of(hostname: str) -> str | None:
    """The loopback, private, link-local or otherwise non-public address an IP literal or
    `localhost` is, or None. Other names are not looked up here (a form should not wait on
    DNS, and a name can change its address later): the sender checks the address it
    connects to (`webhooks.post`)."""
    name = hostname.rstrip(".").lower()
    try:
        ipaddress.ip_address(name)
    except ValueError:
        if name != "localhost" and not name.endswith(".localhost"):
            return None
    try:
        get_ip_address(name, 443, allow_loopback=False)
    except InvalidIPAddress as refused:
        return str(refused)
    except (OSError, UnicodeError):
        # `*.localhost` this resolver doesn't know; others (systemd-resolved) make it
        # loopback, as RFC 6761 reserves it.
        return "loopback"
    return None


def validate_webhook_url(url: str) -> None:
    """A subscriber URL: absolute http(s) with a host, no credentials, nothing invisible,
    not a loopback or private address (unless `private_addresses_allowed`).

    https only, unless DEBUG or STOREFRONT_WEBHOOK_ALLOW_HTTP (loopback receivers in tests
    and development): the body carries orders with addresses.
    """
    if not isinstance(url, str) or not url:
        raise ValidationError("Enter the subscriber's URL.")
    if len(url) > WEBHOOK_URL_LENGTH:
        raise ValidationError(f"At most {WEBHOOK_URL_LENGTH} characters.")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise ValidationError("The URL may not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise ValidationError("Enter a valid URL.") from None
    allow_http = settings.DEBUG or getattr(settings, "STOREFRONT_WEBHOOK_ALLOW_HTTP", False)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise ValidationError(
            "The URL must start with https://."
            if parts.scheme == "http" or not allow_http
            else "The URL must start with https:// or http://."
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(
            "No user name or password in the URL: the signature proves who sends."
        )
    if not parts.hostname:
        raise ValidationError("The URL needs a host name.")
    if not private_addresses_allowed() and (address := private_address_of(parts.hostname)):
        where = parts.hostname if address == parts.hostname else f"{parts.hostname} ({address})"
        raise ValidationError(
            f"{where} is a loopback or private address: webhooks are sent only to public "
            "addresses unless STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES is set."
        )


class WebhookSubscription(models.Model):
    """A URL that is sent the events it subscribed to, signed with its secret.

    The secret is stored in clear, unlike an API key's hash: the shop must compute an
    HMAC with it for every delivery, which a hash can't do. It is shown once in the
    admin, at creation or rotation, and never rendered again; a database reader can
    read it, as they can read the orders it signs.
    """

    name = models.CharField(max_length=100, help_text="Who receives it, e.g. “ERP”.")
    url = models.URLField(
        "URL",
        max_length=WEBHOOK_URL_LENGTH,
        validators=[validate_webhook_url],
        help_text="Where events are POSTed, e.g. https://erp.example.com/hooks/shop.",
    )
    # A list of WebhookEvent values (JSON: SQLite has no arrays).
    events = models.JSONField(default=list, help_text="What this subscriber is sent.")
    secret = models.CharField(max_length=100, editable=False)
    stock_threshold = models.PositiveIntegerField(
        default=5,
        help_text="For “Stock fell below the threshold”: sent when a variant's units for sale "
        "go from this number or more to fewer.",
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Switched off, it is sent nothing."
    )
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=255, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "webhook"
        verbose_name_plural = "webhooks"

    def __str__(self):
        return self.name

    def wants(self, event: str) -> bool:
        return self.is_active and isinstance(self.events, list) and event in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one subscriber, and what happened when it was sent.

    Written in the transaction of the change it reports (so a rolled-back order sends
    nothing), sent by `services.webhooks.deliver_task` after the commit. `event_id` goes
    out in the X-Storefront-Delivery header: a receiver that sees it twice (a retry after
    a lost answer, a re-send) drops the second copy.
    """

    # A log shown in the admin is not a snippet anything refers through: without this,
    # Wagtail's reference index queues a task for every delivery written.
    wagtail_reference_index_ignore = True

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # What it is about ("order:12", "product:7", "variant:40"): finds the last event of a
    # product, so a publish that changed nothing sends nothing.
    subject = models.CharField(max_length=64, blank=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # Tries before the last re-send: the retry budget counts from there.
    attempts_before_resend = models.PositiveIntegerField(default=0, editable=False)
    last_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response_ms = models.PositiveIntegerField("last response time (ms)", null=True, blank=True)
    last_error = models.CharField(max_length=WEBHOOK_LAST_ERROR_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        permissions = [("resend_webhookdelivery", "Can re-send webhook delivery")]
        indexes = [
            models.Index(fields=["subscription", "event", "subject", "-id"], name="webhook_last"),
            models.Index(fields=["status", "-created_at"], name="webhook_status"),
        ]

    def __str__(self):
        return f"{self.event} → {self.subscription} ({self.get_status_display().lower()})"
