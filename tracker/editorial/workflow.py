"""The review of progress updates: an editor submits, a manager publishes or returns."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker import followers
from tracker.editorial import notifications
from tracker.editorial.scopes import is_manager_of
from tracker.models import ProgressUpdate


class WorkflowError(Exception):
    """A review step that is not allowed: the message says why, for the person."""


def can_review(user, update) -> bool:
    return user.has_perm("tracker.publish_progressupdate") and is_manager_of(user, update)


def _step(update: ProgressUpdate, *, state: str, by, reason: str, event: str) -> ProgressUpdate:
    """Move the update to `state`, recorded in its history with who and why, and tell
    whoever acts next: the message is queued with the step, and sent once it commits."""
    update.state = state
    update._change_reason = reason
    update._history_user = by
    update.save()
    notifications.notify_update(update=update, event=event, actor=by)
    return update


@transaction.atomic
def update_submit(*, update: ProgressUpdate, by) -> ProgressUpdate:
    if update.state not in (ProgressUpdate.State.DRAFT, ProgressUpdate.State.RETURNED):
        raise WorkflowError(_("Only a draft or a returned update can be submitted."))
    update.submitted_at = timezone.now()
    return _step(
        update,
        state=ProgressUpdate.State.SUBMITTED,
        by=by,
        reason="Submitted for review.",
        event="submitted",
    )


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
    update.published_at = update.reviewed_at = timezone.now()
    update.reviewer = by
    _step(
        update, state=ProgressUpdate.State.PUBLISHED, by=by, reason="Published.", event="published"
    )
    # Readers following its project or programme hear of it once the transaction commits.
    followers.published(update=update)
    return update


@transaction.atomic
def update_return(*, update: ProgressUpdate, by, comment: str) -> ProgressUpdate:
    if not can_review(by, update):
        raise WorkflowError(_("Only a manager of this programme can return its updates."))
    if update.state != ProgressUpdate.State.SUBMITTED:
        raise WorkflowError(_("Only an update submitted for review can be returned."))
    if not comment.strip():
        raise WorkflowError(_("Say what needs changing: a returned update needs a comment."))
    update.review_comment = comment.strip()
    update.reviewed_at = timezone.now()
    update.reviewer = by
    return _step(
        update,
        state=ProgressUpdate.State.RETURNED,
        by=by,
        reason="Returned to the author.",
        event="returned",
    )
