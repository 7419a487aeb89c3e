"""The production server, as deployed: gunicorn with the project's own configuration."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

from django.conf import settings


@contextlib.contextmanager
def gunicorn(port: int, workers: int = 2) -> Iterator[str]:
    """Run gunicorn on 127.0.0.1:`port` until the block ends; yields its base address
    once it answers its health check."""
    env = {
        **os.environ,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        # No worker recycling in the middle of a measurement.
        "GUNICORN_MAX_REQUESTS": "0",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    server = subprocess.Popen(  # noqa: S603 (our own gunicorn and config)
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
            "tracker.wsgi",
        ],
        cwd=settings.BASE_DIR,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(50):
            try:
                urllib.request.urlopen(f"{base}/healthz")  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
