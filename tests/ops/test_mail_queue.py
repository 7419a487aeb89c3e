"""E-mail goes out through the queue (tracker.ops.mail): once per key, retried when the
mail server refuses it, and neither lost nor sent twice when a worker is killed.

The worker tests run the real worker (`manage.py worker`, a subprocess on the test
database) against a real SMTP server (aiosmtpd, in a thread on a free port) that
records each message it accepts and answers slowly, so that a batch takes a while."""

import asyncio
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import connection, transaction
from django.urls import reverse

from tests.helpers import page_text
from tracker.models import OutgoingMessage
from tracker.ops.mail import deliver

ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """An SMTP server's handler: slow to accept each recipient (`delay` seconds); it
    refuses a message (451) its first `refusals` times, and always one to a recipient
    at never.example.org; it records the Message-ID of each message it accepts."""

    def __init__(self, delay: float = 0.2, refusals: int = 0):
        self.delay = delay
        self.refusals = refusals
        self.accepted: list[str] = []
        self.tries: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.busy = False  # a message is being handed over, not yet accepted

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.busy = True
        await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message_id = email.message_from_bytes(envelope.content)["Message-ID"]
        self.busy = False
        with self.lock:
            self.tries[message_id] += 1
            if self.tries[message_id] <= self.refusals or any(
                to.endswith("@never.example.org") for to in envelope.rcpt_tos
            ):
                return "451 Try again later"
            self.accepted.append(message_id)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    servers = []

    def start(**options) -> tuple[Recorder, int]:
        recorder, port = Recorder(**options), free_port()
        controller = Controller(recorder, hostname="127.0.0.1", port=port)
        controller.start()
        servers.append(controller)
        return recorder, port

    yield start
    for controller in servers:
        controller.stop()


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


@pytest.fixture
def workers(tmp_path, settings):
    """Starts `manage.py worker` processes on the test database, sending to `port`;
    kills whatever is still running at the end."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "The worker is another process: it needs a database it can open, and the "
            "SQLite test database is in memory (CI runs this on PostgreSQL)."
        )
    # This process queues onto the database backend, as the site does in production.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    started: list[subprocess.Popen] = []

    def start(port: int, **env: str) -> subprocess.Popen:
        environment = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "TASKS_BACKEND": "database",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "EMAIL_TIMEOUT": "1",
            "MAIL_LEASE_SECONDS": "2",
            "MAIL_RETRY_SECONDS": "0.2",
            **env,
        }
        log = (tmp_path / f"worker{len(started)}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--interval", "0.1", "-v", "2"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def queue(count: int, prefix: str = "reader", domain: str = "example.org") -> list[str]:
    """Queue `count` messages in one transaction; their keys."""
    keys = [f"test:{prefix}:{n}" for n in range(count)]
    with transaction.atomic():
        for n, key in enumerate(keys):
            message = EmailMultiAlternatives(
                f"Message {n}", f"Text {n}", to=[f"{prefix}{n}@{domain}"]
            )
            message.attach_alternative(f"<p>HTML {n}</p>", "text/html")
            deliver(message, key=key)
    return keys


def wait_for(condition, seconds: float = 20, what: str = "the queue to drain"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"Timed out waiting for {what}")


def unsent() -> int:
    return OutgoingMessage.objects.exclude(state__in=["sent", "failed"]).count()


def assert_each_arrived_once(recorder: Recorder) -> None:
    expected = set(OutgoingMessage.objects.values_list("message_id", flat=True))
    counts = Counter(recorder.accepted)
    assert set(counts) == expected, "none lost"
    assert [mid for mid, n in counts.items() if n > 1] == [], "none sent twice"


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(smtp_server, workers):
    recorder, port = smtp_server(delay=0.2)
    queue(20)
    first = workers(port)
    # Six sent, and the seventh in the middle of being handed over (its recipient takes
    # 0.2 s to be accepted).
    wait_for(lambda: len(recorder.accepted) >= 6 and recorder.busy, what="six messages")
    first.send_signal(signal.SIGKILL)
    first.wait()
    (in_hand,) = OutgoingMessage.objects.filter(state="sending")
    assert in_hand.message_id not in recorder.accepted
    accepted_before = len(recorder.accepted)
    assert accepted_before < 20, "killed mid-batch"

    workers(port)
    wait_for(lambda: unsent() == 0)
    assert_each_arrived_once(recorder)
    assert len(recorder.accepted) == 20
    in_hand.refresh_from_db()
    assert in_hand.state == "sent" and in_hand.attempts == 2, "tried again after its lease"
    assert OutgoingMessage.objects.filter(state="sent", attempts=1).count() == 19


@pytest.mark.django_db(transaction=True)
def test_a_worker_stopped_with_sigterm_finishes_the_message_in_hand(smtp_server, workers):
    recorder, port = smtp_server(delay=0.2)
    queue(8)
    worker = workers(port)
    wait_for(lambda: len(recorder.accepted) >= 2 and recorder.busy, what="a third message")
    (in_hand,) = OutgoingMessage.objects.filter(state="sending")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=10) == 0
    in_hand.refresh_from_db()
    assert in_hand.state == "sent" and in_hand.message_id in recorder.accepted
    assert not OutgoingMessage.objects.filter(state="sending").exists()
    left = OutgoingMessage.objects.filter(state="queued")
    assert left.exists() and not left.filter(attempts__gt=0).exists(), "the rest untouched"

    workers(port)
    wait_for(lambda: unsent() == 0)
    assert_each_arrived_once(recorder)
    assert len(recorder.accepted) == 8


@pytest.mark.django_db(transaction=True)
def test_two_workers_share_the_queue_and_send_each_message_once(smtp_server, workers):
    from django_tasks_db.models import DBTaskResult

    recorder, port = smtp_server(delay=0.1)
    queue(30)
    first, second = workers(port), workers(port)
    wait_for(lambda: unsent() == 0)
    assert_each_arrived_once(recorder)
    assert len(recorder.accepted) == 30
    assert set(OutgoingMessage.objects.values_list("attempts", flat=True)) == {1}
    ran = DBTaskResult.objects.filter(status="SUCCESSFUL").values_list("worker_ids", flat=True)
    assert len({worker for ids in ran for worker in ids}) == 2, "both took a share"
    for worker in (first, second):
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0


@pytest.mark.django_db(transaction=True)
def test_a_refusing_server_means_retries_then_success_or_a_logged_failure(
    smtp_server, workers, tmp_path
):
    recorder, port = smtp_server(delay=0, refusals=2)
    queue(3)
    queue(1, prefix="nobody", domain="never.example.org")
    workers(port, MAIL_MAX_ATTEMPTS="3")
    wait_for(lambda: unsent() == 0)
    sent = OutgoingMessage.objects.filter(state="sent")
    assert sent.count() == 3 and {m.attempts for m in sent} == {3}
    assert sorted(Counter(recorder.accepted).values()) == [1, 1, 1], "each once"
    (failed,) = OutgoingMessage.objects.filter(state="failed")
    assert failed.to == ["nobody0@never.example.org"] and failed.attempts == 3
    assert "451" in failed.last_error and "Try again later" in failed.last_error
    log = (tmp_path / "worker0.log").read_text()
    assert "E-mail test:nobody:0 not sent after 3 attempts, given up" in log


# In the same process, tasks run as the transaction commits (as in development).


def test_the_same_key_delivered_twice_sends_once(db, django_capture_on_commit_callbacks):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            deliver(EmailMessage("Hello", "Once.", to=["a@example.org"]), key="hello:a")
    (message,) = mail.outbox
    assert message.subject == "Hello" and message.to == ["a@example.org"]
    row = OutgoingMessage.objects.get()
    assert row.state == "sent" and row.attempts == 1
    assert message.extra_headers["Message-ID"] == row.message_id


def test_nothing_is_sent_when_the_transaction_rolls_back(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                deliver(EmailMessage("Hello", "Never.", to=["a@example.org"]), key="never:a")
                raise RuntimeError("the step failed")
        except RuntimeError:
            pass
    assert mail.outbox == []
    assert not OutgoingMessage.objects.exists()


def test_the_message_sent_is_the_message_queued(db, django_capture_on_commit_callbacks):
    message = EmailMultiAlternatives(
        "Subject", "Text", "Tracker <news@example.org>", ["a@example.org"], cc=["c@example.org"]
    )
    message.extra_headers["List-Unsubscribe"] = "<https://example.org/u/1>"
    message.attach_alternative("<p>HTML</p>", "text/html")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(message, key="k")
    (sent,) = mail.outbox
    assert (sent.from_email, sent.to, sent.cc) == (
        "Tracker <news@example.org>",
        ["a@example.org"],
        ["c@example.org"],
    )
    assert sent.body == "Text" and sent.alternatives[0][0] == "<p>HTML</p>"
    assert sent.extra_headers["List-Unsubscribe"] == "<https://example.org/u/1>"
    assert sent.message()["Message-ID"].endswith("@example.org>")


def test_a_message_with_an_attachment_is_refused(db):
    message = EmailMessage("Subject", "Text", to=["a@example.org"])
    message.attach("a.txt", "data", "text/plain")
    with pytest.raises(ValueError, match="no attachments"):
        deliver(message, key="k")


def test_superusers_see_the_outbox_and_a_failed_message(client, db):
    OutgoingMessage.objects.create(
        key="k",
        message_id="<1@example.org>",
        from_email="tracker@example.org",
        to=["a@example.org"],
        subject="Review requested: Quarter one",
        body="secret link",
        state="failed",
        attempts=10,
        last_error="SMTPDataError: (451, b'Try again later')",
    )
    user_model = get_user_model()
    staff = user_model.objects.create_user("staff", "s@example.org", "x", is_staff=True)
    client.force_login(staff)
    url = reverse("admin:tracker_outgoingmessage_changelist")
    assert client.get(url).status_code == 403
    boss = user_model.objects.create_superuser("boss", "b@example.org", "x")
    client.force_login(boss)
    text = page_text(client.get(url + "?state__exact=failed"))
    assert "Review requested: Quarter one" in text and "a@example.org" in text
    row = OutgoingMessage.objects.get()
    detail = client.get(reverse("admin:tracker_outgoingmessage_change", args=[row.pk]))
    assert "Try again later" in page_text(detail)
    assert "secret link" not in detail.content.decode(), "bodies are not shown"
    assert 'name="_save"' not in detail.content.decode(), "read only"
