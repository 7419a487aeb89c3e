"""What a page costs: its queries and render times in-process, and throughput through
a real server."""

import http.client
import statistics
import threading
import time
import urllib.parse

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


def machine_speed() -> str:
    """A fixed pure-Python workload, to compare this machine's figures with another's."""
    runs = []
    for _ in range(5):
        began = time.perf_counter()
        sum(range(10**6))
        runs.append((time.perf_counter() - began) * 1000)
    return f"this machine: sum(range(10**6)) takes {min(runs):.1f} ms (best of 5)"


def load(url: str, seconds: float, workers: int) -> float:
    """Requests per second from `workers` threads hitting one address, each on its own
    kept-alive connection, as browsers keep theirs (so the client's own work stays small
    beside the server's)."""
    parts = urllib.parse.urlsplit(url)
    done = [0] * workers
    stop = time.monotonic() + seconds

    def run(slot: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            while time.monotonic() < stop:
                # As a browser asks: compressed if the server has it so.
                connection.request("GET", parts.path, headers={"Accept-Encoding": "gzip"})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"{url} answered {response.status}")
                done[slot] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds
