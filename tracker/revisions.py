"""The public record of what changed in a programme, newest first.

New and withdrawn projects, targets and milestones; completed projects and milestones;
published measurements and progress updates; and every revision of a target's value,
due dates or scope and every moved milestone date, with the old value, the new value,
when, the reason given and who made it, by role only (never a name).

Everything is read from the published records and their history (django-simple-history):
a change still waiting for review is a ChangeRequest, not a row, so it is not here.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from tracker import prepared
from tracker.formatting import format_target_value, punctuation
from tracker.models import Measurement, Milestone, Programme, ProgressUpdate, Project, Target

# The kinds of change, in the order the filter offers them; the code is what ?kind=
# takes and what the downloads carry.
KINDS = {
    "created": _("New"),
    "withdrawn": _("Withdrawn"),
    "completed": _("Completed"),
    "measurement": _("Measurement published"),
    "update": _("Progress update published"),
    "revised": _("Revised"),
}
# Who made a change, by role: the public record names no one.
MANAGER, EDITOR, OPERATOR = "manager", "editor", "operator"
ROLES = {
    MANAGER: _("programme manager"),
    EDITOR: _("editor"),
    OPERATOR: _("operator"),
}
# How the role's change was made, where it says more than the role.
ROLE_MEANS = {OPERATOR: _("command")}
RECORDS = {
    "project": _("Project"),
    "target": _("Target"),
    "milestone": _("Milestone"),
    "measurement": _("Measurement"),
    "update": _("Progress update"),
}

NEW = {
    "project": _("New project"),
    "target": _("New target"),
    "milestone": _("New milestone"),
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
    kind: str  # one of KINDS
    record: str = ""  # one of RECORDS
    # The same change as data, for the downloads: which field, the values as stored
    # (dates, numbers, codes; None when empty) and the record's id.
    field: str = ""
    old_value: Any = None
    new_value: Any = None
    record_id: int | None = None
    role: str = ""  # one of ROLES, filled in by _with_roles
    # Who saved it, only to find their role; never shown.
    user_id: int | None = None

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])

    @property
    def record_label(self) -> str:
        return str(RECORDS.get(self.record, ""))

    @property
    def role_label(self) -> str:
        """The role, and how it worked where that says more: "operator (command)"."""
        label = str(ROLES.get(self.role, ""))
        means = ROLE_MEANS.get(self.role)
        return f"{label}{punctuation('(')}{means}{punctuation(')')}" if means else label


def _show(value: Any, field: str, record) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.date):
        return date_format(value, "DATE_FORMAT")
    if field == "target_value":
        return format_target_value(value, record)
    if field == "status":
        return str(Milestone.Status(value).label)
    if field == "lifecycle_status":
        return str(Project.Lifecycle(value).label)
    return str(value)


def _stored(value: Any) -> Any:
    return None if value == "" else value


def kind_of(field: str, before: Any, after: Any) -> str:
    """What kind of change a field's new value makes."""
    if field == "withdrawn_on" and after is not None:
        return "withdrawn"
    if field == "completed_on" and before is None and after is not None:
        return "completed"
    if field in ("status", "lifecycle_status") and after == "completed":
        return "completed"
    if field in ("status", "lifecycle_status") and after == "cancelled":
        return "withdrawn"
    return "revised"


def _title(record) -> str:
    return getattr(record, "title", "") or getattr(record, "name", "")


def changes_in(
    records: Iterable,
    fields: dict[str, Any],
    record: str,
    url_of,
    *,
    only: frozenset[str] | None = None,
) -> list[Change]:
    """Compare each historical record with the one before it for the same object; the
    first one, a creation, is a new record. `only` keeps just those kinds of change."""
    changes = []
    for pk, grouped in itertools.groupby(records, key=lambda r: r.id):
        versions = list(grouped)
        url = url_of(versions[-1])
        first = versions[0]
        if first.history_type == "+":
            changes.append(
                Change(
                    when=first.history_date,
                    subject=_title(first),
                    url=url,
                    what=str(NEW[record]),
                    old="",
                    new="",
                    reason=first.history_change_reason or "",
                    kind="created",
                    record=record,
                    record_id=pk,
                    user_id=first.history_user_id,
                )
            )
        for older, newer in itertools.pairwise(versions):
            for field, label in fields.items():
                before, after = getattr(older, field), getattr(newer, field)
                if before == after:
                    continue
                kind = kind_of(field, before, after)
                if only is not None and kind not in only:
                    continue
                changes.append(
                    Change(
                        when=newer.history_date,
                        subject=_title(newer),
                        url=url,
                        what=str(label),
                        old=_show(before, field, older),
                        new=_show(after, field, newer),
                        reason=newer.history_change_reason
                        or (getattr(newer, "withdrawal_reason", "") if kind == "withdrawn" else ""),
                        kind=kind,
                        record=record,
                        field=field,
                        old_value=_stored(before),
                        new_value=_stored(after),
                        record_id=pk,
                        user_id=newer.history_user_id,
                    )
                )
    return changes


def history(model) -> Any:
    """`model.history`, the manager of its historical records, without building the
    manager's class again: django-simple-history builds one on every access, which cost
    a page of changes more than its queries."""
    descriptor = vars(model)["history"]
    return _history_manager(descriptor)(descriptor.model)


@functools.cache
def _history_manager(descriptor) -> Any:
    return descriptor.manager_class.from_queryset(descriptor.queryset_class)


def _ordered(history: QuerySet) -> QuerySet:
    return history.order_by("id", "history_date", "history_id")


@functools.cache
def _history(model, field: str) -> prepared.Prepared:
    """The historical records of `model` whose `field` is a key, in order (_ordered),
    their SQL built once."""
    return prepared.Prepared(lambda given: _ordered(history(model).filter(**{field: given.key()})))


def _route(name: str, slug: str):
    return lambda record: reverse(name, kwargs={"programme": slug, "pk": record.id})


def _measurements(programme, project, limit: int | None = None, targets=None) -> list[Change]:
    """Each published measurement (the newest `limit`), when it was published, with who
    published it; `targets`, the project's targets when the page read them (given to
    the measurements rather than joined)."""
    rows: Iterable[Measurement]
    if targets is not None and project is not None and limit is not None:
        rows = _project_measurements(limit)(project.pk)
        known = {target.pk: target for target in targets}
        for row in rows:
            if row.target_id in known:
                row.target = known[row.target_id]
    else:
        rows = _measured(_published_measurements(programme, project).select_related("target"))
        if limit is not None:
            rows = rows[:limit]
    return [
        Change(
            when=row.created_at,
            subject=row.target.title,
            url=reverse(
                "tracker:target-detail", kwargs={"programme": programme.slug, "pk": row.target_id}
            ),
            what=str(_("Measured as of %(date)s") % {"date": date_format(row.as_of)}),
            old="",
            new=format_target_value(row.value, row.target),
            reason=row.reason or "",
            kind="measurement",
            record="measurement",
            field="value",
            new_value=row.value,
            record_id=row.pk,
            user_id=row.user_id,
        )
        for row in rows
    ]


def _measured(measurements: QuerySet) -> QuerySet:
    """Measurements, newest first, with who published each and why (`user_id`,
    `reason`, from its history)."""
    added = (
        history(Measurement).filter(id=OuterRef("pk"), history_type="+").order_by("history_date")
    )
    return measurements.annotate(
        user_id=Subquery(added.values("history_user_id")[:1]),
        reason=Subquery(added.values("history_change_reason")[:1]),
    ).order_by("-created_at", "-pk")


@functools.cache
def _project_measurements(limit: int) -> prepared.Prepared:
    """The newest `limit` published measurements of a project (_measured), their SQL
    built once."""
    return prepared.Prepared(
        lambda given: _measured(
            Measurement.objects.published().filter(target__project=given.key())
        )[:limit]
    )


def _published_measurements(programme, project) -> QuerySet:
    return Measurement.objects.published().filter(
        **({"target__project": project} if project else {"target__programme": programme})
    )


def _updates(
    programme, project, limit: int | None = None, read: list[ProgressUpdate] | None = None
) -> list[Change]:
    """Each published progress update (the newest `limit`), when it was published, by
    whoever published it; `read`: the page's published updates of the project (or
    programme), newest first, already read."""
    if read is None:
        rows = ProgressUpdate.objects.published().filter(programme=programme)
        if project is not None:
            rows = rows.filter(project=project)
    else:
        rows = [
            row
            for row in read
            if row.programme_id == programme.pk
            and (project is None or row.project_id == project.pk)
        ]
    if limit is not None:
        rows = rows[:limit]
    return [
        Change(
            when=row.published_at,
            subject=row.title,
            url=row.get_absolute_url(),
            what=str(KINDS["update"]),
            old="",
            new="",
            reason="",
            kind="update",
            record="update",
            record_id=row.pk,
            user_id=row.reviewer_id or row.author_id,
        )
        for row in rows
    ]


def _managing(given: prepared.StandIn) -> QuerySet:
    """The superusers and the managers of a programme, their keys only."""
    through: Any = Programme.managers.through
    managing = through.objects.filter(programme_id=given.key())
    return (
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(pk__in=managing.values("user_id")))
        .only("pk")
    )


_managers = prepared.Prepared(_managing)


def _with_roles(changes: list[Change], programme) -> list[Change]:
    """Each change with its author's role, found in one query: a manager of the
    programme (or a superuser), an editor, or the operator running a command (no user)."""
    managers = {user.pk for user in _managers(programme.pk)}
    return [
        replace(
            c,
            role=OPERATOR if c.user_id is None else MANAGER if c.user_id in managers else EDITOR,
        )
        for c in changes
    ]


# Every change of these fields is a revision on the public log; any other field counts
# only for the kinds it makes (a completion, a withdrawal).
PROJECT_FIELDS = {"lifecycle_status": _("Lifecycle status")}
TARGET_FIELDS = {
    "target_value": _("Target value"),
    "due_on": _("Due date"),
    "due_earliest": _("Earlier due date"),
    "title_en": _("Scope (title)"),
    "description_en": _("Scope (description)"),
    "withdrawn_on": _("Withdrawn"),
}
MILESTONE_DATE_FIELDS = {
    "planned_on": _("Planned date"),
    "withdrawn_on": _("Withdrawn"),
    "status": _("Status"),
}
MILESTONE_FIELDS = {
    "planned_on": _("Planned date"),
    "forecast_on": _("Forecast date"),
    "completed_on": _("Completion date"),
    "status": _("Status"),
    "withdrawn_on": _("Withdrawn"),
}
LOGGED = frozenset(KINDS)


def programme_changes(
    programme,
    project=None,
    kind: str = "",
    limit: int | None = None,
    updates: list[ProgressUpdate] | None = None,
    targets: Iterable[Target] | None = None,
) -> list[Change]:
    """Everything that changed in a programme (or one project), newest first; `kind`
    (a key of KINDS) keeps one kind of change; `limit`, the newest so many only (the
    measurements and updates beyond them are not read); `updates`, the published
    updates of the programme (or project), newest first, and `targets`, the project's
    targets, when the page read them."""
    changes = _revisions(programme, project, kind)
    if kind in ("", "measurement"):
        changes += _measurements(programme, project, limit, targets)
    if kind in ("", "update"):
        changes += _updates(programme, project, limit, updates)
    changes.sort(key=_newest_first, reverse=True)
    return _with_roles(changes[:limit], programme)


def _newest_first(change: Change):
    return (change.when, change.record, change.record_id or 0, change.field)


def _revisions(programme, project, kind: str) -> list[Change]:
    """The changes read from the records' history (new, withdrawn, completed, revised),
    of `kind` if given."""
    field, key = ("project_id", project.pk) if project else ("programme_id", programme.pk)
    projects = _history(Project, "id" if project else field)(key)
    slug = programme.slug
    changes = (
        changes_in(
            projects,
            PROJECT_FIELDS,
            "project",
            lambda r: reverse(
                "tracker:project-detail", kwargs={"programme": slug, "project": r.slug}
            ),
            only=frozenset({"completed", "withdrawn"}),
        )
        + changes_in(
            _history(Target, field)(key),
            TARGET_FIELDS,
            "target",
            _route("tracker:target-detail", slug),
        )
        # A milestone's status counts when it completes; its other moves are on its page.
        + [
            c
            for c in changes_in(
                _history(Milestone, field)(key),
                MILESTONE_DATE_FIELDS,
                "milestone",
                _route("tracker:milestone-detail", slug),
            )
            if c.field != "status" or c.kind != "revised"
        ]
    )
    return [c for c in changes if c.kind == kind] if kind else changes


class ChangeLog(Sequence):
    """programme_changes(programme, kind=kind) for a paginator, read a page at a time:
    its length counts the published measurements and updates (a query each) rather
    than reading them, and a slice reads only the newest measurements and updates down
    to its end. A programme with years of weekly figures costs a first page what one
    with a few does; page n reads n pages' worth, as an offset does."""

    def __init__(self, programme, kind: str = ""):
        self.programme, self.kind = programme, kind
        self.revisions = _revisions(programme, None, kind)
        self.measured = (
            _published_measurements(programme, None).count() if kind in ("", "measurement") else 0
        )
        self.updated = (
            ProgressUpdate.objects.published().filter(programme=programme).count()
            if kind in ("", "update")
            else 0
        )

    def __len__(self) -> int:
        return len(self.revisions) + self.measured + self.updated

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop, _ = index.indices(len(self))
        if stop <= start:
            return []
        changes = list(self.revisions)
        if self.measured:
            changes += _measurements(self.programme, None, stop)
        if self.updated:
            changes += _updates(self.programme, None, stop)
        changes.sort(key=_newest_first, reverse=True)
        return _with_roles(changes[start:stop], self.programme)


def milestone_changes(milestone: Milestone) -> list[Change]:
    """The history of one milestone's dates and status, newest first."""
    records = _ordered(history(Milestone).filter(id=milestone.pk))
    changes = changes_in(
        records,
        MILESTONE_FIELDS,
        "milestone",
        _route("tracker:milestone-detail", milestone.programme.slug),
    )
    changes = [c for c in changes if c.kind != "created"]
    return sorted(changes, key=lambda c: c.when, reverse=True)
