"""Webhook signatures (what a receiver checks) and subscriber URLs (what staff may enter)."""

import hashlib
import hmac
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from commerce.integrations.models import new_webhook_secret, validate_webhook_url
from commerce.integrations.services.webhooks import (
    sign,
    signature_header,
    verify_signature,
)

SECRET = "whsec_test-secret"
BODY = b'{"id":"e1","event":"order.created","data":{"total_gross":"25.43"}}'
NOW = 1_800_000_000


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, NOW) == expected
    assert signature_header(SECRET, BODY, NOW) == f"t={NOW},v1={expected}"


def test_a_fresh_signature_of_the_same_body_verifies():
    header = signature_header(SECRET, BODY, NOW)
    assert verify_signature(SECRET, BODY, header, now=NOW)
    assert verify_signature(SECRET, BODY.decode(), header, now=NOW + 299)  # str body too
    assert verify_signature(SECRET, BODY, header, now=NOW - 299)  # a clock a little behind


def test_a_replayed_old_request_is_refused_though_its_signature_is_right():
    header = signature_header(SECRET, BODY, NOW)
    assert not verify_signature(SECRET, BODY, header, now=NOW + 301)
    assert not verify_signature(SECRET, BODY, header, now=NOW + 3600)
    assert verify_signature(SECRET, BODY, header, tolerance=3600, now=NOW + 3600)


def test_a_tampered_body_a_moved_timestamp_or_another_secret_is_refused():
    header = signature_header(SECRET, BODY, NOW)
    assert not verify_signature(SECRET, BODY.replace(b"25.43", b"2.43"), header, now=NOW)
    assert not verify_signature(SECRET, BODY + b" ", header, now=NOW)
    signature = header.split("v1=")[1]
    moved = f"t={NOW + 10},v1={signature}"  # a replay with a fresh timestamp pasted in
    assert not verify_signature(SECRET, BODY, moved, now=NOW + 10)
    assert not verify_signature("whsec_other", BODY, header, now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"t={NOW}",
        "v1=abc",
        f"t=x{NOW},v1=abc",
        f"t={NOW},v0=abc",
        "t=,v1=",
        "t=\u00b2,v1=abc",  # a digit to str.isdigit(), not to int()
        f"t=-{NOW},v1=abc",
    ],
)
def test_a_malformed_header_is_refused_not_an_error(header):
    assert verify_signature(SECRET, BODY, header, now=NOW) is False


def test_a_header_with_two_signatures_verifies_if_one_is_right():
    """Room to sign with an old and a new secret at once during a rotation."""
    right = sign(SECRET, BODY, NOW)
    assert verify_signature(SECRET, BODY, f"t={NOW},v1={'0' * 64},v1={right}", now=NOW)


def test_secrets_are_random_and_marked():
    first, second = new_webhook_secret(), new_webhook_secret()
    assert first != second and first.startswith("whsec_") and len(first) > 40


# --- Subscriber URLs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://erp.example.com/hooks/shop",
        "https://erp.example.com:8443/hooks?shop=1",
        "https://[2606:4700:4700::1111]/hook",
        "https://203.0.114.1/hook",
        "https://localhost.example.com/hook",
    ],
)
def test_https_urls_are_accepted(url, settings):
    settings.STOREFRONT_WEBHOOK_ALLOW_HTTP = False
    settings.STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES = False
    settings.DEBUG = False
    validate_webhook_url(url)


@pytest.mark.parametrize(
    "url, address",
    [
        ("https://127.0.0.1/hook", "127.0.0.1"),
        ("https://127.1.2.3:8443/hook", "127.1.2.3"),
        ("https://localhost/hook", "127.0.0.1"),
        ("https://LOCALHOST./hook", "127.0.0.1"),
        ("https://shop.localhost/hook", "loopback"),
        ("https://[::1]/hook", "::1"),
        ("https://[::ffff:127.0.0.1]/hook", "127.0.0.1"),
        ("https://10.0.0.5/hook", "10.0.0.5"),
        ("https://192.168.1.20/hook", "192.168.1.20"),
        ("https://172.16.0.1/hook", "172.16.0.1"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254"),  # cloud metadata
        ("https://100.64.0.1/hook", "100.64.0.1"),  # carrier-grade NAT
        ("https://0.0.0.0/hook", "0.0.0.0"),  # noqa: S104 - a URL refused, not a bind
        ("https://[fe80::1]/hook", "fe80::1"),
        ("https://[fd00::1]/hook", "fd00::1"),
        ("https://224.0.0.1/hook", "224.0.0.1"),
    ],
)
def test_loopback_and_private_addresses_are_refused(url, address, settings):
    settings.STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES = False
    settings.DEBUG = False
    with pytest.raises(ValidationError) as refused:
        validate_webhook_url(url)
    message = refused.value.messages[0]
    assert address in message and "is a loopback or private address: webhooks" in message

    settings.STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES = True  # an ERP on the shop's own network
    validate_webhook_url(url)
    settings.STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES = False
    settings.DEBUG = True  # receivers on the developer's machine
    validate_webhook_url(url)


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://erp.example.com/hook", "must start with https://"),
        ("ftp://erp.example.com/hook", "must start with https://"),
        ("erp.example.com/hook", "must start with https://"),
        ("https://user:pw@erp.example.com/hook", "No user name or password"),
        ("https://token@erp.example.com/hook", "No user name or password"),
        ("https://erp.example.com/ho ok", "spaces or control characters"),
        ("https://erp.example.com/hook\n", "spaces or control characters"),
        ("https://erp.example.com/\x00", "spaces or control characters"),
        ("https:///hook", "needs a host name"),
        ("https://erp.example.com:99999/", "valid URL"),
        ("https://erp.example.com/" + "a" * 500, "At most 500"),
        ("", "Enter the subscriber's URL"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(url, message, settings):
    settings.STOREFRONT_WEBHOOK_ALLOW_HTTP = False
    settings.DEBUG = False
    with pytest.raises(ValidationError) as refused:
        validate_webhook_url(url)
    assert message in refused.value.messages[0]


def test_http_is_allowed_only_when_the_setting_or_debug_says_so(settings):
    settings.DEBUG = False
    settings.STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES = True
    settings.STOREFRONT_WEBHOOK_ALLOW_HTTP = True
    validate_webhook_url("http://127.0.0.1:8000/hook")
    settings.STOREFRONT_WEBHOOK_ALLOW_HTTP = False
    settings.DEBUG = True
    validate_webhook_url("http://127.0.0.1:8000/hook")
    with pytest.raises(ValidationError):
        validate_webhook_url("gopher://127.0.0.1/hook")


def readme_verifier():
    """The receiver's check as the README prints it, run as written."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme.split("### Webhooks", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    return namespace["verify_signature"]


def test_the_readme_snippet_accepts_what_the_shop_signs_and_refuses_replays_and_tampering():
    verify = readme_verifier()
    now = int(time.time())
    header = signature_header(SECRET, BODY, now)
    assert verify(SECRET, BODY, header)
    assert not verify(SECRET, BODY + b"x", header)
    assert not verify("whsec_other", BODY, header)
    old = signature_header(SECRET, BODY, now - 301)
    assert not verify(SECRET, BODY, old)
    assert not verify(SECRET, BODY, "garbage")
    assert not verify(SECRET, BODY, "t=\u00b2,v1=abc")
