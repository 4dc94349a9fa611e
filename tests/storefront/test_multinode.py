"""Two app servers, one worker, two schedulers, PostgreSQL and Redis: the shop as several
machines run it.

The processes are the Procfile's own lines (web twice, on two loopback ports, as if on two
machines; worker; scheduler twice), started through the shell as honcho and systemd start
them, with one environment: the pytest test database, Redis (REDIS_URL) as the shared cache
under a key prefix of this run's own, the same SECRET_KEY. They start once for the module.

Data: the servers see only committed rows, and they run for the whole module, so the tests
write in autocommit (`transaction=True`) and the database is emptied once, when the module
ends, rather than after each test (`_django_db_helper` below): a flush under a running worker
would pull task rows from under it. Every test makes its own products and people.

E-mail: only the worker reaches the SMTP server (aiosmtpd); the web nodes are given a port
nobody listens on, so a message that arrives was sent by the worker, not by the request.
"""

import os
import shlex
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests
from django.conf import global_settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories.accounts import PASSWORD, address_data, make_customer
from tests.factories.catalog import make_product, make_shop, only_variant, product_form_data
from tests.factories.checkout import make_delivery_method, make_payment_method
from tests.processes import (
    LOOPBACK,
    REPOSITORY,
    app_server_env,
    free_port,
    smtp_server,
    wait_until,
)

pytestmark = [
    pytest.mark.multinode,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="REDIS_URL is not set: the nodes share their cache on Redis "
        "(scripts/run-tests.sh starts one with scripts/ensure-redis.sh)",
    ),
]

BUYERS = 100
LAST_UNITS = 10
START_TIMEOUT = 90  # seconds; a loaded 2-core machine imports Django slowly
REQUEST_TIMEOUT = 60
# What a load balancer passes on to every node: the shop's one public name. Pages are cached
# by host (it picks the Wagtail site), so the nodes share cached pages for the same name.
PUBLIC_HOST = "shop.example.com"


def procfile(path=REPOSITORY / "Procfile") -> dict[str, str]:
    """The process types of a Procfile: {name: shell command}."""
    commands = {}
    for line in Path(path).read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            commands[name.strip()] = command.strip()
    return commands


class Process:
    """One Procfile line run by the shell, in a process group of its own, its output in a file."""

    def __init__(self, name: str, command: str, env: dict[str, str], log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with open(self.log_path, "w") as log:
            self.popen = subprocess.Popen(  # noqa: S603 - the Procfile's own commands
                ["/bin/sh", "-c", f"exec {command}"],
                cwd=REPOSITORY,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self, timeout: float = 10) -> None:
        if self.popen.poll() is None:
            # The whole group: gunicorn's workers and anything else the command started.
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout)


class Node:
    """An app server (the Procfile's `web`) at its own address."""

    def __init__(self, name: str, port: int, process: Process):
        self.name, self.port, self.process = name, port, process
        self.url = f"http://{LOOPBACK}:{port}"

    def get(self, path: str, **kwargs) -> requests.Response:
        """An anonymous visitor's request, through the load balancer's name."""
        return requests.get(
            self.url + path, headers={"Host": PUBLIC_HOST}, timeout=REQUEST_TIMEOUT, **kwargs
        )

    def post_json(self, path: str, body: dict, **headers) -> requests.Response:
        return requests.post(
            self.url + path,
            json=body,
            headers={"Host": PUBLIC_HOST, **headers},
            timeout=REQUEST_TIMEOUT,
        )

    def is_up(self) -> bool:
        if self.process.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited:\n{self.process.log()}")
        try:
            return requests.get(self.url + "/healthz/", timeout=2).status_code == 200
        except requests.RequestException:
            return False


class Browser:
    """One visitor's browser. Cookies do not depend on the port, so one cookie jar serves
    both nodes, as one address behind a load balancer would."""

    def __init__(self):
        self.session = requests.Session()
        self.session.headers["Host"] = PUBLIC_HOST

    def get(self, node: Node, path: str) -> requests.Response:
        return self.session.get(node.url + path, allow_redirects=False, timeout=REQUEST_TIMEOUT)

    def post(self, node: Node, path: str, data: dict) -> requests.Response:
        if "csrftoken" not in self.session.cookies:
            self.get(node, "/account/login/")  # any page with a form sets the CSRF cookie
        data = {**data, "csrfmiddlewaretoken": self.session.cookies["csrftoken"]}
        return self.session.post(
            node.url + path, data=data, allow_redirects=False, timeout=REQUEST_TIMEOUT
        )


def production_hashers():
    """The servers check passwords with the shop's hashers, not the tests' fast one."""
    return override_settings(PASSWORD_HASHERS=global_settings.PASSWORD_HASHERS)


def collect_static(static_root: Path) -> None:
    """The servers run with DEBUG off, so WhiteNoise's manifest must exist. Its names are
    those of production; the files are left uncompressed, which WhiteNoise serves as they
    are (compressing them takes most of collectstatic's time)."""
    from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
    from django.core.management import call_command

    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": f"{ManifestStaticFilesStorage.__module__}.ManifestStaticFilesStorage"
        },
    }
    with override_settings(STATIC_ROOT=str(static_root), STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)


# --- The cluster ---------------------------------------------------------------------------


class Cluster:
    def __init__(
        self, a: Node, b: Node, worker: Process, schedulers: list[Process], smtp, redis_prefix
    ):
        self.a, self.b, self.worker, self.schedulers = a, b, worker, schedulers
        self.smtp = smtp
        self.redis_prefix = redis_prefix

    @property
    def processes(self):
        return [self.a.process, self.b.process, self.worker, *self.schedulers]

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.log()}" for p in self.processes)


def make_base_data():
    from home.demo import ensure_site

    homepage = ensure_site()
    shop = make_shop(homepage)
    courier = make_delivery_method("Courier", price="10.00", sort_order=1)
    transfer = make_payment_method("bank_transfer", name="Bank transfer")
    return shop, courier, transfer


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.core.management import call_command

    tmp = tmp_path_factory.mktemp("multinode")
    collect_static(tmp / "static")
    prefix = f"multinode-{uuid.uuid4().hex[:12]}"
    commands = procfile()
    with django_db_blocker.unblock(), smtp_server() as smtp:
        make_base_data()
        # One media folder under tmp for both nodes, as S3 would be (feeds, renditions).
        env = app_server_env(
            tmp,
            public_host=PUBLIC_HOST,
            cache_prefix=prefix,
            LIMIT_PASSWORD_RESET_PER_ADDRESS="3/h",
            # Small, so two nodes fit a 2-core machine; still two processes a node.
            WEB_CONCURRENCY="2",
            WEB_THREADS="4",
            WORKER_INTERVAL="0.1",
            SCHEDULER_INTERVAL="0.5",
            # publish_scheduled every second instead of every minute.
            SCHEDULE_SCALE=str(1 / 60),
            # Web nodes: a mail server that is not there (see the module's docstring).
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST=LOOPBACK,
            EMAIL_PORT=str(free_port()),
        )
        env.pop("DEBUG", None)
        a_port, b_port = free_port(), free_port()
        started = []

        def start(name, command, **extra):
            process = Process(name, command, {**env, **extra}, tmp)
            started.append(process)
            return process

        try:
            a = Node("A", a_port, start("web-a", commands["web"], PORT=str(a_port)))
            b = Node("B", b_port, start("web-b", commands["web"], PORT=str(b_port)))
            worker = start("worker", commands["worker"], **smtp.env())
            schedulers = [start(f"scheduler-{n}", commands["scheduler"]) for n in (1, 2)]
            cluster = Cluster(a, b, worker, schedulers, smtp, prefix)
            try:
                wait_until(lambda: a.is_up() and b.is_up(), timeout=START_TIMEOUT, interval=0.2)
            except TimeoutError:
                pytest.fail(f"The app servers did not start:\n{cluster.logs()}")
            # A fresh site's first page view creates its settings rows (branding, footer),
            # which bumps the catalog version: done here, not inside a test's first request.
            assert a.get("/").status_code == 200, a.process.log()
            yield cluster
        finally:
            for process in started:
                process.stop()
            _delete_redis_keys(prefix)
            # What a transaction=True test leaves: an empty database.
            call_command("flush", interactive=False, verbosity=0)


def _delete_redis_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def _django_db_helper(django_db_setup, django_db_blocker):
    """pytest-django's per-test database handling, replaced in this module: the test writes
    in autocommit, so the servers see its rows at once, and nothing is flushed after it
    (the `cluster` fixture empties the database once all its processes have stopped)."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def committed(cluster, _django_db_helper):
    """The cluster, and database access in autocommit."""


@pytest.fixture
def all_alive(cluster):
    """After each test: the app servers and the worker still run (none crashed on what the
    test did). The schedulers are checked by their own test."""
    yield
    dead = [
        p.name
        for p in (cluster.a.process, cluster.b.process, cluster.worker)
        if p.popen.poll() is not None
    ]
    assert not dead, f"exited: {dead}\n{cluster.logs()}"


@pytest.fixture
def integrator(committed):
    """An ERP user of the create-order API, with a password the servers can check."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    with production_hashers():
        user = get_user_model().objects.create_user(
            username=f"erp-{uuid.uuid4().hex[:8]}", password=PASSWORD
        )
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="integrations", codename="create_orders")
    )
    return user


def api_token(node: Node, user) -> str:
    response = node.post_json("/auth/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def buyer():
    return buyers(1)[0]


def buyers(count):
    """Customers with a default address, as the create-order API needs; two queries."""
    from django.contrib.auth import get_user_model

    from commerce.models import Address

    run = uuid.uuid4().hex[:10]
    users = get_user_model().objects.bulk_create(
        get_user_model()(
            username=f"buyer-{run}-{n}@example.com", email=f"buyer-{run}-{n}@example.com"
        )
        for n in range(count)
    )
    Address.objects.bulk_create(
        Address(user=user, is_default=True, **address_data()) for user in users
    )
    return users


def create_order(node: Node, token: str, customer, variant, quantity=1) -> requests.Response:
    line = {"variant_id": variant.pk, "quantity": quantity, "suggested_price": float(variant.price)}
    return node.post_json(
        "/create-order",
        {"customer_id": customer.pk, "lines": [line]},
        Authorization=f"Bearer {token}",
    )


def page_cache_state(response) -> str:
    return response.headers.get("X-Storefront-Cache", "")


# --- The tests -----------------------------------------------------------------------------


def test_a_page_rendered_on_one_node_is_a_hit_on_the_other(cluster, committed, all_alive):
    product = make_product(f"Shared {uuid.uuid4().hex[:6]}", stock=5)
    path = product.get_url()

    first = cluster.b.get(path)
    second = cluster.a.get(path)

    assert (first.status_code, page_cache_state(first)) == (200, "miss")
    # Node A never rendered it: the page came from the cache the nodes share.
    assert (second.status_code, page_cache_state(second)) == (200, "hit")
    assert product.name in second.text


def test_a_product_saved_through_node_a_is_fresh_on_node_b_at_once(cluster, committed, all_alive):
    from django.contrib.auth import get_user_model

    product = make_product(f"Lamp {uuid.uuid4().hex[:6]}", stock=5)
    path = product.get_url()
    assert product.name in cluster.b.get(path).text
    cached = cluster.b.get(path)
    assert page_cache_state(cached) == "hit"
    with production_hashers():
        editor = get_user_model().objects.create_superuser(
            f"editor-{uuid.uuid4().hex[:8]}", "editor@example.com", PASSWORD
        )

    staff = Browser()
    staff.get(cluster.a, "/admin/login/")
    signed_in = staff.post(
        cluster.a, "/admin/login/", {"username": editor.username, "password": PASSWORD}
    )
    assert signed_in.status_code == 302, signed_in.text[-2000:]
    saved = staff.post(
        cluster.a,
        reverse("wagtailsnippets_commerce_product:edit", args=[product.pk]),
        product_form_data(product, name="Lamp, renamed", **{"action-publish": "1"}),
    )
    assert saved.status_code == 302, saved.text[-3000:]

    fresh = cluster.b.get(path)
    assert fresh.status_code == 200
    assert page_cache_state(fresh) == "miss"
    assert "Lamp, renamed" in fresh.text


def test_the_last_unit_sold_through_node_a_shows_sold_out_on_node_b(
    cluster, committed, integrator, all_alive
):
    product = make_product(f"Vase {uuid.uuid4().hex[:6]}", stock=1)
    path = product.get_url()
    before = cluster.b.get(path)
    assert "In stock" in before.text
    assert page_cache_state(cluster.b.get(path)) == "hit"

    placed = create_order(
        cluster.a, api_token(cluster.a, integrator), buyer(), only_variant(product)
    )
    assert placed.status_code == 201, placed.text

    after = cluster.b.get(path)
    assert after.status_code == 200
    assert "Out of stock" in after.text
    assert "In stock" not in after.text


def test_a_shopper_signed_in_on_node_a_is_signed_in_on_node_b(cluster, committed, all_alive):
    with production_hashers():
        shopper = make_customer(f"shopper-{uuid.uuid4().hex[:8]}@example.com")
    browser = Browser()
    assert browser.get(cluster.b, "/account/").status_code == 302  # not signed in yet

    signed_in = browser.post(
        cluster.a, "/account/login/", {"username": shopper.email, "password": PASSWORD}
    )
    assert signed_in.status_code == 302, signed_in.text[-2000:]

    account = browser.get(cluster.b, "/account/")
    assert account.status_code == 200
    assert shopper.email in account.text


def test_a_rate_limit_counts_requests_on_both_nodes(cluster, committed, all_alive):
    """Three password resets an hour per address (LIMIT_PASSWORD_RESET_PER_ADDRESS=3/h),
    sent to two nodes of two processes each: a per-process count would never reach it."""
    address = f"nobody-{uuid.uuid4().hex[:10]}@example.com"
    browser = Browser()
    answers = [
        browser.post(node, "/account/password/reset/", {"email": address}).status_code
        for node in (cluster.a, cluster.b, cluster.a, cluster.b, cluster.a)
    ]

    assert answers == [302, 302, 302, 429, 429]


def test_a_hundred_buyers_on_two_nodes_buy_the_last_ten_units_exactly(
    cluster, committed, integrator, all_alive
):
    from commerce.models import OrderLine, Stock

    product = make_product(f"Last ones {uuid.uuid4().hex[:6]}", stock=LAST_UNITS)
    customers = buyers(BUYERS)
    variant = only_variant(product)
    token = api_token(cluster.a, integrator)
    answers = [None] * BUYERS
    start = threading.Barrier(BUYERS)

    def buy(index):
        node = (cluster.a, cluster.b)[index % 2]
        start.wait(timeout=30)
        try:
            answers[index] = create_order(node, token, customers[index], variant).status_code
        except requests.RequestException as exc:
            answers[index] = type(exc).__name__

    threads = [threading.Thread(target=buy, args=(i,)) for i in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # Every buyer answered: 201 placed, or 400 sold out; never a 500 or a lost request.
    assert Counter(answers) == {201: LAST_UNITS, 400: BUYERS - LAST_UNITS}
    sold = sum(
        OrderLine.objects.filter(variant__product=product).values_list("quantity", flat=True)
    )
    assert sold == LAST_UNITS
    assert (
        sum(Stock.objects.filter(variant__product=product).values_list("quantity", flat=True)) == 0
    )


def test_an_order_placed_on_node_b_gets_one_confirmation_from_the_worker(
    cluster, committed, integrator, all_alive
):
    from django_tasks_db.models import DBTaskResult

    from commerce.models import SentEmail

    customer = buyer()
    product = make_product(f"Mug {uuid.uuid4().hex[:6]}", stock=3)

    placed = create_order(
        cluster.b, api_token(cluster.b, integrator), customer, only_variant(product)
    )
    assert placed.status_code == 201, placed.text
    order_id, number = placed.json()["order_id"], placed.json()["order_number"]

    def to_customer():
        return [m for m in cluster.smtp.received() if customer.email in m.rcpt_tos]

    try:
        wait_until(to_customer, timeout=20, interval=0.1)
    except TimeoutError:
        pytest.fail(f"No confirmation reached the mail server:\n{cluster.logs()}")
    # Whatever else is queued has run too: a second copy would have arrived by now.
    wait_until(
        lambda: (
            not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"])
            .exclude(task_path__contains="maintenance")
            .exists()
        ),
        timeout=20,
    )
    time.sleep(0.5)
    messages = to_customer()
    assert len(messages) == 1
    assert number in messages[0].subject
    sent = SentEmail.objects.get(key=f"order_placed:{order_id}")
    assert sent.sent_at is not None


def test_two_schedulers_publish_a_scheduled_product_once(cluster, committed, all_alive):
    from django_tasks_db.models import DBTaskResult
    from wagtail.models import ModelLogEntry

    from commerce.models import Product, ScheduledRun

    product = make_product(f"Scheduled {uuid.uuid4().hex[:6]}", stock=2, publish=False)
    path = product.get_url()
    assert cluster.b.get(path).status_code == 404
    # Approved to go live now: the next publish_scheduled slot's task publishes it.
    product.save_revision(approved_go_live_at=timezone.now())

    wait_until(
        lambda: Product.objects.filter(pk=product.pk, live=True).exists(), timeout=30, interval=0.1
    )
    assert cluster.b.get(path).status_code == 200

    # Both schedulers ticked every half second through several one-second slots: each slot
    # was taken once and queued one task, and the product was published once.
    time.sleep(1.5)
    runs = ScheduledRun.objects.filter(job="publish_scheduled")
    slots = list(runs.values_list("slot", flat=True))
    assert len(slots) == len(set(slots)) >= 2
    queued = DBTaskResult.objects.filter(task_path__endswith=".publish_scheduled_task").count()
    assert queued == len(slots)
    published = ModelLogEntry.objects.filter(
        object_id=str(product.pk), action="wagtail.publish.scheduled"
    )
    assert published.count() == 1
    for scheduler in cluster.schedulers:
        assert scheduler.popen.poll() is None, cluster.logs()
        assert "Scheduler started" in scheduler.log(), cluster.logs()


def test_the_procfile_lists_the_processes_this_module_runs():
    """The layout above is the production one: the same three process types."""
    commands = procfile()
    assert set(commands) == {"web", "worker", "scheduler"}
    assert shlex.split(commands["web"])[0] == "gunicorn"
    assert "db_worker" in commands["worker"]
    assert "run_scheduler" in commands["scheduler"]
