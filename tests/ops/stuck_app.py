"""A test-only WSGI app for gunicorn: /stuck blocks far longer than the timeout the test
gives gunicorn (as a request stuck in a long import would); anything else answers at
once with the worker's process id."""

import os
import time


def application(environ, start_response):
    if environ["PATH_INFO"] == "/stuck":
        time.sleep(120)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
