"""Archived copies of cited pages: the page a source links to, fetched and kept as a file
with its SHA-256 and the time it was retrieved, so that the evidence outlives the link.

Outbound access is the operator's choice (ARCHIVE_FETCH_ENABLED, off by default). Only
http and https are fetched, each connection is checked to lead to a public address
(never the machine itself or a private network, unless ARCHIVE_ALLOW_PRIVATE_ADDRESSES,
for tests), within ARCHIVE_TIMEOUT_SECONDS in all (connections, redirects, headers and
body: a server that sends a byte now and then is not waited for beyond it) and
ARCHIVE_MAX_BYTES.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import socket
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.editorial import files
from tracker.models import EvidenceFile, Source

MAX_REDIRECTS = 3
USER_AGENT = "policy-target-tracker (archiving a cited page)"


class ArchiveError(ValueError):
    """The page could not be archived; the message says why, for the manager."""


def _check_peer(sock: socket.socket) -> None:
    address = ipaddress.ip_address(sock.getpeername()[0])
    if settings.ARCHIVE_ALLOW_PRIVATE_ADDRESSES:
        return
    if not address.is_global or address.is_multicast:
        sock.close()
        raise ArchiveError(_("The address leads to a private or local network: not fetched."))


def _checked_connection(address, *args, **kwargs) -> socket.socket:
    # The peer is checked once connected, before TLS and before any request is sent: a
    # name that resolves to a private address fails here, whatever DNS said earlier.
    sock = socket.create_connection(address, *args, **kwargs)
    _check_peer(sock)
    return sock


# When the fetch under way in this thread must be over (time.monotonic()).
_fetch = threading.local()


class _UntilDeadline(io.RawIOBase):
    """A response's socket, read with each wait cut to the time left before the fetch's
    deadline: headers and body alike."""

    def __init__(self, sock: socket.socket, socket_file) -> None:
        self.sock = sock
        # Holds the socket open (urllib closes its own reference at once, as the socket's
        # file kept by the response is expected to), until the response is closed.
        self.socket_file = socket_file

    def close(self) -> None:
        self.socket_file.close()
        super().close()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        left = _fetch.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("past the deadline")
        self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


class _Response(http.client.HTTPResponse):
    def __init__(self, sock, *args, **kwargs) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp = io.BufferedReader(_UntilDeadline(sock, self.fp))


class _HTTPConnection(http.client.HTTPConnection):
    response_class = _Response

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_connection


class _HTTPSConnection(http.client.HTTPSConnection):
    response_class = _Response

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_HTTPSConnection, req)


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise ArchiveError(_("The page redirects to an address that is not http or https."))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    # No proxy from the environment, no ftp or file handler: only the checked ones.
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler({}),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        _Redirects(),
        _HTTPHandler(),
        _HTTPSHandler(),
    ):
        opener.add_handler(handler)
    return opener


def fetch(url: str) -> tuple[bytes, str]:
    """The page at `url` and the address it was finally read from, or ArchiveError."""
    if not settings.ARCHIVE_FETCH_ENABLED:
        raise ArchiveError(
            _(
                "Fetching pages is turned off on this site (ARCHIVE_FETCH_ENABLED): "
                "upload a saved copy."
            )
        )
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise ArchiveError(_("Only http and https addresses can be archived."))
    limit = settings.ARCHIVE_MAX_BYTES
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310  # scheme checked above
    _fetch.deadline = time.monotonic() + settings.ARCHIVE_TIMEOUT_SECONDS
    try:
        with _opener().open(request, timeout=settings.ARCHIVE_TIMEOUT_SECONDS) as response:
            content = _read(response, limit + 1)
            final = response.geturl()
    except ArchiveError:
        raise
    except TimeoutError as error:
        raise ArchiveError(_("The page took too long to arrive: nothing archived.")) from error
    except urllib.error.HTTPError as error:
        raise ArchiveError(
            _("The site answered %(status)s: nothing archived.") % {"status": error.code}
        ) from error
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, ArchiveError):
            raise reason from error
        raise ArchiveError(
            _("The page could not be fetched (%(reason)s): nothing archived.") % {"reason": reason}
        ) from error
    if len(content) > limit:
        raise ArchiveError(files.too_large(len(content), limit))
    return content, final


def _read(response, most: int) -> bytes:
    """At most `most` bytes, one receive at a time (read1: read() would wait for a whole
    chunk, a byte now and then), each within the fetch's deadline (_UntilDeadline)."""
    chunks, size = [], 0
    while size < most:
        chunk = response.read1(min(65536, most - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


@transaction.atomic
def archive_source(*, source: Source, by) -> EvidenceFile:
    """Fetch the page `source` cites and keep it as the source's archived copy."""
    if not source.url:
        raise ArchiveError(_("This source has no address to archive."))
    content, final = fetch(source.url)
    try:
        checked = files.check(content, "page.html", html_allowed=True)
    except files.FileRefused as error:
        raise ArchiveError(str(error)) from error
    record = EvidenceFile(
        kind=EvidenceFile.Kind.ARCHIVE,
        source=source,
        retrieved_from=final[:500],
        retrieved_at=timezone.now(),
        uploaded_by=by,
    )
    checked.attach_to(record)
    record._change_reason = "Archived a copy of the page."
    record._history_user = by
    record.full_clean()
    record.save()
    return record
