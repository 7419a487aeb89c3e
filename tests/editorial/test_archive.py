"""Archived copies of cited pages: a manager keeps a copy of the page a source links to,
with its SHA-256 and the time it was retrieved; only where the operator allows outbound
access, and never from a private address unless a setting allows it (as here, since
the page is served by a local server in the test: there is no Internet)."""

import hashlib
import http.server
import threading
import time

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.helpers import manager_of, page_text
from tracker.models import EvidenceFile

PAGE = (
    "<!DOCTYPE html><html lang='zh'><head><title>亦庄</title></head>"
    "<body><p>10 projects, 50 billion yuan.</p><script>alert(1)</script></body></html>"
).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "ftp://127.0.0.1/secret")
            self.end_headers()
            return
        if self.path == "/drip":
            # A byte now and then: the connection never idles long enough to time out.
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b"<")
                self.wfile.flush()
                time.sleep(0.2)
            return
        if self.path == "/drip-headers":
            # The headers a byte now and then, the body never.
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(40):
                self.wfile.write(b"z")
                self.wfile.flush()
                time.sleep(0.2)
            return
        body = PAGE if self.path == "/article" else b"x" * 5000
        self.send_response(200 if self.path != "/gone" else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def web():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def cited(db, web):
    programme = factories.ProgrammeFactory(slug="hub")
    source = factories.SourceFactory(title_en="Hub announced", url=f"{web}/article")
    programme.sources.add(source)
    manager = manager_of(programme)
    client = Client()
    client.force_login(manager)
    return programme, source, client


@pytest.fixture
def allowed(settings):
    settings.ARCHIVE_FETCH_ENABLED = True
    settings.ARCHIVE_ALLOW_PRIVATE_ADDRESSES = True


def archive(client, source):
    return client.post(
        reverse("admin:tracker_source_changelist"),
        {"action": "archive_copy", "_selected_action": [source.pk]},
        follow=True,
    )


def test_a_manager_archives_the_page_and_readers_see_the_copy_beside_the_address(
    cited, allowed, client
):
    programme, source, manager = cited
    response = archive(manager, source)
    copy = EvidenceFile.objects.get(source=source, kind=EvidenceFile.Kind.ARCHIVE)
    assert copy.sha256 == hashlib.sha256(PAGE).hexdigest()
    assert f"archived copy kept, SHA-256 {copy.sha256}" in page_text(response)
    assert copy.retrieved_from == source.url and copy.retrieved_at is not None

    html = client.get(programme.get_absolute_url()).content.decode()
    assert f'href="{source.url}"' in html
    assert f'href="{copy.get_absolute_url()}">Archived copy</a>' in html
    assert copy.sha256 in html
    served = client.get(copy.get_absolute_url())
    assert b"".join(served.streaming_content) == PAGE
    # The page's script never runs: a download, sandboxed, not sniffed.
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert served["X-Content-Type-Options"] == "nosniff"


def test_nothing_is_fetched_unless_the_operator_allows_it(cited):
    _, source, manager = cited
    response = archive(manager, source)
    assert "Fetching pages is turned off on this site" in page_text(response)
    assert not EvidenceFile.objects.exists()


def test_a_private_address_is_not_fetched(cited, settings):
    settings.ARCHIVE_FETCH_ENABLED = True
    _, source, manager = cited
    response = archive(manager, source)
    assert "The address leads to a private or local network" in page_text(response)
    assert not EvidenceFile.objects.exists()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/gone", "The site answered 404"),
        ("/moved", "redirects to an address that is not http or https"),
        ("/large", "files of up to 1000 bytes can be attached"),
    ],
)
def test_a_page_that_cannot_be_kept_is_explained(cited, allowed, settings, web, path, message):
    settings.ARCHIVE_MAX_BYTES = 1000
    _, source, manager = cited
    source.url = f"{web}{path}"
    source.save()
    assert message in page_text(archive(manager, source))
    assert not EvidenceFile.objects.exists()


def test_an_editor_cannot_archive(cited, allowed):
    programme, source, _ = cited
    project = factories.ProjectFactory(programme=programme)
    from tests.helpers import editor_of

    client = Client()
    client.force_login(editor_of(project))
    archive(client, source)
    assert not EvidenceFile.objects.exists()


def test_a_manager_may_upload_a_saved_copy_instead(cited):
    from tests.editorial.test_evidence_files import post_with_file

    _, source, manager = cited
    url = reverse("admin:tracker_source_change", args=[source.pk])
    response = post_with_file(manager, url, "files", PAGE, "saved.html", kind="archive")
    assert response.status_code == 302, page_text(response)
    copy = EvidenceFile.objects.get(source=source)
    assert copy.kind == "archive" and copy.media_type == "text/html"
    assert copy.retrieved_at is not None


@pytest.mark.parametrize("path", ["/drip", "/drip-headers"])
def test_a_page_sent_a_byte_at_a_time_is_given_up_at_the_deadline(
    cited, allowed, settings, web, path
):
    programme, source, client = cited
    settings.ARCHIVE_TIMEOUT_SECONDS = 1
    source.url = f"{web}{path}"
    source.save()
    began = time.monotonic()
    response = archive(client, source)
    # Within the deadline and one wait, not the eight seconds the server would take.
    assert time.monotonic() - began < 4
    assert "The page took too long to arrive: nothing archived." in page_text(response)
    assert not EvidenceFile.objects.filter(source=source).exists()
