"""Workflow e-mail, queued in the step's own transaction and sent once it commits
(tracker.ops.mail): reviewers hear of a submission, the author of a return or a
publication. One message per person, in their language, as plain text with an HTML
alternative. The daily digest (send_reminders) stays."""

import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext

from tracker.models import StaffProfile
from tracker.ops.mail import deliver

EVENTS = ("submitted", "returned", "published", "approved")


def language_of(user) -> str:
    """The language a person reads e-mail in (their profile), or the site's."""
    try:
        return user.staff_profile.language
    except (StaffProfile.DoesNotExist, AttributeError):
        return settings.LANGUAGE_CODE


def display_name(user) -> str:
    """How staff are named everywhere in the admin: "Full Name <email>"."""
    name = user.get_full_name().strip() or user.get_username()
    return f"{name} <{user.email}>" if user.email else name


def site_url(path: str) -> str:
    """An absolute address on this site, for links in e-mail (SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + path


def reviewers_of(programme) -> QuerySet:
    """The programme's active managers who may publish, and who have an e-mail address."""
    publish = Permission.objects.filter(
        content_type__app_label="tracker", codename="publish_progressupdate"
    )
    return (
        get_user_model()
        .objects.filter(managed_programmes=programme, is_active=True)
        .exclude(email="")
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=publish)
            | Q(user_permissions__in=publish)
        )
        .distinct()
        .order_by("pk")
    )


def _subject(event: str, title: str) -> str:
    subjects = {
        "submitted": pgettext("e-mail subject", "Review requested: %(title)s"),
        "returned": pgettext("e-mail subject", "Returned for changes: %(title)s"),
        "published": pgettext("e-mail subject", "Published: %(title)s"),
        "approved": pgettext("e-mail subject", "First approval given: %(title)s"),
    }
    return subjects[event] % {"title": title}


def send_workflow_mail(
    *,
    event: str,
    recipients: Iterable,
    item_title: str,
    item_url: str,
    actor,
    comment: str = "",
    reason: str = "",
) -> int:
    """E-mail each recipient (a user) that `actor` took a workflow step on an item.

    `event` is "submitted", "returned", "published" or "approved" (the first of two
    approvals); `item_url` is the absolute address of the admin page to act on. The
    actor is not told of their own step, and people without an e-mail are skipped.
    Returns the number of messages queued (sent once the transaction commits)."""
    if event not in EVENTS:
        raise ValueError(f"Unknown workflow event: {event!r}")
    people: dict[int, Any] = {}
    for user in recipients:
        if user.email and user.is_active and user.pk != getattr(actor, "pk", None):
            people.setdefault(user.pk, user)
    step = uuid.uuid4().hex  # each step is news, even the same step taken again
    for user in people.values():
        with translation.override(language_of(user)):
            context = {
                "event": event,
                "recipient": user,
                "recipient_name": user.get_full_name().strip() or user.get_username(),
                "actor_name": display_name(actor) if actor else gettext("Someone"),
                "item_title": item_title,
                "item_url": item_url,
                "comment": comment.strip(),
                "reason": reason.strip(),
            }
            message = EmailMultiAlternatives(
                subject=_subject(event, item_title),
                body=render_to_string("tracker/email/workflow.txt", context),
                to=[user.email],
            )
            message.attach_alternative(
                render_to_string("tracker/email/workflow.html", context), "text/html"
            )
        deliver(message, key=f"workflow:{event}:{user.pk}:{step}")
    return len(people)


def notify_update(*, update, event: str, actor) -> int:
    """Tell whoever acts next on a progress update."""
    return notify(
        event=event,
        programme=update.programme,
        author=update.author,
        title=update.title,
        path=reverse("admin:tracker_progressupdate_change", args=[update.pk]),
        actor=actor,
        comment=update.review_comment if event == "returned" else "",
    )


def notify_change(*, change, event: str, actor) -> int:
    """Tell whoever acts next on a change to the public record."""
    return notify(
        event=event,
        programme=change.programme,
        author=change.author,
        title=change.subject,
        path=reverse("admin:tracker_changerequest_change", args=[change.pk]),
        actor=actor,
        comment=change.review_comment if event == "returned" else "",
        reason=change.reason,
    )


def notify(
    *,
    event: str,
    programme,
    author,
    title: str,
    path: str,
    actor,
    comment: str = "",
    reason: str = "",
) -> int:
    """The programme's reviewers when something is submitted; its author when it is
    returned or published."""
    if event == "submitted":
        recipients = list(reviewers_of(programme))
    else:
        recipients = [author] if author else []
    # Queued, not sent: a mail server that is down cannot undo the step, and the worker
    # tries again (the daily digest lists the work as well).
    return send_workflow_mail(
        event=event,
        recipients=recipients,
        item_title=title,
        item_url=site_url(path),
        actor=actor,
        comment=comment,
        reason=reason,
    )
