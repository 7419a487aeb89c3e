"""Atom feeds of published updates and of changes, per programme and per project,
and the iCalendar feed of milestone dates."""

import datetime as dt
import hashlib

import icalendar
from django.contrib.syndication.views import Feed
from django.db.models import Count, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html
from django.utils.translation import gettext as _

from tracker import revisions
from tracker.formatting import markdown_html, punctuation
from tracker.models import Milestone, Programme, ProgressUpdate, Project


def owner(programme: str, project: str | None) -> tuple[Programme, Project | None]:
    found = get_object_or_404(Programme.objects.published(), slug=programme)
    if project is None:
        return found, None
    return found, get_object_or_404(Project.objects.published(), programme=found, slug=project)


class OwnedFeed(Feed):
    """An Atom feed of a programme, or of one of its projects."""

    feed_type = Atom1Feed

    def get_object(self, request, programme: str, project: str | None = None):
        return owner(programme, project)

    def title(self, obj) -> str:
        programme, project = obj
        return self.title_format() % {"name": (project or programme).name}

    def title_format(self) -> str:
        raise NotImplementedError


class UpdatesFeed(OwnedFeed):
    def title_format(self) -> str:
        return _("Progress updates: %(name)s")

    def link(self, obj) -> str:
        programme, project = obj
        return (project or programme).get_absolute_url()

    def subtitle(self, obj) -> str:
        return _("Published progress updates, newest first.")

    def items(self, obj):
        programme, project = obj
        updates = ProgressUpdate.objects.published().filter(programme=programme)
        if project is not None:
            updates = updates.filter(project=project)
        return updates[:50]

    def item_title(self, item: ProgressUpdate) -> str:
        return item.title

    def item_description(self, item: ProgressUpdate) -> str:
        return markdown_html(item.body)

    def item_pubdate(self, item: ProgressUpdate):
        return item.published_at

    def item_updateddate(self, item: ProgressUpdate):
        return item.updated_at


class ChangesFeed(OwnedFeed):
    """The What changed page as a feed; ?kind= keeps one kind of change, as on the page
    (a kind it does not know keeps them all)."""

    def get_object(self, request, programme: str, project: str | None = None):
        kind = request.GET.get("kind", "")
        return (*owner(programme, project), kind if kind in revisions.KINDS else "")

    def title(self, obj) -> str:
        return super().title(obj[:2])

    def title_format(self) -> str:
        return _("What changed: %(name)s")

    def link(self, obj) -> str:
        programme, _project, kind = obj
        return programme.get_absolute_url() + "changes/" + (f"?kind={kind}" if kind else "")

    def subtitle(self, obj) -> str:
        return _(
            "New and withdrawn records, completions, published measurements and progress "
            "updates, and every revision with its reason, newest first."
        )

    def items(self, obj):
        # The same entries as the What changed page, in the same order.
        programme, project, kind = obj
        return revisions.programme_changes(programme, project=project, kind=kind)[:50]

    def item_title(self, item: revisions.Change) -> str:
        return f"{item.subject}{punctuation(':')}{item.what}"

    def item_categories(self, item: revisions.Change) -> list[str]:
        # The kind of change, as the code ?kind= takes.
        return [item.kind]

    def item_description(self, item: revisions.Change) -> str:
        # Atom carries the summary as HTML (type="html"): the values and the reason are
        # what people typed, so they go in escaped, to be read as text.
        by = _("By %(role)s.") % {"role": item.role_label}
        if item.kind == "revised" or item.kind == "withdrawn":
            reason = item.reason or _("No reason recorded")
            return format_html("{} → {}{}{} {}", item.old, item.new, punctuation("."), reason, by)
        return format_html("{} {} {}", item.new, item.reason, by)

    def item_link(self, item: revisions.Change) -> str:
        return item.url

    def item_guid(self, item: revisions.Change) -> str:
        key = f"{item.url}|{item.kind}|{item.record}|{item.record_id}|{item.field}|{item.what}"
        digest = hashlib.sha256(f"{key}|{item.when.isoformat()}".encode())
        return f"urn:sha256:{digest.hexdigest()[:32]}"

    def item_guid_is_permalink(self, item) -> bool:
        return False

    def item_pubdate(self, item: revisions.Change):
        return item.when


def calendar(request: HttpRequest, programme: str, project: str | None = None) -> HttpResponse:
    """Milestone dates as iCalendar events. A milestone keeps its UID when its date moves;
    its SEQUENCE and LAST-MODIFIED change so calendars update the event."""
    found, scoped = owner(programme, project)
    revisions_made = (
        Milestone.history.model.objects.filter(id=OuterRef("pk"))
        .order_by()
        .values("id")
        .annotate(total=Count("*"))
        .values("total")
    )
    milestones = (
        Milestone.objects.published()
        .filter(programme=found)
        .select_related("programme", "project")
        .annotate(revision_count=Subquery(revisions_made))
    )
    if scoped is not None:
        milestones = milestones.filter(project=scoped)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Policy target tracker//Milestones//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{(scoped or found).name}: {_('Milestones')}")
    host = request.get_host().split(":")[0] or "tracker"
    for milestone in milestones.order_by("planned_on", "pk"):
        event = icalendar.Event()
        day = milestone.completed_on or milestone.forecast_on or milestone.planned_on
        event.add("uid", f"milestone-{milestone.pk}@{host}")
        event.add("summary", milestone.title)
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        event.add("dtstamp", timezone.now())
        event.add("last-modified", milestone.updated_at)
        event.add("sequence", max((milestone.revision_count or 1) - 1, 0))
        event.add("status", "CANCELLED" if milestone.withdrawn_on else "CONFIRMED")
        event.add("url", request.build_absolute_uri(milestone.get_absolute_url()))
        event.add("description", f"{milestone.get_status_display()}. {milestone.description}")
        cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{(scoped or found).slug}.ics"'
    return response
