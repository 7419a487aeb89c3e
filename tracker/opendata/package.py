"""Download everything: one programme's public record as a zip of CSV files, one a
table, with a `datapackage.json` describing them in the Frictionless Data Package
format (https://specs.frictionlessdata.io/data-package/), so that a program can load
them with their types and links, and a reader can find what each column means.

Columns are named by their machine names, the same in every language; each coded
column has its label beside it (`status`, `status_label`), and the package gives each
column a title and a description in the page's language: the data dictionary. Text is
in the page's language. Only what the public pages show is included, read through the
same published querysets; the rules of tracker.opendata.downloads hold for every file.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from tracker import progress, status, stored
from tracker.models import (
    EvidenceFile,
    Measurement,
    Milestone,
    Programme,
    ProgressUpdate,
    Project,
    Source,
    Target,
)
from tracker.opendata import downloads
from tracker.opendata.downloads import Field, display, url


def _assessment(target: Target):
    if not hasattr(target, "_package_assessment"):
        target._package_assessment = status.stored(target).final  # type: ignore[attr-defined]
    return target._package_assessment  # type: ignore[attr-defined]


def _status_label(target: Target) -> str:
    return str(_assessment(target).status.label)


def _project_slug(record) -> str | None:
    return record.project.slug if record.project_id else None


def _organisation(name: str):
    def get(programme: Programme) -> str | None:
        organisation = getattr(programme, name)
        return organisation.name if organisation else None

    return get


def of(model, name: str, type: str = "string", **kwargs) -> Field:
    """A column titled as the model's field is, in the admin and the forms."""
    return Field(name, capfirst(model._meta.get_field(name).verbose_name), type, **kwargs)


# Each table's columns, in the order of its CSV file.

URL = Field("url", gettext_lazy("Address"), format="uri", get=url)

PROGRAMME = (
    Field("slug", gettext_lazy("Identifier")),
    Field("name", gettext_lazy("Programme")),
    of(Programme, "scheme"),
    of(Programme, "summary"),
    Field("pledge", gettext_lazy("The pledge")),
    Field("designated_by", gettext_lazy("Designated by"), get=_organisation("designated_by")),
    Field("host", gettext_lazy("Host"), get=_organisation("host")),
    Field("announced_on", gettext_lazy("Pledge announced"), "date"),
    of(Programme, "horizon_start", "date"),
    of(Programme, "horizon_end_earliest", "date"),
    of(Programme, "horizon_end_latest", "date"),
    of(Programme, "planned_project_count", "integer"),
    of(Programme, "is_demo", "boolean"),
    URL,
)

PROJECTS = (
    downloads.PROJECT_SLUG,
    downloads.PROJECT_NAME,
    of(Project, "summary"),
    downloads.SECTOR,
    downloads.LIFECYCLE,
    downloads.COMPUTED_RATING,
    downloads.DECLARED_RATING,
    of(Project, "declared_rating_reason"),
    of(Project, "identified_on", "date"),
    of(Project, "start_on", "date"),
    Field("due_on", gettext_lazy("Due"), "date"),
    URL,
)

TARGETS = (
    Field("id", gettext_lazy("Identifier"), "integer"),
    Field("project", gettext_lazy("Project"), get=_project_slug),
    Field("title", capfirst(Target._meta.verbose_name)),
    of(Target, "description"),
    of(Target, "kind", label=display("kind"), codes=Target.Kind.values),
    of(Target, "currency"),
    of(Target, "unit"),
    of(Target, "comparator", label=display("comparator"), codes=Target.Comparator.values),
    of(Target, "baseline_value", "number"),
    of(Target, "baseline_on", "date"),
    of(Target, "target_value", "number"),
    of(Target, "due_earliest", "date"),
    Field("due_on", gettext_lazy("Due"), "date"),
    of(Target, "rollup", label=display("rollup"), codes=Target.Rollup.values),
    Field(
        "status",
        gettext_lazy("Status"),
        get=lambda t: str(_assessment(t).status),
        label=_status_label,
        codes=[status.value for status in progress.Status],
    ),
    Field("actual", gettext_lazy("Current value"), "number", get=lambda t: _assessment(t).actual),
    Field(
        "actual_as_of",
        gettext_lazy("As of"),
        "date",
        get=lambda t: _assessment(t).as_of,
    ),
    of(Target, "withdrawn_on", "date"),
    of(Target, "withdrawal_reason"),
    URL,
)

MEASUREMENTS = (
    Field("id", gettext_lazy("Identifier"), "integer"),
    of(Measurement, "target", "integer", get=lambda m: m.target_id),
    Field("as_of", gettext_lazy("As of"), "date"),
    Field("value", gettext_lazy("Value"), "number"),
    Field("source", gettext_lazy("Source"), "integer", get=lambda m: m.source_id),
    Field("note", gettext_lazy("Note")),
)

MILESTONES = (
    Field("id", gettext_lazy("Identifier"), "integer"),
    Field("project", gettext_lazy("Project"), get=_project_slug),
    Field("title", gettext_lazy("Milestone")),
    of(Milestone, "description"),
    Field("planned_on", gettext_lazy("Planned for"), "date"),
    Field("forecast_on", gettext_lazy("Forecast for"), "date"),
    Field("completed_on", gettext_lazy("Completed on"), "date"),
    downloads.MILESTONE_STATUS,
    of(Milestone, "weight", "integer"),
    Field("evidence", gettext_lazy("Evidence"), "integer", get=lambda m: m.evidence_id),
    downloads.SLIPPAGE,
    of(Milestone, "withdrawn_on", "date"),
    of(Milestone, "withdrawal_reason"),
    URL,
)

SOURCES = (
    Field("id", gettext_lazy("Identifier"), "integer"),
    Field("title", gettext_lazy("Source")),
    of(Source, "publisher"),
    of(Source, "reference"),
    of(Source, "kind", label=display("kind"), codes=Source.Kind.values),
    Field("url", gettext_lazy("Address")),
    of(Source, "archived_url"),
    of(Source, "published_on", "date"),
    of(Source, "language"),
)

UPDATES = (
    Field("id", gettext_lazy("Identifier"), "integer"),
    Field("project", gettext_lazy("Project"), get=_project_slug),
    Field("title", capfirst(ProgressUpdate._meta.verbose_name)),
    of(ProgressUpdate, "body"),
    of(ProgressUpdate, "published_at", "datetime"),
    URL,
)

# The files themselves are not in the zip (a photo or a report may be large): each row
# gives the address to fetch it from and its SHA-256 to check it by.
FILES = (
    Field("id", gettext_lazy("Identifier"), "integer"),
    of(EvidenceFile, "kind", label=display("kind"), codes=EvidenceFile.Kind.values),
    Field("source", gettext_lazy("Source"), "integer", get=lambda f: f.source_id),
    Field("update", gettext_lazy("Progress update"), "integer", get=lambda f: f.update_id),
    Field("milestone", gettext_lazy("Milestone"), "integer", get=lambda f: f.milestone_id),
    of(EvidenceFile, "original_name"),
    of(EvidenceFile, "media_type"),
    of(EvidenceFile, "size", "integer"),
    of(EvidenceFile, "sha256"),
    of(EvidenceFile, "caption"),
    of(EvidenceFile, "alt_text"),
    of(EvidenceFile, "retrieved_from"),
    of(EvidenceFile, "retrieved_at", "datetime"),
    URL,
)


# The key a field of another table points to.
KEYS = {"projects": "slug", "targets": "id", "sources": "id", "milestones": "id", "updates": "id"}


@dataclasses.dataclass
class Table:
    name: str
    title: str
    fields: Sequence[Field]
    records: Iterable[Any]
    key: str
    # field -> the table whose key it holds
    links: dict[str, str] = dataclasses.field(default_factory=dict)


def tables(programme: Programme) -> list[Table]:
    """What the public pages show of the programme, table by table, in the order a
    reader meets them."""
    # Statuses as stored (tracker.stored), made current first.
    stored.make_fresh([programme])
    projects = (
        Project.objects.published()
        .filter(programme=programme)
        .select_related("programme", "sector")
        .order_by("slug", "pk")
    )
    targets = (
        Target.objects.published()
        .filter(programme=programme)
        .select_related("programme", "project")
        .order_by("due_on", "pk")
    )
    measurements = (
        Measurement.objects.published()
        .filter(target__programme=programme)
        .order_by("target_id", "as_of", "pk")
    )
    milestones = (
        Milestone.objects.published()
        .filter(programme=programme)
        .with_slippage()
        .select_related("programme", "project")
        .order_by("planned_on", "pk")
    )
    updates = (
        ProgressUpdate.objects.published()
        .filter(programme=programme)
        .select_related("programme", "project__programme")
        .order_by("published_at", "pk")
    )
    return [
        Table("programme", _("Programme"), PROGRAMME, [programme], "slug"),
        Table("projects", _("Projects"), PROJECTS, projects, "slug"),
        Table("targets", _("Targets"), TARGETS, targets, "id", {"project": "projects"}),
        Table(
            "measurements",
            str(capfirst(Measurement._meta.verbose_name_plural)),
            MEASUREMENTS,
            measurements,
            "id",
            {"target": "targets", "source": "sources"},
        ),
        Table(
            "milestones",
            _("Milestones"),
            MILESTONES,
            milestones,
            "id",
            {"project": "projects", "evidence": "sources"},
        ),
        Table("sources", _("Sources"), SOURCES, sources_of(programme), "id"),
        Table("updates", _("Progress updates"), UPDATES, updates, "id", {"project": "projects"}),
        Table(
            "files",
            str(capfirst(EvidenceFile._meta.verbose_name_plural)),
            FILES,
            files_of(programme),
            "id",
            {"source": "sources", "update": "updates", "milestone": "milestones"},
        ),
    ]


def files_of(programme: Programme):
    """The files of the programme's public record, as its pages show them: of the
    sources it cites, of its published updates and milestones (the package's files
    table and the API's)."""
    updates = ProgressUpdate.objects.published().filter(programme=programme)
    milestones = Milestone.objects.published().filter(programme=programme)
    return (
        EvidenceFile.objects.published()
        .filter(
            Q(source__in=sources_of(programme).values("pk"))
            | Q(update__in=updates.values("pk"))
            | Q(milestone__in=milestones.values("pk"))
        )
        .order_by("pk")
    )


def sources_of(programme: Programme):
    """The published sources the programme's public record cites."""
    cited = (
        Q(programme=programme)
        | Q(project__programme=programme)
        | Q(target__programme=programme)
        | Q(reported_equivalents__programme=programme)
        | Q(measurements__target__programme=programme)
        | Q(milestones__programme=programme)
        | Q(progressupdate__programme=programme, progressupdate__state="published")
    )
    return (
        Source.objects.published()
        .filter(pk__in=Source.objects.filter(cited).values("pk"))
        .order_by("pk")
    )


def schema_field(field: Field) -> dict[str, Any]:
    described: dict[str, Any] = {"name": field.name, "type": field.type, "title": str(field.title)}
    if field.format:
        described["format"] = field.format
    if field.codes is not None:
        described["constraints"] = {"enum": list(field.codes)}
    return described


def label_field(field: Field) -> dict[str, Any]:
    return {
        "name": f"{field.name}_label",
        "type": "string",
        "title": str(field.title),
        "description": _("The label of %(field)s in the language of the download.")
        % {"field": field.name},
    }


def resource(table: Table) -> dict[str, Any]:
    links = [
        {"fields": [field], "reference": {"resource": other, "fields": [KEYS[other]]}}
        for field, other in table.links.items()
    ]
    fields = []
    for field in table.fields:
        fields.append(schema_field(field))
        if field.label:
            fields.append(label_field(field))
    return {
        "name": table.name,
        "path": f"{table.name}.csv",
        "title": str(table.title),
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {
            "fields": fields,
            "missingValues": [""],
            "primaryKey": [table.key],
            **({"foreignKeys": links} if links else {}),
        },
    }


def descriptor(programme: Programme, request: HttpRequest, found: list[Table]) -> dict:
    return {
        "profile": "tabular-data-package",
        "name": f"{programme.slug.lower()}-{get_language()}",
        "title": programme.name,
        "description": _(
            "Everything the policy target tracker publishes about %(name)s: its projects, "
            "targets with their measurements and computed status, milestones, sources, "
            "progress updates and the evidence files they carry."
        )
        % {"name": programme.name}
        + (" " + _("Demonstration programme: invented data") if programme.is_demo else ""),
        "homepage": request.build_absolute_uri(programme.get_absolute_url()),
        "language": get_language(),
        "created": timezone.now().replace(microsecond=0).isoformat(),
        "sources": [
            {"title": source.title, **({"path": source.url} if source.url else {})}
            for source in programme.sources.order_by("pk")
        ],
        "resources": [resource(table) for table in found],
    }


def programme_package(programme: Programme, request: HttpRequest) -> bytes:
    """The zip: a folder named after the programme, holding datapackage.json and one
    CSV a table."""
    found = tables(programme)
    folder = programme.slug
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in found:
            text = downloads.csv_text(
                downloads.machine_names(table.fields),
                (downloads.machine_row(table.fields, r, request) for r in table.records),
            )
            archive.writestr(f"{folder}/{table.name}.csv", text.encode("utf-8"))
        document = descriptor(programme, request, found)
        archive.writestr(
            f"{folder}/datapackage.json",
            json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8"),
        )
    return buffer.getvalue()


def download(request: HttpRequest, programme: str) -> HttpResponse:
    """/<lang>/programmes/<programme>/download.zip"""
    found = get_object_or_404(Programme, slug=programme)
    return downloads.attachment(
        programme_package(found, request),
        "application/zip",
        f"{found.slug}-{get_language()}.zip",
    )
