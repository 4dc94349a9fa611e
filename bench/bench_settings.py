"""Settings for the benchmark server only: the shop's settings plus the baseline view.

`bench/catalog.py` runs gunicorn with `DJANGO_SETTINGS_MODULE=bench.bench_settings`, so
the baseline route never reaches the shipped URLconf.
"""

from storefront.settings import *  # noqa: F403
from storefront.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.baseline_urls"
TEMPLATES = [
    {**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]},
    *TEMPLATES[1:],
]

from storefront.settings import MIDDLEWARE  # noqa: E402

# First: counts every query of a request, page-cache hits included (X-Bench-Queries).
MIDDLEWARE = ["bench.query_count.QueryCountMiddleware", *MIDDLEWARE]
