"""Running writers at the same moment, for the row-lock tests (PostgreSQL only)."""

from __future__ import annotations

import threading

from django.db import connections


def run_together(*calls):
    """Run the calls in threads at the same moment; return each one's result or exception."""
    results: list = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def worker(index, call):
        try:
            start.wait()
            results[index] = call()
        except Exception as exc:  # the test inspects what each call raised
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results
