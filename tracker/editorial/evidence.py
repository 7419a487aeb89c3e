"""Triage of readers' evidence (tracker.public.evidence): a manager of the programme
accepts it, rejects it with a reason, or marks it a duplicate; the reader, if they left
an address, is told the outcome in their language: the message is queued with the
decision and sent once it commits (tracker.ops.mail).

Accepting makes a Source (flagged as sent by a reader, so the public page credits it)
and proposes it to the public record through the one write path, `save_change`: a
figure with its date, on a target, as a new measurement; anything else as a source the
record cites. So the review rules hold as for any change: a manager's change is
published at once, unless the programme requires a second manager, when it waits as a
pending change for another manager to publish."""

import copy
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tracker.editorial.publishing import save_change
from tracker.editorial.scopes import is_manager_of
from tracker.models import ChangeRequest, EvidenceSubmission, Measurement, Milestone, Source
from tracker.ops.mail import deliver

log = logging.getLogger(__name__)

VIA = "evidence"


def _check(submission: EvidenceSubmission, by) -> None:
    if not is_manager_of(by, submission.programme):
        raise PermissionDenied(_("Only a manager of the programme may decide on its evidence."))
    if submission.state != EvidenceSubmission.State.PENDING:
        raise ValidationError(_("This evidence has already been decided."), code="decided")


def _decided(submission: EvidenceSubmission, state: str, by, reason: str) -> None:
    submission.state = state
    submission.reason = reason.strip()
    submission.decided_by = by
    submission.decided_at = timezone.now()
    submission.save()
    if submission.contact_email:
        tell_reader(submission)


@transaction.atomic
def accept(
    *,
    submission: EvidenceSubmission,
    by,
    title: str,
    publisher: str,
    kind: str = Source.Kind.THIRD_PARTY,
    reason: str = "",
) -> ChangeRequest | None:
    """Accept as a source (and a figure as a measurement); returns the change made,
    published or pending, or None if the record already said as much."""
    _check(submission, by)
    source = Source.objects.create(
        title=title,
        publisher=publisher,
        kind=kind,
        url=submission.url,
        reference=submission.document_reference[:100],
        quote=submission.quote,
        language=submission.language,
        sent_by_reader=True,
        provenance=f"Evidence from a reader, submission {submission.pk}",
    )
    why = reason.strip() or _("Evidence sent by a reader, checked by a manager.")
    record = submission.record
    instance: object
    m2m = None
    if submission.target and submission.value is not None and submission.as_of:
        instance = Measurement(
            target=submission.target,
            value=submission.value,
            as_of=submission.as_of,
            source=source,
            provenance=source.provenance,
        )
    elif isinstance(record, Milestone):
        instance = copy.copy(record)
        if record.evidence_id is None:
            instance.evidence = source
    else:
        instance = record
        m2m = {"sources": [*record.sources.all(), source]}  # type: ignore[union-attr]
    change = save_change(instance=instance, by=by, reason=why, m2m=m2m, via=VIA)  # type: ignore[arg-type]
    submission.source = source
    submission.change = change
    _decided(submission, EvidenceSubmission.State.ACCEPTED, by, reason)
    return change


@transaction.atomic
def reject(*, submission: EvidenceSubmission, by, reason: str) -> None:
    _check(submission, by)
    if not reason.strip():
        raise ValidationError(_("Give the reader a reason."), code="reason")
    _decided(submission, EvidenceSubmission.State.REJECTED, by, reason)


@transaction.atomic
def mark_duplicate(
    *, submission: EvidenceSubmission, by, duplicate_of: EvidenceSubmission, reason: str = ""
) -> None:
    _check(submission, by)
    if duplicate_of.pk == submission.pk or duplicate_of.programme_id != submission.programme_id:
        raise ValidationError(_("Choose other evidence of the same programme."), code="same")
    submission.duplicate_of = duplicate_of
    _decided(submission, EvidenceSubmission.State.DUPLICATE, by, reason)


def tell_reader(submission: EvidenceSubmission) -> None:
    """E-mail the reader the outcome, in the language they wrote in (one message per
    submission, however often this runs)."""
    with translation.override(submission.language):
        context = {"submission": submission, "record": submission.record}
        message = EmailMessage(
            subject=pgettext("e-mail subject", "Your evidence: %(outcome)s")
            % {"outcome": submission.get_state_display()},
            body=render_to_string("tracker/email/evidence_outcome.txt", context),
            to=[submission.contact_email],
        )
    deliver(message, key=f"evidence:{submission.pk}:outcome")
