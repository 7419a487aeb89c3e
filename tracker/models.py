"""The tracker's domain model (see DESIGN.md).

Rules that must never be false are database constraints; each model's `clean()`
repeats them so a form can show the message next to the field it concerns.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from tracker import progress

# Largest money amounts are in the trillions of yuan; four places cover percentages.
VALUE_FIELD: dict[str, Any] = {"max_digits": 24, "decimal_places": 4}

currency_validator = RegexValidator(
    r"^[A-Z]{3}$", _("Enter a three-letter ISO 4217 currency code, such as CNY or USD.")
)


class Confidence(models.TextChoices):
    """How sure the checked facts are of a record; the public sees it where below high."""

    HIGH = "high", _("High")
    MEDIUM_HIGH = "medium_high", _("Medium-high")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


def confidence_field() -> models.CharField:
    return models.CharField(
        _("confidence"),
        max_length=12,
        choices=Confidence,
        default=Confidence.HIGH,
        help_text=_("How sure the sources are; shown to the public where below high."),
    )


def provenance_field() -> models.CharField:
    return models.CharField(
        _("provenance"),
        max_length=300,
        blank=True,
        help_text=_(
            "Where this record came from (a row of the checked facts, or an accepted "
            "submission), so that a later correction can be traced. Seen by staff only."
        ),
    )


def stored_date_field() -> models.DateField:
    """The day a row's stored statuses were computed for (tracker.stored): they are
    recomputed when it is not today."""
    return models.DateField(_("statuses computed on"), null=True, blank=True, editable=False)


# The stored statuses (tracker.stored): not part of the record's history.
PROGRAMME_STORED = [
    "statuses_on",
    "projects_identified",
    "projects_total",
    "milestones_overdue",
    "target_counts",
    "rating_counts",
]
PROJECT_STORED = [
    "rated_on",
    "computed_rating",
    "milestones_open",
    "milestones_overdue",
    "milestones_percent",
    "milestones_recorded",
]
TARGET_STORED = ["assessed_on", "status", "assessment"]


class DemoFlagged(models.Model):
    """A record that may be illustrative: `is_demo`, set by load_demo, removed by
    clear_demo, and shown to the public as demonstration data."""

    is_demo = models.BooleanField(
        _("demo record"),
        default=False,
        editable=False,
        help_text=_("Illustrative data loaded by load_demo; removed by clear_demo."),
    )

    class Meta:
        abstract = True


def demo_index(name: str) -> models.Index:
    """The few illustrative rows of a large table, found without reading the table: every
    page asks whether any exist (`demo_records_exist`), and a site without them would
    otherwise read every row of every table to say no."""
    return models.Index(fields=["id"], condition=Q(is_demo=True), name=f"{name}_demo")


class Timestamped(models.Model):
    """When the record was created and last changed."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)
    # What django-simple-history adds: the history manager, and the reason and author a
    # save records.
    history: ClassVar[Any]
    _change_reason: str
    _history_user: Any

    class Meta:
        abstract = True


def demo_records_exist() -> bool:
    """One query that says whether any illustrative record is in the database. Every
    page asks: the query, the same each time, is built once per database (building
    nine querysets and their union cost more than running it)."""
    connection = connections[DEFAULT_DB_ALIAS]
    sql, params = demo_query(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


@functools.cache
def demo_query(vendor: str) -> tuple[str, tuple]:
    """The SQL of `demo_records_exist` for the default database (of `vendor`)."""
    first, *rest = (
        model._default_manager.filter(is_demo=True).values("pk") for model in DEMO_MODELS
    )
    query = first.union(*rest, all=True).query.exists()
    return query.get_compiler(DEFAULT_DB_ALIAS).as_sql()


class Organisation(DemoFlagged, Timestamped):
    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government body")
        STATE_INVESTOR = "state_investor", _("State investor")
        COMPANY = "company", _("Company")
        RESEARCH = "research", _("Research institution")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=80, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.OTHER)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)

    confidence = confidence_field()
    provenance = provenance_field()

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SourceQuerySet(models.QuerySet):
    def published(self) -> SourceQuerySet:
        """Sources the public record cites. A source an editor adds is not public by
        itself: it becomes so when a published record cites it."""
        cited = (
            Q(programme__isnull=False)
            | Q(project__isnull=False)
            | Q(target__isnull=False)
            | Q(reported_equivalents__isnull=False)
            | Q(measurements__isnull=False)
            | Q(milestones__isnull=False)
            | Q(progressupdate__in=ProgressUpdate.objects.published().values("pk"))
        )
        return self.filter(pk__in=Source.objects.filter(cited).values("pk"))


class Source(DemoFlagged, Timestamped):
    class Kind(models.TextChoices):
        OFFICIAL = "official", _("Official document")
        PRESS = "press", _("Press report")
        THIRD_PARTY = "third_party", _("Third-party report")
        SITE_VISIT = "site_visit", _("Site visit")

    title = models.CharField(_("title"), max_length=300)
    reference = models.CharField(
        _("document number"),
        max_length=100,
        blank=True,
        help_text=_("For example 国科发高〔2020〕260号."),
    )
    publisher = models.CharField(_("publisher"), max_length=200)
    url = models.URLField(_("address"), max_length=500, blank=True)
    archived_url = models.URLField(_("archived copy"), max_length=500, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    language = models.CharField(
        _("language of the original"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
    )
    quote = models.TextField(
        _("quotation"), blank=True, help_text=_("The passage relied on, in the original language.")
    )
    sent_by_reader = models.BooleanField(
        _("sent by a reader"),
        default=False,
        editable=False,
        help_text=_("Accepted from a reader's evidence; the public page credits the reader."),
    )

    provenance = provenance_field()

    history = HistoricalRecords()
    objects = SourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["-published_on", "title"]

    def __str__(self) -> str:
        return self.title


class PublishedQuerySet(models.QuerySet):
    def published(self):
        """What the public sees. Every row of a reviewed model is published: a change
        that waits for review is a ChangeRequest, not a row here (see publishing.py)."""
        return self.all()


class ProgrammeQuerySet(PublishedQuerySet):
    def with_project_count(self) -> ProgrammeQuerySet:
        """Annotate `project_count`: how many projects the programme has identified. A
        subquery per programme shown, not a join grouped over every project: a page of a
        long list (and its count) reads only its own programmes' projects."""
        per_programme = (
            Project.objects.filter(programme=OuterRef("pk"))
            .order_by()
            .values("programme")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return self.annotate(
            project_count=Coalesce(Subquery(per_programme), 0, output_field=IntegerField())
        )

    def with_stored(self, points: bool = False) -> ProgrammeQuerySet:
        """The programme-level targets with their stored assessments (tracker.stored) in
        `headline_targets`; with `points`, their measurements too (for their charts)."""
        targets = Target.objects.filter(project__isnull=True).order_by("due_on", "pk")
        # Each target is given its programme as it is read: not joined again.
        return self.prefetch_related(
            Prefetch(
                "targets",
                queryset=targets.with_points().select_related(None) if points else targets,
                to_attr="headline_targets",
            )
        )

    def with_status(self, today: dt.date | None = None) -> ProgrammeQuerySet:
        """Everything the programme's headline targets need to be assessed and rolled
        up, in a fixed number of queries whatever the number of projects."""
        return self.prefetch_related(
            Prefetch(
                "targets",
                queryset=Target.objects.filter(project__isnull=True)
                .with_points()
                .order_by("due_on", "pk"),
                to_attr="headline_targets",
            ),
            Prefetch(
                "projects",
                queryset=Project.objects.with_status(today).order_by("name", "pk"),
                to_attr="status_projects",
            ),
        )


class Programme(DemoFlagged, Timestamped):
    name = models.CharField(_("name"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    scheme = models.CharField(
        _("scheme"), max_length=300, blank=True, help_text=_("The designation scheme.")
    )
    summary = models.TextField(_("summary"), blank=True)
    pledge = models.TextField(_("pledge"), blank=True, help_text=_("What was promised, as stated."))
    designated_by = models.ForeignKey(
        Organisation,
        verbose_name=_("designated by"),
        on_delete=models.PROTECT,
        related_name="designated_programmes",
        null=True,
        blank=True,
    )
    host = models.ForeignKey(
        Organisation,
        verbose_name=_("host"),
        on_delete=models.PROTECT,
        related_name="hosted_programmes",
        null=True,
        blank=True,
    )
    announced_on = models.DateField(_("announced on"), null=True, blank=True)
    horizon_start = models.DateField(_("horizon starts"), null=True, blank=True)
    horizon_end_earliest = models.DateField(
        _("horizon ends at the earliest"),
        null=True,
        blank=True,
        help_text=_('For "three to five years", the three-year date.'),
    )
    horizon_end_latest = models.DateField(
        _("horizon ends at the latest"),
        null=True,
        blank=True,
        help_text=_('For "three to five years", the five-year date.'),
    )
    planned_project_count = models.PositiveIntegerField(
        _("planned projects"), null=True, blank=True
    )
    stale_after_days = models.PositiveIntegerField(
        _("measurements stale after (days)"),
        default=365,
        validators=[MinValueValidator(1)],
        help_text=_("A target whose newest measurement is older than this is shown as stale."),
    )
    sources = models.ManyToManyField(Source, verbose_name=_("sources"), blank=True)
    sectors: models.ManyToManyField = models.ManyToManyField(
        "Sector",
        verbose_name=_("sectors"),
        related_name="programmes",
        blank=True,
        help_text=_("The industries the designation names."),
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("programme managers"),
        related_name="managed_programmes",
        blank=True,
        help_text=_("They review and publish updates, and may revise targets."),
    )
    progress_reported_here = models.BooleanField(
        _("progress is reported here"),
        default=True,
        help_text=_(
            "On when the programme's own staff record its progress here: a milestone past "
            "its date and not completed is overdue. Off for a programme compiled from public "
            "sources: such a milestone reads “not reported”, since no report is not a failure."
        ),
    )
    requires_second_approval = models.BooleanField(
        _("changes need a second manager"),
        default=False,
        help_text=_("Four eyes: a manager's own changes wait for another manager to publish them."),
    )
    requires_two_factor = models.BooleanField(
        _("staff must use two-factor authentication"),
        default=False,
        help_text=_(
            "Its managers and editors must log in with a code from an authenticator app "
            "or a backup code; those without one are asked to set one up."
        ),
    )

    confidence = confidence_field()
    provenance = provenance_field()

    # Stored by tracker.stored from the rules in tracker.status, as of `statuses_on`:
    # the roll-ups the lists and the dashboard show, so that no page recomputes them.
    statuses_on = stored_date_field()
    projects_identified = models.PositiveIntegerField(
        _("projects identified"), default=0, editable=False
    )
    projects_total = models.PositiveIntegerField(_("projects"), default=0, editable=False)
    milestones_overdue = models.PositiveIntegerField(
        _("milestones overdue"), default=0, editable=False
    )
    target_counts = models.JSONField(_("headline targets by status"), default=dict, editable=False)
    rating_counts = models.JSONField(_("projects by rating"), default=dict, editable=False)

    history = HistoricalRecords(m2m_fields=[sources], excluded_fields=PROGRAMME_STORED)
    objects = ProgrammeQuerySet.as_manager()

    # Set by `ProgrammeQuerySet.with_status()` (read by tracker.status).
    headline_targets: list[Target]
    status_projects: list[Project]

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["name"]
        # Lists of projects and targets sorted by their programme's name (the admin's)
        # read programmes in this order and stop after a page, not sort every row.
        indexes = [models.Index(fields=["name"], name="programme_by_name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(horizon_end_earliest__isnull=True)
                | Q(horizon_start__isnull=True)
                | Q(horizon_end_earliest__gt=F("horizon_start")),
                name="programme_horizon_after_start",
                violation_error_message=_("The horizon must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(horizon_end_latest__isnull=True)
                | Q(horizon_end_earliest__isnull=True)
                | Q(horizon_end_latest__gte=F("horizon_end_earliest")),
                name="programme_horizon_range_ordered",
                violation_error_message=_(
                    "The latest end of the horizon cannot be before its earliest end."
                ),
            ),
            models.CheckConstraint(
                condition=Q(horizon_end_latest__isnull=True)
                | Q(horizon_start__isnull=True)
                | Q(horizon_end_latest__gt=F("horizon_start")),
                name="programme_horizon_latest_after_start",
                violation_error_message=_("The horizon must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tracker:programme-detail", kwargs={"programme": self.slug})

    @property
    def stale_after(self) -> dt.timedelta:
        return dt.timedelta(days=self.stale_after_days)

    def clean(self) -> None:
        errors = {}
        start, earliest, latest = (
            self.horizon_start,
            self.horizon_end_earliest,
            self.horizon_end_latest,
        )
        if start and earliest and earliest <= start:
            errors["horizon_end_earliest"] = _("The horizon must end after it starts.")
        if start and latest and latest <= start:
            errors["horizon_end_latest"] = _("The horizon must end after it starts.")
        elif earliest and latest and latest < earliest:
            errors["horizon_end_latest"] = _(
                "The latest end of the horizon cannot be before its earliest end."
            )
        if errors:
            raise ValidationError(errors)


class Sector(DemoFlagged, Timestamped):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    provenance = provenance_field()

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Rating(models.TextChoices):
    GREEN = "green", _("Green: on course")
    AMBER = "amber", _("Amber: at risk")
    RED = "red", _("Red: off course")


class ProjectQuerySet(PublishedQuerySet):
    def with_status(self, today: dt.date | None = None) -> ProjectQuerySet:
        """What a project's computed rating on `today` (by default the day it is called)
        needs, for any number of projects in a fixed number of queries: its targets'
        points, and how many of its milestones are open and how many of those overdue."""
        today = today or timezone.localdate()
        return (
            self.select_related("programme", "sector")
            .prefetch_related(Prefetch("targets", queryset=Target.objects.with_points()))
            .with_milestone_counts(today)
        )

    def with_milestone_counts(self, today: dt.date) -> ProjectQuerySet:
        """How many of each project's milestones are open, overdue on `today`, and their
        weights done and counted (what `with_status` annotates)."""

        def per_project(milestones: MilestoneQuerySet, total: Count | Sum) -> Coalesce:
            rows = milestones.filter(project=OuterRef("pk")).order_by().values("project")
            return Coalesce(Subquery(rows.annotate(n=total).values("n")), 0)

        counted = Milestone.objects.counted()
        return self.annotate(
            open_milestones=per_project(Milestone.objects.open(), Count("pk")),
            overdue_milestones=per_project(Milestone.objects.overdue(today), Count("pk")),
            milestones_counted_on=Value(today, output_field=models.DateField()),
            # Milestone progress (progress.milestone_percent): weights done, counted.
            milestone_weight_done=per_project(
                counted.filter(status=Milestone.Status.COMPLETED), Sum("weight")
            ),
            milestone_weight_counted=per_project(counted, Sum("weight")),
            milestone_count=per_project(Milestone.objects.all(), Count("pk")),
        )


class Project(DemoFlagged, Timestamped):
    class Lifecycle(models.TextChoices):
        ANNOUNCED = "announced", _("Announced")
        PREPARATION = "preparation", _("In preparation")
        IMPLEMENTATION = "implementation", _("Being implemented")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        ON_HOLD = "on_hold", _("On hold")

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="projects"
    )
    sector = models.ForeignKey(
        Sector,
        verbose_name=_("sector"),
        on_delete=models.PROTECT,
        related_name="projects",
        null=True,
        blank=True,
    )
    name = models.CharField(_("name"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=80)
    summary = models.TextField(_("summary"), blank=True)
    lead_organisations = models.ManyToManyField(
        Organisation, verbose_name=_("lead organisations"), related_name="led_projects", blank=True
    )
    lifecycle_status = models.CharField(
        _("lifecycle status"), max_length=20, choices=Lifecycle, default=Lifecycle.ANNOUNCED
    )
    declared_rating = models.CharField(
        _("declared rating"), max_length=10, choices=Rating, blank=True
    )
    declared_rating_reason = models.TextField(_("reason for the declared rating"), blank=True)
    identified_on = models.DateField(
        _("publicly identified on"),
        null=True,
        blank=True,
        help_text=_(
            "The date a public source first named the project; it counts towards the "
            "programme's projects identified from then on."
        ),
    )
    start_on = models.DateField(_("starts on"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned editors"),
        related_name="edited_projects",
        blank=True,
    )
    sources = models.ManyToManyField(Source, verbose_name=_("sources"), blank=True)

    # Stored by tracker.stored, as of `rated_on` (see tracker.status.project_rating and
    # milestone_progress).
    rated_on = stored_date_field()
    computed_rating = models.CharField(
        _("computed rating"), max_length=10, choices=Rating, blank=True, editable=False
    )
    milestones_open = models.PositiveIntegerField(_("open milestones"), default=0, editable=False)
    milestones_overdue = models.PositiveIntegerField(
        _("overdue milestones"), default=0, editable=False
    )
    milestones_percent = models.PositiveSmallIntegerField(
        _("milestones done (%)"), null=True, blank=True, editable=False
    )
    milestones_recorded = models.BooleanField(_("has milestones"), default=False, editable=False)

    history = HistoricalRecords(
        m2m_fields=[lead_organisations, sources], excluded_fields=PROJECT_STORED
    )
    objects = ProjectQuerySet.as_manager()

    # Annotated by `ProjectQuerySet.with_status(today)` (read by tracker.status).
    open_milestones: int
    overdue_milestones: int
    milestones_counted_on: dt.date
    milestone_weight_done: int
    milestone_weight_counted: int
    milestone_count: int

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["programme", "name"]
        indexes = [demo_index("project")]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "slug"],
                name="project_slug_unique_per_programme",
                violation_error_message=_("This programme already has a project with this slug."),
            ),
            models.CheckConstraint(
                condition=Q(due_on__isnull=True)
                | Q(start_on__isnull=True)
                | Q(due_on__gte=F("start_on")),
                name="project_due_after_start",
                violation_error_message=_("A project cannot be due before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse(
            "tracker:project-detail",
            kwargs={"programme": self.programme.slug, "project": self.slug},
        )

    @property
    def identified_date(self) -> dt.date:
        """When the project counts as publicly identified: the stated date, or failing
        that the day it was recorded here."""
        return self.identified_on or timezone.localtime(self.created_at).date()

    def clean(self) -> None:
        errors = {}
        if self.start_on and self.due_on and self.due_on < self.start_on:
            errors["due_on"] = _("A project cannot be due before it starts.")
        # The fields django-modeltranslation adds.
        reasons = (self.declared_rating_reason_en, self.declared_rating_reason_zh_hans)  # type: ignore[attr-defined]
        if self.declared_rating and not any((reason or "").strip() for reason in reasons):
            # The English field is the one every form shows.
            errors["declared_rating_reason_en"] = _("A declared rating needs a reason.")
        if (
            self.programme_id
            and self.slug
            and Project.objects.filter(programme_id=self.programme_id, slug=self.slug)
            .exclude(pk=self.pk)
            .exists()
        ):
            errors["slug"] = _("This programme already has a project with this slug.")
        if errors:
            raise ValidationError(errors)


class TargetQuerySet(PublishedQuerySet):
    def with_points(self) -> TargetQuerySet:
        """Targets ready to be assessed: their public measurements, as few columns as
        a status needs, in `published_measurements`."""
        return self.select_related("programme").prefetch_related(
            Prefetch(
                "measurements",
                queryset=Measurement.objects.published()
                .order_by("as_of", "pk")
                .only("pk", "target_id", "as_of", "value"),
                to_attr="published_measurements",
            )
        )

    def with_status(self) -> TargetQuerySet:
        """Targets ready to be assessed, roll-ups included, in a fixed number of queries."""
        return self.prefetch_related(
            Prefetch(
                "measurements", queryset=Measurement.objects.published().order_by("as_of", "pk")
            ),
            Prefetch(
                "programme",
                queryset=Programme.objects.prefetch_related(
                    Prefetch(
                        "projects",
                        queryset=Project.objects.prefetch_related(
                            Prefetch("targets", queryset=Target.objects.with_points())
                        ),
                        to_attr="status_projects",  # type: ignore[no-redef]  # the plugin sees a second declaration
                    )
                ),
            ),
        )


class ProjectOrProgrammeRecord:
    """A record of a project, or of the whole programme when it has no project.

    Its programme is always its project's programme: it is filled in from the project
    when missing, and a mismatch is refused."""

    # The fields of the models it is mixed into.
    project: Project | None
    project_id: int | None
    programme_id: int | None

    def save(self, *args, **kwargs) -> None:
        if self.project_id and not self.programme_id:
            self.programme_id = self.project.programme_id  # type: ignore[union-attr]  # set
        super().save(*args, **kwargs)  # type: ignore[misc]  # Model.save, after the mixin

    def programme_errors(self) -> dict:
        if self.project_id and not self.programme_id:
            self.programme_id = self.project.programme_id  # type: ignore[union-attr]  # set
        if self.project_id and self.project.programme_id != self.programme_id:  # type: ignore[union-attr]
            return {"project": _("This project belongs to another programme.")}
        return {}


class Target(ProjectOrProgrammeRecord, DemoFlagged, Timestamped):
    class Kind(models.TextChoices):
        MONEY = "money", _("Money")
        COUNT = "count", _("Count")
        PERCENT = "percent", _("Percentage")
        OTHER = "other", _("Other quantity")

    class Comparator(models.TextChoices):
        AT_LEAST = "at_least", _("At least")
        AT_MOST = "at_most", _("At most")

    class Rollup(models.TextChoices):
        NONE = "none", _("None: measured directly")
        SUM = "sum", _("Sum of the projects' targets")
        COUNT_PROJECTS = "count_projects", _("Count of projects")

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="targets"
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="targets",
        null=True,
        blank=True,
        help_text=_("Leave empty for a target of the whole programme."),
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    currency = models.CharField(
        _("currency"), max_length=3, blank=True, validators=[currency_validator]
    )
    unit = models.CharField(
        _("unit"), max_length=50, blank=True, help_text=_("For counts and other quantities.")
    )
    comparator = models.CharField(
        _("comparator"), max_length=10, choices=Comparator, default=Comparator.AT_LEAST
    )
    baseline_value = models.DecimalField(
        _("baseline value"),
        **VALUE_FIELD,
        null=True,
        blank=True,
        help_text=_("Leave empty where no source states it."),
    )
    baseline_on = models.DateField(_("baseline date"), null=True, blank=True)
    target_value = models.DecimalField(_("target value"), **VALUE_FIELD)
    due_earliest = models.DateField(
        _("due at the earliest"),
        null=True,
        blank=True,
        help_text=_("Only for a due range such as “three to five years”: the earlier date."),
    )
    due_on = models.DateField(_("due on"), help_text=_("The deadline, or the end of a due range."))
    rollup = models.CharField(_("roll-up"), max_length=20, choices=Rollup, default=Rollup.NONE)
    reported_equivalent_value = models.DecimalField(
        _("reported equivalent"),
        **VALUE_FIELD,
        null=True,
        blank=True,
        help_text=_("An amount in another currency as a source reported it, not a conversion."),
    )
    reported_equivalent_currency = models.CharField(
        _("currency of the reported equivalent"),
        max_length=3,
        blank=True,
        validators=[currency_validator],
    )
    reported_equivalent_source = models.ForeignKey(
        Source,
        verbose_name=_("source of the reported equivalent"),
        on_delete=models.PROTECT,
        related_name="reported_equivalents",
        null=True,
        blank=True,
    )
    sources = models.ManyToManyField(Source, verbose_name=_("sources"), blank=True)
    withdrawn_on = models.DateField(
        _("withdrawn on"),
        null=True,
        blank=True,
        help_text=_("Instead of deleting what the public has seen: it stays on record."),
    )
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)

    confidence = confidence_field()
    provenance = provenance_field()

    # Stored by tracker.stored, as of `assessed_on`: tracker.status.assess's result
    # (see tracker.status.encode), its final status also as a column to filter on.
    assessed_on = stored_date_field()
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=[(each.value, each.label) for each in progress.Status],
        blank=True,
        editable=False,
    )
    assessment = models.JSONField(_("assessment"), default=dict, editable=False)

    history = HistoricalRecords(m2m_fields=[sources], excluded_fields=TARGET_STORED)
    objects = TargetQuerySet.as_manager()

    # Kept by tracker.status.series() for the day it was read on.
    status_series: tuple[dt.date, list[progress.Point]]

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["programme", "project", "due_on", "title"]
        indexes = [demo_index("target")]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | ~Q(withdrawal_reason=""),
                name="target_withdrawal_has_reason",
                violation_error_message=_("A withdrawal needs a reason."),
            ),
            models.CheckConstraint(
                condition=Q(target_value__gte=0),
                name="target_value_not_negative",
                violation_error_message=_("A target value cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(baseline_value__isnull=True) | Q(baseline_value__gte=0),
                name="target_baseline_not_negative",
                violation_error_message=_("A baseline value cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(due_earliest__isnull=True) | Q(due_on__gt=F("due_earliest")),
                name="target_due_range_ordered",
                violation_error_message=_("The end of a due range must come after its start."),
            ),
            models.CheckConstraint(
                condition=Q(baseline_on__isnull=True) | Q(due_on__gt=F("baseline_on")),
                name="target_due_after_baseline",
                violation_error_message=_("A target must fall due after its baseline date."),
            ),
            models.CheckConstraint(
                condition=Q(rollup="none") | Q(project__isnull=True),
                name="target_rollup_is_programme_level",
                violation_error_message=_(
                    "Only a programme-level target (with no project) can roll up projects."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(kind="money") | Q(currency__regex=r"^[A-Z]{3}$"),
                name="target_money_has_currency",
                violation_error_message=_("A money target needs a currency."),
            ),
            models.CheckConstraint(
                condition=Q(reported_equivalent_value__isnull=True)
                | (
                    Q(reported_equivalent_value__gte=0)
                    & Q(reported_equivalent_currency__regex=r"^[A-Z]{3}$")
                    & Q(reported_equivalent_source__isnull=False)
                ),
                name="target_reported_equivalent_complete",
                violation_error_message=_(
                    "A reported equivalent needs a non-negative amount, a currency and a source."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "tracker:target-detail", kwargs={"programme": self.programme.slug, "pk": self.pk}
        )

    @property
    def baseline(self) -> progress.Point | None:
        if self.baseline_value is None or self.baseline_on is None:
            return None
        return progress.Point(on=self.baseline_on, value=self.baseline_value)

    def clean(self) -> None:
        errors = self.programme_errors()
        if self.target_value is not None and self.target_value < 0:
            errors["target_value"] = _("A target value cannot be negative.")
        if self.baseline_value is not None and self.baseline_value < 0:
            errors["baseline_value"] = _("A baseline value cannot be negative.")
        if self.due_earliest and self.due_on and self.due_on <= self.due_earliest:
            errors["due_on"] = _("The end of a due range must come after its start.")
        elif self.baseline_on and self.due_on and self.due_on <= self.baseline_on:
            errors["due_on"] = _("A target must fall due after its baseline date.")
        if self.rollup != self.Rollup.NONE and self.project_id:
            errors["rollup"] = _(
                "Only a programme-level target (with no project) can roll up projects."
            )
        if self.kind == self.Kind.MONEY and not self.currency:
            errors["currency"] = _("A money target needs a currency.")
        if self.withdrawn_on and not self.withdrawal_reason.strip():
            errors["withdrawal_reason"] = _("A withdrawal needs a reason.")
        if self.reported_equivalent_value is not None:
            if self.reported_equivalent_value < 0:
                errors["reported_equivalent_value"] = _("An amount cannot be negative.")
            if not self.reported_equivalent_currency:
                errors["reported_equivalent_currency"] = _("Give the reported amount's currency.")
            if not self.reported_equivalent_source_id:
                errors["reported_equivalent_source"] = _("Give the source that reported it.")
        if errors:
            raise ValidationError(errors)


class MeasurementQuerySet(PublishedQuerySet):
    pass


class Measurement(DemoFlagged, Timestamped):
    """An observed value. The current value is the one with the latest `as_of`."""

    target = models.ForeignKey(
        Target, verbose_name=_("target"), on_delete=models.PROTECT, related_name="measurements"
    )
    value = models.DecimalField(_("value"), **VALUE_FIELD)
    as_of = models.DateField(_("as of"))
    source = models.ForeignKey(
        Source,
        verbose_name=_("source"),
        on_delete=models.PROTECT,
        related_name="measurements",
        # Required (measurement_has_source); nullable only so that the form, not the
        # database, says so.
        null=True,
        blank=False,
    )
    note = models.TextField(_("note"), blank=True)

    confidence = confidence_field()
    provenance = provenance_field()

    history = HistoricalRecords()
    objects = MeasurementQuerySet.as_manager()

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["target", "-as_of"]
        get_latest_by = "as_of"
        # The admin lists the newest first across all targets.
        indexes = [
            models.Index(fields=["as_of", "id"], name="measurement_by_date"),
            demo_index("measurement"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="measurement_value_not_negative",
                violation_error_message=_("A measured value cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(source__isnull=False),
                name="measurement_has_source",
                violation_error_message=_(
                    "A published figure needs its source: a document, a press report, an "
                    "official statistic or a site visit."
                ),
            ),
            models.UniqueConstraint(
                fields=["target", "as_of"],
                name="measurement_one_per_target_and_date",
                violation_error_message=_(
                    "This target already has a measurement on this date; correct that one instead."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} — {self.as_of}"

    def get_absolute_url(self) -> str:
        return f"{self.target.get_absolute_url()}#measurement-{self.pk}"

    def clean(self) -> None:
        errors = {}
        if self.value is not None and self.value < 0:
            errors["value"] = _("A measured value cannot be negative.")
        if (
            self.target_id
            and self.as_of
            and Measurement.objects.filter(target_id=self.target_id, as_of=self.as_of)
            .exclude(pk=self.pk)
            .exists()
        ):
            errors["as_of"] = _(
                "This target already has a measurement on this date; correct that one instead."
            )
        if errors:
            raise ValidationError(errors)


class MilestoneQuerySet(PublishedQuerySet):
    @staticmethod
    def open_q() -> Q:
        """Not withdrawn, and planned or in progress (see `Milestone.is_open`)."""
        return Q(withdrawn_on__isnull=True, status__in=Milestone.OPEN_STATUSES)

    @classmethod
    def overdue_q(cls, today: dt.date) -> Q:
        """Open and planned before today, in a programme whose progress is reported
        here (see `Milestone.overdue_on`)."""
        return cls.open_q() & Q(planned_on__lt=today, programme__progress_reported_here=True)

    @classmethod
    def due_soon_q(cls, today: dt.date, within: dt.timedelta) -> Q:
        """Open and planned from today to `within` from now."""
        return cls.due_by_q(today, today + within)

    @classmethod
    def due_by_q(cls, today: dt.date, until: dt.date) -> Q:
        """Open and planned from today to `until` (due_soon_q's rule, with its end
        given: a prepared query's stand-in dates, tracker.prepared)."""
        return cls.open_q() & Q(planned_on__range=(today, until))

    def open(self) -> MilestoneQuerySet:
        return self.filter(self.open_q())

    def counted(self) -> MilestoneQuerySet:
        """The milestones a project's progress counts: not withdrawn, not cancelled
        (see `progress.milestone_weights`)."""
        return self.filter(withdrawn_on__isnull=True).exclude(
            status__in=progress.UNCOUNTED_MILESTONE_STATUSES
        )

    def overdue(self, today: dt.date) -> MilestoneQuerySet:
        return self.filter(self.overdue_q(today))

    def due_soon(self, today: dt.date, within: dt.timedelta) -> MilestoneQuerySet:
        return self.filter(self.due_soon_q(today, within))

    def with_slippage(self) -> MilestoneQuerySet:
        """Annotate `first_planned_on`, the earliest planned date in the history, so that
        a deadline moved later still counts as slipped."""
        first = (
            Milestone.history.model.objects.filter(id=OuterRef("pk"))
            .order_by("history_date", "history_id")
            .values("planned_on")[:1]
        )
        return self.annotate(first_planned_on=Subquery(first))


class Milestone(ProjectOrProgrammeRecord, DemoFlagged, Timestamped):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="milestones"
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="milestones",
        null=True,
        blank=True,
        help_text=_("Leave empty for a milestone of the whole programme."),
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    planned_on = models.DateField(_("planned for"))
    forecast_on = models.DateField(_("forecast for"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.PLANNED)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1)]
    )
    evidence = models.ForeignKey(
        Source,
        verbose_name=_("evidence"),
        on_delete=models.PROTECT,
        related_name="milestones",
        null=True,
        blank=True,
    )
    withdrawn_on = models.DateField(
        _("withdrawn on"),
        null=True,
        blank=True,
        help_text=_("Instead of deleting what the public has seen: it stays on record."),
    )
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)

    confidence = confidence_field()
    provenance = provenance_field()

    history = HistoricalRecords()
    objects = MilestoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["planned_on", "title"]
        # Lists are read in date order (then title), the most common query by far; the
        # staff's list filtered by status too, over every programme.
        indexes = [
            models.Index(fields=["planned_on", "title"], name="milestone_by_date"),
            models.Index(fields=["status", "planned_on", "title"], name="milestone_by_status"),
            demo_index("milestone"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="completed") & Q(completed_on__isnull=False))
                | (~Q(status="completed") & Q(completed_on__isnull=True)),
                name="milestone_completed_has_date",
                violation_error_message=_(
                    "A completed milestone needs a completion date, "
                    "and only a completed one has it."
                ),
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | ~Q(withdrawal_reason=""),
                name="milestone_withdrawal_has_reason",
                violation_error_message=_("A withdrawal needs a reason."),
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1),
                name="milestone_weight_positive",
                violation_error_message=_("The weight must be at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "tracker:milestone-detail", kwargs={"programme": self.programme.slug, "pk": self.pk}
        )

    @property
    def is_open(self) -> bool:
        return not self.withdrawn_on and self.status in self.OPEN_STATUSES

    def lateness_on(self, today: dt.date) -> progress.Lateness | None:
        if self.withdrawn_on:
            return None
        return progress.milestone_lateness(
            planned_on=self.planned_on,
            completed_on=self.completed_on,
            status=self.status,
            today=today,
            reported_here=self.programme.progress_reported_here,
        )

    def overdue_on(self, today: dt.date) -> bool:
        return self.lateness_on(today) == progress.Lateness.OVERDUE

    def not_reported_on(self, today: dt.date) -> bool:
        return self.lateness_on(today) == progress.Lateness.NOT_REPORTED

    @property
    def is_not_reported(self) -> bool:
        return self.not_reported_on(timezone.localdate())

    @property
    def is_overdue(self) -> bool:
        return self.overdue_on(timezone.localdate())

    @property
    def original_planned_on(self) -> dt.date:
        """The first planned date recorded (annotated by `with_slippage()`)."""
        if hasattr(self, "first_planned_on"):
            return self.first_planned_on or self.planned_on
        record = self.history.order_by("history_date", "history_id").first()
        return record.planned_on if record else self.planned_on

    def slippage_days(self, today: dt.date | None = None) -> int:
        return progress.slippage_days(
            first_planned_on=self.original_planned_on,
            planned_on=self.planned_on,
            forecast_on=self.forecast_on,
            completed_on=self.completed_on,
            today=today or timezone.localdate(),
            reported_here=self.programme.progress_reported_here,
        )

    @property
    def days_late(self) -> int | None:
        return progress.days_late(planned_on=self.planned_on, completed_on=self.completed_on)

    def clean(self) -> None:
        errors = self.programme_errors()
        if self.status == self.Status.COMPLETED and not self.completed_on:
            errors["completed_on"] = _("Give the date the milestone was completed.")
        elif self.completed_on and self.status != self.Status.COMPLETED:
            errors["completed_on"] = _(
                "Only a completed milestone has a completion date: set the status to completed "
                "or clear the date."
            )
        if self.completed_on and self.completed_on > timezone.localdate():
            errors["completed_on"] = _("A milestone cannot be completed in the future.")
        if self.withdrawn_on and not self.withdrawal_reason.strip():
            errors["withdrawal_reason"] = _("A withdrawal needs a reason.")
        if errors:
            raise ValidationError(errors)


class ProgressUpdateQuerySet(models.QuerySet):
    def published(self) -> ProgressUpdateQuerySet:
        """What the public sees of updates: the published ones, newest first."""
        return (
            self.filter(state=ProgressUpdate.State.PUBLISHED)
            .select_related("programme", "project__programme")
            .order_by("-published_at", "-pk")
        )

    def with_photos(self) -> ProgressUpdateQuerySet:
        """With their photos, read in one query for all the updates shown."""
        return self.prefetch_related("photos")


class ProgressUpdate(ProjectOrProgrammeRecord, DemoFlagged, Timestamped):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for review")
        RETURNED = "returned", _("Returned to the author")
        PUBLISHED = "published", _("Published")

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="updates"
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="updates",
        null=True,
        blank=True,
    )
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown."))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        related_name="progress_updates",
        null=True,
        blank=True,
    )
    state = models.CharField(_("state"), max_length=20, choices=State, default=State.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.SET_NULL,
        related_name="reviewed_updates",
        null=True,
        blank=True,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(
        _("reviewer's comment"), blank=True, help_text=_("Required when an update is returned.")
    )
    milestones = models.ManyToManyField(
        Milestone, verbose_name=_("milestones"), related_name="updates", blank=True
    )
    measurements = models.ManyToManyField(
        Measurement, verbose_name=_("measurements"), related_name="updates", blank=True
    )
    sources = models.ManyToManyField(Source, verbose_name=_("sources"), blank=True)

    history = HistoricalRecords()
    objects = ProgressUpdateQuerySet.as_manager()

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        permissions = [("publish_progressupdate", _("Can publish or return progress updates"))]
        ordering = ["-published_at", "-created_at"]
        # The staff's list, newest first.
        indexes = [
            models.Index(fields=["published_at", "created_at"], name="update_by_date"),
            demo_index("update"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(state="published") & Q(published_at__isnull=False))
                | (~Q(state="published") & Q(published_at__isnull=True)),
                name="update_published_has_time",
                violation_error_message=_(
                    "A published update needs a publication time, and only a published one has it."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(state="returned") | ~Q(review_comment=""),
                name="update_returned_has_comment",
                violation_error_message=_("A returned update needs the reviewer's comment."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        owner = self.project or self.programme
        return f"{owner.get_absolute_url()}#update-{self.pk}"

    def clean(self) -> None:
        errors = self.programme_errors()
        if self.state == self.State.PUBLISHED and not self.published_at:
            errors["published_at"] = _("Give the time the update was published.")
        elif self.published_at and self.state != self.State.PUBLISHED:
            errors["published_at"] = _("Only a published update has a publication time.")
        if errors:
            raise ValidationError(errors)


class ChangeRequest(models.Model):
    """A change to the public record: what someone asked for, why, and what became of it.

    An editor's change waits here (pending) until a manager of the programme publishes
    it; a manager's own change is published at once (unless the programme asks for a
    second manager) and kept here all the same, so the record of who published what and
    why is one table. Values are stored as text per field (see publishing.py)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        PUBLISHED = "published", _("Published")
        RETURNED = "returned", _("Returned to the author")
        WITHDRAWN = "withdrawn", _("Withdrawn by the author")

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="+"
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    content_type = models.ForeignKey(
        "contenttypes.ContentType", verbose_name=_("kind of record"), on_delete=models.PROTECT
    )
    object_id = models.PositiveBigIntegerField(
        _("record"), null=True, blank=True, help_text=_("Empty for a new record until published.")
    )
    is_addition = models.BooleanField(_("new record"), default=False)
    subject = models.CharField(_("record"), max_length=300)
    values = models.JSONField(_("new values"), default=dict)
    previous = models.JSONField(_("values before"), default=dict)
    reason = models.TextField(_("reason"), blank=True)
    source = models.CharField(
        _("made through"),
        max_length=20,
        default="form",
        help_text=_("The admin form, the admin list, a file import or a command."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=20, choices=State, default=State.PENDING)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes to review")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "programme"], name="change_by_state")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="returned") | ~Q(review_comment=""),
                name="change_returned_has_comment",
                violation_error_message=_("A returned change needs the reviewer's comment."),
            ),
            models.CheckConstraint(
                condition=~Q(state="published") | Q(object_id__isnull=False),
                name="change_published_has_record",
                violation_error_message=_("A published change names its record."),
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class ReminderLog(models.Model):
    """One digest per person per day, however often the reminder job runs."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE
    )
    sent_on = models.DateField(_("sent on"))
    items = models.PositiveIntegerField(_("items in the digest"))

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(fields=["user", "sent_on"], name="one_reminder_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.sent_on}"


class StaffProfile(models.Model):
    """What the tracker keeps about a member of staff beyond Django's user: the language
    they read e-mail in. Made at invitation, edited by the person on "My profile"."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    language = models.CharField(
        _("language for e-mail"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return str(self.user)


class ProgrammeGroupQuerySet(models.QuerySet):
    def published(self) -> ProgrammeGroupQuerySet:
        """Groups the public sees: those with at least one programme."""
        return self.filter(programmes__isnull=False).distinct()


class ProgrammeGroup(DemoFlagged, Timestamped):
    """A family of programmes compared side by side, such as the bases named by one
    notice or the plans of one host. Shared like sectors: a site administrator keeps it."""

    name = models.CharField(_("name"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    programmes = models.ManyToManyField(
        Programme, verbose_name=_("programmes"), related_name="groups", blank=True
    )
    provenance = provenance_field()

    objects = ProgrammeGroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme group")
        verbose_name_plural = _("programme groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tracker:group-detail", kwargs={"group": self.slug})


class EvidenceSubmission(models.Model):
    """Evidence a reader sent about a target, milestone or project, without an account.

    Never public by itself: a manager of the programme accepts it (as a source, and a
    figure as a proposed measurement), rejects it with a reason or marks it a duplicate
    (tracker/editorial/evidence.py)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for a manager")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        DUPLICATE = "duplicate", _("Duplicate")

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="evidence_submissions",
    )
    target = models.ForeignKey(
        Target, verbose_name=_("target"), on_delete=models.CASCADE, null=True, blank=True
    )
    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), on_delete=models.CASCADE, null=True, blank=True
    )
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, null=True, blank=True
    )
    url = models.URLField(_("source address"), max_length=500, blank=True)
    document_reference = models.CharField(_("document reference"), max_length=200, blank=True)
    quote = models.TextField(_("quotation"), max_length=2000)
    value = models.DecimalField(_("value"), null=True, blank=True, **VALUE_FIELD)
    as_of = models.DateField(_("as of"), null=True, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    state = models.CharField(
        _("state"), max_length=10, choices=State, default=State.PENDING, db_index=True
    )
    reason = models.TextField(_("reason"), blank=True, help_text=_("Sent to the reader."))
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    address_hash = models.CharField(
        _("sender address (hashed)"), max_length=64, blank=True, editable=False
    )
    source = models.ForeignKey(
        Source,
        verbose_name=_("resulting source"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evidence_submissions",
    )
    change = models.ForeignKey(
        "ChangeRequest",
        verbose_name=_("resulting measurement change"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("evidence from a reader")
        verbose_name_plural = _("evidence from readers")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(target__isnull=False, milestone__isnull=True, project__isnull=True)
                    | Q(target__isnull=True, milestone__isnull=False, project__isnull=True)
                    | Q(target__isnull=True, milestone__isnull=True, project__isnull=False)
                ),
                name="evidence_about_one_record",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} — {self.created_at:%Y-%m-%d}" if self.created_at else self.subject

    @property
    def subject(self) -> str:
        return str(self.target or self.milestone or self.project or "")

    @property
    def record(self) -> Target | Milestone | Project | None:
        return self.target or self.milestone or self.project


class EvidenceFileQuerySet(models.QuerySet):
    def published(self) -> EvidenceFileQuerySet:
        """Files the public may read: a source's when the public record cites the source,
        an update's once the update is published, a milestone's (a milestone photo is
        a row only once a manager published it, see publishing.py)."""
        return self.filter(
            Q(source__in=Source.objects.published().values("pk"))
            | Q(update__state=ProgressUpdate.State.PUBLISHED)
            | Q(milestone__isnull=False)
        )


class EvidenceFile(Timestamped):
    """A file kept as evidence: a source's document or archived copy of its page, or a
    photo of a progress update or milestone. The content was checked when it came in
    (tracker/editorial/files.py), images re-encoded without their EXIF data; its SHA-256
    is shown publicly so that anyone holding a copy can check it is the same file."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Document")
        ARCHIVE = "archive", _("Archived copy of the page")
        PHOTO = "photo", _("Photo")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.DOCUMENT)
    source = models.ForeignKey(
        Source,
        verbose_name=_("source"),
        on_delete=models.CASCADE,
        related_name="files",
        null=True,
        blank=True,
    )
    update = models.ForeignKey(
        ProgressUpdate,
        verbose_name=_("progress update"),
        on_delete=models.CASCADE,
        related_name="photos",
        null=True,
        blank=True,
    )
    milestone = models.ForeignKey(
        Milestone,
        verbose_name=_("milestone"),
        on_delete=models.CASCADE,
        related_name="photos",
        null=True,
        blank=True,
    )
    file = models.FileField(_("file"), max_length=300)
    preview = models.FileField(_("preview"), max_length=300, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    media_type = models.CharField(_("media type"), max_length=100)
    original_name = models.CharField(_("file name"), max_length=200)
    preview_width = models.PositiveIntegerField(_("preview width"), null=True, blank=True)
    preview_height = models.PositiveIntegerField(_("preview height"), null=True, blank=True)
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    alt_text = models.CharField(
        _("text alternative"),
        max_length=300,
        blank=True,
        help_text=_("What the photo shows, for readers who cannot see it."),
    )
    retrieved_from = models.URLField(_("retrieved from"), max_length=500, blank=True)
    retrieved_at = models.DateTimeField(_("retrieved at"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = EvidenceFileQuerySet.as_manager()

    # Checked content waiting to be stored (tracker/editorial/files.py, store_files).
    pending_content: dict[str, Any]

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(source__isnull=False, update__isnull=True, milestone__isnull=True)
                    | Q(source__isnull=True, update__isnull=False, milestone__isnull=True)
                    | Q(source__isnull=True, update__isnull=True, milestone__isnull=False)
                ),
                name="evidence_file_of_one_record",
                violation_error_message=_("A file belongs to one source, update or milestone."),
            ),
            models.CheckConstraint(
                condition=Q(kind="photo", source__isnull=True)
                | (~Q(kind="photo") & Q(source__isnull=False)),
                name="evidence_file_kind_fits_record",
                violation_error_message=_(
                    "Updates and milestones carry photos; sources carry documents and "
                    "archived copies."
                ),
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="evidence_file_sha256_hex",
                violation_error_message=_("The SHA-256 is 64 hexadecimal digits."),
            ),
        ]

    def __str__(self) -> str:
        return self.caption or self.original_name

    def save(self, *args, **kwargs) -> None:
        self.store_files()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("evidence-file", kwargs={"pk": self.pk, "name": self.download_name})

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")

    @property
    def record(self) -> Source | ProgressUpdate | Milestone | None:
        return self.source or self.update or self.milestone

    @property
    def project(self) -> Project | None:
        """The project the file's update or milestone belongs to (publishing.owner_of)."""
        record = self.update or self.milestone
        return record.project if record is not None else None

    @property
    def download_name(self) -> str:
        return (self.file.name or "").rsplit("/", 1)[-1]

    def get_preview_url(self) -> str:
        return reverse("evidence-preview", kwargs={"pk": self.pk})

    def store_files(self) -> None:
        """Write checked content not yet stored (tracker/editorial/files.py attached it)
        to the storage, under names made of its hash: the same file is stored once."""
        from django.core.files.storage import default_storage

        for field, content in getattr(self, "pending_content", {}).items():
            name = getattr(self, field).name
            if not default_storage.exists(name):
                stored = default_storage.save(name, content)
                setattr(self, field, stored)
        self.pending_content = {}

    def clean(self) -> None:
        # Not tied to a field: the form that uploads the file names it differently.
        if self.kind == self.Kind.PHOTO and self.media_type and not self.is_image:
            raise ValidationError(_("A photo must be an image (JPEG, PNG, GIF or WebP)."))
        if self.kind == self.Kind.PHOTO and self.source_id:
            raise ValidationError(_("Sources carry documents and archived copies, not photos."))


# Order matters: clear_demo deletes from the first to the last, dependants first.
DEMO_MODELS: list[type[DemoFlagged]] = [
    ProgressUpdate,
    Measurement,
    Milestone,
    Target,
    Project,
    Programme,
    Sector,
    Source,
    Organisation,
]


class Follower(models.Model):
    """A reader who asked for e-mail when something they follow is published, without an
    account (tracker/followers.py, tracker/public/following.py).

    Only what sending needs is kept: the address, the language and frequency chosen,
    what is followed (Follow), the secret token of the links in each message, when it
    was asked for (an address never confirmed is erased after a few days) and confirmed,
    and for a weekly digest how far the last one went. No IP address, no browser, no
    history of what was sent. Unsubscribing deletes the row and its follows."""

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", _("At once: one e-mail each time something is published")
        WEEKLY = "weekly", _("Weekly: one e-mail a week, if anything was published")

    email = models.EmailField(_("e-mail address"), max_length=254)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    frequency = models.CharField(
        _("how often"), max_length=10, choices=Frequency, default=Frequency.IMMEDIATE
    )
    # The secret of every link the follower is sent (manage, unsubscribe; confirmation
    # links carry it signed, with an expiry). Random, never derived from the address.
    token = models.CharField(_("token"), max_length=64, unique=True, editable=False)
    requested_at = models.DateTimeField(_("asked for"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    digest_through = models.DateTimeField(
        _("weekly digest sent up to"),
        null=True,
        blank=True,
        help_text=_("What was published before this time was in an earlier digest."),
    )

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="follower_email_unique_any_case"),
        ]

    def __str__(self) -> str:
        return self.email


class Follow(models.Model):
    """One programme, project or target a follower follows (exactly one of the three)."""

    follower = models.ForeignKey(
        Follower, verbose_name=_("follower"), on_delete=models.CASCADE, related_name="follows"
    )
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, null=True, blank=True
    )
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, null=True, blank=True
    )
    target = models.ForeignKey(
        Target, verbose_name=_("target"), on_delete=models.CASCADE, null=True, blank=True
    )

    KINDS = ("programme", "project", "target")

    class Meta:
        verbose_name = _("followed record")
        verbose_name_plural = _("followed records")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(programme__isnull=False, project__isnull=True, target__isnull=True)
                    | Q(programme__isnull=True, project__isnull=False, target__isnull=True)
                    | Q(programme__isnull=True, project__isnull=True, target__isnull=False)
                ),
                name="follow_one_record",
            ),
            models.UniqueConstraint(fields=["follower", "programme"], name="follow_programme_once"),
            models.UniqueConstraint(fields=["follower", "project"], name="follow_project_once"),
            models.UniqueConstraint(fields=["follower", "target"], name="follow_target_once"),
        ]

    def __str__(self) -> str:
        return str(self.record)

    @property
    def record(self) -> Programme | Project | Target:
        return self.programme or self.project or self.target  # type: ignore[return-value]

    @property
    def kind(self) -> str:
        return next(kind for kind in self.KINDS if getattr(self, f"{kind}_id"))


class OutgoingMessage(models.Model):
    """An e-mail waiting to be sent, being sent, sent or given up on (tracker.ops.mail).

    Written in the transaction of whatever caused it, so that a step and its message
    are kept or lost together; a worker sends it afterwards. `key` names the message:
    the same key queued twice is one message. The Message-ID is fixed when the message
    is queued, so a message sent again after a worker died mid-send is recognisable."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    key = models.CharField(_("key"), max_length=200, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=255)
    from_email = models.TextField(_("from"))
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list)
    bcc = models.JSONField(_("bcc"), default=list)
    reply_to = models.JSONField(_("reply to"), default=list)
    subject = models.TextField(_("subject"))
    body = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When it may next be tried: at once when queued, the retry time after a failure,
    # and while it is being sent the end of the sender's lease.
    due_at = models.DateTimeField(_("due at"), default=timezone.now)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mail")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "due_at"], name="outgoing_state_due")]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"


def programme_id_of(record: models.Model) -> int | None:
    """The programme a record belongs to (its id), or None for a record of no one
    programme (a sector, a source, an organisation, a group). One rule for the page
    cache (whose pages to replace) and the stored statuses (whose to recompute): a
    programme is its own; a measurement is its target's; any other record has its
    programme. A historical record (django-simple-history) belongs where its record does."""
    model = getattr(type(record), "instance_type", type(record))
    if issubclass(model, Programme):
        return record.id  # type: ignore[attr-defined]
    names = {field.name for field in record._meta.concrete_fields}
    if "programme" in names:
        return record.programme_id  # type: ignore[attr-defined]
    target_id = getattr(record, "target_id", None) if "target" in names else None
    if target_id is None:
        return None
    if issubclass(model, Measurement) and Measurement.target.is_cached(record):
        return record.target.programme_id  # type: ignore[attr-defined]
    return Target.objects.filter(pk=target_id).values_list("programme_id", flat=True).first()
