"""The public record of revisions, read from the history of targets and milestones.

Every change to a target's value, due dates or scope, and every moved milestone date,
with the old value, the new value, when, and the reason given.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from tracker.formatting import format_target_value
from tracker.models import Milestone, Target

TARGET_FIELDS = {
    "target_value": _("Target value"),
    "due_on": _("Due date"),
    "due_earliest": _("Earlier due date"),
    "title_en": _("Scope (title)"),
    "description_en": _("Scope (description)"),
    "withdrawn_on": _("Withdrawn"),
}
MILESTONE_DATE_FIELDS = {"planned_on": _("Planned date"), "withdrawn_on": _("Withdrawn")}
MILESTONE_FIELDS = {
    "planned_on": _("Planned date"),
    "forecast_on": _("Forecast date"),
    "completed_on": _("Completion date"),
    "status": _("Status"),
    "withdrawn_on": _("Withdrawn"),
}


@dataclass(frozen=True)
class Change:
    when: dt.datetime
    subject: str
    url: str
    what: str
    old: str
    new: str
    reason: str
    kind: str  # "target" or "milestone"
    # The same change as data, for the downloads: which field, the values as stored
    # (dates, numbers, codes; None when empty) and the record's id.
    field: str = ""
    old_value: Any = None
    new_value: Any = None
    record_id: int | None = None


def _show(value: Any, field: str, record) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.date):
        return date_format(value, "DATE_FORMAT")
    if field == "target_value":
        return format_target_value(value, record)
    if field == "status":
        return str(Milestone.Status(value).label)
    return str(value)


def _stored(value: Any) -> Any:
    return None if value == "" else value


def changes_in(
    records: Iterable, fields: dict[str, Any], kind: str, programme_slug: str
) -> list[Change]:
    """Compare each historical record with the one before it for the same object."""
    route = "tracker:target-detail" if kind == "target" else "tracker:milestone-detail"
    changes = []
    for pk, versions in itertools.groupby(records, key=lambda r: r.id):
        url = reverse(route, kwargs={"programme": programme_slug, "pk": pk})
        for older, newer in itertools.pairwise(versions):
            for field, label in fields.items():
                before, after = getattr(older, field), getattr(newer, field)
                if before != after:
                    changes.append(
                        Change(
                            when=newer.history_date,
                            subject=newer.title,
                            url=url,
                            what=str(label),
                            old=_show(before, field, older),
                            new=_show(after, field, newer),
                            reason=newer.history_change_reason or "",
                            kind=kind,
                            field=field,
                            old_value=_stored(before),
                            new_value=_stored(after),
                            record_id=pk,
                        )
                    )
    return changes


def _ordered(history: QuerySet) -> QuerySet:
    return history.order_by("id", "history_date", "history_id")


def programme_changes(programme, project=None) -> list[Change]:
    """Every revision to a programme's (or one project's) targets and milestone dates,
    newest first."""
    scope = {"project_id": project.pk} if project else {"programme_id": programme.pk}
    targets = _ordered(Target.history.filter(**scope))
    milestones = _ordered(Milestone.history.filter(**scope))
    changes = changes_in(targets, TARGET_FIELDS, "target", programme.slug) + changes_in(
        milestones, MILESTONE_DATE_FIELDS, "milestone", programme.slug
    )
    return sorted(changes, key=lambda c: c.when, reverse=True)


def milestone_changes(milestone: Milestone) -> list[Change]:
    """The history of one milestone's dates and status, newest first."""
    records = _ordered(Milestone.history.filter(id=milestone.pk))
    changes = changes_in(records, MILESTONE_FIELDS, "milestone", milestone.programme.slug)
    return sorted(changes, key=lambda c: c.when, reverse=True)
