"""Limits on abuse: log-in lock-out on the three log-ins, request limits, coupon guesses,
sign-up with a known address, and the create-order API's token rotation and revocation.

Every limit is tested at its edge: the Nth attempt is answered as usual, the N+1th is
refused with a 429 and a reason, and another account, address or session is unaffected.
Each test client has its own REMOTE_ADDR, so per-IP counters are explicit.
"""

import json
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client, RequestFactory, TestCase
from django.urls import reverse
from django.utils import timezone

from commerce.integrations import jwt_auth
from commerce.integrations.models import TokenFamily
from commerce.models import ShoppingList
from commerce.services.limits import COUPON_REFUSED, client_ip
from tests.commerce.integrations.test_api_orders import grant
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.catalog import make_product
from tests.factories.checkout import make_coupon

pytestmark = pytest.mark.django_db

WRONG = "not-the-password"


@pytest.fixture(autouse=True)
def _site(homepage):
    return homepage


@pytest.fixture
def limits(settings):
    """Sets some of settings.STOREFRONT_RATE_LIMITS for one test."""

    def set_limits(**rates):
        settings.STOREFRONT_RATE_LIMITS = {**settings.STOREFRONT_RATE_LIMITS, **rates}

    return set_limits


def client_at(ip):
    return Client(REMOTE_ADDR=ip)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def last_message(response):
    """The message this request added (earlier unread ones are still in the cookie)."""
    return messages_of(response)[-1]


# --- Log-in lock-out: shop, admin, POST /auth/ -------------------------------------------


def shop_login(client, username, password):
    return client.post(reverse("account:login"), {"username": username, "password": password})


def admin_login(client, username, password):
    return client.post("/admin/login/", {"username": username, "password": password})


def api_sign_in(client, username, password):
    return client.post(
        "/auth/",
        json.dumps({"username": username, "password": password}),
        content_type="application/json",
    )


@pytest.fixture
def failure_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return 3


@pytest.fixture
def shopper():
    return make_customer("anna@example.com")


def test_shop_login_allows_the_right_password_after_limit_minus_one_failures(
    shopper, failure_limit
):
    client = client_at("10.0.0.1")
    for _ in range(failure_limit - 1):
        assert shop_login(client, "anna@example.com", WRONG).status_code == 200

    response = shop_login(client, "anna@example.com", PASSWORD)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(shopper.pk)


def test_shop_login_locks_the_account_out_even_for_the_right_password(shopper, failure_limit):
    attacker = client_at("10.0.0.1")
    for _ in range(failure_limit - 1):
        assert shop_login(attacker, "anna@example.com", WRONG).status_code == 200

    locking = shop_login(attacker, "Anna@Example.com", WRONG)  # any letter case counts
    assert locking.status_code == 429
    assert "Log-in is blocked for 15 minutes" in locking.content.decode()

    # The owner, from another address, with the right password: refused too.
    owner = client_at("10.0.0.2")
    response = shop_login(owner, "anna@example.com", PASSWORD)
    assert response.status_code == 429
    assert "even with the right password" in response.content.decode()
    assert response["Retry-After"] == "900"
    assert SESSION_KEY not in owner.session

    # Another account, from another address, is not affected.
    other = make_customer("bob@example.com")
    bystander = client_at("10.0.0.3")
    assert shop_login(bystander, "bob@example.com", PASSWORD).status_code == 302
    assert bystander.session[SESSION_KEY] == str(other.pk)


def test_one_address_trying_many_accounts_is_locked_out_but_others_are_not(failure_limit):
    for n in range(failure_limit):
        make_customer(f"victim{n}@example.com")
    target = make_customer("target@example.com")
    sprayer = client_at("10.0.0.9")
    for n in range(failure_limit):
        shop_login(sprayer, f"victim{n}@example.com", WRONG)

    assert shop_login(sprayer, "target@example.com", PASSWORD).status_code == 429

    elsewhere = client_at("10.0.0.10")
    assert shop_login(elsewhere, "target@example.com", PASSWORD).status_code == 302
    assert elsewhere.session[SESSION_KEY] == str(target.pk)


def test_failures_on_any_log_in_count_towards_one_lock_out_on_all_three(failure_limit):
    staff = get_user_model().objects.create_superuser("boss", "boss@example.com", PASSWORD)
    shop_login(client_at("10.0.1.1"), "boss", WRONG)
    admin_login(client_at("10.0.1.2"), "boss", WRONG)
    locking = api_sign_in(client_at("10.0.1.3"), "boss", WRONG)
    assert locking.status_code == 429

    fresh = client_at("10.0.1.4")
    assert admin_login(fresh, "boss", PASSWORD).status_code == 429
    assert SESSION_KEY not in fresh.session
    assert shop_login(fresh, "boss", PASSWORD).status_code == 429
    api = api_sign_in(fresh, "boss", PASSWORD)
    assert api.status_code == 429
    assert "access_token" not in api.json()
    assert staff.pk  # the account itself is untouched


def test_admin_login_locks_out_and_answers_429_with_a_reason(failure_limit):
    get_user_model().objects.create_superuser("boss", "boss@example.com", PASSWORD)
    client = client_at("10.0.2.1")
    for _ in range(failure_limit - 1):
        assert admin_login(client, "boss", WRONG).status_code == 200

    assert admin_login(client, "boss", WRONG).status_code == 429
    response = admin_login(client_at("10.0.2.2"), "boss", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()


def test_api_sign_in_locks_out_with_a_json_429(failure_limit):
    user = get_user_model().objects.create_user("erp", password=PASSWORD)
    grant(user)
    client = client_at("10.0.3.1")
    for _ in range(failure_limit - 1):
        assert api_sign_in(client, "erp", WRONG).status_code == 404

    locking = api_sign_in(client, "erp", WRONG)
    assert locking.status_code == 429
    assert "Too many failed log-in attempts" in locking.json()["detail"]
    assert api_sign_in(client_at("10.0.3.2"), "erp", PASSWORD).status_code == 429

    other = get_user_model().objects.create_user("erp2", password=PASSWORD)
    grant(other)
    assert api_sign_in(client_at("10.0.3.3"), "erp2", PASSWORD).status_code == 200


def test_the_lock_out_ends_after_the_cool_off(shopper, failure_limit):
    client = client_at("10.0.4.1")
    for _ in range(failure_limit):
        shop_login(client, "anna@example.com", WRONG)
    assert shop_login(client, "anna@example.com", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert shop_login(client, "anna@example.com", PASSWORD).status_code == 302


# --- Password reset, sign-up ---------------------------------------------------------------


def reset(client, email):
    # E-mails are tasks queued with the commit (services.notifications): run them.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("account:password_reset"), {"email": email})


def test_password_reset_is_limited_per_address(shopper, limits):
    limits(password_reset_address="3/h", password_reset_ip="100/h")
    for n in range(3):
        assert reset(client_at(f"10.1.0.{n}"), "anna@example.com").status_code == 302

    refused = reset(client_at("10.1.0.9"), "ANNA@example.com")

    assert refused.status_code == 429
    assert "Too many password-reset requests" in refused.content.decode()
    assert len(mail.outbox) == 3
    make_customer("bob@example.com")
    assert reset(client_at("10.1.0.9"), "bob@example.com").status_code == 302
    assert len(mail.outbox) == 4


def test_password_reset_is_limited_per_ip(shopper, limits):
    limits(password_reset_address="100/h", password_reset_ip="2/h")
    client = client_at("10.1.1.1")
    assert reset(client, "nobody@example.com").status_code == 302
    assert reset(client, "someone@example.com").status_code == 302

    assert reset(client, "anna@example.com").status_code == 429
    assert mail.outbox == []
    assert reset(client_at("10.1.1.2"), "anna@example.com").status_code == 302
    assert len(mail.outbox) == 1


def test_the_admin_offers_no_unlimited_password_reset_of_its_own(client, shopper):
    """Wagtail's own reset form would mail any account, with no limit: it is switched off,
    and staff reset through the shop's limited page."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post("/admin/password_reset/", {"email": "anna@example.com"})

    assert answer.status_code == 404
    assert mail.outbox == []


NEW_PASSWORD = "plum-tractor-velvet-91"


def signup(client, email, password=NEW_PASSWORD):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            reverse("account:signup"),
            {"email": email, "password1": password, "password2": password},
        )


def test_signup_is_limited_per_ip(limits):
    limits(signup_ip="2/h")
    client = client_at("10.2.0.1")
    assert signup(client, "one@example.com").status_code == 302
    assert signup(Client(REMOTE_ADDR="10.2.0.1"), "two@example.com").status_code == 302

    refused = signup(Client(REMOTE_ADDR="10.2.0.1"), "three@example.com")

    assert refused.status_code == 429
    assert "Too many sign-ups" in refused.content.decode()
    assert not get_user_model().objects.filter(email="three@example.com").exists()
    assert signup(client_at("10.2.0.2"), "three@example.com").status_code == 302


def test_signup_with_a_known_address_answers_as_a_new_one_and_mails_the_owner(shopper):
    new = signup(client_at("10.2.1.1"), "new@example.com")
    mail.outbox.clear()
    before = get_user_model().objects.get(pk=shopper.pk)
    known_client = client_at("10.2.1.2")

    known = signup(known_client, " ANNA@example.com ", password="another-long-pass-77")

    assert (known.status_code, known["Location"]) == (new.status_code, new["Location"])
    assert messages_of(known) == [
        "Thank you for signing up. We have sent a message to anna@example.com."
    ]
    assert messages_of(new) == [
        "Thank you for signing up. We have sent a message to new@example.com."
    ]
    # Nothing created or changed, nobody signed in.
    assert get_user_model().objects.filter(email__iexact="anna@example.com").count() == 1
    after = get_user_model().objects.get(pk=shopper.pk)
    assert after.password == before.password
    assert SESSION_KEY not in known_client.session
    # The owner hears about it, with a working reset link.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.com"]
    assert "already have an account" in message.subject
    link = re.search(r"https?://testserver(/account/password/reset/\S+/)", message.body).group(1)
    assert client_at("10.2.1.3").get(link).status_code == 302  # the token is valid


def test_a_new_signup_gets_a_welcome_mail():
    signup(client_at("10.2.2.1"), "new@example.com")

    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["new@example.com"], "Welcome to Storefront")
    ]


# --- Coupons ---------------------------------------------------------------------------------


def cart_client(ip):
    client = client_at(ip)
    product = make_product(stock=50, price="20.00")
    client.post(reverse("cart:add"), {"product": product.pk, "quantity": 1})
    return client


def try_coupon(client, code):
    return client.post(reverse("cart:coupon"), {"code": code})


def test_coupon_codes_are_limited_per_cart(limits):
    limits(coupon_cart="3/h", coupon_ip="100/h")
    client = cart_client("10.3.0.1")
    for n in range(3):
        assert try_coupon(client, f"GUESS{n}").status_code == 302

    refused = try_coupon(client, "GUESS9")

    assert refused.status_code == 429
    assert "too many coupon codes" in refused.content.decode()
    other = cart_client("10.3.0.2")
    assert try_coupon(other, "GUESS9").status_code == 302


def test_coupon_codes_are_limited_per_ip(limits):
    limits(coupon_cart="100/h", coupon_ip="2/h")
    first, second = cart_client("10.3.1.1"), cart_client("10.3.1.1")
    assert try_coupon(first, "A").status_code == 302
    assert try_coupon(second, "B").status_code == 302

    assert try_coupon(second, "C").status_code == 429
    assert try_coupon(cart_client("10.3.1.2"), "C").status_code == 302


def test_after_a_few_refusals_an_unknown_code_and_an_existing_one_read_the_same(settings):
    settings.STOREFRONT_COUPON_GUESS_AFTER = 2
    make_coupon("BIGCART", min_cart_value="500.00")
    client = cart_client("10.3.2.1")

    assert last_message(try_coupon(client, "NOSUCH")) == "There is no coupon with this code."
    assert "needs a cart of at least" in last_message(try_coupon(client, "BIGCART"))

    guesses = [last_message(try_coupon(client, code)) for code in ("NOSUCH2", "BIGCART")]
    assert guesses == [COUPON_REFUSED, COUPON_REFUSED]

    # Another shopper, elsewhere, still gets the reason.
    other = cart_client("10.3.2.2")
    assert "needs a cart of at least" in last_message(try_coupon(other, "BIGCART"))


# --- Cart and list writes --------------------------------------------------------------------


def test_cart_writes_are_limited_per_session(limits):
    limits(cart_writes="3/h")
    product = make_product(stock=50)
    client = client_at("10.4.0.1")
    # The first write opens the session; without one, a client is counted by its address.
    client.post(reverse("cart:add"), {"product": product.pk, "quantity": 1})
    for _ in range(3):
        response = client.post(reverse("cart:add"), {"product": product.pk, "quantity": 1})
        assert response.status_code == 302

    refused = client.post(reverse("cart:add"), {"product": product.pk, "quantity": 1})

    assert refused.status_code == 429
    assert "too many changes" in refused.content.decode()
    assert client.get(reverse("cart:detail")).status_code == 200  # reading is not limited
    other = client_at("10.4.0.1")  # same address, another session
    other.post(reverse("cart:add"), {"product": product.pk, "quantity": 1})
    assert other.post(reverse("cart:add"), {"product": product.pk}).status_code == 302


def test_list_writes_are_limited_per_session(limits):
    limits(list_writes="2/h")
    client = client_at("10.5.0.1")
    client.post(reverse("lists:create"), {"name": "Zero"})  # opens the session
    assert client.post(reverse("lists:create"), {"name": "One"}).status_code == 302
    assert client.post(reverse("lists:create"), {"name": "Two"}).status_code == 302

    refused = client.post(reverse("lists:create"), {"name": "Three"})

    assert refused.status_code == 429
    assert not ShoppingList.objects.filter(name="Three").exists()
    user = make_customer("lister@example.com")
    signed_in = client_at("10.5.0.1")
    signed_in.force_login(user)
    assert signed_in.post(reverse("lists:create"), {"name": "Three"}).status_code == 302


# --- Create-order API: /auth/ limits, rotation, revocation ----------------------------------


@pytest.fixture
def integrator(db):
    user = get_user_model().objects.create_user("erp", password=PASSWORD)
    grant(user)
    return user


def post_json(client, path, data, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(path, json.dumps(data), content_type="application/json", headers=headers)


def refresh(client, token):
    return post_json(client, "/auth/token-refresh/", {"refresh_token": token})


def can_call(access_token):
    """Whether the API takes the access token (a 400 for the empty body means it did)."""
    response = post_json(client_at("10.9.9.9"), "/create-order", {}, access_token)
    return response.status_code != 401


def test_api_sign_in_is_limited_per_ip(integrator, limits):
    limits(api_auth_ip="2/h")
    client = client_at("10.6.0.1")
    assert api_sign_in(client, "erp", PASSWORD).status_code == 200
    assert api_sign_in(client, "erp", PASSWORD).status_code == 200

    refused = api_sign_in(client, "erp", PASSWORD)

    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Too many requests")
    assert api_sign_in(client_at("10.6.0.2"), "erp", PASSWORD).status_code == 200


def test_token_refresh_is_limited_per_ip(integrator, limits):
    limits(api_refresh_ip="2/h")
    client = client_at("10.6.1.1")
    token = api_sign_in(client, "erp", PASSWORD).json()["refresh_token"]
    for _ in range(2):
        token = refresh(client, token).json()["refresh_token"]

    refused = refresh(client, token)

    assert refused.status_code == 429
    assert refresh(client_at("10.6.1.2"), token).status_code == 200


def test_a_refresh_token_works_once_and_reusing_it_revokes_the_sign_in(integrator):
    client = client_at("10.6.2.1")
    first = api_sign_in(client, "erp", PASSWORD).json()
    second = refresh(client, first["refresh_token"]).json()
    assert can_call(second["access_token"])

    reused = refresh(client, first["refresh_token"])

    assert reused.status_code == 401
    assert reused.json()["detail"] == jwt_auth.REUSED
    # The whole family is gone: the newer refresh token and its access token too.
    assert refresh(client, second["refresh_token"]).status_code == 401
    assert not can_call(second["access_token"])
    assert not can_call(first["access_token"])
    assert TokenFamily.objects.get(sid=first["session_state"]).revoked_at is not None
    # Another sign-in of the same user is unaffected.
    other = api_sign_in(client, "erp", PASSWORD).json()
    assert can_call(other["access_token"])
    assert refresh(client, other["refresh_token"]).status_code == 200


def test_only_the_token_id_is_stored(integrator):
    tokens = api_sign_in(client_at("10.6.3.1"), "erp", PASSWORD).json()

    family = TokenFamily.objects.get()
    assert family.user == integrator
    claims = jwt_auth.decode(tokens["refresh_token"], jwt_auth.REFRESH)
    assert family.refresh_jti == claims["jti"]
    assert tokens["refresh_token"] not in str(family.__dict__)


def test_a_new_password_ends_every_token_issued_before(integrator):
    client = client_at("10.6.4.1")
    tokens = api_sign_in(client, "erp", PASSWORD).json()
    assert can_call(tokens["access_token"])

    integrator.set_password("a-brand-new-password-1")
    integrator.save()

    response = post_json(client_at("10.6.4.2"), "/create-order", {}, tokens["access_token"])
    assert response.status_code == 401
    assert response.json()["detail"] == jwt_auth.OUTDATED
    assert refresh(client, tokens["refresh_token"]).status_code == 401
    fresh = api_sign_in(client, "erp", "a-brand-new-password-1").json()
    assert can_call(fresh["access_token"])


def test_a_sign_in_forgets_the_users_sign_ins_whose_tokens_all_expired(integrator):
    client = client_at("10.6.5.1")
    old = api_sign_in(client, "erp", PASSWORD).json()
    live = api_sign_in(client, "erp", PASSWORD).json()
    TokenFamily.objects.filter(sid=old["session_state"]).update(
        last_issued_at=timezone.now() - timedelta(days=1, seconds=1)
    )

    api_sign_in(client, "erp", PASSWORD)

    sids = set(TokenFamily.objects.values_list("sid", flat=True))
    assert old["session_state"] not in sids
    assert live["session_state"] in sids
    assert len(sids) == 2


# --- Client IP ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.1"),  # no proxy: the header is the client's own words
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # one proxy appended the real client
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (2, "203.0.113.7", "10.0.0.1"),  # fewer entries than proxies: not through them
    ],
)
def test_the_client_ip_trusts_only_the_proxies_entries(settings, proxies, forwarded, expected):
    settings.STOREFRONT_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected
