"""Settings of the `manage.py rqworker` that tests/storefront/test_rq_backend.py starts:
the shop's own with TASK_BACKEND=rq, plus the queue named by STOREFRONT_TEST_RQ_QUEUE, a
name of that test's own, so parallel test workers never run each other's jobs."""

import os

from storefront import settings as shop
from storefront.redis_settings import rq_queues
from storefront.settings import *  # noqa: F403

TASK_QUEUES = [*shop.TASK_QUEUES, os.environ["STOREFRONT_TEST_RQ_QUEUE"]]
TASKS = {"default": {**shop.TASKS["default"], "QUEUES": TASK_QUEUES}}
RQ_QUEUES = rq_queues(shop.REDIS_URL, TASK_QUEUES)
