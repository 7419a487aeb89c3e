"""Evidence files served to readers: only those of published records, as downloads
(images shown as images), sniffed as nothing else and allowed to run nothing."""

from __future__ import annotations

from django.core.files.storage import default_storage
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


def _serve(name: str, media_type: str, download_name: str, *, attachment: bool) -> FileResponse:
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
    return _serve(
        record.file.name,
        record.media_type,
        record.download_name,
        attachment=not record.is_image,
    )


@require_safe
def evidence_preview(request: HttpRequest, pk: int) -> FileResponse:
    record = _readable(request, pk)
    if not record.preview:
        raise Http404
    return _serve(record.preview.name, "image/jpeg", "preview.jpg", attachment=False)
