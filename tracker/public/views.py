import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Max,
    Prefetch,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse, translate_url
from django.utils import timezone, translation
from django.utils.formats import date_format, localize
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from tracker import prepared, progress, revisions, status, stored
from tracker.formatting import format_axis_value, unit_label
from tracker.models import (
    Measurement,
    Milestone,
    MilestoneQuerySet,
    Organisation,
    Programme,
    ProgrammeGroup,
    ProgressUpdate,
    Project,
    Rating,
    Sector,
    Source,
    Target,
)
from tracker.opendata import downloads
from tracker.public import charts, search
from tracker.public.files import attach_files, has_files
from tracker.public.filters import MilestoneFilter
from tracker.public.tables import ChangeTable, MeasurementTable, MilestoneTable, ProjectTable

DUE_SOON = dt.timedelta(days=90)
# The dashboard shows the first few of a list; the milestones table has them all.
DASHBOARD_LIST = 10
# Rows a reader may ask a table page for (?per_page=); more is a download's job.
MAX_PER_PAGE = 100


def refused(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def export_or_none(request: HttpRequest, table, name: str) -> HttpResponse | None:
    """The table, every row in its order with the filters applied, as a download when
    ?_export=csv|xlsx|json asks for one, with the columns its `download_fields` name
    (see tracker.opendata.downloads)."""
    fmt = request.GET.get("_export")
    if fmt is None:
        return None
    if fmt not in downloads.FORMATS:
        return refused(_("Downloads come as csv, xlsx or json."))
    records = [row.record for row in table.rows]
    return downloads.table_response(
        fmt, table.download_fields, records, f"{name}.{fmt}", request=request
    )


def per_page_refused(request: HttpRequest) -> HttpResponse | None:
    """A message instead of the page when ?per_page= is not a row count we serve."""
    value = request.GET.get("per_page")
    if value is None:
        return None
    try:
        if 1 <= int(value) <= MAX_PER_PAGE:
            return None
    except ValueError:
        pass
    return refused(
        _("per_page must be a whole number from 1 to %(most)d.") % {"most": MAX_PER_PAGE}
    )


class BoundedPagingMixin:
    """Table pages answer an impossible or enormous ?per_page= with a message."""

    def dispatch(self, request, *args, **kwargs):
        return per_page_refused(request) or super().dispatch(request, *args, **kwargs)  # type: ignore[misc]  # mixin


def badge_context(request: HttpRequest, badge: str, alt: Callable[[], str]) -> dict:
    """A badge and the code to embed it, in every language: each code names its
    language in the badge's address (?lang=) and links to the page in that language,
    with absolute addresses for other sites. `alt` gives the text in the active language."""
    embeds = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            text = alt()
        address = f"{badge}?{urlencode({'lang': code})}"
        embeds.append(
            {
                "code": code,
                "language": translation.get_language_info(code)["name_translated"],
                "badge": address,
                "alt": text,
                "badge_url": request.build_absolute_uri(address),
                "page_url": request.build_absolute_uri(translate_url(request.path, code)),
                "current": code == translation.get_language(),
            }
        )
    return {"embeds": embeds}


class ExportableDetailMixin:
    """A detail page whose main table can be downloaded with the filters applied."""

    export_table_key = "projects_table"
    request: HttpRequest  # the view's it is mixed into

    def render_to_response(self, context, **kwargs):
        name = f"{context['programme'].slug}-{self.export_name}"  # type: ignore[attr-defined]
        exported = export_or_none(self.request, context[self.export_table_key], name)
        return exported or super().render_to_response(context, **kwargs)  # type: ignore[misc]


def home(request: HttpRequest) -> HttpResponseBase:
    """The programme list, or straight to the programme when there is only one."""
    slugs = list(Programme.objects.published().values_list("slug", flat=True)[:2])
    if len(slugs) == 1:
        return redirect("tracker:programme-detail", programme=slugs[0])
    return ProgrammeListView.as_view()(request)


def target_chart(item: status.TargetAssessment, today: dt.date, original=None):
    """The chart of one assessed target, with values formatted for the axis."""
    target = item.target
    return charts.target_chart(
        baseline=target.baseline,
        target=target.target_value,
        due=target.due_on,
        due_earliest=target.due_earliest,
        measurements=item.series,
        forecast_on=item.final.forecast_on,
        today=today,
        original=original,
        format_value=lambda value: format_axis_value(value, target),
        format_date=lambda on: date_format(on, "SHORT_DATE_FORMAT"),
        y_label=unit_label(target),
        steps=target.kind == Target.Kind.COUNT,
    )


def page_updates(
    programme: Programme,
    project: Project | None = None,
    limit: int | None = None,
    listed: Sequence[Project] = (),
) -> list[ProgressUpdate]:
    """The published updates of a programme's page (or of one of its projects'), the
    newest `limit`, with their photos flag, each given the page's programme and project
    rather than reading them again with every update; `listed`: the programme's projects
    the page read, given to its updates rather than joined (the join made the database
    read every project of the site)."""
    scope, key = ("project", project.pk) if project is not None else ("programme", programme.pk)
    updates = _updates_of(scope, limit)(key)
    projects = {p.pk: p for p in ([project] if project is not None else listed)}
    for update in updates:
        if update.programme_id == programme.pk:
            update.programme = programme
        if update.project_id in projects:
            update.project = projects[update.project_id]
        if update.project is not None and update.project.programme_id == programme.pk:
            update.project.programme = programme
    return updates


@functools.cache
def _updates_of(scope: str, limit: int | None) -> prepared.Prepared:
    """The published updates of a programme or a project (`scope`), newest first, the
    newest `limit`, with their photos flag: no related record joined, their SQL built
    once."""

    def build(given: prepared.StandIn):
        updates = (
            ProgressUpdate.objects.published()
            .annotate(has_files=has_files("update"))
            .select_related(None)
            .filter(**{scope: given.key()})
        )
        return updates[:limit] if limit is not None else updates

    return prepared.Prepared(build)


class ProgrammeListView(ListView):
    template_name = "tracker/programme_list.html"
    context_object_name = "programmes"
    paginate_by = 50

    def get_queryset(self):
        return Programme.objects.published().with_stored().order_by("is_demo", "name")

    def get_context_data(self, **kwargs):
        context = stored.fresh(
            lambda: super(ProgrammeListView, self).get_context_data(**kwargs),
            lambda context: context["programmes"],
        )
        for programme in context["programmes"]:
            programme.verdict = status.programme_verdict(programme)
        context["groups"] = ProgrammeGroup.objects.published().order_by("name", "pk")
        return context


# A programme's sources, oldest first, with their files flag.
_programme_sources = prepared.Prepared(
    lambda given: (
        Source.objects.filter(programme=given.key())
        .order_by("published_on", "pk")
        .annotate(has_files=has_files("source"))
    )
)


class ProgrammeDetailView(BoundedPagingMixin, ExportableDetailMixin, DetailView):
    """The dashboard: headline targets, projects, milestones due and overdue, updates."""

    export_name = "projects"

    template_name = "tracker/programme_detail.html"
    context_object_name = "programme"
    slug_url_kwarg = "programme"

    def get_object(self, queryset=None):
        fetch = super().get_object
        return stored.fresh(lambda: fetch(queryset), lambda programme: [programme])

    def get_queryset(self):
        return (
            Programme.objects.published()
            .select_related("designated_by", "host")
            .with_stored(points=True)
            .prefetch_related(
                Prefetch(
                    "projects",
                    queryset=Project.objects.select_related("sector").order_by("name", "pk"),
                    to_attr="listed_projects",
                ),
                Prefetch(
                    "milestones",
                    queryset=Milestone.objects.published()
                    .filter(project__isnull=True)
                    .with_slippage()
                    .select_related("evidence"),
                    to_attr="programme_milestones",
                ),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        programme, today = self.object, timezone.localdate()
        projects = programme.listed_projects
        headline = status.stored_headline(programme)
        filtered = Filtered.read(self.request, programme)
        table = ProjectTable(filtered.projects(projects), order_by="name")
        RequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        updates = page_updates(programme, limit=5, listed=projects)
        sources = _programme_sources(programme.pk)
        attach_files(sources=sources, updates=updates)
        due = DueMilestones.read(programme, projects, today)
        stamps = [programme.updated_at, *(p.updated_at for p in projects)]
        stamps += [u.updated_at for u in updates] + [item.target.updated_at for item in headline]
        stamps += [due.latest] if due.latest else []
        context.update(
            {
                "verdict": status.programme_verdict(programme),
                "headline": filtered.targets(headline),
                "filtered": filtered,
                "charts": {item.target.pk: target_chart(item, today) for item in headline},
                "project_count": len(projects),
                "projects_table": table,
                "overdue": due.overdue,
                "overdue_count": due.overdue_count,
                "due_soon": due.due_soon,
                "due_soon_count": due.due_soon_count,
                "dashboard_list_length": DASHBOARD_LIST,
                "updates": updates,
                "withdrawn": [t for t in programme.headline_targets if t.withdrawn_on],
                "sectors": sorted(
                    {p.sector for p in projects if p.sector}, key=lambda sector: sector.name
                ),
                "last_updated": max(stamps),
                "related": related(programme),
                "sources": sources,
            }
        )
        context["programme"] = programme
        return context


@dataclass
class DueMilestones:
    """The dashboard's milestones overdue and due soon: the first DASHBOARD_LIST of each
    and how many there are, and when any milestone of the programme last changed."""

    overdue: list[Milestone]
    overdue_count: int
    due_soon: list[Milestone]
    due_soon_count: int
    latest: dt.datetime | None

    OVERDUE, DUE_SOON, OTHER = 1, 2, 3

    @classmethod
    def read(cls, programme: Programme, listed: list[Project], today: dt.date) -> "DueMilestones":
        """In one query: each milestone is put in its list (or in neither), numbered in
        it and counted by the database, which returns only the first of each list. Each
        is given the page's programme and its project from those the page read
        (`listed`), not read again with every milestone."""
        rows = due_milestones(programme.pk, today, today + DUE_SOON)
        projects = {project.pk: project for project in listed}
        lists: dict[int, list[Milestone]] = {cls.OVERDUE: [], cls.DUE_SOON: []}
        for milestone in rows:
            milestone.programme = programme
            if milestone.project_id in projects:
                milestone.project = projects[milestone.project_id]
            if milestone.which in lists:
                lists[milestone.which].append(milestone)

        def count(shown: list[Milestone]) -> int:
            return getattr(shown[0], "in_list") if shown else 0  # noqa: B009  # annotated

        return cls(
            overdue=lists[cls.OVERDUE],
            overdue_count=count(lists[cls.OVERDUE]),
            due_soon=lists[cls.DUE_SOON],
            due_soon_count=count(lists[cls.DUE_SOON]),
            latest=rows[0].latest if rows else None,
        )


def _due_milestones(given: prepared.StandIn):
    """DueMilestones.read's query: a programme's milestones, each in its list (overdue,
    due soon, other), numbered in it and counted; the first of each list, one of the
    others (for `latest`, when any milestone last changed)."""
    programme, today, until = given.key(), given.date(), given.date()
    which = Case(
        When(MilestoneQuerySet.overdue_q(today), then=Value(DueMilestones.OVERDUE)),
        When(MilestoneQuerySet.due_by_q(today, until), then=Value(DueMilestones.DUE_SOON)),
        default=Value(DueMilestones.OTHER),
        output_field=IntegerField(),
    )
    return (
        Milestone.objects.published()
        .filter(programme=programme)
        .with_slippage()
        .annotate(which=which)
        .annotate(
            place=Window(
                RowNumber(), partition_by=[F("which")], order_by=[F("planned_on"), F("pk")]
            ),
            in_list=Window(Count("pk"), partition_by=[F("which")]),
            latest=Window(Max("updated_at"), partition_by=[]),
        )
        .filter(
            place__lte=Case(
                When(which=DueMilestones.OTHER, then=Value(1)), default=Value(DASHBOARD_LIST)
            )
        )
        .order_by("which", "planned_on", "pk")
    )


due_milestones = prepared.Prepared(_due_milestones)


@dataclass(frozen=True)
class Filtered:
    """What the status summary's links ask the programme page to show: its targets in
    one status (?status=), its projects with one computed rating (?rating=, "unknown"
    for none), of one sector (?sector=) or led by one organisation (?lead=)."""

    target_status: str = ""
    rating: str | None = None
    sector: str = ""
    lead_projects: frozenset[int] | None = None
    described: tuple[str, ...] = ()

    @property
    def status_described(self) -> tuple[str, ...]:
        return (progress.Status(self.target_status).label,) if self.target_status else ()

    @classmethod
    def read(cls, request: HttpRequest, programme: Programme) -> "Filtered":
        chosen = request.GET
        described = []
        shown_status = chosen.get("status", "")
        if shown_status not in progress.Status:
            shown_status = ""
        rating = chosen.get("rating")
        if rating in (*progress.RATINGS, "unknown"):
            rating = "" if rating == "unknown" else rating
            described.append(status.rating_text(rating))
        else:
            rating = None
        sector = chosen.get("sector", "")
        if sector:
            found = Sector.objects.filter(slug=sector).first()
            described.append(found.name if found else sector)
        lead, lead_projects = chosen.get("lead", ""), None
        if lead.isdigit():
            # One query: the projects the organisation leads here, with its name.
            led = Project.lead_organisations.through.objects.filter(
                organisation_id=lead, project__programme=programme
            ).values_list("project_id", "organisation__name")
            lead_projects = frozenset(project for project, _name in led)
            described.append(next((name for _project, name in led), lead))
        return cls(shown_status, rating, sector, lead_projects, tuple(described))

    def targets(self, items: list[status.TargetAssessment]) -> list[status.TargetAssessment]:
        wanted = self.target_status
        return [item for item in items if not wanted or item.final.status == wanted]

    def projects(self, projects: list[Project]) -> list[Project]:
        """The projects shown, by their stored computed rating (tracker.stored)."""
        return [
            project
            for project in projects
            if (self.rating is None or project.computed_rating == self.rating)
            and (not self.sector or (project.sector and project.sector.slug == self.sector))
            and (self.lead_projects is None or project.pk in self.lead_projects)
        ]


@dataclass(frozen=True)
class Link:
    name: str
    url: str


def related(programme: Programme) -> dict[str, list[Link]]:
    """The programme's sectors, the groups that compare it and the other programmes of
    its host ("also pledged by this host"), read in one query whatever their number."""
    connection = connections[DEFAULT_DB_ALIAS]
    sql, params = related_query(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [programme.pk if p == RELATED_ANY else p for p in params])
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    urls = {
        "sectors": lambda slug: "",
        "groups": lambda slug: reverse("tracker:group-detail", args=[slug]),
        "same_host": lambda slug: reverse("tracker:programme-detail", args=[slug]),
    }
    chinese = (get_language() or "").startswith("zh")
    found: dict[str, list[Link]] = {kind: [] for kind in urls}
    for row in rows:
        name = (row["name_zh_hans"] if chinese else "") or row["name_en"]
        found[row["kind"]].append(Link(name=name, url=urls[row["kind"]](row["slug"])))
    for links in found.values():
        links.sort(key=lambda link: link.name)
    return found


# Stands for the programme's key while `related_query` is built.
RELATED_ANY = -(2**31) + 17


@functools.cache
def related_query(vendor: str) -> tuple[str, tuple]:
    """The SQL of `related`, built once per database (of `vendor`): building three
    querysets and their union cost several times what running it does."""
    fields = ("slug", "name_en", "name_zh_hans")

    def rows(kind: str, queryset):
        kept = queryset.order_by().annotate(kind=Value(kind, output_field=CharField()))
        return kept.values_list("kind", *fields)

    union = (
        rows("sectors", Sector.objects.filter(programmes=RELATED_ANY))
        .union(
            rows("groups", ProgrammeGroup.objects.filter(programmes=RELATED_ANY)),
            # The other programmes of its host (none when no host is named).
            rows(
                "same_host",
                Programme.objects.filter(host__hosted_programmes=RELATED_ANY).exclude(
                    pk=RELATED_ANY
                ),
            ),
            all=True,
        )
        .order_by()
    )
    sql, params = union.query.get_compiler(DEFAULT_DB_ALIAS).as_sql()
    return sql, tuple(params)


def programme_or_404(slug: str) -> Programme:
    return get_object_or_404(Programme.objects.published(), slug=slug)


def _project_milestones_query(given: prepared.StandIn):
    """A project's published milestones with their first planned dates, by planned
    date then title."""
    return (
        Milestone.objects.published()
        .filter(project=given.key())
        .with_slippage()
        .order_by("planned_on", "title")
    )


_project_milestones = prepared.Prepared(_project_milestones_query)
# A project's lead organisations, and its sources with their files flag, in the order
# of their models (by name; newest first).
_project_leads = prepared.Prepared(
    lambda given: Organisation.objects.filter(led_projects=given.key())
)
_project_sources = prepared.Prepared(
    lambda given: Source.objects.filter(project=given.key()).annotate(has_files=has_files("source"))
)


class ProjectDetailView(DetailView):
    template_name = "tracker/project_detail.html"
    context_object_name = "project"

    def get_object(self, queryset=None):
        return stored.fresh(self.fetch, lambda project: [project.programme])

    def fetch(self) -> Project:
        return get_object_or_404(
            Project.objects.published()
            .select_related("programme", "sector")
            .prefetch_related(
                # Targets are given the project's programme below: not joined again.
                Prefetch("targets", queryset=Target.objects.with_points().select_related(None)),
            ),
            programme__slug=self.kwargs["programme"],
            slug=self.kwargs["project"],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        project, today = self.object, timezone.localdate()
        updates = page_updates(project.programme, project)
        sources = _project_sources(project.pk)
        attach_files(sources=sources, updates=updates)
        milestones = _project_milestones(project.pk)
        for milestone in milestones:
            milestone.project = project
        for record in [*project.targets.all(), *milestones]:
            record.programme = project.programme
        assessed = status.stored_current(project.targets.all())
        context.update(
            {
                "programme": project.programme,
                "computed_rating": project.computed_rating,
                "verdict": status.project_verdict(project, assessed),
                "milestone_progress": status.stored_milestone_progress(project),
                "assessed": assessed,
                "withdrawn": [t for t in project.targets.all() if t.withdrawn_on],
                "charts": {item.target.pk: target_chart(item, today) for item in assessed},
                "milestones": milestones,
                "lead_organisations": _project_leads(project.pk),
                "sources": sources,
                "today": today,
                "updates": updates,
                "changes": revisions.programme_changes(
                    project.programme,
                    project=project,
                    limit=20,
                    updates=updates,
                    targets=project.targets.all(),
                ),
                **badge_context(
                    self.request,
                    reverse("project-badge", args=[project.programme.slug, project.slug]),
                    lambda: _("Computed rating of %(name)s") % {"name": project.name},
                ),
            }
        )
        return context


class TargetDetailView(ExportableDetailMixin, DetailView):
    template_name = "tracker/target_detail.html"
    export_table_key = "measurements_table"

    @property
    def export_name(self) -> str:
        return f"target-{self.object.pk}"

    context_object_name = "target"

    def get_object(self, queryset=None):
        fetch = super().get_object
        return stored.fresh(lambda: fetch(queryset), lambda target: [target.programme])

    def get_queryset(self):
        return (
            Target.objects.published()
            .filter(programme__slug=self.kwargs["programme"])
            .select_related("programme", "project", "reported_equivalent_source")
            .prefetch_related(
                Prefetch(
                    "measurements",
                    queryset=Measurement.objects.published()
                    .order_by("as_of", "pk")
                    .select_related("source"),
                ),
                "sources",
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        target, today = self.object, timezone.localdate()
        item = status.stored(target)
        first = target.history.order_by("history_date", "history_id").first()
        original = (first.target_value, first.due_on) if first else None
        revised = original is not None and original != (target.target_value, target.due_on)
        # Files only for the sources cited once each: not for the source of every one
        # of hundreds of measurements (prefetched, a queryset each).
        cited = cited_sources(target)
        attach_files(sources=cited)
        context.update(
            {
                "programme": target.programme,
                "item": item,
                "verdict": status.target_verdict(item),
                "chart": target_chart(item, today, original if revised else None),
                "original": original if revised else None,
                # A roll-up's totals up to today: none later, none invented before.
                "series": item.known,
                "project_count": target.programme.projects_total,
                "measurements": sorted(
                    target.measurements.all(), key=lambda m: m.as_of, reverse=True
                ),
                "measurements_table": MeasurementTable(
                    sorted(target.measurements.all(), key=lambda m: m.as_of)
                ),
                "cited_sources": cited,
                **badge_context(
                    self.request,
                    reverse("target-badge", args=[target.programme.slug, target.pk]),
                    lambda: _("Status of %(name)s") % {"name": target.title},
                ),
                "not_at_current_rate": item.not_at_current_rate,
            }
        )
        return context


def cited_sources(target: Target) -> list[Source]:
    """The target's sources, then those of its measurements: each figure on the page
    with its source and quotation."""
    sources = list(target.sources.all())
    for measurement in sorted(target.measurements.all(), key=lambda m: (m.as_of, m.pk)):
        if measurement.source and measurement.source not in sources:
            sources.append(measurement.source)
    return sources


class MilestoneDetailView(DetailView):
    template_name = "tracker/milestone_detail.html"
    context_object_name = "milestone"

    def get_queryset(self):
        return (
            Milestone.objects.published()
            .filter(programme__slug=self.kwargs["programme"])
            .with_slippage()
            .select_related("programme", "project", "evidence")
            .prefetch_related("evidence__files", "photos")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        milestone = self.object
        context.update(
            {
                "programme": milestone.programme,
                "project": milestone.project,
                "history": revisions.milestone_changes(milestone),
                "updates": ProgressUpdate.objects.published()
                .with_photos()
                .filter(milestones=milestone),
            }
        )
        return context


class MilestoneListView(BoundedPagingMixin, SingleTableMixin, FilterView):
    """Every milestone of a programme, filtered, sorted and paginated from the URL."""

    template_name = "tracker/milestone_list.html"
    table_class = MilestoneTable
    filterset_class = MilestoneFilter
    paginate_by = 50

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["programme"] = self.programme
        return kwargs

    def dispatch(self, request, *args, **kwargs):
        self.programme = programme_or_404(kwargs["programme"])
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        # Read through the programme: each milestone is given it, not joined again
        # (its project's programme, the same one, is joined for the project's address).
        return (
            self.programme.milestones.published()  # type: ignore[attr-defined]  # MilestoneQuerySet's
            .with_slippage()
            .select_related("project__programme")
            .order_by("planned_on", "pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["programme"] = self.programme
        return context

    def render_to_response(self, context, **kwargs):
        # The download holds every filtered row, not only the page shown.
        name = f"{self.programme.slug}-milestones"
        exported = export_or_none(self.request, context["table"], name)
        return exported or super().render_to_response(context, **kwargs)


class SectorDetailView(BoundedPagingMixin, ExportableDetailMixin, DetailView):
    template_name = "tracker/sector_detail.html"

    @property
    def export_name(self) -> str:
        return f"sector-{self.object.slug}"

    context_object_name = "sector"
    slug_url_kwarg = "sector"
    queryset = Sector.objects.all()

    def dispatch(self, request, *args, **kwargs):
        self.programme = stored.fresh(
            lambda: programme_or_404(kwargs["programme"]), lambda programme: [programme]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        projects = list(
            Project.objects.published()
            .filter(programme=self.programme, sector=self.object)
            .select_related("programme", "sector")
        )
        table = ProjectTable(projects, order_by="name")
        RequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        context.update({"programme": self.programme, "projects_table": table})
        return context


@dataclass
class GroupRow:
    """One programme of a group, as its own page assesses it."""

    programme: Programme
    headline: list[status.TargetAssessment]
    verdict: list[tuple[progress.Status, int]]
    measurement_count: int
    latest_as_of: dt.date | None
    last_updated: dt.datetime
    unmeasured: int
    project_count: int


class GroupDetailView(DetailView):
    """A family of programmes side by side: designation, pledged targets with their
    status, published figures, last update and gaps."""

    template_name = "tracker/group_detail.html"
    context_object_name = "group"
    slug_url_kwarg = "group"

    def get_queryset(self):
        return ProgrammeGroup.objects.published()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        listed = (
            self.object.programmes.select_related("designated_by", "host")
            .with_stored()
            .prefetch_related("sectors")
            .order_by("is_demo", "name", "pk")
        )
        # A page of programmes at a time, as the status summary.
        page_obj = Paginator(listed, SUMMARY_PER_PAGE).get_page(self.request.GET.get("page"))
        first, last = max(page_obj.start_index() - 1, 0), page_obj.end_index()
        programmes = stored.fresh(lambda: list(listed[first:last]), lambda programmes: programmes)
        context["page_obj"] = page_obj
        # By target, then added up by programme: grouped by programme through a join,
        # the planner read every target of the site to find the page's.
        programme_of = dict(
            Target.objects.filter(programme__in=[p.pk for p in programmes]).values_list(
                "pk", "programme_id"
            )
        )
        figures: dict[int, dict] = {}
        for row in (
            Measurement.objects.published()
            .filter(target__in=list(programme_of))
            .values("target")
            .annotate(count=Count("pk"), latest=Max("as_of"), updated=Max("updated_at"))
            .order_by()
        ):
            found = figures.setdefault(programme_of[row["target"]], {"count": 0})
            found["count"] += row["count"]
            for key in ("latest", "updated"):
                if row[key] is not None and (found.get(key) is None or row[key] > found[key]):
                    found[key] = row[key]
        rows = []
        for programme in programmes:
            headline = status.stored_headline(programme)
            found = figures.get(programme.pk, {})
            stamps = [programme.updated_at, *(item.target.updated_at for item in headline)]
            stamps += [found["updated"]] if found else []
            rows.append(
                GroupRow(
                    programme=programme,
                    headline=headline,
                    verdict=status.counts(headline),
                    measurement_count=found.get("count", 0),
                    latest_as_of=found.get("latest"),
                    last_updated=max(stamps),
                    unmeasured=sum(1 for item in headline if item.final.actual is None),
                    project_count=programme.projects_total,
                )
            )
        context["rows"] = rows
        return context


def changes(request: HttpRequest, programme: str) -> HttpResponse:
    """What changed: new and withdrawn records, completions, published measurements and
    updates, and every revision, newest first; ?kind= keeps one kind of change."""
    shown = programme_or_404(programme)
    kind = request.GET.get("kind", "")
    context: dict[str, object] = {"programme": shown, "kinds": revisions.KINDS, "kind": kind}
    if kind and kind not in revisions.KINDS:
        context["kind"] = ""
        context["message"] = _("“%(kind)s” is not a kind of change; choose one from the list.") % {
            "kind": kind[:40]
        }
        return render(request, "tracker/change_list.html", context, status=400)
    if "_export" in request.GET:  # the download holds every change
        changes = revisions.programme_changes(shown, kind=kind)
        exported = export_or_none(request, ChangeTable(changes), f"{shown.slug}-changes")
        if exported:
            return exported
    # A page read at a time (revisions.ChangeLog), not every change of the programme.
    log = revisions.ChangeLog(shown, kind=kind)
    context["page_obj"] = Paginator(log, 50).get_page(request.GET.get("page"))
    context["kind_query"] = urlencode({"kind": kind}) if kind else ""
    return render(request, "tracker/change_list.html", context)


# Programmes per page of the status summary and of a group's comparison.
SUMMARY_PER_PAGE = 50


def status_summary(request: HttpRequest) -> HttpResponse:
    """How many targets are in each status and how many projects have each rating,
    per programme, per sector and per lead organisation within a programme; each count
    links to the programme page filtered to what it counts. A page of programmes at a
    time (SUMMARY_PER_PAGE), so that a page costs the same however many there are."""
    listed = (
        Programme.objects.published()
        .prefetch_related(
            Prefetch(
                "projects",
                queryset=Project.objects.select_related("sector")
                .only("pk", "programme_id", "computed_rating", "sector")
                .order_by("name", "pk"),
                to_attr="listed_projects",
            ),
        )
        .order_by("is_demo", "name", "pk")
    )
    page_obj = Paginator(listed, SUMMARY_PER_PAGE).get_page(request.GET.get("page"))
    # Sliced afresh on each call: `fresh` reads the page again once recomputed.
    first, last = max(page_obj.start_index() - 1, 0), page_obj.end_index()
    programmes = stored.fresh(lambda: list(listed[first:last]), lambda programmes: programmes)
    # The page's projects' lead organisations, in one query over the link table (a
    # prefetch through each project's own manager cost more than the query).
    lead_of: dict[int, list[Organisation]] = {}
    shown = [project.pk for programme in programmes for project in programme.listed_projects]
    links = Project.lead_organisations.through.objects.filter(project__in=shown)
    links = links.select_related("organisation")
    for link in links.order_by("organisation__name", "organisation__pk"):
        lead_of.setdefault(link.project_id, []).append(link.organisation)
    targets, projects, sectors, leads = [], [], [], []
    for programme in programmes:
        own = programme.listed_projects
        targets.append(status.SummaryRow(programme, programme.name, programme.target_counts, {}))
        projects.append(status.SummaryRow(programme, programme.name, programme.rating_counts, {}))
        by_sector: dict[Sector, list[Project]] = {}
        by_lead: dict[Organisation, list[Project]] = {}
        for project in own:
            if project.sector:
                by_sector.setdefault(project.sector, []).append(project)
            for organisation in lead_of.get(project.pk, ()):
                by_lead.setdefault(organisation, []).append(project)
        sectors += [
            status.SummaryRow(programme, sector.name, ratings_of(group), {"sector": sector.slug})
            for sector, group in sorted(by_sector.items(), key=lambda pair: pair[0].name)
        ]
        leads += [
            status.SummaryRow(
                programme,
                organisation.name,
                ratings_of(group),
                {"lead": str(organisation.pk)},
            )
            for organisation, group in sorted(by_lead.items(), key=lambda pair: pair[0].name)
        ]
    return render(
        request,
        "tracker/status_summary.html",
        {
            "page_obj": page_obj,
            "statuses": list(progress.Status),
            "ratings": [status.rating_text(rating) for rating in status.RATINGS],
            "targets": summary_cells(targets, "status", "targets-heading"),
            "projects": summary_cells(projects, "rating", "projects-heading"),
            "sectors": summary_cells(sectors, "rating", "projects-heading"),
            "leads": summary_cells(leads, "rating", "projects-heading"),
        },
    )


def ratings_of(projects: list[Project]) -> dict[str, int]:
    """How many of the projects have each stored computed rating."""
    return status.rating_counts(project.computed_rating for project in projects)


def summary_cells(rows: list[status.SummaryRow], key: str, anchor: str) -> list[dict]:
    """Each row with its programme's address and its counts, each linked to the
    programme page filtered to what it counts (a count of none is not linked: there is
    nothing to show). Each programme's address is made once, not once a cell."""
    addresses: dict[int, str] = {}
    # Thousands of cells a page: each part of an address is made once, and each cell's
    # markup here rather than through the template's tags.
    parts = {value: urlencode({key: value or "unknown"}) for row in rows for value in row.counted}
    lines = []
    for row in rows:
        programme = row.programme
        if programme.pk not in addresses:
            addresses[programme.pk] = programme.get_absolute_url()
        url = addresses[programme.pk]
        fixed = f"{url}?{urlencode(row.query)}&" if row.query else f"{url}?"
        cells = [
            format_html('<a href="{}">{}</a>', f"{fixed}{parts[value]}#{anchor}", localize(count))
            if count
            else "0"
            for value, count in row.counted.items()
        ]
        lines.append({"row": row, "url": url, "cells": cells})
    return lines


def methodology(request: HttpRequest) -> HttpResponse:
    """How status is computed, with the thresholds read from the rules themselves."""
    return render(
        request,
        "tracker/methodology.html",
        {
            "thresholds": progress.THRESHOLDS,
            "labels": {verdict.value: verdict.label for verdict in progress.Status},
            "ratings": {rating.value: rating.label for rating in Rating},
            "stale_days": progress.DEFAULT_STALE_AFTER.days,
        },
    )


def search_page(request: HttpRequest) -> HttpResponse:
    """One search box over the public record; results grouped by kind (search.py)."""
    query = search.clean_query(request.GET.get("q", ""))
    context: dict[str, object] = {"search_query": query}
    if len(query) > search.MAX_LENGTH:
        context["search_query"] = query[: search.MAX_LENGTH]
        context["message"] = _("Search for at most %(most)d characters.") % {
            "most": search.MAX_LENGTH
        }
        return render(request, "tracker/search.html", context, status=400)
    if query:
        context["groups"] = search.search(query)
    return render(request, "tracker/search.html", context)


def robots(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and feed readers ask for without being told: the
    site's SVG icon (its address carries a hash in production, so it is looked up now)."""
    response = redirect(static("tracker/favicon.svg"), permanent=False)
    response["Cache-Control"] = "public, max-age=86400"
    return response
