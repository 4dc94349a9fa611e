"""Where media live: local disk, or S3 (or an S3-compatible service) through
django-storages, derived from the environment.

Media are Wagtail images (every product, category and banner picture is one), their
renditions and Wagtail documents: all through the "default" storage. Local disk
under MEDIA_ROOT unless AWS_STORAGE_BUCKET_NAME is set.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .env import Environ, env_bool

LOCAL_MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
LOCAL_MEDIA_URL = "/media/"

S3_MEDIA_VARIABLES = (
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_S3_ADDRESSING_STYLE",
    "AWS_QUERYSTRING_AUTH",
    "MEDIA_CDN_DOMAIN",
)


def media_storage(environ: Environ = os.environ) -> tuple[dict, str]:
    """The "default" storage and MEDIA_URL."""
    return s3_media_storage(environ) or (LOCAL_MEDIA_STORAGE, LOCAL_MEDIA_URL)


def s3_media_storage(environ: Environ = os.environ) -> tuple[dict, str] | None:
    """The "default" storage and MEDIA_URL for media in S3, or None for local disk.

    Credentials are deliberately not put into OPTIONS: django-storages and boto3
    read AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) from the
    environment, or fall back to the instance or task role. OPTIONS are copied into
    `storage.deconstruct()`, which Wagtail passes as task arguments when it deletes
    a file, so a secret there could end up in a task queue.
    """

    def env(name: str) -> str:
        return environ.get(name, "").strip()

    bucket = env("AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        stray = [name for name in S3_MEDIA_VARIABLES if env(name)]
        if stray:
            raise ImproperlyConfigured(
                f"{', '.join(stray)} set without AWS_STORAGE_BUCKET_NAME: set the bucket "
                "to keep media in S3, or unset them to keep media on local disk."
            )
        return None

    endpoint = env("AWS_S3_ENDPOINT_URL").rstrip("/")
    if endpoint and not endpoint.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            f"AWS_S3_ENDPOINT_URL must be an http(s):// URL, not {endpoint!r}."
        )
    cdn_domain = env("MEDIA_CDN_DOMAIN")
    if "/" in cdn_domain:
        raise ImproperlyConfigured(
            "MEDIA_CDN_DOMAIN is a host name such as cdn.example.com, without "
            f"https:// or a path, not {cdn_domain!r}."
        )
    if bool(env("AWS_ACCESS_KEY_ID")) != bool(env("AWS_SECRET_ACCESS_KEY")):
        raise ImproperlyConfigured(
            "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither to use "
            "the instance or task role."
        )
    # Product pictures are public, and shop pages are cached whole: signed URLs
    # would expire inside cached pages and defeat browser and CDN caches. Only
    # turn signing on for a private bucket without a CDN.
    querystring_auth = env_bool("AWS_QUERYSTRING_AUTH", False, environ)
    if querystring_auth and cdn_domain:
        raise ImproperlyConfigured(
            "AWS_QUERYSTRING_AUTH signs bucket URLs; with MEDIA_CDN_DOMAIN media are "
            "served unsigned from the CDN. Unset one of them."
        )
    addressing_style = env("AWS_S3_ADDRESSING_STYLE")
    if addressing_style not in {"", "auto", "path", "virtual"}:
        raise ImproperlyConfigured(
            f"AWS_S3_ADDRESSING_STYLE must be auto, path or virtual, not {addressing_style!r}."
        )
    region = env("AWS_S3_REGION_NAME")

    options = {
        "bucket_name": bucket,
        "region_name": region or None,
        "endpoint_url": endpoint or None,
        "addressing_style": addressing_style or None,
        "custom_domain": cdn_domain or None,
        "querystring_auth": querystring_auth,
        # An upload never replaces another file of the same name; the CDN and
        # browsers may keep an object for a day (below), so names are not reused.
        "file_overwrite": False,
        # No ACLs (buckets have them off by default): public reads come from the
        # bucket or CDN policy, limited to images (README, "Media storage").
        "default_acl": None,
        "object_parameters": {"CacheControl": "max-age=86400"},
    }
    # MEDIA_URL is what the storage's URLs start with (botocore's choice of host).
    if cdn_domain:
        media_url = f"https://{cdn_domain}/"
    elif endpoint:
        scheme, _, host = endpoint.partition("://")
        if addressing_style == "virtual":
            media_url = f"{scheme}://{bucket}.{host}/"
        else:
            media_url = f"{endpoint}/{bucket}/"
    elif addressing_style == "path":
        media_url = f"https://s3.{region + '.' if region else ''}amazonaws.com/{bucket}/"
    else:
        media_url = f"https://{bucket}.s3.amazonaws.com/"
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}, media_url
