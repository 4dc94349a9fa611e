"""Media in S3: a real S3-compatible server (moto's server mode) on loopback, no mocks.

The storage options come from `storefront.s3.media_storage()`, the same function
production settings call, given the environment each test describes. The rules that
turn variables into a storage are plain function calls here, in-process.
"""

import io
import json
import logging
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import unquote

import boto3
import pytest
from botocore.exceptions import ClientError
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto.server import ThreadedMotoServer
from PIL import Image as PILImage
from storages.backends.s3 import S3Storage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from storefront.s3 import S3_MEDIA_VARIABLES, media_storage
from tests.factories.catalog import make_product, make_shop

REGION = "eu-west-1"
# The fake server takes any credentials; these are set in the environment, where
# production reads them from too.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-secret"}
# Whatever the developer's shell holds must not reach the storage or boto3.
FOREIGN_AWS_VARIABLES = (
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_S3_SESSION_PROFILE",
    "AWS_S3_ACCESS_KEY_ID",
    "AWS_S3_SECRET_ACCESS_KEY",
)


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 over HTTP on a free loopback port, for this module's tests."""
    # The server logs every request through werkzeug; failures are easier to read without.
    requests_log = logging.getLogger("werkzeug")
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        requests_log.setLevel(level)


@pytest.fixture
def s3(s3_endpoint):
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def public_images_policy(bucket):
    """The README's bucket policy: anyone may read images, documents stay private."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicImages",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": [
                        f"arn:aws:s3:::{bucket}/original_images/*",
                        f"arn:aws:s3:::{bucket}/images/*",
                    ],
                }
            ],
        }
    )


@pytest.fixture
def bucket(s3):
    name = f"shop-media-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_policy(Bucket=name, Policy=public_images_policy(name))
    return name


def use_credentials(monkeypatch, credentials):
    """Only `credentials` in the process environment, where boto3 reads them (as in
    production: they never go into the storage's OPTIONS)."""
    for name in (*S3_MEDIA_VARIABLES, *FOREIGN_AWS_VARIABLES, *CREDENTIALS):
        monkeypatch.delenv(name, raising=False)
    for name, value in credentials.items():
        monkeypatch.setenv(name, value)


def configure_s3_media(monkeypatch, settings, environment):
    """Builds STORAGES and MEDIA_URL from `environment` as settings.py does, and
    installs them (override through the `settings` fixture resets Django's cached
    storages on the way in and out, through the setting_changed signal)."""
    use_credentials(monkeypatch, CREDENTIALS)
    storage, media_url = media_storage({**CREDENTIALS, **environment})
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    settings.MEDIA_URL = media_url
    return media_url


@pytest.fixture
def s3_media(monkeypatch, settings, s3_endpoint, bucket):
    """Media in the bucket, served from the endpoint (no CDN)."""
    environment = {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": REGION,
    }
    return configure_s3_media(monkeypatch, settings, environment)


@pytest.fixture
def shop_manager(client, django_user_model):
    user = django_user_model.objects.create_user("photos", password="pw-1234-abc")
    user.groups.add(Group.objects.get(name="Shop managers"))
    client.force_login(user)
    return client


def png_bytes(size=(1200, 900), colour=(30, 90, 200)):
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def upload_in_admin(client, title="Blue mug"):
    """Wagtail 8's image add view, as the browser posts it."""
    response = client.post(
        reverse("wagtailimages:add"),
        {
            "title": title,
            "file": SimpleUploadedFile("blue-mug.png", png_bytes(), content_type="image/png"),
            "description": "",
            "collection": Collection.get_first_root_node().pk,
            "tags": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return get_image_model().objects.get(title=title)


def object_exists(s3, bucket, key):
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
            return False
        raise
    return True


def keys_in(s3, bucket):
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def picture_urls(html):
    """Every URL in the page's <picture> elements (srcset candidates and fallbacks)."""
    soup = BeautifulSoup(html, "html.parser")
    urls = set()
    for element in soup.select("picture source, picture img"):
        for candidate in element.get("srcset", "").split(","):
            if candidate.strip():
                urls.add(candidate.split()[0])
        if element.get("src"):
            urls.add(element["src"])
    return urls


def json_ld_images(html):
    soup = BeautifulSoup(html, "html.parser")
    data = json.loads(soup.find("script", type="application/ld+json").string)
    return data["image"]


def key_of(url, media_url):
    assert url.startswith(media_url), (url, media_url)
    return unquote(url[len(media_url) :].split("?")[0])


def fetch(url):
    """A plain, unsigned GET, as a browser would make it (no proxy for loopback)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:  # noqa: S310 - our loopback server
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


# --- Admin upload, product page, delete -------------------------------------------


@pytest.mark.django_db
def test_admin_upload_goes_to_the_bucket(shop_manager, settings, s3, bucket, s3_media):
    image = upload_in_admin(shop_manager)

    assert image.file.name.startswith("original_images/blue-mug")
    head = s3.head_object(Bucket=bucket, Key=image.file.name)
    assert head["ContentType"] == "image/png"
    assert head["CacheControl"] == "max-age=86400"
    assert (image.width, image.height) == (1200, 900)
    # Unsigned bucket URL, under MEDIA_URL.
    assert image.file.url == f"{s3_media}{image.file.name}"
    assert isinstance(storages["default"], S3Storage)
    # Nothing was written to local disk.
    assert list(Path(settings.MEDIA_ROOT).rglob("*")) == []


@pytest.mark.django_db
def test_a_second_upload_of_the_same_name_does_not_overwrite(shop_manager, s3, bucket, s3_media):
    first = upload_in_admin(shop_manager, "First")
    second = upload_in_admin(shop_manager, "Second")
    assert first.file.name != second.file.name
    assert object_exists(s3, bucket, first.file.name)
    assert object_exists(s3, bucket, second.file.name)


def render_product_page(client, homepage, image):
    make_shop(homepage)
    product = make_product("Blue mug", stock=3)
    product.images.create(image=image, sort_order=0)
    product.save_revision().publish()
    client.logout()
    response = client.get(f"/shop/p/{product.slug}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_product_page_renditions_are_served_from_the_bucket(
    shop_manager, homepage, s3, s3_endpoint, bucket, s3_media
):
    image = upload_in_admin(shop_manager)
    html = render_product_page(shop_manager, homepage, image)

    assert s3_media == f"{s3_endpoint}/{bucket}/"
    urls = picture_urls(html)
    # The gallery's WebP and JPEG sizes, at least.
    assert len(urls) >= 4, urls
    for url in urls:
        assert url.startswith(s3_media), url
        key = key_of(url, s3_media)
        assert key.startswith("images/blue-mug"), key
        assert object_exists(s3, bucket, key), key
    # Search engines get the same, absolute, bucket URLs.
    for url in json_ld_images(html):
        assert object_exists(s3, bucket, key_of(url, s3_media))
    # A browser can fetch them: plain unsigned GETs, allowed by the bucket policy.
    webp = next(url for url in urls if url.endswith(".webp"))
    status, content_type, body = fetch(webp)
    assert (status, content_type) == (200, "image/webp")
    assert body[:4] == b"RIFF"


@pytest.mark.django_db
def test_product_page_renditions_use_the_cdn_domain(
    shop_manager, homepage, monkeypatch, settings, s3, s3_endpoint, bucket
):
    media_url = configure_s3_media(
        monkeypatch,
        settings,
        {
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": s3_endpoint,
            "AWS_S3_REGION_NAME": REGION,
            "MEDIA_CDN_DOMAIN": "cdn.shop.test",
        },
    )
    assert media_url == "https://cdn.shop.test/"
    image = upload_in_admin(shop_manager)
    html = render_product_page(shop_manager, homepage, image)

    urls = picture_urls(html)
    assert len(urls) >= 4, urls
    for url in urls:
        # Plain CDN URLs: no signature, no bucket host.
        assert url.startswith("https://cdn.shop.test/images/blue-mug"), url
        assert "?" not in url
        assert object_exists(s3, bucket, key_of(url, media_url))
    assert all(url.startswith(media_url) for url in json_ld_images(html))


@pytest.mark.django_db
def test_deleting_in_the_admin_removes_the_original_and_renditions(
    shop_manager, admin_client, s3, bucket, s3_media, django_capture_on_commit_callbacks
):
    image = upload_in_admin(shop_manager)
    renditions = [image.get_rendition(spec) for spec in ("max-480x480", "fill-240x240|format-webp")]
    stored = {image.file.name, *(rendition.file.name for rendition in renditions)}
    assert set(keys_in(s3, bucket)) == stored

    # Wagtail deletes files once the transaction commits (a task per file).
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("wagtailimages:delete", args=[image.pk]))
    assert response.status_code == 302

    assert not get_image_model().objects.filter(pk=image.pk).exists()
    assert keys_in(s3, bucket) == []


# --- Documents -------------------------------------------------------------------


@pytest.mark.django_db
def test_documents_are_stored_in_the_bucket_and_served_through_wagtail(
    admin_client, client, s3, bucket, s3_media, django_capture_on_commit_callbacks
):
    content = b"Care instructions: hand wash only.\n"
    response = admin_client.post(
        reverse("wagtaildocs:add"),
        {
            "title": "Care instructions",
            "file": SimpleUploadedFile("care.txt", content, content_type="text/plain"),
            "collection": Collection.get_first_root_node().pk,
            "tags": "",
        },
    )
    assert response.status_code == 302
    document = get_document_model().objects.get(title="Care instructions")
    assert document.file.name.startswith("documents/care")
    assert s3.get_object(Bucket=bucket, Key=document.file.name)["Body"].read() == content
    # Private in the bucket: the public policy covers images only.
    assert fetch(document.file.url)[0] == 403

    # WAGTAILDOCS_SERVE_METHOD = "serve_view": streamed by Wagtail's view (which
    # checks collection privacy), not a redirect to the bucket.
    served = client.get(document.url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == content
    assert served["Content-Security-Policy"] == "default-src 'none'"

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("wagtaildocs:delete", args=[document.pk]))
    assert keys_in(s3, bucket) == []


# --- Settings from the environment -----------------------------------------------


def test_without_s3_variables_media_stay_on_local_disk(settings):
    assert media_storage({}) == (
        {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "/media/",
    )
    # The storage Django builds from it writes under MEDIA_ROOT.
    storage = storages["default"]
    assert type(storage) is FileSystemStorage
    assert storage.location == str(settings.MEDIA_ROOT)
    assert settings.WAGTAILDOCS_SERVE_METHOD == "serve_view"


def test_s3_variables_select_s3_storage_with_the_right_options(monkeypatch):
    credentials = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "very-secret"}
    storage, media_url = media_storage(
        {
            "AWS_STORAGE_BUCKET_NAME": "shop-media",
            "AWS_S3_REGION_NAME": "eu-central-1",
            "MEDIA_CDN_DOMAIN": "media.shop.example.com",
            **credentials,
        }
    )
    assert storage == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "shop-media",
            "region_name": "eu-central-1",
            "endpoint_url": None,
            "addressing_style": None,
            "custom_domain": "media.shop.example.com",
            "querystring_auth": False,
            "file_overwrite": False,
            "default_acl": None,
            "object_parameters": {"CacheControl": "max-age=86400"},
        },
    }
    assert media_url == "https://media.shop.example.com/"
    # Credentials come from the environment into the storage, never into OPTIONS
    # (which Wagtail copies into file-deletion tasks).
    use_credentials(monkeypatch, credentials)
    s3 = S3Storage(**storage["OPTIONS"])
    assert (s3.access_key, s3.secret_key) == ("AKIAEXAMPLE", "very-secret")


def test_s3_compatible_service_without_keys_uses_the_role_chain(monkeypatch):
    storage, media_url = media_storage(
        {
            "AWS_STORAGE_BUCKET_NAME": "shop-media",
            "AWS_S3_ENDPOINT_URL": "https://s3.example-provider.net/",
            "AWS_S3_ADDRESSING_STYLE": "path",
        }
    )
    options = storage["OPTIONS"]
    assert options["endpoint_url"] == "https://s3.example-provider.net"
    assert options["addressing_style"] == "path"
    assert options["custom_domain"] is None
    assert media_url == "https://s3.example-provider.net/shop-media/"
    # No keys anywhere: boto3 falls back to its own chain (instance or task role).
    use_credentials(monkeypatch, {})
    s3 = S3Storage(**options)
    assert (s3.access_key, s3.secret_key) == (None, None)


@pytest.mark.parametrize(
    "environment",
    [
        {"AWS_S3_REGION_NAME": "eu-central-1"},
        {"AWS_S3_REGION_NAME": "eu-central-1", "AWS_S3_ADDRESSING_STYLE": "path"},
        {"AWS_S3_ENDPOINT_URL": "https://minio.example.net/"},
        {"AWS_S3_ENDPOINT_URL": "https://minio.example.net", "AWS_S3_ADDRESSING_STYLE": "virtual"},
        {"AWS_S3_REGION_NAME": "eu-central-1", "MEDIA_CDN_DOMAIN": "media.shop.example.com"},
    ],
)
def test_media_url_is_where_the_storage_points(monkeypatch, environment):
    """MEDIA_URL follows the storage: the prefix of every URL it hands out (no network)."""
    use_credentials(monkeypatch, CREDENTIALS)
    storage, media_url = media_storage(
        {**CREDENTIALS, "AWS_STORAGE_BUCKET_NAME": "shop-media", **environment}
    )
    assert S3Storage(**storage["OPTIONS"]).url("images/mug.png") == f"{media_url}images/mug.png"


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        (
            {"AWS_S3_ENDPOINT_URL": "https://s3.example.net", "MEDIA_CDN_DOMAIN": "cdn.x.com"},
            "AWS_S3_ENDPOINT_URL, MEDIA_CDN_DOMAIN set without AWS_STORAGE_BUCKET_NAME",
        ),
        (
            {"AWS_STORAGE_BUCKET_NAME": "b", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"},
            "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ),
        (
            {"AWS_STORAGE_BUCKET_NAME": "b", "MEDIA_CDN_DOMAIN": "https://cdn.example.com/"},
            "MEDIA_CDN_DOMAIN is a host name",
        ),
        (
            {"AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_ENDPOINT_URL": "s3.example.net"},
            "AWS_S3_ENDPOINT_URL must be an http(s):// URL",
        ),
        (
            {
                "AWS_STORAGE_BUCKET_NAME": "b",
                "AWS_QUERYSTRING_AUTH": "1",
                "MEDIA_CDN_DOMAIN": "cdn.example.com",
            },
            "AWS_QUERYSTRING_AUTH signs bucket URLs",
        ),
        (
            {"AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_ADDRESSING_STYLE": "sideways"},
            "AWS_S3_ADDRESSING_STYLE must be auto, path or virtual",
        ),
        (
            {"AWS_STORAGE_BUCKET_NAME": "b", "AWS_QUERYSTRING_AUTH": "maybe"},
            "AWS_QUERYSTRING_AUTH must be a boolean",
        ),
    ],
)
def test_half_configured_s3_is_a_clear_error(environment, message):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        media_storage(environment)
    assert message in str(excinfo.value)
