"""Statuses stored, not recomputed per request.

A target's assessment, a project's computed rating and milestone progress, and a
programme's roll-ups (its headline targets counted by status, its projects by rating,
its projects identified and its milestones overdue) are kept on their rows, written
here by calling the rules (`tracker.status`, which calls `tracker.progress`); nothing
here decides a status itself. Pages, the API, downloads and the admin read the stored
values (`tracker.status.stored`).

They are recomputed, a programme at a time:
- when a record they depend on is saved or deleted (`watch`, connected by
  tracker.apps): the programme is marked stale in the same transaction and recomputed
  once the transaction commits, once per transaction however many rows it changed;
- when the date changes: by the daily job (`manage.py refresh_statuses`, see README),
  and lazily by the first request of a new day that reads a programme whose statuses
  are not of today (`fresh`).

Recomputing locks the programme's row (select_for_update), so concurrent requests on
the first morning of a day recompute it once and never write an older result last.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any, NamedTuple, cast

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Count, Model
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from tracker import status
from tracker.models import Measurement, Milestone, Programme, Project, Target, programme_id_of

logger = logging.getLogger(__name__)


# Recomputing


def refresh(
    programme_ids: Iterable[int], today: dt.date | None = None, *, force: bool = True
) -> int:
    """Recompute the stored statuses of these programmes, their projects and targets as
    of `today`, each row written only where its values changed. With `force` off, only
    those not already computed for `today`. Returns how many programmes were computed.

    A fixed number of queries however many programmes, projects and targets."""
    today = today or timezone.localdate()
    wanted = sorted(set(programme_ids))
    if not wanted:
        return 0
    with transaction.atomic():
        # The same order in every transaction: no deadlock between two refreshes.
        locked = (
            Programme.objects.select_for_update()
            .filter(pk__in=wanted)
            .order_by("pk")
            .values_list("pk", "statuses_on")
        )
        ids = [pk for pk, on in locked if force or on != today]
        if not ids:
            return 0
        programmes, overdue = inputs(ids, today)
        targets: list[Target] = []
        projects: list[Project] = []
        for programme in programmes:
            computed = compute(programme, today, overdue.get(programme.pk, 0))
            targets += computed[0]
            projects += computed[1]
        write(Target, targets, TARGET_FIELDS)
        write(Project, projects, PROJECT_FIELDS)
        write(Programme, programmes, PROGRAMME_FIELDS)
    return len(ids)


class Reading(NamedTuple):
    """A published measurement, as much of it as a status needs (`status.own_points`)."""

    as_of: dt.date
    value: Decimal


def inputs(ids: list[int], today: dt.date) -> tuple[list[Programme], dict[int, int]]:
    """The programmes with everything their statuses need, as `with_status(today)` gives
    it (headline targets, projects with their milestones counted and their targets,
    every target's published measurements), and the milestones overdue by programme,
    read in five queries whatever their size, measurements as plain values rather than
    model instances (the bulk of the data)."""
    programmes = list(Programme.objects.filter(pk__in=ids).order_by("pk"))
    by_pk = {programme.pk: programme for programme in programmes}
    readings: dict[int, list[Reading]] = defaultdict(list)
    for target_id, as_of, value in (
        Measurement.objects.published()
        .filter(target__programme__in=ids)
        .order_by("as_of", "pk")
        .values_list("target_id", "as_of", "value")
    ):
        readings[target_id].append(Reading(as_of, value))
    by_project: dict[int, list[Target]] = defaultdict(list)
    for programme in programmes:
        programme.headline_targets, programme.status_projects = [], []
    for target in Target.objects.filter(programme__in=ids).order_by("due_on", "pk"):
        target.programme = by_pk[target.programme_id]
        target.published_measurements = readings[target.pk]  # type: ignore[attr-defined]
        if target.project_id is None:
            target.programme.headline_targets.append(target)
        else:
            by_project[target.project_id].append(target)
    projects = Project.objects.filter(programme__in=ids).with_milestone_counts(today)
    for project in projects.order_by("name", "pk"):
        project.programme = by_pk[project.programme_id]
        project.status_targets = by_project[project.pk]
        project.programme.status_projects.append(project)
    overdue = dict(
        Milestone.objects.published()
        .overdue(today)
        .filter(programme__in=ids)
        .order_by()
        .values("programme")
        .annotate(n=Count("pk"))
        .values_list("programme", "n")
    )
    return programmes, overdue


TARGET_FIELDS = ["assessed_on", "status", "assessment"]
PROJECT_FIELDS = [
    "rated_on",
    "computed_rating",
    "milestones_open",
    "milestones_overdue",
    "milestones_percent",
    "milestones_recorded",
]
PROGRAMME_FIELDS = [
    "statuses_on",
    "projects_identified",
    "projects_total",
    "milestones_overdue",
    "target_counts",
    "rating_counts",
]


def compute(
    programme: Programme, today: dt.date, overdue_milestones: int
) -> tuple[list[Target], list[Project]]:
    """Set the stored fields of a programme fetched `with_status(today)`, of its
    projects and of all their targets, from the rules; return the targets and projects
    (each also marked `stored_changed` when a value differs from what was stored)."""
    targets, projects = [], []
    for project in programme.status_projects:
        project.programme = programme
        for target in status.targets_of(project):
            target.programme = programme
            targets.append(target)
            store_assessment(target, status.assess(target, today))
        done = status.milestone_progress(project)
        stored_set(
            project,
            rated_on=today,
            computed_rating=status.project_rating(project, today),
            milestones_open=project.open_milestones,
            milestones_overdue=project.overdue_milestones,
            milestones_percent=done.percent,
            milestones_recorded=done.recorded,
        )
        projects.append(project)
    for target in programme.headline_targets:
        target.programme = programme
        targets.append(target)
        store_assessment(target, status.assess(target, today))
    headline = [status.stored(t) for t in programme.headline_targets if not t.withdrawn_on]
    stored_set(
        programme,
        statuses_on=today,
        projects_identified=status.identified(programme.status_projects),
        projects_total=len(programme.status_projects),
        milestones_overdue=overdue_milestones,
        target_counts=status.status_counts(headline),
        rating_counts=status.rating_counts(p.computed_rating for p in programme.status_projects),
    )
    return targets, projects


def store_assessment(target: Target, item: status.TargetAssessment) -> None:
    stored_set(
        target,
        assessed_on=item.today,
        status=item.final.status.value,
        assessment=status.encode(item),
    )


def stored_set(row: Model, **values) -> None:
    """Set the values, and mark the row to be written if any of them changed."""
    changed = any(getattr(row, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(row, name, value)
    row.stored_changed = changed  # type: ignore[attr-defined]


def write(model: type[Model], rows: list, fields: list[str]) -> None:
    changed = [row for row in rows if getattr(row, "stored_changed", True)]
    if changed:
        # No signal, no history, no `updated_at`: nothing the public record says changed.
        model._default_manager.bulk_update(changed, fields, batch_size=500)


def refresh_all(today: dt.date | None = None, *, stale_only: bool = False) -> int:
    """The daily job: every programme, a batch of them per transaction."""
    today = today or timezone.localdate()
    ids = list(Programme.objects.order_by("pk").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), BATCH):
        done += refresh(ids[start : start + BATCH], today, force=not stale_only)
    return done


BATCH = 50


def fresh[T](fetch: Callable[[], T], programmes: Callable[[T], Iterable[Programme]]) -> T:
    """What `fetch` reads, with the stored statuses of its programmes as of today: if
    any was computed on another day (or never), recompute it and read again. The
    first request of a day pays for it; the others find them fresh at no extra query."""
    found = fetch()
    if make_fresh(programmes(found)):
        found = fetch()
    return found


def make_fresh(programmes: Iterable[Programme]) -> bool:
    """Recompute the programmes whose statuses are of another day (or never computed);
    whether any was (their rows as read are then out of date: read them again)."""
    today = timezone.localdate()
    stale = {programme.pk for programme in programmes if programme.statuses_on != today}
    if stale:
        # Another request may have recomputed them meanwhile: that is fine.
        refresh(stale, today, force=False)
    return bool(stale)


def refresh_stale(today: dt.date | None = None) -> int:
    """Every programme whose statuses are not of today (one query when none is)."""
    today = today or timezone.localdate()
    stale = list(Programme.objects.exclude(statuses_on=today).values_list("pk", flat=True))
    return refresh(stale, today, force=False) if stale else 0


def up_to_date[M: (Project, Target)](rows: list[M], programme: Callable[[M], Programme]) -> list[M]:
    """Projects or targets as read, their stored values as of today: if the statuses of
    any one's programme are of another day, recompute them and read the rows' stored
    values again (the first request of a day pays for it)."""
    today = timezone.localdate()
    stale = {programme(row).pk for row in rows if programme(row).statuses_on != today}
    if not stale:
        return rows
    refresh(stale, today, force=False)
    fields = STORED_FIELDS[type(rows[0])]
    again = {
        values["pk"]: values
        for values in type(rows[0])
        ._default_manager.filter(pk__in=[row.pk for row in rows])
        .values("pk", *fields)
    }
    for row in rows:
        for name in fields:
            setattr(row, name, again[row.pk][name])
        programme(row).statuses_on = today
    return rows


# When their inputs change


def refresh_at_once() -> bool:
    """Tests run inside a transaction that never commits: there, a change recomputes
    at once (STORED_STATUSES_AT_ONCE), in production once its transaction commits."""
    return bool(getattr(settings, "STORED_STATUSES_AT_ONCE", False))


class Pending:
    """The programmes changed in one transaction, recomputed once when it commits."""

    def __init__(self, alias: str):
        self.alias = alias
        self.ids: set[int] = set()

    def __call__(self) -> None:
        try:
            refresh(self.ids)
        except Exception:  # the change is committed; a later request recomputes
            logger.exception("Recomputing the stored statuses of %s failed", self.ids)


class Batches(threading.local):
    """The batches open in this thread (a worker's other threads have their own)."""

    def __init__(self) -> None:
        self.open: list[set[int]] = []


_batches = Batches()


@contextlib.contextmanager
def batch() -> Iterator[None]:
    """Many changes (a loader, an import, clearing the demo): the programmes they touch
    are recomputed once, at the end, not after each row."""
    _batches.open.append(set())
    try:
        yield
    except BaseException:
        _batches.open.pop()
        raise
    changed(_batches.open.pop())


def batched[**P, R](function: Callable[P, R]) -> Callable[P, R]:
    """`batch()` around each call of `function`."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with batch():
            return function(*args, **kwargs)

    return wrapper


def changed(programme_ids: Iterable[int], using: str = DEFAULT_DB_ALIAS) -> None:
    """These programmes' inputs changed: recompute them (at once in tests, else when
    the transaction commits), after marking them stale in case that fails."""
    ids = {pk for pk in programme_ids if pk is not None}
    if not ids:
        return
    if _batches.open:
        _batches.open[-1].update(ids)
        return
    if refresh_at_once():
        refresh(ids)
        return
    connection = connections[using]
    if not connection.in_atomic_block:
        refresh(ids)
        return
    pending = next(
        # Django keeps (savepoints, func, robust); the stubs say two items.
        (
            entry[1]
            for entry in cast(list[tuple[Any, ...]], connection.run_on_commit)
            if isinstance(entry[1], Pending)
        ),
        None,
    )
    if pending is None:
        pending = Pending(using)
        transaction.on_commit(pending, using=using)
    new = ids - pending.ids
    if new:
        pending.ids |= new
        Programme.objects.using(using).filter(pk__in=new).update(statuses_on=None)


def on_change(sender, instance: Model, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Signal receiver: a programme, project, target, milestone or measurement was
    saved or deleted. A save of the stored fields alone (update_fields) changes nothing."""
    fields = kwargs.get("update_fields")
    if fields and set(fields) <= set(STORED_FIELDS.get(type(instance), ())):
        return
    if kwargs.get("raw"):
        return
    # A record moved to another programme changes the one it left too: where it was is
    # read before the save, once, by the page cache (pagecache.remember_stored).
    before = getattr(instance, "_pagecache_stored_programme", None)
    programmes = {p for p in (programme_id_of(instance), before) if isinstance(p, int)}
    if programmes:
        changed(sorted(programmes), using)


STORED_FIELDS: dict[type[Model], list[str]] = {
    Programme: PROGRAMME_FIELDS,
    Project: PROJECT_FIELDS,
    Target: TARGET_FIELDS,
}
WATCHED = (Programme, Project, Target, Milestone, Measurement)


def watch() -> None:
    """Recompute when an input changes (connected before the page cache's receivers, so
    that on commit the statuses are written before cached pages are replaced)."""
    for model in WATCHED:
        post_save.connect(on_change, sender=model, dispatch_uid=f"stored-{model.__name__}")
        post_delete.connect(on_change, sender=model, dispatch_uid=f"stored-del-{model.__name__}")
