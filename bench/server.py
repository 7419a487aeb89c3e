"""The servers the bench loads: this project through gunicorn with its shipped
configuration, as deployed, and the bare stack (bench/bare) beside it."""

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
def serve(port: int, app: str, config: str, probe: str, **env: str) -> Iterator[str]:
    """Run gunicorn with `config` on 127.0.0.1:`port` until the block ends; yields its
    base address once `probe` answers. `env` adds to (or overrides) the environment."""
    environ = {"GUNICORN_LOG_LEVEL": "warning", **os.environ}
    environ |= {"BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", **env}
    environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    server = subprocess.Popen(  # noqa: S603 (our own gunicorn and config)
        [sys.executable, "-m", "gunicorn", "-c", config, app],
        cwd=settings.BASE_DIR,
        env=environ,
        stdout=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}{probe}")  # noqa: S310 (our own server)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"gunicorn ({app}) stopped") from None
                time.sleep(0.2)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def gunicorn(port: int, **env: str) -> contextlib.AbstractContextManager[str]:
    """This project, with gunicorn.conf.py exactly as shipped (2 workers, as the bare
    stack); `env` only for experiments with its settings."""
    return serve(port, "tracker.wsgi", "gunicorn.conf.py", "/healthz", **env)


def bare(port: int) -> contextlib.AbstractContextManager[str]:
    """The bare stack: Security and WhiteNoise middleware only, sync workers."""
    return serve(
        port,
        "bench.bare.wsgi",
        "bench/bare/gunicorn.conf.py",
        "/page/",
        DJANGO_SETTINGS_MODULE="bench.bare.settings",
    )
