"""Queues the scheduled jobs as they fall due (commerce/services/scheduler.py).

Run one on each machine, or several: each job still runs once per interval. The jobs
themselves run on the task workers.
"""

import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from commerce.services.scheduler import run_due_jobs, scheduled_jobs

logger = logging.getLogger("commerce.services.scheduler")


class Command(BaseCommand):
    help = "Queue scheduled jobs when due (STOREFRONT_SCHEDULE); runs until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Check once, then exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=15.0,
            help="Seconds between checks (default 15; well below the shortest job interval).",
        )

    def handle(self, *args, once, interval, **options):
        if interval <= 0:
            raise CommandError("--interval must be more than 0 seconds.")
        if once:
            self.tick()
            return
        stop = threading.Event()

        def request_stop(signum, frame):
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        jobs = ", ".join(f"{job.name} every {job.interval}s" for job in scheduled_jobs())
        self.stdout.write(f"Scheduler started: {jobs}.", ending="\n")
        self.stdout.flush()
        while not stop.is_set():
            self.tick()
            stop.wait(interval)
        self.stdout.write("Scheduler stopped.")

    def tick(self):
        # A long-lived process: drop a connection the database closed since the last tick.
        close_old_connections()
        try:
            queued = run_due_jobs()
        except Exception:
            # The database down for a moment must not end the scheduler: next tick.
            logger.exception("Scheduler tick failed")
            return
        for name in queued:
            self.stdout.write(f"Queued {name}")
        self.stdout.flush()
