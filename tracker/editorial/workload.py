"""What waits for one member of staff: shown on the admin's home page and sent as the
daily reminder (send_reminders)."""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import User

from tracker import progress, stored
from tracker.editorial.scopes import programmes_for, projects_for
from tracker.models import ChangeRequest, Milestone, ProgressUpdate, Project, Target


@dataclass
class ProjectWork:
    project: Project
    overdue: int
    stale: int


@dataclass
class Workload:
    """Overdue milestones and stale targets in a person's projects, updates and changes
    returned to them, and updates and changes waiting for their review."""

    projects: list[Project]
    overdue: list[Milestone]
    stale: list[Target]
    returned: list[ProgressUpdate]
    to_review: list[ProgressUpdate]
    changes_to_review: list[ChangeRequest]
    changes_returned: list[ChangeRequest]
    rows: list[ProjectWork] = field(init=False)

    def __post_init__(self) -> None:
        self.rows = [
            ProjectWork(
                project=p,
                overdue=sum(1 for m in self.overdue if m.project_id == p.pk),
                stale=sum(1 for t in self.stale if t.project_id == p.pk),
            )
            for p in self.projects
        ]

    @property
    def count(self) -> int:
        """How many things wait, all kinds together."""
        return sum(
            len(items)
            for items in (
                self.overdue,
                self.stale,
                self.returned,
                self.to_review,
                self.changes_to_review,
                self.changes_returned,
            )
        )


def workload(user: User, today: dt.date) -> Workload:
    projects = list(
        projects_for(user)
        .select_related("programme", "sector")
        .prefetch_related("targets")
        .order_by("programme", "name")
    )
    stored.make_fresh({p.programme for p in projects})
    changes = ChangeRequest.objects.select_related("programme").order_by("created_at", "pk")
    to_review: list[ProgressUpdate] = []
    if user.has_perm("tracker.publish_progressupdate"):
        to_review = list(
            ProgressUpdate.objects.filter(
                programme__in=programmes_for(user), state=ProgressUpdate.State.SUBMITTED
            ).select_related("project")
        )
    return Workload(
        projects=projects,
        overdue=list(
            Milestone.objects.overdue(today)
            .filter(project__in=projects)
            .select_related("programme", "project")
            .order_by("programme", "project__name", "planned_on", "title")
        ),
        # As stored (tracker.stored); made current above.
        stale=[
            t
            for p in projects
            for t in p.targets.all()
            if not t.withdrawn_on and t.status == progress.Status.STALE
        ],
        returned=list(
            ProgressUpdate.objects.filter(author=user, state=ProgressUpdate.State.RETURNED)
        ),
        to_review=to_review,
        changes_to_review=list(
            changes.filter(state=ChangeRequest.State.PENDING, programme__in=programmes_for(user))
        ),
        changes_returned=list(changes.filter(state=ChangeRequest.State.RETURNED, author=user)[:20]),
    )
