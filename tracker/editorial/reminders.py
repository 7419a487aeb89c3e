"""The daily digest: each editor and manager is e-mailed what waits for them (their
workload), at most once a day however often it runs, and nothing when nothing waits."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from tracker.editorial.notifications import language_of
from tracker.editorial.workload import workload
from tracker.models import Project, ReminderLog
from tracker.ops.mail import deliver


def send_reminders() -> tuple[int, dt.date]:
    """Queue today's digests; returns how many, and the day."""
    today = timezone.localdate()
    people = (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(pk__in=Project.editors.through.objects.values("user"))  # type: ignore[attr-defined]
        .union(
            get_user_model()
            .objects.filter(is_active=True, managed_programmes__isnull=False)
            .exclude(email="")
        )
    )
    sent = 0
    for user in people:
        if ReminderLog.objects.filter(user=user, sent_on=today).exists():
            continue
        work = workload(user, today)
        if not work.count:
            continue
        try:
            with transaction.atomic():
                # The log row is the lock: a second run the same day stops here.
                ReminderLog.objects.create(user=user, sent_on=today, items=work.count)
                with translation.override(language_of(user)):
                    body = render_to_string(
                        "tracker/email/reminder.txt",
                        {"user": user, "today": today, **vars(work)},
                    )
                    subject = ngettext(
                        "%(count)s item is waiting for you in the tracker",
                        "%(count)s items are waiting for you in the tracker",
                        work.count,
                    ) % {"count": work.count}
                # Queued with the log row; sent by the worker once both are committed.
                deliver(
                    EmailMessage(subject, body, to=[user.email]),
                    key=f"reminder:{user.pk}:{today.isoformat()}",
                )
        except IntegrityError:
            continue
        sent += 1
    return sent, today
