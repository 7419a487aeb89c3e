"""E-mail to readers who follow a programme, project or target, without an account.

What is news for a follower is one rule (`news_of_changes`, `news_of_updates`): a new
project, target or milestone; a published or corrected measurement; a target revised or
withdrawn; a milestone completed, withdrawn or with a new date; a project completed or
cancelled; a progress update published. The same kinds, from the same fields, as the
public "What changed" log (tracker.revisions). Demonstration records and what an
operator's command loads (the seed and document loaders, `via="command"`) are nobody's
news.

A publication happens in two places, each of which calls `published()` once it has
published: `tracker.editorial.publishing` (every change to the public record, published
directly or after review) and `tracker.editorial.workflow` (progress updates). Nothing is
sent until the transaction commits, and everything one transaction publishes goes out
together: one message per follower, however many of the things they follow it touched.
Weekly followers get nothing then; `send_digests` (the send_follow_digests command) sends
them what was published since their last digest, each item once.

Every message goes through `tracker.ops.mail.deliver` with a key unique to the follower
and what it reports, so that delivering it again sends it once."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import npgettext, pgettext

from tracker import revisions
from tracker.editorial.notifications import site_url
from tracker.formatting import punctuation
from tracker.models import (
    ChangeRequest,
    Follow,
    Follower,
    Measurement,
    Milestone,
    Programme,
    ProgressUpdate,
    Project,
    Target,
)
from tracker.ops.mail import deliver, forget

log = logging.getLogger(__name__)

# A confirmation link works this long; an address never confirmed is erased after it.
CONFIRM_DAYS = 7
CONFIRM_SALT = "tracker.followers.confirm"
# A weekly digest goes to a follower whose last one is at least this old, so that the
# command, run once a week, reaches everyone every week, and run twice sends once.
DIGEST_EVERY = dt.timedelta(days=6)
# A digest stops this long before it is sent: a publication saved just before, whose
# transaction has not committed yet, is in the next one rather than in neither.
SETTLE = dt.timedelta(minutes=5)

# The records whose changes can be news, by the name tracker.revisions gives them.
RECORDS: dict[type[models.Model], str] = {
    Project: "project",
    Target: "target",
    Milestone: "milestone",
    Measurement: "measurement",
}
# The fields whose change is news, as on the public log; a status counts only when it
# completes or cancels the record.
NEWS_FIELDS: dict[type[models.Model], frozenset[str]] = {
    Project: frozenset(revisions.PROJECT_FIELDS),
    Target: frozenset(revisions.TARGET_FIELDS),
    Milestone: frozenset(revisions.MILESTONE_FIELDS),
    Measurement: frozenset({"value", "as_of"}),
}
STATUS_FIELDS = frozenset({"status", "lifecycle_status"})
# The kind a change with several news fields is reported as.
PRECEDENCE = ("completed", "withdrawn", "revised")
LOADER = "command"


@dataclass(frozen=True)
class News:
    """One published thing, as much as is needed to find who follows it."""

    key: str  # unique per publication: "change-12", "update-4"
    when: dt.datetime
    kind: str  # a key of revisions.KINDS
    record: str  # a key of revisions.RECORDS
    model: type[models.Model]
    pk: int
    programme_id: int
    project_id: int | None = None
    target_id: int | None = None

    def concerns(self, follow: Follow) -> bool:
        """Whether `follow` covers this: its programme, its project or its target."""
        return (
            follow.programme_id == self.programme_id
            or (self.project_id is not None and follow.project_id == self.project_id)
            or (self.target_id is not None and follow.target_id == self.target_id)
        )


# What is news


def _kind_of_change(change: ChangeRequest, model: type[models.Model]) -> str | None:
    if change.is_addition:
        return "measurement" if model is Measurement else "created"
    if model is Measurement:
        return "measurement" if NEWS_FIELDS[model] & set(change.values) else None
    kinds = set()
    for name in NEWS_FIELDS[model] & set(change.values):
        kind = revisions.kind_of(name, change.previous.get(name), change.values[name])
        if kind == "revised" and name in STATUS_FIELDS:
            continue
        kinds.add(kind)
    return next((kind for kind in PRECEDENCE if kind in kinds), None)


def news_of_changes(changes: Iterable[ChangeRequest]) -> list[News]:
    """The published changes that are news, each as News."""
    found = []
    measurements = []
    for change in changes:
        model = change.content_type.model_class()
        if (
            model is None
            or model not in RECORDS
            or change.state != ChangeRequest.State.PUBLISHED
            or change.is_demo
            or change.source == LOADER
            or change.object_id is None
            or change.reviewed_at is None
        ):
            continue
        kind = _kind_of_change(change, model)
        if kind is None:
            continue
        found.append((change, model, kind))
        if model is Measurement:
            measurements.append(change.object_id)
    target_of = dict(Measurement.objects.filter(pk__in=measurements).values_list("pk", "target_id"))
    news = []
    for change, model, kind in found:
        object_id = int(change.object_id or 0)
        news.append(
            News(
                key=f"change-{change.pk}",
                when=change.reviewed_at,  # type: ignore[arg-type]  # checked above
                kind=kind,
                record=RECORDS[model],
                model=model,
                pk=object_id,
                programme_id=change.programme_id,
                project_id=object_id if model is Project else change.project_id,
                target_id=object_id if model is Target else target_of.get(object_id),
            )
        )
    return news


def news_of_updates(updates: Iterable[ProgressUpdate]) -> list[News]:
    """The progress updates published through review (never a demonstration's, nor one
    loaded from a document with its date of long ago), each as News."""
    return [
        News(
            key=f"update-{update.pk}",
            when=update.published_at,  # type: ignore[arg-type]  # published
            kind="update",
            record="update",
            model=ProgressUpdate,
            pk=update.pk,
            programme_id=update.programme_id,
            project_id=update.project_id,
        )
        for update in updates
        if update.state == ProgressUpdate.State.PUBLISHED
        and update.reviewed_at is not None
        and not update.is_demo
    ]


# Published now: one batch per transaction


class Publication:
    """What one transaction published, sent once it commits."""

    def __init__(self) -> None:
        self.changes: list[ChangeRequest] = []
        self.updates: list[ProgressUpdate] = []
        self.sent = False

    def add(self, change: ChangeRequest | None, update: ProgressUpdate | None) -> None:
        if change is not None:
            self.changes.append(change)
        if update is not None:
            self.updates.append(update)

    def __call__(self) -> None:
        self.sent = True
        # Composed by the mail worker, not in the request that published: a large
        # import's followers cost the publisher nothing. The messages' keys come from
        # the items, so a task run twice queues nothing twice.
        announce.enqueue([c.pk for c in self.changes], [u.pk for u in self.updates])


@task()
def announce(change_ids: list[int], update_ids: list[int]) -> int:
    """Queue one message to each follower of what one transaction published."""
    changes = ChangeRequest.objects.select_related("content_type").in_bulk(change_ids)
    updates = ProgressUpdate.objects.in_bulk(update_ids)
    news = news_of_changes(changes[pk] for pk in change_ids if pk in changes)
    news += news_of_updates(updates[pk] for pk in update_ids if pk in updates)
    with transaction.atomic():
        return send_news(news) if news else 0


def published(*, change: ChangeRequest | None = None, update: ProgressUpdate | None = None) -> None:
    """Tell followers of what was just published, once the transaction commits: many
    publications in one transaction (a file import) make one message per follower."""
    connection = transaction.get_connection()
    batch = next(
        (
            func
            # The stubs give the entries two items; Django keeps (savepoints, func, robust).
            for _, func, _ in connection.run_on_commit
            # (Tests run the hooks without committing: one that has run is done.)
            if isinstance(func, Publication) and not func.sent
        ),
        None,
    )
    if batch is None:
        batch = Publication()
        batch.add(change, update)
        # Robust: the publication is committed; a failure to send must not undo it or
        # turn it into an error page (it is logged).
        transaction.on_commit(batch, robust=True)
    else:
        batch.add(change, update)


def _following(news: list[News], frequency: str) -> dict[Follower, list[News]]:
    """Each confirmed follower at `frequency` with the news they follow, in order."""
    wanted = Q(programme_id__in={n.programme_id for n in news})
    if projects := {n.project_id for n in news if n.project_id}:
        wanted |= Q(project_id__in=projects)
    if targets := {n.target_id for n in news if n.target_id}:
        wanted |= Q(target_id__in=targets)
    follows = (
        Follow.objects.filter(wanted)
        .filter(follower__confirmed_at__isnull=False, follower__frequency=frequency)
        .select_related("follower")
        .order_by("follower_id", "pk")
    )
    by_follower: dict[int, list[Follow]] = defaultdict(list)
    followers = {}
    for follow in follows:
        by_follower[follow.follower_id].append(follow)
        followers[follow.follower_id] = follow.follower
    found = {}
    for pk, theirs in by_follower.items():
        items = [n for n in news if any(n.concerns(follow) for follow in theirs)]
        if items:
            found[followers[pk]] = sorted(items, key=lambda n: (n.when, n.key))
    return found


def send_news(news: list[News]) -> int:
    """One message to each follower who wants news at once. Returns how many."""
    sent = 0
    lines = Lines(news)
    for follower, items in _following(news, Follower.Frequency.IMMEDIATE).items():
        keys = "+".join(sorted(n.key for n in items))
        digest = hashlib.sha256(keys.encode()).hexdigest()[:24]
        message = news_message(follower, items, lines)
        if message is not None:
            deliver(message, key=f"follow:{follower.pk}:{digest}")
            sent += 1
    return sent


# The weekly digest


def send_digests(now: dt.datetime | None = None) -> int:
    """Send each weekly follower whose last digest is a week old what was published
    since (never the same item twice: each digest starts where the last one ended).
    Safe to run again or twice at once. Returns how many digests were sent."""
    now = now or timezone.now()
    until = now - SETTLE
    forget_unconfirmed(now)
    due = Follower.objects.filter(
        confirmed_at__isnull=False, frequency=Follower.Frequency.WEEKLY
    ).filter(
        Q(digest_through__lte=now - DIGEST_EVERY)
        | Q(digest_through__isnull=True, confirmed_at__lte=now - DIGEST_EVERY)
    )
    starts = {
        pk: through or confirmed
        for pk, through, confirmed in due.values_list("pk", "digest_through", "confirmed_at")
    }
    if not starts:
        return 0
    # Everything any of them may get, found once; each gets what they follow of it.
    news = published_between(min(filter(None, starts.values())), until)
    following = {
        follower.pk: items
        for follower, items in _following(news, Follower.Frequency.WEEKLY).items()
    }
    sent = 0
    lines = Lines(news)
    for pk in starts:
        with transaction.atomic():
            # Another run holding this follower sends theirs; one that finished since
            # moved the start on.
            follower = Follower.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if follower is None or follower.confirmed_at is None:
                continue
            since = follower.digest_through or follower.confirmed_at
            if since > now - DIGEST_EVERY:
                continue
            items = [item for item in following.get(pk, []) if since <= item.when < until]
            message = news_message(follower, items, lines, since=since) if items else None
            if message is not None:
                deliver(message, key=f"follow-digest:{follower.pk}:{until.isoformat()}")
                sent += 1
            follower.digest_through = until
            follower.save(update_fields=["digest_through"])
    return sent


def published_between(start: dt.datetime | None, end: dt.datetime) -> list[News]:
    """The news published from `start` (included) to `end` (excluded)."""
    if start is None or start >= end:
        return []
    changes = ChangeRequest.objects.filter(
        state=ChangeRequest.State.PUBLISHED, reviewed_at__gte=start, reviewed_at__lt=end
    ).select_related("content_type")
    updates = ProgressUpdate.objects.filter(
        state=ProgressUpdate.State.PUBLISHED, reviewed_at__gte=start, reviewed_at__lt=end
    )
    return news_of_changes(changes) + news_of_updates(updates)


# The messages


@dataclass(frozen=True)
class Line:
    """One item of a message, in the follower's language."""

    what: str
    title: str
    url: str


def _records(news: list[News]) -> dict[tuple[type[models.Model], int], models.Model]:
    related: dict[type[models.Model], tuple[str, ...]] = {
        Project: ("programme",),
        Target: ("programme",),
        Milestone: ("programme",),
        Measurement: ("target__programme",),
        ProgressUpdate: ("programme", "project__programme"),
    }
    pks: dict[type[models.Model], set[int]] = defaultdict(set)
    for item in news:
        pks[item.model].add(item.pk)
    found = {}
    for model, wanted in pks.items():
        for obj in model._default_manager.filter(pk__in=wanted).select_related(*related[model]):
            found[model, obj.pk] = obj
    return found


def _line(item: News, obj: models.Model) -> Line:
    if item.kind == "created":
        what = str(revisions.NEW[item.record])
    elif item.kind in ("update", "measurement"):
        what = str(revisions.KINDS[item.kind])
    else:
        what = f"{revisions.RECORDS[item.record]} · {revisions.KINDS[item.kind]}"
    if isinstance(obj, Measurement):
        title = f"{obj.target}{punctuation('(')}{date_format(obj.as_of)}{punctuation(')')}"
    else:
        title = str(obj)
    return Line(what=what, title=title, url=site_url(obj.get_absolute_url()))  # type: ignore[attr-defined]


class Lines:
    """The news as each language reads it, its records read once for every follower
    rather than once each; an item whose record is gone since is left out."""

    def __init__(self, news: list[News]):
        self.news = news
        self.by_language: dict[str, dict[str, Line]] = {}

    def of(self, items: list[News], language: str) -> list[Line]:
        if language not in self.by_language:
            with translation.override(language):
                records = _records(self.news)
                self.by_language[language] = {
                    item.key: _line(item, records[item.model, item.pk])
                    for item in self.news
                    if (item.model, item.pk) in records
                }
        known = self.by_language[language]
        return [known[item.key] for item in items if item.key in known]


def links(follower: Follower) -> dict[str, str]:
    """The follower's own links, absolute, in their language."""
    with translation.override(follower.language):
        return {
            "manage_url": site_url(reverse("tracker:follow-manage", args=[follower.token])),
            "unsubscribe_url": site_url(
                reverse("tracker:follow-unsubscribe", args=[follower.token])
            ),
        }


def _message(
    follower: Follower, subject: str, template: str, context: dict
) -> EmailMultiAlternatives:
    """A message to `follower` with one-click unsubscription (RFC 8058): the link in the
    text, and the headers with which a mail program offers it itself."""
    own = links(follower)
    context = {**context, **own, "follower": follower}
    message = EmailMultiAlternatives(
        # A title is one line of a header, whatever was typed into it.
        subject=" ".join(subject.split()),
        body=render_to_string(f"tracker/email/{template}.txt", context),
        to=[follower.email],
        headers={
            "List-Unsubscribe": f"<{own['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(
        render_to_string(f"tracker/email/{template}.html", context), "text/html"
    )
    return message


def news_message(
    follower: Follower, news: list[News], lines: Lines, *, since: dt.datetime | None = None
) -> EmailMultiAlternatives | None:
    """The message telling `follower` of `news` (a weekly digest when `since` is given),
    in their language; None if every record in it is gone since."""
    with translation.override(follower.language):
        items = lines.of(news, follower.language)
        count = len(items)
        if not count:
            return None
        if since is not None:
            subject = npgettext(
                "e-mail subject",
                "This week in what you follow: %(count)d new item",
                "This week in what you follow: %(count)d new items",
                count,
            ) % {"count": count}
        elif count == 1:
            subject = f"{items[0].what}{punctuation(':')}{items[0].title}"
        else:
            subject = npgettext(
                "e-mail subject",
                "%(count)d new item in what you follow",
                "%(count)d new items in what you follow",
                count,
            ) % {"count": count}
        return _message(
            follower,
            subject,
            "follow_news",
            {
                "items": items,
                "since": timezone.localtime(since).date() if since else None,
                "digest": since is not None,
            },
        )


# Signing up


def new_token() -> str:
    return secrets.token_urlsafe(32)


def confirmation_token(follower: Follower, record: models.Model) -> str:
    """The signed, expiring token of a link that confirms `follower` and adds `record`
    to what they follow (it names the follower by number, never by their secret)."""
    return signing.dumps(
        {"f": follower.pk, "k": type(record)._meta.model_name, "p": record.pk},
        salt=CONFIRM_SALT,
        compress=True,
    )


def read_confirmation(token: str) -> tuple[int, str, int]:
    """The follower, and the kind and key of the record, in a confirmation token.
    Raises signing.BadSignature (a SignatureExpired after CONFIRM_DAYS) for a bad one."""
    data = signing.loads(token, salt=CONFIRM_SALT, max_age=dt.timedelta(days=CONFIRM_DAYS))
    if not isinstance(data, dict) or data.get("k") not in Follow.KINDS:
        raise signing.BadSignature("not a confirmation")
    try:
        return int(data["f"]), str(data["k"]), int(data["p"])
    except (KeyError, TypeError, ValueError) as error:
        raise signing.BadSignature("not a confirmation") from error


def forget_unconfirmed(now: dt.datetime | None = None) -> int:
    """Erase the addresses never confirmed within CONFIRM_DAYS (their link has expired),
    and those that follow nothing any more (what they followed was deleted)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=CONFIRM_DAYS)
    unconfirmed = Q(confirmed_at__isnull=True, requested_at__lt=cutoff)
    orphaned = Q(confirmed_at__isnull=False, follows__isnull=True)
    deleted, _ = Follower.objects.filter(unconfirmed | orphaned).delete()
    return deleted


def sign_up(*, email: str, language: str, frequency: str, record: models.Model) -> Follower:
    """Ask `email` to confirm that it follows `record`: a new address is kept
    unconfirmed with its choices, an unconfirmed one takes the new choices, and a
    confirmed one keeps its own (the message offers its page). Either way one message
    goes out, and the person asking learns nothing of which case it was."""
    forget_unconfirmed()
    with transaction.atomic():
        follower = Follower.objects.select_for_update().filter(email__iexact=email).first()
        if follower is None:
            try:
                with transaction.atomic():
                    follower = Follower.objects.create(
                        email=email, language=language, frequency=frequency, token=new_token()
                    )
            except IntegrityError:
                # The same address, asked for at the same moment.
                follower = Follower.objects.select_for_update().get(email__iexact=email)
        elif follower.confirmed_at is None:
            follower.language, follower.frequency = language, frequency
            follower.save(update_fields=["language", "frequency"])
        deliver(
            confirmation_message(follower, record),
            key=f"follow-confirm:{follower.pk}:{secrets.token_hex(8)}",
        )
    return follower


def confirmation_message(follower: Follower, record: models.Model) -> EmailMultiAlternatives:
    with translation.override(follower.language):
        url = site_url(
            reverse("tracker:follow-confirm", args=[confirmation_token(follower, record)])
        )
        title = str(record)
        return _message(
            follower,
            pgettext("e-mail subject", "Confirm: e-mail about %(title)s") % {"title": title},
            "follow_confirm",
            {
                "title": title,
                "record_url": site_url(record.get_absolute_url()),  # type: ignore[attr-defined]
                "confirm_url": url,
                "confirmed": follower.confirmed_at is not None,
                "days": CONFIRM_DAYS,
            },
        )


RECORD_KINDS: dict[str, type[Programme] | type[Project] | type[Target]] = {
    "programme": Programme,
    "project": Project,
    "target": Target,
}


def record_of(kind: str, pk: int) -> Programme | Project | Target | None:
    """The programme, project or target a follow or a confirmation names."""
    model = RECORD_KINDS.get(kind)
    return None if model is None else model._default_manager.filter(pk=pk).first()


@receiver(post_delete, sender=Follower)
def _forget_messages(sender, instance: Follower, **kwargs) -> None:
    """A follower deleted (unsubscribed, never confirmed, or following nothing) takes
    their messages along, sent or still queued: none goes out after, no copy stays."""
    forget([f"{kind}:{instance.pk}:" for kind in ("follow", "follow-confirm", "follow-digest")])
