"""The health check load balancers ask before sending a server requests."""

import uuid

from django.core.cache import caches
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse

from tracker.ops.mail import queue_health


def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database and the cache answer, 503 otherwise.
    Also says how the e-mail queue is doing ("mail"), which does not change the status."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except DatabaseError as error:
        checks["database"] = f"error: {error.__class__.__name__}"
    probe = f"healthz:{uuid.uuid4().hex}"
    try:
        caches["default"].set(probe, "1", timeout=10)
        checks["cache"] = "ok" if caches["default"].get(probe) == "1" else "error: unavailable"
        caches["default"].delete(probe)
    except Exception as error:  # noqa: BLE001 (any cache failure is reported, not raised)
        checks["cache"] = f"error: {error.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    body: dict = {"status": "ok" if healthy else "error", **checks}
    if checks["database"] == "ok":
        # The e-mail queue, for monitoring (a backlog is no reason to take the server
        # out of the load balancer): messages waiting, the oldest's age, failures.
        try:
            body["mail"] = queue_health()
        except DatabaseError as error:  # not migrated yet, say
            body["mail"] = f"error: {error.__class__.__name__}"
    response = JsonResponse(body)
    response.status_code = 200 if healthy else 503
    response["Cache-Control"] = "no-store"
    return response
