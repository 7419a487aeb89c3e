"""Evidence files served to readers: only those of published records, as downloads
(images shown as images), sniffed as nothing else and allowed to run nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.db.models import Exists, OuterRef, Q
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from tracker.editorial.scopes import scope
from tracker.models import EvidenceFile

# Whatever a file holds, a browser opening it runs no script, loads nothing and sends
# no form: an archived page or a PDF's own scripts stay inert.
SANDBOX = "default-src 'none'; sandbox"


def _readable(request: HttpRequest, pk: int) -> EvidenceFile:
    """The file if the public may read it, or staff who work on its record; else 404."""
    found = EvidenceFile.objects.published().filter(pk=pk).first()
    if found is None and request.user.is_authenticated and request.user.is_staff:
        found = scope(EvidenceFile.objects.filter(pk=pk), request.user).first()
    if found is None:
        raise Http404
    return found


def serve(name: str, media_type: str, download_name: str, *, attachment: bool) -> FileResponse:
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError, ValueError) as error:
        # The row outlived its file (a restore without the files, see the README).
        raise Http404 from error
    response = FileResponse(
        handle, as_attachment=attachment, filename=download_name, content_type=media_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_safe
def evidence_file(request: HttpRequest, pk: int, name: str) -> FileResponse:
    record = _readable(request, pk)
    if name != record.download_name:
        raise Http404
    return serve(
        record.file.name or "",
        record.media_type,
        record.download_name,
        attachment=not record.is_image,
    )


@require_safe
def evidence_preview(request: HttpRequest, pk: int) -> FileResponse:
    record = _readable(request, pk)
    if not record.preview:
        raise Http404
    return serve(record.preview.name or "", "image/jpeg", "preview.jpg", attachment=False)


def has_files(relation: str) -> Exists:
    """Annotation: whether the record (a source: "source", an update: "update") holds
    any file, so that a page with none spends no query on them."""
    return Exists(EvidenceFile.objects.filter(**{relation: OuterRef("pk")}))


def attach_files(*, sources: Iterable = (), updates: Iterable = ()) -> None:
    """Each source's files and each update's photos, read in one query for the page (and
    none when `has_files` found nothing), as `source.files.all()` and
    `update.photos.all()` then answer without asking the database."""
    sources, updates = list(sources), list(updates)
    holding = {
        kind: [r.pk for r in records if getattr(r, "has_files", True)]
        for kind, records in (("source", sources), ("update", updates))
    }
    found: dict[tuple[str, int], list[EvidenceFile]] = defaultdict(list)
    if holding["source"] or holding["update"]:
        rows = EvidenceFile.objects.filter(
            Q(source__in=holding["source"]) | Q(update__in=holding["update"])
        ).order_by("created_at", "pk")
        for row in rows:
            key = ("source", row.source_id) if row.source_id else ("update", row.update_id)
            found[key].append(row)  # type: ignore[index]  # one of the two is set
    for records, kind, name in ((sources, "source", "files"), (updates, "update", "photos")):
        for record in records:
            # As prefetch_related leaves it: a queryset already evaluated.
            queryset = getattr(record, name).get_queryset()
            queryset._result_cache = found.get((kind, record.pk), [])
            queryset._prefetch_done = True
            record.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset
