"""The programme document: everything public about one programme as one JSON file.

`manage.py export_programme SLUG` writes it and `manage.py import_programme FILE`
reads it into a database that does not hold the programme yet; the way to load a new
hub's plan in bulk, too. The format is described in docs/programme-document.md.

Records are named by natural keys (slugs, titles, source keys), never by database
ids, so a document moves between databases and exports identically after a round trip.
Only public data is included: published updates, public measurements.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tracker import stored
from tracker.editorial import files, publishing
from tracker.models import (
    EvidenceFile,
    Measurement,
    Milestone,
    Organisation,
    Programme,
    ProgressUpdate,
    Project,
    Sector,
    Source,
    Target,
)

FORMAT = "policy-target-tracker/programme"
VERSION = 1
LANGS = ("en", "zh_hans")
TARGET_ORDER = ("due_on", "title_en", "pk")
MILESTONE_ORDER = ("planned_on", "title_en", "pk")


# Whether the document being imported is illustrative: its records are marked so.
_DEMO = contextvars.ContextVar("demo", default=False)


class DocumentError(ValueError):
    """The document cannot be imported; the message says where and why."""


def in_both_languages(obj, field: str) -> dict[str, str]:
    """A translated field as the document writes it: {"en": ..., "zh_hans": ...}."""
    return {lang: getattr(obj, f"{field}_{lang}") or "" for lang in LANGS}


def language_fields(values: dict | None, field: str) -> dict[str, str]:
    """The reverse of `in_both_languages`: model field values, {"title_en": ...}."""
    values = values or {}
    return {f"{field}_{lang}": values.get(lang, "") or "" for lang in LANGS}


def iso_date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def plain_decimal(value: Decimal | None) -> str | None:
    """A decimal in full without exponent or trailing zeros: "50000000000", "0.5"."""
    return None if value is None else format(value.normalize(), "f")


# Export


def export_programme(programme: Programme) -> dict[str, Any]:
    sources = sorted(
        _sources_of(programme),
        key=lambda s: (s.published_on or dt.date.min, s.title_en, s.pk),  # type: ignore[attr-defined]
    )
    keys: dict[int | None, str] = {
        source.pk: f"S{index}" for index, source in enumerate(sources, start=1)
    }
    projects = programme.projects.select_related("sector").prefetch_related(
        "lead_organisations", "sources"
    )
    organisations = sorted(
        {o for o in (programme.designated_by, programme.host) if o}
        | {o for p in projects for o in p.lead_organisations.all()},
        key=lambda o: o.name_en,  # type: ignore[attr-defined]  # modeltranslation's
    )
    sectors = sorted({p.sector for p in projects if p.sector}, key=lambda s: s.slug)
    return {
        "format": FORMAT,
        "version": VERSION,
        # Illustrative data stays marked as such wherever it is loaded.
        "demo": programme.is_demo,
        "organisations": [
            {
                "name": in_both_languages(o, "name"),
                "short_name": in_both_languages(o, "short_name"),
                "description": in_both_languages(o, "description"),
                "kind": o.kind,
                "website": o.website,
            }
            for o in organisations
        ],
        "sources": [
            {
                "key": keys[s.pk],
                "title": in_both_languages(s, "title"),
                "publisher": in_both_languages(s, "publisher"),
                "reference": s.reference,
                "url": s.url,
                "archived_url": s.archived_url,
                "published_on": iso_date(s.published_on),
                "kind": s.kind,
                "language": s.language,
                "quote": s.quote,
                "files": _files(s.files.all()),
            }
            for s in sources
        ],
        "sectors": [{"slug": s.slug, "name": in_both_languages(s, "name")} for s in sectors],
        "programme": {
            "slug": programme.slug,
            "name": in_both_languages(programme, "name"),
            "scheme": in_both_languages(programme, "scheme"),
            "summary": in_both_languages(programme, "summary"),
            "pledge": in_both_languages(programme, "pledge"),
            "designated_by": programme.designated_by.name_en if programme.designated_by else None,  # type: ignore[attr-defined]
            "host": programme.host.name_en if programme.host else None,  # type: ignore[attr-defined]
            "announced_on": iso_date(programme.announced_on),
            "horizon_start": iso_date(programme.horizon_start),
            "horizon_end_earliest": iso_date(programme.horizon_end_earliest),
            "horizon_end_latest": iso_date(programme.horizon_end_latest),
            "planned_project_count": programme.planned_project_count,
            "stale_after_days": programme.stale_after_days,
            "sources": sorted(keys[s.pk] for s in programme.sources.all()),
            "targets": [
                _target(t, keys)
                for t in programme.targets.filter(project__isnull=True).order_by(*TARGET_ORDER)
            ],
            "milestones": [
                _milestone(m, keys)
                for m in programme.milestones.filter(project__isnull=True).order_by(
                    *MILESTONE_ORDER
                )
            ],
            "updates": _updates(programme.updates.filter(project__isnull=True)),
            "projects": [
                {
                    "slug": p.slug,
                    "name": in_both_languages(p, "name"),
                    "summary": in_both_languages(p, "summary"),
                    "sector": p.sector.slug if p.sector else None,
                    "lead_organisations": sorted(o.name_en for o in p.lead_organisations.all()),  # type: ignore[attr-defined]
                    "lifecycle_status": p.lifecycle_status,
                    "declared_rating": p.declared_rating,
                    "declared_rating_reason": in_both_languages(p, "declared_rating_reason"),
                    "identified_on": iso_date(p.identified_on),
                    "start_on": iso_date(p.start_on),
                    "due_on": iso_date(p.due_on),
                    "sources": sorted(keys[s.pk] for s in p.sources.all()),
                    "targets": [_target(t, keys) for t in p.targets.order_by(*TARGET_ORDER)],
                    "milestones": [
                        _milestone(m, keys) for m in p.milestones.order_by(*MILESTONE_ORDER)
                    ],
                    "updates": _updates(p.updates.all()),
                }
                for p in projects.order_by("slug")
            ],
        },
    }


def _sources_of(programme: Programme) -> set[Source]:
    found = set(programme.sources.all())
    found |= set(Source.objects.filter(project__programme=programme))
    found |= set(Source.objects.filter(target__programme=programme))
    found |= set(Source.objects.filter(measurements__target__programme=programme))
    found |= set(Source.objects.filter(milestones__programme=programme))
    found |= {t.reported_equivalent_source for t in programme.targets.all()} - {None}  # type: ignore[arg-type]
    return found


def _target(target: Target, keys: dict[int | None, str]) -> dict[str, Any]:
    measurements = Measurement.objects.published().filter(target=target).order_by("as_of")
    return {
        "title": in_both_languages(target, "title"),
        "description": in_both_languages(target, "description"),
        "kind": target.kind,
        "currency": target.currency,
        "unit": in_both_languages(target, "unit"),
        "comparator": target.comparator,
        "baseline_value": plain_decimal(target.baseline_value),
        "baseline_on": iso_date(target.baseline_on),
        "target_value": plain_decimal(target.target_value),
        "due_earliest": iso_date(target.due_earliest),
        "due_on": iso_date(target.due_on),
        "rollup": target.rollup,
        "reported_equivalent_value": plain_decimal(target.reported_equivalent_value),
        "reported_equivalent_currency": target.reported_equivalent_currency,
        "reported_equivalent_source": keys.get(target.reported_equivalent_source_id),
        "withdrawn_on": iso_date(target.withdrawn_on),
        "withdrawal_reason": target.withdrawal_reason,
        "sources": sorted(keys[s.pk] for s in target.sources.all()),
        "measurements": [
            {
                "as_of": iso_date(m.as_of),
                "value": plain_decimal(m.value),
                "source": keys.get(m.source_id),
                "note": in_both_languages(m, "note"),
            }
            for m in measurements
        ],
    }


def _milestone(milestone: Milestone, keys: dict[int | None, str]) -> dict[str, Any]:
    return {
        "title": in_both_languages(milestone, "title"),
        "description": in_both_languages(milestone, "description"),
        "planned_on": iso_date(milestone.planned_on),
        "forecast_on": iso_date(milestone.forecast_on),
        "completed_on": iso_date(milestone.completed_on),
        "status": milestone.status,
        "weight": milestone.weight,
        "evidence": keys.get(milestone.evidence_id),
        "withdrawn_on": iso_date(milestone.withdrawn_on),
        "withdrawal_reason": milestone.withdrawal_reason,
        "photos": _files(milestone.photos.all()),
    }


def _updates(updates) -> list[dict[str, Any]]:
    published = updates.published().order_by("published_at", "pk")
    return [
        {
            "title": in_both_languages(u, "title"),
            "body": in_both_languages(u, "body"),
            "published_at": u.published_at.isoformat(),
            "photos": _files(u.photos.all()),
        }
        for u in published
    ]


def _files(records) -> list[dict[str, Any]]:
    """Evidence files in full (base64), each with the SHA-256 an import checks."""
    return [
        {
            "kind": f.kind,
            "name": f.original_name,
            "media_type": f.media_type,
            "sha256": f.sha256,
            "caption": in_both_languages(f, "caption"),
            "alt_text": in_both_languages(f, "alt_text"),
            "retrieved_from": f.retrieved_from,
            "retrieved_at": f.retrieved_at.isoformat() if f.retrieved_at else None,
            "content": base64.b64encode(_read(f)).decode("ascii"),
        }
        for f in records.order_by("created_at", "pk")
    ]


def _read(record: EvidenceFile) -> bytes:
    with record.file.open("rb") as handle:
        return handle.read()


# Import


@transaction.atomic
@stored.batched
def import_programme(document: dict[str, Any]) -> Programme:
    """Create the programme the document describes; refuse a document that does not
    fit, or a programme already present, without writing anything."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise DocumentError(f"not a programme document (format must be {FORMAT!r})")
    if document.get("version") != VERSION:
        raise DocumentError(f"unsupported version {document.get('version')!r}")
    data = document.get("programme") or {}
    if Programme.objects.filter(slug=data.get("slug")).exists():
        raise DocumentError(f"programme {data.get('slug')!r} is already in this database")
    token = _DEMO.set(bool(document.get("demo", False)))
    try:
        return _import(document, data)
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, DocumentError):
            raise
        raise DocumentError(f"malformed document: {error!r}") from error
    finally:
        _DEMO.reset(token)


def _save(obj, where: str):
    try:
        obj.full_clean()
    except ValidationError as error:
        raise DocumentError(f"{where}: {error.messages}") from error
    reason = "Imported from a programme document."
    obj.is_demo = _DEMO.get()
    if type(obj) in publishing.REVIEWED_MODELS:
        # The public record: through the one write path, published by the operator.
        publishing.save_change(instance=obj, by=None, reason=reason, via="command")
        return obj
    obj._change_reason = reason
    obj.save()
    return obj


def _organisation(name: str | None, organisations: dict[str, dict]) -> Organisation | None:
    if not name:
        return None
    found = Organisation.objects.filter(name_en=name).first()
    if found:
        return found
    values = organisations.get(name)
    if values is None:
        raise DocumentError(f"organisation {name!r} is not listed in 'organisations'")
    return _save(
        Organisation(
            **language_fields(values["name"], "name"),
            **language_fields(values.get("short_name"), "short_name"),
            **language_fields(values.get("description"), "description"),
            kind=values.get("kind", "other"),
            website=values.get("website", ""),
        ),
        f"organisation {name!r}",
    )


def _import(document: dict, data: dict) -> Programme:
    organisations = {o["name"]["en"]: o for o in document.get("organisations", [])}
    sources: dict[str, Source] = {}
    for values in document.get("sources", []):
        existing = Source.objects.filter(
            title_en=values["title"]["en"], url=values.get("url", "")
        ).first()
        sources[values["key"]] = existing or _save(
            Source(
                **language_fields(values["title"], "title"),
                **language_fields(values.get("publisher"), "publisher"),
                reference=values.get("reference", ""),
                url=values.get("url", ""),
                archived_url=values.get("archived_url", ""),
                published_on=_date(values.get("published_on")),
                kind=values["kind"],
                language=values.get("language", "en"),
                quote=values.get("quote", ""),
            ),
            f"source {values['key']}",
        )
        if not existing:
            _import_files(
                values.get("files", []), f"source {values['key']}", source=sources[values["key"]]
            )

    def source(key: str | None) -> Source | None:
        if key is None:
            return None
        if key not in sources:
            raise DocumentError(f"unknown source key {key!r}")
        return sources[key]

    for values in document.get("sectors", []):
        if not Sector.objects.filter(slug=values["slug"]).exists():
            _save(Sector(slug=values["slug"], **language_fields(values["name"], "name")), "sector")

    programme = _save(
        Programme(
            slug=data["slug"],
            **language_fields(data["name"], "name"),
            **language_fields(data.get("scheme"), "scheme"),
            **language_fields(data.get("summary"), "summary"),
            **language_fields(data.get("pledge"), "pledge"),
            designated_by=_organisation(data.get("designated_by"), organisations),
            host=_organisation(data.get("host"), organisations),
            announced_on=_date(data.get("announced_on")),
            horizon_start=_date(data.get("horizon_start")),
            horizon_end_earliest=_date(data.get("horizon_end_earliest")),
            horizon_end_latest=_date(data.get("horizon_end_latest")),
            planned_project_count=data.get("planned_project_count"),
            stale_after_days=data.get("stale_after_days", 365),
        ),
        "programme",
    )
    programme.sources.set([source(k) for k in data.get("sources", [])])
    _children(programme, None, data, source)
    for values in data.get("projects", []):
        project = _save(
            Project(
                programme=programme,
                slug=values["slug"],
                **language_fields(values["name"], "name"),
                **language_fields(values.get("summary"), "summary"),
                **language_fields(values.get("declared_rating_reason"), "declared_rating_reason"),
                sector=Sector.objects.filter(slug=values.get("sector")).first(),
                lifecycle_status=values.get("lifecycle_status", "announced"),
                declared_rating=values.get("declared_rating", ""),
                identified_on=_date(values.get("identified_on")),
                start_on=_date(values.get("start_on")),
                due_on=_date(values.get("due_on")),
            ),
            f"project {values['slug']!r}",
        )
        project.lead_organisations.set(
            [_organisation(name, organisations) for name in values.get("lead_organisations", [])]
        )
        project.sources.set([source(k) for k in values.get("sources", [])])
        _children(programme, project, values, source)
    return programme


def _children(programme: Programme, project: Project | None, data: dict, source) -> None:
    where = f"project {project.slug!r}" if project else "programme"
    for values in data.get("targets", []):
        target = _save(
            Target(  # type: ignore[misc]  # full_clean refuses a missing value
                programme=programme,
                project=project,
                **language_fields(values["title"], "title"),
                **language_fields(values.get("description"), "description"),
                **language_fields(values.get("unit"), "unit"),
                kind=values["kind"],
                currency=values.get("currency", ""),
                comparator=values.get("comparator", "at_least"),
                baseline_value=_decimal(values.get("baseline_value")),
                baseline_on=_date(values.get("baseline_on")),
                target_value=_decimal(values["target_value"]),
                due_earliest=_date(values.get("due_earliest")),
                due_on=_date(values["due_on"]),
                rollup=values.get("rollup", "none"),
                reported_equivalent_value=_decimal(values.get("reported_equivalent_value")),
                reported_equivalent_currency=values.get("reported_equivalent_currency", ""),
                reported_equivalent_source=source(values.get("reported_equivalent_source")),
                withdrawn_on=_date(values.get("withdrawn_on")),
                withdrawal_reason=values.get("withdrawal_reason", ""),
            ),
            f"{where}, target {values['title'].get('en')!r}",
        )
        target.sources.set([source(k) for k in values.get("sources", [])])
        for point in values.get("measurements", []):
            _save(
                Measurement(  # type: ignore[misc]  # full_clean refuses a missing value
                    target=target,
                    as_of=_date(point["as_of"]),
                    value=_decimal(point["value"]),
                    source=source(point.get("source")),
                    **language_fields(point.get("note"), "note"),
                ),
                f"{where}, measurement of {point['as_of']}",
            )
    for values in data.get("milestones", []):
        milestone = _save(
            Milestone(  # type: ignore[misc]  # full_clean refuses a missing value
                programme=programme,
                project=project,
                **language_fields(values["title"], "title"),
                **language_fields(values.get("description"), "description"),
                planned_on=_date(values["planned_on"]),
                forecast_on=_date(values.get("forecast_on")),
                completed_on=_date(values.get("completed_on")),
                status=values.get("status", "planned"),
                weight=values.get("weight", 1),
                evidence=source(values.get("evidence")),
                withdrawn_on=_date(values.get("withdrawn_on")),
                withdrawal_reason=values.get("withdrawal_reason", ""),
            ),
            f"{where}, milestone {values['title'].get('en')!r}",
        )
        _import_files(values.get("photos", []), f"{where}, milestone", milestone=milestone)
    for values in data.get("updates", []):
        update = _save(
            ProgressUpdate(
                programme=programme,
                project=project,
                **language_fields(values["title"], "title"),
                **language_fields(values.get("body"), "body"),
                state=ProgressUpdate.State.PUBLISHED,
                published_at=dt.datetime.fromisoformat(values["published_at"]),
            ),
            f"{where}, update {values['title'].get('en')!r}",
        )
        _import_files(values.get("photos", []), f"{where}, update", update=update)


def _import_files(entries: list[dict], where: str, **record) -> None:
    """Restore a record's files as exported: each checked against its SHA-256 and by its
    content, as an upload is (an image still carrying EXIF data is refused)."""
    for values in entries:
        name = values.get("name") or "file"
        try:
            content = base64.b64decode(values["content"], validate=True)
        except (binascii.Error, ValueError) as error:
            raise DocumentError(f"{where}, file {name!r}: content is not base64") from error
        if hashlib.sha256(content).hexdigest() != values.get("sha256"):
            raise DocumentError(f"{where}, file {name!r}: content does not match its SHA-256")
        kind = values.get("kind", EvidenceFile.Kind.DOCUMENT)
        try:
            checked = files.check(content, name, html_allowed=kind == EvidenceFile.Kind.ARCHIVE)
            files.refuse_exif(content, checked)
        except files.FileRefused as error:
            raise DocumentError(f"{where}, file {name!r}: {error}") from error
        # Kept byte for byte (its hash is the one published), with a fresh preview.
        checked.content, checked.sha256 = content, values["sha256"]
        obj = checked.attach_to(
            EvidenceFile(
                kind=kind,
                retrieved_from=values.get("retrieved_from", ""),
                retrieved_at=_datetime(values.get("retrieved_at")),
                **language_fields(values.get("caption"), "caption"),
                **language_fields(values.get("alt_text"), "alt_text"),
                **record,
            )
        )
        if "source" in record:
            # A source's files go with the source, outside the publishing path.
            obj.full_clean()
            obj._change_reason = "Imported from a programme document."
            obj.save()
        else:
            _save(obj, f"{where}, file {name!r}")


def _datetime(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))
