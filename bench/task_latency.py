"""Task latency under load: how long an order's confirmation e-mail waits in the queue.

    .venv/bin/python bench/task_latency.py [--seconds 10] [--shoppers 6] [--workers 3]
                                           [--task-workers 1] [--interval 1]
                                           [--products 2000] [--database-url URL]

Runs bench/checkout.py's "spread" scenario (shoppers placing orders through the whole
storefront journey on gunicorn, PostgreSQL) with task workers beside it, as the Procfile
runs them (`manage.py db_worker`), and measures, for every order confirmation task queued
during the load (`send_order_email_task`, one per order), its time from enqueued to done
(DBTaskResult.enqueued_at → finished_at): p50, p95 and max. E-mails go to Django's
in-memory backend in the worker, so the figures are the queue's and the task's own, not a
mail server's.

Prints figures for a human; exits 0 whatever they are (1 if a server cannot start).
See bench/README.md.
"""

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalog import (  # noqa: E402 - after the path fix above
    free_port,
    local_database_url,
    log,
    seed,
    server_env,
    start_server,
    stop_server,
    wait_until_up,
)
from bench.checkout import SPREAD_STOCK, prepare, run_shoppers  # noqa: E402

TASK = "commerce.services.notifications.send_order_email_task"


def start_task_workers(env, count, interval, log_file):
    """`count` db_worker processes, as the Procfile's `worker` line starts one."""
    return [
        subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                *(sys.executable, "manage.py", "db_worker", "--no-reload"),
                *("--interval", str(interval)),
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(count)
    ]


def stop_task_workers(workers):
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()  # SIGTERM: the worker finishes its task, then exits
    for worker in workers:
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def task_rows(database_url, since):
    """(status, seconds from enqueued to finished or None) of the confirmation tasks."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT status, extract(epoch FROM finished_at - enqueued_at) "
            "FROM django_tasks_database_dbtaskresult "
            "WHERE task_path = %s AND enqueued_at >= %s",
            [TASK, since],
        ).fetchall()


def wait_for_queue(database_url, since, deadline):
    """Waits (up to `deadline` s) until every confirmation task queued since `since` ran."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        rows = task_rows(database_url, since)
        if all(status in ("SUCCESSFUL", "FAILED") for status, _ in rows):
            return rows
        time.sleep(0.5)
    return task_rows(database_url, since)


def figures(seconds):
    ordered = sorted(seconds)
    n = len(ordered)
    if not n:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0}
    return {
        "p50": ordered[n // 2] * 1000,
        "p95": ordered[min(n - 1, int(n * 0.95))] * 1000,
        "max": ordered[-1] * 1000,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10, help="length of the load")
    parser.add_argument("--shoppers", type=int, default=6, help="concurrent shoppers")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--task-workers", type=int, default=1, help="db_worker processes")
    parser.add_argument(
        "--interval", type=float, default=1, help="db_worker --interval: seconds between polls"
    )
    parser.add_argument(
        "--database-url", help="default: storefront_bench_checkout on the local cluster"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    # The checkout bench's database: it rewrites stock levels and adds orders.
    database_url = args.database_url or local_database_url("storefront_bench_checkout")
    with tempfile.TemporaryDirectory(prefix="storefront-bench-") as tmp:
        env = server_env(
            database_url,
            tmp,
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            TASK_BACKEND="database",
        )
        seed(env, database_url, args.products)
        # checkout.py's products, all well stocked: its hot product joins the spread here.
        hot, _, spread, ids, _ = prepare(database_url, SPREAD_STOCK)
        spread = [hot, *spread]

        port = free_port()
        log_path = Path(tmp) / "processes.log"
        with open(log_path, "w") as log_file:
            server = start_server(env, port, args.workers, log_file)
            workers = start_task_workers(env, args.task_workers, args.interval, log_file)
        try:
            if not wait_until_up(server, port):
                log("gunicorn did not start; its log:\n" + log_path.read_text()[-4000:])
                return 1
            import psycopg

            with psycopg.connect(database_url) as conn:
                since = conn.execute("SELECT now()").fetchone()[0]
            rng = random.Random(1)  # noqa: S311 - load pattern, not a secret
            log(
                f"load: {args.shoppers} shoppers for {args.seconds:g} s, "
                f"{args.task_workers} task worker(s) polling every {args.interval:g} s"
            )
            load = run_shoppers(port, args.shoppers, args.seconds, lambda: rng.choice(spread), ids)
            log("load done; waiting for the queue to drain")
            drained_at = time.monotonic()
            rows = wait_for_queue(database_url, since, deadline=120)
            drain_seconds = time.monotonic() - drained_at
        finally:
            stop_task_workers(workers)
            stop_server(server)
            log("gunicorn and workers stopped")

    done = [seconds for status, seconds in rows if status == "SUCCESSFUL" and seconds is not None]
    failed = sum(1 for status, _ in rows if status == "FAILED")
    waiting = len(rows) - len(done) - failed
    result = figures([float(seconds) for seconds in done])
    print()
    print(
        f"gunicorn {args.workers} sync workers, {args.shoppers} shoppers for {args.seconds:g} s; "
        f"{args.task_workers} db_worker(s), --interval {args.interval:g}; PostgreSQL"
    )
    print(
        f"orders placed {load['placed']} ({load['orders_per_s']:.1f}/s), "
        f"shopper errors {len(load['errors'])}"
    )
    print(
        f"{'task':<24} {'queued':>7} {'done':>6} {'failed':>7} {'waiting':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
    )
    print(
        f"{'order confirmation':<24} {len(rows):>7} {len(done):>6} {failed:>7} {waiting:>8} "
        f"{result['p50']:>8.0f} {result['p95']:>8.0f} {result['max']:>8.0f}"
    )
    print(f"\nqueue drained {drain_seconds:.1f} s after the load ended")
    if load["errors"]:
        log(f"shopper errors (first 5): {load['errors'][:5]}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
