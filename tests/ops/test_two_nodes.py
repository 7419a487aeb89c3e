"""Two app servers behind a real nginx, sharing one PostgreSQL database and one Redis
(issue 17): what is published through one is seen through the other on the next
request, a session and a CSRF token from one are good on the other, and stopping one
while the site is under load loses no request the balancer could retry."""

import datetime as dt
import html
import http.client
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import redis
from django.contrib.auth import get_user_model
from django.db import connection

from bench.wrk import load
from tests import factories
from tracker.models import Milestone

ROOT = Path(__file__).resolve().parents[2]
BALANCER, NODE_A, NODE_B = 8310, 8311, 8312
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def find(binary: str) -> str | None:
    """Debian keeps nginx in /usr/sbin, often not on a user's PATH."""
    return shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/local/sbin")


def reason_to_skip() -> str | None:
    if connection.vendor != "postgresql":
        return "two app servers share one database: PostgreSQL (run with DATABASE_URL)"
    if not find("nginx") or not shutil.which("wrk"):
        return "needs nginx and wrk (apt-get install nginx wrk; .ci/run does)"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return f"needs Redis at {REDIS_URL}"
    return None


class Browser:
    """A person's browser, talking to one server or another: it keeps its cookies
    (sent over plain HTTP here, as the test has no TLS) across all of them."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, port: int, path: str, data: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request("POST" if data is not None else "GET", path, body, headers)
            response = conn.getresponse()
            text = response.read().decode()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response, text

    def csrf_token(self, port: int, path: str) -> str:
        response, text = self.request(port, path)
        assert response.status == 200, (path, response.status)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)


def node_env(static: Path) -> dict:
    """Production settings, the same on every node: one secret key, one database, one
    Redis (the test's database, which this test commits to)."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "OTP_REQUIRED_FOR_SUPERUSERS": "0",
        "BEHIND_PROXY": "1",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "REDIS_URL": REDIS_URL,
        # Nothing cached by an earlier run or another test is taken for this run's.
        "CACHE_PREFIX": f"two-nodes-{secrets.token_hex(4)}",
        "STATIC_ROOT": str(static),
        "LOG_LEVEL": "WARNING",
        "GUNICORN_LOG_LEVEL": "warning",
        "WEB_CONCURRENCY": "2",
    }
    for name in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "PAGE_CACHE_SECONDS"):
        env.pop(name, None)
    return env


def wait_for(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} stopped with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
        finally:
            conn.close()
    raise AssertionError(f"{what} did not answer")


def nginx_conf(folder: Path) -> Path:
    """nginx in the foreground, with everything of its own in `folder`; what it does
    with a request is deploy/tracker-proxy.conf, as in production."""
    conf = folder / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""  # its workers write its buffers here
    conf.write_text(
        f"""
{user}
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    upstream tracker {{
        server 127.0.0.1:{NODE_A} max_fails=1 fail_timeout=10s;
        server 127.0.0.1:{NODE_B} max_fails=1 fail_timeout=10s;
    }}
    server {{
        listen 127.0.0.1:{BALANCER};
        location / {{
            proxy_pass http://tracker;
            include {ROOT / "deploy" / "tracker-proxy.conf"};
        }}
    }}
}}
"""
    )
    return conf


@pytest.fixture
def site(tmp_path, transactional_db):
    """Node A, node B and nginx before them, all started; yields the processes."""
    skip = reason_to_skip()
    if skip:
        pytest.skip(skip)
    static = tmp_path / "static"
    env = node_env(static)
    subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name, port in (("A", NODE_A), ("B", NODE_B)):
            processes[name] = subprocess.Popen(  # noqa: S603 (our own gunicorn and config)
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "tracker.wsgi"],
                cwd=ROOT,
                env={**env, "BIND": f"127.0.0.1:{port}"},
            )
        processes["nginx"] = subprocess.Popen(  # noqa: S603 (Debian's nginx, our config)
            [find("nginx"), "-c", str(nginx_conf(tmp_path)), "-p", str(tmp_path)]
        )
        for name, port in (("A", NODE_A), ("B", NODE_B), ("nginx", BALANCER)):
            wait_for(port, processes[name], name)
        yield processes
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def edit_milestone(browser: Browser, token_from: int, post_to: int, pk: int, **row) -> None:
    """Change a milestone in the admin's list: the form read through one node, and
    posted through another."""
    token = browser.csrf_token(token_from, "/admin/tracker/milestone/")
    data = {
        "csrfmiddlewaretoken": token,
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(pk),
        "_save": "Save",
    } | {f"form-0-{name}": value for name, value in row.items()}
    response, text = browser.request(post_to, "/admin/tracker/milestone/", data)
    assert response.status == 302, text[:2000]


def status_shown(port: int, url: str) -> tuple[str, str | None]:
    response, text = Browser().request(port, url)
    assert response.status == 200
    shown = re.search(r"Status</dt>\s*<dd>(.*?)</dd>", text, re.DOTALL)
    assert shown, text[:2000]
    status = html.unescape(re.sub(r"<[^>]+>", "", shown.group(1))).strip()
    return status, response.getheader("X-Cache")


def test_two_nodes_behind_nginx_share_publications_sessions_and_load(site):
    milestone = factories.MilestoneFactory(planned_on=dt.date(2030, 3, 1))
    get_user_model().objects.create_superuser("chief", "chief@example.org", "a-long-passphrase")
    page = f"/en/programmes/{milestone.programme.slug}/milestones/{milestone.pk}/"

    # Node B has the page in its cache (and in its memory).
    for expected in ("miss", "hit"):
        assert status_shown(NODE_B, page) == ("Planned", expected)

    # Logged in through A; the session is good on B.
    browser = Browser()
    token = browser.csrf_token(NODE_A, "/admin/login/")
    response, _ = browser.request(
        NODE_A,
        "/admin/login/?next=/admin/",
        {"csrfmiddlewaretoken": token, "username": "chief", "password": "a-long-passphrase"},
    )
    assert response.status == 302 and "sessionid" in browser.cookies
    response, _ = browser.request(NODE_B, "/admin/tracker/milestone/")
    assert response.status == 200, "the session made on A is good on B"

    # Published through A: B's next answer shows it.
    edit_milestone(browser, NODE_A, NODE_A, milestone.pk, status="in_progress", forecast_on="")
    assert status_shown(NODE_B, page)[0] == "In progress"

    # A form read through A (its CSRF token) is posted through B; A shows the change.
    edit_milestone(
        browser, NODE_A, NODE_B, milestone.pk, status="completed", completed_on="2024-03-05"
    )
    assert Milestone.objects.get(pk=milestone.pk).status == "completed"
    assert status_shown(NODE_A, page)[0] == "Completed"
    for _ in range(4):  # through the balancer, whichever node answers
        assert status_shown(BALANCER, page)[0] == "Completed"

    # Node A stops (gracefully) while wrk loads the site through nginx: every request
    # is answered, by B once A is gone.
    stopper = threading.Timer(2, site["A"].send_signal, args=(signal.SIGTERM,))
    stopper.start()
    during = load(f"http://127.0.0.1:{BALANCER}{page}", seconds=6)
    stopper.join()
    assert site["A"].wait(timeout=30) == 0, "node A stopped cleanly"
    assert during.requests > 100
    assert (during.bad_status, during.socket_errors) == (0, 0), during
    assert status_shown(BALANCER, page)[0] == "Completed"
