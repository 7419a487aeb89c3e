"""Writes that touch several records, shared by the admin and the commands."""

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker import notifications, publishing
from tracker.models import (
    DEMO_MODELS,
    ChangeRequest,
    Milestone,
    MilestoneQuerySet,
    ProgressUpdate,
    TrackedModel,
)
from tracker.progress import Status


def upsert(
    model: type[TrackedModel],
    *,
    lookup: Mapping[str, Any],
    values: Mapping[str, Any],
    many: Mapping[str, Iterable[models.Model]] | None = None,
    reason: str = "",
) -> tuple[TrackedModel, bool]:
    """Create the record, or bring it in line with `values`, saving only on a change.

    Returns the record and whether anything was written, so a loader run twice writes
    nothing, not even a history entry.
    """
    obj = model._default_manager.filter(**lookup).first()
    changed = obj is None
    if obj is None:
        obj = model(**{**lookup, **values})
    else:
        for name, value in values.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed = True
    if model in publishing.REVIEWED_MODELS:
        # The public record: through the one write path, published by the operator
        # running the command, with the command's reason.
        change = publishing.save_change(
            instance=obj, by=None, reason=reason, m2m=many, via="command"
        )
        if change is None:
            return obj, False
        return model._default_manager.get(pk=change.object_id), True
    if changed:
        obj._change_reason = reason
        obj.full_clean()
        obj.save()
    for name, related in (many or {}).items():
        manager = getattr(obj, name)
        wanted = {item.pk for item in related}
        if set(manager.values_list("pk", flat=True)) != wanted:
            manager.set(wanted)
            changed = True
    return obj, changed


@transaction.atomic
def clear_demo_records() -> dict[str, int]:
    """Delete every illustrative record and nothing else; counts by model."""
    deleted = {}
    for model in DEMO_MODELS:
        _, by_model = model._default_manager.filter(is_demo=True).delete()
        deleted[str(model._meta.verbose_name_plural)] = by_model.get(model._meta.label, 0)
        # Their history is illustrative too.
        model.history.model._default_manager.filter(is_demo=True).delete()
    return deleted


class WorkflowError(Exception):
    """A review step that is not allowed: the message says why, for the person."""


def can_review(user, update) -> bool:
    from tracker.scopes import is_manager_of

    return user.has_perm("tracker.publish_progressupdate") and is_manager_of(user, update)


@transaction.atomic
def update_submit(*, update: ProgressUpdate, by) -> ProgressUpdate:
    if update.state not in (ProgressUpdate.State.DRAFT, ProgressUpdate.State.RETURNED):
        raise WorkflowError(_("Only a draft or a returned update can be submitted."))
    update.state = ProgressUpdate.State.SUBMITTED
    update.submitted_at = timezone.now()
    update._change_reason = "Submitted for review."
    update._history_user = by
    update.save()
    transaction.on_commit(
        partial(notifications.notify_update, update=update, event="submitted", actor=by)
    )
    return update


@transaction.atomic
def update_publish(*, update: ProgressUpdate, by) -> ProgressUpdate:
    if not can_review(by, update):
        raise WorkflowError(_("Only a manager of this programme can publish its updates."))
    if update.state != ProgressUpdate.State.SUBMITTED:
        raise WorkflowError(_("Only an update submitted for review can be published."))
    if by == update.author and update.programme.requires_second_approval:
        raise WorkflowError(
            _("This programme asks for a second manager: someone else must publish it.")
        )
    now = timezone.now()
    update.state = ProgressUpdate.State.PUBLISHED
    update.published_at = update.reviewed_at = now
    update.reviewer = by
    update._change_reason = "Published."
    update._history_user = by
    update.save()
    transaction.on_commit(
        partial(notifications.notify_update, update=update, event="published", actor=by)
    )
    return update


@transaction.atomic
def update_return(*, update: ProgressUpdate, by, comment: str) -> ProgressUpdate:
    if not can_review(by, update):
        raise WorkflowError(_("Only a manager of this programme can return its updates."))
    if update.state != ProgressUpdate.State.SUBMITTED:
        raise WorkflowError(_("Only an update submitted for review can be returned."))
    if not comment.strip():
        raise WorkflowError(_("Say what needs changing: a returned update needs a comment."))
    update.state = ProgressUpdate.State.RETURNED
    update.review_comment = comment.strip()
    update.reviewed_at = timezone.now()
    update.reviewer = by
    update._change_reason = "Returned to the author."
    update._history_user = by
    update.save()
    transaction.on_commit(
        partial(notifications.notify_update, update=update, event="returned", actor=by)
    )
    return update


def work_for(user, today) -> dict:
    """What waits for one person: overdue milestones and stale targets in their
    projects, updates returned to them, and updates waiting for their review."""
    from tracker.scopes import programmes_for, projects_for

    projects = list(projects_for(user).with_status().order_by("programme", "name"))
    overdue = list(
        Milestone.objects.filter(MilestoneQuerySet.overdue_q(today), project__in=projects)
        .select_related("programme", "project")
        .order_by("programme", "project__name", "planned_on", "title")
    )
    stale = [
        t
        for p in projects
        for t in p.targets.all()
        if not t.withdrawn_on and t.assess(today)[0].status == Status.STALE
    ]
    returned = list(ProgressUpdate.objects.filter(author=user, state=ProgressUpdate.State.RETURNED))
    to_review = []
    if user.has_perm("tracker.publish_progressupdate"):
        to_review = list(
            ProgressUpdate.objects.filter(
                programme__in=programmes_for(user), state=ProgressUpdate.State.SUBMITTED
            ).select_related("project")
        )
    changes = ChangeRequest.objects.select_related("programme").order_by("created_at", "pk")
    changes_to_review = list(
        changes.filter(state=ChangeRequest.State.PENDING, programme__in=programmes_for(user))
    )
    changes_returned = list(changes.filter(state=ChangeRequest.State.RETURNED, author=user)[:20])
    rows = [
        {
            "project": p,
            "overdue": sum(1 for m in overdue if m.project_id == p.pk),
            "stale": sum(1 for t in stale if t.project_id == p.pk),
        }
        for p in projects
    ]
    return {
        "projects": projects,
        "rows": rows,
        "overdue": overdue,
        "stale": stale,
        "returned": returned,
        "to_review": to_review,
        "changes_to_review": changes_to_review,
        "changes_returned": changes_returned,
        "count": len(overdue)
        + len(stale)
        + len(returned)
        + len(to_review)
        + len(changes_to_review)
        + len(changes_returned),
    }
