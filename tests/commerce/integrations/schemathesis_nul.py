"""Schemathesis cases for both APIs, with NUL bytes guaranteed in strings and keys.

Schemathesis may generate "\\x00" (its `allow-x00` is on by default) but seldom
does, and never in an object's keys. `with_nul_cases` draws, beside each
ordinary case, a copy whose query values, JSON strings and keys carry NUL: those
must be refused with a 4xx, never a 500 (a batch write answers 200 with every
item an error, or 202 with a job whose id is kept in `sent["poisoned_jobs"]` for the
caller to check the same of its report). `run_cases` runs them and prints how
many requests were sent.
"""

import zlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.transport.serialization import serialize_binary

NUL = "\x00"


def nul_in_every_string(value, draw_key):
    if isinstance(value, str):
        return value[:1] + NUL + value[1:]
    if isinstance(value, dict):
        changed = {key: nul_in_every_string(item, draw_key) for key, item in value.items()}
        if draw_key:
            changed[NUL + (next(iter(value), "key"))] = NUL
        return changed
    if isinstance(value, list):
        return [nul_in_every_string(item, draw_key) for item in value]
    return value


def with_nul_cases(strategy):
    """(case, poisoned) pairs: about one case in three gets NUL in every string and key.

    Which ones is a checksum of the case, not a draw: hypothesis draws small integers far
    more often than a third of the time (120 examples gave 5 to 10 poisoned ones), and a
    checksum poisons the same case again when hypothesis replays a failure."""

    @st.composite
    def cases(draw):
        case = draw(strategy)
        if _checksum(case) % 3:
            return case, False
        keys = draw(st.booleans())
        if isinstance(case.body, dict | list | str):
            case.body = nul_in_every_string(case.body, keys)
        else:
            case.query = {**nul_in_every_string(dict(case.query or {}), keys), f"{NUL}k": f"v{NUL}"}
        return case, True

    return cases()


def _checksum(case) -> int:
    return zlib.crc32(repr((case.method, case.path, case.query, case.body)).encode())


def run_cases(strategy, *, label, max_examples, excluded_checks=()):
    """Sends every case; ordinary ones are validated against the schema, poisoned
    ones must get a 4xx. Prints the number of requests sent."""
    sent = {"plain": 0, "nul": 0, "poisoned_jobs": []}

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(drawn=with_nul_cases(strategy))
    def run(drawn):
        case, poisoned = drawn
        if poisoned:
            sent["nul"] += 1
            response = case.call()
            if response.status_code == 200 and (isinstance(case.body, list) or _form(case)):
                # A batch write answers each item: every poisoned item is an error.
                statuses = {item["status"] for item in response.json()["items"]}
                assert statuses <= {"error"}, (case.path, case.body, response.json())
            elif response.status_code == 202 and isinstance(case.body, list):
                # Accepted as a job (Prefer: respond-async): the caller checks its report.
                sent["poisoned_jobs"].append(response.json()["id"])
            else:
                assert 400 <= response.status_code < 500, (response.status_code, case.query)
        else:
            sent["plain"] += 1
            checks = list(excluded_checks)
            if case.method == "POST" and isinstance(case.body, list):
                # A batch write takes an item that breaks the item schema and answers it
                # as that item's error, so the good items are not refused with it.
                checks.append(negative_data_rejection)
            elif _form(case):
                # Every value of a multipart form is text: an "object" schemathesis sends
                # where the schema wants a string arrives as its JSON text, a fine string.
                checks.append(negative_data_rejection)
                if _has_an_empty_file(case):
                    # Werkzeug, which encodes the test transport's multipart bodies,
                    # writes an empty file part without the blank line that ends its
                    # headers; Django's parser drops such a part, and the answer is a 400
                    # "file: Field required". curl, requests and browsers write the line,
                    # and an empty file is then that item's error (test_api_file_writes).
                    checks.append(positive_data_acceptance)
            response = case.call_and_validate(excluded_checks=checks)
            assert response.status_code < 500

    run()
    total = sent["plain"] + sent["nul"]
    print(f"\nschemathesis {label}: {total} requests ({sent['nul']} with NUL)")
    return sent


def _form(case) -> bool:
    return (case.media_type or "").startswith("multipart/form-data")


def _has_an_empty_file(case) -> bool:
    """Whether the form's `file` (the one file field, POST /product-files/) is empty."""
    if not isinstance(case.body, dict) or "file" not in case.body:
        return False
    return serialize_binary(case.body["file"]) == b""
