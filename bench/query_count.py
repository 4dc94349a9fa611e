"""Counts the SQL queries of each request, for the benchmark server only.

`bench/bench_settings.py` puts this middleware first, so the count covers everything
the shop does for a request, page-cache hits included, and answers it in the
`X-Bench-Queries` header, which `bench/catalog.py` prints per page. The shipped settings
never contain it.
"""

from django.db import connections

HEADER = "X-Bench-Queries"


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counting(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        wrappers = [conn.execute_wrapper(counting) for conn in connections.all()]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        response[HEADER] = str(count)
        return response
