"""The read-only JSON API, /api/v1/ (django-ninja), with its OpenAPI document.

It serves what the public pages show, nothing more: published updates only, public
measurements only. Unknown ids answer 404 with a JSON error; malformed parameters
answer 422 with the reason.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Literal

from django.db.models import QuerySet
from django.db.models.query import ModelIterable
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, NinjaAPI, Query, Schema
from ninja.pagination import PageNumberPagination, paginate
from pydantic import BaseModel

from tracker import progress, revisions, status, stored
from tracker.models import (
    EvidenceFile,
    Measurement,
    Milestone,
    MilestoneQuerySet,
    Programme,
    ProgressUpdate,
    Project,
    Source,
    Target,
)
from tracker.opendata.package import files_of
from tracker.public.filters import WINDOWS, in_window

api = NinjaAPI(
    title="Policy target tracker API",
    version="1",
    description=(
        "Read-only open data: programmes, projects, targets with their computed status, "
        "measurements, milestones, published updates, sources, evidence files and the "
        "record of changes. "
        "Statuses follow the rules on the methodology page."
    ),
    urls_namespace="api",
)


class Pages(PageNumberPagination):
    """Fifty to a page by default; ?page=N from 1, ?page_size up to 200."""

    class Input(Schema):
        # Bounded, so that no page number overflows the database's offset.
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=200)


def paginated(view):
    return paginate(Pages, page_size=50)(view)


class NotFoundOut(Schema):
    detail: str = Field(examples=["Not Found: No Programme matches the given query."])


class Problem(Schema):
    type: str
    loc: list[str | int]
    msg: str


class InvalidOut(Schema):
    """Why the request was refused: one entry per malformed parameter."""

    detail: list[Problem]


# Every operation may refuse malformed parameters; those that name a record may not find it.
INVALID = {422: InvalidOut}
ERRORS = {404: NotFoundOut, 422: InvalidOut}


class Plain(BaseModel):
    """A record given as plain values (keywords or a dict), never read from a model: a
    pydantic model without ninja's per-field attribute lookups (a ninja Schema reads each
    field through a getter, a tenth of a millisecond per record; a page of targets holds
    thousands of measurements and their notes)."""


class Text(Plain):
    en: str
    zh_hans: str


def text(obj, field: str) -> Text:
    return Text(
        en=getattr(obj, f"{field}_en") or "", zh_hans=getattr(obj, f"{field}_zh_hans") or ""
    )


class Linked(Schema):
    """Resolvers shared by the records that belong to a programme and have a page."""

    @staticmethod
    def resolve_programme(obj) -> str:
        return obj.programme.slug

    @staticmethod
    def resolve_project(obj) -> str | None:
        return obj.project.slug if obj.project_id else None

    @staticmethod
    def resolve_title(obj) -> Text:
        return text(obj, "title")

    @staticmethod
    def resolve_url(obj) -> str:
        return obj.get_absolute_url()


class ProgrammeOut(Schema):
    slug: str
    name: Text
    pledge: Text
    announced_on: dt.date | None
    horizon_end_earliest: dt.date | None
    horizon_end_latest: dt.date | None
    planned_project_count: int | None
    projects_identified: int
    is_demo: bool
    url: str

    @staticmethod
    def resolve_name(obj) -> Text:
        return text(obj, "name")

    @staticmethod
    def resolve_pledge(obj) -> Text:
        return text(obj, "pledge")

    @staticmethod
    def resolve_projects_identified(obj) -> int:
        return obj.project_count

    @staticmethod
    def resolve_url(obj) -> str:
        return obj.get_absolute_url()


STATUSES = tuple(status.value for status in progress.Status)


class AssessmentOut(Schema):
    status: Literal[STATUSES] = Field(  # type: ignore[valid-type]
        description=(
            "Computed by the rules on the methodology page. missed: the due date has passed "
            "and the latest measurement does not meet the target. not_reported: the due "
            "date has passed and no measurement was ever published, so no failure is "
            "claimed. no_data: not due yet, and nothing published."
        )
    )
    due: dt.date
    actual: Decimal | None = Field(
        description="The latest published value on or before today; null when none was "
        "published (never an invented 0)."
    )
    as_of: dt.date | None
    expected: Decimal | None
    ratio: Decimal | None
    forecast_on: dt.date | None

    @staticmethod
    def resolve_status(obj) -> str:
        return str(obj.status)


class MeasurementOut(Plain):
    """Given as plain values (TargetOut.resolve_measurements)."""

    as_of: dt.date
    value: Decimal
    source_id: int | None
    note: Text


def assessed(target: Target) -> status.TargetAssessment:
    """The stored assessment, read once per target for both of its assessment fields."""
    if not hasattr(target, "_assessed"):
        target._assessed = status.stored(target)  # type: ignore[attr-defined]
    return target._assessed  # type: ignore[attr-defined]


class TargetOut(Linked):
    id: int
    programme: str
    project: str | None
    title: Text
    kind: str
    currency: str
    comparator: str
    baseline_value: Decimal | None
    baseline_on: dt.date | None
    target_value: Decimal
    due_earliest: dt.date | None
    due_on: dt.date
    rollup: str
    withdrawn_on: dt.date | None
    assessment: AssessmentOut
    assessment_earliest: AssessmentOut | None
    measurements: list[MeasurementOut]
    url: str

    @staticmethod
    def resolve_assessment(obj):
        return assessed(obj).final

    @staticmethod
    def resolve_assessment_earliest(obj):
        return assessed(obj).earliest

    @staticmethod
    def resolve_measurements(obj) -> list[dict]:
        return obj.measurement_values


class ProjectOut(Schema):
    slug: str
    programme: str
    name: Text
    sector: str | None
    lifecycle_status: str
    declared_rating: str
    computed_rating: str
    start_on: dt.date | None
    due_on: dt.date | None
    identified_on: dt.date | None
    url: str

    @staticmethod
    def resolve_programme(obj) -> str:
        return obj.programme.slug

    @staticmethod
    def resolve_name(obj) -> Text:
        return text(obj, "name")

    @staticmethod
    def resolve_sector(obj) -> str | None:
        return obj.sector.slug if obj.sector_id else None

    @staticmethod
    def resolve_url(obj) -> str:
        return obj.get_absolute_url()


class MilestoneOut(Linked):
    id: int
    programme: str
    project: str | None
    title: Text
    status: str
    planned_on: dt.date
    first_planned_on: dt.date
    forecast_on: dt.date | None
    completed_on: dt.date | None
    overdue: bool
    slippage_days: int
    evidence_id: int | None
    withdrawn_on: dt.date | None
    url: str

    @staticmethod
    def resolve_first_planned_on(obj) -> dt.date:
        return obj.original_planned_on

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj.overdue_on(timezone.localdate())

    @staticmethod
    def resolve_slippage_days(obj) -> int:
        return obj.slippage_days(timezone.localdate())


class UpdateOut(Linked):
    id: int
    programme: str
    project: str | None
    title: Text
    body: Text
    published_at: dt.datetime
    url: str

    @staticmethod
    def resolve_body(obj) -> Text:
        return text(obj, "body")


class SourceOut(Schema):
    id: int
    title: Text
    publisher: Text
    reference: str
    url: str
    published_on: dt.date | None
    kind: str
    language: str

    @staticmethod
    def resolve_title(obj) -> Text:
        return text(obj, "title")

    @staticmethod
    def resolve_publisher(obj) -> Text:
        return text(obj, "publisher")


class ChangeOut(Schema):
    when: dt.datetime
    kind: str = Field(description="created, withdrawn, completed, measurement, update or revised")
    record: str = Field(description="The kind of record: project, target, milestone, ...")
    role: str = Field(description="Who made it, by role only: manager, editor or operator")
    subject: str
    what: str
    old: str
    new: str
    reason: str
    url: str


def programme_or_404(slug: str) -> Programme:
    """The programme, its stored statuses as of today (tracker.stored)."""
    return stored.fresh(
        lambda: get_object_or_404(Programme.objects.published(), slug=slug),
        lambda programme: [programme],
    )


@api.get("/programmes", response={200: list[ProgrammeOut], **INVALID}, tags=["programmes"])
@paginated
def list_programmes(request):
    """Every programme; demonstration ones are flagged with `is_demo`."""
    return Programme.objects.published().with_project_count().order_by("slug")


@api.get("/programmes/{slug}", response={200: ProgrammeOut, **ERRORS}, tags=["programmes"])
def get_programme(request, slug: str):
    return get_object_or_404(Programme.objects.published().with_project_count(), slug=slug)


# A sector's or a project's slug, as the filters take it: the schema says so, so that
# a value no slug can be (a NUL character, which every address with one is refused for)
# is invalid input, not valid input refused.
SLUG = r"^[-a-zA-Z0-9_]*$"  # empty: no filter


def slug_filter(description: str):
    return Field(None, pattern=SLUG, description=description)


class ProjectFilters(Schema):
    sector: str | None = slug_filter("A sector's slug")
    lifecycle_status: Literal[tuple(Project.Lifecycle.values)] | None = None  # type: ignore[valid-type]


@api.get(
    "/programmes/{slug}/projects", response={200: list[ProjectOut], **ERRORS}, tags=["projects"]
)
@paginated
def list_projects(request, slug: str, filters: Query[ProjectFilters]):
    projects = (
        Project.objects.published()
        .filter(programme=programme_or_404(slug))
        .select_related("programme", "sector")
        .order_by("slug")
    )
    if filters.sector:
        projects = projects.filter(sector__slug=filters.sector)
    if filters.lifecycle_status:
        projects = projects.filter(lifecycle_status=filters.lifecycle_status)
    return projects


@api.get(
    "/programmes/{slug}/projects/{project}", response={200: ProjectOut, **ERRORS}, tags=["projects"]
)
def get_project(request, slug: str, project: str):
    found = get_object_or_404(
        Project.objects.published().select_related("programme", "sector"),
        programme__slug=slug,
        slug=project,
    )
    return stored.up_to_date([found], lambda found: found.programme)[0]


class WithMeasurementValues(ModelIterable):
    """Targets, each with `measurement_values`: its published measurements as the plain
    values the API gives, read in one query for all the targets read. A page of targets
    holds thousands of measurements: a model instance for each (a prefetch) costs more
    than all the rest of the page."""

    def __iter__(self):
        targets = list(super().__iter__())
        values: dict[int, list[dict]] = defaultdict(list)
        rows = (
            Measurement.objects.published()
            .using(self.queryset.db)
            .filter(target_id__in=[target.pk for target in targets])
            .order_by("as_of", "pk")
            .values_list("target_id", "as_of", "value", "source_id", "note_en", "note_zh_hans")
        )
        for target_id, as_of, value, source_id, note_en, note_zh_hans in rows if targets else ():
            values[target_id].append(
                {
                    "as_of": as_of,
                    "value": value,
                    "source_id": source_id,
                    "note": {"en": note_en or "", "zh_hans": note_zh_hans or ""},
                }
            )
        for target in targets:
            target.measurement_values = values[target.pk]
        yield from targets


def targets_of(programme: Programme) -> QuerySet:
    """With their stored assessments (fresh: see programme_or_404) and measurements."""
    targets = (
        Target.objects.published()
        .filter(programme=programme)
        .select_related("programme", "project")
        .order_by("pk")
    )
    targets._iterable_class = WithMeasurementValues
    return targets


@api.get("/programmes/{slug}/targets", response={200: list[TargetOut], **ERRORS}, tags=["targets"])
@paginated
def list_targets(request, slug: str):
    """Targets with their assessment (against both ends of a due range) and their
    published measurements."""
    return targets_of(programme_or_404(slug))


@api.get(
    "/programmes/{slug}/targets/{target_id}", response={200: TargetOut, **ERRORS}, tags=["targets"]
)
def get_target(request, slug: str, target_id: int):
    return get_object_or_404(targets_of(programme_or_404(slug)), pk=target_id)


class MilestoneFilters(Schema):
    status: Literal[tuple(Milestone.Status.values)] | None = None  # type: ignore[valid-type]
    sector: str | None = slug_filter("A sector's slug")
    project: str | None = slug_filter("A project's slug")
    window: Literal[tuple(WINDOWS)] | None = None  # type: ignore[valid-type]


def milestones_of(programme: Programme) -> MilestoneQuerySet:
    return (
        Milestone.objects.published()
        .filter(programme=programme)
        .with_slippage()
        .select_related("programme", "project")
        .order_by("planned_on", "pk")
    )


@api.get(
    "/programmes/{slug}/milestones",
    response={200: list[MilestoneOut], **ERRORS},
    tags=["milestones"],
)
@paginated
def list_milestones(request, slug: str, filters: Query[MilestoneFilters]):
    """Milestones, filtered like the public table."""
    milestones = milestones_of(programme_or_404(slug))
    if filters.status:
        milestones = milestones.filter(status=filters.status)
    if filters.sector:
        milestones = milestones.filter(project__sector__slug=filters.sector)
    if filters.project:
        milestones = milestones.filter(project__slug=filters.project)
    if filters.window:
        milestones = in_window(milestones, filters.window, timezone.localdate())
    return milestones


@api.get(
    "/programmes/{slug}/milestones/{milestone_id}",
    response={200: MilestoneOut, **ERRORS},
    tags=["milestones"],
)
def get_milestone(request, slug: str, milestone_id: int):
    return get_object_or_404(milestones_of(programme_or_404(slug)), pk=milestone_id)


@api.get("/programmes/{slug}/updates", response={200: list[UpdateOut], **ERRORS}, tags=["updates"])
@paginated
def list_updates(request, slug: str):
    """Published progress updates, newest first (drafts are never public)."""
    return ProgressUpdate.objects.published().filter(programme=programme_or_404(slug))


@api.get("/programmes/{slug}/changes", response={200: list[ChangeOut], **ERRORS}, tags=["changes"])
@paginated
def list_changes(request, slug: str):
    """What changed, newest first, as the programme's "What changed" page shows it:
    new and withdrawn records, completions, published measurements and updates, and
    every revision with the reason given; who made each, by role only."""
    return revisions.programme_changes(programme_or_404(slug))


@api.get("/sources", response={200: list[SourceOut], **INVALID}, tags=["sources"])
@paginated
def list_sources(request):
    return Source.objects.published().order_by("pk")


@api.get("/sources/{source_id}", response={200: SourceOut, **ERRORS}, tags=["sources"])
def get_source(request, source_id: int):
    return get_object_or_404(Source.objects.published(), pk=source_id)


class FileOut(Schema):
    """An evidence file: where to fetch it and the SHA-256 to check it by."""

    id: int
    kind: str = Field(description="document, archive (a copy of the page cited) or photo")
    source: int | None = Field(description="The source holding it (a document or a copy)")
    update: int | None = Field(description="The progress update holding it (a photo)")
    milestone: int | None = Field(description="The milestone holding it (a photo)")
    name: str = Field(description="The file's name as it was sent")
    media_type: str
    size: int = Field(description="In bytes")
    sha256: str
    caption: Text
    alt_text: Text = Field(description="What a photo shows, for readers who cannot see it")
    retrieved_from: str = Field(description="For an archived copy: the address it came from")
    retrieved_at: dt.datetime | None
    url: str

    @staticmethod
    def resolve_source(obj: EvidenceFile) -> int | None:
        return obj.source_id

    @staticmethod
    def resolve_update(obj: EvidenceFile) -> int | None:
        return obj.update_id

    @staticmethod
    def resolve_milestone(obj: EvidenceFile) -> int | None:
        return obj.milestone_id

    @staticmethod
    def resolve_name(obj: EvidenceFile) -> str:
        return obj.original_name

    @staticmethod
    def resolve_caption(obj: EvidenceFile) -> Text:
        return text(obj, "caption")

    @staticmethod
    def resolve_alt_text(obj: EvidenceFile) -> Text:
        return text(obj, "alt_text")

    @staticmethod
    def resolve_url(obj: EvidenceFile) -> str:
        return obj.get_absolute_url()


@api.get("/programmes/{slug}/files", response={200: list[FileOut], **ERRORS}, tags=["files"])
@paginated
def list_files(request, slug: str):
    """The evidence files of the programme's public record: the documents and archived
    copies of the sources it cites, the photos of its published updates and milestones."""
    return files_of(programme_or_404(slug))
