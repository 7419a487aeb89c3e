"""gunicorn for the bare stack: sync workers, no access log, nothing recycled."""

import os

bind = os.environ["BIND"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
accesslog = None
errorlog = "-"
loglevel = "warning"
control_socket_disable = True
