"""E-mail sent outside the request, once.

Every message the site sends goes through `deliver`, which writes it to the outbox
(OutgoingMessage) in the caller's transaction and, once that commits, enqueues one task
(Django's tasks framework) to send it. A worker (`manage.py worker`) runs the tasks in
production; in development and the tests they run as soon as the transaction commits.

How a message is sent once:

- the same key delivered twice is one row, so one message;
- a task first claims its row (queued, and due) in a short transaction of its own:
  the row becomes "sending", with a lease (MAIL_LEASE_SECONDS), and its attempt is
  counted. A second task for the same row finds it claimed and does nothing;
- it then hands the message to the mail server, and marks it sent in one update. A
  message the server accepted is sent;
- a refusal or a connection error (smtplib.SMTPException, OSError) puts the row back in
  the queue with a later due time, doubling each time; after MAIL_MAX_ATTEMPTS it is
  marked failed and logged, and the admin shows it with the error;
- a worker killed while sending leaves its row "sending": when the lease ends, the
  worker's sweep (`requeue_due`) enqueues it again. So does a row whose task was never
  enqueued (the process died between the commit and the enqueue).

The one window left: the mail server has accepted the message and the worker dies
before its "sent" update commits (microseconds). That message is sent again after the
lease, with the same Message-ID, so a reader's mail program (or the server) can tell the
two apart. Sending at most once instead would lose such a message; the tracker prefers
a rare duplicate to a lost message."""

import hashlib
import logging
import smtplib
from datetime import datetime, timedelta
from email.utils import parseaddr
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.db import transaction
from django.db.models import F, Min, Q
from django.tasks import task
from django.utils import timezone

from tracker.models import OutgoingMessage

log = logging.getLogger(__name__)

State = OutgoingMessage.State
KEY_LENGTH = OutgoingMessage._meta.get_field("key").max_length or 200
# What is no longer kept of a message once sent: its text and headers (links with
# secrets in them). Its key stays, so that the same message is not sent again, and its
# addressees, except a reader's (see forget).
ERASED = {"body": "", "html": "", "headers": {}}
# Longest wait between two attempts.
MAX_RETRY_SECONDS = 3600


def deliver(message: EmailMessage, *, key: str) -> None:
    """Send `message` once the current transaction commits.

    `key` names the message uniquely (for example "follow:<subscription>:<publication>"):
    delivering the same key twice sends one message. The message is plain text, with at
    most an HTML alternative; its headers (a Message-ID is added if it has none) are
    kept. Nothing is sent if the transaction rolls back."""
    if message.attachments:
        raise ValueError("Queued e-mail carries no attachments.")
    if message.content_subtype != "plain":
        raise ValueError("Queued e-mail has a plain text body (HTML as an alternative).")
    html = ""
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype != "text/html" or html:
            raise ValueError("Queued e-mail has at most one alternative, in HTML.")
        html = str(content)
    headers = {str(name): str(value) for name, value in message.extra_headers.items()}
    message_id = next((v for k, v in headers.items() if k.lower() == "message-id"), "")
    from_email = message.from_email or settings.DEFAULT_FROM_EMAIL
    if not message_id:
        # The sender's domain: no DNS lookup for the machine's name.
        domain = parseaddr(from_email)[1].rpartition("@")[2] or "localhost"
        message_id = headers["Message-ID"] = make_msgid(domain=domain)
    if len(key) > KEY_LENGTH:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    row, created = OutgoingMessage.objects.get_or_create(
        key=key,
        defaults={
            "message_id": message_id,
            "from_email": from_email,
            "to": [str(address) for address in message.to],
            "cc": [str(address) for address in message.cc],
            "bcc": [str(address) for address in message.bcc],
            "reply_to": [str(address) for address in message.reply_to],
            # One line: a title with a line break in it (from a spreadsheet cell) would
            # make the message unsendable, for ever.
            "subject": " ".join(str(message.subject).split()),
            "body": str(message.body),
            "html": html,
            "headers": headers,
        },
    )
    if created:
        # Robust: the step that queued the message is committed whatever happens here;
        # a task that could not be enqueued is enqueued by the worker's sweep.
        transaction.on_commit(partial(enqueue, row.pk), robust=True)


def enqueue(pk: int, when: datetime | None = None) -> None:
    """Enqueue the task that sends row `pk`, not before `when`. A backend that cannot
    wait (ImmediateBackend) leaves a later attempt to the worker's sweep."""
    if when is None:
        send_queued.enqueue(pk)
    elif send_queued.get_backend().supports_defer:
        send_queued.using(run_after=when).enqueue(pk)


@task()
def send_queued(pk: int) -> str:
    """The task: send outbox row `pk` if it is still to be sent; returns its state."""
    return send_now(pk)


def _claim(pk: int) -> OutgoingMessage | None:
    """Take the row for this worker (None if it is sent, failed, not yet due, or taken
    by another worker), counting the attempt and starting the lease."""
    now = timezone.now()
    due = Q(pk=pk, state__in=[State.QUEUED, State.SENDING], due_at__lte=now)
    with transaction.atomic():
        # Where rows can be locked (PostgreSQL) a row another worker holds is skipped;
        # the conditional update makes the claim exclusive on any database.
        if OutgoingMessage.objects.select_for_update(skip_locked=True).filter(due).first():
            lease = now + timedelta(seconds=settings.MAIL_LEASE_SECONDS)
            claimed = OutgoingMessage.objects.filter(due).update(
                state=State.SENDING, attempts=F("attempts") + 1, due_at=lease
            )
            if claimed:
                return OutgoingMessage.objects.get(pk=pk)
    return None


def as_email(row: OutgoingMessage) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body,
        from_email=row.from_email,
        to=row.to,
        cc=row.cc,
        bcc=row.bcc,
        reply_to=row.reply_to,
        headers=row.headers,
    )
    if row.html:
        message.attach_alternative(row.html, "text/html")
    return message


def send_now(pk: int) -> str:
    """Claim, send and mark one message (see the module's notes)."""
    row = _claim(pk)
    if row is None:
        return "skipped"
    try:
        as_email(row).send()
    except (smtplib.SMTPException, OSError) as error:
        return _failed(row, error, retry=True)
    except Exception as error:  # noqa: BLE001 (a message that cannot be built is given up)
        log.exception("E-mail %s cannot be sent", row.key)
        return _failed(row, error, retry=False)
    marked = OutgoingMessage.objects.filter(
        pk=row.pk, state=State.SENDING, attempts=row.attempts
    ).update(state=State.SENT, sent_at=timezone.now(), last_error="", **ERASED)
    if not marked:
        # Only if this send outlasted its lease, which is longer than the SMTP timeout.
        log.warning("E-mail %s was sent after its lease ended", row.key)
    return State.SENT


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones."""
    return min(settings.MAIL_RETRY_SECONDS * 2 ** (attempts - 1), MAX_RETRY_SECONDS)


def _failed(row: OutgoingMessage, error: Exception, *, retry: bool) -> str:
    text = f"{error.__class__.__name__}: {error}"[:2000]
    mine = OutgoingMessage.objects.filter(pk=row.pk, state=State.SENDING, attempts=row.attempts)
    if retry and row.attempts < settings.MAIL_MAX_ATTEMPTS:
        when = timezone.now() + timedelta(seconds=retry_delay(row.attempts))
        log.warning(
            "E-mail %s not sent (attempt %d, tried again at %s): %s",
            row.key,
            row.attempts,
            when.isoformat(),
            text,
        )
        with transaction.atomic():
            mine.update(state=State.QUEUED, due_at=when, last_error=text)
            transaction.on_commit(partial(enqueue, row.pk, when), robust=True)
        return State.QUEUED
    log.error("E-mail %s not sent after %d attempts, given up: %s", row.key, row.attempts, text)
    mine.update(state=State.FAILED, last_error=text)
    return State.FAILED


def requeue_due(limit: int = 500) -> int:
    """Enqueue a task for each message that is due and has no task waiting for it: its
    worker died while sending (the lease has ended), its retry is due and the backend
    could not defer the task, or its task was never enqueued. Returns how many.

    Run by `manage.py worker` between rounds; a task too many is harmless, since only
    one can claim the row."""
    from django_tasks_db.models import DBTaskResult

    waiting = set(
        DBTaskResult.objects.ready()
        .filter(task_path=send_queued.module_path)
        .values_list("args_kwargs__args__0", flat=True)
    )
    due = OutgoingMessage.objects.filter(
        state__in=[State.QUEUED, State.SENDING], due_at__lte=timezone.now()
    ).order_by("due_at")
    count = 0
    for pk in due.values_list("pk", flat=True)[:limit]:
        if pk not in waiting:
            enqueue(pk)
            count += 1
    return count


def refused(key: str) -> bool:
    """Whether the message `key` has been tried and not sent (where tasks run at once,
    the request that queued it can say so)."""
    return (
        OutgoingMessage.objects.filter(key=key, attempts__gt=0).exclude(state=State.SENT).exists()
    )


def queue_health() -> dict[str, int | float | None]:
    """For the health endpoint: messages waiting, the age of the oldest, failures."""
    now = timezone.now()
    unsent = OutgoingMessage.objects.filter(state__in=[State.QUEUED, State.SENDING])
    oldest = unsent.aggregate(oldest=Min("created_at"))["oldest"]
    return {
        "unsent": unsent.count(),
        "oldest_unsent_seconds": round((now - oldest).total_seconds()) if oldest else None,
        "failed": OutgoingMessage.objects.filter(state=State.FAILED).count(),
    }


def forget(key_prefixes: list[str]) -> int:
    """Delete every message whose key starts with one of `key_prefixes`, sent or not:
    a reader who leaves is sent nothing more, and no copy of their address is kept."""
    if not key_prefixes:
        return 0
    wanted = Q()
    for prefix in key_prefixes:
        wanted |= Q(key__startswith=prefix)
    deleted, _ = OutgoingMessage.objects.filter(wanted).delete()
    return deleted
