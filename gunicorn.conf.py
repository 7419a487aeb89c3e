"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py tracker.wsgi`.

Every value can be changed from the environment (the names below). The app keeps no
state of its own (sessions and cache live in PostgreSQL and Redis), so run as many of
these behind a load balancer as the traffic needs (README.md, "In production").

The choices were measured with `make bench` (issue 17), against a bare Django app on
the same machine in the same run:
- sync workers: a worker stuck in one request past `timeout` stops telling the
  arbiter it is alive, and is killed and replaced. A gthread worker's main loop keeps
  saying so while a request thread hangs, so a hung request was never stopped. Sync
  workers serve one request at a time and close the connection after it, so they
  belong behind a proxy that buffers (nginx, HAProxy; deploy/), which keeps the slow
  clients and the kept-alive connections.
- no recycling (max_requests 0): recycling every 2,000 requests restarted each worker
  about once a second under load, each restart a Django boot; nothing here leaks.
- no access log: the proxy in front logs each request already, and building the line
  here cost a measurable share of a cached page. GUNICORN_ACCESS_LOG=- turns it on.
"""

import multiprocessing
import os


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("BIND", "0.0.0.0:8000")
# Two workers per core, plus one: while one waits on PostgreSQL another runs.
workers = env_int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
# Used by the gthread class only (GUNICORN_WORKER_CLASS=gthread).
threads = env_int("GUNICORN_THREADS", 1)
# A request running longer than this gets its worker killed (and the client a 502 from
# the proxy); imports stop themselves well before (IMPORT_TIME_LIMIT_SECONDS).
timeout = env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = env_int("GUNICORN_KEEPALIVE", 5)
# Off: a worker is replaced only when it dies or times out. A number N recycles each
# worker after N requests (give or take a tenth), should a leak ever need it.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", max_requests // 10)
# No access log unless GUNICORN_ACCESS_LOG names one ("-" for standard output); then
# one JSON object per request.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = (
    '{"time": "%(t)s", "method": "%(m)s", "path": "%(U)s", "query": "%(q)s", '
    '"status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s, "agent": "%(a)s"}'
)
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Trust X-Forwarded-* only from the proxies named here (comma-separated addresses).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket (for `gunicornc`) has one default path for every instance
# run by the same user, so a second instance on a host takes it over from the first.
# Off, unless GUNICORN_CONTROL_SOCKET names a path of this instance's own.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
