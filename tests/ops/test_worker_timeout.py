"""gunicorn.conf.py as shipped kills a worker stuck in one request past its timeout, and
the server answers again (issue 17: gthread workers ignored the timeout)."""

import http.client
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORT = 8390  # in the range this suite's servers use


def start(port: int, **env: str) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603 (our own gunicorn and config)
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "tests.ops.stuck_app"],
        cwd=ROOT,
        env={
            **os.environ,
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_TIMEOUT": "2",
            "GUNICORN_LOG_LEVEL": "critical",
            **env,
        },
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            get(port, "/")
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError("gunicorn did not start")


def get(port: int, path: str, timeout: float = 5) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def stuck_request(port: int, outcome: dict) -> threading.Thread:
    """Ask for /stuck in the background; `outcome` says how it ended, and when."""

    def run() -> None:
        began = time.monotonic()
        try:
            outcome["status"] = get(port, "/stuck", timeout=60)[0]
        except (OSError, http.client.HTTPException) as error:
            outcome["error"] = type(error).__name__
        outcome["seconds"] = time.monotonic() - began

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def server(request):
    servers = []

    def run(port: int, **env: str) -> subprocess.Popen:
        servers.append(start(port, **env))
        return servers[-1]

    yield run
    for process in servers:
        process.terminate()
        process.wait(timeout=30)


def test_a_worker_stuck_past_the_timeout_is_killed_and_the_server_answers_again(server):
    server(PORT)
    _, first_worker = get(PORT, "/")
    outcome: dict = {}
    stuck_request(PORT, outcome).join(timeout=30)
    # Cut off after the 2 s timeout (and the arbiter's one-second check), not after
    # 120 s: gunicorn answers 500 as it aborts the worker (or the connection drops).
    assert outcome.get("status", 500) == 500 and outcome["seconds"] < 10, outcome
    status, worker = get(PORT, "/")
    assert status == 200
    assert worker != first_worker, "a new worker took the stuck one's place"


def test_why_not_gthread_its_worker_outlives_the_timeout(server):
    """The reason the shipped class is sync: a gthread worker's main loop goes on telling
    the arbiter it is alive while a request thread hangs, so it is never killed."""
    server(
        PORT + 1,
        GUNICORN_WORKER_CLASS="gthread",
        GUNICORN_THREADS="2",
        GUNICORN_GRACEFUL_TIMEOUT="1",  # at the end, not 30 s for the stuck thread
    )
    _, first_worker = get(PORT + 1, "/")
    outcome: dict = {}
    thread = stuck_request(PORT + 1, outcome)
    thread.join(timeout=6)  # three times the timeout
    assert thread.is_alive() and not outcome, "still waiting on the stuck request"
    assert get(PORT + 1, "/")[1] == first_worker, "the same worker, never replaced"
