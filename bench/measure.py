"""What a page costs: its queries and render times in-process (throughput through a real
server is bench/wrk.py's)."""

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings


def measure(client: Client, url: str, runs: int = 7) -> tuple[int, float, float]:
    """Queries, median cold milliseconds, median cached milliseconds."""
    with override_settings(PAGE_CACHE_SECONDS=0), CaptureQueriesContext(connection) as queries:
        client.get(url)
    # Counted now: the next request's start clears the connection's query log.
    query_count = len(queries)
    cold, cached = [], []
    for _ in range(runs):
        with override_settings(PAGE_CACHE_SECONDS=0):
            began = time.perf_counter()
            client.get(url)
            cold.append((time.perf_counter() - began) * 1000)
    with override_settings(PAGE_CACHE_SECONDS=300):
        client.get(url)
        for _ in range(runs):
            began = time.perf_counter()
            client.get(url)
            cached.append((time.perf_counter() - began) * 1000)
    return query_count, statistics.median(cold), statistics.median(cached)


def machine_speed() -> float:
    """A fixed pure-Python workload, to compare this machine's figures with another's
    (and a page's render time with it): the best of five runs, in milliseconds."""
    runs = []
    for _ in range(5):
        began = time.perf_counter()
        sum(range(10**6))
        runs.append((time.perf_counter() - began) * 1000)
    return min(runs)
