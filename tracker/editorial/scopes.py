"""Who may see and change what: an editor their assigned projects, a manager whole
programmes, a superuser everything. Every admin list, form, autocomplete and export
reads these, so a record outside a person's scope is simply not there for them."""

from django.db.models import Model, Q, QuerySet

from tracker.models import (
    EvidenceFile,
    Measurement,
    Milestone,
    Programme,
    ProgressUpdate,
    Project,
    ProjectQuerySet,
    Target,
)


def programmes_for(user) -> QuerySet[Programme]:
    if user.is_superuser:
        return Programme.objects.all()
    return Programme.objects.filter(managers=user)


def projects_for(user) -> ProjectQuerySet:
    if user.is_superuser:
        return Project.objects.all()
    return Project.objects.filter(
        Q(editors=user) | Q(programme__in=programmes_for(user).values("pk"))
    ).distinct()


def scope(queryset: QuerySet, user) -> QuerySet:
    """Limit a queryset of any tracker model to what `user` may work on."""
    if user.is_superuser:
        return queryset
    model = queryset.model
    programmes = programmes_for(user).values("pk")
    projects = projects_for(user).values("pk")
    if model is Programme:
        return queryset.filter(pk__in=programmes)
    if model is Project:
        return queryset.filter(pk__in=projects)
    if model is Measurement:
        return queryset.filter(
            Q(target__project__in=projects) | Q(target__programme__in=programmes)
        )
    if model is EvidenceFile:
        # A source's files are public with the source (shared evidence, see
        # SourceAdmin); before that, only whoever uploaded one sees it.
        return queryset.filter(
            Q(source__isnull=False, uploaded_by=user)
            | Q(update__in=scope(ProgressUpdate.objects.all(), user).values("pk"))
            | Q(milestone__in=scope(Milestone.objects.all(), user).values("pk"))
        )
    if model in (Target, Milestone, ProgressUpdate):
        # An editor works on their projects; a programme-level record is the manager's.
        return queryset.filter(Q(project__in=projects) | Q(programme__in=programmes))
    return queryset


def is_manager_of(user, record: Model) -> bool:
    """Whether `user` manages the programme `record` belongs to."""
    if user.is_superuser:
        return True
    programme_id = getattr(record, "programme_id", None) or record.pk
    return Programme.objects.filter(pk=programme_id, managers=user).exists()
