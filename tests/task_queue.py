"""The database task queue, run inside a test's own process.

Tests queue on django-tasks-db's real queue table (`DATABASE_QUEUE`, or the
`database_queue` fixture in tests/conftest.py) and run what is due with its own
worker loop in batch mode (`run_ready_tasks`): the same code `manage.py db_worker`
runs, without a second process. tests/storefront/test_tasks_worker.py runs a real one.
"""

from django_tasks_db.management.commands.db_worker import Worker

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def keep_test_connection(monkeypatch):
    """The worker closes connections it thinks stale; a test's transaction looks stale to it."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def run_ready_tasks(worker_id: str = "test-worker") -> None:
    """Runs every task due now, then returns."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()
